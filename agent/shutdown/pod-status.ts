// Pure: the kubelet's strings for graceful node shutdown, and the status of a pod it killed
// (TerminatePodAbnormallyAndWait with Reason/Message/DisruptionTarget; pkg/kubelet/nodeshutdown,
// pkg/kubelet/events/event.go, nodestatus ReadyCondition).
import type { Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import { apiTime } from '../core/time-format.js';

export const NODE_SHUTDOWN_REASON = 'Terminated';
export const NODE_SHUTDOWN_MESSAGE = 'Pod was terminated in response to imminent node shutdown.';
export const NODE_SHUTDOWN_NOT_ADMITTED_REASON = 'NodeShutdown';
export const NODE_SHUTDOWN_NOT_ADMITTED_MESSAGE = 'Pod was rejected as the node is shutting down.';
/** ShutdownStatus()'s error: part of the Ready condition's message while the node shuts down. */
export const NODE_SHUTTING_DOWN = 'node is shutting down';
/** kubeletevents.NodeShutdown: the node event's reason. */
export const NODE_SHUTDOWN_EVENT_REASON = 'Shutdown';
export const SHUTDOWN_DETECTED_MESSAGE = 'Shutdown manager detected shutdown event';
export const SHUTDOWN_CANCELLED_MESSAGE = 'Shutdown manager detected shutdown cancellation';
/** v1.DisruptionTarget with reason PodReasonTerminationByKubelet. */
export const DISRUPTION_TARGET = 'DisruptionTarget';
export const TERMINATION_BY_KUBELET = 'TerminationByKubelet';

/**
 * The status of a pod the shutdown killed: phase Failed (a Succeeded pod stays Succeeded),
 * reason Terminated, the message, and DisruptionTarget=True beside its other conditions.
 * `killedAt` is when the kill began (the condition's transition time).
 */
export function shutdownPodStatus(pod: Pod, killedAt: number): Pod {
  const status = pod.status ?? {};
  const disruption: PodCondition = {
    type: DISRUPTION_TARGET,
    status: 'True',
    lastTransitionTime: apiTime(killedAt),
    reason: TERMINATION_BY_KUBELET,
    message: NODE_SHUTDOWN_MESSAGE,
  };
  const conditions = [...(status.conditions ?? []).filter((c) => c.type !== DISRUPTION_TARGET), disruption];
  return {
    ...pod,
    status: {
      ...status,
      phase: status.phase === 'Succeeded' ? 'Succeeded' : 'Failed',
      reason: NODE_SHUTDOWN_REASON,
      message: NODE_SHUTDOWN_MESSAGE,
      conditions,
    },
  };
}
