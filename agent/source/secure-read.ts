// Reads a manifest so that what is checked is what is read (issue 12, item 2): the path is
// walked component by component with every directory on the way checked (path-walk.ts), the
// resolved path is opened once with O_NOFOLLOW, the descriptor is fstat()ed (regular file, the
// walk's dev/ino, trusted owner and mode, size) and the text is read from that same descriptor.
// Checking by path and then reading by path again let a user who owns a directory on a
// symlink's way swap their own file in between (renameat2 RENAME_EXCHANGE).
import { constants, type Stats } from 'node:fs';
import { lstat, open, readlink, realpath } from 'node:fs/promises';
import { errnoCode, errorMessage, isGoneError } from '../core/errors.js';
import { walkPath, type EntryInfo, type PathPort, type WalkResult } from './path-walk.js';
import { checkManifestTrust, describePathFault, type TrustSubject } from './trust.js';

export const nodePathPort: PathPort = {
  lstat: async (path) => entryInfo(await lstat(path)),
  readlink: (path) => readlink(path),
};

function entryInfo(s: Stats): EntryInfo {
  const type = s.isSymbolicLink() ? 'symlink' : s.isDirectory() ? 'directory' : s.isFile() ? 'file' : 'other';
  return { type, mode: s.mode, uid: s.uid, dev: s.dev, ino: s.ino };
}

export interface SecureReadOptions {
  readonly agentUid: number;
  /** false: no owner/mode checks (allowInsecureManifests); still one descriptor, no symlink at the end. */
  readonly checkTrust: boolean;
  readonly maxBytes: number;
}

export type ReadOutcome =
  | { readonly kind: 'absent' }
  | { readonly kind: 'dangling'; readonly message: string }
  | { readonly kind: 'directory' }
  | { readonly kind: 'special' }
  | { readonly kind: 'refused'; readonly problem: string }
  | { readonly kind: 'too-large'; readonly size: number }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'read'; readonly text: string };

/** An editor's rename between the walk and the open is retried this often before giving up. */
const ATTEMPTS = 3;

/** Reads the manifest at `file` (absolute). Never throws. */
export async function readManifestSecurely(file: string, opts: SecureReadOptions): Promise<ReadOutcome> {
  for (let attempt = 1; ; attempt++) {
    const outcome = await readOnce(file, opts);
    if (outcome !== 'changed') return outcome;
    if (attempt >= ATTEMPTS) return { kind: 'failed', message: 'the file kept changing while it was read' };
  }
}

async function readOnce(file: string, opts: SecureReadOptions): Promise<ReadOutcome | 'changed'> {
  const walk = await walkPath(file, nodePathPort, opts);
  if (walk.kind === 'untrusted') {
    // Only the message needs to say where a symlink leads.
    const target = walk.symlinked ? await realpath(file).catch(() => undefined) : undefined;
    return { kind: 'refused', problem: describePathFault({ kind: 'file', path: file, ...(target === undefined ? {} : { symlinkTarget: target }) }, walk.fault, opts.agentUid) };
  }
  const early = walkOutcome(walk);
  if (early !== undefined) return early;
  if (walk.kind !== 'found') return { kind: 'failed', message: 'unexpected walk result' };
  if (walk.entry.type === 'directory') return { kind: 'directory' };
  if (walk.entry.type !== 'file') return { kind: 'special' };
  let handle;
  try {
    // O_NONBLOCK: a FIFO swapped in must not hang the source (it is refused below).
    handle = await open(walk.resolved, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    if (isGoneError(err)) return { kind: 'absent' };
    if (errnoCode(err) === 'ELOOP') return 'changed';
    return { kind: 'failed', message: `could not open file: ${errorMessage(err)}` };
  }
  try {
    const info = await handle.stat();
    if (info.dev !== walk.entry.dev || info.ino !== walk.entry.ino) return 'changed';
    if (!info.isFile()) return { kind: 'special' };
    if (opts.checkTrust) {
      const subject: TrustSubject = { kind: 'file', path: file, mode: info.mode, uid: info.uid, ...(walk.symlinked ? { symlinkTarget: walk.resolved } : {}) };
      const verdict = checkManifestTrust(subject, opts.agentUid);
      if (!verdict.ok) return { kind: 'refused', problem: verdict.problem };
    }
    if (info.size > opts.maxBytes) return { kind: 'too-large', size: info.size };
    // Read to EOF but never more than the limit: the size can grow after the fstat.
    const limit = opts.maxBytes + 1;
    const buf = Buffer.alloc(Math.min(limit, Math.max(info.size, 0) + 1));
    let chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, limit - total), null);
      if (bytesRead === 0) break;
      chunks.push(Buffer.from(buf.subarray(0, bytesRead)));
      total += bytesRead;
      if (total >= limit) return { kind: 'too-large', size: total };
    }
    const text = Buffer.concat(chunks, total).toString('utf8');
    chunks = [];
    return { kind: 'read', text };
  } catch (err) {
    return { kind: 'failed', message: `could not read file: ${errorMessage(err)}` };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function walkOutcome(walk: Exclude<WalkResult, { kind: 'untrusted' }>): ReadOutcome | undefined {
  switch (walk.kind) {
    case 'found':
      return undefined;
    case 'missing':
      return walk.symlinked ? { kind: 'dangling', message: `could not get metadata: ${errorMessage(walk.error)}` } : { kind: 'absent' };
    case 'error':
      return { kind: 'failed', message: `could not get metadata: ${errorMessage(walk.error)}` };
  }
}

/** Why the manifest directory itself is not trusted (its path, then its own owner and mode);
 *  `undefined` when it is trusted or not a directory (missing: nothing to refuse). */
export async function directoryTrustProblem(dir: string, agentUid: number): Promise<string | undefined> {
  const walk = await walkPath(dir, nodePathPort, { agentUid, checkTrust: true });
  const target = walk.kind !== 'missing' && walk.kind !== 'error' && walk.symlinked ? await realpath(dir).catch(() => undefined) : undefined;
  const subject = { kind: 'directory' as const, path: dir, ...(target === undefined ? {} : { symlinkTarget: target }) };
  if (walk.kind === 'untrusted') return describePathFault(subject, walk.fault, agentUid);
  if (walk.kind !== 'found' || walk.entry.type !== 'directory') return undefined;
  const verdict = checkManifestTrust({ ...subject, mode: walk.entry.mode, uid: walk.entry.uid }, agentUid);
  return verdict.ok ? undefined : verdict.problem;
}

