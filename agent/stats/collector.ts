// Adapter: one stats snapshot of the node and nodelet's pods, read on demand from the host
// (host-readers.ts) and kept for a short while, so /stats/summary, /metrics/resource and
// /metrics/cadvisor asked together read the files once. No timer: with nobody asking, nothing
// is read (metrics-server asks every 15 s). Containers are the agent's (Docker labels, see
// core/labels.ts): the newest running instance of each container name, found in its cgroup
// through its init process, so a move under kubepods/... parents needs no change here.
import type { ObservedContainer, ObservedPod } from '../core/runtime-types.js';
import { newestInstanceFirst } from '../core/runtime-types.js';
import { dockerContainerName } from '../core/labels.js';
import { LOG_PATH_LABEL } from '../podlogs/log-paths.js';
import { podCgroupParent, type CgroupDirs, type CgroupUsage } from './cgroup-files.js';
import { HostReaders } from './host-readers.js';
import { CpuRateCache } from './rate.js';
import type { ContainerSample, CpuSample, FsSample, MemorySample, NodeSample, PodSample, StatsSnapshot } from './types.js';

export interface StatsCollectorDeps {
  readonly nodeName: string;
  /** The agent's pods as Docker holds them (only nodelet's containers). */
  readonly pods: () => readonly ObservedPod[];
  readonly readers?: HostReaders;
  /** The node's filesystem (the kubelet's root dir); default '/'. */
  readonly rootFsPath?: string;
  /** Docker's data root (the image filesystem), asked once; unset = the node's filesystem. */
  readonly imageFsPath?: () => Promise<string | undefined>;
  /** How long one snapshot answers (ms); default 1000. */
  readonly cacheMs?: number;
  readonly now?: () => number;
}

function withRate(rates: CpuRateCache, key: string, time: number, cpuNs: number | undefined): CpuSample | undefined {
  if (cpuNs === undefined) return undefined;
  const usageNanoCores = rates.rate(key, time, cpuNs);
  return { time, usageCoreNanoSeconds: cpuNs, ...(usageNanoCores !== undefined ? { usageNanoCores } : {}) };
}

function memorySample(time: number, m: CgroupUsage['memory']): MemorySample | undefined {
  if (!m) return undefined;
  const { limitBytes, ...rest } = m;
  return { time, ...rest, ...(limitBytes !== undefined ? { availableBytes: Math.max(0, limitBytes - m.workingSetBytes) } : {}) };
}

/** Newest running instance per container name (the one the kubelet reports), sandboxes apart. */
export function runningContainers(pod: ObservedPod): { containers: ObservedContainer[]; sandbox?: ObservedContainer } {
  const newest = new Map<string, ObservedContainer>();
  for (const c of pod.containers) {
    if (c.state !== 'running') continue;
    const seen = newest.get(c.name);
    if (!seen || newestInstanceFirst(c, seen) < 0) newest.set(c.name, c);
  }
  const sandbox = [...pod.sandboxes].filter((s) => s.state === 'running').sort(newestInstanceFirst)[0];
  return { containers: [...newest.values()], ...(sandbox ? { sandbox } : {}) };
}

function sumCpu(parts: readonly (CpuSample | undefined)[]): number | undefined {
  const set = parts.filter((p): p is CpuSample => p !== undefined);
  return set.length ? set.reduce((s, p) => s + p.usageCoreNanoSeconds, 0) : undefined;
}

function sumMemory(time: number, parts: readonly (MemorySample | undefined)[]): MemorySample | undefined {
  const set = parts.filter((p): p is MemorySample => p !== undefined);
  if (!set.length) return undefined;
  const total = (f: (m: MemorySample) => number | undefined): number => set.reduce((s, m) => s + (f(m) ?? 0), 0);
  return { time, usageBytes: total((m) => m.usageBytes), workingSetBytes: total((m) => m.workingSetBytes), rssBytes: total((m) => m.rssBytes), pageFaults: total((m) => m.pageFaults), majorPageFaults: total((m) => m.majorPageFaults) };
}

/** The filesystems every container reports: capacity and free space only (usage is per container). */
interface ContainerFs {
  readonly rootfs?: FsSample;
  readonly logs?: FsSample;
}

function capacityOnly(fs: FsSample | undefined): FsSample | undefined {
  if (!fs) return undefined;
  return { time: fs.time, capacityBytes: fs.capacityBytes, availableBytes: fs.availableBytes, ...(fs.inodes !== undefined ? { inodes: fs.inodes } : {}), ...(fs.inodesFree !== undefined ? { inodesFree: fs.inodesFree } : {}) };
}

export class StatsCollector {
  readonly #d: StatsCollectorDeps;
  readonly #readers: HostReaders;
  readonly #now: () => number;
  readonly #rates = new CpuRateCache();
  /** container ID → its cgroup (fixed for the life of a container). */
  readonly #cgroups = new Map<string, CgroupDirs>();
  #imageFsPath: Promise<string | undefined> | undefined;
  #cached: { at: number; snapshot: Promise<StatsSnapshot> } | undefined;

  constructor(deps: StatsCollectorDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
    this.#readers = deps.readers ?? new HostReaders({ now: this.#now });
  }

  get readers(): HostReaders {
    return this.#readers;
  }

