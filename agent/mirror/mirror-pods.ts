// Mirror pods: what kubelet's mirror client and SyncPod/HandlePodCleanups do, as a pure
// plan. Desired = the pods nodelet runs (static Pods and DaemonSet pods, with their status);
// existing = the pods on this node that carry the mirror annotation. The plan creates
// missing mirrors, recreates those being deleted, built from another version of the pod
// (hash) or owned by an older Node object, deletes mirrors whose pod is gone, and patches
// the status of the rest when it differs from what was last written.
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import { canonicalJson } from '../core/hash.js';
import { CONFIG_HASH_ANNOTATION } from '../manifest/identity.js';
import type { NodeOwner } from './lease.js';
import { mergePodStatus, podStatusPatch, type PodStatusPatch } from './two-way-patch.js';

export const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

/** getPodHash: the config hash; DaemonSet pods (no file hash) use their uid. */
export function podHash(pod: Pod): string {
  return pod.metadata?.annotations?.[CONFIG_HASH_ANNOTATION] ?? pod.metadata?.uid ?? '';
}

export function podKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/**
 * CreateMirrorPod's object: the pod with the mirror annotation and a single controller owner
 * reference to the Node (NodeRestriction accepts nothing else). The API server assigns the
 * uid and resets status, so neither is sent; finalizers are left out because a node may not
 * remove them later. Other owner references (a DaemonSet) give way to the Node's.
 */
export function mirrorPodFor(pod: Pod, node: NodeOwner): Pod {
  const { uid: _uid, resourceVersion: _rv, creationTimestamp: _ct, finalizers: _f, ownerReferences: _or, managedFields: _mf, generation: _g, deletionTimestamp: _dt, deletionGracePeriodSeconds: _dg, ...metadata } = pod.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...metadata,
      annotations: { ...(metadata.annotations ?? {}), [MIRROR_ANNOTATION]: podHash(pod) },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node.name, uid: node.uid, controller: true }],
    },
    spec: pod.spec ?? { containers: [] },
  };
}

/** A mirror pod as listed from the API server. */
export interface ExistingMirror {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** Its kubernetes.io/config.mirror annotation. */
  readonly hash: string;
  readonly deleting: boolean;
  /** uid of its Node owner reference, if any. */
  readonly ownerUid?: string;
  /** Its status as the API server last returned it: the base of the two-way status patch. */
  readonly status?: PodStatus;
}

export function toExistingMirror(pod: Pod): ExistingMirror | undefined {
  const hash = pod.metadata?.annotations?.[MIRROR_ANNOTATION];
  const uid = pod.metadata?.uid;
  if (hash === undefined || !uid) return undefined;
  return {
    namespace: pod.metadata?.namespace ?? 'default',
    name: pod.metadata?.name ?? '',
    uid,
    hash,
    deleting: Boolean(pod.metadata?.deletionTimestamp),
    ownerUid: pod.metadata?.ownerReferences?.find((r) => r.kind === 'Node' && r.apiVersion === 'v1')?.uid,
    ...(pod.status ? { status: pod.status } : {}),
  };
}

/** The mirror pods among the pods listed for this node, by namespace/name. */
export function indexMirrors(pods: readonly Pod[]): Map<string, ExistingMirror> {
  const out = new Map<string, ExistingMirror>();
  for (const p of pods) {
    const m = toExistingMirror(p);
    if (m) out.set(podKey(m.namespace, m.name), m);
  }
  return out;
}

export type RecreateReason = 'deleting' | 'hash' | 'owner';

export type MirrorAction =
  | { readonly type: 'create'; readonly key: string; readonly mirror: Pod; readonly status?: PodStatus }
  | { readonly type: 'recreate'; readonly key: string; readonly reason: RecreateReason; readonly existing: ExistingMirror; readonly mirror: Pod; readonly status?: PodStatus }
  | { readonly type: 'delete'; readonly key: string; readonly existing: ExistingMirror }
  /** The pod terminates: a graceful DELETE sets the mirror's deletionTimestamp (kubectl shows Terminating); the final delete follows once it has terminated. */
  | { readonly type: 'markTerminating'; readonly key: string; readonly existing: ExistingMirror; readonly gracePeriodSeconds: number }
  | { readonly type: 'patchStatus'; readonly key: string; readonly existing: ExistingMirror; readonly status: PodStatus; readonly patch: PodStatusPatch };

