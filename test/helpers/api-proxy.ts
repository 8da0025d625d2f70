// An HTTPS front for FakeApiServer with the two things kube-apiserver does that the fake
// refuses (test/fake-apiserver is owned elsewhere; this stays outside it):
//
// - `$setElementOrder/<list>` in strategic merge patches: kube-apiserver uses it only to order
//   the merged list. The proxy checks its shape (a list of `{<mergeKey>: value}` maps naming the
//   patch's own elements) and strips it before the fake applies the rest; a malformed
//   directive gets the 400 kube-apiserver would give.
// - watch of the node's pods (`GET /api/v1/pods?watch=1&fieldSelector=spec.nodeName=<n>`):
//   served from the fake's store, polled every 20 ms, as newline-delimited watch events
//   (ADDED/MODIFIED/DELETED) after the resourceVersion asked for, until `timeoutSeconds`.
//   The Node authorizer's rule applies (only the caller's own node).
//
// Everything else is forwarded to the fake unchanged, as the same identity: the proxy requires a
// client certificate from the fake's CA and forwards with the matching key pair, which it
// knows because it wrote the kubeconfig (writeKubeconfig). pause() is an outage of both.
import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { FakeApiServer, KubeconfigOptions, WrittenKubeconfig } from '../fake-apiserver/fake-apiserver.js';
import type { CertPair } from '../fake-apiserver/pki.js';
import { listenMutualTls } from '../fake-apiserver/tls-listen.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Removes `$setElementOrder/<list>` keys after checking them; throws a message for a 400. */
export function stripSetElementOrder(patch: Json): Json {
  if (Array.isArray(patch)) return patch.map(stripSetElementOrder);
  if (!isObject(patch)) return patch;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(patch)) {
    if (!k.startsWith('$setElementOrder/')) {
      out[k] = stripSetElementOrder(v);
      continue;
    }
    const list = k.slice('$setElementOrder/'.length);
    if (!Array.isArray(v) || !v.every((e) => isObject(e) && Object.keys(e).length === 1)) throw new Error(`invalid $setElementOrder/${list}: each element must be a map with only the merge key`);
    const elements = patch[list];
    if (Array.isArray(elements)) {
      const named = new Set(v.map((e) => JSON.stringify(Object.values(e as JsonObject)[0])));
      for (const e of elements) {
        if (!isObject(e) || e.$patch === 'delete') continue;
        const key = Object.keys((v[0] as JsonObject | undefined) ?? {})[0];
        if (key && !named.has(JSON.stringify(e[key]))) throw new Error(`$setElementOrder/${list} does not name ${key}=${JSON.stringify(e[key])} of the patch`);
      }
    }
  }
  return out;
}

export class ApiProxy {
  readonly fake: FakeApiServer;
  /** Watch requests served (they are not in fake.requests). */
  readonly watches: { readonly at: number; readonly query: Record<string, string> }[] = [];
  /** Every event the watches sent (type and pod UID), so a test can wait for one. */
  readonly watchEvents: { readonly type: string; readonly uid: string }[] = [];
  /** Strategic patches that carried a $setElementOrder directive. */
  readonly setElementOrderPatches: { readonly path: string; readonly body: Json }[] = [];
  readonly #identities = new Map<string, CertPair>();
  readonly #sockets = new Set<Socket>();
  readonly #watchEnds = new Set<() => void>();
  #server?: https.Server;
  #port = 0;

  private constructor(fake: FakeApiServer) {
    this.fake = fake;
  }

  static async start(fake: FakeApiServer): Promise<ApiProxy> {
    const p = new ApiProxy(fake);
    await p.#listen();
    return p;
  }

  get url(): string {
    return `https://127.0.0.1:${this.#port}`;
  }

  /** A kubeconfig for the proxy (the fake issues the certificate). */
  async writeKubeconfig(opts: KubeconfigOptions): Promise<WrittenKubeconfig> {
    const written = await this.fake.writeKubeconfig({ ...opts, server: this.url });
    this.#identities.set(new X509Certificate(written.client.cert).fingerprint256, written.client);
    return written;
  }

