// The local API on a unix socket: mode 0660, owned by root and, when configured, by a group
// whose members may use the CLI without root. The agent serves two: the admin socket (every
// route; its group is root-equivalent) and the read-only socket (GETs only, access-guard.ts).
// A socket file left by a crashed agent is removed; one that a live agent still answers on is
// not, and the second agent refuses to start.
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { chmod, chown, lstat, mkdir, readFile, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Registry } from 'prom-client';
import type { Logger } from '../log/logger.js';
import { ConfigError, NodeletError, errorMessage } from '../core/errors.js';
import type { ApiBackend } from './backend.js';
import { createRequestHandler } from './handlers.js';
import { createUpgradeHandler } from './exec-handler.js';
import type { SocketRole } from './audit.js';
import { createPeerLookup, type PeerLookup } from './peer-credentials.js';
import { limitConnections, type ConnectionLimits } from './connection-limit.js';

export const SOCKET_MODE = 0o660;

export interface ApiServerOptions {
  readonly socketPath: string;
  /** Group name or numeric gid that owns the socket (config apiSocketGroup). */
  readonly group?: string;
  readonly backend: ApiBackend;
  /** nodelet's version, served at /version. */
  readonly version: string;
  /** Also serve /metrics on the socket. */
  readonly registry?: Registry;
  readonly logger?: Logger;
  /** 'read-only' serves reads only; default 'admin'. */
  readonly role?: SocketRole;
  /** The admin socket, named in the read-only socket's refusals; default: socketPath. */
  readonly adminSocket?: string;
  /** Identifies the callers of writes and execs for the audit log; default: SO_PEERCRED (peer-credentials.ts). */
  readonly peer?: PeerLookup;
  /** Open connections and idle timeout; default DEFAULT_CONNECTION_LIMITS. */
  readonly limits?: ConnectionLimits;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = { maxConnections: 256, idleTimeoutMs: 30_000 };

export interface ApiServer {
  readonly socketPath: string;
  /** Stops accepting, cuts open log follows and exec sessions, removes the socket file. */
  close(): Promise<void>;
}

/** Resolves a group name (from /etc/group) or a numeric gid. */
export async function resolveGroupId(group: string, groupFile = '/etc/group'): Promise<number> {
  if (/^\d+$/.test(group)) return Number.parseInt(group, 10);
  let text = '';
  try {
    text = await readFile(groupFile, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${groupFile} to resolve the API socket group "${group}": ${errorMessage(err)}`);
  }
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number.parseInt(gid, 10);
  }
  throw new ConfigError(`API socket group "${group}" does not exist`);
}

/** True when something accepts connections on the socket. */
function answers(socketPath: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    const done = (live: boolean): void => {
      socket.destroy();
      resolve(live);
    };
    socket.setTimeout(timeoutMs, () => done(true)); // accepted but silent is still somebody's
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function clearStaleSocket(socketPath: string): Promise<void> {
  let info;
  try {
    info = await lstat(socketPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!info.isSocket()) throw new NodeletError('NLT_API_UNAVAILABLE', `${socketPath} exists and is not a socket; refusing to replace it`);
  if (await answers(socketPath)) {
    throw new NodeletError('NLT_API_UNAVAILABLE', `another nodelet is already serving the API at ${socketPath} (is nodelet already running?)`);
  }
  await unlink(socketPath).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  });
}

function listen(server: Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(new NodeletError('NLT_API_UNAVAILABLE', `cannot listen on ${socketPath}: ${err.message}`, { cause: err }));
    server.once('error', onError);
    server.listen(socketPath, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const { socketPath } = opts;
  const gid = opts.group === undefined || opts.group === '' ? undefined : await resolveGroupId(opts.group);
  await mkdir(dirname(socketPath), { recursive: true, mode: 0o755 });
  await clearStaleSocket(socketPath);

  const upgraded = new Set<Duplex>();
  const role = opts.role ?? 'admin';
  const access = { role, adminSocket: opts.adminSocket ?? socketPath, peer: opts.peer ?? createPeerLookup() };
  const deps = { backend: opts.backend, version: opts.version, registry: opts.registry, logger: opts.logger, access };
  const server = createServer(createRequestHandler(deps));
  server.on('upgrade', createUpgradeHandler(deps, upgraded));
  const limits = opts.limits ?? DEFAULT_CONNECTION_LIMITS;
  limitConnections(server, limits, socketPath, opts.logger);
  await listen(server, socketPath);
  // With the usual umask 022 the socket starts as 0755, which only root can connect to, so
  // nobody slips in before these two calls.
  try {
    await chmod(socketPath, SOCKET_MODE);
    if (gid !== undefined) await chown(socketPath, -1, gid);
  } catch (err) {
    server.close();
    throw new NodeletError('NLT_API_UNAVAILABLE', `cannot set the owner and mode of ${socketPath}: ${errorMessage(err)}`, { cause: err });
  }
  opts.logger?.info({ socket: socketPath, group: opts.group, role, maxConnections: limits.maxConnections }, 'API listening');

  let closing: Promise<void> | undefined;
  return {
    socketPath,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
      }).then(() =>
        unlink(socketPath).catch((err: unknown) => {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }),
      );
      return closing;
    },
  };
}
