// The host filesystem as the sync loop needs it: kubelet's hostPath type check, emptyDir
// directories, atomic state files and termination-message reads. The port keeps node:fs out
// of the sync loop so worker logic can be tested with an in-memory double.
import { constants as fsConstants } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, realpath, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { unmountBelow } from './mounts.js';
import { errnoCode } from '../core/errors.js';

/** `.<name>.<pid>.<12 hex>.tmp`: a dotfile, so the manifest source ignores it. */
export function atomicTempName(name: string, pid: number, random: string): string {
  return `.${name}.${pid}.${random}.tmp`;
}

const ATOMIC_TEMP = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/** True for a temp file of writeFileAtomic written by another process than `ownPid`. */
export function isStaleAtomicTemp(name: string, ownPid: number): boolean {
  const m = ATOMIC_TEMP.exec(name);
  return m !== null && Number(m[1]) !== ownPid;
}

export type HostPathCheckResult = { readonly ok: true } | { readonly ok: false; readonly message: string };

export interface HostFs {
  /**
   * kubelet's hostPath type check (and creation for DirectoryOrCreate 0755 / FileOrCreate 0644
   * without creating the parent); resolves ok or a kubelet-worded message.
   */
  checkHostPath(path: string, type: string): Promise<HostPathCheckResult>;
  /** mkdir -p, then chmod to exactly `mode` (the umask must not narrow emptyDir's 0777). */
  ensureDir(path: string, mode: number): Promise<void>;
  /** Creates an empty file when missing (parent must exist) and sets `mode`; keeps content. */
  ensureFile(path: string, mode: number): Promise<void>;
  /** temp file in the same directory + fsync + rename, so readers see old or new, never half. */
  writeFileAtomic(path: string, data: string | Uint8Array, mode?: number): Promise<void>;
  /**
   * Removes temp files writeFileAtomic left in `dir` when a process died between creating and
   * renaming them (kill -9, power loss); returns their paths. A missing directory is fine.
   */
  removeStaleTempFiles(dir: string): Promise<string[]>;
  /**
   * rm -rf that is safe with mounts below `path` (subPath binds, a bind an operator left): it
   * unmounts every one of them first, deepest first, and never deletes across a mount point
   * that stays (nor into another filesystem), so the data a bind shows is never deleted; it
   * throws after deleting the rest when something stayed mounted. A missing path is fine; a
   * symlink is removed, not followed.
   */
  removeTree(path: string): Promise<void>;
  /** At most `maxBytes` from the start of the file (UTF-8); undefined when it does not exist. */
  readFileLimited(path: string, maxBytes: number): Promise<string | undefined>;
  /** Names of the real directories (not symlinks) directly in `path`; [] when it does not exist. */
  listDirectories(path: string): Promise<string[]>;
}

/** kubelet's hostutil.FileType strings, which the newest checker prints as "it's a <type>". */
type FileType = 'Directory' | 'File' | 'Socket' | 'CharDevice' | 'BlockDevice';

/** The expected type and its wording per hostPath `type` (k/k host_path.go checkType). */
const EXPECTED: Readonly<Record<string, { readonly type: FileType; readonly description: string }>> = {
  DirectoryOrCreate: { type: 'Directory', description: 'directory' },
  Directory: { type: 'Directory', description: 'directory' },
  FileOrCreate: { type: 'File', description: 'file' },
  File: { type: 'File', description: 'file' },
  Socket: { type: 'Socket', description: 'socket file' },
  CharDevice: { type: 'CharDevice', description: 'character device' },
  BlockDevice: { type: 'BlockDevice', description: 'block device' },
};

/**
 * Messages follow the NEWEST upstream checker, kubernetes/kubernetes
 * pkg/volume/hostpath/host_path.go `checkType` + `typeMatchedOrError` (read at commit
 * 006d84d2c691, the revision whose NewDeleter takes a klog.Logger; the older
 * `fileTypeChecker` wording "is not a directory" without ", it's a X" is NOT used), with
 * file types from pkg/volume/util/hostutil `getFileType` (os.Stat, symlinks followed).
 * Creation errors are worded like Go's *os.PathError (`open <path>: no such file or directory`),
 * which is what kubelet reports when FileOrCreate's parent directory is missing.
 */
