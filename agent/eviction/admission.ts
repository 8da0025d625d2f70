// Pure: the eviction manager's admit handler (eviction_manager.go Admit). No pressure, or a
// critical pod: admitted. Only MemoryPressure: every pod but BestEffort ones, and those only
// when they tolerate node.kubernetes.io/memory-pressure:NoSchedule. Anything else (DiskPressure,
// PIDPressure, memory with another): rejected, reason Evicted.
import type { Toleration } from 'kubernetes-types/core/v1.js';
import { EVICTED_REASON, nodeConditionMessage } from './messages.js';
import { isBestEffort, isCriticalPod, type EvictionPod } from './pods.js';
import type { PressureCondition } from './thresholds.js';

export const MEMORY_PRESSURE_TAINT = 'node.kubernetes.io/memory-pressure';

export type PressureAdmit = { readonly admit: true } | { readonly admit: false; readonly reason: string; readonly message: string };

/** corev1helpers.TolerationsTolerateTaint for a NoSchedule taint without a value. */
function toleratesMemoryPressure(tolerations: readonly Toleration[] | undefined): boolean {
  return (tolerations ?? []).some((t) => {
    if (t.effect !== undefined && t.effect !== '' && t.effect !== 'NoSchedule') return false;
    if (t.operator === 'Exists') return t.key === undefined || t.key === '' || t.key === MEMORY_PRESSURE_TAINT;
    return t.key === MEMORY_PRESSURE_TAINT && (t.value ?? '') === '';
  });
}

export function admitUnderPressure(p: EvictionPod, conditions: readonly PressureCondition[]): PressureAdmit {
  if (conditions.length === 0 || isCriticalPod(p)) return { admit: true };
  if (conditions.length === 1 && conditions[0] === 'MemoryPressure') {
    if (!isBestEffort(p.pod) || toleratesMemoryPressure(p.pod.spec?.tolerations)) return { admit: true };
  }
  return { admit: false, reason: EVICTED_REASON, message: nodeConditionMessage(conditions) };
}
