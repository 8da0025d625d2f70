// Pure: a stats snapshot → the kubelet's stats/v1alpha1 Summary (kubernetes/kubelet
// pkg/apis/stats/v1alpha1/types.go), with its JSON field names and order. Absent figures are left
// out (the Go struct's omitempty pointers). `onlyCpuAndMemory` keeps what GetCPUAndMemoryStats
// keeps: names, start times, cpu and memory.
import { apiTime } from '../core/time-format.js';
import type { ContainerSample, CpuSample, FsSample, MemorySample, NetworkSample, NodeSample, PodSample, StatsSnapshot } from './types.js';

export interface CpuStats {
  time: string;
  usageNanoCores?: number;
  usageCoreNanoSeconds?: number;
}

export interface MemoryStats {
  time: string;
  availableBytes?: number;
  usageBytes?: number;
  workingSetBytes?: number;
  rssBytes?: number;
  pageFaults?: number;
  majorPageFaults?: number;
}

export interface FsStats {
  time: string;
  availableBytes?: number;
  capacityBytes?: number;
  usedBytes?: number;
  inodesFree?: number;
  inodes?: number;
  inodesUsed?: number;
}

export interface InterfaceStats {
  name: string;
  rxBytes?: number;
  rxErrors?: number;
  txBytes?: number;
  txErrors?: number;
}

export interface NetworkStats extends Partial<InterfaceStats> {
  time: string;
  interfaces?: InterfaceStats[];
}

export interface ContainerStats {
  name: string;
  startTime: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
  rootfs?: FsStats;
  logs?: FsStats;
}

export interface PodStats {
  podRef: { name: string; namespace: string; uid: string };
  startTime: string;
  containers: ContainerStats[];
  cpu?: CpuStats;
  memory?: MemoryStats;
  network?: NetworkStats;
  'ephemeral-storage'?: FsStats;
}

export interface SystemContainerStats {
  name: string;
  startTime: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
}

export interface NodeStats {
  nodeName: string;
  systemContainers?: SystemContainerStats[];
  startTime: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
  fs?: FsStats;
  runtime?: { imageFs?: FsStats; containerFs?: FsStats };
}

export interface Summary {
  node: NodeStats;
  pods: PodStats[];
}

function cpuStats(s: CpuSample | undefined): CpuStats | undefined {
  if (!s) return undefined;
  return { time: apiTime(s.time), ...(s.usageNanoCores !== undefined ? { usageNanoCores: s.usageNanoCores } : {}), usageCoreNanoSeconds: s.usageCoreNanoSeconds };
}

function memoryStats(s: MemorySample | undefined): MemoryStats | undefined {
  if (!s) return undefined;
  return {
    time: apiTime(s.time),
    ...(s.availableBytes !== undefined ? { availableBytes: s.availableBytes } : {}),
    usageBytes: s.usageBytes,
    workingSetBytes: s.workingSetBytes,
    ...(s.rssBytes !== undefined ? { rssBytes: s.rssBytes } : {}),
    ...(s.pageFaults !== undefined ? { pageFaults: s.pageFaults } : {}),
    ...(s.majorPageFaults !== undefined ? { majorPageFaults: s.majorPageFaults } : {}),
  };
}

export function fsStats(s: FsSample | undefined): FsStats | undefined {
  if (!s) return undefined;
  return {
    time: apiTime(s.time),
    availableBytes: s.availableBytes,
    capacityBytes: s.capacityBytes,
    ...(s.usedBytes !== undefined ? { usedBytes: s.usedBytes } : {}),
    ...(s.inodesFree !== undefined ? { inodesFree: s.inodesFree } : {}),
    ...(s.inodes !== undefined ? { inodes: s.inodes } : {}),
    ...(s.inodesUsed !== undefined ? { inodesUsed: s.inodesUsed } : {}),
  };
}

function networkStats(s: NetworkSample | undefined): NetworkStats | undefined {
  if (!s) return undefined;
  const interfaces = s.interfaces.map((i) => ({ name: i.name, rxBytes: i.rxBytes, rxErrors: i.rxErrors, txBytes: i.txBytes, txErrors: i.txErrors }));
  // The default interface's figures are inlined (NetworkStats embeds InterfaceStats).
  return { time: apiTime(s.time), ...(interfaces[0] ?? {}), interfaces };
}