export class NodeHostFs implements HostFs {
  readonly #unmountBelow: (root: string) => Promise<string[]>;

  /** `mounts` replaces the unmount step (tests: a mount that will not go). */
  constructor(mounts: { readonly unmountBelow: (root: string) => Promise<string[]> } = { unmountBelow }) {
    this.#unmountBelow = mounts.unmountBelow;
  }

  async checkHostPath(path: string, type: string): Promise<HostPathCheckResult> {
    // hostPathMounter.SetUp re-checks validation's ValidatePathNoBacksteps before anything else.
    if (path.split('/').includes('..')) return { ok: false, message: `invalid HostPath \`${path}\`: must not contain '..'` };
    if (type === '') return { ok: true }; // HostPathUnset: no check, the runtime decides
    const expected = EXPECTED[type];
    if (!expected) return { ok: false, message: `${type} is an invalid volume type` };
    try {
      if (type === 'DirectoryOrCreate' && !(await pathExists(path))) {
        await makeDir(path);
        return { ok: true };
      }
      if (type === 'FileOrCreate' && !(await pathExists(path))) {
        await makeFile(path);
        return { ok: true };
      }
    } catch (e) {
      return { ok: false, message: goPathError(e) };
    }
    return typeMatchedOrError(path, expected.type, expected.description);
  }

  async ensureDir(path: string, mode: number): Promise<void> {
    await mkdir(path, { recursive: true, mode });
    await chmod(path, mode);
  }

  async ensureFile(path: string, mode: number): Promise<void> {
    const handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_CREAT, mode);
    await handle.close();
    await chmod(path, mode);
  }

  async writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
    const temp = join(dirname(path), atomicTempName(basename(path), process.pid, randomBytes(6).toString('hex')));
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } catch (e) {
      await handle.close();
      await unlink(temp).catch(() => undefined);
      throw e;
    }
    await handle.close();
    try {
      await chmod(temp, mode); // the umask applied at open
      await rename(temp, path);
    } catch (e) {
      await unlink(temp).catch(() => undefined);
      throw e;
    }
    // The rename is only durable once the directory entry is on disk.
    const dir = await open(dirname(path), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  async removeStaleTempFiles(dir: string): Promise<string[]> {
    const names = await readdir(dir).catch(() => [] as string[]);
    const stale = names.filter((n) => isStaleAtomicTemp(n, process.pid)).map((n) => join(dir, n));
    await Promise.all(stale.map((p) => unlink(p).catch(() => undefined)));
    return stale;
  }

  async removeTree(path: string): Promise<void> {
    const top = await lstat(path).catch(() => undefined);
    if (!top) return;
    if (!top.isDirectory()) {
      await rm(path, { force: true });
      return;
    }
    // mountinfo shows resolved paths; `path` is a directory, so only its parents can be links.
    const root = join(await realpath(dirname(path)), basename(path));
    const stuck = await this.#unmountBelow(root);
    const skipped = await removeWithin(root, top.dev, new Set(stuck));
    if (skipped.length > 0) throw new Error(`not removing ${skipped.join(', ')} below ${path}: still a mount point or another filesystem`);
  }

  async listDirectories(path: string): Promise<string[]> {
    const entries = await readdir(path, { withFileTypes: true }).catch((e: unknown) => {
      if (errnoCode(e) === 'ENOENT') return [];
      throw e;
    });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name);
  }

  async readFileLimited(path: string, maxBytes: number): Promise<string | undefined> {
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return undefined;
      throw e;
    }
    try {
      const buffer = Buffer.alloc(Math.max(0, maxBytes));
      let filled = 0;
      while (filled < buffer.length) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buffer.subarray(0, filled).toString('utf8');
    } finally {
      await handle.close();
    }
  }
}

/**
 * Deletes `dir` and what is below it, without following symlinks and without entering a
 * directory that is a mount point (`mounted`) or on another device than `dev`; returns what
 * it left for that reason (their parents stay too, not being empty).
 */
