// DaemonSet revision history, as the controller keeps it in ControllerRevisions
// (pkg/controller/daemon/update.go constructHistory / snapshot / dedupCurHistories /
// cleanupHistory; controller.ComputeHash): one record per distinct pod template, named
// `<ds>-<hash>`, numbered forward only (a template that becomes current again is renumbered
// max+1, which is how `rollout undo` to revision 1 yields revision 3), pruned oldest first past
// revisionHistoryLimit except revisions still on a live pod. Also the generation bookkeeping
// the API server does (metadata.generation, templateGeneration). Pure.
import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { canonicalJson, hashObject } from '../core/hash.js';
import { defaultDaemonSet } from '../manifest/defaults.js';
import { apiTime } from '../core/time-format.js';

/** apps.DefaultDaemonSetUniqueLabelKey (= ControllerRevisionHashLabelKey). */
export const REVISION_HASH_LABEL = 'controller-revision-hash';
/** extensions.DaemonSetTemplateGenerationKey. */
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
/** apps.DeprecatedTemplateGeneration: templateGeneration as apps/v1 exposes it. */
export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';

export const DEFAULT_REVISION_HISTORY_LIMIT = 10;

/** A ControllerRevision of one DaemonSet, as nodelet stores it. */
export interface DaemonSetRevision {
  /** `<ds>-<hash>`. */
  readonly name: string;
  readonly namespace: string;
  /** The controller-revision-hash label value. */
  readonly hash: string;
  readonly revision: number;
  /** The defaulted pod template (ControllerRevision.data without the patch wrapper). */
  readonly template: PodTemplateSpec;
  /** The DaemonSet's annotations when the revision was created (kubernetes.io/change-cause...). */
  readonly annotations: Readonly<Record<string, string>>;
  /** The DaemonSet's templateGeneration when the revision was created: the pod-template-generation label of its pods. */
  readonly templateGeneration?: number;
  /** RFC 3339, second precision. */
  readonly createdAt: string;
}

// --- hash ---------------------------------------------------------------------------------------

const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;

/** hash/fnv New32a over `bytes`, continuing from `seed`. */
export function fnv32a(bytes: Uint8Array, seed: number = FNV32_OFFSET): number {
  let h = seed >>> 0;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, FNV32_PRIME) >>> 0;
  }
  return h >>> 0;
}

/** k8s.io/apimachinery/pkg/util/rand: consonants and digits that cannot spell bad words. */
export const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** rand.SafeEncodeString: every byte mapped through SAFE_ALPHANUMS. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (const b of new TextEncoder().encode(s)) out += SAFE_ALPHANUMS[b % SAFE_ALPHANUMS.length] ?? '';
  return out;
}

/**
 * controller.ComputeHash: FNV-1a 32 over the template, then the collision count as a uint32
 * little-endian in an 8-byte buffer when set, rendered as the decimal sum through
 * SafeEncodeString. Go hashes a deep dump of the struct; nodelet hashes the canonical JSON of
 * the defaulted template, so values have the same shape but differ from a cluster's.
 */
export function computeTemplateHash(template: PodTemplateSpec, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(canonicalJson(normalizeTemplate(template))));
  if (collisionCount !== undefined) {
    const buf = new Uint8Array(8);
    new DataView(buf.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(buf, h);
  }
  return safeEncodeString(String(h));
}

/** The template as the DaemonSet defaulting leaves it, so explicit and implicit defaults compare equal. */
export function normalizeTemplate(template: PodTemplateSpec): PodTemplateSpec {
  return defaultDaemonSet({ spec: { selector: {}, template } }).spec?.template ?? {};
}

/** Match(): the stored template is the DaemonSet's current one. */
export function templatesEqual(a: PodTemplateSpec, b: PodTemplateSpec): boolean {
  return canonicalJson(normalizeTemplate(a)) === canonicalJson(normalizeTemplate(b));
}

/** getPatch(): ControllerRevision.data, a strategic-merge patch that replaces spec.template. */
export function revisionPatchData(template: PodTemplateSpec): string {
  return canonicalJson({ spec: { template: { ...normalizeTemplate(template), $patch: 'replace' } } });
}

// --- history ------------------------------------------------------------------------------------

export interface RevisionOptions {
  /** ms since epoch: createdAt of a new revision. */
  readonly now: number;
  /** status.collisionCount as stored. */
  readonly collisionCount?: number;
  /** The DaemonSet's current templateGeneration, recorded on a new revision. */
  readonly templateGeneration?: number;
}

export interface RevisionPlan {
  /** The revision of the DaemonSet's current template (created or renumbered as needed). */
  readonly current: DaemonSetRevision;
  readonly created: boolean;
  /** An existing revision became current again and got number max+1. */
  readonly renumbered: boolean;
  /** Set when a hash collision forced a higher status.collisionCount (persist it). */
  readonly collisionCount?: number;
  /** The history to store: current + kept old revisions, ascending by revision. */
  readonly history: readonly DaemonSetRevision[];
  /** Revisions to drop: duplicates of the current template, then the oldest past the limit. */
  readonly pruned: readonly DaemonSetRevision[];
}

/**
 * constructHistory + cleanupHistory for one DaemonSet. `ds` must be defaulted;
 * `liveHashes` are the controller-revision-hash labels of its pods (terminating ones included),
 * whose revisions are never pruned.
 */
