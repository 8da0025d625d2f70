// Pure: the eviction settings of the config file, named and defaulted as the kubelet's
// KubeletConfiguration (evictionHard, evictionSoft, evictionSoftGracePeriod,
// evictionMinimumReclaim, evictionMaxPodGracePeriod, evictionPressureTransitionPeriod,
// localStorageCapacityIsolation). The thresholds' own syntax is checked where they are parsed
// (eviction/thresholds.ts), at start.
import { DEFAULT_EVICTION_HARD } from '../qos/allocatable.js';
import { durationReader } from './config-duration.js';

export interface EvictionConfig {
  /** Signal → threshold; a configured map replaces the kubelet's defaults as a whole. */
  readonly evictionHard: Readonly<Record<string, string>>;
  readonly evictionSoft: Readonly<Record<string, string>>;
  readonly evictionSoftGracePeriod: Readonly<Record<string, string>>;
  readonly evictionMinimumReclaim: Readonly<Record<string, string>>;
  /** Grace period of pods evicted for a soft threshold (seconds). */
  readonly evictionMaxPodGracePeriodSeconds: number;
  /** How long a pressure condition stays after its signal cleared. */
  readonly evictionPressureTransitionPeriodMs: number;
  /** The eviction manager's round (the kubelet's fixed 10 s housekeeping). */
  readonly evictionMonitoringPeriodMs: number;
  /** Enforce ephemeral-storage limits and emptyDir sizeLimit by eviction. */
  readonly localStorageCapacityIsolation: boolean;
}

/** The kubelet's Linux defaults (pkg/kubelet/eviction/defaults_linux.go). */
/** The kubelet's default evictionHard (shared with the allocatable sum). */
export { DEFAULT_EVICTION_HARD };

function stringMap(raw: unknown): Record<string, string> {
  return raw !== null && typeof raw === 'object' ? { ...(raw as Record<string, string>) } : {};
}

/** Reads the eviction keys of the (schema-checked) config file; problems are appended to `problems`. */
export function resolveEvictionConfig(file: Readonly<Record<string, unknown>>, problems: string[]): EvictionConfig {
  const read = durationReader(problems);
  const duration = (key: string, fallback: string): number => read(key, file[key], fallback);
  const monitoring = duration('evictionMonitoringPeriod', '10s');
  if (monitoring < 100) problems.push('evictionMonitoringPeriod: must be at least 100ms');
  const maxGrace = typeof file.evictionMaxPodGracePeriod === 'number' ? file.evictionMaxPodGracePeriod : 0;
  return {
    evictionHard: file.evictionHard === undefined ? DEFAULT_EVICTION_HARD : stringMap(file.evictionHard),
    evictionSoft: stringMap(file.evictionSoft),
    evictionSoftGracePeriod: stringMap(file.evictionSoftGracePeriod),
    evictionMinimumReclaim: stringMap(file.evictionMinimumReclaim),
    evictionMaxPodGracePeriodSeconds: maxGrace,
    evictionPressureTransitionPeriodMs: duration('evictionPressureTransitionPeriod', '5m'),
    evictionMonitoringPeriodMs: monitoring,
    localStorageCapacityIsolation: typeof file.localStorageCapacityIsolation === 'boolean' ? file.localStorageCapacityIsolation : true,
  };
}
