// What nodelet keeps per DaemonSet across restarts, where the API server and etcd would keep
// it: the DaemonSet's uid and generations, its revision history (ControllerRevisions), the
// collision count, and the rollout/backoff bookkeeping. One JSON file per DaemonSet,
// <stateDir>/daemonsets/<namespace>_<name>.json (neither part can contain `_`), written
// atomically; removed with the DaemonSet.
import { mkdir, readFile, readdir, unlink } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { NodeletError, errorMessage } from '../core/errors.js';
import { type HostFs, NodeHostFs } from '../host/host-fs.js';
import { apiTime } from '../core/time-format.js';
import { type DaemonSetRevision, type GenerationState, observeGeneration } from './revisions.js';
import type { BackoffState, RolloutProgress } from './rollout.js';

const FORMAT_VERSION = 1;
export const DAEMONSETS_DIR = 'daemonsets';

export interface DaemonSetState {
  readonly namespace: string;
  readonly name: string;
  /** metadata.uid: owner of its pods and revisions; new when the DaemonSet is created again. */
  readonly uid: string;
  /** metadata.creationTimestamp, RFC 3339. */
  readonly createdAt: string;
  readonly generation: GenerationState;
  /** status.observedGeneration. */
  readonly observedGeneration?: number;
  /** status.collisionCount. */
  readonly collisionCount?: number;
  /** Ascending by revision. */
  readonly revisions: readonly DaemonSetRevision[];
  readonly progress?: RolloutProgress;
  readonly failedPodBackoff?: BackoffState;
  /**
   * The lowest pod ordinal (expand.ts) no pod of this DaemonSet on this node has used yet: a pod
   * deleted by hand is replaced by one with a new name and uid, as the API server's generateName
   * gives the DaemonSet controller's new pod, never by its own identity again.
   */
  readonly nextPodOrdinal?: number;
}

/** The state of a DaemonSet seen for the first time (uid from `newUid`, generation 1). */
export function newDaemonSetState(ds: DaemonSet, now: number, newUid: () => string = randomUUID): DaemonSetState {
  return {
    namespace: ds.metadata?.namespace || 'default',
    name: ds.metadata?.name ?? '',
    uid: newUid(),
    createdAt: apiTime(now),
    generation: observeGeneration(undefined, ds),
    revisions: [],
  };
}

export function daemonSetStateFile(namespace: string, name: string): string {
  return `${namespace}_${name}.json`;
}

export class DaemonSetStateStore {
  readonly #dir: string;
  readonly #fs: Pick<HostFs, 'writeFileAtomic'>;

  constructor(stateDir: string, fs: Pick<HostFs, 'writeFileAtomic'> = new NodeHostFs()) {
    this.#dir = join(stateDir, DAEMONSETS_DIR);
    this.#fs = fs;
  }

  path(namespace: string, name: string): string {
    return join(this.#dir, daemonSetStateFile(namespace, name));
  }

  /** undefined when nothing is stored; a corrupt file is an NLT_STATE error. */
  async load(namespace: string, name: string): Promise<DaemonSetState | undefined> {
    const file = this.path(namespace, name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new NodeletError('NLT_STATE', `cannot read ${file}: ${errorMessage(e)}`, { cause: e });
    }
    return decode(file, text);
  }

  /** Every stored DaemonSet (to find state whose manifest is gone); unreadable files are reported, not thrown. */
  async loadAll(): Promise<{ readonly states: DaemonSetState[]; readonly errors: { readonly file: string; readonly message: string }[] }> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { states: [], errors: [] };
      throw new NodeletError('NLT_STATE', `cannot list ${this.#dir}: ${errorMessage(e)}`, { cause: e });
    }
    const states: DaemonSetState[] = [];
    const errors: { file: string; message: string }[] = [];
    for (const n of names.filter((x) => x.endsWith('.json') && !x.startsWith('.')).sort()) {
      const file = join(this.#dir, n);
      try {
        states.push(decode(file, await readFile(file, 'utf8')));
      } catch (e) {
        errors.push({ file, message: errorMessage(e) });
      }
    }
    return { states, errors };
  }

  async save(state: DaemonSetState): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const body = { version: FORMAT_VERSION, ...state };
    await this.#fs.writeFileAtomic(this.path(state.namespace, state.name), `${JSON.stringify(body, null, 2)}\n`, 0o600);
  }

  /** Drops the DaemonSet's state and history; a missing file is fine. */
  async remove(namespace: string, name: string): Promise<void> {
    try {
      await unlink(this.path(namespace, name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new NodeletError('NLT_STATE', `cannot remove ${this.path(namespace, name)}: ${errorMessage(e)}`, { cause: e });
    }
  }
}

function decode(file: string, text: string): DaemonSetState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new NodeletError('NLT_STATE', `${file} is not valid JSON: ${errorMessage(e)}`, { cause: e });
  }
  const parsed = parseDaemonSetState(json);
  if (!parsed.ok) throw new NodeletError('NLT_STATE', `${file}: ${parsed.error}`);
  return parsed.state;
}