export function computeRevisions(
  ds: DaemonSet,
  history: readonly DaemonSetRevision[],
  liveHashes: ReadonlySet<string>,
  opts: RevisionOptions,
): RevisionPlan {
  const template = normalizeTemplate(ds.spec?.template ?? {});
  const name = ds.metadata?.name ?? '';
  const namespace = ds.metadata?.namespace ?? 'default';
  // templatesEqual, with the current template normalised and serialised once, not once per
  // stored revision: this runs on every DaemonSet sync.
  const templateJson = canonicalJson(template);
  const matching = history.filter((h) => canonicalJson(normalizeTemplate(h.template)) === templateJson);
  const old = history.filter((h) => !matching.includes(h));
  const nextNumber = maxRevision(old) + 1;

  let current: DaemonSetRevision;
  let created = false;
  let renumbered = false;
  let collisionCount = opts.collisionCount;
  const duplicates: DaemonSetRevision[] = [];
  if (matching.length === 0) {
    let hash = computeTemplateHash(template, collisionCount);
    // snapshot(): a name taken by a different template is a hash collision; bump and rehash.
    for (let guard = 0; history.some((h) => h.name === revisionName(name, hash)) && guard < 1000; guard++) {
      collisionCount = (collisionCount ?? 0) + 1;
      hash = computeTemplateHash(template, collisionCount);
    }
    current = {
      name: revisionName(name, hash),
      namespace,
      hash,
      revision: nextNumber,
      template,
      annotations: { ...(ds.metadata?.annotations ?? {}) },
      ...(opts.templateGeneration !== undefined ? { templateGeneration: opts.templateGeneration } : {}),
      createdAt: apiTime(opts.now),
    };
    created = true;
  } else {
    // dedupCurHistories: keep the highest revision (the last one on ties).
    let keep = matching[0] as DaemonSetRevision;
    for (const m of matching) if (m.revision >= keep.revision) keep = m;
    duplicates.push(...matching.filter((m) => m !== keep));
    current = keep;
    if (keep.revision < nextNumber) {
      current = { ...keep, revision: nextNumber };
      renumbered = true;
    }
  }

  const limit = ds.spec?.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT;
  let toKill = old.length - limit;
  const pruned: DaemonSetRevision[] = [...duplicates];
  for (const h of [...old].sort((a, b) => a.revision - b.revision)) {
    if (toKill <= 0) break;
    if (liveHashes.has(h.hash)) continue;
    pruned.push(h);
    toKill--;
  }
  const kept = old.filter((h) => !pruned.includes(h));
  const result: RevisionPlan = {
    current,
    created,
    renumbered,
    history: [...kept, current].sort((a, b) => a.revision - b.revision),
    pruned,
  };
  return collisionCount !== opts.collisionCount && collisionCount !== undefined ? { ...result, collisionCount } : result;
}

/** snapshot(): `ds.Name + "-" + hash` (not truncated, as the DaemonSet controller does it). */
export function revisionName(dsName: string, hash: string): string {
  return `${dsName}-${hash}`;
}

export function maxRevision(history: readonly DaemonSetRevision[]): number {
  return history.reduce((max, h) => Math.max(max, h.revision), 0);
}

/**
 * kubectl findHistory: toRevision 0 = the previous revision (second highest), else the one
 * numbered toRevision; undefined when there is none.
 */
export function findRevision(history: readonly DaemonSetRevision[], toRevision: number): DaemonSetRevision | undefined {
  if (toRevision === 0) {
    if (history.length <= 1) return undefined;
    return [...history].sort((a, b) => a.revision - b.revision)[history.length - 2];
  }
  return history.find((h) => h.revision === toRevision);
}

/** The stored revision as an apps/v1 ControllerRevision (get controllerrevisions -o yaml). */
export function toControllerRevision(rev: DaemonSetRevision, owner: { readonly name: string; readonly uid: string }): ControllerRevision {
  const labels = { ...(rev.template.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: rev.hash };
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: rev.name,
      namespace: rev.namespace,
      labels,
      ...(Object.keys(rev.annotations).length > 0 ? { annotations: { ...rev.annotations } } : {}),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: true }],
      creationTimestamp: rev.createdAt,
    },
    data: JSON.parse(revisionPatchData(rev.template)) as object,
    revision: rev.revision,
  };
}

// --- generation ---------------------------------------------------------------------------------

export interface GenerationState {
  /** metadata.generation: bumped by every spec change. */
  readonly generation: number;
  /** Bumped by template changes only; deprecated.daemonset.template.generation. */
  readonly templateGeneration: number;
  readonly specHash: string;
  readonly templateHash: string;
}

/**
 * What the API server's DaemonSet strategy does on create (1/1) and update (spec change →
 * generation+1, template change → also templateGeneration+1). Metadata changes bump nothing.
 */
export function observeGeneration(prev: GenerationState | undefined, ds: DaemonSet): GenerationState {
  const defaulted = defaultDaemonSet(ds);
  const spec = defaulted.spec ?? { selector: {}, template: {} };
  const specHash = hashObject(spec, 32);
  const templateHash = hashObject(spec.template, 32);
  if (!prev) return { generation: 1, templateGeneration: 1, specHash, templateHash };
  if (prev.specHash === specHash) return prev;
  return {
    generation: prev.generation + 1,
    templateGeneration: prev.templateHash === templateHash ? prev.templateGeneration : prev.templateGeneration + 1,
    specHash,
    templateHash,
  };
}

/** The DaemonSet as the API would return it: generation and the template-generation annotation set. */
export function withGeneration(ds: DaemonSet, gen: GenerationState): DaemonSet {
  const metadata = ds.metadata ?? {};
  return {
    ...ds,
    metadata: {
      ...metadata,
      generation: gen.generation,
      annotations: { ...(metadata.annotations ?? {}), [TEMPLATE_GENERATION_ANNOTATION]: String(gen.templateGeneration) },
    },
  };
}
