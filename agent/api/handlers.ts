// HTTP handlers of the local API: JSON views from the backend, the log stream, and errors as
// Kubernetes Status objects. Upgrades (exec) are in exec-handler.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { Registry } from 'prom-client';
import type { Logger } from '../log/logger.js';
import { errorMessage } from '../core/errors.js';
import { ApiError, type ApiBackend, type LogOptions } from './backend.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { failureStatus, notFoundMessage, type KubeStatus } from './kube-status.js';
import { containerHasTty, findPod, matchRoute, parseLogQuery, ROUTE_METHODS, UNKNOWN_PATH_MESSAGE, type RouteMatch } from './routes.js';
import { FRAME, FrameDecoder } from './stream-frames.js';
import type { DaemonSetEditRequest } from '../daemonset/controller.js';
import { goArch } from '../node/node-model.js';
import { admit, type AccessPolicy } from './access-guard.js';
import type { AuditDetails } from './audit.js';

export interface HandlerDeps {
  readonly backend: ApiBackend;
  /** nodelet's version, for GET /version. */
  readonly version: string;
  /** When set, GET /metrics on the socket serves it too. */
  readonly registry?: Registry;
  readonly logger?: Logger;
  /** Which socket this is (admin or read-only) and how callers of writes and execs are identified. */
  readonly access: AccessPolicy;
}

