// Pod priority and criticality as the kubelet decides them (pkg/kubelet/types/pod_update.go
// IsCriticalPod / IsNodeCriticalPod / IsStaticPod, pkg/apis/scheduling SystemCriticalPriority
// and the two built-in PriorityClasses). Pure.
//
// Static pods are critical pods upstream: IsCriticalPod is true for any pod whose
// kubernetes.io/config.source is not "api" (nodelet's manifest Pods carry "file"), and for
// mirror pods. That makes them admitted first, able to preempt, and never evicted. It does NOT
// make them -997 for the OOM killer: that takes IsNodeCriticalPod (critical AND priorityClassName
// system-node-critical); otherwise a static pod scores by its QoS class. nodelet's DaemonSet pods
// carry no config.source (they stand for API pods, as the DaemonSet controller creates them), so
// they are critical only by priority (>= 2000000000), like on a kubelet.
import type { Pod } from 'kubernetes-types/core/v1.js';

export const SYSTEM_NODE_CRITICAL = 'system-node-critical';
export const SYSTEM_CLUSTER_CRITICAL = 'system-cluster-critical';
/** scheduling.SystemCriticalPriority: priorities at or above it are critical. */
export const SYSTEM_CRITICAL_PRIORITY = 2_000_000_000;

/** The built-in PriorityClasses (scheduling.SystemPriorityClasses). */
export const BUILTIN_PRIORITY_CLASSES: Readonly<Record<string, number>> = {
  [SYSTEM_NODE_CRITICAL]: SYSTEM_CRITICAL_PRIORITY + 1000,
  [SYSTEM_CLUSTER_CRITICAL]: SYSTEM_CRITICAL_PRIORITY,
};

const CONFIG_SOURCE = 'kubernetes.io/config.source';
const CONFIG_MIRROR = 'kubernetes.io/config.mirror';
const API_SOURCE = 'api';

/**
 * The pod's priority: spec.priority when set, else what the Priority admission plugin would
 * resolve from priorityClassName (only the built-in classes exist on a lone node), else 0.
 */
export function podPriority(pod: Pod): number {
  const spec = pod.spec;
  if (typeof spec?.priority === 'number') return spec.priority;
  const name = spec?.priorityClassName;
  return name !== undefined ? (BUILTIN_PRIORITY_CLASSES[name] ?? 0) : 0;
}

/** IsStaticPod: a config source other than the API server. */
export function isStaticPod(pod: Pod): boolean {
  const source = pod.metadata?.annotations?.[CONFIG_SOURCE];
  return source !== undefined && source !== API_SOURCE;
}

export function isMirrorPod(pod: Pod): boolean {
  return pod.metadata?.annotations?.[CONFIG_MIRROR] !== undefined;
}

/** IsCriticalPodBasedOnPriority. */
export function isCriticalPriority(priority: number): boolean {
  return priority >= SYSTEM_CRITICAL_PRIORITY;
}

/** IsCriticalPod: static, mirror, or of a system-critical priority. */
export function isCriticalPod(pod: Pod): boolean {
  return isStaticPod(pod) || isMirrorPod(pod) || isCriticalPriority(podPriority(pod));
}

/** IsNodeCriticalPod: critical and of the system-node-critical class (the OOM score's -997). */
export function isNodeCriticalPod(pod: Pod): boolean {
  return isCriticalPod(pod) && pod.spec?.priorityClassName === SYSTEM_NODE_CRITICAL;
}

/**
 * preemption.Preemptable: the preemptor is critical and the victim is not, or both have a
 * priority and the preemptor's is higher.
 */
export function isPreemptable(preemptor: Pod, victim: Pod): boolean {
  if (isCriticalPod(preemptor) && !isCriticalPod(victim)) return true;
  return podPriority(preemptor) > podPriority(victim);
}