/** Shape check of a stored state (pure). */
export function parseDaemonSetState(json: unknown): { ok: true; state: DaemonSetState } | { ok: false; error: string } {
  if (!isRecord(json)) return { ok: false, error: 'expected a JSON object' };
  if (json['version'] !== FORMAT_VERSION) return { ok: false, error: `unsupported version ${JSON.stringify(json['version'])}` };
  for (const k of ['namespace', 'name', 'uid', 'createdAt'] as const) {
    if (typeof json[k] !== 'string' || json[k] === '') return { ok: false, error: `${k} must be a non-empty string` };
  }
  const gen = json['generation'];
  if (
    !isRecord(gen) ||
    !isCount(gen['generation']) ||
    !isCount(gen['templateGeneration']) ||
    typeof gen['specHash'] !== 'string' ||
    typeof gen['templateHash'] !== 'string'
  ) {
    return { ok: false, error: 'generation must be {generation, templateGeneration, specHash, templateHash}' };
  }
  const revisions: DaemonSetRevision[] = [];
  if (!Array.isArray(json['revisions'])) return { ok: false, error: 'revisions must be a list' };
  for (const r of json['revisions'] as unknown[]) {
    const rev = readRevision(r);
    if (!rev) return { ok: false, error: `invalid revision ${JSON.stringify(r).slice(0, 200)}` };
    revisions.push(rev);
  }
  const progress = readProgress(json['progress']);
  const failedPodBackoff = readBackoff(json['failedPodBackoff']);
  const state: DaemonSetState = {
    namespace: json['namespace'] as string,
    name: json['name'] as string,
    uid: json['uid'] as string,
    createdAt: json['createdAt'] as string,
    generation: {
      generation: gen['generation'] as number,
      templateGeneration: gen['templateGeneration'] as number,
      specHash: gen['specHash'] as string,
      templateHash: gen['templateHash'] as string,
    },
    revisions: revisions.sort((a, b) => a.revision - b.revision),
    ...(isCount(json['observedGeneration']) ? { observedGeneration: json['observedGeneration'] } : {}),
    ...(isCount(json['collisionCount']) ? { collisionCount: json['collisionCount'] } : {}),
    ...(progress ? { progress } : {}),
    ...(failedPodBackoff ? { failedPodBackoff } : {}),
    ...(isCount(json['nextPodOrdinal']) ? { nextPodOrdinal: json['nextPodOrdinal'] } : {}),
  };
  return { ok: true, state };
}

function readRevision(r: unknown): DaemonSetRevision | undefined {
  if (!isRecord(r)) return undefined;
  const { name, namespace, hash, revision, template, annotations, templateGeneration, createdAt } = r;
  if (typeof name !== 'string' || typeof namespace !== 'string' || typeof hash !== 'string' || typeof createdAt !== 'string') return undefined;
  if (!isCount(revision) || !isRecord(template)) return undefined;
  if (annotations !== undefined && !isStringMap(annotations)) return undefined;
  if (templateGeneration !== undefined && !isCount(templateGeneration)) return undefined;
  return {
    name,
    namespace,
    hash,
    revision,
    template: template as PodTemplateSpec,
    annotations: (annotations as Record<string, string> | undefined) ?? {},
    ...(templateGeneration !== undefined ? { templateGeneration } : {}),
    createdAt,
  };
}

function readProgress(p: unknown): RolloutProgress | undefined {
  if (!isRecord(p) || typeof p['hash'] !== 'string' || typeof p['since'] !== 'number') return undefined;
  const lastComplete = p['lastComplete'];
  return typeof lastComplete === 'string' ? { hash: p['hash'], since: p['since'], lastComplete } : { hash: p['hash'], since: p['since'] };
}

function readBackoff(b: unknown): BackoffState | undefined {
  if (!isRecord(b) || typeof b['delayMs'] !== 'number' || typeof b['lastUpdate'] !== 'number') return undefined;
  return { delayMs: b['delayMs'], lastUpdate: b['lastUpdate'] };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringMap(v: unknown): boolean {
  return isRecord(v) && Object.values(v).every((x) => typeof x === 'string');
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}
