// What a pod asks of the node and what its cgroup gets: the effective requests and limits
// (component-helpers resource PodRequests / PodLimits: regular containers and sidecars summed,
// init containers as a maximum, pod-level resources, plus spec.overhead), the kubelet's cpu
// conversions (pkg/kubelet/cm/helpers_linux.go MilliCPUToShares / MilliCPUToQuota), the cgroup
// v2 cpu.weight of a share value (opencontainers/cgroups ConvertCPUSharesToCgroupV2Value) and
// the pod cgroup's limits (ResourceConfigForPod). Quantities are kept as exact nano-units. Pure.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { isSidecar } from '../core/containers.js';
import { quantityNano } from '../manifest/quantity.js';
import { podQos, type PodSpecWithResources } from './qos-class.js';

/** Resource name → amount in nano-units (1 cpu = 1e9; 1 byte of memory = 1e9). */
export type ResourceAmounts = Map<string, bigint>;

const NANO = 1_000_000_000n;
/** Resources a pod-level `resources` may set (IsSupportedPodLevelResource). */
const POD_LEVEL_RESOURCES = ['cpu', 'memory'] as const;

export const MIN_SHARES = 2;
export const MAX_SHARES = 262_144;
const SHARES_PER_CPU = 1024;
/** 100 ms: the kubelet's CFS period unless CustomCPUCFSQuotaPeriod changes it. */
export const QUOTA_PERIOD = 100_000;
/** A quota below 1 ms is raised to 1 ms. */
const MIN_QUOTA = 1000;

/** Quantity.Value: whole units, rounded up. */
export function quantityValue(nano: bigint): bigint {
  const q = nano / NANO;
  return nano % NANO !== 0n && nano > 0n ? q + 1n : q;
}

/** Quantity.MilliValue: thousandths, rounded up. */
export function quantityMilli(nano: bigint): bigint {
  const unit = NANO / 1000n;
  const q = nano / unit;
  return nano % unit !== 0n && nano > 0n ? q + 1n : q;
}

function toAmounts(list: Readonly<Record<string, string | number>> | undefined): ResourceAmounts {
  const out: ResourceAmounts = new Map();
  for (const [name, raw] of Object.entries(list ?? {})) {
    const nano = quantityNano(raw);
    if (nano !== undefined) out.set(name, nano);
  }
  return out;
}

function add(into: ResourceAmounts, from: ReadonlyMap<string, bigint>): void {
  for (const [name, v] of from) into.set(name, (into.get(name) ?? 0n) + v);
}

function max(into: ResourceAmounts, from: ReadonlyMap<string, bigint>): void {
  for (const [name, v] of from) if (v > (into.get(name) ?? 0n)) into.set(name, v);
}

export function containerRequests(c: Container): ResourceAmounts {
  return toAmounts(c.resources?.requests);
}

export function containerLimits(c: Container): ResourceAmounts {
  return toAmounts(c.resources?.limits);
}

/**
 * AggregateContainerRequests/Limits: regular containers and sidecars add up; an init container
 * runs beside the sidecars started before it, and the pod needs the larger of the two phases.
 */
function aggregate(pod: Pod, of: (c: Container) => ResourceAmounts, each?: (c: Container, amounts: ResourceAmounts) => void): ResourceAmounts {
  const total: ResourceAmounts = new Map();
  for (const c of pod.spec?.containers ?? []) {
    const amounts = of(c);
    each?.(c, amounts);
    add(total, amounts);
  }
  const sidecars: ResourceAmounts = new Map();
  const initPeak: ResourceAmounts = new Map();
  for (const c of pod.spec?.initContainers ?? []) {
    const amounts = of(c);
    each?.(c, amounts);
    if (isSidecar(c)) {
      add(total, amounts);
      add(sidecars, amounts);
      max(initPeak, sidecars);
    } else {
      const phase: ResourceAmounts = new Map(amounts);
      add(phase, sidecars);
      max(initPeak, phase);
    }
  }
  max(total, initPeak);
  return total;
}

/** Pod-level values replace the containers' aggregate for cpu and memory; overhead is added. */
function withPodLevelAndOverhead(pod: Pod, aggregated: ResourceAmounts, podLevel: Readonly<Record<string, string | number>> | undefined): ResourceAmounts {
  const out = new Map(aggregated);
  const level = toAmounts(podLevel);
  for (const name of POD_LEVEL_RESOURCES) {
    const v = level.get(name);
    if (v !== undefined) out.set(name, v);
  }
  add(out, toAmounts(pod.spec?.overhead));
  return out;
}

/** PodRequests: what admission and the pod cgroup's cpu shares count. */
export function podRequests(pod: Pod): ResourceAmounts {
  const spec = pod.spec as PodSpecWithResources | undefined;
  return withPodLevelAndOverhead(pod, aggregate(pod, containerRequests), spec?.resources?.requests);
}

