// The subPath adapter and the mount-safe removeTree against the real filesystem and real bind
// mounts (as root, no Docker): what a container could do to a volume is done here by the test.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeSubPather, safeMakeDir } from '../../../agent/host/subpath.js';
import { NodeHostFs } from '../../../agent/host/host-fs.js';
import { bindMount, readMountPoints, unmountBelow } from '../../../agent/host/mounts.js';
import type { SubPathSource } from '../../../agent/core/runtime-types.js';

const isRoot = process.getuid?.() === 0;
const roots: string[] = [];

afterEach(async () => {
  for (const r of roots.splice(0)) {
    await unmountBelow(r);
    await rm(r, { recursive: true, force: true });
  }
});

async function layout() {
  const root = await mkdtemp(join(tmpdir(), 'nodelet-subpath-'));
  roots.push(root);
  const volume = join(root, 'pod', 'volumes', 'data');
  const outside = join(root, 'host-secret');
  await mkdir(volume, { recursive: true });
  await chmod(volume, 0o777); // an emptyDir's mode, which the umask narrowed
  await mkdir(outside);
  await writeFile(join(outside, 'marker'), 'host data');
  const target = (i = 0) => join(root, 'pod', 'volume-subpaths', 'data', 'app', String(i));
  const src = (subPath: string, mountIndex = 0): SubPathSource => ({ volumePath: volume, subPath, volumeName: 'data', containerName: 'app', mountIndex });
  const mounted = async (path: string) => (await readMountPoints()).filter((m) => m === path).length;
  return { root, volume, outside, target, src, mounted };
}

describe.skipIf(!isRoot)('NodeSubPather (real bind mounts)', () => {
  const sp = new NodeSubPather();

  it('binds a plain subPath directory onto the target', async () => {
    const l = await layout();
    await mkdir(join(l.volume, 'sub'));
    await writeFile(join(l.volume, 'sub', 'f'), 'in volume');
    expect(await sp.prepare(l.src('sub'), l.target())).toEqual({ ok: true });
    expect(await l.mounted(l.target())).toBe(1);
    expect(readFileSync(join(l.target(), 'f'), 'utf8')).toBe('in volume');
  });

  it('refuses a subPath that is a symlink to / or to a host directory, and mounts nothing', async () => {
    const l = await layout();
    await symlink('/', join(l.volume, 'root'));
    await symlink(l.outside, join(l.volume, 'host'));
    for (const name of ['root', 'host']) {
      const r = await sp.prepare(l.src(name), l.target());
      expect(r).toMatchObject({ ok: false, step: 'prepare' });
      expect(!r.ok && r.detail).toMatch(/not within volume path/);
      expect(await l.mounted(l.target())).toBe(0);
    }
    expect(existsSync(join(l.target(), 'marker'))).toBe(false);
  });

  it('refuses a symlink in the middle of the subPath (a/b with a -> host dir)', async () => {
    const l = await layout();
    await mkdir(join(l.outside, 'b'));
    await symlink(l.outside, join(l.volume, 'a'));
    const r = await sp.prepare(l.src('a/b'), l.target());
    expect(r).toMatchObject({ ok: false, step: 'prepare' });
    expect(await l.mounted(l.target())).toBe(0);
  });

  it('allows symlinks that stay inside the volume, as kubelet does', async () => {
    const l = await layout();
    await mkdir(join(l.volume, 'real'));
    await writeFile(join(l.volume, 'real', 'f'), 'via link');
    await symlink('real', join(l.volume, 'link'));
    expect(await sp.prepare(l.src('link'), l.target())).toEqual({ ok: true });
    expect(readFileSync(join(l.target(), 'f'), 'utf8')).toBe('via link');
  });

  it('binds a file subPath onto a file target', async () => {
    const l = await layout();
    await writeFile(join(l.volume, 'conf'), 'file content');
    expect(await sp.prepare(l.src('conf'), l.target())).toEqual({ ok: true });
    expect(statSync(l.target()).isFile()).toBe(true);
    expect(readFileSync(l.target(), 'utf8')).toBe('file content');
  });

  it('re-checks at every start: a stale bind is unmounted, and a subPath swapped for a symlink is refused then', async () => {
    const l = await layout();
    await mkdir(join(l.volume, 'sub'));
    expect(await sp.prepare(l.src('sub'), l.target())).toEqual({ ok: true });
    expect(await sp.prepare(l.src('sub'), l.target())).toEqual({ ok: true });
    expect(await l.mounted(l.target())).toBe(1); // redone, not stacked
    await rm(join(l.volume, 'sub'), { recursive: true });
    await symlink('/', join(l.volume, 'sub'));
    expect(await sp.prepare(l.src('sub'), l.target())).toMatchObject({ ok: false, step: 'prepare' });
    expect(await l.mounted(l.target())).toBe(0); // the earlier, good bind is gone too
  });

  it('creates a missing subPath below the volume with the volume root mode, component by component', async () => {
    const l = await layout();
    expect(await sp.prepare(l.src('a/b/c'), l.target())).toEqual({ ok: true });
    for (const p of ['a', 'a/b', 'a/b/c']) expect(statSync(join(l.volume, p)).mode & 0o7777).toBe(0o777);
    expect(await l.mounted(l.target())).toBe(1);
  });

  it('never creates a missing subPath through a symlink: a dangling link out of the volume fails to create', async () => {
    const l = await layout();
    await symlink(join(l.outside, 'new'), join(l.volume, 'dangling'));
    await symlink(l.outside, join(l.volume, 'out'));
    expect(await sp.prepare(l.src('dangling'), l.target())).toMatchObject({ ok: false, step: 'create' });
    expect(await sp.prepare(l.src('out/new'), l.target(1))).toMatchObject({ ok: false, step: 'create' });
    expect(readdirSync(l.outside)).toEqual(['marker']);
    await expect(safeMakeDir('out/new', l.volume, 0o755)).rejects.toThrow(/outside of allowed base/);
  });

  it('reports a missing volume root as the stat error (kubelet returns it as is)', async () => {
    const l = await layout();
    const r = await sp.prepare({ ...l.src('x'), volumePath: join(l.root, 'missing') }, l.target());
    expect(r).toEqual({ ok: false, step: 'mode', detail: `stat ${join(l.root, 'missing')}: no such file or directory` });
  });
});