export interface MirrorPlanInput {
  /** Pods nodelet runs, with the status it computed. */
  readonly desired: readonly Pod[];
  readonly existing: ReadonlyMap<string, ExistingMirror>;
  /** Last status written per mirror uid. */
  readonly sent: ReadonlyMap<string, PodStatus>;
  readonly node: NodeOwner;
  /** Keys not to touch now (failed recently, backing off). */
  readonly skip?: ReadonlySet<string>;
}

export function planMirrors(input: MirrorPlanInput): MirrorAction[] {
  const actions: MirrorAction[] = [];
  const desiredKeys = new Set<string>();
  for (const pod of runningFirst(input.desired)) {
    const key = podKey(pod.metadata?.namespace ?? 'default', pod.metadata?.name ?? '');
    desiredKeys.add(key);
    if (input.skip?.has(key)) continue;
    const existing = input.existing.get(key);
    if (pod.metadata?.deletionTimestamp) {
      // Terminating: no new mirror, never a recreation; the mirror shows the deletion, and its
      // status keeps following until the pod is gone and the mirror is deleted.
      if (!existing) continue;
      if (!existing.deleting) {
        actions.push({ type: 'markTerminating', key, existing, gracePeriodSeconds: pod.metadata.deletionGracePeriodSeconds ?? 0 });
        continue;
      }
    } else if (!existing) {
      // The mirror object is built only when it is sent: this plan runs every poll (1 s) for every pod.
      actions.push({ type: 'create', key, mirror: mirrorPodFor(pod, input.node), status: pod.status });
      continue;
    }
    const reason = pod.metadata?.deletionTimestamp ? undefined : recreateReason(existing, podHash(pod), input.node);
    if (reason) {
      actions.push({ type: 'recreate', key, reason, existing, mirror: mirrorPodFor(pod, input.node), status: pod.status });
      continue;
    }
    // Sent when the local status changed since it was last written (status_manager's version
    // check); the patch is the full two-way diff from the API server's copy.
    const sent = input.sent.get(existing.uid);
    if (pod.status && !sameStatus(sent, pod.status)) {
      const patch = podStatusPatch(existing.uid, existing.status, mergePodStatus(existing.status, pod.status));
      actions.push({ type: 'patchStatus', key, existing, status: pod.status, patch });
    }
  }
  for (const [key, existing] of input.existing) {
    if (!desiredKeys.has(key) && !input.skip?.has(key)) actions.push({ type: 'delete', key, existing });
  }
  return actions;
}

/**
 * One pod per full name: a terminating pod (deletionTimestamp, listed until its containers are
 * gone so its mirror is deleted only then) gives way to the pod of that name that replaces it,
 * which the mirror must show (kubelet mirrors the pod its pod manager holds).
 */
function runningFirst(pods: readonly Pod[]): Pod[] {
  const byKey = new Map<string, Pod>();
  for (const pod of pods) {
    const key = podKey(pod.metadata?.namespace ?? 'default', pod.metadata?.name ?? '');
    const seen = byKey.get(key);
    if (!seen || (seen.metadata?.deletionTimestamp && !pod.metadata?.deletionTimestamp)) byKey.set(key, pod);
  }
  return [...byKey.values()];
}

/** SyncPod: a mirror being deleted, or not a mirror of this pod (IsMirrorPodOf), is replaced. */
function recreateReason(existing: ExistingMirror, hash: string, node: NodeOwner): RecreateReason | undefined {
  if (existing.deleting) return 'deleting';
  if (existing.hash !== hash) return 'hash';
  // The Node was deleted and registered again: the old owner is gone and the garbage
  // collector will remove the mirror anyway.
  if (existing.ownerUid !== undefined && existing.ownerUid !== node.uid) return 'owner';
  return undefined;
}

export function sameStatus(a: PodStatus | undefined, b: PodStatus | undefined): boolean {
  return a !== undefined && b !== undefined && canonicalJson(a) === canonicalJson(b);
}
