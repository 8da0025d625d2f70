// Pure: which pods are killed in which order at node shutdown, and with what grace period, as
// the kubelet's node shutdown manager decides (pkg/kubelet/nodeshutdown/
// nodeshutdown_manager_linux.go: migrateConfig, groupByPriority, processShutdownEvent).
import { SYSTEM_CRITICAL_PRIORITY } from '../qos/priority.js';
import type { ShutdownConfig, ShutdownGracePeriodByPodPriority } from '../config/shutdown-config.js';

/** scheduling.DefaultPriorityWhenNoDefaultClassExists. */
export const DEFAULT_PRIORITY = 0;
/** scheduling.SystemCriticalPriority (system-cluster-critical; system-node-critical is 1000 above). */
export { SYSTEM_CRITICAL_PRIORITY };

/**
 * The groups, lowest priority first. shutdownGracePeriod T and shutdownGracePeriodCriticalPods C
 * become {priority 0: T−C s} and {priority 2000000000: C s} (whole seconds, as Go's Duration /
 * time.Second); shutdownGracePeriodByPodPriority is used as given. Empty: the feature is off.
 */
export function shutdownGroups(config: ShutdownConfig): ShutdownGracePeriodByPodPriority[] {
  const groups = config.byPodPriority.length > 0 ? [...config.byPodPriority] : migrateConfig(config.gracePeriodMs, config.gracePeriodCriticalPodsMs);
  return groups.sort((a, b) => a.priority - b.priority);
}

function migrateConfig(totalMs: number, criticalMs: number): ShutdownGracePeriodByPodPriority[] {
  if (totalMs === 0) return [];
  const defaultMs = totalMs - criticalMs;
  if (defaultMs < 0) return [];
  return [
    { priority: DEFAULT_PRIORITY, shutdownGracePeriodSeconds: Math.trunc(defaultMs / 1000) },
    { priority: SYSTEM_CRITICAL_PRIORITY, shutdownGracePeriodSeconds: Math.trunc(criticalMs / 1000) },
  ];
}

/** The delay the whole shutdown asks of logind: the sum of the group periods (periodRequested). */
export function periodRequestedSeconds(groups: readonly ShutdownGracePeriodByPodPriority[]): number {
  return groups.reduce((sum, g) => sum + g.shutdownGracePeriodSeconds, 0);
}

/** What the plan needs of a pod. */
export interface ShutdownCandidate {
  readonly uid: string;
  /** namespace/name, for logs. */
  readonly name: string;
  /** spec.priority; undefined counts as 0. The kubelet reads nothing else (not priorityClassName). */
  readonly priority?: number;
  readonly terminationGracePeriodSeconds?: number;
}

export interface PlannedKill {
  readonly uid: string;
  readonly name: string;
  /** min(group period, the pod's terminationGracePeriodSeconds). */
  readonly gracePeriodSeconds: number;
}

export interface PlannedGroup {
  readonly priority: number;
  /** How long the group may take before the next one starts. */
  readonly periodSeconds: number;
  readonly pods: readonly PlannedKill[];
}

/**
 * Each pod goes to the group of the highest priority not above its own; pods below the lowest
 * group go to the lowest, pods above the highest to the highest. Groups keep their order
 * (lowest first), empty ones included (they take no time: see ShutdownManager).
 */
export function groupByPriority(groups: readonly ShutdownGracePeriodByPodPriority[], pods: readonly ShutdownCandidate[]): PlannedGroup[] {
  const planned = groups.map((g) => ({ priority: g.priority, periodSeconds: g.shutdownGracePeriodSeconds, pods: [] as PlannedKill[] }));
  if (planned.length === 0) return [];
  for (const pod of pods) {
    const priority = pod.priority ?? 0;
    let index = 0;
    for (let i = 0; i < planned.length; i++) if ((planned[i]?.priority ?? 0) <= priority) index = i;
    const group = planned[index];
    if (!group) continue;
    const own = pod.terminationGracePeriodSeconds;
    const grace = own !== undefined && own <= group.periodSeconds ? own : group.periodSeconds;
    group.pods.push({ uid: pod.uid, name: pod.name, gracePeriodSeconds: grace });
  }
  return planned;
}
