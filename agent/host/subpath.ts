// The I/O half of kubelet's subPath defence (k/k pkg/volume/util/subpath/subpath_linux.go
// doSafeMakeDir, doSafeOpen, doBindSubPath, prepareSubpathTarget; translate/subpath.ts has the
// why). Node.js has no openat/mkdirat, so a step below an open directory descriptor goes
// through its /proc/self/fd/<fd> link: the kernel resolves that link to the opened directory
// itself (not to a path a container could change), and O_NOFOLLOW applies to the one
// component after it, which is exactly openat(fd, name, O_NOFOLLOW).
import { closeSync, constants as fsConstants, fchmodSync, fstatSync, lstatSync, mkdirSync, openSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { SubPathSource } from '../core/runtime-types.js';
import { cleanPath, pathWithinBase, segmentsBelow } from '../core/paths.js';
import { bindMount, readMountPoints, unmount } from './mounts.js';
import { goPathError } from './host-fs.js';

/** O_PATH on Linux (x86_64 and arm64); node:fs does not export it. */
const O_PATH = 0o10000000;
/** kubelet's openFDFlags: a handle on the entry itself, never following a symlink, never blocking on a FIFO. */
const OPEN_FD_FLAGS = O_PATH | fsConstants.O_NOFOLLOW;
/** kubelet's nofollowFlags, plus O_DIRECTORY so a FIFO swapped in cannot block the open. */
const NOFOLLOW_DIR_FLAGS = fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_DIRECTORY;

export type SubPathResult =
  | { readonly ok: true }
  /**
   * mode: the volume root could not be read to take its mode (kubelet returns that error as is);
   * create: a missing subPath could not be created safely; prepare: resolving, checking,
   * opening or binding failed. `detail` names host paths: for the log only.
   */
  | { readonly ok: false; readonly step: 'mode' | 'create' | 'prepare'; readonly detail: string };

export interface SubPather {
  /**
   * makeMounts' subPath steps for one mount, before each start of the container: creates a
   * missing subPath with the volume root's mode without following symlinks, then binds the
   * subPath, opened without following symlinks and checked to be inside the volume, onto
   * `target` (replacing whatever an earlier start left mounted there).
   */
  prepare(source: SubPathSource, target: string): Promise<SubPathResult>;
}

export class NodeSubPather implements SubPather {
  async prepare(source: SubPathSource, target: string): Promise<SubPathResult> {
    // First away with what an earlier start bound here: whatever follows fails or binds anew,
    // so the target never keeps a bind that was not checked for this start.
    try {
      await unmountTarget(target);
    } catch (e) {
      return { ok: false, step: 'prepare', detail: errText(e) };
    }
    const hostPath = cleanPath(`${source.volumePath}/${source.subPath}`);
    if (!exists(hostPath)) {
      let perm: number;
      try {
        perm = statSync(source.volumePath).mode & 0o7777;
      } catch (e) {
        return { ok: false, step: 'mode', detail: goPathError(e) };
      }
      try {
        await safeMakeDir(source.subPath, source.volumePath, perm);
      } catch (e) {
        return { ok: false, step: 'create', detail: errText(e) };
      }
    }
    try {
      await bindSubPath(source.volumePath, hostPath, target);
    } catch (e) {
      return { ok: false, step: 'prepare', detail: errText(e) };
    }
    return { ok: true };
  }
}

/** hostutil PathExists: a stat that follows symlinks and succeeds. */
function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function evalSymlinks(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (e) {
    throw new Error(`error resolving symlinks in ${JSON.stringify(path)}: ${errText(e)}`);
  }
}

/** The entry `name` below the directory open as `dirFd`, like openat(dirFd, name, flags). */
function below(dirFd: number, name: string): string {
  return `/proc/self/fd/${dirFd}/${name}`;
}

function isSymlink(fd: number): boolean {
  return (fstatSync(fd).mode & fsConstants.S_IFMT) === fsConstants.S_IFLNK;
}

/**
 * doSafeOpen: opens `path` (already free of symlinks) component by component from `base`,
 * refusing any symlink on the way, so a component swapped for a symlink after the check is
 * caught. Returns an O_PATH descriptor of the last component; the caller closes it.
 */
export function safeOpen(path: string, base: string): number {
  const segments = segmentsBelow(path, base);
  if (!segments) throw new Error(`path ${path} is outside of allowed base ${base}`);
  let parent: number;
  try {
    parent = openSync(base, OPEN_FD_FLAGS);
  } catch (e) {
    throw new Error(`cannot open directory ${base}: ${errText(e)}`);
  }
  let current = cleanPath(base);
  try {
    if (isSymlink(parent)) throw new Error(`unexpected symlink found ${current}`);
    for (const segment of segments) {
      current = join(current, segment);
      let child: number;
      try {
        child = openSync(below(parent, segment), OPEN_FD_FLAGS);
      } catch (e) {
        throw new Error(`cannot open ${current}: ${errText(e)}`);
      }
      closeSync(parent);
      parent = child;
      if (isSymlink(parent)) throw new Error(`unexpected symlink found ${current}`);
    }
  } catch (e) {
    closeSync(parent);
    throw e;
  }
  return parent;
}

/**
 * SafeMakeDir + doSafeMakeDir: creates `subdir` below `base` with `perm` (the volume root's
 * mode, applied with fchmod since mkdir is narrowed by the umask), one directory at a time
 * below a descriptor of its existing parent, never following a symlink.
 */
export async function safeMakeDir(subdir: string, base: string, perm: number): Promise<void> {
  const realBase = await evalSymlinks(base);
  const pathname = cleanPath(`${realBase}/${subdir}`);
  if (!pathWithinBase(pathname, realBase)) throw new Error(`path ${pathname} is outside of allowed base ${realBase}`);
  const info = statOrUndefined(pathname);
  if (info) {
    // The directory exists. It may lie outside the volume, which the bind step refuses.
    if (info.isDirectory()) return;
    throw new Error(`mkdir ${pathname}: not a directory`);
  }
  const { existing, toCreate } = findExistingPrefix(realBase, pathname);
  const fullExisting = await realpath(existing).catch((e: unknown) => {
    throw new Error(`error opening directory ${existing}: ${errText(e)}`);
  });
  if (!pathWithinBase(fullExisting, realBase)) throw new Error(`path ${fullExisting} is outside of allowed base ${realBase}`);
  let parent = safeOpen(fullExisting, realBase);
  let current = fullExisting;
  try {
    for (const dir of toCreate) {
      current = join(current, dir);
      try {
        mkdirSync(below(parent, dir), perm);
      } catch (e) {
        throw new Error(`cannot create directory ${current}: ${errText(e)}`);
      }
      let child: number;
      try {
        child = openSync(below(parent, dir), NOFOLLOW_DIR_FLAGS);
      } catch (e) {
        throw new Error(`cannot open ${current}: ${errText(e)}`);
      }
      closeSync(parent);
      parent = child;
      try {
        fchmodSync(parent, perm);
      } catch (e) {
        throw new Error(`chmod ${JSON.stringify(current)} failed: ${errText(e)}`);
      }
    }
  } finally {
    closeSync(parent);
  }
}

function statOrUndefined(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** findExistingPrefix: the longest existing prefix of `pathname` below `base` (symlinks followed) and what is missing after it. */
function findExistingPrefix(base: string, pathname: string): { existing: string; toCreate: string[] } {
  const dirs = segmentsBelow(pathname, base) ?? [];
  let current = base;
  for (const [i, dir] of dirs.entries()) {
    const next = join(current, dir);
    try {
      statSync(next);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { existing: current, toCreate: dirs.slice(i) };
      throw e;
    }
    current = next;
  }
  return { existing: pathname, toCreate: [] };
}

/**
 * doBindSubPath: resolve the volume and the subPath (symlinks that stay inside the volume are
 * fine), refuse a subPath outside the volume, open it without following symlinks, and bind
 * that descriptor (/proc/<agent pid>/fd/<fd>, which a container cannot redirect) onto
 * `target`. A bind an earlier start left at `target` is unmounted first, so every start is
 * checked again.
 */
async function bindSubPath(volumePath: string, hostPath: string, target: string): Promise<void> {
  const realVolume = await evalSymlinks(volumePath);
  const realPath = await evalSymlinks(hostPath);
  if (!pathWithinBase(realPath, realVolume)) throw new Error(`subpath ${JSON.stringify(realPath)} not within volume path ${JSON.stringify(realVolume)}`);
  let fd: number;
  try {
    fd = safeOpen(realPath, realVolume);
  } catch (e) {
    throw new Error(`error opening subpath ${realPath}: ${errText(e)}`);
  }
  try {
    const isDir = fstatSync(fd).isDirectory();
    const mountTarget = await prepareTarget(target, isDir);
    try {
      await bindMount(`/proc/${process.pid}/fd/${fd}`, mountTarget);
    } catch (e) {
      await removeTarget(mountTarget).catch(() => undefined);
      throw new Error(`error mounting ${realPath}: ${errText(e)}`);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * prepareSubpathTarget, except that a bind already there is always unmounted (kubelet keeps
 * one that binds the same file; `prepare` has unmounted it already, this is for a bind made
 * in between): the target is a directory for a directory, else an empty
 * file (a file target takes any non-directory: file, socket, device). Returns the target's
 * path with its parent's symlinks resolved, as mountinfo shows it.
 */
async function prepareTarget(target: string, isDir: boolean): Promise<string> {
  mkdirSync(dirname(target), { recursive: true, mode: 0o750 });
  const mountTarget = await unmountTarget(target);
  const existing = lstatOrUndefined(mountTarget);
  if (existing && (existing.isDirectory() !== isDir || (!existing.isDirectory() && !existing.isFile()))) {
    if (existing.isDirectory()) rmdirSync(mountTarget);
    else unlinkSync(mountTarget);
  }
  if (isDir) mkdirSync(mountTarget, { recursive: true, mode: 0o750 });
  else writeFileSync(mountTarget, '', { mode: 0o640, flag: 'a' });
  return mountTarget;
}

function lstatOrUndefined(path: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** Unmounts whatever is mounted at `target`; returns its path as mountinfo shows it. */
async function unmountTarget(target: string): Promise<string> {
  const parent = await realpath(dirname(target)).catch(() => undefined);
  if (parent === undefined) return target; // no parent yet: nothing can be mounted there
  const mountTarget = join(parent, basename(target));
  await unmountAll(mountTarget);
  return mountTarget;
}

/** More stacked mounts at one target than starts could leave there: something else is wrong. */
const MAX_STACKED_MOUNTS = 32;

/** Unmounts every mount stacked at `path` (each earlier start may have left one). */
async function unmountAll(path: string): Promise<void> {
  for (let i = 0; i < MAX_STACKED_MOUNTS; i++) {
    if (!(await readMountPoints()).includes(path)) return;
    await unmount(path);
  }
  throw new Error(`${path} is still mounted after ${MAX_STACKED_MOUNTS} unmounts`);
}

async function removeTarget(path: string): Promise<void> {
  await unmountAll(path);
  const info = lstatOrUndefined(path);
  if (info?.isDirectory()) rmdirSync(path);
  else if (info) unlinkSync(path);
}
