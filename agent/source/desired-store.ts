// The pure heart of the manifest source: per-file parse results in, the set of objects in force
// and the ADD/UPDATE/REMOVE stream out. No I/O, no clock (callers pass `now`), no logging.
//
// Rules (issue 2):
// - Identity is kind/namespace/name, never the file. A rename, or an object moving to another
//   file unchanged, produces no update at all.
// - All-or-nothing per file: a file whose latest read has any error keeps its *last valid* set
//   of objects in force, whole, even when some documents are fine (a typo never tears anything
//   down and never half-applies an edit). A file that has never been valid contributes nothing.
//   Warnings do not make a file invalid.
// - Two definitions of one object: the first file in sorted path order wins (and, inside one
//   file, the first document); every other definition is ignored and reported as a conflict
//   that names both files. When the winner stops defining the object the next one takes over,
//   which is an UPDATE only if its content differs.
// - UPDATE only when the object's canonical JSON changes (`hashObject`), never for a re-read.
// - A removed file stops contributing; its objects are REMOVEd unless another file defines them.
// - A refused file (trust.ts: someone else could have written it) is treated like an invalid one:
//   its new content is never read, and the objects last read while it was trusted stay in force.
// - After a restart, a file that is invalid or refused at its first read gets the objects of its
//   last valid version back when the source restored them from the state directory.
// - Update order: REMOVEs first (so a kind change frees the pod name before its successor is
//   added), then ADD/UPDATE in winning-file order, then document order.
import { errorMessage } from '../core/errors.js';
import { hashObject } from '../core/hash.js';
import { apiTime } from '../core/time-format.js';
import { formatObjectKey } from '../core/types.js';
import type { Diagnostic, FileResult, FileStatus, ManifestObject, ObjectKey, SourceUpdate } from '../core/types.js';

/** A manifest object with what the diff needs precomputed. */
export interface TrackedObject {
  /** `formatObjectKey(object.key)`. */
  readonly id: string;
  /** The file that defines it, as the source knows the file (the map key). */
  readonly file: string;
  /** `hashObject` of the Kubernetes object alone, so file/document moves never count. */
  readonly hash: string;
  readonly object: ManifestObject;
}

export interface FileEntry {
  readonly file: string;
  /** The latest read, valid or not. */
  readonly result: FileResult;
  /** The last valid set: `result.objects` when the latest read is valid, else the set before. */
  readonly inForce: readonly TrackedObject[];
  /** When the version `inForce` comes from was read; undefined while nothing was ever valid. */
  readonly inForceSince: number | undefined;
  /** The latest read was refused for the file's owner or mode, or a directory on its path. */
  readonly refused: boolean;
  /** `inForce` came back from the state directory after a restart. */
  readonly restored: boolean;
  readonly checkedAt: number;
}

export interface DesiredState {
  readonly files: ReadonlyMap<string, FileEntry>;
  /** Objects in force, keyed by id, in winning-file then document order. */
  readonly winners: ReadonlyMap<string, TrackedObject>;
  /** Conflict diagnostics per losing file. */
  readonly conflicts: ReadonlyMap<string, readonly Diagnostic[]>;
}

/** One file's new state: its latest parse result, or `undefined` when it is gone. */
export interface FileChange {
  readonly file: string;
  readonly result: FileResult | undefined;
  /** The result is a trust refusal (its error says why), not a parse result. */
  readonly refused?: boolean;
  /** The last valid version persisted before a restart: used only when the file has no entry
   *  yet and this result is not valid. */
  readonly restored?: { readonly objects: readonly ManifestObject[]; readonly readAt: number };
}

export interface Reduction {
  readonly state: DesiredState;
  readonly updates: readonly SourceUpdate[];
}

export const EMPTY_DESIRED_STATE: DesiredState = {
  files: new Map(),
  winners: new Map(),
  conflicts: new Map(),
};

/** Apply the files that changed (event path). Files not mentioned keep their state. */
export function applyFileChanges(state: DesiredState, changes: readonly FileChange[], now: number): Reduction {
  const files = new Map(state.files);
  for (const change of changes) {
    if (change.result === undefined) {
      files.delete(change.file);
    } else {
      files.set(change.file, nextEntry(files.get(change.file), { ...change, result: change.result }, now));
    }
  }
  return reduceTo(state, files);
}

/** Replace everything with a full listing (initial scan and periodic rescan). Files missing from
 *  `results`, or listed only without a result, are treated as removed. `results` is applied in
 *  order, as by applyFileChanges: a removal followed by a result for the same file starts that
 *  file afresh (the file source does that for a file it refuses). */
export function replaceAllFiles(state: DesiredState, results: readonly FileChange[], now: number): Reduction {
  const present = new Set<string>();
  for (const r of results) if (r.result !== undefined) present.add(r.file);
  const changes: FileChange[] = [...results];
  for (const file of state.files.keys()) {
    if (!present.has(file)) changes.push({ file, result: undefined });
  }
  return applyFileChanges(state, changes, now);
}

/** The objects in force, in winning-file then document order. */
export function desiredObjects(state: DesiredState): ManifestObject[] {
  return [...state.winners.values()].map((t) => t.object);
}

/** One status per known file, sorted by path. */
export function computeFileStatuses(state: DesiredState): FileStatus[] {
  return sortedFiles(state.files).map((entry) => {
    const conflicts = state.conflicts.get(entry.file) ?? [];
    const invalid = entry.result.errors.length > 0;
    const kept = invalid && entry.inForceSince !== undefined ? entry.inForceSince : undefined;
    const note = keptNote(entry, kept);
    return {
      file: entry.file,
      state: entry.refused ? 'refused' : invalid ? 'invalid' : conflicts.length > 0 ? 'conflict' : 'ok',
      objects: entry.inForce.map((t) => t.object.key),
      errors: [...entry.result.errors, ...conflicts],
      warnings: entry.result.warnings,
      checkedAt: entry.checkedAt,
      ...(kept === undefined ? {} : { keptSince: kept }),
      ...(note === undefined ? {} : { note }),
    };
  });
}

