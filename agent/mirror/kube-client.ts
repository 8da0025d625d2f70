// The one door to a Kubernetes API server, and the only module that imports
// @kubernetes/client-node. KubeConfig loads the kubeconfig and applies what it says about
// trust and identity (CA, client certificate and key, bearer token, token file, exec
// credential plugin, TLS server name, proxy) to each request. The requests themselves are
// plain JSON over node:https: the generated 1.x clients turn objects into classes with Date
// fields and need middleware for patch content types, while nodelet wants to send exactly
// the patch it computed, with the content type kubelet uses.
//
// Nothing here logs, and no error message carries a header, a token or key material.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { dirname, isAbsolute, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import type { Event, Node, Pod, PodList } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { ConfigError, errorMessage } from '../core/errors.js';
import type { CsiNode } from '../plugins/registration.js';

/** The Status object the API server returns with every failure. */
export interface KubeStatus {
  readonly kind?: string;
  readonly apiVersion?: string;
  readonly status?: string;
  readonly message: string;
  readonly reason: string;
  readonly code: number;
  readonly details?: { readonly name?: string; readonly group?: string; readonly kind?: string; readonly causes?: readonly { readonly reason?: string; readonly message?: string; readonly field?: string }[] };
}

/** The server answered, and said no. */
export class KubeApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly status: KubeStatus;
  constructor(status: KubeStatus, readonly method: string, readonly path: string) {
    super(status.message);
    this.name = 'KubeApiError';
    this.code = status.code;
    this.reason = status.reason;
    this.status = status;
  }
}

/** No answer: connection refused or reset, TLS failure, timeout, kubeconfig not loadable. */
export class KubeUnreachableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubeUnreachableError';
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 404;
}
export function isConflict(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 409 && err.reason === 'Conflict';
}
export function isAlreadyExists(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 409 && err.reason === 'AlreadyExists';
}

/**
 * Errors that say "the API server as a whole is not usable right now" rather than "this
 * request is wrong": every other call would fail the same way, so the reporter backs off.
 */
export function isServerUnavailable(err: unknown): boolean {
  if (err instanceof KubeUnreachableError) return true;
  return err instanceof KubeApiError && (err.code >= 500 || err.code === 429 || err.code === 401);
}

export type PatchType = 'strategic' | 'merge';
const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  strategic: 'application/strategic-merge-patch+json',
  merge: 'application/merge-patch+json',
};

export interface KubeRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Absolute API path, e.g. `/api/v1/nodes/n1/status`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly contentType?: string;
}

/** One event of a watch stream (`{"type": ..., "object": ...}` per line). */
export interface WatchEvent<T> {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: T;
}

/** A running watch: `done` settles when the server ends the stream (resolves) or it fails (rejects). */
export interface WatchHandle {
  readonly done: Promise<void>;
  cancel(): void;
}

export interface KubeTransport {
  /** The server URL, for display (never carries credentials). */
  readonly server: string;
  request<T>(req: KubeRequest): Promise<T>;
  /** A streaming GET (?watch=true); transports without it make callers fall back to LIST. */
  watch?<T>(req: KubeRequest, onEvent: (e: WatchEvent<T>) => void): WatchHandle;
  close(): void;
}

export interface LoadedKubeConfig {
  readonly kubeConfig: KubeConfig;
  readonly server: string;
  readonly context: string;
}

/** Reads and checks a kubeconfig file. Throws ConfigError with a message fit for the log. */
export function loadKubeConfig(path: string): LoadedKubeConfig {
  const kc = new KubeConfig();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
    kc.loadFromString(text);
    kc.makePathsAbsolute(dirname(path));
  } catch (err) {
    throw new ConfigError(`cannot load kubeconfig ${path}: ${safeMessage(err)}`);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new ConfigError(`kubeconfig ${path}: no current context, or its cluster is missing`);
  const user = kc.getCurrentUser();
  if (!user) throw new ConfigError(`kubeconfig ${path}: the current context names no user`);
  applyTokenFile(kc, user.name, text, dirname(path));
  let url: URL;
  try {
    url = new URL(cluster.server);
  } catch {
    throw new ConfigError(`kubeconfig ${path}: cluster server ${JSON.stringify(displayServer(cluster.server))} is not a URL`);
  }
  if (url.protocol !== 'https:') throw new ConfigError(`kubeconfig ${path}: cluster server must be an https:// URL, got ${url.protocol}//`);
  return { kubeConfig: kc, server: displayServer(cluster.server), context: kc.getCurrentContext() };
}

/**
 * kubeconfig's `tokenFile` (client-go's spelling), which client-node 1.x does not read: the
 * token is read at load time, trimmed, and used like `token` (client-go gives `token` precedence).
 */
