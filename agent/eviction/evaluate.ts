// Pure: one round of the kubelet's eviction bookkeeping (eviction_manager.go synchronize,
// helpers.go): which thresholds are met (with minimum reclaim for those met before), since
// when, which node conditions they raise and how long a condition stays after its signal
// cleared (evictionPressureTransitionPeriod), and which thresholds passed their grace period.
// Times are on the monotonic clock.
import { SIGNAL_CONDITION, thresholdKey, thresholdQuantity, type PressureCondition, type Signal, type Threshold } from './thresholds.js';

export interface Observation {
  readonly available: number;
  readonly capacity: number;
  /** When the stat was taken (thresholdsUpdatedStats: only fresh stats drive an eviction). */
  readonly time: number;
}

export type Observations = ReadonlyMap<Signal, Observation>;

/** thresholdsMet: available < threshold (+ minimum reclaim when enforced). */
export function thresholdsMet(thresholds: readonly Threshold[], observations: Observations, enforceMinReclaim: boolean): Threshold[] {
  return thresholds.filter((t) => {
    const o = observations.get(t.signal);
    if (!o) return false;
    let quantity = thresholdQuantity(t.value, o.capacity);
    if (enforceMinReclaim && t.minReclaim) quantity += thresholdQuantity(t.minReclaim, o.capacity);
    return quantity > o.available;
  });
}

export interface EvictionState {
  /** thresholdsFirstObservedAt, by thresholdKey. */
  readonly firstObservedAt: ReadonlyMap<string, { readonly threshold: Threshold; readonly at: number }>;
  /** nodeConditionsLastObservedAt. */
  readonly conditionsLastObservedAt: ReadonlyMap<PressureCondition, number>;
  /** thresholdsMet after grace periods (kept for the minimum-reclaim rule next round). */
  readonly thresholdsMet: readonly Threshold[];
  readonly lastObservations: Observations;
}

export const INITIAL_STATE: EvictionState = { firstObservedAt: new Map(), conditionsLastObservedAt: new Map(), thresholdsMet: [], lastObservations: new Map() };

export interface RoundResult {
  readonly state: EvictionState;
  /** The node conditions to report (transition period applied). */
  readonly conditions: readonly PressureCondition[];
  /** Thresholds past their grace period, with fresh stats: these drive reclaim and eviction. */
  readonly actionable: readonly Threshold[];
}

function merge(a: readonly Threshold[], b: readonly Threshold[]): Threshold[] {
  const keys = new Set(a.map(thresholdKey));
  return [...a, ...b.filter((t) => !keys.has(thresholdKey(t)))];
}

/** One observation round: the pure part of synchronize up to the local-storage check. */
export function evaluateRound(config: { readonly thresholds: readonly Threshold[]; readonly pressureTransitionPeriodMs: number }, prev: EvictionState, observations: Observations, now: number): RoundResult {
  let met = thresholdsMet(config.thresholds, observations, false);
  if (prev.thresholdsMet.length > 0) met = merge(met, thresholdsMet(prev.thresholdsMet, observations, true));
  const firstObservedAt = new Map<string, { threshold: Threshold; at: number }>();
  for (const t of met) {
    const key = thresholdKey(t);
    firstObservedAt.set(key, { threshold: t, at: prev.firstObservedAt.get(key)?.at ?? now });
  }
  const observedNow = [...new Set(met.map((t) => SIGNAL_CONDITION[t.signal]))];
  const conditionsLastObservedAt = new Map(prev.conditionsLastObservedAt);
  for (const c of observedNow) conditionsLastObservedAt.set(c, now);
  const conditions = [...conditionsLastObservedAt].filter(([, at]) => now - at < config.pressureTransitionPeriodMs).map(([c]) => c);
  // A condition out of its window is forgotten (the kubelet keeps it, harmlessly; a map that
  // only grows is not worth copying).
  for (const [c, at] of conditionsLastObservedAt) if (now - at >= config.pressureTransitionPeriodMs) conditionsLastObservedAt.delete(c);
  const graceMet = [...firstObservedAt.values()].filter((e) => now - e.at >= e.threshold.gracePeriodMs).map((e) => e.threshold);
  const actionable = graceMet.filter((t) => {
    const o = observations.get(t.signal);
    if (!o) return false;
    const last = prev.lastObservations.get(t.signal);
    return !last || o.time > last.time;
  });
  return {
    state: { firstObservedAt, conditionsLastObservedAt, thresholdsMet: graceMet, lastObservations: observations },
    conditions: sortConditions(conditions),
    actionable,
  };
}

const CONDITION_ORDER: readonly PressureCondition[] = ['MemoryPressure', 'DiskPressure', 'PIDPressure'];

function sortConditions(c: readonly PressureCondition[]): PressureCondition[] {
  return CONDITION_ORDER.filter((x) => c.includes(x));
}

/** byEvictionPriority: memory first, then the rest in their configured order. */
export function byEvictionPriority(thresholds: readonly Threshold[]): Threshold[] {
  const memory = thresholds.filter((t) => t.signal === 'memory.available');
  return [...memory, ...thresholds.filter((t) => t.signal !== 'memory.available')];
}