/**
 * PodLimits, and whether every container (init ones included) declares a cpu and a memory
 * limit (ResourceConfigForPod's cpuLimitsDeclared / memoryLimitsDeclared); a pod-level limit
 * declares it for the whole pod.
 */
export function podLimits(pod: Pod): { readonly limits: ResourceAmounts; readonly cpuDeclared: boolean; readonly memoryDeclared: boolean } {
  let cpuDeclared = true;
  let memoryDeclared = true;
  const aggregated = aggregate(pod, containerLimits, (_c, amounts) => {
    if ((amounts.get('cpu') ?? 0n) === 0n) cpuDeclared = false;
    if ((amounts.get('memory') ?? 0n) === 0n) memoryDeclared = false;
  });
  const spec = pod.spec as PodSpecWithResources | undefined;
  const level = toAmounts(spec?.resources?.limits);
  if ((level.get('cpu') ?? 0n) !== 0n) cpuDeclared = true;
  if ((level.get('memory') ?? 0n) !== 0n) memoryDeclared = true;
  return { limits: withPodLevelAndOverhead(pod, aggregated, spec?.resources?.limits), cpuDeclared, memoryDeclared };
}

/** MilliCPUToShares: 2 for none, else milli × 1024 / 1000 within [2, 262144]. */
export function milliCpuToShares(milliCpu: number): number {
  if (milliCpu === 0) return MIN_SHARES;
  const shares = Math.floor((milliCpu * SHARES_PER_CPU) / 1000);
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, shares));
}

/** MilliCPUToQuota: none (undefined) for 0, else milli × period / 1000, at least 1 ms. */
export function milliCpuToQuota(milliCpu: number, period = QUOTA_PERIOD): number | undefined {
  if (milliCpu === 0) return undefined;
  const quota = Math.floor((milliCpu * period) / 1000);
  return quota < MIN_QUOTA ? MIN_QUOTA : quota;
}

/**
 * cpu.shares → cgroup v2 cpu.weight as opencontainers/cgroups converts it since runc 1.3.2 /
 * 1.4 (a quadratic in log2 that maps 2 → 1, 1024 → 100, 262144 → 10000).
 */
export function sharesToWeight(shares: number): number {
  if (shares <= 0) return 0;
  if (shares <= MIN_SHARES) return 1;
  if (shares >= MAX_SHARES) return 10_000;
  const l = Math.log2(shares);
  const exponent = (l * l + 125 * l) / 612 - 7 / 34;
  return Math.ceil(10 ** exponent);
}

/** The linear conversion of older runc (and of the cgroup v2 KEP): 1 + (shares − 2) × 9999 / 262142. */
export function sharesToWeightLinear(shares: number): number {
  if (shares <= 0) return 0;
  return 1 + Math.floor(((shares - 2) * 9999) / 262_142);
}

/** A cgroup's limits (ResourceConfig); unset fields are left as they are. */
export interface CgroupLimits {
  readonly cpuShares?: number;
  /** µs per cpuPeriod; -1 = no limit. */
  readonly cpuQuota?: number;
  readonly cpuPeriod?: number;
  /** bytes */
  readonly memoryLimit?: number;
  readonly pidsLimit?: number;
}

export interface PodCgroupOptions {
  /** podPidsLimit: > 0 sets pids.max; -1 (default) leaves it. */
  readonly podPidsLimit?: number;
  /** cpuCFSQuota (default true): false writes no quota (-1). */
  readonly cpuCfsQuota?: boolean;
}

/**
 * ResourceConfigForPod: Guaranteed gets shares, quota and the memory limit; Burstable shares,
 * and quota / memory only when every container limits them; BestEffort the minimum shares.
 */
export function podCgroupLimits(pod: Pod, options: PodCgroupOptions = {}): CgroupLimits {
  const requests = podRequests(pod);
  const { limits, cpuDeclared, memoryDeclared } = podLimits(pod);
  const cpuShares = milliCpuToShares(Number(quantityMilli(requests.get('cpu') ?? 0n)));
  const quota = options.cpuCfsQuota === false ? -1 : (milliCpuToQuota(Number(quantityMilli(limits.get('cpu') ?? 0n))) ?? 0);
  const memoryLimit = Number(quantityValue(limits.get('memory') ?? 0n));
  const pids = options.podPidsLimit !== undefined && options.podPidsLimit > 0 ? { pidsLimit: options.podPidsLimit } : {};
  switch (podQos(pod)) {
    case 'Guaranteed':
      return { cpuShares, cpuQuota: quota === 0 ? -1 : quota, cpuPeriod: QUOTA_PERIOD, memoryLimit, ...pids };
    case 'Burstable':
      return {
        cpuShares,
        ...(cpuDeclared ? { cpuQuota: quota === 0 ? -1 : quota, cpuPeriod: QUOTA_PERIOD } : {}),
        ...(memoryDeclared ? { memoryLimit } : {}),
        ...pids,
      };
    case 'BestEffort':
      return { cpuShares: MIN_SHARES, ...pids };
  }
}
