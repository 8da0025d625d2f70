// The manifest directory adapter: chokidar events and periodic full listings in, per-file parse
// results into the pure desired store, ordered SourceUpdate batches out.
//
// Timing model:
// - Every event for a direct child arms that path's debounce timer (`debounceMs`, default 50 ms;
//   not chokidar's awaitWriteFinish, which waits 2 s). When a timer fires, every pending path is
//   read in one batch, so both halves of a rename (unlink old + add new, microseconds apart)
//   land in the same diff and a renamed file causes no update.
// - A full listing runs at start, every `rescanMs` (default 20 s, kubelet's fileCheckFrequency)
//   and whenever the directory itself appears or disappears; it replaces the whole file set.
// - The directory itself is checked with one stat every `dirRetryMs` (default 1 s, kubelet's
//   retryPeriod): when it appeared, vanished or was replaced (new inode) it is relisted and
//   rewatched. chokidar also reports its creation when the parent exists, which is faster.
// All reads and state changes run one at a time on a promise queue, so batches are applied and
// emitted in the order they were read.
//
// Trust (trust.ts): a file, or the directory itself, that someone other than root or the agent's
// user could write is refused unless `allowInsecureManifests`: it is not read, its status carries
// the refusal, and unlike an invalid file it keeps no objects in force. Permission changes are
// seen at the next read of the file or the next full listing (chokidar does not report chmod).
import { readdir, readFile, realpath, stat, lstat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { watch } from 'chokidar';
import { systemClock, type Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { formatObjectKey, type Diagnostic, type FileResult, type FileStatus, type ManifestObject, type SourceUpdate } from '../core/types.js';
import { MAX_MANIFEST_BYTES } from '../manifest/decode.js';
import {
  EMPTY_DESIRED_STATE,
  applyFileChanges,
  comparePaths,
  computeFileStatuses,
  desiredObjects,
  replaceAllFiles,
  type DesiredState,
  type FileChange,
} from './desired-store.js';
import { ignoreReason } from './file-filter.js';
import type { Logger } from './logger.js';
import { checkManifestTrust, type TrustSubject } from './trust.js';

/** Decodes and validates one file; never throws for bad input (it returns diagnostics). */
export type ParseFile = (text: string, file: string) => FileResult;

export type SourceListener = (updates: readonly SourceUpdate[]) => void;

export const WATCH_EVENTS = ['add', 'change', 'unlink', 'addDir', 'unlinkDir'] as const;
export type WatchEvent = (typeof WATCH_EVENTS)[number];

export interface WatchHandlers {
  onEvent(event: WatchEvent, path: string): void;
  onError(err: unknown): void;
}

export interface DirWatcher {
  close(): Promise<void>;
}

/** Starts watching `dir` (its direct children; the dir itself may not exist yet) and resolves
 *  once the watcher is ready. Injectable so tests can simulate missed events. */
export type WatchDirectory = (dir: string, handlers: WatchHandlers) => Promise<DirWatcher>;

export interface FileSourceOptions {
  readonly dir: string;
  readonly parseFile: ParseFile;
  readonly debounceMs?: number;
  readonly rescanMs?: number;
  readonly dirRetryMs?: number;
  /** Larger files are reported invalid (kubelet's maxConfigLength, 10 MiB). */
  readonly maxFileBytes?: number;
  /** Accept manifests (and a manifest directory) that others could write (trust.ts). */
  readonly allowInsecureManifests?: boolean;
  /** The user besides root who may own manifests (default: the process's uid). */
  readonly agentUid?: number;
}

export interface FileSourceDeps {
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly watchDirectory?: WatchDirectory;
}

export const FILE_SOURCE_DEFAULTS = {
  debounceMs: 50,
  rescanMs: 20_000,
  dirRetryMs: 1_000,
  maxFileBytes: MAX_MANIFEST_BYTES,
} as const;

const READ_CONCURRENCY = 16;

/** chokidar, non-recursive, symlinks followed, no write-finish polling and no atomic-write
 *  delay (our own debounce and re-read cover both). While the directory is missing only its
 *  parent is watched, for the directory's creation: chokidar's own handling of a missing path
 *  arms the parent watch only after 'ready', so a directory created right then would be missed.
 *  With the parent missing too, nothing is watched and the source's poll finds the directory. */
export const watchWithChokidar: WatchDirectory = async (dir, handlers) => {
  const exists = await isDirectory(dir);
  const parent = dirname(dir);
  if (!exists && !(await isDirectory(parent))) {
    return { close: () => Promise.resolve() };
  }
  const target = exists ? dir : parent;
  const onlyDir = (path: string): boolean => {
    const p = resolve(path);
    return p !== parent && p !== dir;
  };
  return new Promise((resolveReady) => {
    const watcher = watch(target, {
      depth: 0,
      ignoreInitial: true,
      followSymlinks: true,
      atomic: false,
      awaitWriteFinish: false,
      persistent: true,
      ...(exists ? {} : { ignored: onlyDir }),
    });
    watcher.on('all', (event, path) => {
      if ((WATCH_EVENTS as readonly string[]).includes(event)) handlers.onEvent(event as WatchEvent, path);
    });
    watcher.on('error', (err) => handlers.onError(err));
    watcher.once('ready', () => resolveReady({ close: () => watcher.close() }));
  });
};

type Cancel = { cancel(): void };

export class FileSource {
  /** The watched directory, absolute. */
  readonly dir: string;
  /** Resolves once the initial full listing has been emitted (or the source was stopped). */
  readonly ready: Promise<void>;

  private readonly parseFile: ParseFile;
  private readonly debounceMs: number;
  private readonly rescanMs: number;
  private readonly dirRetryMs: number;
  private readonly maxFileBytes: number;
  private readonly allowInsecure: boolean;
  private readonly agentUid: number;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly watchDirectory: WatchDirectory;

  private phase: 'new' | 'running' | 'stopped' = 'new';
  private resolveReady: () => void = () => undefined;
  private state: DesiredState = EMPTY_DESIRED_STATE;
  private readonly listeners = new Set<SourceListener>();
  private readonly pending = new Map<string, Cancel>();
  private readonly timers: Cancel[] = [];
  private queue: Promise<void> = Promise.resolve();
  private rescanQueued = false;
  private watcher: { readonly identity: string | undefined; readonly handle: DirWatcher } | undefined;
  private dirState: 'unknown' | 'present' | 'missing' | 'unlistable' = 'unknown';
  /** Parse results by path, reused while the text is unchanged (rescans re-read every file). */
  private readonly parsed = new Map<string, { readonly digest: string; readonly result: FileResult }>();
  /** Last problem logged per path, so a rescan every 20 s does not repeat it. */
  private readonly reported = new Map<string, string>();
  /** Why the directory itself is not trusted (every file in it is refused), as of the last check. */
  private dirTrustProblem: string | undefined;
  /** Files refused by the last read for their owner or mode (trust.ts). */
  private readonly untrusted = new Set<string>();

  constructor(options: FileSourceOptions, deps: FileSourceDeps) {
    this.dir = resolve(options.dir);
    this.parseFile = options.parseFile;
    this.debounceMs = options.debounceMs ?? FILE_SOURCE_DEFAULTS.debounceMs;
    this.rescanMs = options.rescanMs ?? FILE_SOURCE_DEFAULTS.rescanMs;
    this.dirRetryMs = options.dirRetryMs ?? FILE_SOURCE_DEFAULTS.dirRetryMs;
    this.maxFileBytes = options.maxFileBytes ?? FILE_SOURCE_DEFAULTS.maxFileBytes;
    this.allowInsecure = options.allowInsecureManifests ?? false;
    this.agentUid = options.agentUid ?? process.getuid?.() ?? 0;
    this.log = deps.logger;
    this.clock = deps.clock ?? systemClock;
    this.watchDirectory = deps.watchDirectory ?? watchWithChokidar;
    this.ready = new Promise((r) => {
      this.resolveReady = r;
    });
  }

  /** Registers a listener for update batches; returns the unsubscribe function. The first batch
   *  after start is the initial listing as ADDs (possibly empty); later batches are never empty. */
  onUpdate(listener: SourceListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts watching and resolves after the initial listing has been emitted. */
  start(): Promise<void> {
    if (this.phase !== 'new') return this.ready;
    this.phase = 'running';
    void this.enqueue(async () => {
      await this.scan('initial');
      this.resolveReady();
    });
    this.timers.push(this.clock.setInterval(() => this.requestRescan(), this.rescanMs));
    this.timers.push(this.clock.setInterval(() => void this.checkDirectory(), this.dirRetryMs));
    return this.ready;
  }

  /** Closes the watcher and timers and waits for an in-flight read to finish. Idempotent. */
  async stop(): Promise<void> {
    if (this.phase === 'stopped') return;
    this.phase = 'stopped';
    for (const t of this.timers) t.cancel();
    this.timers.length = 0;
    for (const t of this.pending.values()) t.cancel();
    this.pending.clear();
    await this.queue;
    await this.closeWatcher();
    this.resolveReady();
  }

  /** A full listing now, diffed against the current set; resolves once applied and emitted. */
  rescan(): Promise<void> {
    return this.enqueue(() => this.scan('rescan'));
  }

  /** The objects in force, in winning-file then document order. */
  objects(): ManifestObject[] {
    return desiredObjects(this.state);
  }

  /** One status per manifest file, sorted by path. */
  fileStatuses(): FileStatus[] {
    return computeFileStatuses(this.state);
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(async () => {
      if (this.phase === 'running') await task();
    });
    this.queue = run.catch((err: unknown) => {
      this.log.error({ err, dir: this.dir }, 'manifest source step failed');
    });
    return this.queue;
  }

  private requestRescan(): void {
    if (this.rescanQueued || this.phase !== 'running') return;
    this.rescanQueued = true;
    void this.enqueue(async () => {
      this.rescanQueued = false;
      await this.scan('rescan');
    });
  }

  /** Cheap liveness check (one stat): chokidar does not always report the directory itself
   *  being removed, and a watcher on a removed directory hears nothing when it is re-created. */
  private async checkDirectory(): Promise<void> {
    if (this.phase !== 'running' || this.rescanQueued) return;
    const identity = await directoryIdentity(this.dir);
    const expected = identity === undefined ? 'missing' : 'present';
    if (this.watcher === undefined || this.watcher.identity !== identity || this.dirState !== expected) {
      this.requestRescan();
    }
  }

  private readonly handlers: WatchHandlers = {
    onEvent: (event, path) => this.onWatchEvent(event, path),
    onError: (err) => this.log.warn({ err, dir: this.dir }, 'manifest watcher error'),
  };

  private onWatchEvent(event: WatchEvent, rawPath: string): void {
    if (this.phase !== 'running') return;
    const path = resolve(rawPath);
    if (path === this.dir) {
      // The directory itself appeared, vanished or was replaced: relist and rewatch.
      this.requestRescan();
      return;
    }
    if (dirname(path) !== this.dir) return;
    const reason = ignoreReason(basename(path));
    if (reason !== undefined) {
      this.log.debug({ file: path, event, reason }, 'manifest file ignored');
      return;
    }
    this.schedule(path);
  }

  /** (Re)arms the path's debounce timer. */
  private schedule(path: string): void {
    this.pending.get(path)?.cancel();
    this.pending.set(
      path,
      this.clock.setTimeout(() => this.flushPending(), this.debounceMs),
    );
  }

  private flushPending(): void {
    if (this.pending.size === 0) return;
    const paths = [...this.pending.keys()].sort(comparePaths);
    for (const t of this.pending.values()) t.cancel();
    this.pending.clear();
    void this.enqueue(async () => {
      const now = this.clock.now();
      // The directory became (un)trusted: every file's verdict changes, not just these.
      if (await this.refreshDirectoryTrust()) this.requestRescan();
      const changes = await mapLimit(paths, READ_CONCURRENCY, (p) => this.readManifestFile(p));
      const { state, updates } = applyFileChanges(this.state, this.withoutUntrustedObjects(changes), now);
      this.commit(state, updates, false);
      // A file vanished: maybe the whole directory did, which chokidar does not always report.
      if (changes.some((c) => c.result === undefined)) await this.checkDirectory();
    });
  }

  private async scan(kind: 'initial' | 'rescan'): Promise<void> {
    const watcherStarted = await this.ensureWatcher();
    const now = this.clock.now();
    const names = await this.listDirectory(kind);
    if (names === undefined) return;
    await this.refreshDirectoryTrust();
    const paths: string[] = [];
    for (const name of names.sort(comparePaths)) {
      const reason = ignoreReason(name);
      if (reason === undefined) paths.push(join(this.dir, name));
      else if (kind === 'initial') this.log.debug({ file: join(this.dir, name), reason }, 'manifest file ignored');
    }
    const changes = await mapLimit(paths, READ_CONCURRENCY, (p) => this.readManifestFile(p));
    // A file still being written when a new watcher attached can have its last write land
    // before chokidar watched it and after we read it: read every file once more after the
    // debounce (unchanged text is not parsed again).
    if (watcherStarted) for (const p of paths) this.schedule(p);
    const present = new Set(changes.filter((c) => c.result !== undefined).map((c) => c.file));
    for (const file of this.parsed.keys()) if (!present.has(file)) this.parsed.delete(file);
    for (const file of this.untrusted) if (!present.has(file)) this.untrusted.delete(file);
    const { state, updates } = replaceAllFiles(this.state, this.withoutUntrustedObjects(changes), now);
    this.commit(state, updates, kind === 'initial');
  }

  /** Entry names, `[]` when the directory is missing, `undefined` when the listing failed for
   *  another reason (the current set then stays as it is, as kubelet does). */
  private async listDirectory(kind: 'initial' | 'rescan'): Promise<string[] | undefined> {
    try {
      const names = await readdir(this.dir);
      if (this.dirState !== 'present') this.log.info({ dir: this.dir }, 'manifest directory found');
      this.dirState = 'present';
      return names;
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        if (this.dirState !== 'missing') {
          const msg = code === 'ENOENT' ? 'manifest path does not exist, ignoring' : 'manifest path is not a directory, ignoring';
          this.log.info({ dir: this.dir }, msg);
        }
        this.dirState = 'missing';
        return [];
      }
      if (this.dirState !== 'unlistable') this.log.error({ err, dir: this.dir }, 'manifest directory could not be listed');
      this.dirState = 'unlistable';
      return kind === 'initial' ? [] : undefined;
    }
  }

  /** (Re)starts the watcher when the directory appeared, vanished or was replaced. Returns
   *  whether a watcher was started on an existing directory. */
  private async ensureWatcher(): Promise<boolean> {
    const identity = await directoryIdentity(this.dir);
    if (this.watcher !== undefined && this.watcher.identity === identity) return false;
    await this.closeWatcher();
    try {
      const handle = await this.watchDirectory(this.dir, this.handlers);
      if (this.phase === 'stopped') {
        await handle.close();
        return false;
      }
      this.watcher = { identity, handle };
      // Created between our stat and the watcher becoming ready: no event will tell us.
      if (identity === undefined && (await isDirectory(this.dir))) this.requestRescan();
      return identity !== undefined;
    } catch (err) {
      this.log.warn({ err, dir: this.dir }, 'manifest watcher could not start; relying on rescans');
      return false;
    }
  }

  private async closeWatcher(): Promise<void> {
    const w = this.watcher;
    this.watcher = undefined;
    await w?.handle.close().catch((err: unknown) => this.log.debug({ err }, 'manifest watcher close failed'));
  }

  /** Reads one entry. `result: undefined` means "not a manifest file (any more)". */
  private async readManifestFile(file: string): Promise<FileChange> {
    const absent: FileChange = { file, result: undefined };
    let info;
    try {
      info = await stat(file);
    } catch (err) {
      const isLink = await lstat(file).then((s) => s.isSymbolicLink(), () => false);
      if (isLink) {
        this.parsed.delete(file);
        this.reportOnce(file, `could not get metadata: ${errorMessage(err)}`, 'dangling symlink skipped');
        return absent;
      }
      this.forget(file);
      if (isGone(err)) return absent;
      return this.failedRead(file, `could not get metadata: ${errorMessage(err)}`);
    }
    if (info.isDirectory()) {
      this.log.debug({ file }, 'not recursing into subdirectory');
      this.forget(file);
      return absent;
    }
    if (!info.isFile()) {
      this.log.debug({ file }, 'not a regular file, skipped');
      this.forget(file);
      return absent;
    }
    const distrust = this.dirTrustProblem ?? (await this.trustProblem(file, info));
    if (distrust !== undefined) return this.refused(file, distrust);
    this.untrusted.delete(file);
    if (info.size > this.maxFileBytes) {
      return this.failedRead(file, `file is larger than the ${this.maxFileBytes} bytes limit (${info.size} bytes)`);
    }
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if (isGone(err)) {
        this.forget(file);
        return absent;
      }
      return this.failedRead(file, `could not read file: ${errorMessage(err)}`);
    }
    if (text.length === 0) {
      // Zero bytes is what a reader sees between an in-place writer's truncate and its write;
      // treating it as "no objects" would tear pods down and start them again. Like kubelet's
      // decoder (an empty file does not parse as a pod), it is an error: the last valid objects
      // stay in force, and deleting the file is how to remove them.
      return this.failedRead(file, 'file is empty', 'delete the file to remove its objects');
    }
    const digest = sha256Hex(text);
    const cached = this.parsed.get(file);
    if (cached !== undefined && cached.digest === digest) return { file, result: cached.result };
    const result = this.safeParse(text, file);
    this.parsed.set(file, { digest, result });
    const first = result.errors[0];
    if (first !== undefined) {
      this.reportOnce(file, first.message, 'manifest file invalid', { errors: result.errors.length });
    } else {
      this.reported.delete(file);
      this.log.debug({ file, objects: result.objects.length }, 'manifest file read');
    }
    return { file, result };
  }

  /**
   * An untrusted file must not control pods, so unlike an invalid file it does not keep its last
   * objects in force: the file is forgotten first, and its refusal then starts from nothing.
   * Relies on applyFileChanges and replaceAllFiles applying changes in order.
   */
  private withoutUntrustedObjects(changes: readonly FileChange[]): FileChange[] {
    return changes.flatMap((c) => (this.untrusted.has(c.file) && c.result !== undefined ? [{ file: c.file, result: undefined }, c] : [c]));
  }

  /** Re-checks the directory's owner and mode; returns whether the verdict changed. */
  private async refreshDirectoryTrust(): Promise<boolean> {
    const info = this.allowInsecure ? undefined : await stat(this.dir).catch(() => undefined);
    const problem = info?.isDirectory() ? await this.trustProblem(this.dir, info) : undefined;
    if (problem === this.dirTrustProblem) return false;
    if (problem !== undefined) this.log.error({ dir: this.dir, problem }, 'manifest directory refused: insecure owner or mode');
    else if (info !== undefined) this.log.info({ dir: this.dir }, 'manifest directory trusted again');
    this.dirTrustProblem = problem;
    return true;
  }

  /** Why `path` (already stat()ed, so a symlink's target) must not be trusted, if it must not. */
  private async trustProblem(path: string, info: { mode: number; uid: number; isDirectory(): boolean }): Promise<string | undefined> {
    if (this.allowInsecure) return undefined;
    const subject: TrustSubject = { kind: info.isDirectory() ? 'directory' : 'file', path, mode: info.mode, uid: info.uid };
    if (checkManifestTrust(subject, this.agentUid).ok) return undefined;
    // Only a refusal needs to say where a symlink leads.
    const isLink = await lstat(path).then((s) => s.isSymbolicLink(), () => false);
    const target = isLink ? await realpath(path).catch(() => undefined) : undefined;
    const verdict = checkManifestTrust(target === undefined ? subject : { ...subject, symlinkTarget: target }, this.agentUid);
    return verdict.ok ? undefined : verdict.problem;
  }

  /** The file is not read at all; the directory's refusal is logged once, not per file. */
  private refused(file: string, fileProblem: string): FileChange {
    this.parsed.delete(file);
    this.untrusted.add(file);
    if (this.dirTrustProblem === undefined) this.reportOnce(file, fileProblem, 'manifest file refused: insecure owner or mode');
    return { file, result: errorResult(file, fileProblem) };
  }

  private safeParse(text: string, file: string): FileResult {
    try {
      return this.parseFile(text, file);
    } catch (err) {
      return errorResult(file, `internal error while parsing the file: ${errorMessage(err)}`);
    }
  }

  private failedRead(file: string, message: string, hint?: string): FileChange {
    this.parsed.delete(file);
    this.reportOnce(file, message, 'manifest file unreadable');
    return { file, result: errorResult(file, message, hint) };
  }

  private forget(file: string): void {
    this.parsed.delete(file);
    this.reported.delete(file);
  }

  private reportOnce(file: string, problem: string, msg: string, extra: Record<string, unknown> = {}): void {
    if (this.reported.get(file) === problem) return;
    this.reported.set(file, problem);
    this.log.warn({ file, problem, ...extra }, msg);
  }

  private commit(state: DesiredState, updates: readonly SourceUpdate[], always: boolean): void {
    if (this.phase === 'stopped') return;
    this.state = state;
    if (updates.length === 0 && !always) return;
    this.log.debug({ updates: updates.map((u) => `${u.op} ${formatObjectKey(u.key)}`) }, 'manifest objects changed');
    for (const listener of this.listeners) {
      try {
        listener(updates);
      } catch (err) {
        this.log.error({ err }, 'manifest source listener failed');
      }
    }
  }
}

function errorResult(file: string, message: string, hint?: string): FileResult {
  const error: Diagnostic = { severity: 'error', file, message, ...(hint === undefined ? {} : { hint }) };
  return { file, objects: [], errors: [error], warnings: [] };
}

function errnoCode(err: unknown): string | undefined {
  if (err === null || typeof err !== 'object' || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

/** Which directory is at `path` (`undefined` when missing or not a directory). The birth time
 *  is part of it because a directory removed and re-created at once usually gets its inode
 *  number back. */
async function directoryIdentity(path: string): Promise<string | undefined> {
  return stat(path).then(
    (s) => (s.isDirectory() ? `${s.dev}:${s.ino}:${s.birthtimeMs}` : undefined),
    () => undefined,
  );
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}

function isGone(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
