// The caller of an API connection, from the kernel: SO_PEERCRED of the accepted unix socket.
//
// Node.js has no getsockopt, and nodelet builds no native addon, so a short-lived helper reads
// it: the accepted socket's descriptor becomes the helper's stdin (inherited, not read: the
// agent keeps serving the connection) and `getsockopt(0, SOL_SOCKET, SO_PEERCRED)` prints the
// pid, uid and gid the kernel recorded when the client called connect(). Unlike a lookup of the
// peer's inode (sock_diag, `ss -xp`) and a scan of /proc/*/fd, this cannot be fooled by passing
// the descriptor on or by the client exiting, does not race with pid reuse, and costs the same
// on a host with many processes. perl (Essential on Debian and Ubuntu) is tried first, then
// python3 (RHEL, Fedora); both run under the unit's SystemCallFilter and need no network.
// Only audited requests (writes, exec) look the caller up, once per connection.
import { spawn } from 'node:child_process';
import { parsePeerCredentials, type PeerIdentity } from './audit.js';

export interface PeerCredentialsOptions {
  /** Helper commands, tried in order until one can be started. */
  readonly helpers?: readonly (readonly [string, ...string[]])[];
  readonly timeoutMs?: number;
  /** Helpers running at once; more wait their turn. */
  readonly maxConcurrent?: number;
}

export type PeerLookup = (socket: object) => Promise<PeerIdentity>;

/** Prints "PID UID GID" of the unix socket on fd 0. */
export const PEERCRED_HELPERS: readonly (readonly [string, ...string[]])[] = [
  ['perl', '-MSocket', '-e', 'my $c = getsockopt(STDIN, SOL_SOCKET, SO_PEERCRED) or die "getsockopt SO_PEERCRED: $!\\n"; print join(" ", unpack("l L L", $c)), "\\n"'],
  ['python3', '-I', '-S', '-c', 'import socket,struct;s=socket.socket(fileno=0);print(*struct.unpack("iII",s.getsockopt(socket.SOL_SOCKET,socket.SO_PEERCRED,12)));s.detach()'],
];

/** The descriptor behind a net.Socket (libuv's pipe handle), while it is open. */
function socketFd(socket: object): number | undefined {
  const fd = (socket as { _handle?: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

type HelperResult = { readonly ok: true; readonly identity: PeerIdentity } | { readonly ok: false; readonly missing: boolean; readonly reason: string };

function runHelper(helper: readonly [string, ...string[]], fd: number, timeoutMs: number): Promise<HelperResult> {
  return new Promise((resolve) => {
    const [cmd, ...args] = helper;
    const child = spawn(cmd, args, { stdio: [fd, 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeout: timeoutMs });
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.once('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, missing: e.code === 'ENOENT', reason: `${cmd}: ${e.message}` }));
    child.once('close', (code, signal) => {
      if (code === 0) resolve({ ok: true, identity: parsePeerCredentials(out) });
      else resolve({ ok: false, missing: false, reason: `${cmd} exited with ${signal ?? code}: ${err.trim().slice(0, 200)}` });
    });
  });
}

export function createPeerLookup(opts: PeerCredentialsOptions = {}): PeerLookup {
  const helpers = opts.helpers ?? PEERCRED_HELPERS;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const maxConcurrent = opts.maxConcurrent ?? 4;
  const cache = new WeakMap<object, Promise<PeerIdentity>>();
  // The first helper that could be started; the others are not tried again.
  let working: number | undefined;
  let running = 0;
  const waiting: (() => void)[] = [];

  const withSlot = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (running >= maxConcurrent) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await fn();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };

  const lookup = async (socket: object): Promise<PeerIdentity> => {
    const reasons: string[] = [];
    const order = working === undefined ? helpers.map((_, i) => i) : [working];
    for (const i of order) {
      const helper = helpers[i];
      if (helper === undefined) continue;
      // Read the descriptor only now: the connection may have closed while waiting for a slot.
      const fd = socketFd(socket);
      if (fd === undefined) return { known: false, reason: 'the connection closed before its credentials were read' };
      const result = await runHelper(helper, fd, timeoutMs);
      if (result.ok) {
        working = i;
        return result.identity;
      }
      reasons.push(result.reason);
      if (!result.missing) break;
    }
    return { known: false, reason: `cannot read SO_PEERCRED: ${reasons.join('; ') || 'no helper configured'}` };
  };

  return (socket) => {
    let found = cache.get(socket);
    if (found === undefined) {
      found = withSlot(() => lookup(socket));
      cache.set(socket, found);
    }
    return found;
  };
}