/** Maps any thrown value to a Status: ApiError keeps its code, anything else is a 500. */
export function toStatus(err: unknown): KubeStatus {
  if (err instanceof ApiError) return failureStatus(err.status, err.message);
  return failureStatus(500, errorMessage(err));
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendText(res: ServerResponse, code: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendStatus(res: ServerResponse, err: unknown): void {
  const status = toStatus(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status.code, status);
}

/** Kubernetes' /version shape, with nodelet's own version and Node's in place of Go's. */
export function versionInfo(version: string): Record<string, string> {
  const [major = '0', minor = '0'] = version.split('.');
  return { major, minor, gitVersion: `v${version}`, nodeVersion: process.version, platform: `${process.platform}/${goArch(process.arch)}` };
}

function list(kind: string, items: readonly unknown[], apiVersion = 'v1'): Record<string, unknown> {
  return { kind, apiVersion, metadata: { resourceVersion: '' }, items };
}

export function createRequestHandler(deps: HandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void admitted(deps, req, res).catch((err: unknown) => {
      const status = toStatus(err);
      if (status.code >= 500) deps.logger?.error({ err, method: req.method, url: req.url }, 'API request failed');
      sendStatus(res, err);
    });
  };
}

/** Passes the access gate, then handles; an audited request is logged once its answer is sent. */
async function admitted(deps: HandlerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://nodelet');
  const match = matchRoute(url.pathname);
  const trail = await admit(deps.access, deps.logger, req, url, match);
  if (trail !== undefined) res.once('close', () => trail.finish(res.headersSent ? res.statusCode : 0));
  await handle(deps, req, res, url, match, trail?.details ?? {});
}

async function handle(deps: HandlerDeps, req: IncomingMessage, res: ServerResponse, url: URL, match: RouteMatch | undefined, details: AuditDetails): Promise<void> {
  if (match === undefined) throw new ApiError(404, UNKNOWN_PATH_MESSAGE);
  const method = req.method ?? 'GET';
  if (!ROUTE_METHODS[match.route].includes(method)) throw new ApiError(405, `the server does not allow this method on the requested resource`);
  const { backend } = deps;
  switch (match.route) {
    case 'pods': {
      const pods = backend.listPods().filter((p) => match.namespace === undefined || p.metadata?.namespace === match.namespace);
      sendJson(res, 200, list('PodList', pods));
      return;
    }
    case 'pod':
      return handlePod(backend, match, method, res);
    case 'log':
      return streamLogs(deps, match, url.searchParams, res);
    case 'exec':
      throw new ApiError(400, 'Upgrade request required');
    case 'events': {
      const events = backend.listEvents().filter((e) => match.namespace === undefined || (e.involvedObject.namespace || 'default') === match.namespace);
      sendJson(res, 200, list('EventList', events, 'nodelet/v1'));
      return;
    }
    case 'node':
      sendJson(res, 200, { apiVersion: 'v1', kind: 'Node', ...backend.node() });
      return;
    case 'csiNode':
      sendJson(res, 200, required(backend.csiNode?.bind(backend))());
      return;
    case 'manifests':
      sendJson(res, 200, list('ManifestFileList', backend.manifests(), 'nodelet/v1'));
      return;
    case 'version':
      sendJson(res, 200, versionInfo(deps.version));
      return;
    case 'healthz': {
      const health = backend.healthy();
      sendText(res, health.ok ? 200 : 503, health.ok ? 'ok' : (health.reason ?? 'unhealthy'));
      return;
    }
    case 'readyz': {
      const ready = backend.ready();
      sendText(res, ready ? 200 : 503, ready ? 'ok' : 'not ready');
      return;
    }
    case 'metrics':
      if (deps.registry === undefined) throw new ApiError(404, UNKNOWN_PATH_MESSAGE);
      sendText(res, 200, await deps.registry.metrics(), deps.registry.contentType);
      return;
    case 'daemonsets': {
      const all = required(backend.listDaemonSets?.bind(backend))();
      sendJson(res, 200, list('DaemonSetList', all.filter((d) => match.namespace === undefined || d.metadata?.namespace === match.namespace), 'apps/v1'));
      return;
    }
    case 'daemonset': {
      const ds = required(backend.listDaemonSets?.bind(backend))().find((d) => d.metadata?.namespace === match.namespace && d.metadata.name === match.name);
      if (!ds) throw new ApiError(404, notFoundMessage('daemonsets.apps', match.name));
      sendJson(res, 200, ds);
      return;
    }
    case 'controllerrevisions': {
      const all = required(backend.listControllerRevisions?.bind(backend))();
      sendJson(res, 200, list('ControllerRevisionList', all.filter((r) => match.namespace === undefined || r.metadata?.namespace === match.namespace), 'apps/v1'));
      return;
    }
    case 'daemonsetRevisions':
      sendJson(res, 200, list('DaemonSetRevisionList', required(backend.daemonSetRevisions?.bind(backend))(match.namespace, match.name), 'nodelet.io/v1'));
      return;
    case 'daemonsetEdit': {
      const body = await readJsonBody(req);
      const request = parseEditRequest(body['request']);
      const cause = typeof body['changeCause'] === 'string' ? body['changeCause'] : undefined;
      details.request = request;
      if (cause !== undefined) details.changeCause = cause;
      const message = await required(backend.editDaemonSet?.bind(backend))(match.namespace, match.name, request, cause);
      sendJson(res, 200, { message });
      return;
    }
    case 'nodeLabels':
    case 'nodeTaints': {
      const body = await readJsonBody(req);
      const specs = Array.isArray(body['specs']) ? body['specs'].filter((x): x is string => typeof x === 'string') : [];
      const overwrite = body['overwrite'] === true;
      details.specs = specs;
      details.overwrite = overwrite;
      const out =
        match.route === 'nodeLabels'
          ? await required(backend.labelNode?.bind(backend))(specs, overwrite)
          : { notices: [], ...(await required(backend.taintNode?.bind(backend))(specs, overwrite)) };
      sendJson(res, 200, out);
      return;
    }
  }
}

function required<F>(fn: F | undefined): F {
  if (fn === undefined) throw new ApiError(404, UNKNOWN_PATH_MESSAGE);
  return fn;
}

const MAX_BODY = 1 << 20;

async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += b.length;
    if (size > MAX_BODY) throw new ApiError(413, 'request body too large');
    chunks.push(b);
  }
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ApiError(400, 'the request body must be a JSON object');
}

