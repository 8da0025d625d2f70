// NodeHostFs against the real filesystem: kubelet's hostPath type check with the newest
// upstream wording (k/k pkg/volume/hostpath/host_path.go typeMatchedOrError), and the small
// file helpers the sync loop uses.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync, mkdirSync, symlinkSync, readdirSync, existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeHostFs, atomicTempName } from '../../agent/host/host-fs.js';

const fs = new NodeHostFs();
let dir: string;
let socketPath: string;
let server: Server;
let blockDevice: { path: string } | { skip: string };

function findOrMakeBlockDevice(): { path: string } | { skip: string } {
  for (const name of ['loop0', 'loop1', 'vda', 'sda', 'nvme0n1', 'xvda']) {
    const path = `/dev/${name}`;
    try {
      if (statSync(path).isBlockDevice()) return { path };
    } catch {
      // not here
    }
  }
  const path = join(dir, 'blockdev');
  try {
    execFileSync('mknod', [path, 'b', '7', '200'], { stdio: 'pipe' });
    return { path };
  } catch (e) {
    return { skip: `no block device in /dev and mknod failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nodelet-hostfs-'));
  mkdirSync(join(dir, 'adir'));
  writeFileSync(join(dir, 'afile'), 'x');
  symlinkSync(join(dir, 'adir'), join(dir, 'link-to-dir'));
  socketPath = join(dir, 'a.sock');
  server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, resolve);
  });
  execFileSync('mkfifo', [join(dir, 'afifo')]);
  blockDevice = findOrMakeBlockDevice();
  if ('skip' in blockDevice) console.warn(`[host-fs] BlockDevice cases skipped: ${blockDevice.skip}`);
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

const p = (name: string): string => join(dir, name);
const umask = process.umask();

describe('checkHostPath: one passing and one failing case per type', () => {
  it('"" (unset): no check at all, even for a missing path', async () => {
    expect(await fs.checkHostPath(p('missing-unset'), '')).toEqual({ ok: true });
    expect(existsSync(p('missing-unset'))).toBe(false);
  });

  it('a path with a ".." element is refused before any check', async () => {
    const bad = `${dir}/adir/../afile`;
    expect(await fs.checkHostPath(bad, '')).toEqual({ ok: false, message: `invalid HostPath \`${bad}\`: must not contain '..'` });
    expect(await fs.checkHostPath(`${dir}/a..b`, '')).toEqual({ ok: true });
  });

  it('an unknown type is rejected with kubelet wording', async () => {
    expect(await fs.checkHostPath(p('adir'), 'Fifo')).toEqual({ ok: false, message: 'Fifo is an invalid volume type' });
  });

  it('DirectoryOrCreate: creates a missing directory (0755, parents too)', async () => {
    const target = p('made/by/kubelet');
    expect(await fs.checkHostPath(target, 'DirectoryOrCreate')).toEqual({ ok: true });
    const st = statSync(target);
    expect(st.isDirectory()).toBe(true);
    expect(st.mode & 0o777).toBe(0o755 & ~umask);
    expect(statSync(p('made')).mode & 0o777).toBe(0o755 & ~umask);
    expect(await fs.checkHostPath(p('adir'), 'DirectoryOrCreate')).toEqual({ ok: true });
  });

  it('DirectoryOrCreate: an existing file fails', async () => {
    expect(await fs.checkHostPath(p('afile'), 'DirectoryOrCreate')).toEqual({
      ok: false,
      message: `hostPath type check failed: ${p('afile')} is not a directory, it's a File`,
    });
  });

  it('DirectoryOrCreate: a file in the way of a parent fails like Go os.MkdirAll', async () => {
    expect(await fs.checkHostPath(p('afile/sub/dir'), 'DirectoryOrCreate')).toEqual({ ok: false, message: `mkdir ${p('afile')}: not a directory` });
  });

  it('Directory: passes for a directory and a symlink to one', async () => {
    expect(await fs.checkHostPath(p('adir'), 'Directory')).toEqual({ ok: true });
    expect(await fs.checkHostPath(p('link-to-dir'), 'Directory')).toEqual({ ok: true });
  });

  it('Directory: missing path and wrong type fail', async () => {
    expect(await fs.checkHostPath(p('nodir'), 'Directory')).toEqual({ ok: false, message: `hostPath ${p('nodir')} doesn't exist` });
    expect(await fs.checkHostPath(socketPath, 'Directory')).toEqual({ ok: false, message: `hostPath type check failed: ${socketPath} is not a directory, it's a Socket` });
  });

  it('FileOrCreate: creates a missing file (0644) and accepts an existing one', async () => {
    const target = p('adir/new.conf');
    expect(await fs.checkHostPath(target, 'FileOrCreate')).toEqual({ ok: true });
    const st = statSync(target);
    expect(st.isFile()).toBe(true);
    expect(st.size).toBe(0);
    expect(st.mode & 0o777).toBe(0o644 & ~umask);
    expect(await fs.checkHostPath(p('afile'), 'FileOrCreate')).toEqual({ ok: true });
    expect(readFileSync(p('afile'), 'utf8')).toBe('x');
  });

  it('FileOrCreate: a missing parent is not created (Go os.OpenFile error)', async () => {
    const target = p('no-parent/x.conf');
    expect(await fs.checkHostPath(target, 'FileOrCreate')).toEqual({ ok: false, message: `open ${target}: no such file or directory` });
    expect(existsSync(p('no-parent'))).toBe(false);
  });

  it('FileOrCreate: an existing directory fails', async () => {
    expect(await fs.checkHostPath(p('adir'), 'FileOrCreate')).toEqual({ ok: false, message: `hostPath type check failed: ${p('adir')} is not a file, it's a Directory` });
  });

  it('File: passes for a regular file', async () => {
    expect(await fs.checkHostPath(p('afile'), 'File')).toEqual({ ok: true });
  });

  it('File: a character device and a missing file fail', async () => {
    expect(await fs.checkHostPath('/dev/null', 'File')).toEqual({ ok: false, message: `hostPath type check failed: /dev/null is not a file, it's a CharDevice` });
    expect(await fs.checkHostPath(p('nofile'), 'File')).toEqual({ ok: false, message: `hostPath ${p('nofile')} doesn't exist` });
  });

  it('Socket: passes for a listening unix socket', async () => {
    expect(await fs.checkHostPath(socketPath, 'Socket')).toEqual({ ok: true });
  });

  it('Socket: a regular file fails', async () => {
    expect(await fs.checkHostPath(p('afile'), 'Socket')).toEqual({ ok: false, message: `hostPath type check failed: ${p('afile')} is not a socket file, it's a File` });
  });

  it('CharDevice: passes for /dev/null', async () => {
    expect(await fs.checkHostPath('/dev/null', 'CharDevice')).toEqual({ ok: true });
  });

  it('CharDevice: a directory fails', async () => {
    expect(await fs.checkHostPath(p('adir'), 'CharDevice')).toEqual({ ok: false, message: `hostPath type check failed: ${p('adir')} is not a character device, it's a Directory` });
  });

  it('BlockDevice: passes for a block device', async (ctx) => {
    if ('skip' in blockDevice) return ctx.skip();
    expect(await fs.checkHostPath(blockDevice.path, 'BlockDevice')).toEqual({ ok: true });
  });

  it('BlockDevice: a character device fails', async () => {
    expect(await fs.checkHostPath('/dev/null', 'BlockDevice')).toEqual({ ok: false, message: `hostPath type check failed: /dev/null is not a block device, it's a CharDevice` });
  });

  it('a block device is not a character device', async (ctx) => {
    if ('skip' in blockDevice) return ctx.skip();
    expect(await fs.checkHostPath(blockDevice.path, 'CharDevice')).toEqual({
      ok: false,
      message: `hostPath type check failed: ${blockDevice.path} is not a character device, it's a BlockDevice`,
    });
  });

  it('a FIFO has no hostPath type', async () => {
    expect(await fs.checkHostPath(p('afifo'), 'File')).toEqual({
      ok: false,
      message: `hostPath type check failed, ${p('afifo')} is not a file, unable to determine its type: only recognise file, directory, socket, block device and character device`,
    });
  });

  it('a dangling symlink does not exist', async () => {
    symlinkSync(p('gone'), p('dangling'));
    expect(await fs.checkHostPath(p('dangling'), 'File')).toEqual({ ok: false, message: `hostPath ${p('dangling')} doesn't exist` });
  });
});

