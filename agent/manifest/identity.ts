// Static-pod identity, as kubelet's applyDefaults gives it (pkg/kubelet/config/common.go):
// name `<name>-<node>`, namespace `default`, spec.nodeName, a NoExecute toleration, a
// content-derived UID and the kubernetes.io/config.* annotations.
import type { Pod, Toleration } from 'kubernetes-types/core/v1.js';
import { canonicalJson, fnv128aHex, hashObject } from '../core/hash.js';
import type { DesiredPod } from '../core/types.js';
import { DEFAULT_NAMESPACE, defaultPod } from './defaults.js';
import { type FieldIssue, invalid } from './field-issue.js';
import { isDNS1123Subdomain } from './names.js';

export const CONFIG_SOURCE_ANNOTATION = 'kubernetes.io/config.source';
export const CONFIG_HASH_ANNOTATION = 'kubernetes.io/config.hash';
export const CONFIG_SEEN_ANNOTATION = 'kubernetes.io/config.seen';
/** kubetypes.FileSource. */
export const FILE_SOURCE = 'file';

export interface StaticPodContext {
  readonly nodeName: string;
  /** The manifest file, recorded as the pod's origin only (see staticPodUid). */
  readonly file: string;
  /** When the pod was first seen; becomes kubernetes.io/config.seen and nothing else. */
  readonly seenAt: Date;
}

/** generatePodName: the node name is lower-cased. */
export function staticPodName(name: string, nodeName: string): string {
  return `${name}-${nodeName.toLowerCase()}`;
}

/**
 * The static pod's UID and kubernetes.io/config.hash, one value as in kubelet's applyDefaults
 * (pkg/kubelet/config/common.go): kept when the manifest sets metadata.uid, else the 128-bit
 * FNV-1a hash (hex, 32 characters, no dashes) of the decoded, defaulted pod before it is
 * renamed, followed by `host:<nodeName>`. The mirror pod's kubernetes.io/config.mirror equals
 * it, so `kubectl describe pod` finds the pod's events; any edit of the pod or another node
 * name gives a new UID, and so a new pod, as the kubelet replaces the whole pod on every edit.
 *
 * Two differences from the kubelet, both unavoidable or deliberate:
 * - the kubelet hashes the Go object with DeepHashObject (a spew dump of the internal type),
 *   which only Go reproduces byte for byte; nodelet hashes the canonical JSON of the same
 *   defaulted object, so the values differ from a kubelet's for the same manifest;
 * - the kubelet also writes `file:<manifest path>`. nodelet leaves the path out: a manifest
 *   object's identity is its kind/namespace/name and the source treats a renamed or moved file
 *   as no change (source/desired-store.ts), so with the path in the hash a rename would
 *   restart the pod only at nodelet's next restart, long after the rename.
 */
export function staticPodUid(pod: Pod, nodeName: string): string {
  return uidOfDefaulted(defaultPod(pod), nodeName);
}

function uidOfDefaulted(defaulted: Pod, nodeName: string): string {
  if (defaulted.metadata?.uid) return defaulted.metadata.uid;
  return fnv128aHex(canonicalJson(defaulted), `host:${nodeName}`);
}

/**
 * The UID nodelet gave a static pod before it used kubelet's hash (up to 0.1.x): sha256 over
 * the node name, namespace/name and the pod-level part of the defaulted pod (app containers
 * and the file path left out). Kept only to recognise the containers such a version started,
 * so an upgraded agent adopts them instead of restarting them (see agent/manifest/adoption.ts).
 */
export function legacyStaticPodUid(pod: Pod, nodeName: string): string {
  const defaulted = defaultPod(pod);
  if (defaulted.metadata?.uid) return defaulted.metadata.uid;
  const namespace = defaulted.metadata?.namespace ?? DEFAULT_NAMESPACE;
  const name = defaulted.metadata?.name ?? '';
  const { containers: _apps, ...podLevel } = defaulted.spec ?? { containers: [] };
  return hashObject({ node: nodeName, key: `${namespace}/${name}`, metadata: defaulted.metadata ?? {}, spec: podLevel }, 32);
}