/** What a not-ok file's objects do, in words, for `get manifests`. */
function keptNote(entry: FileEntry, keptSince: number | undefined): string | undefined {
  const n = entry.inForce.length;
  if (keptSince === undefined || n === 0) {
    return entry.refused ? 'not read; no objects of it are in force' : undefined;
  }
  const objects = `${n} object${n === 1 ? '' : 's'}`;
  const restored = entry.restored ? ', restored from the state directory at start' : '';
  if (entry.refused) {
    return `running pods kept: the ${objects} last read while it was trusted (${apiTime(keptSince)}${restored}) stay in force; its new content is not read`;
  }
  return `the last valid version, read at ${apiTime(keptSince)}${restored}, is kept (${objects})`;
}

function nextEntry(prev: FileEntry | undefined, change: FileChange & { readonly result: FileResult }, now: number): FileEntry {
  const { file, result } = change;
  const refused = change.refused === true;
  if (prev !== undefined && prev.result === result && prev.refused === refused) return { ...prev, checkedAt: now };
  const base: { file: string; result: FileResult; refused: boolean; checkedAt: number } = { file, result, refused, checkedAt: now };
  if (result.errors.length === 0 && !refused) {
    try {
      return { ...base, inForce: result.objects.map((object) => track(file, object)), inForceSince: now, restored: false };
    } catch (error) {
      // An object that cannot be hashed (the parser should have refused it) is this file's error,
      // like any invalid content: its last valid objects stay in force and the other files go on.
      const message = `internal error while reading the file's objects: ${errorMessage(error)}`;
      base.result = { ...result, objects: [], errors: [{ severity: 'error', file, message }] };
    }
  }
  if (prev !== undefined) return { ...base, inForce: prev.inForce, inForceSince: prev.inForceSince, restored: prev.restored };
  if (change.restored !== undefined) {
    return { ...base, inForce: change.restored.objects.map((object) => track(file, object)), inForceSince: change.restored.readAt, restored: true };
  }
  return { ...base, inForce: [], inForceSince: undefined, restored: false };
}

function track(file: string, object: ManifestObject): TrackedObject {
  return { id: formatObjectKey(object.key), file, hash: hashObject(object.object), object };
}

function reduceTo(prev: DesiredState, files: ReadonlyMap<string, FileEntry>): Reduction {
  const { winners, conflicts } = resolveWinners(files);
  const updates = diffWinners(prev.winners, winners);
  return { state: { files, winners, conflicts }, updates };
}

function resolveWinners(files: ReadonlyMap<string, FileEntry>): Pick<DesiredState, 'winners' | 'conflicts'> {
  const winners = new Map<string, TrackedObject>();
  const conflicts = new Map<string, Diagnostic[]>();
  for (const entry of sortedFiles(files)) {
    for (const candidate of entry.inForce) {
      const winner = winners.get(candidate.id);
      if (winner === undefined) {
        winners.set(candidate.id, candidate);
        continue;
      }
      const list = conflicts.get(entry.file) ?? [];
      list.push(conflictDiagnostic(winner, candidate));
      conflicts.set(entry.file, list);
    }
  }
  return { winners, conflicts };
}

function diffWinners(
  before: ReadonlyMap<string, TrackedObject>,
  after: ReadonlyMap<string, TrackedObject>,
): SourceUpdate[] {
  const removes: SourceUpdate[] = [];
  for (const [id, old] of before) {
    if (!after.has(id)) removes.push({ op: 'REMOVE', key: old.object.key });
  }
  const changes: SourceUpdate[] = [];
  for (const [id, next] of after) {
    const old = before.get(id);
    if (old === undefined) changes.push({ op: 'ADD', key: next.object.key, object: next.object });
    else if (old.hash !== next.hash) changes.push({ op: 'UPDATE', key: next.object.key, object: next.object });
  }
  return [...removes, ...changes];
}

/** The loser's diagnostic; it names the winning file and the ignored one. */
export function conflictDiagnostic(winner: TrackedObject, loser: TrackedObject): Diagnostic {
  const what = describeKey(loser.object.key);
  const message =
    winner.file !== loser.file
      ? `${what} is also defined in ${winner.file}, which comes first and wins; ` + `the definition in ${loser.file} is ignored`
      : winner.object.document === loser.object.document
        ? // Two items of one PodList: the first runs, as the kubelet's filterInvalidPods keeps it.
          `${what} is defined more than once in the PodList of ${loser.file} (document ${loser.object.document}); the later item is ignored`
        : `${what} is defined more than once in ${loser.file} (documents ${winner.object.document} and ` +
          `${loser.object.document}); document ${loser.object.document} is ignored`;
  return {
    severity: 'error',
    file: loser.file,
    document: loser.object.document,
    message,
    hint: 'define each object in one file only; remove or rename one of the definitions',
  };
}

function describeKey(key: ObjectKey): string {
  return `${key.kind} "${key.name}" in namespace "${key.namespace}"`;
}

function sortedFiles(files: ReadonlyMap<string, FileEntry>): FileEntry[] {
  return [...files.values()].sort((a, b) => comparePaths(a.file, b.file));
}

/** Code-unit order, independent of locale: byte order for ASCII names, like kubelet's sort.Strings. */
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
