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
// Trust (trust.ts, secure-read.ts): a file, or the directory itself, that someone other than root
// or the agent's user could write, or whose path crosses a directory they could write, is
// refused unless `allowInsecureManifests`: its new content is not read and its status carries the
// refusal, but like an invalid file it keeps the objects last read while it was trusted, so a
// chmod by mistake does not stop every pod. Permission changes are seen at the next read of the
// file or the next full listing (chokidar does not report chmod).
//
// Restarts (last-valid-store.ts): each file's last valid text is kept in the state directory, so
// a file invalid or refused at start keeps its last valid objects across a restart too.
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { watch } from 'chokidar';
import { systemClock, type Clock } from '../core/clock.js';
import { errnoCode, errorMessage } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { backoffDelay } from '../core/backoff.js';
import { apiTime } from '../core/time-format.js';
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
import type { LastValidRecord, LastValidStore } from './last-valid-store.js';
import { directoryTrustProblem, readManifestSecurely } from './secure-read.js';

/** The initial scan's retries: 1 s doubling to 30 s. */
const INITIAL_SCAN_RETRY = { initialMs: 1000, maxMs: 30_000 } as const;

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
  /** Keeps each file's last valid version across restarts (default: none, kept in memory only). */
  readonly lastValidStore?: LastValidStore;
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
  private initialDone = false;
  private initialFailures = 0;
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
  /** The text of each file's last valid read, which the last-valid store persists. */
  private readonly validTexts = new Map<string, LastValidRecord>();
  /** The digest stored for each file in the last-valid store. */
  private readonly persisted = new Map<string, string>();
  private readonly storeProblems = new Map<string, string>();
  private readonly lastValidStore: LastValidStore | undefined;

  constructor(options: FileSourceOptions, deps: FileSourceDeps) {
    this.dir = resolve(options.dir);
    this.parseFile = options.parseFile;
    this.debounceMs = options.debounceMs ?? FILE_SOURCE_DEFAULTS.debounceMs;
    this.rescanMs = options.rescanMs ?? FILE_SOURCE_DEFAULTS.rescanMs;
    this.dirRetryMs = options.dirRetryMs ?? FILE_SOURCE_DEFAULTS.dirRetryMs;
    this.maxFileBytes = options.maxFileBytes ?? FILE_SOURCE_DEFAULTS.maxFileBytes;
    this.allowInsecure = options.allowInsecureManifests ?? false;
    this.agentUid = options.agentUid ?? process.getuid?.() ?? 0;
    this.lastValidStore = options.lastValidStore;
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
    void this.enqueue(() => this.initialScan());
    this.timers.push(this.clock.setInterval(() => this.requestRescan(), this.rescanMs));
    this.timers.push(this.clock.setInterval(() => void this.checkDirectory(), this.dirRetryMs));
    return this.ready;
  }

  /**
   * The first full listing. Every file's read and parse is guarded, but should a step still
   * throw, the scan is retried (1 s doubling to 30 s) instead of leaving `ready` unresolved,
   * which would keep the agent from ever starting. `ready` is not resolved early: an agent
   * that started on a partial listing would remove the containers of the pods it has not seen.
   */
  private async initialScan(): Promise<void> {
    try {
      await this.scan('initial');
      this.initialDone = true;
      this.resolveReady();
    } catch (err) {
      this.initialFailures++;
      const retryInMs = backoffDelay(INITIAL_SCAN_RETRY, this.initialFailures);
      this.log.error({ err, dir: this.dir, retryInMs }, 'initial manifest scan failed; retrying');
      this.timers.push(this.clock.setTimeout(() => void this.enqueue(() => this.initialScan()), retryInMs));
    }
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
    // Until the first listing succeeded, its own retry is the rescan.
    if (this.rescanQueued || this.phase !== 'running' || !this.initialDone) return;
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
      const { state, updates } = applyFileChanges(this.state, changes, now);
      this.commit(state, updates, false);
      await this.persistLastValid();
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
    const read = await mapLimit(paths, READ_CONCURRENCY, (p) => this.readManifestFile(p));
    const changes = kind === 'initial' ? await this.restoreLastValid(read) : read;
    // A file still being written when a new watcher attached can have its last write land
    // before chokidar watched it and after we read it: read every file once more after the
    // debounce (unchanged text is not parsed again).
    if (watcherStarted) for (const p of paths) this.schedule(p);
    const present = new Set(changes.filter((c) => c.result !== undefined).map((c) => c.file));
    for (const file of this.parsed.keys()) if (!present.has(file)) this.parsed.delete(file);
    const { state, updates } = replaceAllFiles(this.state, changes, now);
    this.commit(state, updates, kind === 'initial');
    await this.persistLastValid();
  }

  /**
   * At start: a file that is invalid or refused gets the objects of its last valid version back
   * from the state directory (parsed again with today's settings); records of files that are no
   * longer there are dropped. Without a store, or when the directory could not be listed (the
   * files may still be there), nothing is dropped.
   */
  private async restoreLastValid(changes: readonly FileChange[]): Promise<FileChange[]> {
    const store = this.lastValidStore;
    if (store === undefined) return [...changes];
    const records = await store
      .load((path, problem) => this.log.warn({ record: path, problem }, 'last valid manifest record unreadable, ignored'))
      .catch((err: unknown) => {
        this.log.warn({ err }, 'last valid manifest records could not be loaded');
        return [];
      });
    const byFile = new Map(records.map((r) => [r.file, r]));
    const present = new Set(changes.filter((c) => c.result !== undefined).map((c) => c.file));
    if (this.dirState !== 'unlistable') {
      for (const r of records) if (!present.has(r.file)) await this.removeRecord(r.file);
    }
    return changes.map((change) => {
      const record = byFile.get(change.file);
      if (record === undefined || change.result === undefined) return change;
      this.persisted.set(change.file, record.digest);
      if (change.result.errors.length === 0 && change.refused !== true) return change;
      const result = this.safeParse(record.text, change.file);
      const readAt = apiTime(record.readAt);
      if (result.errors.length > 0) {
        this.log.warn({ file: change.file, readAt, problem: result.errors[0]?.message }, 'last valid version of a manifest is not valid with the current settings; not restored');
        return change;
      }
      this.validTexts.set(change.file, record);
      this.log.warn(
        { file: change.file, readAt, objects: result.objects.length, problem: change.result.errors[0]?.message },
        `manifest file ${change.refused === true ? 'refused' : 'invalid'} at start; keeping its last valid version from the state directory`,
      );
      return { ...change, restored: { objects: result.objects, readAt: record.readAt } };
    });
  }

  /** Saves each file's last valid text when it changed and drops the records of files gone. */
  private async persistLastValid(): Promise<void> {
    const store = this.lastValidStore;
    if (store === undefined || this.phase === 'stopped') return;
    for (const file of [...this.persisted.keys()]) if (!this.state.files.has(file)) await this.removeRecord(file);
    for (const [file, record] of this.validTexts) {
      if (!this.state.files.has(file)) {
        this.validTexts.delete(file);
        continue;
      }
      if (this.persisted.get(file) === record.digest) continue;
      try {
        await store.save(record);
        this.persisted.set(file, record.digest);
        this.storeProblems.delete(file);
      } catch (err) {
        this.reportStoreProblem(file, err);
      }
    }
  }

  private async removeRecord(file: string): Promise<void> {
    try {
      await this.lastValidStore?.remove(file);
      this.persisted.delete(file);
      this.storeProblems.delete(file);
    } catch (err) {
      this.reportStoreProblem(file, err);
    }
  }

  /** Once per file and problem: a full state disk would otherwise repeat it at every rescan. */
  private reportStoreProblem(file: string, err: unknown): void {
    const problem = errorMessage(err);
    if (this.storeProblems.get(file) === problem) return;
    this.storeProblems.set(file, problem);
    this.log.warn({ file, problem }, 'last valid version of a manifest could not be saved in the state directory');
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
    if (this.dirTrustProblem !== undefined) {
      // Nothing in the directory is read; only tell manifests from what is not one.
      const kind = await stat(file).then((s) => (s.isFile() ? 'file' : 'other'), () => 'gone');
      if (kind !== 'file') {
        this.forget(file);
        return absent;
      }
      return this.refused(file, this.dirTrustProblem);
    }
    const outcome = await readManifestSecurely(file, { agentUid: this.agentUid, checkTrust: !this.allowInsecure, maxBytes: this.maxFileBytes });
    switch (outcome.kind) {
      case 'absent':
        this.forget(file);
        return absent;
      case 'dangling':
        this.parsed.delete(file);
        this.reportOnce(file, outcome.message, 'dangling symlink skipped');
        return absent;
      case 'directory':
        this.log.debug({ file }, 'not recursing into subdirectory');
        this.forget(file);
        return absent;
      case 'special':
        this.log.debug({ file }, 'not a regular file, skipped');
        this.forget(file);
        return absent;
      case 'refused':
        return this.refused(file, outcome.problem);
      case 'too-large':
        return this.failedRead(file, `file is larger than the ${this.maxFileBytes} bytes limit (${outcome.size} bytes)`);
      case 'failed':
        return this.failedRead(file, outcome.message);
      case 'read':
        return this.parseText(file, outcome.text);
    }
  }

  private parseText(file: string, text: string): FileChange {
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
      this.validTexts.set(file, { file, digest, text, readAt: this.clock.now() });
      this.log.debug({ file, objects: result.objects.length }, 'manifest file read');
    }
    return { file, result };
  }

  /** Re-checks the directory's path, owner and mode; returns whether the verdict changed. */
  private async refreshDirectoryTrust(): Promise<boolean> {
    const problem = this.allowInsecure ? undefined : await directoryTrustProblem(this.dir, this.agentUid);
    if (problem === this.dirTrustProblem) return false;
    if (problem !== undefined) this.log.error({ dir: this.dir, problem }, 'manifest directory refused: insecure owner or mode; running pods kept');
    else this.log.info({ dir: this.dir }, 'manifest directory trusted again');
    this.dirTrustProblem = problem;
    return true;
  }

  /**
   * The file is not read at all. Like an invalid file, it keeps the objects last read while it
   * was trusted (they were checked then; only its new content is suspect), and a file never
   * trusted contributes nothing. The directory's refusal is logged once, not per file.
   */
  private refused(file: string, problem: string): FileChange {
    this.parsed.delete(file);
    if (this.dirTrustProblem === undefined) this.reportOnce(file, problem, 'manifest file refused: insecure owner or mode');
    return { file, result: errorResult(file, problem), refused: true };
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