async function removeWithin(dir: string, dev: number, mounted: ReadonlySet<string>): Promise<string[]> {
  if (mounted.has(dir)) return [dir];
  const info = await lstat(dir).catch(() => undefined);
  if (!info) return [];
  if (info.dev !== dev) return [dir];
  const skipped: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true }).catch((e: unknown) => {
    if (errnoCode(e) === 'ENOENT') return [];
    throw e;
  });
  for (const entry of entries) {
    const child = join(dir, entry.name);
    if (mounted.has(child)) skipped.push(child); // a file can be a mount point too
    else if (entry.isDirectory()) skipped.push(...(await removeWithin(child, dev, mounted)));
    else await unlink(child).catch((e: unknown) => (errnoCode(e) === 'ENOENT' ? undefined : Promise.reject(e)));
  }
  if (skipped.length === 0) await rmdir(dir).catch((e: unknown) => (errnoCode(e) === 'ENOENT' ? undefined : Promise.reject(e)));
  return skipped;
}

async function typeMatchedOrError(path: string, expected: FileType, description: string): Promise<HostPathCheckResult> {
  if (!(await pathExists(path))) return { ok: false, message: `hostPath ${path} doesn't exist` };
  let actual: FileType;
  try {
    actual = await getFileType(path);
  } catch (e) {
    return { ok: false, message: `hostPath type check failed, ${path} is not a ${description}, unable to determine its type: ${fileTypeError(e)}` };
  }
  if (actual !== expected) return { ok: false, message: `hostPath type check failed: ${path} is not a ${description}, it's a ${actual}` };
  return { ok: true };
}

/** mount-utils PathExists as kubelet's `exists()` uses it: only a successful stat counts. */
async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

class UnknownFileTypeError extends Error {}

async function getFileType(path: string): Promise<FileType> {
  const info = await stat(path);
  if (info.isDirectory()) return 'Directory';
  if (info.isFile()) return 'File';
  if (info.isSocket()) return 'Socket';
  if (info.isCharacterDevice()) return 'CharDevice';
  if (info.isBlockDevice()) return 'BlockDevice';
  throw new UnknownFileTypeError('only recognise file, directory, socket, block device and character device');
}

function fileTypeError(e: unknown): string {
  if (e instanceof UnknownFileTypeError) return e.message;
  return goPathError(e);
}

/**
 * os.MkdirAll(path, 0755), step by step like Go's, so errors name the same path Go's would
 * (Go reports the first ancestor that is not a directory; Node's recursive mkdir the leaf).
 */
async function makeDir(path: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (info) {
    if (info.isDirectory()) return;
    throw pathError('mkdir', path, 'ENOTDIR');
  }
  let end = path.length;
  while (end > 0 && path[end - 1] === '/') end--;
  let start = end;
  while (start > 0 && path[start - 1] !== '/') start--;
  if (start > 1) await makeDir(path.slice(0, start - 1));
  try {
    await mkdir(path, 0o755);
  } catch (e) {
    const existing = await lstat(path).catch(() => undefined);
    if (existing?.isDirectory()) return;
    throw e;
  }
}

function pathError(syscall: string, path: string, code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path });
}

/** os.OpenFile(path, O_CREATE, 0644): the parent is NOT created. */
async function makeFile(path: string): Promise<void> {
  try {
    const handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_CREAT, 0o644);
    await handle.close();
  } catch (e) {
    if (errnoCode(e) === 'EEXIST') return;
    throw e;
  }
}

// Go's syscall.Errno strings for the errors a path operation can give.
const GO_ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'file exists',
  EISDIR: 'is a directory',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EIO: 'input/output error',
  EDQUOT: 'disk quota exceeded',
};

const GO_OP: Readonly<Record<string, string>> = { open: 'open', mkdir: 'mkdir', stat: 'stat', lstat: 'lstat' };

/**
 * Node's fs error as Go prints an *os.PathError: "<op> <path>: <errno text>". With `path`, an
 * error that names no path or syscall reads as an open of `path`.
 */
export function goPathError(e: unknown, path?: string): string {
  if (!(e instanceof Error)) return String(e);
  const err = e as NodeJS.ErrnoException;
  const text = err.code ? GO_ERRNO_TEXT[err.code] : undefined;
  const syscall = err.syscall ?? (path === undefined ? undefined : 'open');
  const where = err.path ?? path;
  if (!text || !syscall || !where) return err.message;
  return `${GO_OP[syscall] ?? syscall} ${where}: ${text}`;
}