/** Adds the optional fields that are set, in the given order. */
function withSet<T extends object>(base: T, extra: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) out[k] = v;
  return out as T;
}

function containerStats(c: ContainerSample, onlyCpuAndMemory: boolean): ContainerStats {
  const base = withSet<ContainerStats>({ name: c.name, startTime: apiTime(c.startTime) }, { cpu: cpuStats(c.cpu), memory: memoryStats(c.memory) });
  return onlyCpuAndMemory ? base : withSet(base, { rootfs: fsStats(c.rootfs), logs: fsStats(c.logs) });
}

function podStats(p: PodSample, onlyCpuAndMemory: boolean): PodStats {
  const base = withSet<PodStats>(
    { podRef: { name: p.name, namespace: p.namespace, uid: p.uid }, startTime: apiTime(p.startTime), containers: p.containers.map((c) => containerStats(c, onlyCpuAndMemory)) },
    { cpu: cpuStats(p.cpu), memory: memoryStats(p.memory) },
  );
  if (onlyCpuAndMemory) return base;
  const used = p.containers.reduce((sum, c) => sum + (c.rootfs?.usedBytes ?? 0) + (c.logs?.usedBytes ?? 0), 0);
  const fs = p.containers.find((c) => c.rootfs)?.rootfs;
  // ephemeral-storage: the containers' writable layers and logs on the node's filesystem.
  const ephemeral = fs ? fsStats({ ...fs, usedBytes: used }) : undefined;
  return withSet(base, { network: networkStats(p.network), 'ephemeral-storage': ephemeral });
}

/**
 * The `pods` system container: all pods together (the kubepods cgroup of a kubelet), so the
 * eviction manager and monitors see what pods use of the node.
 */
function podsSystemContainer(node: NodeSample, pods: readonly PodSample[]): SystemContainerStats | undefined {
  const withCpu = pods.filter((p) => p.cpu);
  const withMem = pods.filter((p) => p.memory);
  if (withCpu.length === 0 && withMem.length === 0) return undefined;
  const time = Math.max(...pods.map((p) => p.cpu?.time ?? p.memory?.time ?? 0));
  const sum = (f: (p: PodSample) => number | undefined): number => pods.reduce((s, p) => s + (f(p) ?? 0), 0);
  const rates = withCpu.every((p) => p.cpu?.usageNanoCores !== undefined);
  return withSet<SystemContainerStats>(
    { name: 'pods', startTime: apiTime(node.startTime) },
    {
      cpu: withCpu.length ? cpuStats({ time, usageCoreNanoSeconds: sum((p) => p.cpu?.usageCoreNanoSeconds), ...(rates ? { usageNanoCores: sum((p) => p.cpu?.usageNanoCores) } : {}) }) : undefined,
      memory: withMem.length
        ? memoryStats({
            time,
            usageBytes: sum((p) => p.memory?.usageBytes),
            workingSetBytes: sum((p) => p.memory?.workingSetBytes),
            ...(withMem.some((p) => p.memory?.rssBytes !== undefined) ? { rssBytes: sum((p) => p.memory?.rssBytes) } : {}),
          })
        : undefined,
    },
  );
}

export function buildSummary(snapshot: StatsSnapshot, onlyCpuAndMemory: boolean): Summary {
  const n = snapshot.node;
  const pods = podsSystemContainer(n, snapshot.pods);
  let node = withSet<NodeStats>({ nodeName: n.nodeName, ...(pods ? { systemContainers: [pods] } : {}), startTime: apiTime(n.startTime) }, { cpu: cpuStats(n.cpu), memory: memoryStats(n.memory) });
  if (!onlyCpuAndMemory) {
    const imageFs = fsStats(n.imageFs);
    node = withSet(node, { fs: fsStats(n.fs), runtime: imageFs ? { imageFs, containerFs: imageFs } : undefined });
  }
  return { node, pods: snapshot.pods.map((p) => podStats(p, onlyCpuAndMemory)) };
}
