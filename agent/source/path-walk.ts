// Resolves a manifest path component by component, the way the kernel does (symlinks followed,
// at most 40 of them, like Linux's MAXSYMLINKS), checking on the way every directory that holds
// a component or a symlink (trust.ts checkPathDirectory). The result is the resolved path of a
// non-symlink entry and its lstat, which the reader then opens with O_NOFOLLOW and compares by
// dev/ino: since no one but root or the agent's user can rename anything in the directories
// of that path, what is opened is what was checked.
// No node:fs here: the filesystem comes in through PathPort, so the verdicts can be unit-tested
// on a fake tree (secure-read.ts has the real port).
import { isGoneError } from '../core/errors.js';
import { checkPathDirectory, type PathFault } from './trust.js';

export interface EntryInfo {
  readonly type: 'file' | 'directory' | 'symlink' | 'other';
  readonly mode: number;
  readonly uid: number;
  readonly dev: number;
  readonly ino: number;
}

/** lstat() and readlink(); both reject with Node's errno errors (`code`: ENOENT, EACCES...). */
export interface PathPort {
  lstat(path: string): Promise<EntryInfo>;
  readlink(path: string): Promise<string>;
}

export type WalkResult =
  /** `resolved` is absolute, without symlinks; `entry` is its lstat (never a symlink). */
  | { readonly kind: 'found'; readonly resolved: string; readonly entry: EntryInfo; readonly symlinked: boolean }
  /** ENOENT/ENOTDIR on the way; `symlinked` tells a dangling symlink from a vanished entry. */
  | { readonly kind: 'missing'; readonly symlinked: boolean; readonly error: unknown }
  | { readonly kind: 'untrusted'; readonly fault: PathFault; readonly symlinked: boolean }
  | { readonly kind: 'error'; readonly error: unknown };

/** Linux's MAXSYMLINKS: more hops fail with ELOOP. */
export const MAX_SYMLINK_HOPS = 40;

export interface WalkOptions {
  readonly agentUid: number;
  /** false: resolve only (allowInsecureManifests). */
  readonly checkTrust: boolean;
}

/** Walks the absolute `path`; never throws for filesystem errors (they are results). */
export async function walkPath(path: string, port: PathPort, opts: WalkOptions): Promise<WalkResult> {
  // Components still to resolve, the next one last.
  const pending = components(path).reverse();
  // How each directory reached so far holds its entries (only directories on `current`'s chain).
  const dirs = new Map<string, 'trusted' | 'sticky' | 'untrusted'>();
  let current = '/';
  let symlinked = false;
  let hops = 0;
  const untrusted = (dir: { path: string; mode: number; uid: number }): WalkResult => ({ kind: 'untrusted', fault: { kind: 'directory', dir }, symlinked });
  const verdictOf = (path: string, info: EntryInfo): 'trusted' | 'sticky' | 'untrusted' =>
    opts.checkTrust ? checkPathDirectory({ path, mode: info.mode, uid: info.uid }, opts.agentUid) : 'trusted';
  try {
    const root = await port.lstat('/');
    const rootVerdict = verdictOf('/', root);
    if (rootVerdict === 'untrusted') return untrusted({ path: '/', mode: root.mode, uid: root.uid });
    dirs.set('/', rootVerdict);
    for (;;) {
      const name = pending.pop();
      if (name === undefined) {
        // Only for `/` itself, or a path ending in `..`: `current` is a checked directory.
        return { kind: 'found', resolved: current, entry: await port.lstat(current), symlinked };
      }
      if (name === '..') {
        current = parentOf(current);
        continue;
      }
      const next = current === '/' ? `/${name}` : `${current}/${name}`;
      let entry: EntryInfo;
      try {
        entry = await port.lstat(next);
      } catch (error) {
        if (isGoneError(error)) return { kind: 'missing', symlinked, error };
        throw error;
      }
      if (entry.type === 'symlink' && dirs.get(current) === 'sticky' && !isOwnEntry(entry, opts.agentUid)) {
        // Someone else's symlink in /tmp: they can point it elsewhere at any time. (A directory's
        // owner is checked when it is entered, the final entry's by the caller.)
        return { kind: 'untrusted', fault: { kind: 'sticky-entry', entry: { path: next, mode: entry.mode, uid: entry.uid }, dir: current }, symlinked };
      }
      if (entry.type === 'symlink') {
        if (++hops > MAX_SYMLINK_HOPS) return { kind: 'error', error: Object.assign(new Error(`ELOOP: too many symbolic links encountered, stat '${path}'`), { code: 'ELOOP' }) };
        const target = await port.readlink(next);
        symlinked = true;
        pending.push(...components(target).reverse());
        if (target.startsWith('/')) current = '/';
        continue;
      }
      if (pending.length === 0) return { kind: 'found', resolved: next, entry, symlinked };
      if (entry.type !== 'directory') {
        return { kind: 'missing', symlinked, error: Object.assign(new Error(`ENOTDIR: not a directory, stat '${next}'`), { code: 'ENOTDIR' }) };
      }
      // `next` holds the components still to come.
      const verdict = verdictOf(next, entry);
      if (verdict === 'untrusted') return untrusted({ path: next, mode: entry.mode, uid: entry.uid });
      dirs.set(next, verdict);
      current = next;
    }
  } catch (error) {
    return { kind: 'error', error };
  }
}

function isOwnEntry(entry: EntryInfo, agentUid: number): boolean {
  return entry.uid === 0 || entry.uid === agentUid;
}

/** Path components without empty ones and `.`; `..` is kept (resolved against the real path). */
function components(path: string): string[] {
  return path.split('/').filter((c) => c !== '' && c !== '.');
}

function parentOf(dir: string): string {
  const i = dir.lastIndexOf('/');
  return i <= 0 ? '/' : dir.slice(0, i);
}

