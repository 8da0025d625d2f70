// oom_score_adj of each container, exactly as pkg/kubelet/qos/policy.go computes it
// (GetContainerOOMScoreAdjust, without the alpha KubeletOOMScoreAdjTieBreak gate), and the
// sandbox's fixed value from cri-dockerd (core/sandbox_helpers.go). Pure.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { isSidecar } from '../core/containers.js';
import { isNodeCriticalPod } from './priority.js';
import { podLevelResourcesSet, podQos, type PodSpecWithResources } from './qos-class.js';
import { containerRequests, quantityValue } from './pod-resources.js';

export const GUARANTEED_OOM_SCORE_ADJ = -997;
export const BEST_EFFORT_OOM_SCORE_ADJ = 1000;
/** cri-dockerd's pause container (the kubelet's old PodInfraOOMAdj). */
export const SANDBOX_OOM_SCORE_ADJ = -998;

function memoryRequest(c: Container): bigint {
  return quantityValue(containerRequests(c).get('memory') ?? 0n);
}

/** Go's int64 division truncates toward zero; so does bigint division. */
function linear(memRequest: bigint, capacity: bigint): bigint {
  return 1000n - (1000n * memRequest) / capacity;
}

/**
 * remainingPodMemReqPerContainer: the pod-level memory request not given to any container,
 * shared equally among all containers (init ones included).
 */
function remainingPodMemoryPerContainer(pod: Pod): bigint {
  const spec = pod.spec as PodSpecWithResources | undefined;
  const raw = spec?.resources?.requests?.memory;
  const podRequest = raw === undefined ? 0n : quantityValue(containerRequests({ name: '', resources: { requests: { memory: raw } } }).get('memory') ?? 0n);
  if (podRequest === 0n) return 0n;
  const all = [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])];
  const perContainer = all.reduce((sum, c) => sum + memoryRequest(c), 0n);
  return (podRequest - perContainer) / BigInt(all.length);
}

/** GetContainerOOMScoreAdjust for `container` of `pod` on a machine with `memoryCapacity` bytes. */
export function containerOomScoreAdj(pod: Pod, container: Container, memoryCapacity: number): number {
  if (isNodeCriticalPod(pod)) return GUARANTEED_OOM_SCORE_ADJ;
  const qos = podQos(pod);
  if (qos === 'Guaranteed') return GUARANTEED_OOM_SCORE_ADJ;
  if (qos === 'BestEffort') return BEST_EFFORT_OOM_SCORE_ADJ;
  const capacity = BigInt(Math.max(1, Math.floor(memoryCapacity)));
  const podLevel = podLevelResourcesSet(pod.spec as PodSpecWithResources | undefined);
  const remaining = podLevel ? remainingPodMemoryPerContainer(pod) : 0n;
  let adj = linear(memoryRequest(container) + remaining, capacity);
  // A sidecar scores no higher than the regular container with the smallest request.
  const isInit = (pod.spec?.initContainers ?? []).some((c) => c.name === container.name);
  const regular = pod.spec?.containers ?? [];
  if (isInit && isSidecar(container) && regular.length > 0) {
    const minRequest = regular.map(memoryRequest).reduce((a, b) => (b < a ? b : a));
    const minAdj = linear(minRequest + remaining, capacity);
    if (adj > minAdj) adj = minAdj;
  }
  // Burstable stays above any Guaranteed container and below BestEffort.
  if (adj < BigInt(1000 + GUARANTEED_OOM_SCORE_ADJ)) return 1000 + GUARANTEED_OOM_SCORE_ADJ;
  if (adj === BigInt(BEST_EFFORT_OOM_SCORE_ADJ)) return BEST_EFFORT_OOM_SCORE_ADJ - 1;
  return Number(adj);
}

/**
 * containerd's restrict_oom_score_adj: where the runtime may not lower a score below its own
 * (no CAP_SYS_RESOURCE: a rootless or capability-dropped engine, where runc fails the container
 * with "can't get final child's PID from pipe" for a negative score), the score is raised to
 * that floor instead of failing the pod.
 */
export function restrictOomScoreAdj(score: number, floor: number | undefined): number {
  return floor !== undefined && score < floor ? floor : score;
}

/** CAP_SYS_RESOURCE (bit 24) in a /proc/<pid>/status CapEff line. */
export function hasCapSysResource(procStatus: string): boolean {
  const m = /^CapEff:\s*([0-9a-fA-F]+)$/m.exec(procStatus);
  return m?.[1] !== undefined && (BigInt(`0x${m[1]}`) & (1n << 24n)) !== 0n;
}

/**
 * The lowest OOM score this process can give its containers: none with CAP_SYS_RESOURCE, else
 * its own (/proc/self/status and /proc/self/oom_score_adj as read).
 */
export function oomScoreFloor(procStatus: string, ownOomScoreAdj: string): number | undefined {
  return hasCapSysResource(procStatus) ? undefined : Number(ownOomScoreAdj.trim());
}