  /** An outage of the API server: the fake and the proxy stop listening, connections are cut. */
  async pause(): Promise<void> {
    await this.fake.pause();
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    for (const end of this.#watchEnds) end();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    await closed;
  }

  async resume(): Promise<void> {
    await this.fake.resume();
    await this.#listen();
  }

  async close(): Promise<void> {
    await this.pause();
    await this.fake.close();
  }

  async #listen(): Promise<void> {
    if (this.#server) return;
    const { server, port } = await listenMutualTls(this.fake.pki, this.#port, this.#sockets, (req, res) => void this.#handle(req, res));
    this.#port = port;
    this.#server = server;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const cert = (req.socket as TLSSocket).getPeerCertificate();
    const identity = this.#identities.get(cert.fingerprint256);
    const user = String(cert.subject?.CN ?? '');
    const url = new URL(req.url ?? '/', 'https://proxy');
    const query = Object.fromEntries(url.searchParams.entries());
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body = Buffer.concat(chunks);
    if (!identity) return status(res, 401, 'Unauthorized', 'Unauthorized');
    if (req.method === 'GET' && url.pathname === '/api/v1/pods' && (query.watch === 'true' || query.watch === '1')) return this.#watchPods(user, query, res);
    if (req.method === 'PATCH' && (req.headers['content-type'] ?? '').startsWith('application/strategic-merge-patch+json') && body.includes('$setElementOrder/')) {
      try {
        const parsed = JSON.parse(body.toString('utf8')) as Json;
        this.setElementOrderPatches.push({ path: url.pathname, body: parsed });
        body = Buffer.from(JSON.stringify(stripSetElementOrder(parsed)));
      } catch (err) {
        return status(res, 400, 'BadRequest', err instanceof Error ? err.message : String(err));
      }
    }
    const headers = { ...req.headers, 'content-length': String(body.length) };
    delete headers.host;
    const upstream = https.request(`${this.fake.url}${req.url ?? '/'}`, { method: req.method, headers, cert: identity.cert, key: identity.key, ca: this.fake.pki.ca.cert }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    // The fake is down: the caller sees its connection cut, as with an absent server.
    upstream.on('error', () => req.socket.destroy());
    upstream.end(body);
  }

  #watchPods(user: string, query: Record<string, string>, res: ServerResponse): void {
    const node = /^spec\.nodeName=(.+)$/.exec(query.fieldSelector ?? '')?.[1];
    if (!node || user !== `system:node:${node}`) {
      return status(res, 403, 'Forbidden', `pods is forbidden: User "${user}" cannot watch resource "pods" in API group "" at the cluster scope: can only list/watch pods with spec.nodeName field selector`);
    }
    this.watches.push({ at: Date.now(), query });
    const since = Number(query.resourceVersion ?? '0');
    const seen = new Map<string, { rv: number; pod: JsonObject }>();
    const mine = (): JsonObject[] => this.fake.list('pods').filter((p) => isObject(p.spec) && p.spec.nodeName === node);
    const rvOf = (p: JsonObject): number => Number(isObject(p.metadata) ? p.metadata.resourceVersion : 0);
    const uidOf = (p: JsonObject): string => String(isObject(p.metadata) ? p.metadata.uid : '');
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    const send = (type: string, object: JsonObject): void => {
      this.watchEvents.push({ type, uid: uidOf(object) });
      res.write(`${JSON.stringify({ type, object: { apiVersion: 'v1', kind: 'Pod', ...object } })}\n`);
    };
    for (const p of mine()) {
      seen.set(uidOf(p), { rv: rvOf(p), pod: p });
      if (rvOf(p) > since) send('MODIFIED', p);
    }
    const poll = setInterval(() => {
      const now = new Map(mine().map((p) => [uidOf(p), p]));
      for (const [uid, p] of now) {
        const prev = seen.get(uid);
        if (!prev) send('ADDED', p);
        else if (rvOf(p) !== prev.rv) send('MODIFIED', p);
        seen.set(uid, { rv: rvOf(p), pod: p });
      }
      for (const [uid, prev] of seen) {
        if (now.has(uid)) continue;
        seen.delete(uid);
        send('DELETED', prev.pod);
      }
    }, 20);
    const end = (): void => {
      clearInterval(poll);
      clearTimeout(timer);
      this.#watchEnds.delete(end);
      res.end();
    };
    const timer = setTimeout(end, Number(query.timeoutSeconds ?? '1800') * 1000);
    this.#watchEnds.add(end);
    res.on('close', end);
  }
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }));
}
