// The cgroup adapter against a fake cgroup filesystem (a temp dir) for cgroupfs v1 and v2, and
// the systemctl calls of the systemd driver.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { QosCgroups, sliceProperties, type EngineCgroups } from '../../../agent/qos/cgroups.js';
import { createLogger } from '../../../agent/log/logger.js';

const logger = createLogger({ level: 'silent' });
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function fakeMount(version: 1 | 2): Promise<string> {
  const mount = await mkdtemp(join(tmpdir(), 'nodelet-cg-'));
  dirs.push(mount);
  if (version === 1) for (const c of ['cpu', 'cpuacct', 'memory', 'pids', 'cpuset']) await mkdir(join(mount, c));
  else await writeFile(join(mount, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
  return mount;
}

const guaranteed: Pod = { metadata: { uid: 'u-1' }, spec: { containers: [{ name: 'a', resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '250m', memory: '64Mi' } } }] } };
const bestEffort: Pod = { metadata: { uid: 'u-2' }, spec: { containers: [{ name: 'a' }] } };

function cgroups(mount: string, engine: EngineCgroups, run?: (f: string, a: readonly string[]) => Promise<void>): QosCgroups {
  return new QosCgroups({
    settings: { cgroupsPerQOS: true, cgroupRoot: '/', mountPoint: mount, podPidsLimit: 1024 },
    engine: () => Promise.resolve(engine),
    logger,
    kubepodsLimits: () => ({ cpuShares: 1945, memoryLimit: 1_000_000 }),
    burstableCpuMilli: () => 0,
    ...(run ? { run } : {}),
  });
}