describe('file helpers', () => {
  it('ensureDir creates parents and sets the exact mode despite the umask', async () => {
    const target = p('pods/uid/volumes/kubernetes.io~empty-dir/cache');
    await fs.ensureDir(target, 0o777);
    expect(statSync(target).mode & 0o777).toBe(0o777);
    await fs.ensureDir(target, 0o777); // idempotent
  });

  it('ensureFile creates an empty file, keeps existing content, sets the mode', async () => {
    const target = p('adir/termination-log');
    await fs.ensureFile(target, 0o666);
    expect(statSync(target).mode & 0o777).toBe(0o666);
    writeFileSync(target, 'bye');
    await fs.ensureFile(target, 0o666);
    expect(readFileSync(target, 'utf8')).toBe('bye');
  });

  it('writeFileAtomic replaces content and leaves no temp files', async () => {
    const target = p('state/revisions.json');
    mkdirSync(p('state'));
    await fs.writeFileAtomic(target, '{"a":1}');
    await fs.writeFileAtomic(target, new TextEncoder().encode('{"a":2}'), 0o600);
    expect(readFileSync(target, 'utf8')).toBe('{"a":2}');
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(readdirSync(p('state'))).toEqual(['revisions.json']);
  });

  it('removeStaleTempFiles removes what an interrupted writeFileAtomic of another process left, nothing else', async () => {
    mkdirSync(p('stale'));
    const dead = atomicTempName('node.json', 999_999, 'a1b2c3d4e5f6');
    const mine = atomicTempName('node.json', process.pid, '0123456789ab');
    for (const name of [dead, mine, 'node.json', '.web.yaml.swp', '.x.12.short.tmp']) writeFileSync(p(`stale/${name}`), '{}');
    expect(await fs.removeStaleTempFiles(p('stale'))).toEqual([p(`stale/${dead}`)]);
    expect(readdirSync(p('stale')).sort()).toEqual([mine, '.web.yaml.swp', '.x.12.short.tmp', 'node.json'].sort());
    expect(await fs.removeStaleTempFiles(p('no-such-dir'))).toEqual([]);
  });

  it('writeFileAtomic into a missing directory fails and leaves nothing', async () => {
    await expect(fs.writeFileAtomic(p('nope/x.json'), 'x')).rejects.toThrow(/ENOENT/);
  });

  it('readFileLimited reads at most maxBytes; undefined when missing', async () => {
    writeFileSync(p('msg'), 'a'.repeat(5000));
    expect(await fs.readFileLimited(p('msg'), 4096)).toBe('a'.repeat(4096));
    expect(await fs.readFileLimited(p('afile'), 4096)).toBe('x');
    expect(await fs.readFileLimited(p('nothing-here'), 4096)).toBeUndefined();
  });

  it('removeTree removes a tree and tolerates a missing path', async () => {
    mkdirSync(p('tree/a/b'), { recursive: true });
    writeFileSync(p('tree/a/b/f'), 'x');
    await fs.removeTree(p('tree'));
    expect(existsSync(p('tree'))).toBe(false);
    await fs.removeTree(p('tree'));
  });
});
