import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cgroupDirs, cgroupUsage, parseMountinfoCgroups, parseProcCgroup, podCgroupParent } from '../../../agent/stats/cgroup-files.js';
import { parseMeminfo, parseNetDev, parseProcStat } from '../../../agent/stats/proc-files.js';
import { HostReaders } from '../../../agent/stats/host-readers.js';

const ID = '1b84825d9c9329788fcf51b376e8e7dc2b506fc0845ae273673f1ac45482aa56';

// As on the test machine: separate cpu and cpuacct hierarchies, a 0:: line without a cgroup2 mount.
const V1_MOUNTINFO = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
`;
const V1_PROC_CGROUP = `9:name=systemd:/docker/${ID}
4:memory:/docker/${ID}
2:cpuacct:/docker/${ID}
1:cpu:/docker/${ID}
0::/docker/${ID}/init.scope
`;
const V2_MOUNTINFO = `29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;
const V2_PATH = '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234_abcd.slice/docker-abc.scope';

const V1_MEMORY_STAT = `cache 44163072
rss 37183488
total_cache 44163072
total_rss 37183488
total_pgfault 45736
total_pgmajfault 102
total_inactive_file 8830976
`;
const V2_MEMORY_STAT = `anon 52428800
file 10485760
inactive_file 4194304
active_file 6291456
pgfault 1200
pgmajfault 3
`;

describe('cgroup files', () => {
  it('finds v1 cpuacct and memory directories from /proc/<pid>/cgroup and mountinfo (a 0:: line without cgroup2 is ignored)', () => {
    const dirs = cgroupDirs(parseProcCgroup(V1_PROC_CGROUP), parseMountinfoCgroups(V1_MOUNTINFO));
    expect(dirs).toEqual({ version: 1, cpu: `/sys/fs/cgroup/cpuacct/docker/${ID}`, memory: `/sys/fs/cgroup/memory/docker/${ID}`, path: `/docker/${ID}` });
  });

  it('finds the v2 directory, and a mount root inside a cgroup namespace is stripped', () => {
    expect(cgroupDirs(parseProcCgroup(`0::${V2_PATH}\n`), parseMountinfoCgroups(V2_MOUNTINFO))).toEqual({ version: 2, cpu: `/sys/fs/cgroup${V2_PATH}`, memory: `/sys/fs/cgroup${V2_PATH}`, path: V2_PATH });
    const nested = '40 31 0:32 /docker/outer /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n41 31 0:30 /docker/outer /sys/fs/cgroup/cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n';
    expect(cgroupDirs(parseProcCgroup('4:memory:/docker/outer/x\n2:cpu,cpuacct:/docker/outer/x\n'), parseMountinfoCgroups(nested))).toMatchObject({ cpu: '/sys/fs/cgroup/cpuacct/x', memory: '/sys/fs/cgroup/memory/x' });
  });

  it('v1 figures: working set = usage − total_inactive_file, rss = total_rss, no limit for LLONG_MAX', () => {
    expect(cgroupUsage({ version: 1, cpu: '1022791029\n', memoryUsage: '85192704\n', memoryStat: V1_MEMORY_STAT, memoryLimit: '9223372036854771712\n' })).toEqual({
      cpuNs: 1022791029,
      memory: { usageBytes: 85192704, workingSetBytes: 85192704 - 8830976, rssBytes: 37183488, pageFaults: 45736, majorPageFaults: 102 },
    });
  });

  it('v2 figures: cpu.stat usage_usec in ns, memory.current − inactive_file, rss = anon, memory.max', () => {
    expect(cgroupUsage({ version: 2, cpu: 'usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n', memoryUsage: '62914560\n', memoryStat: V2_MEMORY_STAT, memoryLimit: '104857600\n' })).toEqual({
      cpuNs: 2_500_000_000,
      memory: { usageBytes: 62914560, workingSetBytes: 62914560 - 4194304, rssBytes: 52428800, pageFaults: 1200, majorPageFaults: 3, limitBytes: 104857600 },
    });
    expect(cgroupUsage({ version: 2, memoryUsage: '100', memoryStat: 'inactive_file 200\n', memoryLimit: 'max\n' }).memory).toEqual({ usageBytes: 100, workingSetBytes: 0 });
  });

  it('recognises a pod cgroup parent (cgroupfs and systemd names), not Docker’s default one', () => {
    expect(podCgroupParent('/kubepods/burstable/podabc-1/deadbeef', 'abc-1')).toBe('/kubepods/burstable/podabc-1');
    expect(podCgroupParent('/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podabc_1.slice/docker-x.scope', 'abc-1')).toBe(
      '/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podabc_1.slice',
    );
    expect(podCgroupParent(`/docker/${ID}`, 'abc-1')).toBeUndefined();
  });
});

