// The routes of the local API: kube-like paths, parsed into a typed match, and the checks the
// API server makes before it hands a log or exec request to the backend (the pod exists, the
// container is valid, the options are well formed), with the API server's messages. Pure.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { ApiError, type ExecOptions, type LogOptions } from './backend.js';
import { notFoundMessage } from './kube-status.js';
import { parseRfc3339 } from '../core/time-format.js';

export type RouteMatch =
  | { readonly route: 'pods'; readonly namespace?: string }
  | { readonly route: 'pod'; readonly namespace: string; readonly name: string }
  | { readonly route: 'log'; readonly namespace: string; readonly name: string }
  | { readonly route: 'exec'; readonly namespace: string; readonly name: string }
  | { readonly route: 'events'; readonly namespace?: string }
  | { readonly route: 'node' }
  /** The node's CSINode (storage.k8s.io/v1): the registered CSI drivers. */
  | { readonly route: 'csiNode' }
  | { readonly route: 'manifests' }
  | { readonly route: 'version' }
  | { readonly route: 'healthz' }
  | { readonly route: 'readyz' }
  | { readonly route: 'metrics' }
  | { readonly route: 'daemonsets'; readonly namespace?: string }
  | { readonly route: 'daemonset'; readonly namespace: string; readonly name: string }
  | { readonly route: 'controllerrevisions'; readonly namespace?: string }
  /** nodelet's own: the DaemonSet's stored revisions (rollout history) and manifest edits. */
  | { readonly route: 'daemonsetRevisions'; readonly namespace: string; readonly name: string }
  | { readonly route: 'daemonsetEdit'; readonly namespace: string; readonly name: string }
  | { readonly route: 'nodeLabels' }
  | { readonly route: 'nodeTaints' };

export type RouteName = RouteMatch['route'];

export const ROUTE_METHODS: Readonly<Record<RouteName, readonly string[]>> = {
  pods: ['GET'],
  pod: ['GET', 'DELETE'],
  log: ['GET'],
  exec: ['GET', 'POST'],
  events: ['GET'],
  node: ['GET'],
  csiNode: ['GET'],
  manifests: ['GET'],
  version: ['GET'],
  healthz: ['GET'],
  readyz: ['GET'],
  metrics: ['GET'],
  daemonsets: ['GET'],
  daemonset: ['GET'],
  controllerrevisions: ['GET'],
  daemonsetRevisions: ['GET'],
  daemonsetEdit: ['POST'],
  nodeLabels: ['POST'],
  nodeTaints: ['POST'],
};

/** The upgrade token of the exec protocol (see stream-frames.ts). */
export const EXEC_PROTOCOL = 'nodelet-exec';

/** The API server's message for a path it does not serve. */
export const UNKNOWN_PATH_MESSAGE = 'the server could not find the requested resource';

const FIXED: Readonly<Record<string, RouteMatch>> = {
  '/api/v1/pods': { route: 'pods' },
  '/api/v1/events': { route: 'events' },
  '/api/v1/node': { route: 'node' },
  '/api/v1/node/csinode': { route: 'csiNode' },
  '/api/v1/manifests': { route: 'manifests' },
  '/version': { route: 'version' },
  '/healthz': { route: 'healthz' },
  '/readyz': { route: 'readyz' },
  '/metrics': { route: 'metrics' },
  '/apis/apps/v1/daemonsets': { route: 'daemonsets' },
  '/apis/apps/v1/controllerrevisions': { route: 'controllerrevisions' },
  '/api/v1/node/labels': { route: 'nodeLabels' },
  '/api/v1/node/taints': { route: 'nodeTaints' },
};