function applyTokenFile(kc: KubeConfig, userName: string, text: string, base: string): void {
  const raw = yaml.load(text) as { users?: { name?: string; user?: { token?: string; tokenFile?: string } }[] } | undefined;
  const entry = raw?.users?.find((u) => u.name === userName)?.user;
  if (!entry?.tokenFile || entry.token) return;
  const file = isAbsolute(entry.tokenFile) ? entry.tokenFile : join(base, entry.tokenFile);
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`kubeconfig: cannot read tokenFile ${file}: ${safeMessage(err)}`);
  }
  kc.users = kc.users.map((u) => (u.name === userName ? { ...u, token } : u));
}

/** The server URL without user info, fit for logs and the reporting state. */
export function displayServer(server: string): string {
  try {
    const url = new URL(server);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return '<invalid server URL>';
  }
}

/**
 * Error messages from sockets, TLS and credential plugins name hosts and files, never
 * secrets; this still cuts anything that looks like a bearer token or a PEM block, in case a
 * plugin echoes its own output.
 */
function safeMessage(err: unknown): string {
  return errorMessage(err)
    .replace(/Bearer\s+\S+/gi, 'Bearer [REDACTED]')
    .replace(/-----BEGIN [^-]+-----[\s\S]*?-----END [^-]+-----/g, '[REDACTED PEM]');
}

const CREDENTIAL_TTL_MS = 60_000;

export interface HttpsTransportOptions {
  readonly kubeconfigPath: string;
  /** Per request; a slow server counts as unreachable after this long. */
  readonly timeoutMs: number;
}

/** Requests over node:https with the kubeconfig's TLS settings and credentials. */
export class HttpsKubeTransport implements KubeTransport {
  readonly #path: string;
  readonly #timeoutMs: number;
  readonly #abort = new AbortController();
  #loaded: LoadedKubeConfig;
  /** After a 401 the kubeconfig is read again at once. */
  #reload = false;
  #cached?: { readonly opts: https.RequestOptions; readonly at: number };

  constructor(opts: HttpsTransportOptions) {
    this.#path = opts.kubeconfigPath;
    this.#timeoutMs = opts.timeoutMs;
    this.#loaded = loadKubeConfig(opts.kubeconfigPath);
  }

  get server(): string {
    return this.#loaded.server;
  }

  close(): void {
    this.#abort.abort(new KubeUnreachableError('reporter stopped'));
  }

  /**
   * TLS material and headers from the kubeconfig, re-read (with the kubeconfig itself) every
   * CREDENTIAL_TTL_MS and after a 401, so rotated certificate and token files are picked up.
   * The cache also matters for exec plugins whose credential has no expirationTimestamp:
   * client-node would run them for every request.
   */
  async #credentials(kc: KubeConfig): Promise<https.RequestOptions> {
    // Monotonic: a wall clock stepped back must not keep rotated credentials out for an hour.
    const now = performance.now();
    if (this.#cached && now - this.#cached.at < CREDENTIAL_TTL_MS) return this.#cached.opts;
    const opts: https.RequestOptions = {};
    try {
      await kc.applyToHTTPSOptions(opts);
    } catch (err) {
      // Unreadable certificate files, a failing exec plugin...
      throw new KubeUnreachableError(`cannot apply kubeconfig credentials: ${safeMessage(err)}`);
    }
    this.#cached = { opts, at: now };
    return opts;
  }

  async request<T>(req: KubeRequest): Promise<T> {
    const { status, text } = await this.#send(req, AbortSignal.timeout(this.#timeoutMs), async (res) => {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    });
    if (status >= 200 && status < 300) return (text ? JSON.parse(text) : {}) as T;
    throw this.#failure(status, text, req);
  }

