// Pure: the kubelet endpoint's paths and queries, parsed and checked as server.go does
// (getContainerLogs, getExec/getAttach with remotecommandserver.NewOptions, getPortForward),
// with the kubelet's status codes and bodies.
import { parseRfc3339 } from '../core/time-format.js';
import type { RemoteCommandStreams } from './ports.js';

/** A request the kubelet answers with an error: status and the plain-text body go-restful writes. */
export class KubeletHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(body);
    this.name = 'KubeletHttpError';
  }
}

/** v1 PodLogOptions as the kubelet decodes it from the query (DecodeParameters into v1). */
export interface KubeletLogOptions {
  readonly follow: boolean;
  readonly previous: boolean;
  readonly timestamps: boolean;
  readonly sinceSeconds?: number;
  readonly sinceTime?: string;
  readonly tailLines?: number;
  readonly limitBytes?: number;
}

const BAD_QUERY = new KubeletHttpError(400, '{"message": "Unable to decode query."}');
const INVALID = new KubeletHttpError(422, '{"message": "Invalid request."}');

/** runtime.Convert_Slice_string_To_bool: absent is false; "0" and "false" (any case) are false; anything else true. */
function queryBool(values: readonly string[]): boolean {
  const first = values[0];
  if (first === undefined) return false;
  return !(first === '0' || first.toLowerCase() === 'false');
}

/** Convert_Slice_string_To_Pointer_int64: absent or "" is nil; otherwise strconv.ParseInt or a decode error. */
function queryInt(values: readonly string[]): number | undefined {
  const first = values[0];
  if (first === undefined || first === '') return undefined;
  if (!/^[+-]?\d+$/.test(first)) throw BAD_QUERY;
  const n = Number(first);
  if (!Number.isSafeInteger(n)) throw BAD_QUERY;
  return n;
}

/** The legacy `tail` parameter: rewritten to tailLines; `tail=all` removes it. */
function tailLinesValues(query: URLSearchParams): string[] {
  const tail = query.get('tail');
  if (tail !== null && tail !== '') return tail === 'all' ? [] : [tail];
  return query.getAll('tailLines');
}

/**
 * PodLogOptions from the query: 400 `Unable to decode query.` when a value does not convert,
 * 422 `Invalid request.` when ValidatePodLogOptions rejects it (negative tailLines, sinceSeconds
 * or limitBytes below 1, both sinceSeconds and sinceTime).
 */
export function parseContainerLogsQuery(query: URLSearchParams): KubeletLogOptions {
  const tailLines = queryInt(tailLinesValues(query));
  const sinceSeconds = queryInt(query.getAll('sinceSeconds'));
  const limitBytes = queryInt(query.getAll('limitBytes'));
  const sinceRaw = query.getAll('sinceTime')[0];
  const sinceTime = sinceRaw === undefined || sinceRaw === '' ? undefined : sinceRaw;
  if (sinceTime !== undefined && parseRfc3339(sinceTime) === undefined) throw BAD_QUERY;
  const stream = query.getAll('stream')[0];
  if (tailLines !== undefined && tailLines < 0) throw INVALID;
  if (sinceSeconds !== undefined && sinceSeconds < 1) throw INVALID;
  if (limitBytes !== undefined && limitBytes < 1) throw INVALID;
  if (sinceSeconds !== undefined && sinceTime !== undefined) throw INVALID;
  // PodLogsQuerySplitStreams is off (alpha): any stream but All is refused, as the kubelet does.
  if (stream !== undefined && stream !== '' && stream !== 'All') {
    if (stream !== 'Stdout' && stream !== 'Stderr') throw INVALID;
    throw new KubeletHttpError(400, `unable to return the given log stream: "${stream}". Please enable PodLogsQuerySplitStreams feature gate in kubelet`);
  }
  return {
    follow: queryBool(query.getAll('follow')),
    previous: queryBool(query.getAll('previous')),
    timestamps: queryBool(query.getAll('timestamps')),
    ...(sinceSeconds === undefined ? {} : { sinceSeconds }),
    ...(sinceTime === undefined ? {} : { sinceTime }),
    ...(tailLines === undefined ? {} : { tailLines }),
    ...(limitBytes === undefined ? {} : { limitBytes }),
  };
}

/**
 * remotecommandserver.NewOptions: each of `input`, `output`, `error`, `tty` is on only when its
 * (first) value is exactly "1"; a tty turns stderr off; at least one stream is required.
 */
export function parseStreamOptions(query: URLSearchParams): RemoteCommandStreams {
  const on = (key: string): boolean => query.get(key) === '1';
  const tty = on('tty');
  const stdin = on('input');
  const stdout = on('output');
  const stderr = on('error') && !tty;
  if (!stdin && !stdout && !stderr) throw new KubeletHttpError(400, 'you must specify at least 1 of stdin, stdout, stderr');
  return { stdin, stdout, stderr, tty };
}

/**
 * `port` of a port-forward request: the API server sends one comma-joined value; each must be a
 * port in 1..65535 (portforward.NewV4Options). Only the WebSocket variant needs any.
 */
export function parsePortForwardPorts(query: URLSearchParams): number[] {
  const ports: number[] = [];
  for (const value of query.getAll('port')) {
    for (const part of value.split(',')) {
      const text = part.trim();
      if (text === '') continue;
      const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
      if (!Number.isInteger(n)) throw new KubeletHttpError(400, `unable to parse "${text}" as a port: strconv.ParseUint: parsing "${text}": invalid syntax`);
      if (n < 1 || n > 65535) throw new KubeletHttpError(400, `port "${text}" must be > 0`);
      ports.push(n);
    }
  }
  return ports;
}