function decodeSegments(pathname: string): string[] | undefined {
  const trimmed = pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  try {
    return trimmed.split('/').slice(1).map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

export function matchRoute(pathname: string): RouteMatch | undefined {
  const fixed = FIXED[pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname];
  if (fixed !== undefined) return fixed;
  const s = decodeSegments(pathname);
  if (s !== undefined && s[0] === 'apis') return matchGroupRoute(s);
  if (s === undefined || s[0] !== 'api' || s[1] !== 'v1' || s[2] !== 'namespaces') return undefined;
  const namespace = s[3];
  if (namespace === undefined || namespace === '') return undefined;
  const resource = s[4];
  const name = s[5];
  const sub = s[6];
  if (s.length === 5 && resource === 'pods') return { route: 'pods', namespace };
  if (s.length === 5 && resource === 'events') return { route: 'events', namespace };
  if (resource !== 'pods' || name === undefined || name === '') return undefined;
  if (s.length === 6) return { route: 'pod', namespace, name };
  if (s.length === 7 && sub === 'log') return { route: 'log', namespace, name };
  if (s.length === 7 && sub === 'exec') return { route: 'exec', namespace, name };
  return undefined;
}

/** /apis/apps/v1/namespaces/NS/{daemonsets[/NAME],controllerrevisions}, /apis/nodelet.io/v1/namespaces/NS/daemonsets/NAME/{revisions,edit}. */
function matchGroupRoute(s: readonly string[]): RouteMatch | undefined {
  const group = `${s[1] ?? ''}/${s[2] ?? ''}`;
  if (s[3] !== 'namespaces') return undefined;
  const namespace = s[4];
  const resource = s[5];
  const name = s[6];
  if (namespace === undefined || namespace === '') return undefined;
  if (group === 'apps/v1') {
    if (s.length === 6 && resource === 'daemonsets') return { route: 'daemonsets', namespace };
    if (s.length === 6 && resource === 'controllerrevisions') return { route: 'controllerrevisions', namespace };
    if (s.length === 7 && resource === 'daemonsets' && name) return { route: 'daemonset', namespace, name };
    return undefined;
  }
  if (group === 'nodelet.io/v1' && s.length === 8 && resource === 'daemonsets' && name) {
    if (s[7] === 'revisions') return { route: 'daemonsetRevisions', namespace, name };
    if (s[7] === 'edit') return { route: 'daemonsetEdit', namespace, name };
  }
  return undefined;
}

export function findPod(pods: readonly Pod[], namespace: string, name: string): Pod {
  const pod = pods.find((p) => p.metadata?.namespace === namespace && p.metadata?.name === name);
  if (pod === undefined) throw new ApiError(404, notFoundMessage('pods', name));
  return pod;
}

function allContainers(pod: Pod): Container[] {
  return [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []), ...(pod.spec?.ephemeralContainers ?? [])];
}

/**
 * The container a log or exec request addresses, checked the way the API server's
 * pod/strategy.go does: a pod with one container needs no name; otherwise the name is required
 * and must be one of the pod's containers (init containers included).
 */
export function streamContainer(pod: Pod, requested: string | undefined): Container {
  const name = pod.metadata?.name ?? '';
  const containers = pod.spec?.containers ?? [];
  if (requested === undefined || requested === '') {
    const only = containers.length === 1 ? containers[0] : undefined;
    if (only !== undefined) return only;
    if (containers.length === 0) throw new ApiError(400, `a container name must be specified for pod ${name}`);
    let message = `a container name must be specified for pod ${name}, choose one of: [${containers.map((c) => c.name).join(' ')}]`;
    const inits = pod.spec?.initContainers ?? [];
    if (inits.length > 0) message += ` or one of the init containers: [${inits.map((c) => c.name).join(' ')}]`;
    throw new ApiError(400, message);
  }
  const found = allContainers(pod).find((c) => c.name === requested);
  if (found === undefined) throw new ApiError(400, `container ${requested} is not valid for pod ${name}`);
  return found;
}

/** strconv.ParseBool, with the empty string meaning false as query conversion does. */
function parseBool(query: URLSearchParams, key: string): boolean {
  const raw = query.get(key);
  if (raw === null || raw === '') return false;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(raw)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(raw)) return false;
  throw new ApiError(400, `${key}: Invalid value: "${raw}": must be a boolean`);
}

function parseInteger(query: URLSearchParams, key: string): number | undefined {
  const raw = query.get(key);
  if (raw === null || raw === '') return undefined;
  if (!/^-?\d+$/.test(raw)) throw new ApiError(400, `${key}: Invalid value: "${raw}": must be an integer`);
  return Number.parseInt(raw, 10);
}

/** PodLogOptions from the query, validated as ValidatePodLogOptions does. */
export function parseLogQuery(query: URLSearchParams, pod: Pod): LogOptions {
  const container = streamContainer(pod, query.get('container') ?? undefined).name;
  const tailLines = parseInteger(query, 'tailLines');
  const sinceSeconds = parseInteger(query, 'sinceSeconds');
  if (tailLines !== undefined && tailLines < 0) throw new ApiError(422, `tailLines: Invalid value: ${tailLines}: must be greater than or equal to 0`);
  if (sinceSeconds !== undefined && sinceSeconds < 1) throw new ApiError(422, `sinceSeconds: Invalid value: ${sinceSeconds}: must be greater than 0`);
  const sinceTime = query.get('sinceTime') || undefined;
  // The kubelet decodes the query into PodLogOptions: a time that is not RFC3339 fails there.
  if (sinceTime !== undefined && parseRfc3339(sinceTime) === undefined) throw new ApiError(400, 'Unable to decode query.');
  if (sinceTime !== undefined && sinceSeconds !== undefined) throw new ApiError(422, 'at most one of `sinceTime` or `sinceSeconds` may be specified');
  const limitBytes = parseInteger(query, 'limitBytes');
  if (limitBytes !== undefined && limitBytes < 1) throw new ApiError(422, `limitBytes: Invalid value: ${limitBytes}: must be greater than 0`);
  return {
    container,
    follow: parseBool(query, 'follow'),
    previous: parseBool(query, 'previous'),
    timestamps: parseBool(query, 'timestamps'),
    ...(tailLines === undefined ? {} : { tailLines }),
    ...(sinceSeconds === undefined ? {} : { sinceSeconds }),
    ...(sinceTime === undefined ? {} : { sinceTime }),
    ...(limitBytes === undefined ? {} : { limitBytes }),
  };
}


export function parseExecQuery(query: URLSearchParams, pod: Pod): ExecOptions {
  const container = streamContainer(pod, query.get('container') ?? undefined).name;
  const command = query.getAll('command');
  if (command.length === 0) throw new ApiError(400, 'you must specify at least 1 command');
  return { container, command, stdin: parseBool(query, 'stdin'), tty: parseBool(query, 'tty') };
}

/** Whether the container's output is raw (TTY) rather than Docker-multiplexed. */
export function containerHasTty(pod: Pod, container: string): boolean {
  return allContainers(pod).find((c) => c.name === container)?.tty === true;
}
