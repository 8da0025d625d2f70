// The gate every API request passes before a handler acts on it: reads go through untouched;
// a write or an exec first has its caller looked up (SO_PEERCRED, while the connection is
// surely open), is refused with 403 on the read-only socket, and leaves one audit log line
// when it is answered. A caller that cannot be identified is logged as such, never skipped.
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../log/logger.js';
import { auditRecord, readOnlyRefusal, requestKind, type AuditDetails, type PeerIdentity, type SocketRole } from './audit.js';
import type { PeerLookup } from './peer-credentials.js';
import type { RouteMatch } from './routes.js';

export interface AccessPolicy {
  readonly role: SocketRole;
  /** The admin socket's path, named in the read-only socket's refusals. */
  readonly adminSocket: string;
  /** Looks the caller up; absent: every audit line says the lookup is off. */
  readonly peer?: PeerLookup;
}

export interface AuditTrail {
  /** What the handler did beyond method and path (the edit request, the label specs, ...). */
  readonly details: AuditDetails;
  /** Logs the audit line once, with the status answered (0: the client left before an answer). */
  finish(status: number): void;
}

const NO_LOOKUP: PeerIdentity = { known: false, reason: 'caller lookup is not configured' };

/**
 * undefined for a read; otherwise the audit trail to finish once answered. Throws the 403 of
 * the read-only socket (after logging it).
 */
export async function admit(policy: AccessPolicy, logger: Logger | undefined, req: IncomingMessage, url: URL, match: RouteMatch | undefined): Promise<AuditTrail | undefined> {
  const method = req.method ?? 'GET';
  const kind = requestKind(method, match?.route);
  if (kind === 'read') return undefined;
  const caller = policy.peer === undefined ? NO_LOOKUP : await policy.peer(req.socket).catch((err: unknown): PeerIdentity => ({ known: false, reason: String(err) }));
  let done = false;
  const details: AuditDetails = {};
  const finish = (status: number): void => {
    if (done) return;
    done = true;
    const record = auditRecord({ socket: policy.role, kind, caller, method, path: url.pathname, match, query: url.searchParams, details, status });
    if (caller.known) logger?.info(record, 'API audit');
    else logger?.warn(record, 'API audit: caller unknown');
  };
  if (policy.role === 'read-only') {
    finish(403);
    throw readOnlyRefusal(kind, method, url.pathname, policy.adminSocket);
  }
  return { details, finish };
}
