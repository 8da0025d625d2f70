// Who is calling the kubelet endpoint and whether they may, as the kubelet's delegating
// authenticator and authorizer do (k8s.io/apiserver authenticatorfactory/authorizerfactory,
// cmd/kubelet/app/auth.go): x509 client certificates against the client CA (user = CN, groups =
// O), then bearer tokens through TokenReview (also the WebSocket-protocol form); successes get
// `system:authenticated`; anonymous only when enabled. Authorization: SubjectAccessReview per
// attribute set, or AlwaysAllow. Both webhooks cache (tokens 2 m both ways, allow 5 m, deny 30 s)
// and retry with the apiserver's DefaultAuthWebhookRetryBackoff.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Clock } from '../core/clock.js';
import type { NodeAttributes, UserInfo } from './attributes.js';

/** A cache whose entries expire after a TTL chosen per entry (the webhooks' positive/negative TTLs). */
export class TtlCache<V> {
  readonly #entries = new Map<string, { value: V; expires: number }>();
  constructor(
    private readonly clock: Pick<Clock, 'monotonic'>,
    private readonly maxEntries = 4096,
  ) {}

  get(key: string): V | undefined {
    const e = this.#entries.get(key);
    if (e === undefined) return undefined;
    if (this.clock.monotonic() >= e.expires) {
      this.#entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    if (ttlMs <= 0) return;
    if (this.#entries.size >= this.maxEntries) {
      // Oldest first (insertion order): bounded memory against a flood of distinct tokens.
      const first = this.#entries.keys().next();
      if (!first.done) this.#entries.delete(first.value);
    }
    this.#entries.set(key, { value, expires: this.clock.monotonic() + ttlMs });
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** What the API server is asked: the two review calls (an adapter over the kubeconfig's transport). */
export interface ReviewClient {
  tokenReview(body: object): Promise<{ status?: { authenticated?: boolean; user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> }; error?: string } }>;
  subjectAccessReview(body: object): Promise<{ status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string } }>;
}

/** apiserver DefaultAuthWebhookRetryBackoff: 500 ms, ×1.5, jitter 0.2, 5 steps. */
export const WEBHOOK_BACKOFF = { initialMs: 500, factor: 1.5, jitter: 0.2, steps: 5 } as const;

/** Retries on errors that are not the server's considered answer (no reply, 429, 5xx). */
export async function withWebhookRetry<T>(call: () => Promise<T>, clock: Pick<Clock, 'sleep'>, retryable: (err: unknown) => boolean, random: () => number = Math.random): Promise<T> {
  let delay: number = WEBHOOK_BACKOFF.initialMs;
  for (let step = 1; ; step++) {
    try {
      return await call();
    } catch (err) {
      if (step >= WEBHOOK_BACKOFF.steps || !retryable(err)) throw err;
      await clock.sleep(delay * (1 + random() * WEBHOOK_BACKOFF.jitter));
      delay *= WEBHOOK_BACKOFF.factor;
    }
  }
}

export type AuthnResult = { readonly ok: true; readonly user: UserInfo } | { readonly ok: false; readonly error?: string };

export interface AuthenticatorOptions {
  /** The client CA is configured: verified client certificates authenticate. */
  readonly x509: boolean;
  /** The token webhook, or undefined when it is off. */
  readonly reviews?: ReviewClient;
  readonly tokenCacheTtlMs: number;
  readonly anonymous: boolean;
  readonly clock: Pick<Clock, 'monotonic' | 'sleep'>;
  readonly retryable: (err: unknown) => boolean;
}

const WS_TOKEN_PREFIX = 'base64url.bearer.authorization.k8s.io.';

/** The bearer token of the Authorization header, or of the WebSocket subprotocol form. */
export function bearerToken(req: Pick<IncomingMessage, 'headers'>): string | undefined {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m?.[1];
  }
  // websocket.NewProtocolAuthenticator: only on WebSocket upgrade requests.
  const protocols = req.headers['sec-websocket-protocol'];
  if (protocols === undefined || String(req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return undefined;
  for (const p of String(protocols).split(',')) {
    const proto = p.trim();
    if (!proto.startsWith(WS_TOKEN_PREFIX)) continue;
    const token = Buffer.from(proto.slice(WS_TOKEN_PREFIX.length), 'base64url').toString('utf8');
    return token === '' ? undefined : token;
  }
  return undefined;
}

/** The user of a verified client certificate (x509.CommonNameUserConversion). */
export function certificateUser(socket: TLSSocket): UserInfo | undefined {
  if (!socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return undefined;
  const cn = cert.subject?.CN;
  const o = cert.subject?.O;
  const name = Array.isArray(cn) ? cn[0] : cn;
  if (name === undefined || name === '') return undefined;
  const groups = o === undefined ? [] : Array.isArray(o) ? o : [o];
  return { name, groups };
}

function withAuthenticatedGroup(user: UserInfo): UserInfo {
  return user.groups.includes('system:authenticated') ? user : { ...user, groups: [...user.groups, 'system:authenticated'] };
}

export class Authenticator {
  readonly #tokens: TtlCache<AuthnResult>;
  constructor(private readonly opts: AuthenticatorOptions) {
    this.#tokens = new TtlCache(opts.clock);
  }

  /**
   * The union of x509 then token (first success wins); an invalid credential fails even with
   * anonymous on (unionauth.NewFailOnError over the anonymous authenticator).
   */
  async authenticate(req: IncomingMessage): Promise<AuthnResult> {
    const socket = req.socket as TLSSocket;
    let presented = false;
    if (this.opts.x509 && typeof socket.getPeerCertificate === 'function') {
      const peer = socket.getPeerCertificate();
      if (peer && Object.keys(peer).length > 0) {
        presented = true;
        const user = certificateUser(socket);
        if (user !== undefined) return { ok: true, user: withAuthenticatedGroup(user) };
      }
    }
    const token = bearerToken(req);
    if (token !== undefined) {
      presented = true;
      if (this.opts.reviews !== undefined) {
        const result = await this.#token(token, this.opts.reviews);
        if (result.ok) return { ok: true, user: withAuthenticatedGroup(result.user) };
        if (result.error !== undefined) return result;
      }
    }
    if (!presented && this.opts.anonymous) return { ok: true, user: { name: 'system:anonymous', groups: ['system:unauthenticated'] } };
    return { ok: false };
  }

  async #token(token: string, reviews: ReviewClient): Promise<AuthnResult> {
    const cached = this.#tokens.get(token);
    if (cached !== undefined) return cached;
    let answer: Awaited<ReturnType<ReviewClient['tokenReview']>>;
    try {
      answer = await withWebhookRetry(() => reviews.tokenReview({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } }), this.opts.clock, this.opts.retryable);
    } catch (err) {
      // Not cached: the next request asks again.
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    const s = answer.status;
    const result: AuthnResult =
      s?.authenticated === true && s.user?.username
        ? { ok: true, user: { name: s.user.username, ...(s.user.uid ? { uid: s.user.uid } : {}), groups: s.user.groups ?? [], ...(s.user.extra ? { extra: s.user.extra } : {}) } }
        : { ok: false };
    // cache.New(tokenAuth, false, cacheTTL, cacheTTL): successes and failures alike.
    this.#tokens.set(token, result, this.opts.tokenCacheTtlMs);
    return result;
  }
}

export type Decision = 'allow' | 'deny';

export interface Authorizer {
  authorize(user: UserInfo, attrs: NodeAttributes): Promise<Decision>;
}

export const alwaysAllow: Authorizer = { authorize: () => Promise.resolve('allow') };

export interface SarAuthorizerOptions {
  readonly reviews: ReviewClient;
  readonly allowTtlMs: number;
  readonly denyTtlMs: number;
  readonly clock: Pick<Clock, 'monotonic' | 'sleep'>;
  readonly retryable: (err: unknown) => boolean;
}

/** The SubjectAccessReview for one attribute set (webhook.go resourceAttributesFrom + the user). */
export function subjectAccessReview(user: UserInfo, attrs: NodeAttributes): object {
  return {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      resourceAttributes: { namespace: '', verb: attrs.verb, group: '', version: 'v1', resource: attrs.resource, subresource: attrs.subresource, name: attrs.name },
      user: user.name,
      groups: [...user.groups],
      ...(user.extra ? { extra: user.extra } : {}),
      ...(user.uid ? { uid: user.uid } : {}),
    },
  };
}

/** The webhook authorizer: throws when the review cannot be made (the filter answers 500). */
export class SarAuthorizer implements Authorizer {
  readonly #cache: TtlCache<Decision>;
  constructor(private readonly opts: SarAuthorizerOptions) {
    this.#cache = new TtlCache(opts.clock);
  }

  async authorize(user: UserInfo, attrs: NodeAttributes): Promise<Decision> {
    const review = subjectAccessReview(user, attrs);
    const key = JSON.stringify(review);
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    const answer = await withWebhookRetry(() => this.opts.reviews.subjectAccessReview(review), this.opts.clock, this.opts.retryable);
    const decision: Decision = answer.status?.allowed === true ? 'allow' : 'deny';
    this.#cache.set(key, decision, decision === 'allow' ? this.opts.allowTtlMs : this.opts.denyTtlMs);
    return decision;
  }
}
