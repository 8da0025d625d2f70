// Pure: what the eviction manager knows of a pod: who is critical (pkg/kubelet/types
// IsCriticalPod: static, mirror, or priority >= 2000000000), its priority, whether it is
// BestEffort, and its usage (the summary API's pod stats, reduced to what eviction reads).
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../manifest/quantity.js';
import { isCriticalPriority, isMirrorPod, podPriority } from '../qos/priority.js';
import { podQos } from '../qos/qos-class.js';

export { podPriority };

/** A pod the eviction manager may look at: an active pod of this node. */
export interface EvictionPod {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly pod: Pod;
  /** From a manifest file (kubernetes.io/config.source: file): a static pod, never evicted. */
  readonly isStatic: boolean;
}

export interface ContainerUsage {
  readonly name: string;
  /** The writable layer (Docker SizeRw). */
  readonly rootfsBytes?: number;
  readonly logsBytes?: number;
  readonly workingSetBytes?: number;
}

export interface PodUsage {
  readonly containers: readonly ContainerUsage[];
  /** Used bytes by volume name (emptyDirs, measured like du). */
  readonly volumes: ReadonlyMap<string, number>;
  /** The pod's ephemeral-storage: rootfs and logs of its containers, its local volumes. */
  readonly ephemeralBytes: number;
  readonly processes?: number;
}

/** IsCriticalPod: static (nodelet's file pods), mirror, or system-critical priority. */
export function isCriticalPod(p: EvictionPod): boolean {
  if (p.isStatic) return true;
  return isMirrorPod(p.pod) || isCriticalPriority(podPriority(p.pod));
}

/** ComputePodQOS == BestEffort: no cpu or memory request or limit in any container. */
export function isBestEffort(pod: Pod): boolean {
  return podQos(pod) === 'BestEffort';
}

/** A container's request of `resource` in bytes (0 when none). */
export function containerRequest(c: Container, resource: string): number {
  const v = c.resources?.requests?.[resource];
  return v === undefined ? 0 : (parseQuantity(v) ?? 0);
}

/**
 * GetResourceRequestQuantity: max(Σ regular containers and restartable init containers,
 * each other init container), plus overhead.
 */
export function podRequest(pod: Pod, resource: string): number {
  const spec = pod.spec;
  const sidecars = (spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
  let sum = [...(spec?.containers ?? []), ...sidecars].reduce((s, c) => s + containerRequest(c, resource), 0);
  for (const c of spec?.initContainers ?? []) if (c.restartPolicy !== 'Always') sum = Math.max(sum, containerRequest(c, resource));
  const overhead = spec?.overhead?.[resource];
  return sum + (overhead === undefined ? 0 : (parseQuantity(overhead) ?? 0));
}