describe.skipIf(!isRoot)('NodeHostFs.removeTree with mounts below the path', () => {
  const fs = new NodeHostFs();

  it('unmounts every bind below the path, deepest first, and never deletes the bind source content', async () => {
    const l = await layout();
    const podDir = join(l.root, 'pod');
    await mkdir(join(l.volume, 'sub'));
    expect(await new NodeSubPather().prepare(l.src('sub'), l.target())).toEqual({ ok: true });
    // A hostPath-like bind an operator or a crash left, and one stacked on top of it.
    const hostBind = join(podDir, 'left', 'bind');
    await mkdir(hostBind, { recursive: true });
    await bindMount(l.outside, hostBind);
    await bindMount(l.outside, hostBind);
    const nested = join(hostBind, 'nested');
    await mkdir(nested);
    await bindMount(l.outside, nested);

    await fs.removeTree(podDir);

    expect(existsSync(podDir)).toBe(false);
    expect((await readMountPoints()).filter((m) => m.startsWith(podDir))).toEqual([]);
    expect(await readFile(join(l.outside, 'marker'), 'utf8')).toBe('host data');
    expect(existsSync(join(l.outside, 'nested'))).toBe(true); // made through the bind: host data too
  });

  it('removes a symlink to a directory without following it', async () => {
    const l = await layout();
    const link = join(l.root, 'link');
    await symlink(l.outside, link);
    await fs.removeTree(link);
    expect(existsSync(link)).toBe(false);
    expect(readdirSync(l.outside)).toEqual(['marker']);
  });

  it('keeps what it cannot unmount and says so, deleting the rest', async () => {
    const l = await layout();
    const dir = join(l.root, 'tree');
    const bind = join(dir, 'm');
    await mkdir(bind, { recursive: true });
    await writeFile(join(dir, 'other'), 'x');
    await bindMount(l.outside, bind);
    // A removeTree whose unmounts all fail: the stuck bind must stop the delete at its edge.
    const stuck = new NodeHostFs({ unmountBelow: async (root) => (await readMountPoints()).filter((m) => m.startsWith(root)) });
    await expect(stuck.removeTree(dir)).rejects.toThrow(/still a mount point/);
    expect(existsSync(join(dir, 'other'))).toBe(false);
    expect(readFileSync(join(bind, 'marker'), 'utf8')).toBe('host data');
    expect(readFileSync(join(l.outside, 'marker'), 'utf8')).toBe('host data');
  });

  it('tolerates a missing path', async () => {
    await fs.removeTree(join(tmpdir(), 'nodelet-does-not-exist-xyz'));
  });
});
