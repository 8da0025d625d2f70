// Who may do what on the local API, and what the audit log says about it. Pure.
//
// The admin socket's group is root-equivalent: exec runs as the container's user (root in most
// images) in any pod, edits rewrite root-owned manifests, taints evict pods. So every request
// that changes something (any method but GET) and every exec is logged with the caller's
// kernel credentials (SO_PEERCRED, see peer-credentials.ts). The read-only socket serves GETs
// only and refuses the rest with 403.
import { ApiError } from './backend.js';
import type { RouteMatch, RouteName } from './routes.js';

/** read: GET of anything but exec; exec: the exec subresource (an interactive process in a pod); write: everything else. */
export type RequestKind = 'read' | 'write' | 'exec';

/** Which of the two sockets a request came in on. */
export type SocketRole = 'admin' | 'read-only';

export function requestKind(method: string, route: RouteName | undefined): RequestKind {
  if (route === 'exec') return 'exec';
  return method === 'GET' || method === 'HEAD' ? 'read' : 'write';
}

/** The caller, from the kernel's credentials of the connection, or why they are unknown. */
export type PeerIdentity = { readonly known: true; readonly pid: number; readonly uid: number; readonly gid: number } | { readonly known: false; readonly reason: string };

/** `PID UID GID` as the SO_PEERCRED helper prints it (peer-credentials.ts). */
export function parsePeerCredentials(text: string): PeerIdentity {
  const m = /^\s*(-?\d+) (\d+) (\d+)\s*$/.exec(text);
  if (m === null) return { known: false, reason: `unexpected SO_PEERCRED output ${JSON.stringify(text.slice(0, 80))}` };
  const [pid, uid, gid] = [m[1], m[2], m[3]].map(Number) as [number, number, number];
  // The kernel reports pid 0 / uid and gid overflowid (65534) only for a socket without a peer.
  if (pid <= 0) return { known: false, reason: 'the connection has no peer process (SO_PEERCRED pid 0)' };
  return { known: true, pid, uid, gid };
}

/** The 403 a read-only socket answers to anything but a read, naming the socket that serves it. */
export function readOnlyRefusal(kind: Exclude<RequestKind, 'read'>, method: string, path: string, adminSocket: string): ApiError {
  const what = kind === 'exec' ? 'exec into a pod' : `${method} ${path}`;
  return new ApiError(403, `forbidden: this is the read-only API socket, which serves get, describe, logs and events only; ${what} needs the admin socket ${adminSocket} (root or the group apiSocketGroup)`);
}

/** What an audited request did, beyond its method and path: filled in by the handlers. */
export type AuditDetails = Record<string, unknown>;

export interface AuditInput {
  readonly socket: SocketRole;
  readonly kind: Exclude<RequestKind, 'read'>;
  readonly caller: PeerIdentity;
  readonly method: string;
  /** The request path without the query. */
  readonly path: string;
  readonly match: RouteMatch | undefined;
  readonly query: URLSearchParams;
  readonly details: AuditDetails;
  /** The HTTP status answered (101 for an exec that started); 0 when the client left first. */
  readonly status: number;
}

/** One audit log line's fields. `caller` is always present: the credentials or why they are unknown. */
export function auditRecord(input: AuditInput): Record<string, unknown> {
  const { match, query } = input;
  const caller = input.caller.known ? { uid: input.caller.uid, gid: input.caller.gid, pid: input.caller.pid } : { unknown: input.caller.reason };
  const target: Record<string, unknown> = {};
  if (match !== undefined && 'name' in match && 'namespace' in match) {
    target[match.route === 'daemonsetEdit' || match.route === 'daemonsetRevisions' ? 'daemonset' : 'pod'] = `${match.namespace}/${match.name}`;
  }
  if (input.kind === 'exec') {
    const container = query.get('container');
    if (container !== null && container !== '') target.container = container;
    target.command = query.getAll('command');
    target.stdin = query.get('stdin') === 'true';
    target.tty = query.get('tty') === 'true';
  }
  return {
    audit: true,
    socket: input.socket,
    kind: input.kind,
    caller,
    method: input.method,
    path: input.path,
    ...target,
    ...input.details,
    status: input.status,
  };
}
