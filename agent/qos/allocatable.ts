// Node allocatable (pkg/kubelet/cm/container_manager_linux.go GetNodeAllocatableReservation,
// cm/helpers.go hardEvictionReservation, eviction/api GetThresholdQuantity) and the limits of the
// kubepods cgroup (node_container_manager_linux.go: capacity minus kubeReserved and
// systemReserved, without the eviction threshold). Pure.
import { quantityNano } from '../manifest/quantity.js';
import { milliCpuToShares, quantityMilli, quantityValue, type CgroupLimits, type ResourceAmounts } from './pod-resources.js';

/** The kubelet's defaults of evictionHard (DefaultEvictionHard, Linux). */
export const DEFAULT_EVICTION_HARD: Readonly<Record<string, string>> = {
  'memory.available': '100Mi',
  'nodefs.available': '10%',
  'nodefs.inodesFree': '5%',
  'imagefs.available': '15%',
  'imagefs.inodesFree': '5%',
};

/** Eviction signals that reserve a resource out of allocatable (hardEvictionReservation). */
const RESERVING_SIGNALS: Readonly<Record<string, string>> = {
  'memory.available': 'memory',
  'nodefs.available': 'ephemeral-storage',
};

export interface NodeReservation {
  /** systemReserved: resource → quantity (cpu, memory, ephemeral-storage, pid). */
  readonly systemReserved: Readonly<Record<string, string>>;
  /** kubeReserved: resource → quantity. */
  readonly kubeReserved: Readonly<Record<string, string>>;
  /** evictionHard: signal → quantity or percentage (only memory.available and nodefs.available reserve). */
  readonly evictionHard: Readonly<Record<string, string>>;
}

export const DEFAULT_RESERVATION: NodeReservation = { systemReserved: {}, kubeReserved: {}, evictionHard: DEFAULT_EVICTION_HARD };

/** The node's capacity in nano-units: cpu, memory, ephemeral-storage (when known), pods. */
export function nodeCapacity(facts: { readonly cpuCount: number; readonly memoryBytes: number; readonly ephemeralStorageBytes?: number; readonly maxPods: number }): ResourceAmounts {
  const nano = (n: number): bigint => BigInt(Math.floor(n)) * 1_000_000_000n;
  const out: ResourceAmounts = new Map([
    ['cpu', nano(facts.cpuCount)],
    ['memory', nano(facts.memoryBytes)],
    ['pods', nano(facts.maxPods)],
  ]);
  if (facts.ephemeralStorageBytes !== undefined) out.set('ephemeral-storage', nano(facts.ephemeralStorageBytes));
  return out;
}

/**
 * A threshold's quantity: an absolute quantity, or a percentage of capacity taken as the kubelet
 * does (a float32 fraction times the capacity's value, truncated).
 */
export function thresholdBytes(value: string, capacityNano: bigint): bigint | undefined {
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(value.trim());
  if (pct?.[1] !== undefined) {
    const fraction = Math.fround(Number(pct[1]) / 100);
    return BigInt(Math.floor(Number(quantityValue(capacityNano)) * fraction)) * 1_000_000_000n;
  }
  return quantityNano(value);
}

function addReserved(into: ResourceAmounts, list: Readonly<Record<string, string>>): void {
  for (const [name, raw] of Object.entries(list)) {
    const v = quantityNano(raw);
    if (v !== undefined) into.set(name, (into.get(name) ?? 0n) + v);
  }
}

/** GetNodeAllocatableReservation: kubeReserved + systemReserved + the hard eviction reservation. */
export function allocatableReservation(capacity: ReadonlyMap<string, bigint>, r: NodeReservation): ResourceAmounts {
  const out: ResourceAmounts = new Map();
  addReserved(out, r.kubeReserved);
  addReserved(out, r.systemReserved);
  for (const [signal, value] of Object.entries(r.evictionHard)) {
    const resource = RESERVING_SIGNALS[signal];
    const cap = resource === undefined ? undefined : capacity.get(resource);
    if (resource === undefined || cap === undefined) continue;
    const v = thresholdBytes(value, cap);
    if (v !== undefined) out.set(resource, (out.get(resource) ?? 0n) + v);
  }
  return out;
}

/** allocatable[r] = capacity[r] − reservation[r], never below zero. */
export function nodeAllocatable(capacity: ReadonlyMap<string, bigint>, r: NodeReservation): ResourceAmounts {
  const reserved = allocatableReservation(capacity, r);
  const out: ResourceAmounts = new Map();
  for (const [name, cap] of capacity) {
    const left = cap - (reserved.get(name) ?? 0n);
    out.set(name, left < 0n ? 0n : left);
  }
  return out;
}

/**
 * The kubepods cgroup's limits with enforceNodeAllocatable "pods": cpu shares and memory limit
 * of capacity minus kubeReserved and systemReserved (eviction thresholds stay usable by pods, so
 * the eviction manager, not the kernel, acts first), and pids when pid is reserved.
 */
export function kubepodsLimits(capacity: ReadonlyMap<string, bigint>, r: NodeReservation, pidMax?: number): CgroupLimits {
  const reserved: ResourceAmounts = new Map();
  addReserved(reserved, r.kubeReserved);
  addReserved(reserved, r.systemReserved);
  const left = (name: string): bigint => {
    const v = (capacity.get(name) ?? 0n) - (reserved.get(name) ?? 0n);
    return v < 0n ? 0n : v;
  };
  const pidReserved = reserved.get('pid');
  return {
    cpuShares: milliCpuToShares(Number(quantityMilli(left('cpu')))),
    memoryLimit: Number(quantityValue(left('memory'))),
    ...(pidMax !== undefined && pidReserved !== undefined ? { pidsLimit: Math.max(0, pidMax - Number(quantityValue(pidReserved))) } : {}),
  };
}

/** A resource amount as the Node object prints it: cpu in cores or millicores, memory in Ki when whole. */
export function formatResource(name: string, nano: bigint): string {
  if (name === 'cpu') {
    const milli = quantityMilli(nano);
    return milli % 1000n === 0n ? String(milli / 1000n) : `${milli}m`;
  }
  const value = quantityValue(nano);
  if ((name === 'memory' || name === 'ephemeral-storage') && value % 1024n === 0n) return `${value / 1024n}Ki`;
  return String(value);
}
