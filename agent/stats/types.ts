// Data of one stats sample: what the readers measured, before any rendering. The Summary builder
// (summary.ts), the metrics texts and the eviction manager all read these; nothing here does I/O.

/** A cgroup's (or the node's) CPU at one instant. */
export interface CpuSample {
  /** ms since epoch when it was read. */
  readonly time: number;
  /** Cumulative CPU time, ns (cpuacct.usage, cpu.stat usage_usec × 1000, or /proc/stat). */
  readonly usageCoreNanoSeconds: number;
  /** Rate between this sample and the cached previous one (rate.ts); unset on the first sample. */
  readonly usageNanoCores?: number;
}

/** cAdvisor's memory figures for one cgroup (or the node). */
export interface MemorySample {
  readonly time: number;
  readonly usageBytes: number;
  /** usage − inactive_file (never negative), cAdvisor's working set; what eviction and metrics-server use. */
  readonly workingSetBytes: number;
  readonly rssBytes?: number;
  readonly pageFaults?: number;
  readonly majorPageFaults?: number;
  /** limit − working set when the cgroup has a limit (node: capacity − working set). */
  readonly availableBytes?: number;
}

/** statfs of a filesystem (and, for a container, what it uses of it when known). */
export interface FsSample {
  readonly time: number;
  readonly capacityBytes: number;
  readonly availableBytes: number;
  readonly usedBytes?: number;
  readonly inodes?: number;
  readonly inodesFree?: number;
  readonly inodesUsed?: number;
}

export interface InterfaceSample {
  readonly name: string;
  readonly rxBytes: number;
  readonly rxErrors: number;
  readonly txBytes: number;
  readonly txErrors: number;
}

export interface NetworkSample {
  readonly time: number;
  /** The default interface first (eth0), as the kubelet inlines it. */
  readonly interfaces: readonly InterfaceSample[];
}

export interface ContainerSample {
  /** Kubernetes container name. */
  readonly name: string;
  readonly id: string;
  readonly image: string;
  /** Docker's container name (cAdvisor's `name` label). */
  readonly dockerName?: string;
  /** ms since epoch. */
  readonly startTime: number;
  readonly cpu?: CpuSample;
  readonly memory?: MemorySample;
  readonly rootfs?: FsSample;
  readonly logs?: FsSample;
  /** The cgroup the figures came from (cAdvisor's `id` label). */
  readonly cgroup?: string;
}

export interface PodSample {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly startTime: number;
  readonly containers: readonly ContainerSample[];
  readonly cpu?: CpuSample;
  readonly memory?: MemorySample;
  readonly network?: NetworkSample;
}

export interface NodeSample {
  readonly nodeName: string;
  /** Boot time, ms since epoch (cAdvisor's root container start). */
  readonly startTime: number;
  readonly cpu?: CpuSample;
  readonly memory?: MemorySample;
  readonly fs?: FsSample;
  readonly imageFs?: FsSample;
  /** Machine facts for machine_* metrics. */
  readonly machine?: { readonly cpuCores: number; readonly memoryBytes: number };
}

export interface StatsSnapshot {
  readonly node: NodeSample;
  readonly pods: readonly PodSample[];
}
