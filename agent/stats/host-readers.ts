// Adapters: read the figures from the host's files (cgroups, /proc, statfs). Everything is read
// when asked, nothing is polled. `root` prefixes every path so tests run the same code over
// fixture trees. These readers are the ones the eviction manager reuses for node and container
// usage.
import { readFile, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { cgroupDirs, cgroupUsage, parseMountinfoCgroups, parseProcCgroup, rootCgroupDirs, type CgroupDirs, type CgroupMount, type CgroupUsage } from './cgroup-files.js';
import { parseMeminfo, parseNetDev, parseProcStat, type ProcStat } from './proc-files.js';
import type { CpuSample, FsSample, InterfaceSample, MemorySample } from './types.js';

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

export interface HostReaderOptions {
  /** Prefix of every host path ('/' on a real host, a fixture tree in tests). */
  readonly root?: string;
  readonly now?: () => number;
}

export class HostReaders {
  readonly #root: string;
  readonly #now: () => number;
  #mounts: Promise<CgroupMount[]> | undefined;

  constructor(opts: HostReaderOptions = {}) {
    this.#root = opts.root ?? '/';
    this.#now = opts.now ?? Date.now;
  }

  #path(p: string): string {
    return this.#root === '/' ? p : join(this.#root, p);
  }

  /** The cgroup mounts, read once: they do not change while nodelet runs. */
  mounts(): Promise<CgroupMount[]> {
    this.#mounts ??= readText(this.#path('/proc/self/mountinfo')).then((t) => parseMountinfoCgroups(t ?? ''));
    return this.#mounts;
  }

  /** Where a process's cpu and memory cgroups are (from /proc/<pid>/cgroup, never assumed from the runtime's parent). */
  async cgroupOf(pid: number): Promise<CgroupDirs | undefined> {
    const text = await readText(this.#path(`/proc/${pid}/cgroup`));
    if (text === undefined) return undefined;
    return cgroupDirs(parseProcCgroup(text), await this.mounts());
  }

  /** The cgroup a path under the same hierarchies names (a pod's parent cgroup). */
  async cgroupAt(like: CgroupDirs, path: string): Promise<CgroupDirs> {
    const mounts = await this.mounts();
    const fake = like.version === 2 ? `0::${path}` : `1:cpuacct:${path}\n2:memory:${path}`;
    return cgroupDirs(parseProcCgroup(fake), mounts) ?? like;
  }

  /** cpu and memory of one cgroup directory pair, as cAdvisor computes them. */
  async readCgroup(dirs: CgroupDirs): Promise<CgroupUsage> {
    const v1 = dirs.version === 1;
    const at = (dir: string | undefined, file: string): Promise<string | undefined> => (dir === undefined ? Promise.resolve(undefined) : readText(this.#path(`${dir}/${file}`)));
    const [cpu, memoryUsage, memoryStat, memoryLimit] = await Promise.all([
      at(dirs.cpu, v1 ? 'cpuacct.usage' : 'cpu.stat'),
      at(dirs.memory, v1 ? 'memory.usage_in_bytes' : 'memory.current'),
      at(dirs.memory, 'memory.stat'),
      at(dirs.memory, v1 ? 'memory.limit_in_bytes' : 'memory.max'),
    ]);
    return cgroupUsage({
      version: dirs.version,
      ...(cpu !== undefined ? { cpu } : {}),
      ...(memoryUsage !== undefined ? { memoryUsage } : {}),
      ...(memoryStat !== undefined ? { memoryStat } : {}),
      ...(memoryLimit !== undefined ? { memoryLimit } : {}),
    });
  }

  async procStat(): Promise<ProcStat> {
    return parseProcStat((await readText(this.#path('/proc/stat'))) ?? '');
  }

  /**
   * The node's CPU and memory as the kubelet's root container: the root cgroup (v1 root
   * cpuacct.usage and memory.usage_in_bytes − total_inactive_file); where the root has no
   * memory usage file (v2), runc's rootStatsFromMeminfo: usage = MemTotal − MemFree, working set =
   * usage − inactive file. CPU falls back to /proc/stat's busy time. available = MemTotal −
   * working set.
   */
  async nodeUsage(): Promise<{ cpu?: CpuSample; memory?: MemorySample; stat: ProcStat; memTotal?: number }> {
    const [rootDirs, stat, meminfoText] = await Promise.all([this.mounts().then(rootCgroupDirs), this.procStat(), readText(this.#path('/proc/meminfo'))]);
    const time = this.#now();
    const usage: CgroupUsage = rootDirs ? await this.readCgroup(rootDirs) : {};
    const meminfo = parseMeminfo(meminfoText ?? '');
    const memTotal = meminfo.get('MemTotal');
    const cpuNs = usage.cpuNs ?? stat.busyNs;
    let memory: MemorySample | undefined;
    if (usage.memory) {
      memory = { time, ...usage.memory, ...(memTotal !== undefined ? { availableBytes: Math.max(0, memTotal - usage.memory.workingSetBytes) } : {}) };
    } else if (memTotal !== undefined) {
      const usageBytes = memTotal - (meminfo.get('MemFree') ?? 0);
      const workingSetBytes = Math.max(0, usageBytes - (meminfo.get('Inactive(file)') ?? 0));
      memory = { time, usageBytes, workingSetBytes, availableBytes: Math.max(0, memTotal - workingSetBytes) };
    }
    return { ...(cpuNs !== undefined ? { cpu: { time, usageCoreNanoSeconds: cpuNs } } : {}), ...(memory ? { memory } : {}), stat, ...(memTotal !== undefined ? { memTotal } : {}) };
  }

  /** statfs of the filesystem holding `path`: capacity, available (to unprivileged users), used, inodes. */
  async fs(path: string): Promise<FsSample | undefined> {
    try {
      const s = await statfs(this.#path(path));
      return {
        time: this.#now(),
        capacityBytes: s.blocks * s.bsize,
        availableBytes: s.bavail * s.bsize,
        usedBytes: (s.blocks - s.bfree) * s.bsize,
        inodes: s.files,
        inodesFree: s.ffree,
        inodesUsed: s.files - s.ffree,
      };
    } catch {
      return undefined;
    }
  }

  /** The size of a file, following symlinks (a container's log: the kubelet path links to Docker's json log). */
  async fileSize(path: string): Promise<number | undefined> {
    try {
      return (await stat(this.#path(path))).size;
    } catch {
      return undefined;
    }
  }

  /** The interfaces of the network namespace `pid` is in. */
  async netDev(pid: number): Promise<InterfaceSample[] | undefined> {
    const text = await readText(this.#path(`/proc/${pid}/net/dev`));
    return text === undefined ? undefined : parseNetDev(text);
  }
}