/** Turns a validated manifest Pod into the pod nodelet runs on this node. Pure. */
export function toStaticPod(pod: Pod, ctx: StaticPodContext): DesiredPod {
  const defaulted = defaultPod(pod);
  const uid = uidOfDefaulted(defaulted, ctx.nodeName);
  const metadata = defaulted.metadata ?? {};
  const namespace = metadata.namespace ?? DEFAULT_NAMESPACE;
  const name = staticPodName(metadata.name ?? '', ctx.nodeName);
  const spec = defaulted.spec ?? { containers: [] };
  const out: Pod = {
    ...defaulted,
    metadata: {
      ...metadata,
      name,
      namespace,
      uid,
      annotations: {
        ...(metadata.annotations ?? {}),
        // applyDefaults: "The generated UID is the hash of the file."
        [CONFIG_HASH_ANNOTATION]: uid,
        [CONFIG_SEEN_ANNOTATION]: formatGoRFC3339Nano(ctx.seenAt),
        [CONFIG_SOURCE_ANNOTATION]: FILE_SOURCE,
      },
    },
    spec: { ...spec, nodeName: ctx.nodeName, tolerations: addOrUpdateToleration(spec.tolerations, NO_EXECUTE_TOLERATION) },
    status: { ...(defaulted.status ?? {}), phase: 'Pending' },
  };
  return { uid, namespace, name, pod: out, origin: { kind: 'Pod', file: ctx.file } };
}

/** Lets the static pod stay on a node with NoExecute taints (kubelet adds it to every file pod). */
const NO_EXECUTE_TOLERATION: Toleration = { operator: 'Exists', effect: 'NoExecute' };

/** helper.AddOrUpdateTolerationInPodSpec: a toleration with the same key/operator/value/effect is replaced, not repeated. */
function addOrUpdateToleration(existing: readonly Toleration[] | undefined, toleration: Toleration): Toleration[] {
  const list = [...(existing ?? [])];
  const matches = (t: Toleration): boolean =>
    (t.key ?? '') === (toleration.key ?? '') &&
    (t.operator ?? '') === (toleration.operator ?? '') &&
    (t.value ?? '') === (toleration.value ?? '') &&
    (t.effect ?? '') === (toleration.effect ?? '');
  const at = list.findIndex(matches);
  if (at >= 0) list[at] = toleration;
  else list.push(toleration);
  return list;
}

/**
 * Go's time format "2006-01-02T15:04:05.000000000Z07:00" in local time, as kubelet writes
 * kubernetes.io/config.seen. `offsetMinutes` (minutes east of UTC) overrides the local zone.
 */
export function formatGoRFC3339Nano(date: Date, offsetMinutes: number = -date.getTimezoneOffset()): string {
  const local = new Date(date.getTime() + offsetMinutes * 60_000);
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  const datePart = `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  const timePart = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  const nanos = pad(local.getUTCMilliseconds() * 1_000_000, 9);
  let zone = 'Z';
  if (offsetMinutes !== 0) {
    const abs = Math.abs(offsetMinutes);
    zone = `${offsetMinutes > 0 ? '+' : '-'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  }
  return `${datePart}T${timePart}.${nanos}${zone}`;
}

/**
 * kubelet validates the pod after renaming it, so `<name>-<node>` must itself be a valid
 * object name (at most 253 characters): problems are reported on metadata.name.
 */
export function staticPodNameIssues(pod: Pod, nodeName: string): FieldIssue[] {
  const name = pod.metadata?.name;
  if (!name) return [];
  const full = staticPodName(name, nodeName);
  return isDNS1123Subdomain(full).map((msg) => invalid('metadata.name', full, msg));
}

/**
 * A UID a manifest sets itself names the pod's directory on the host (`<stateDir>/pods/<uid>`,
 * removed with everything in it when the pod goes) and is part of every Docker container name,
 * so it must be one plain path component in Docker's name alphabet. The API server would accept
 * any string (it never sees a static pod's UID); `metadata: {uid: "../../../etc"}` would make the
 * pod's clean-up delete a host directory.
 */
const SAFE_UID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function isSafePodUid(uid: string): boolean {
  return SAFE_UID.test(uid);
}

export function podUidIssues(pod: Pod): FieldIssue[] {
  const uid = pod.metadata?.uid;
  if (uid === undefined || uid === '' || isSafePodUid(uid)) return [];
  return [
    invalid(
      'metadata.uid',
      uid,
      "nodelet uses the UID as a directory and container name: at most 128 alphanumeric characters, '-', '_' or '.', starting with an alphanumeric character (or leave it out: nodelet derives one)",
    ),
  ];
}