describe('QosCgroups', () => {
  it('cgroupfs v1: per-controller directories with the limits; removal in every hierarchy', async () => {
    const mount = await fakeMount(1);
    const q = cgroups(mount, { driver: 'cgroupfs', version: 1 });
    expect(await q.ensurePod(guaranteed, 'u-1')).toBe('/kubepods/podu-1');
    const read = (p: string): Promise<string> => readFile(join(mount, p), 'utf8');
    expect(await read('cpu/kubepods/podu-1/cpu.shares')).toBe('256');
    expect(await read('cpu/kubepods/podu-1/cpu.cfs_quota_us')).toBe('25000');
    expect(await read('cpu/kubepods/podu-1/cpu.cfs_period_us')).toBe('100000');
    expect(await read('memory/kubepods/podu-1/memory.limit_in_bytes')).toBe(String(64 * 1024 * 1024));
    expect(await read('pids/kubepods/podu-1/pids.max')).toBe('1024');
    expect(await read('cpu/kubepods/cpu.shares')).toBe('1945');
    expect(await read('memory/kubepods/memory.limit_in_bytes')).toBe('1000000');
    expect(await read('cpu/kubepods/besteffort/cpu.shares')).toBe('2');
    expect(await q.ensurePod(bestEffort, 'u-2')).toBe('/kubepods/besteffort/podu-2');
    expect((await q.podUids(0)).sort()).toEqual(['u-1', 'u-2']);
    // A fake fs holds the files, so rmdir cannot work there; the real one is in the integration test.
    await q.removePod('u-2');
  });

  it('cgroupfs v2: one directory, controllers enabled down the path, weight and cpu.max', async () => {
    const mount = await fakeMount(2);
    const q = cgroups(mount, { driver: 'cgroupfs', version: 2 });
    expect(await q.ensurePod(guaranteed, 'u-1')).toBe('/kubepods/podu-1');
    expect(await readFile(join(mount, 'cgroup.subtree_control'), 'utf8')).toBe('+cpu +memory +pids');
    expect(await readFile(join(mount, 'kubepods/podu-1/cpu.weight'), 'utf8')).toBe('35');
    expect(await readFile(join(mount, 'kubepods/podu-1/cpu.max'), 'utf8')).toBe('25000 100000');
    expect(await readFile(join(mount, 'kubepods/podu-1/memory.max'), 'utf8')).toBe(String(64 * 1024 * 1024));
    expect(await readFile(join(mount, 'kubepods/memory.max'), 'utf8')).toBe('1000000');
    expect(await readdir(join(mount, 'kubepods'))).toEqual(expect.arrayContaining(['besteffort', 'burstable', 'podu-1']));
  });

  it('systemd: slices get their properties with systemctl set-property --runtime, then start; Docker gets the leaf slice', async () => {
    const mount = await fakeMount(2);
    const calls: string[] = [];
    const q = cgroups(mount, { driver: 'systemd', version: 2 }, (f, a) => {
      calls.push([f, ...a].join(' '));
      return Promise.resolve();
    });
    expect(await q.ensurePod(guaranteed, 'u-1')).toBe('kubepods-podu_1.slice');
    expect(calls).toEqual([
      'systemctl set-property --runtime kubepods.slice CPUWeight=167 MemoryMax=1000000',
      'systemctl start kubepods.slice',
      'systemctl set-property --runtime kubepods-besteffort.slice CPUWeight=1',
      'systemctl start kubepods-besteffort.slice',
      'systemctl start kubepods-burstable.slice',
      'systemctl set-property --runtime kubepods-podu_1.slice CPUWeight=35 CPUQuota=25% CPUQuotaPeriodSec=100ms MemoryMax=67108864 TasksMax=1024',
      'systemctl start kubepods-podu_1.slice',
    ]);
    expect(sliceProperties({ cpuShares: 1024, memoryLimit: 5 }, 1)).toEqual(['CPUShares=1024', 'MemoryLimit=5']);
  });

  it('systemd v1: the slice properties and the controller files too; removal stops the slice and removes the v1 directories', async () => {
    // A containerized systemd (test/vm) records CPUShares/MemoryLimit and writes nothing when it
    // does not drive the v1 controllers: libcontainer writes the files itself, and so must nodelet.
    const mount = await fakeMount(1);
    const calls: string[] = [];
    const q = cgroups(mount, { driver: 'systemd', version: 1 }, (f, a) => {
      calls.push([f, ...a].join(' '));
      return Promise.resolve();
    });
    expect(await q.ensurePod(guaranteed, 'u-1')).toBe('kubepods-podu_1.slice');
    expect(calls).toContain('systemctl set-property --runtime kubepods-podu_1.slice CPUShares=256 CPUQuota=25% CPUQuotaPeriodSec=100ms MemoryLimit=67108864 TasksMax=1024');
    const read = (p: string): Promise<string> => readFile(join(mount, p), 'utf8');
    expect(await read('cpu/kubepods.slice/kubepods-podu_1.slice/cpu.shares')).toBe('256');
    expect(await read('cpu/kubepods.slice/kubepods-podu_1.slice/cpu.cfs_quota_us')).toBe('25000');
    expect(await read('memory/kubepods.slice/kubepods-podu_1.slice/memory.limit_in_bytes')).toBe(String(64 * 1024 * 1024));
    expect(await read('memory/kubepods.slice/memory.limit_in_bytes')).toBe('1000000');
    expect(await read('cpu/kubepods.slice/kubepods-besteffort.slice/cpu.shares')).toBe('2');

    // An emptied pod slice (the files of a fake fs would keep rmdir from working).
    for (const c of ['cpu', 'memory', 'pids']) await mkdir(join(mount, c, 'kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podu_3.slice'), { recursive: true });
    calls.length = 0;
    await q.removePod('u-3');
    expect(calls).toContain('systemctl stop kubepods-burstable-podu_3.slice');
    for (const c of ['cpu', 'memory', 'pids']) expect(await readdir(join(mount, c, 'kubepods.slice/kubepods-burstable.slice'))).not.toContain('kubepods-burstable-podu_3.slice');
  });

  it('cgroupsPerQOS false: no hierarchy, Docker default parent', async () => {
    const q = new QosCgroups({ settings: { cgroupsPerQOS: false, cgroupRoot: '/' }, engine: () => Promise.reject(new Error('not asked')), logger });
    expect(await q.ensurePod(guaranteed, 'u-1')).toBeUndefined();
  });
});
