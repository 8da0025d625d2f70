// Container resources as kubelet hands them to the runtime (k/k pkg/kubelet/kuberuntime
// helpers_linux.go milliCPUToShares/milliCPUToQuota, kuberuntime_container_linux.go
// calculateLinuxResources), plus the exact quantity arithmetic the downward API needs
// (pkg/api/v1/resource helpers.go convertQuantityToString: ceil(value / divisor)).
import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import type { ResourceSpec } from '../core/runtime-types.js';
import { isSidecar } from '../core/containers.js';
import { quantityNano } from '../manifest/quantity.js';
import { QUOTA_PERIOD as CPU_QUOTA_PERIOD, milliCpuToQuota, milliCpuToShares } from '../qos/pod-resources.js';

// The cpu conversions live with the pod cgroup's (qos/pod-resources.ts); re-exported here for
// the container-level resources.
export { MIN_SHARES as MIN_CPU_SHARES, QUOTA_PERIOD as CPU_QUOTA_PERIOD, milliCpuToShares, milliCpuToQuota } from '../qos/pod-resources.js';

/**
 * A Kubernetes quantity as an exact decimal `n × 10^e` (from manifest/quantity.ts, which keeps
 * nano-units in a bigint), so the ceilings kubelet takes (MilliValue, Value, the downward API
 * divisor) never suffer from float rounding.
 */
export interface ExactQuantity {
  readonly n: bigint;
  readonly e: number;
}

/** The exact value of a quantity string (or YAML number); undefined when it does not parse. */
export function toExact(value: string | number | undefined): ExactQuantity | undefined {
  if (value === undefined) return undefined;
  const nano = quantityNano(value);
  return nano === undefined ? undefined : { n: nano, e: -9 };
}

function pow10(k: number): bigint {
  return 10n ** BigInt(k);
}

/** ceil(a / b) for b > 0. */
function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a > 0n ? q + 1n : q;
}

/** ceil(q × 10^scale): Quantity.ScaledValue rounds away from zero for positive values. */
export function ceilScaled(q: ExactQuantity, scale: number): bigint {
  const e = q.e + scale;
  return e >= 0 ? q.n * pow10(e) : ceilDiv(q.n, pow10(-e));
}

/** Quantity.MilliValue (rounded up). */
export function milliValue(q: ExactQuantity | undefined): number {
  return q ? Number(ceilScaled(q, 3)) : 0;
}

/** Quantity.Value (rounded up to a whole unit). */
export function wholeValue(q: ExactQuantity | undefined): number {
  return q ? Number(ceilScaled(q, 0)) : 0;
}

export function isPositive(q: ExactQuantity | undefined): q is ExactQuantity {
  return q !== undefined && q.n > 0n;
}

/**
 * convertQuantityToString: the ceiling of `q / divisor` as a decimal string; "0" for a
 * missing, zero or negative value or divisor.
 */
export function divideCeilToString(q: ExactQuantity | undefined, divisor: ExactQuantity): string {
  if (!isPositive(q) || !isPositive(divisor)) return '0';
  let num = q.n;
  let den = divisor.n;
  if (q.e > divisor.e) num *= pow10(q.e - divisor.e);
  else if (divisor.e > q.e) den *= pow10(divisor.e - q.e);
  const result = ceilDiv(num, den);
  const maxInt64 = 2n ** 63n - 1n;
  return (result > maxInt64 ? maxInt64 : result).toString();
}

function resourceOf(list: Readonly<Record<string, string | number>> | undefined, name: string): ExactQuantity | undefined {
  const raw = list?.[name];
  return raw === undefined ? undefined : toExact(raw);
}

export function containerLimit(container: Container, name: string): ExactQuantity | undefined {
  return resourceOf(container.resources?.limits, name);
}

export function containerRequest(container: Container, name: string): ExactQuantity | undefined {
  return resourceOf(container.resources?.requests, name);
}

/**
 * calculateLinuxResources: CPU shares from the request (the limit when only a limit is set,
 * as kubelet repeats the API server's defaulting), CFS quota from the limit over a 100 ms
 * period (the period is always sent, as kubelet does with cpuCFSQuota on), memory limit in
 * bytes.
 */
export function toResourceSpec(container: Container): ResourceSpec {
  const cpuRequest = milliValue(containerRequest(container, 'cpu'));
  const cpuLimit = milliValue(containerLimit(container, 'cpu'));
  const memoryLimit = wholeValue(containerLimit(container, 'memory'));
  const cpuShares = cpuRequest === 0 && cpuLimit !== 0 ? milliCpuToShares(cpuLimit) : milliCpuToShares(cpuRequest);
  const cpuQuota = milliCpuToQuota(cpuLimit);
  return {
    cpuShares,
    cpuPeriod: CPU_QUOTA_PERIOD,
    ...(cpuQuota !== undefined ? { cpuQuota } : {}),
    ...(memoryLimit > 0 ? { memory: memoryLimit } : {}),
  };
}

/**
 * The pod's memory limit as kubelet's pod cgroup gets it (cm.ResourceConfigForPod →
 * resourcehelper.PodLimits): only when every container (init ones included) declares a
 * memory limit; then max(sum of app + sidecar limits, the largest init container limit plus
 * the sidecars started before it). Undefined when the pod has no such limit.
 */
export function podMemoryLimitBytes(spec: PodSpec | undefined): number | undefined {
  if (!spec) return undefined;
  const inits = spec.initContainers ?? [];
  const all = [...spec.containers, ...inits];
  if (all.length === 0) return undefined;
  const limits = new Map<Container, number>();
  for (const c of all) {
    const limit = wholeValue(containerLimit(c, 'memory'));
    if (limit <= 0) return undefined;
    limits.set(c, limit);
  }
  const limitOf = (c: Container): number => limits.get(c) ?? 0;
  let sidecarsSoFar = 0;
  let initMax = 0;
  for (const c of inits) {
    if (isSidecar(c)) {
      sidecarsSoFar += limitOf(c);
      initMax = Math.max(initMax, sidecarsSoFar);
    } else {
      initMax = Math.max(initMax, sidecarsSoFar + limitOf(c));
    }
  }
  const steady = spec.containers.reduce((sum, c) => sum + limitOf(c), 0) + sidecarsSoFar;
  return Math.max(steady, initMax);
}
