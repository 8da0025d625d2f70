// DaemonSet + one of its revisions + this node → the pod nodelet runs, as the controller builds
// it (util.CreatePodTemplate, ReplaceDaemonSetPodNodeNameNodeAffinity, controller.GetPodFromTemplate):
// the revision's template with the default daemon tolerations, the controller-revision-hash and
// pod-template-generation labels, an owner reference to the DaemonSet, the node-name affinity
// term and spec.nodeName, then the API server's Pod defaults.
//
// Identity is deterministic instead of random (generateName): uid and name are derived from
// the DaemonSet's uid, the node, the revision hash and an ordinal, so an agent that restarts
// computes the same pod for a container it finds running and adopts it. The ordinal only
// changes when a pod of the same revision must exist beside another one (e.g. recreated with
// surge while the previous one is still terminating). Pure.
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Affinity, Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import { sha256Hex } from '../core/hash.js';
import type { DesiredPod } from '../core/types.js';
import { DEFAULT_NAMESPACE, defaultPod } from '../manifest/defaults.js';
import type { NodeIdentity } from '../node/node-model.js';
import { daemonPodTolerations } from '../node/eligibility.js';
import { type DaemonSetRevision, REVISION_HASH_LABEL, SAFE_ALPHANUMS, TEMPLATE_GENERATION_LABEL } from './revisions.js';

export interface DaemonPodInput {
  readonly ds: DaemonSet;
  /** The DaemonSet's uid as nodelet keeps it (state store), not a uid written in the manifest. */
  readonly dsUid: string;
  /** The revision whose template the pod runs (the current one for new pods). */
  readonly revision: DaemonSetRevision;
  readonly node: NodeIdentity;
  /** The manifest file defining the DaemonSet. */
  readonly file: string;
  /** 0 normally; see daemonPodIdentity. */
  readonly ordinal?: number;
  /** metadata.creationTimestamp (RFC 3339), when the caller knows it. */
  readonly creationTimestamp?: string;
}

/** apiserver names.SimpleNameGenerator: base cut to 63-5 characters, then 5 random-looking ones. */
const MAX_GENERATED_BASE = 58;
const SUFFIX_LENGTH = 5;

export interface DaemonPodIdentity {
  readonly uid: string;
  readonly name: string;
}

/** `<ds>-<5 chars>` and a UUID-shaped uid, both stable for (DaemonSet uid, node, revision hash, ordinal). */
export function daemonPodIdentity(dsName: string, dsUid: string, nodeName: string, hash: string, ordinal = 0): DaemonPodIdentity {
  const digest = sha256Hex('daemon-pod', dsUid, nodeName, hash, String(ordinal));
  const uid = `${digest.slice(0, 8)}-${digest.slice(8, 12)}-4${digest.slice(13, 16)}-${variant(digest.slice(16, 17))}${digest.slice(17, 20)}-${digest.slice(20, 32)}`;
  let suffix = '';
  for (let i = 0; i < SUFFIX_LENGTH; i++) {
    const byte = Number.parseInt(digest.slice(32 + 2 * i, 34 + 2 * i), 16);
    suffix += SAFE_ALPHANUMS[byte % SAFE_ALPHANUMS.length] ?? 'b';
  }
  return { uid, name: `${`${dsName}-`.slice(0, MAX_GENERATED_BASE)}${suffix}` };
}

/** RFC 4122 variant bits (10xx) on the first hex digit of the fourth group. */
function variant(hexDigit: string): string {
  return ((Number.parseInt(hexDigit, 16) & 0x3) | 0x8).toString(16);
}

/**
 * The smallest ordinal from `from` up whose uid none of `existingUids` carries: a new pod never
 * takes the identity of a pod that still exists (running or terminating), nor, with `from`, of
 * one that existed before.
 */
export function nextDaemonPodOrdinal(dsName: string, dsUid: string, nodeName: string, hash: string, existingUids: ReadonlySet<string>, from = 0): number {
  let ordinal = from;
  while (existingUids.has(daemonPodIdentity(dsName, dsUid, nodeName, hash, ordinal).uid)) ordinal++;
  return ordinal;
}

/** The ordinal of a pod found running (its uid from the Docker labels), to rebuild it after a restart. */
export function findDaemonPodOrdinal(dsName: string, dsUid: string, nodeName: string, hash: string, uid: string, maxOrdinal = 64): number | undefined {
  for (let o = 0; o <= maxOrdinal; o++) if (daemonPodIdentity(dsName, dsUid, nodeName, hash, o).uid === uid) return o;
  return undefined;
}

/** The pod of `input.revision` on `input.node`, with DesiredPod origin DaemonSet. */
export function expandDaemonPod(input: DaemonPodInput): DesiredPod {
  const { ds, revision, node } = input;
  const dsName = ds.metadata?.name ?? '';
  const namespace = ds.metadata?.namespace || DEFAULT_NAMESPACE;
  const { uid, name } = daemonPodIdentity(dsName, input.dsUid, node.name, revision.hash, input.ordinal ?? 0);
  const template = structuredClone(revision.template);
  const templateSpec: PodSpec = template.spec ?? { containers: [] };
  const labels: Record<string, string> = { ...(template.metadata?.labels ?? {}) };
  if (revision.templateGeneration !== undefined) labels[TEMPLATE_GENERATION_LABEL] = String(revision.templateGeneration);
  labels[REVISION_HASH_LABEL] = revision.hash;

  const spec: PodSpec = {
    ...templateSpec,
    tolerations: daemonPodTolerations(templateSpec),
    affinity: replaceNodeNameAffinity(templateSpec.affinity, node.name),
    nodeName: node.name,
  };
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ...(template.metadata?.finalizers ? { finalizers: [...template.metadata.finalizers] } : {}),
      name,
      generateName: `${dsName}-`,
      namespace,
      uid,
      labels,
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: dsName, uid: input.dsUid, controller: true, blockOwnerDeletion: true }],
      ...(input.creationTimestamp ? { creationTimestamp: input.creationTimestamp } : {}),
    },
    spec,
  };
  const defaulted = defaultPod(pod);
  const out: Pod = { ...defaulted, status: { phase: 'Pending' } };
  return {
    uid,
    namespace,
    name,
    pod: out,
    origin: { kind: 'DaemonSet', file: input.file, owner: `${namespace}/${dsName}`, revision: revision.revision, templateHash: revision.hash },
  };
}

/**
 * ReplaceDaemonSetPodNodeNameNodeAffinity: the required node affinity becomes one term
 * `matchFields metadata.name In [node]` (the controller already evaluated the user's terms);
 * preferred terms and pod (anti-)affinity stay.
 */
export function replaceNodeNameAffinity(affinity: Affinity | undefined, nodeName: string): Affinity {
  const required = { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }] };
  const copy: Affinity = affinity ? structuredClone(affinity) : {};
  copy.nodeAffinity = { ...(copy.nodeAffinity ?? {}), requiredDuringSchedulingIgnoredDuringExecution: required };
  return copy;
}