  /**
   * A watch: the answer is read line by line as the server writes it. No overall timeout (the
   * server ends the stream after the request's timeoutSeconds); the connection's own deadline
   * is that plus the request timeout, so a silently dead connection is noticed.
   */
  watch<T>(req: KubeRequest, onEvent: (e: WatchEvent<T>) => void): WatchHandle {
    const cancel = new AbortController();
    const serverTimeout = Number(req.query?.timeoutSeconds ?? '0') * 1000;
    const deadline = AbortSignal.timeout((serverTimeout || 30 * 60_000) + this.#timeoutMs);
    const done = this.#send(req, AbortSignal.any([cancel.signal, deadline]), async (res) => {
      if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) {
        const chunks: Buffer[] = [];
        for await (const c of res) chunks.push(c as Buffer);
        return Buffer.concat(chunks).toString('utf8');
      }
      let buffered = '';
      for await (const chunk of res) {
        buffered += (chunk as Buffer).toString('utf8');
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line) onEvent(JSON.parse(line) as WatchEvent<T>);
        }
      }
      return '';
    }).then(({ status, text }) => {
      if (status < 200 || status >= 300) throw this.#failure(status, text, req);
    });
    return { done, cancel: () => cancel.abort(new KubeUnreachableError('watch cancelled')) };
  }

  #failure(status: number, text: string, req: KubeRequest): KubeApiError {
    if (status === 401) {
      this.#reload = true;
      this.#cached = undefined;
    }
    return new KubeApiError(parseStatus(status, text), req.method, req.path);
  }

  /** One request with the kubeconfig's credentials; `read` consumes the answer. */
  async #send(req: KubeRequest, timeout: AbortSignal, read: (res: http.IncomingMessage) => Promise<string>): Promise<{ status: number; text: string }> {
    // Credentials expired from the cache: read the kubeconfig again too (rotated token files).
    if (this.#reload || (this.#cached && performance.now() - this.#cached.at >= CREDENTIAL_TTL_MS)) {
      this.#reload = false;
      this.#cached = undefined;
      try {
        this.#loaded = loadKubeConfig(this.#path);
      } catch (err) {
        throw new KubeUnreachableError(errorMessage(err));
      }
    }
    const kc = this.#loaded.kubeConfig;
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new KubeUnreachableError('kubeconfig has no current cluster');
    const opts = await this.#credentials(kc);
    const url = new URL(cluster.server.replace(/\/+$/, '') + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
    const body = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    const given = opts.headers && !Array.isArray(opts.headers) ? (opts.headers as http.OutgoingHttpHeaders) : {};
    const headers: http.OutgoingHttpHeaders = { ...given, Accept: 'application/json', 'User-Agent': 'nodelet' };
    if (body) {
      headers['Content-Type'] = req.contentType ?? 'application/json';
      headers['Content-Length'] = body.length;
    }
    const signal = AbortSignal.any([this.#abort.signal, timeout]);
    const transport = url.protocol === 'https:' ? https : http;
    const unreachable = (err: unknown): KubeUnreachableError => {
      if (err instanceof KubeUnreachableError) return err;
      const timedOut = timeout.aborted && !this.#abort.signal.aborted;
      return new KubeUnreachableError(timedOut ? `no answer from ${this.server} within ${this.#timeoutMs} ms` : `cannot reach ${this.server}: ${safeMessage(err)}`);
    };
    return new Promise<{ status: number; text: string }>((resolve, reject) => {
      const r = transport.request(url, { method: req.method, headers, agent: opts.agent, auth: opts.auth, signal }, (res) => {
        read(res).then(
          (text) => resolve({ status: res.statusCode ?? 0, text }),
          (err: unknown) => reject(err instanceof SyntaxError ? err : unreachable(err)),
        );
      });
      r.on('error', (err) => reject(unreachable(err)));
      if (body) r.write(body);
      r.end();
    });
  }
}

function parseStatus(code: number, text: string): KubeStatus {
  try {
    const parsed = JSON.parse(text) as Partial<KubeStatus>;
    if (parsed && parsed.kind === 'Status' && typeof parsed.message === 'string') {
      return { ...parsed, message: parsed.message, reason: parsed.reason ?? '', code: parsed.code ?? code };
    }
  } catch {
    // not JSON: fall through
  }
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `HTTP ${code}: ${text.slice(0, 200).trim()}`, reason: '', code };
}

const LEASE_API = '/apis/coordination.k8s.io/v1';
const STORAGE_API = '/apis/storage.k8s.io/v1';
const seg = encodeURIComponent;

/** The calls nodelet makes, and only those: each matches a kubelet call and its content type. */
export class KubeClient {
  readonly #t: KubeTransport;

  constructor(transport: KubeTransport) {
    this.#t = transport;
  }

  get server(): string {
    return this.#t.server;
  }

  close(): void {
    this.#t.close();
  }

  getNode(name: string): Promise<Node> {
    return this.#t.request({ method: 'GET', path: `/api/v1/nodes/${seg(name)}` });
  }

  createNode(node: Node): Promise<Node> {
    return this.#t.request({ method: 'POST', path: '/api/v1/nodes', body: node });
  }

  /** Metadata (labels) of the node: a JSON merge patch. */
  patchNode(name: string, patch: unknown, type: PatchType = 'merge'): Promise<Node> {
    return this.#t.request({ method: 'PATCH', path: `/api/v1/nodes/${seg(name)}`, body: patch, contentType: PATCH_CONTENT_TYPE[type] });
  }

  /** nodes/<name>/status, strategic merge patch (nodeutil.PatchNodeStatus). */
  patchNodeStatus(name: string, patch: unknown): Promise<Node> {
    return this.#t.request({ method: 'PATCH', path: `/api/v1/nodes/${seg(name)}/status`, body: patch, contentType: PATCH_CONTENT_TYPE.strategic });
  }

