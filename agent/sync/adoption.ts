// Adopting the containers an older nodelet started for a static pod under its old UID scheme
// (before the UID became kubelet's config hash). Docker labels cannot be changed on a running
// container, and the UID is in every container's name, labels and the pod's directory, so a
// pod is not renamed: the desired pod keeps the old UID as its runtime identity while its
// kubernetes.io/config.hash (and so the mirror's kubernetes.io/config.mirror, and the UID its
// events carry in the API server) is the new one. The pod keeps running untouched; the next
// edit of its manifest replaces it with a pod under the new UID, as any edit does.
//
// Adopted only when nothing runs under the new UID and every container of the old pod was
// started from the spec the manifest still has (same spec hash): a manifest edited while the
// agent was being upgraded gives a new pod, as the kubelet would.
import type { Container } from 'kubernetes-types/core/v1.js';
import type { ObservedPod } from '../core/runtime-types.js';
import type { DesiredPod } from '../core/types.js';

/** Whether `running` holds the pod `desired` was under the legacy UID, unchanged since. */
export function adoptsLegacyPod(desired: DesiredPod, legacyUid: string, running: readonly ObservedPod[], specHash: (c: Container) => string): boolean {
  if (desired.origin.kind !== 'Pod' || legacyUid === desired.uid) return false;
  if (running.some((p) => p.uid === desired.uid)) return false;
  const old = running.find((p) => p.uid === legacyUid && p.namespace === desired.namespace && p.name === desired.name);
  if (!old) return false;
  const spec = desired.pod.spec;
  const wanted = new Map([...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].map((c) => [c.name, specHash(c)]));
  return old.containers.every((c) => c.role === 'sandbox' || wanted.get(c.name) === c.specHash);
}

/** The desired pod under another runtime UID (its config hash stays). */
export function withRuntimeUid(desired: DesiredPod, uid: string): DesiredPod {
  return { ...desired, uid, pod: { ...desired.pod, metadata: { ...desired.pod.metadata, uid } } };
}
