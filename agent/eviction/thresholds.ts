// Pure: eviction signals and thresholds as the kubelet parses them (pkg/kubelet/eviction/api/
// types.go, helpers.go ParseThresholdConfig): evictionHard, evictionSoft with its grace periods,
// evictionMinimumReclaim; quantities or percentages of capacity, the `<` operator only.
// containerfs.* is not offered: Docker keeps the writable layers with the images (no split fs).
import { parseQuantity } from '../manifest/quantity.js';
import { parseDuration } from '../core/duration.js';

export const SIGNALS = ['memory.available', 'nodefs.available', 'nodefs.inodesFree', 'imagefs.available', 'imagefs.inodesFree', 'pid.available'] as const;
export type Signal = (typeof SIGNALS)[number];

/** The node condition each signal drives (signalToNodeCondition). */
export type PressureCondition = 'MemoryPressure' | 'DiskPressure' | 'PIDPressure';
export const SIGNAL_CONDITION: Readonly<Record<Signal, PressureCondition>> = {
  'memory.available': 'MemoryPressure',
  'nodefs.available': 'DiskPressure',
  'nodefs.inodesFree': 'DiskPressure',
  'imagefs.available': 'DiskPressure',
  'imagefs.inodesFree': 'DiskPressure',
  'pid.available': 'PIDPressure',
};

/** The resource reclaimed for each signal (signalToResource): the eviction message names it. */
export const SIGNAL_RESOURCE: Readonly<Record<Signal, 'memory' | 'ephemeral-storage' | 'inodes' | 'pids'>> = {
  'memory.available': 'memory',
  'nodefs.available': 'ephemeral-storage',
  'nodefs.inodesFree': 'inodes',
  'imagefs.available': 'ephemeral-storage',
  'imagefs.inodesFree': 'inodes',
  'pid.available': 'pids',
};

/** A quantity (bytes, inodes, pids) or a fraction of capacity (0.1 for `10%`). */
export type ThresholdValue = { readonly quantity: number; readonly text: string } | { readonly percentage: number };

export interface Threshold {
  readonly signal: Signal;
  readonly value: ThresholdValue;
  /** 0 for a hard threshold. */
  readonly gracePeriodMs: number;
  readonly minReclaim?: ThresholdValue;
}

export interface EvictionSettings {
  readonly evictionHard: Readonly<Record<string, string>>;
  readonly evictionSoft: Readonly<Record<string, string>>;
  readonly evictionSoftGracePeriod: Readonly<Record<string, string>>;
  readonly evictionMinimumReclaim: Readonly<Record<string, string>>;
}

function isSignal(s: string): s is Signal {
  return (SIGNALS as readonly string[]).includes(s);
}

function signalOf(key: string): Signal {
  if (!isSignal(key)) throw new Error(`unsupported eviction signal ${key}`);
  return key;
}

/** parsePercentage: `10%` → 0.1 (float32 in Go; a plain double here). */
function percentage(val: string): number {
  const n = Number(val.slice(0, -1));
  if (val.length < 2 || !Number.isFinite(n)) throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(val.slice(0, -1))}: invalid syntax`);
  return n / 100;
}

/** parseThresholdStatement; undefined for `0%` and `100%`, which the kubelet ignores. */
export function parseThresholdStatement(key: string, val: string): ThresholdValue | undefined {
  const signal = signalOf(key);
  if (val.endsWith('%')) {
    if (val === '0%' || val === '100%') return undefined;
    const p = percentage(val);
    if (p < 0) throw new Error(`eviction percentage threshold ${signal} must be >= 0%: ${val}`);
    if (p > 1) throw new Error(`eviction percentage threshold ${signal} must be <= 100%: ${val}`);
    return { percentage: p };
  }
  const q = parseQuantity(val);
  if (q === undefined) throw new Error(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
  if (q <= 0) throw new Error(`eviction threshold ${signal} must be positive: ${val}`);
  return { quantity: q, text: val };
}

function parseMinimumReclaim(key: string, val: string): ThresholdValue {
  const signal = signalOf(key);
  if (val.endsWith('%')) {
    const p = percentage(val);
    if (p <= 0) throw new Error(`eviction percentage minimum reclaim ${signal} must be positive: ${val}`);
    return { percentage: p };
  }
  const q = parseQuantity(val);
  if (q === undefined) throw new Error(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
  if (q < 0) throw new Error(`negative eviction minimum reclaim specified for ${signal}`);
  return { quantity: q, text: val };
}

/** ParseThresholdConfig: hard thresholds, then soft ones (each must have a grace period). Throws the kubelet's errors. */
export function parseThresholdConfig(s: EvictionSettings): Threshold[] {
  const out: Threshold[] = [];
  const grace = new Map<Signal, number>();
  for (const [key, val] of Object.entries(s.evictionSoftGracePeriod)) {
    const signal = signalOf(key);
    const ms = parseDuration(val);
    if (ms === undefined) throw new Error(`time: invalid duration ${JSON.stringify(val)}`);
    grace.set(signal, ms);
  }
  const reclaim = new Map<Signal, ThresholdValue>();
  for (const [key, val] of Object.entries(s.evictionMinimumReclaim)) reclaim.set(signalOf(key), parseMinimumReclaim(key, val));
  const add = (key: string, val: string, gracePeriodMs: number): void => {
    const value = parseThresholdStatement(key, val);
    if (!value) return;
    const signal = key as Signal;
    const minReclaim = reclaim.get(signal);
    out.push({ signal, value, gracePeriodMs, ...(minReclaim ? { minReclaim } : {}) });
  };
  for (const [key, val] of Object.entries(s.evictionHard)) add(key, val, 0);
  for (const [key, val] of Object.entries(s.evictionSoft)) {
    signalOf(key);
    const period = grace.get(key as Signal);
    if (period === undefined) throw new Error(`grace period must be specified for the soft eviction threshold ${key}`);
    add(key, val, period);
  }
  return out;
}

/** GetThresholdQuantity: the value itself, or the percentage of capacity (rounded down, as int64(float64)). */
export function thresholdQuantity(value: ThresholdValue, capacity: number): number {
  return 'quantity' in value ? value.quantity : Math.trunc(value.percentage * capacity);
}

export function isHard(t: Threshold): boolean {
  return t.gracePeriodMs === 0;
}

/** A stable key of a threshold (the kubelet keys its maps by the Threshold value). */
export function thresholdKey(t: Threshold): string {
  const v = 'quantity' in t.value ? `q${t.value.quantity}` : `p${t.value.percentage}`;
  return `${t.signal}|${v}|${t.gracePeriodMs}`;
}
