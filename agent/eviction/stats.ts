// Adapter: the measurements the eviction manager reads, as the kubelet's summary provider
// gives them with cri-dockerd. Node: memory.available = MemTotal − working set of the root
// cgroup, and each container's working set, both read by stats/host-readers (cgroup v1 and v2),
// nodefs = statfs of the kubelet root dir, imagefs = statfs of Docker's data root,
// pid.available = min(pid_max, threads-max) − tasks. Pods: each container's writable layer
// (Docker inspect with size: SizeRw) and json-file logs, each emptyDir measured like `du -x`.
// Cost is bounded by who asks: the manager measures only pods with local storage limits each
// round, and every pod only under disk or memory pressure.
import { lstat, readdir, readFile, stat, statfs } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type Docker from 'dockerode';
import type { ObservedContainer } from '../core/runtime-types.js';
import type { Observation } from './evaluate.js';
import type { EvictionStats, NodeSignals } from './manager.js';
import type { ContainerUsage, EvictionPod, PodUsage } from './pods.js';
import type { Signal } from './thresholds.js';
import { HostReaders } from '../stats/host-readers.js';

/** du never walks more than this many entries of one volume (a bound on one round's cost). */
const DU_MAX_ENTRIES = 200_000;

export interface EvictionStatsOptions {
  readonly docker: Docker;
  /** The kubelet root dir (nodefs). */
  readonly rootDir: string;
  /** The containers of a pod, as last observed (newest instance first per name). */
  readonly containersOf: (uid: string) => readonly ObservedContainer[];
  /** Host directory of a disk-backed emptyDir of the pod. */
  readonly emptyDirPath: (uid: string, volume: string) => string;
  readonly now: () => number;
  /** /proc (tests may point elsewhere). */
  readonly procRoot?: string;
  /** Node and container memory (the summary API's readers). */
  readonly readers?: HostReaders;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** du -x -s -B 1: allocated blocks of everything below `path` on its filesystem. */
export async function diskUsage(path: string): Promise<number | undefined> {
  let root;
  try {
    root = await lstat(path);
  } catch {
    return undefined;
  }
  let total = root.blocks * 512;
  let seen = 0;
  const stack = root.isDirectory() ? [path] : [];
  while (stack.length > 0 && seen < DU_MAX_ENTRIES) {
    const dir = stack.pop() ?? '';
    const entries = await readdir(dir).catch(() => [] as string[]);
    for (const name of entries) {
      if (++seen > DU_MAX_ENTRIES) break;
      const p = join(dir, name);
      const s = await lstat(p).catch(() => undefined);
      if (!s || s.dev !== root.dev) continue;
      total += s.blocks * 512;
      if (s.isDirectory()) stack.push(p);
    }
  }
  return total;
}

export class NodeEvictionStats implements EvictionStats {
  readonly #o: EvictionStatsOptions;
  readonly #readers: HostReaders;
  #dockerRoot?: string;

  constructor(opts: EvictionStatsOptions) {
    this.#o = opts;
    this.#readers = opts.readers ?? new HostReaders({ now: opts.now });
  }

  async #imageFsPath(): Promise<string> {
    if (this.#dockerRoot === undefined) {
      const info = (await this.#o.docker.info()) as { DockerRootDir?: string };
      this.#dockerRoot = info.DockerRootDir || '/var/lib/docker';
    }
    return this.#dockerRoot;
  }

  async node(): Promise<NodeSignals> {
    const time = this.#o.now();
    const observations = new Map<Signal, Observation>();
    const proc = this.#o.procRoot ?? '/proc';
    const memory = await this.#memory();
    if (memory) observations.set('memory.available', { ...memory, time });
    const fs = async (path: string, bytes: Signal, inodes: Signal): Promise<number | undefined> => {
      const s = await statfs(path).catch(() => undefined);
      if (!s) return undefined;
      observations.set(bytes, { available: s.bavail * s.bsize, capacity: s.blocks * s.bsize, time });
      if (s.files > 0) observations.set(inodes, { available: s.ffree, capacity: s.files, time });
      return (await stat(path).catch(() => undefined))?.dev;
    };
    const imageRoot = await this.#imageFsPath().catch(() => undefined);
    const nodeDev = await fs(this.#o.rootDir, 'nodefs.available', 'nodefs.inodesFree');
    const imageDev = imageRoot === undefined ? undefined : await fs(imageRoot, 'imagefs.available', 'imagefs.inodesFree');
    const pids = await this.#pids(proc);
    if (pids) observations.set('pid.available', { ...pids, time });
    return { observations, dedicatedImageFs: nodeDev !== undefined && imageDev !== undefined && nodeDev !== imageDev };
  }

  async #memory(): Promise<{ available: number; capacity: number } | undefined> {
    const { memory, memTotal } = await this.#readers.nodeUsage();
    return memory?.availableBytes === undefined || memTotal === undefined ? undefined : { available: memory.availableBytes, capacity: memTotal };
  }