function parseEditRequest(v: unknown): DaemonSetEditRequest {
  const r = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  if (r['action'] === 'undo') return { action: 'undo', toRevision: typeof r['toRevision'] === 'number' ? r['toRevision'] : 0 };
  if (r['action'] === 'restart') return { action: 'restart' };
  if (r['action'] === 'setImage' && Array.isArray(r['images'])) {
    const images = r['images'].flatMap((i: unknown) => {
      const o = (typeof i === 'object' && i !== null ? i : {}) as Record<string, unknown>;
      return typeof o['container'] === 'string' && typeof o['image'] === 'string' ? [{ container: o['container'], image: o['image'] }] : [];
    });
    return { action: 'setImage', images };
  }
  throw new ApiError(400, 'unknown edit request');
}

async function handlePod(backend: ApiBackend, match: Extract<RouteMatch, { route: 'pod' }>, method: string, res: ServerResponse): Promise<void> {
  const pod = findPod(backend.listPods(), match.namespace, match.name);
  if (method === 'DELETE') await backend.deletePod(match.namespace, match.name);
  sendJson(res, 200, { apiVersion: 'v1', kind: 'Pod', ...pod });
}

function toBuffer(chunk: unknown): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
}

function destroyStream(stream: NodeJS.ReadableStream): void {
  const destroyable = stream as NodeJS.ReadableStream & { destroy?: () => void };
  destroyable.destroy?.();
}

/** Chunked text/plain; a follow lasts until the container's stream ends or the client leaves. */
async function streamLogs(deps: HandlerDeps, match: Extract<RouteMatch, { route: 'log' }>, query: URLSearchParams, res: ServerResponse): Promise<void> {
  const pod = findPod(deps.backend.listPods(), match.namespace, match.name);
  const opts = parseLogQuery(query, pod);
  await writeLogStream(deps.backend, deps.logger, pod, opts, res);
}

/**
 * Streams a container's log to `res` (shared with the kubelet endpoint): chunked text/plain,
 * stdout and stderr demultiplexed unless the container has a TTY, cut at limitBytes. The
 * backend's errors (no previous instance, ...) are thrown before anything is written.
 */
export async function writeLogStream(backend: ApiBackend, logger: Logger | undefined, pod: Pod, opts: LogOptions, res: ServerResponse): Promise<void> {
  const namespace = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  const abort = new AbortController();
  res.once('close', () => abort.abort());
  const stream = await backend.logs(namespace, name, opts, abort.signal);
  abort.signal.addEventListener('abort', () => destroyStream(stream), { once: true });
  if (abort.signal.aborted) {
    destroyStream(stream);
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' });
  res.flushHeaders();
  const decoder = containerHasTty(pod, opts.container) ? undefined : new FrameDecoder();
  // limitBytes: the kubelet's LimitedWriter stops the copy after N bytes, mid-line if need be.
  let budget = opts.limitBytes ?? Number.POSITIVE_INFINITY;
  try {
    for await (const chunk of stream) {
      if (res.destroyed) break;
      const data = toBuffer(chunk);
      const out = decoder === undefined ? [data] : decoder.push(data).filter((f) => f.type === FRAME.stdout || f.type === FRAME.stderr).map((f) => f.payload);
      for (const whole of out) {
        const piece = whole.length > budget ? whole.subarray(0, budget) : whole;
        budget -= piece.length;
        if (!res.write(piece)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
      }
      if (budget <= 0) {
        abort.abort();
        break;
      }
    }
  } catch (err) {
    // The client left (the stream was destroyed) or Docker broke off: nothing to report to anyone
    // but the log, and only for the latter.
    if (!abort.signal.aborted) logger?.warn({ err, pod: `${namespace}/${name}` }, 'log stream failed');
  }
  if (!res.destroyed) res.end();
}