/** What a path on the kubelet endpoint names. */
export type KubeletRoute =
  | { readonly kind: 'healthz'; readonly check?: string }
  | { readonly kind: 'pods' }
  | { readonly kind: 'runningpods' }
  | { readonly kind: 'configz' }
  | { readonly kind: 'metrics' }
  | { readonly kind: 'metricsResource' | 'metricsCadvisor' | 'metricsProbes' }
  | { readonly kind: 'statsSummary' }
  | { readonly kind: 'containerLogs'; readonly namespace: string; readonly pod: string; readonly container: string }
  | { readonly kind: 'exec' | 'attach'; readonly namespace: string; readonly pod: string; readonly uid?: string; readonly container: string }
  | { readonly kind: 'portForward'; readonly namespace: string; readonly pod: string; readonly uid?: string }
  /** /run, /logs/, /debug/pprof: debugging paths nodelet does not implement (404 unless debugging is off). */
  | { readonly kind: 'debugOther' };

/** Methods each route answers; others get 405 (GET-only services name `Allow: GET`). */
export const ROUTE_METHODS: Readonly<Record<KubeletRoute['kind'], readonly string[]>> = {
  healthz: ['GET'],
  pods: ['GET'],
  runningpods: ['GET'],
  configz: ['GET'],
  metrics: ['GET'],
  metricsResource: ['GET'],
  metricsCadvisor: ['GET'],
  metricsProbes: ['GET'],
  statsSummary: ['GET', 'POST'],
  containerLogs: ['GET'],
  exec: ['GET', 'POST'],
  attach: ['GET', 'POST'],
  portForward: ['GET', 'POST'],
  debugOther: ['GET', 'POST'],
};

/** Routes InstallDebuggingDisabledHandlers answers with 405 `Debug endpoints are disabled.` when debugging is off. */
export const DEBUGGING_ROUTES: ReadonlySet<KubeletRoute['kind']> = new Set(['exec', 'attach', 'portForward', 'containerLogs', 'runningpods', 'debugOther']);

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * The route of a URL path, or undefined (404 `404 page not found`). containerLogs with an empty
 * segment is still matched so its handler can answer `Missing podID.` and the like.
 */
export function matchKubeletRoute(path: string): KubeletRoute | undefined {
  if (path === '/healthz') return { kind: 'healthz' };
  const health = /^\/healthz\/([^/]+)$/.exec(path);
  if (health?.[1] !== undefined) return { kind: 'healthz', check: health[1] };
  if (path === '/pods' || path === '/pods/') return { kind: 'pods' };
  if (path === '/runningpods' || path === '/runningpods/') return { kind: 'runningpods' };
  if (path === '/configz') return { kind: 'configz' };
  if (path === '/metrics') return { kind: 'metrics' };
  if (path === '/metrics/resource') return { kind: 'metricsResource' };
  if (path === '/metrics/cadvisor') return { kind: 'metricsCadvisor' };
  if (path === '/metrics/probes') return { kind: 'metricsProbes' };
  if (path === '/stats/summary' || path === '/stats/summary/') return { kind: 'statsSummary' };
  const parts = path.split('/').slice(1);
  const [head, ...rest] = parts;
  const segs = rest.map(decode);
  if (segs.some((s) => s === undefined)) return undefined;
  const s = segs as string[];
  switch (head) {
    case 'containerLogs':
      if (s.length === 3) return { kind: 'containerLogs', namespace: s[0] ?? '', pod: s[1] ?? '', container: s[2] ?? '' };
      return undefined;
    case 'exec':
    case 'attach':
      if (s.length === 3 && s.every((x) => x !== '')) return { kind: head, namespace: s[0] ?? '', pod: s[1] ?? '', container: s[2] ?? '' };
      if (s.length === 4 && s.every((x) => x !== '')) return { kind: head, namespace: s[0] ?? '', pod: s[1] ?? '', uid: s[2] ?? '', container: s[3] ?? '' };
      return undefined;
    case 'portForward':
      if (s.length === 2 && s.every((x) => x !== '')) return { kind: 'portForward', namespace: s[0] ?? '', pod: s[1] ?? '' };
      if (s.length === 3 && s.every((x) => x !== '')) return { kind: 'portForward', namespace: s[0] ?? '', pod: s[1] ?? '', uid: s[2] ?? '' };
      return undefined;
    case 'run':
    case 'logs':
      return rest.length > 0 ? { kind: 'debugOther' } : undefined;
    case 'debug':
      return rest[0] === 'pprof' ? { kind: 'debugOther' } : undefined;
    default:
      return undefined;
  }
}

/** The kubelet's request-metrics bucket for a path (server.go getMetricBucket). */
export function metricBucket(route: KubeletRoute | undefined): string {
  if (route === undefined) return 'other';
  switch (route.kind) {
    case 'debugOther':
      return 'other';
    case 'metricsResource':
      return 'metrics/resource';
    case 'metricsCadvisor':
      return 'metrics/cadvisor';
    case 'metricsProbes':
      return 'metrics/probes';
    case 'statsSummary':
      return 'stats';
    default:
      return route.kind;
  }
}
