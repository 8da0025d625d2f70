// Pure: the text of cgroup and /proc files → numbers. cgroup v1 and v2 name the same figures
// differently; cAdvisor's (and runc's) reading of them is followed so the figures match what a
// kubelet would report for the same container.

/** `key value` lines (memory.stat, cpu.stat) → numbers; other lines are skipped. */
export function parseFlatKeyed(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (!key || value === undefined) continue;
    const n = Number(value);
    if (Number.isFinite(n)) out.set(key, n);
  }
  return out;
}

/** One number (cpuacct.usage, memory.current); `max` (v2 unlimited) → undefined. */
export function parseSingle(text: string | undefined): number | undefined {
  const t = text?.trim();
  if (!t || t === 'max') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** v1 reports "no limit" as a page-rounded LLONG_MAX; anything this large is no limit. */
const NO_LIMIT = 2 ** 62;

/** The raw files of one cgroup a reading needs; absent ones are undefined. */
export interface CgroupFiles {
  readonly version: 1 | 2;
  /** v1 cpuacct.usage (ns) or v2 cpu.stat. */
  readonly cpu?: string;
  /** v1 memory.usage_in_bytes or v2 memory.current. */
  readonly memoryUsage?: string;
  readonly memoryStat?: string;
  /** v1 memory.limit_in_bytes or v2 memory.max. */
  readonly memoryLimit?: string;
}

export interface CgroupUsage {
  readonly cpuNs?: number;
  readonly memory?: {
    readonly usageBytes: number;
    readonly workingSetBytes: number;
    readonly rssBytes?: number;
    readonly pageFaults?: number;
    readonly majorPageFaults?: number;
    readonly limitBytes?: number;
  };
}

/**
 * cAdvisor's figures from one cgroup's files: working set = usage − inactive_file (v1
 * `total_inactive_file`, v2 `inactive_file`), floored at 0; rss = v1 `total_rss` / v2 `anon`;
 * page faults from `(total_)pgfault` and `(total_)pgmajfault`.
 */
export function cgroupUsage(files: CgroupFiles): CgroupUsage {
  const v1 = files.version === 1;
  let cpuNs: number | undefined;
  if (v1) cpuNs = parseSingle(files.cpu);
  else if (files.cpu !== undefined) {
    const usec = parseFlatKeyed(files.cpu).get('usage_usec');
    cpuNs = usec === undefined ? undefined : usec * 1000;
  }
  const usage = parseSingle(files.memoryUsage);
  let memory: CgroupUsage['memory'];
  if (usage !== undefined) {
    const stat = parseFlatKeyed(files.memoryStat ?? '');
    const key = (name: string): number | undefined => stat.get(v1 ? `total_${name}` : name);
    const inactiveFile = key('inactive_file') ?? 0;
    const limit = parseSingle(files.memoryLimit);
    const rss = v1 ? key('rss') : stat.get('anon');
    const pageFaults = key('pgfault');
    const majorPageFaults = key('pgmajfault');
    memory = {
      usageBytes: usage,
      workingSetBytes: Math.max(0, usage - inactiveFile),
      ...(rss !== undefined ? { rssBytes: rss } : {}),
      ...(pageFaults !== undefined ? { pageFaults } : {}),
      ...(majorPageFaults !== undefined ? { majorPageFaults } : {}),
      ...(limit !== undefined && limit < NO_LIMIT ? { limitBytes: limit } : {}),
    };
  }
  return { ...(cpuNs !== undefined ? { cpuNs } : {}), ...(memory ? { memory } : {}) };
}

/** /proc/<pid>/cgroup: v1 controller → path, and the v2 (`0::`) path. */
export interface ProcCgroup {
  readonly v1: ReadonlyMap<string, string>;
  readonly unified?: string;
}

export function parseProcCgroup(text: string): ProcCgroup {
  const v1 = new Map<string, string>();
  let unified: string | undefined;
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, id, controllers = '', path = ''] = m;
    if (id === '0' && controllers === '') unified = path;
    else for (const c of controllers.split(',')) if (c) v1.set(c, path);
  }
  return { v1, ...(unified !== undefined ? { unified } : {}) };
}

/** A cgroup filesystem mount from /proc/self/mountinfo. */
export interface CgroupMount {
  readonly version: 1 | 2;
  /** The hierarchy path mounted there (non-`/` when nodelet runs inside a cgroup namespace). */
  readonly root: string;
  readonly mountPoint: string;
  /** v1 controllers (cpu, cpuacct, memory, name=systemd); empty for v2. */
  readonly controllers: readonly string[];
}