  /** The current snapshot: a fresh one unless one was taken (or is being taken) within cacheMs. */
  snapshot(): Promise<StatsSnapshot> {
    const now = this.#now();
    if (this.#cached && now - this.#cached.at < (this.#d.cacheMs ?? 1000)) return this.#cached.snapshot;
    const snapshot = this.#take();
    this.#cached = { at: now, snapshot };
    snapshot.catch(() => {
      if (this.#cached?.snapshot === snapshot) this.#cached = undefined;
    });
    return snapshot;
  }

  /** One container's cgroup, from its init process (cached by container ID). */
  async containerCgroup(c: ObservedContainer): Promise<CgroupDirs | undefined> {
    const known = this.#cgroups.get(c.id);
    if (known) return known;
    if (c.pid === undefined) return undefined;
    const dirs = await this.#readers.cgroupOf(c.pid);
    if (dirs) this.#cgroups.set(c.id, dirs);
    return dirs;
  }

  async #take(): Promise<StatsSnapshot> {
    const pods = this.#d.pods();
    // The node first: each container's filesystems are the image filesystem (its writable
    // layer) and the node's (its log), as the kubelet reports them.
    const node = await this.#node();
    const fs = { rootfs: capacityOnly(node.imageFs), logs: capacityOnly(node.fs) };
    const podSamples = await Promise.all(pods.map((p) => this.#pod(p, fs)));
    const live = new Set<string>(['node']);
    for (const p of pods) {
      live.add(`pod/${p.uid}`);
      for (const c of [...p.containers, ...p.sandboxes]) live.add(c.id);
    }
    this.#rates.retain(live);
    for (const id of this.#cgroups.keys()) if (!live.has(id)) this.#cgroups.delete(id);
    return { node, pods: podSamples.filter((p): p is PodSample => p !== undefined) };
  }

  async #node(): Promise<NodeSample> {
    this.#imageFsPath ??= this.#d.imageFsPath?.().catch(() => undefined) ?? Promise.resolve(undefined);
    const rootFs = this.#d.rootFsPath ?? '/';
    const [usage, fs, imagePath] = await Promise.all([this.#readers.nodeUsage(), this.#readers.fs(rootFs), this.#imageFsPath]);
    const imageFs = imagePath ? await this.#readers.fs(imagePath) : fs;
    const cpu = usage.cpu ? withRate(this.#rates, 'node', usage.cpu.time, usage.cpu.usageCoreNanoSeconds) : undefined;
    return {
      nodeName: this.#d.nodeName,
      startTime: (usage.stat.btime ?? 0) * 1000,
      ...(cpu ? { cpu } : {}),
      ...(usage.memory ? { memory: usage.memory } : {}),
      ...(fs ? { fs } : {}),
      ...(imageFs ? { imageFs } : {}),
      ...(usage.memTotal !== undefined ? { machine: { cpuCores: usage.stat.cpus, memoryBytes: usage.memTotal } } : {}),
    };
  }

  async #container(pod: ObservedPod, c: ObservedContainer, fs: ContainerFs): Promise<{ sample: ContainerSample; dirs?: CgroupDirs }> {
    const dirs = await this.containerCgroup(c);
    const logPath = c.labels[LOG_PATH_LABEL];
    const [usage, logBytes] = await Promise.all([dirs ? this.#readers.readCgroup(dirs) : Promise.resolve<CgroupUsage>({}), logPath ? this.#readers.fileSize(logPath) : Promise.resolve(undefined)]);
    const time = this.#now();
    const cpu = withRate(this.#rates, c.id, time, usage.cpuNs);
    const memory = memorySample(time, usage.memory);
    const sample: ContainerSample = {
      name: c.name,
      id: c.id,
      image: c.image,
      dockerName: dockerContainerName(c.name, pod.name, pod.namespace, pod.uid, c.restartCount),
      startTime: c.startedAt ?? c.createdAt,
      ...(cpu ? { cpu } : {}),
      ...(memory ? { memory } : {}),
      ...(fs.rootfs ? { rootfs: fs.rootfs } : {}),
      ...(fs.logs ? { logs: { ...fs.logs, ...(logBytes !== undefined ? { usedBytes: logBytes } : {}) } } : {}),
      ...(dirs ? { cgroup: dirs.path } : {}),
    };
    return { sample, ...(dirs ? { dirs } : {}) };
  }

  async #pod(pod: ObservedPod, fs: ContainerFs): Promise<PodSample | undefined> {
    const { containers, sandbox } = runningContainers(pod);
    if (containers.length === 0) return undefined;
    const read = await Promise.all(containers.map((c) => this.#container(pod, c, fs)));
    const time = this.#now();
    // The pod's own cgroup when the containers sit in one (kubepods/.../pod<uid>), else their sum.
    const first = read.find((r) => r.dirs)?.dirs;
    const parent = first ? podCgroupParent(first.path, pod.uid) : undefined;
    let cpuNs: number | undefined;
    let memory: MemorySample | undefined;
    if (first && parent) {
      const usage = await this.#readers.readCgroup(await this.#readers.cgroupAt(first, parent));
      cpuNs = usage.cpuNs;
      memory = memorySample(time, usage.memory);
    } else {
      cpuNs = sumCpu(read.map((r) => r.sample.cpu));
      memory = sumMemory(time, read.map((r) => r.sample.memory));
    }
    const cpu = withRate(this.#rates, `pod/${pod.uid}`, time, cpuNs);
    const network = sandbox?.pid !== undefined && sandbox.networkMode !== 'host' ? await this.#readers.netDev(sandbox.pid) : undefined;
    return {
      namespace: pod.namespace,
      name: pod.name,
      uid: pod.uid,
      startTime: sandbox?.startedAt ?? sandbox?.createdAt ?? Math.min(...containers.map((c) => c.startedAt ?? c.createdAt)),
      containers: read.map((r) => r.sample),
      ...(cpu ? { cpu } : {}),
      ...(memory ? { memory } : {}),
      ...(network ? { network: { time, interfaces: network } } : {}),
    };
  }
}