  getLease(namespace: string, name: string): Promise<Lease> {
    return this.#t.request({ method: 'GET', path: `${LEASE_API}/namespaces/${seg(namespace)}/leases/${seg(name)}` });
  }

  createLease(lease: Lease): Promise<Lease> {
    const ns = lease.metadata?.namespace ?? '';
    return this.#t.request({ method: 'POST', path: `${LEASE_API}/namespaces/${seg(ns)}/leases`, body: lease });
  }

  /** PUT with the lease's resourceVersion: a stale one gets 409 Conflict. */
  updateLease(lease: Lease): Promise<Lease> {
    const ns = lease.metadata?.namespace ?? '';
    const name = lease.metadata?.name ?? '';
    return this.#t.request({ method: 'PUT', path: `${LEASE_API}/namespaces/${seg(ns)}/leases/${seg(name)}`, body: lease });
  }

  /** The pods bound to this node: the only pod list the Node authorizer allows a node. */
  async listNodePods(nodeName: string): Promise<Pod[]> {
    return (await this.listNodePodsVersioned(nodeName)).items;
  }

  /** The same LIST with the list's resourceVersion, where a watch starts. */
  async listNodePodsVersioned(nodeName: string): Promise<{ items: Pod[]; resourceVersion: string }> {
    const list = await this.#t.request<PodList>({ method: 'GET', path: '/api/v1/pods', query: { fieldSelector: `spec.nodeName=${nodeName}` } });
    return { items: list.items ?? [], resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  /**
   * WATCH of the node's pods from `resourceVersion` (the reflector's ListAndWatch, with the
   * Node authorizer's only allowed selector); undefined when the transport cannot stream.
   */
  watchNodePods(nodeName: string, resourceVersion: string, timeoutSeconds: number, onEvent: (e: WatchEvent<Pod>) => void): WatchHandle | undefined {
    const query = { fieldSelector: `spec.nodeName=${nodeName}`, watch: 'true', allowWatchBookmarks: 'true', timeoutSeconds: String(timeoutSeconds), ...(resourceVersion ? { resourceVersion } : {}) };
    return this.#t.watch?.<Pod>({ method: 'GET', path: '/api/v1/pods', query }, onEvent);
  }

  getCSINode(name: string): Promise<CsiNode> {
    return this.#t.request({ method: 'GET', path: `${STORAGE_API}/csinodes/${seg(name)}` });
  }

  createCSINode(csiNode: CsiNode): Promise<CsiNode> {
    return this.#t.request({ method: 'POST', path: `${STORAGE_API}/csinodes`, body: csiNode });
  }

  /** PUT with the object's resourceVersion: a stale one gets 409 Conflict. */
  updateCSINode(csiNode: CsiNode): Promise<CsiNode> {
    return this.#t.request({ method: 'PUT', path: `${STORAGE_API}/csinodes/${seg(csiNode.metadata.name)}`, body: csiNode });
  }

  createPod(pod: Pod): Promise<Pod> {
    const ns = pod.metadata?.namespace ?? 'default';
    return this.#t.request({ method: 'POST', path: `/api/v1/namespaces/${seg(ns)}/pods`, body: pod });
  }

  /** DELETE with gracePeriodSeconds 0 and, when given, a UID precondition (DeleteMirrorPod). */
  /** DELETE with a UID precondition; grace 0 removes the object, more sets its deletionTimestamp. */
  deletePod(namespace: string, name: string, uid?: string, gracePeriodSeconds = 0): Promise<Pod> {
    const body = { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds, ...(uid ? { preconditions: { uid } } : {}) };
    return this.#t.request({ method: 'DELETE', path: `/api/v1/namespaces/${seg(namespace)}/pods/${seg(name)}`, body });
  }

  /** pods/<name>/status, strategic merge patch carrying metadata.uid (statusutil.PatchPodStatus). */
  patchPodStatus(namespace: string, name: string, patch: unknown): Promise<Pod> {
    return this.#t.request({ method: 'PATCH', path: `/api/v1/namespaces/${seg(namespace)}/pods/${seg(name)}/status`, body: patch, contentType: PATCH_CONTENT_TYPE.strategic });
  }

  createEvent(event: Event): Promise<Event> {
    const ns = event.metadata?.namespace ?? 'default';
    return this.#t.request({ method: 'POST', path: `/api/v1/namespaces/${seg(ns)}/events`, body: event });
  }

  /** An aggregated event: count, lastTimestamp, message (the recorder's strategic merge patch). */
  patchEvent(namespace: string, name: string, patch: unknown): Promise<Event> {
    return this.#t.request({ method: 'PATCH', path: `/api/v1/namespaces/${seg(namespace)}/events/${seg(name)}`, body: patch, contentType: PATCH_CONTENT_TYPE.strategic });
  }
}