/** Octal escapes of mountinfo paths (`\040` for a space). */
function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountinfoCgroups(text: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const [fstype, , superOpts = ''] = line.slice(sep + 3).split(' ');
    const root = unescapeMountPath(left[3] ?? '/');
    const mountPoint = unescapeMountPath(left[4] ?? '');
    if (fstype === 'cgroup2') out.push({ version: 2, root, mountPoint, controllers: [] });
    else if (fstype === 'cgroup') {
      const known = ['cpu', 'cpuacct', 'memory', 'cpuset', 'pids', 'blkio', 'devices', 'freezer', 'net_cls', 'net_prio', 'perf_event', 'hugetlb', 'rdma', 'misc'];
      const controllers = superOpts.split(',').filter((o) => known.includes(o) || o.startsWith('name='));
      out.push({ version: 1, root, mountPoint, controllers });
    }
  }
  return out;
}

/** Where one process's cpu and memory cgroups are on this host's filesystem. */
export interface CgroupDirs {
  readonly version: 1 | 2;
  readonly cpu?: string;
  readonly memory?: string;
  /** The cgroup path itself (cAdvisor's container name, the `id` label), e.g. `/docker/<id>`. */
  readonly path: string;
}

function joinUnder(mount: CgroupMount, path: string): string {
  // A path from /proc/<pid>/cgroup is relative to the hierarchy root; the mount shows `root` of it.
  const rel = mount.root !== '/' && (path === mount.root || path.startsWith(`${mount.root}/`)) ? path.slice(mount.root.length) : path;
  return `${mount.mountPoint}${rel === '/' ? '' : rel}`;
}

/**
 * cgroup v2 when a cgroup2 mount exists and the process has a `0::` path; otherwise v1 with the
 * cpuacct and memory hierarchies (hybrid hosts carry a `0::` line for systemd only).
 */
export function cgroupDirs(proc: ProcCgroup, mounts: readonly CgroupMount[]): CgroupDirs | undefined {
  const v1cpu = proc.v1.get('cpuacct');
  const v1mem = proc.v1.get('memory');
  const unifiedMount = mounts.find((m) => m.version === 2);
  if ((v1cpu === undefined || v1mem === undefined) && unifiedMount && proc.unified !== undefined) {
    const dir = joinUnder(unifiedMount, proc.unified);
    return { version: 2, cpu: dir, memory: dir, path: proc.unified };
  }
  if (v1cpu === undefined && v1mem === undefined) return undefined;
  const cpuMount = mounts.find((m) => m.version === 1 && m.controllers.includes('cpuacct'));
  const memMount = mounts.find((m) => m.version === 1 && m.controllers.includes('memory'));
  return {
    version: 1,
    ...(cpuMount && v1cpu !== undefined ? { cpu: joinUnder(cpuMount, v1cpu) } : {}),
    ...(memMount && v1mem !== undefined ? { memory: joinUnder(memMount, v1mem) } : {}),
    path: v1mem ?? v1cpu ?? '/',
  };
}

/** The root cgroup's directories (node figures), when the hierarchies are mounted. */
export function rootCgroupDirs(mounts: readonly CgroupMount[]): CgroupDirs | undefined {
  const cpuMount = mounts.find((m) => m.version === 1 && m.controllers.includes('cpuacct'));
  const memMount = mounts.find((m) => m.version === 1 && m.controllers.includes('memory'));
  if (cpuMount?.root === '/' || memMount?.root === '/') {
    return { version: 1, ...(cpuMount?.root === '/' ? { cpu: cpuMount.mountPoint } : {}), ...(memMount?.root === '/' ? { memory: memMount.mountPoint } : {}), path: '/' };
  }
  const unified = mounts.find((m) => m.version === 2 && m.root === '/');
  return unified ? { version: 2, cpu: unified.mountPoint, memory: unified.mountPoint, path: '/' } : undefined;
}

/**
 * The pod's own cgroup, when the container's parent is one the kubelet's naming would give a
 * pod: `pod<uid>` (cgroupfs) or `…-pod<uid with _>.slice` (systemd). Docker's default parent
 * (`/docker`) is not, and the pod's figures are then the sum of its containers.
 */
export function podCgroupParent(containerPath: string, podUid: string): string | undefined {
  const parent = containerPath.slice(0, containerPath.lastIndexOf('/'));
  const last = parent.slice(parent.lastIndexOf('/') + 1);
  if (last === `pod${podUid}` || last.endsWith(`-pod${podUid.replace(/-/g, '_')}.slice`)) return parent;
  return undefined;
}
