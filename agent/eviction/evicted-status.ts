// Pure: an evicted pod's status as the kubelet writes it (TerminatePodAbnormallyAndWait with
// Evict): phase Failed, reason Evicted, the eviction message, and for node-pressure evictions
// the DisruptionTarget condition (reason TerminationByKubelet, the same message).
import type { Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import { apiTime } from '../core/time-format.js';
import type { Eviction } from './manager.js';
import { EVICTED_REASON } from './messages.js';

export function evictedView(pod: Pod, eviction: Eviction, at: number): Pod {
  const status = pod.status ?? {};
  const conditions: PodCondition[] = (status.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
  if (eviction.disruptionCondition) {
    conditions.push({ type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', message: eviction.message, lastTransitionTime: apiTime(at) });
  }
  return { ...pod, status: { ...status, phase: 'Failed', reason: EVICTED_REASON, message: eviction.message, conditions } };
}