  async #pids(proc: string): Promise<{ available: number; capacity: number } | undefined> {
    const pidMax = Number((await readText(join(proc, 'sys/kernel/pid_max')))?.trim());
    const threadsMax = Number((await readText(join(proc, 'sys/kernel/threads-max')))?.trim());
    const max = Math.min(...[pidMax, threadsMax].filter((n) => Number.isFinite(n) && n > 0));
    // The 4th field of loadavg is running/total scheduling entities (sysinfo's procs).
    const total = Number((await readText(join(proc, 'loadavg')))?.split(/\s+/)[3]?.split('/')[1]);
    if (!Number.isFinite(max) || !Number.isFinite(total)) return undefined;
    return { available: max - total, capacity: max };
  }

  async pods(pods: readonly EvictionPod[], opts: { readonly memory: boolean }): Promise<Map<string, PodUsage>> {
    const out = new Map<string, PodUsage>();
    for (const p of pods) {
      const newest = new Map<string, ObservedContainer>();
      for (const c of this.#o.containersOf(p.uid)) if (c.role !== 'sandbox' && !newest.has(c.name)) newest.set(c.name, c);
      const containers: ContainerUsage[] = [];
      for (const c of newest.values()) containers.push(await this.#container(c, opts.memory));
      const volumes = new Map<string, number>();
      for (const v of p.pod.spec?.volumes ?? []) {
        if (!v.emptyDir || v.emptyDir.medium === 'Memory') continue;
        const used = await diskUsage(this.#o.emptyDirPath(p.uid, v.name));
        if (used !== undefined) volumes.set(v.name, used);
      }
      const ephemeralBytes = containers.reduce((s, c) => s + (c.rootfsBytes ?? 0) + (c.logsBytes ?? 0), 0) + [...volumes.values()].reduce((s, n) => s + n, 0);
      out.set(p.uid, { containers, volumes, ephemeralBytes });
    }
    return out;
  }

  async #container(c: ObservedContainer, memory: boolean): Promise<ContainerUsage> {
    const info = await this.#o.docker
      .getContainer(c.id)
      // `size=1` is the engine's query parameter (dockerode passes options through; its types omit it).
      .inspect({ size: true } as Docker.ContainerInspectOptions)
      .catch(() => undefined);
    if (!info) return { name: c.name };
    const rootfsBytes = (info as { SizeRw?: number }).SizeRw ?? 0;
    const logsBytes = info.LogPath ? await logSize(info.LogPath) : 0;
    const workingSetBytes = memory && info.State.Pid > 0 ? await this.#workingSet(info.State.Pid) : undefined;
    return { name: c.name, rootfsBytes, logsBytes, ...(workingSetBytes === undefined ? {} : { workingSetBytes }) };
  }

  /** The container's working set from its init process's memory cgroup (usage − inactive file). */
  async #workingSet(pid: number): Promise<number | undefined> {
    const dirs = await this.#readers.cgroupOf(pid);
    return dirs ? (await this.#readers.readCgroup(dirs)).memory?.workingSetBytes : undefined;
  }
}

/** The json-file log and its rotated files (`<id>-json.log.N`). */
async function logSize(logPath: string): Promise<number> {
  const name = basename(logPath);
  const entries = await readdir(dirname(logPath)).catch(() => [] as string[]);
  let total = 0;
  for (const e of entries) {
    if (e !== name && !e.startsWith(`${name}.`)) continue;
    total += (await stat(join(dirname(logPath), e)).catch(() => undefined))?.size ?? 0;
  }
  return total;
}