describe('/proc files', () => {
  it('/proc/stat: busy time in ns (USER_HZ 100, idle and iowait out), btime, cpu count', () => {
    const s = parseProcStat('cpu  100 10 50 1000 20 3 4 5 0 0\ncpu0 50 5 25 500 10 1 2 2 0 0\ncpu1 50 5 25 500 10 2 2 3 0 0\nbtime 1796653932\n');
    expect(s).toEqual({ busyNs: (100 + 10 + 50 + 3 + 4 + 5) * 10_000_000, btime: 1796653932, cpus: 2 });
  });

  it('/proc/meminfo in bytes', () => {
    const m = parseMeminfo('MemTotal:       24683772 kB\nMemFree:        17326468 kB\nInactive(file):  3000000 kB\nHugePages_Total:       0\n');
    expect(m.get('MemTotal')).toBe(24683772 * 1024);
    expect(m.get('Inactive(file)')).toBe(3000000 * 1024);
    expect(m.get('HugePages_Total')).toBe(0);
  });

  it('/proc/<pid>/net/dev: interfaces without lo, eth0 first', () => {
    const text = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0
  tun0:      10       1    0    0    0     0          0         0       20       1    0    0    0     0       0          0
  eth0:    5000      40    2    0    0     0          0         0     3000      30    1    0    0     0       0          0
`;
    expect(parseNetDev(text)).toEqual([
      { name: 'eth0', rxBytes: 5000, rxErrors: 2, txBytes: 3000, txErrors: 1 },
      { name: 'tun0', rxBytes: 10, rxErrors: 0, txBytes: 20, txErrors: 0 },
    ]);
  });
});

describe('HostReaders over fixture trees', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  async function tree(files: Record<string, string>): Promise<string> {
    const root = await mkdtemp(join(tmpdir(), 'nodelet-stats-'));
    dirs.push(root);
    for (const [path, text] of Object.entries(files)) {
      await mkdir(join(root, path, '..'), { recursive: true });
      await writeFile(join(root, path), text);
    }
    return root;
  }

  it('cgroup v1: a container found through its PID, and the node from the root cgroup', async () => {
    const root = await tree({
      '/proc/self/mountinfo': V1_MOUNTINFO,
      '/proc/4242/cgroup': V1_PROC_CGROUP,
      [`/sys/fs/cgroup/cpuacct/docker/${ID}/cpuacct.usage`]: '1022791029\n',
      [`/sys/fs/cgroup/memory/docker/${ID}/memory.usage_in_bytes`]: '85192704\n',
      [`/sys/fs/cgroup/memory/docker/${ID}/memory.stat`]: V1_MEMORY_STAT,
      [`/sys/fs/cgroup/memory/docker/${ID}/memory.limit_in_bytes`]: '9223372036854771712\n',
      '/sys/fs/cgroup/cpuacct/cpuacct.usage': '23166619711472\n',
      '/sys/fs/cgroup/memory/memory.usage_in_bytes': '6263906304\n',
      '/sys/fs/cgroup/memory/memory.stat': 'total_rss 9072640\ntotal_inactive_file 3394363392\n',
      '/proc/meminfo': 'MemTotal:       24683772 kB\nMemFree:        17326468 kB\n',
      '/proc/stat': 'cpu  1 0 0 0 0 0 0 0 0 0\ncpu0 1 0 0 0 0 0 0 0 0 0\nbtime 1796653932\n',
    });
    const r = new HostReaders({ root, now: () => 1_000 });
    const dirsOf = await r.cgroupOf(4242);
    expect(dirsOf?.path).toBe(`/docker/${ID}`);
    const usage = await r.readCgroup(dirsOf ?? { version: 1, path: '/' });
    expect(usage.cpuNs).toBe(1022791029);
    expect(usage.memory?.workingSetBytes).toBe(85192704 - 8830976);
    const node = await r.nodeUsage();
    expect(node.cpu).toEqual({ time: 1_000, usageCoreNanoSeconds: 23166619711472 });
    expect(node.memory).toEqual({ time: 1_000, usageBytes: 6263906304, workingSetBytes: 6263906304 - 3394363392, rssBytes: 9072640, availableBytes: 24683772 * 1024 - (6263906304 - 3394363392) });
    expect(await r.cgroupOf(999)).toBeUndefined();
  });

  it('cgroup v2: the root has no memory.current, so the node memory comes from /proc/meminfo (runc rootStatsFromMeminfo)', async () => {
    const root = await tree({
      '/proc/self/mountinfo': V2_MOUNTINFO,
      '/proc/77/cgroup': `0::${V2_PATH}\n`,
      [`/sys/fs/cgroup${V2_PATH}/cpu.stat`]: 'usage_usec 2500000\n',
      [`/sys/fs/cgroup${V2_PATH}/memory.current`]: '62914560\n',
      [`/sys/fs/cgroup${V2_PATH}/memory.stat`]: V2_MEMORY_STAT,
      [`/sys/fs/cgroup${V2_PATH}/memory.max`]: 'max\n',
      '/sys/fs/cgroup/cpu.stat': 'usage_usec 9000000\n',
      '/proc/meminfo': 'MemTotal:       1000 kB\nMemFree:         400 kB\nInactive(file):  100 kB\n',
      '/proc/stat': 'cpu  1 0 0 0 0 0 0 0 0 0\nbtime 10\n',
    });
    const r = new HostReaders({ root, now: () => 5 });
    const usage = await r.readCgroup((await r.cgroupOf(77)) ?? { version: 2, path: '/' });
    expect(usage).toEqual({ cpuNs: 2_500_000_000, memory: { usageBytes: 62914560, workingSetBytes: 62914560 - 4194304, rssBytes: 52428800, pageFaults: 1200, majorPageFaults: 3 } });
    const node = await r.nodeUsage();
    expect(node.cpu?.usageCoreNanoSeconds).toBe(9_000_000_000);
    expect(node.memory).toEqual({ time: 5, usageBytes: 600 * 1024, workingSetBytes: 500 * 1024, availableBytes: 500 * 1024 });
  });
});
