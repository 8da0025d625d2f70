// Pure: the node-resource settings of the config file, named and defaulted as the kubelet's
// KubeletConfiguration (pkg/kubelet/apis/config/v1beta1/defaults.go): reservations and the hard
// eviction thresholds that make allocatable, the pod limit, and the QoS cgroup hierarchy. Kept
// apart from config.ts like image-config.ts. evictionHard is only read here for allocatable; the
// eviction manager enforces it.
import { quantityNano } from '../manifest/quantity.js';
import { DEFAULT_EVICTION_HARD } from '../qos/allocatable.js';

export interface NodeResourcesConfig {
  /** systemReserved (--system-reserved): resource → quantity; default none. */
  readonly systemReserved: Readonly<Record<string, string>>;
  /** kubeReserved (--kube-reserved): resource → quantity; default none. */
  readonly kubeReserved: Readonly<Record<string, string>>;
  /** evictionHard (--eviction-hard): signal → quantity or percentage; a map given replaces the defaults. */
  readonly evictionHard: Readonly<Record<string, string>>;
  /** maxPods (--max-pods): 110. */
  readonly maxPods: number;
  /** podsPerCore (--pods-per-core): 0 = no per-core limit. */
  readonly podsPerCore: number;
  /** enforceNodeAllocatable (--enforce-node-allocatable): ["pods"]; [] or ["none"] = not enforced. */
  readonly enforceNodeAllocatable: readonly string[];
  /** cgroupsPerQOS (--cgroups-per-qos): true. */
  readonly cgroupsPerQOS: boolean;
  /** cgroupRoot (--cgroup-root): "/". */
  readonly cgroupRoot: string;
  /** podPidsLimit (--pod-max-pids): -1 = none. */
  readonly podPidsLimit: number;
}

const RESERVABLE = new Set(['cpu', 'memory', 'ephemeral-storage', 'pid']);
const SIGNALS = new Set(['memory.available', 'nodefs.available', 'nodefs.inodesFree', 'imagefs.available', 'imagefs.inodesFree', 'containerfs.available', 'containerfs.inodesFree', 'pid.available', 'allocatableMemory.available']);
const ENFORCE_VALUES = new Set(['pods', 'system-reserved', 'kube-reserved', 'none']);

function stringMap(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === null || typeof raw !== 'object') return out;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) out[k] = String(v);
  return out;
}

/** Reads the keys of the (schema-checked) config file; problems are appended to `problems`. */
export function resolveNodeResourcesConfig(file: Readonly<Record<string, unknown>>, problems: string[]): NodeResourcesConfig {
  const systemReserved = stringMap(file.systemReserved);
  const kubeReserved = stringMap(file.kubeReserved);
  for (const [key, map] of [['systemReserved', systemReserved], ['kubeReserved', kubeReserved]] as const) {
    for (const [name, value] of Object.entries(map)) {
      if (!RESERVABLE.has(name)) problems.push(`${key}: unsupported resource ${JSON.stringify(name)}: supported: cpu, memory, ephemeral-storage, pid`);
      const nano = quantityNano(value);
      if (nano === undefined || nano < 0n) problems.push(`${key}.${name}: invalid quantity ${JSON.stringify(value)}`);
    }
  }
  const evictionHard = file.evictionHard === undefined ? { ...DEFAULT_EVICTION_HARD } : stringMap(file.evictionHard);
  for (const [signal, value] of Object.entries(evictionHard)) {
    if (!SIGNALS.has(signal)) problems.push(`evictionHard: unsupported eviction signal ${JSON.stringify(signal)}`);
    const pct = /^(\d+(?:\.\d+)?)%$/.exec(value);
    if (pct ? Number(pct[1]) > 100 : quantityNano(value) === undefined || (quantityNano(value) ?? 0n) < 0n) problems.push(`evictionHard.${signal}: invalid threshold ${JSON.stringify(value)} (a quantity or a percentage)`);
  }
  const maxPods = typeof file.maxPods === 'number' ? file.maxPods : 110;
  const podsPerCore = typeof file.podsPerCore === 'number' ? file.podsPerCore : 0;
  const enforce = Array.isArray(file.enforceNodeAllocatable) ? file.enforceNodeAllocatable.map(String) : ['pods'];
  for (const v of enforce) if (!ENFORCE_VALUES.has(v)) problems.push(`enforceNodeAllocatable: unsupported value ${JSON.stringify(v)}: supported values: "pods", "system-reserved", "kube-reserved", "none"`);
  if (enforce.includes('none') && enforce.length > 1) problems.push('enforceNodeAllocatable: "none" cannot be combined with other values');
  const cgroupsPerQOS = typeof file.cgroupsPerQOS === 'boolean' ? file.cgroupsPerQOS : true;
  const cgroupRoot = typeof file.cgroupRoot === 'string' && file.cgroupRoot !== '' ? file.cgroupRoot : '/';
  if (!cgroupRoot.startsWith('/')) problems.push(`cgroupRoot: ${JSON.stringify(cgroupRoot)} is not an absolute cgroup path`);
  if (enforce.includes('pods') && !cgroupsPerQOS) problems.push('enforceNodeAllocatable: "pods" needs cgroupsPerQOS: true');
  const podPidsLimit = typeof file.podPidsLimit === 'number' ? file.podPidsLimit : -1;
  return { systemReserved, kubeReserved, evictionHard, maxPods, podsPerCore, enforceNodeAllocatable: enforce.filter((v) => v !== 'none'), cgroupsPerQOS, cgroupRoot, podPidsLimit };
}

/** capacity.pods: maxPods, or podsPerCore × cores when that is smaller and set. */
export function podCapacity(c: NodeResourcesConfig, cores: number): number {
  return c.podsPerCore > 0 ? Math.min(c.maxPods, c.podsPerCore * cores) : c.maxPods;
}
