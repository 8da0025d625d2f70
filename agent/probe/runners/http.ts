// HTTP GET for probes and lifecycle hooks (pkg/probe/http request.go + http.go, and
// lifecycle/handlers.go runHTTPHandler): kubelet's request (URL from scheme/host/port/path,
// canonical headers, `User-Agent: kube-probe/1.30`, `Accept: */*`), redirects followed only
// to the same host (at most 10), a body read limit of 10 KiB, certificates not verified, no
// keep-alive, and Go's error texts. Header values are never logged: they may carry tokens.
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Container, HTTPGetAction } from 'kubernetes-types/core/v1.js';
import { dialErrorMessage, joinHostPort, kubeUserAgent, MAX_PROBE_OUTPUT_BYTES, NO_POD_IP_MESSAGE, resolveContainerPort, type ProbeOutcome } from '../target.js';

export interface HttpGetRequest {
  readonly url: URL;
  /** Canonical header name → values, in the order the spec gave them. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
}

export type HttpRequestBuild =
  | { readonly ok: true; readonly request: HttpGetRequest }
  /** No host in the handler and the pod has no address. */
  | { readonly ok: false; readonly reason: 'no-host'; readonly message: string }
  /** The handler cannot be turned into a request (unknown port name, bad URL). */
  | { readonly ok: false; readonly reason: 'invalid'; readonly message: string };

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** textproto.CanonicalMIMEHeaderKey: `x-auth-token` → `X-Auth-Token`; invalid names stay as written. */
export function canonicalHeaderName(name: string): string {
  if (!TOKEN.test(name)) return name;
  return name
    .toLowerCase()
    .split('-')
    .map((part) => (part ? part[0]!.toUpperCase() + part.slice(1) : part))
    .join('-');
}

/** NewRequestForHTTPGetAction. `defaultHost` is the pod's address (undefined: it has none). */
export function buildHttpGetRequest(
  action: HTTPGetAction,
  container: Pick<Container, 'ports'>,
  defaultHost: string | undefined,
  purpose: 'probe' | 'lifecycle',
): HttpRequestBuild {
  const scheme = (action.scheme ?? 'HTTP').toLowerCase() || 'http';
  const host = action.host || defaultHost;
  const port = resolveContainerPort(action.port, container, { numericStrings: purpose === 'lifecycle' });
  if (!port.ok) return { ok: false, reason: 'invalid', message: port.error };
  if (!host) return { ok: false, reason: 'no-host', message: NO_POD_IP_MESSAGE };
  let path = action.path ?? '';
  if (path !== '' && !path.startsWith('/')) path = `/${path}`;
  let url: URL;
  try {
    url = new URL(`${scheme}://${joinHostPort(host, port.port)}${path}`);
  } catch {
    return { ok: false, reason: 'invalid', message: `parse "${scheme}://${joinHostPort(host, port.port)}${path}": invalid URL` };
  }
  const headers = new Map<string, string[]>();
  for (const h of action.httpHeaders ?? []) {
    const name = canonicalHeaderName(h.name);
    headers.set(name, [...(headers.get(name) ?? []), h.value]);
  }
  if (!headers.has('User-Agent')) headers.set('User-Agent', [kubeUserAgent(purpose)]);
  if (!headers.has('Accept')) headers.set('Accept', ['*/*']);
  else if ((headers.get('Accept')?.[0] ?? '') === '') headers.delete('Accept');
  return { ok: true, request: { url, headers } };
}

export interface HttpGetResponse {
  readonly statusCode: number;
  /** At most 10 KiB of the body (empty when not asked for). */
  readonly body: string;
  /** The URL that answered (after same-host redirects). */
  readonly url: URL;
}

/** A request that got no response, worded as Go's url.Error (`Get "<url>": <cause>`). */
export class HttpGetError extends Error {
  /** The response came but its body could not be read (kubelet: a probe error, not a failure). */
  readonly whileReadingBody: boolean;
  constructor(message: string, whileReadingBody = false) {
    super(message);
    this.name = 'HttpGetError';
    this.whileReadingBody = whileReadingBody;
  }
}

const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);
/** Go's http.Client default: a CheckRedirect with 10 requests behind it fails. */
const MAX_REQUESTS = 10;

/**
 * One GET, following redirects to the same host. Rejects with HttpGetError for anything that
 * is not a response, and with the signal's reason when `signal` aborts.
 */
export async function httpGet(req: HttpGetRequest, opts: { timeoutMs?: number; signal?: AbortSignal; readBody: boolean }): Promise<HttpGetResponse> {
  const deadline = opts.timeoutMs !== undefined ? AbortSignal.timeout(opts.timeoutMs) : undefined;
  const signals = [deadline, opts.signal].filter((s): s is AbortSignal => s !== undefined);
  const signal = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
  let url = req.url;
  for (let sent = 1; ; sent++) {
    const res = await getOnce(url, req.headers, { signal, deadline, outer: opts.signal, readBody: opts.readBody });
    const location = res.location;
    if (!REDIRECT_CODES.has(res.statusCode) || location === undefined) return res;
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new HttpGetError(`Get ${JSON.stringify(url.href)}: failed to parse Location header ${JSON.stringify(location)}`);
    }
    // RedirectChecker(followNonLocalRedirects=false): another host ends the chain on this response.
    if (next.hostname !== req.url.hostname) return res;
    if (sent >= MAX_REQUESTS) throw new HttpGetError(`Get ${JSON.stringify(next.href)}: stopped after 10 redirects`);
    url = next;
  }
}

interface OnceOptions {
  readonly signal?: AbortSignal;
  readonly deadline?: AbortSignal;
  readonly outer?: AbortSignal;
  readonly readBody: boolean;
}

function nodeHeaders(headers: ReadonlyMap<string, readonly string[]>): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, values] of headers) {
    // Go sends the Host header as the request's Host, once.
    if (name === 'Host') out.Host = values[0] ?? '';
    else out[name] = values.length === 1 ? (values[0] ?? '') : [...values];
  }
  return out;
}

function getOnce(url: URL, headers: ReadonlyMap<string, readonly string[]>, opts: OnceOptions): Promise<HttpGetResponse & { location?: string }> {
  const quoted = JSON.stringify(url.href);
  const hostPort = joinHostPort(url.hostname.replace(/^\[|\]$/g, ''), Number(url.port || (url.protocol === 'https:' ? 443 : 80)));
  return new Promise((resolve, reject) => {
    let gotResponse = false;
    const fail = (err: unknown): void => {
      if (opts.outer?.aborted) return reject(opts.outer.reason);
      if (opts.deadline?.aborted) {
        const when = gotResponse ? 'Client.Timeout or context cancellation while reading body' : 'Client.Timeout exceeded while awaiting headers';
        return reject(new HttpGetError(`Get ${quoted}: context deadline exceeded (${when})`, gotResponse));
      }
      const code = (err as NodeJS.ErrnoException).code;
      const cause = code === 'EPROTO' && url.protocol === 'https:' ? 'http: server gave HTTP response to HTTPS client' : dialErrorMessage(err, hostPort);
      reject(new HttpGetError(`Get ${quoted}: ${cause}`, gotResponse));
    };
    if (opts.signal?.aborted) return fail(opts.signal.reason);
    const onResponse = (res: IncomingMessage): void => {
      gotResponse = true;
      const chunks: Buffer[] = [];
      let size = 0;
      let settled = false;
      const done = (): void => {
        if (settled) return;
        settled = true;
        res.destroy();
        const location = res.headers.location;
        resolve({ statusCode: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), url, ...(location !== undefined ? { location } : {}) });
      };
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        const room = MAX_PROBE_OUTPUT_BYTES - size;
        if (opts.readBody) chunks.push(chunk.subarray(0, room));
        size += chunk.length;
        // utilio.ReadAtMost: a longer body is truncated, not an error.
        if (size >= MAX_PROBE_OUTPUT_BYTES) done();
      });
      res.on('end', done);
      res.on('error', (err) => {
        if (!settled) {
          settled = true;
          fail(err);
        }
      });
      res.on('aborted', () => {
        if (!settled) {
          settled = true;
          fail(new Error('unexpected EOF'));
        }
      });
    };
    let req;
    try {
      const options = { method: 'GET', headers: nodeHeaders(headers), agent: false as const, signal: opts.signal };
      req = url.protocol === 'https:' ? httpsRequest(url, { ...options, rejectUnauthorized: false }, onResponse) : httpRequest(url, options, onResponse);
    } catch (err) {
      // e.g. a header value with a newline: Go refuses such a request too.
      return reject(new HttpGetError(`Get ${quoted}: ${(err as Error).message}`));
    }
    req.on('error', (err) => {
      if (!gotResponse) fail(err);
    });
    req.end();
  });
}

/** pkg/probe/http DoHTTPProbe with statusCodeChecker. Rejects only when `signal` aborts. */
export async function runHttpProbe(req: HttpGetRequest, timeoutMs: number, signal?: AbortSignal): Promise<ProbeOutcome> {
  let res: HttpGetResponse;
  try {
    res = await httpGet(req, { timeoutMs, signal, readBody: true });
  } catch (err) {
    if (signal?.aborted) throw err;
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof HttpGetError && err.whileReadingBody) return { result: 'failure', output: '', error: message };
    return { result: 'failure', output: message };
  }
  if (res.statusCode >= 200 && res.statusCode < 400) {
    if (res.statusCode >= 300) return { result: 'warning', output: `Probe terminated redirects, Response body: ${res.body}` };
    return { result: 'success', output: res.body };
  }
  // Until issue 99425 is settled kubelet keeps the body out of the user-facing message.
  return { result: 'failure', output: `HTTP probe failed with statuscode: ${res.statusCode}` };
}

/** A handler whose request could not be built: no address is a failure, a bad spec an error. */
export function unbuildableOutcome(build: Extract<HttpRequestBuild, { ok: false }>): ProbeOutcome {
  return build.reason === 'no-host' ? { result: 'failure', output: build.message } : { result: 'unknown', output: '', error: build.message };
}
