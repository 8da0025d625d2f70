import { describe, expect, it } from 'vitest';
import { MAX_SYMLINK_HOPS, walkPath, type EntryInfo, type PathPort, type WalkResult } from '../../../agent/source/path-walk.js';
import { describePathFault } from '../../../agent/source/trust.js';

type Node = { type: 'dir'; mode: number; uid?: number } | { type: 'file'; mode?: number; uid?: number } | { type: 'link'; to: string; uid?: number };

/** A fake tree: absolute path -> entry. Parents must be listed too. */
function fakeFs(tree: Record<string, Node>): PathPort & { lstats: string[] } {
  let ino = 1;
  const inodes = new Map(Object.keys(tree).map((p) => [p, ino++]));
  const lstats: string[] = [];
  const missing = (path: string): Error => Object.assign(new Error(`ENOENT: no such file or directory, lstat '${path}'`), { code: 'ENOENT' });
  return {
    lstats,
    lstat: (path) => {
      lstats.push(path);
      const n = tree[path];
      if (n === undefined) return Promise.reject(missing(path));
      const info: EntryInfo =
        n.type === 'dir'
          ? { type: 'directory', mode: 0o040000 | n.mode, uid: n.uid ?? 0, dev: 1, ino: inodes.get(path) ?? 0 }
          : n.type === 'file'
            ? { type: 'file', mode: 0o100000 | (n.mode ?? 0o644), uid: n.uid ?? 0, dev: 1, ino: inodes.get(path) ?? 0 }
            : { type: 'symlink', mode: 0o120777, uid: n.uid ?? 0, dev: 1, ino: inodes.get(path) ?? 0 };
      return Promise.resolve(info);
    },
    readlink: (path) => {
      const n = tree[path];
      return n?.type === 'link' ? Promise.resolve(n.to) : Promise.reject(missing(path));
    },
  };
}

const BASE: Record<string, Node> = {
  '/': { type: 'dir', mode: 0o755 },
  '/etc': { type: 'dir', mode: 0o755 },
  '/etc/m': { type: 'dir', mode: 0o755 },
  '/tmp': { type: 'dir', mode: 0o1777 },
  '/home': { type: 'dir', mode: 0o755 },
  '/home/u': { type: 'dir', mode: 0o755, uid: 1000 },
  '/home/u/pod.yaml': { type: 'file' },
  '/srv': { type: 'dir', mode: 0o775 },
  '/srv/pod.yaml': { type: 'file' },
  '/opt': { type: 'dir', mode: 0o755 },
  '/opt/m': { type: 'dir', mode: 0o755 },
  '/opt/m/pod.yaml': { type: 'file' },
};

const walk = (tree: Record<string, Node>, path: string, agentUid = 0): Promise<WalkResult> => walkPath(path, fakeFs({ ...BASE, ...tree }), { agentUid, checkTrust: true });

function problem(r: WalkResult, path = '/etc/m/x.yaml'): string {
  if (r.kind !== 'untrusted') throw new Error(`expected untrusted, got ${r.kind}`);
  return describePathFault({ kind: 'file', path }, r.fault, 0);
}

describe('walkPath: every directory on the resolved path is checked', () => {
  it('a plain file in trusted directories is found, resolved, not symlinked', async () => {
    expect(await walk({ '/etc/m/x.yaml': { type: 'file' } }, '/etc/m/x.yaml')).toMatchObject({ kind: 'found', resolved: '/etc/m/x.yaml', symlinked: false, entry: { type: 'file' } });
  });

  it('a symlink into a trusted directory keeps working (absolute and relative targets, chains)', async () => {
    expect(await walk({ '/etc/m/x.yaml': { type: 'link', to: '/opt/m/pod.yaml' } }, '/etc/m/x.yaml')).toMatchObject({ kind: 'found', resolved: '/opt/m/pod.yaml', symlinked: true });
    expect(await walk({ '/etc/m/x.yaml': { type: 'link', to: '../../opt/m/pod.yaml' } }, '/etc/m/x.yaml')).toMatchObject({ kind: 'found', resolved: '/opt/m/pod.yaml' });
    expect(
      await walk({ '/etc/m/x.yaml': { type: 'link', to: 'y.yaml' }, '/etc/m/y.yaml': { type: 'link', to: '/opt/./m//pod.yaml' } }, '/etc/m/x.yaml'),
    ).toMatchObject({ kind: 'found', resolved: '/opt/m/pod.yaml' });
    // A directory symlink on the way (the manifest directory itself may be one).
    expect(await walk({ '/etc/k': { type: 'link', to: '/opt/m' } }, '/etc/k/pod.yaml')).toMatchObject({ kind: 'found', resolved: '/opt/m/pod.yaml', symlinked: true });
  });

  it("refuses a symlink into another user's directory, naming that directory and the fix", async () => {
    const r = await walk({ '/etc/m/x.yaml': { type: 'link', to: '/home/u/pod.yaml' } }, '/etc/m/x.yaml');
    expect(problem(r)).toBe(
      'manifest /etc/m/x.yaml: directory /home/u on its path is owned by uid 1000, not root, so someone else could swap what is read; refusing it. ' +
        'Fix: chown root /home/u, or keep manifests in directories only root can write, or run with --allow-insecure-manifests',
    );
  });

  it('refuses a group-writable directory on the way, even one owned by root', async () => {
    const r = await walk({ '/etc/m/x.yaml': { type: 'link', to: '/srv/pod.yaml' } }, '/etc/m/x.yaml');
    expect(problem(r)).toContain('directory /srv on its path is writable by group (mode 0775), so someone else could swap what is read; refusing it. Fix: chmod go-w /srv,');
  });

  it('checks every directory up to /, and / itself', async () => {
    expect(problem(await walk({ '/etc': { type: 'dir', mode: 0o757 }, '/etc/m/x.yaml': { type: 'file' } }, '/etc/m/x.yaml'))).toContain('directory /etc on its path is writable by others (mode 0757)');
    expect(problem(await walk({ '/': { type: 'dir', mode: 0o775 }, '/etc/m/x.yaml': { type: 'file' } }, '/etc/m/x.yaml'))).toContain('directory / on its path is writable by group (mode 0775)');
  });

  it('directories only on the symlink text but not on the resolved path do not count: `..` resolves against the real parent', async () => {
    // /etc/m/x.yaml -> /home/u/../../opt/m/pod.yaml: /home/u is entered (so it is checked) before `..`.
    expect((await walk({ '/etc/m/x.yaml': { type: 'link', to: '/home/u/../../opt/m/pod.yaml' } }, '/etc/m/x.yaml')).kind).toBe('untrusted');
    // A symlink that lives in /home/u (the user can retarget it) is refused too, though it points to a trusted file.
    expect((await walk({ '/etc/m/x.yaml': { type: 'link', to: '/home/u/l' }, '/home/u/l': { type: 'link', to: '/opt/m/pod.yaml' } }, '/etc/m/x.yaml')).kind).toBe('untrusted');
  });

  it("a root-owned sticky directory (/tmp) is fine for root's entries, not for another user's symlink", async () => {
    const tree: Record<string, Node> = { '/tmp/d': { type: 'dir', mode: 0o700 }, '/tmp/d/pod.yaml': { type: 'file' } };
    expect(await walk(tree, '/tmp/d/pod.yaml')).toMatchObject({ kind: 'found', resolved: '/tmp/d/pod.yaml' });
    // The file itself in /tmp: found; its owner is checked on the opened descriptor.
    expect(await walk({ '/tmp/pod.yaml': { type: 'file', uid: 1000 } }, '/tmp/pod.yaml')).toMatchObject({ kind: 'found', entry: { uid: 1000 } });
    const r = await walk({ ...tree, '/etc/m/x.yaml': { type: 'link', to: '/tmp/l' }, '/tmp/l': { type: 'link', to: '/tmp/d/pod.yaml', uid: 1000 } }, '/etc/m/x.yaml');
    expect(problem(r)).toContain('/tmp/l on its path is owned by uid 1000, not root, in the sticky directory /tmp, so its owner could replace it; refusing it. Fix: chown -h root /tmp/l,');
    // A directory of another user in /tmp is refused as a directory.
    expect(problem(await walk({ '/tmp/e': { type: 'dir', mode: 0o755, uid: 1000 }, '/tmp/e/pod.yaml': { type: 'file' } }, '/tmp/e/pod.yaml'))).toContain('directory /tmp/e on its path is owned by uid 1000');
    // Sticky but not root's: untrusted.
    expect((await walk({ '/tmp': { type: 'dir', mode: 0o1777, uid: 1000 }, '/tmp/pod.yaml': { type: 'file' } }, '/tmp/pod.yaml')).kind).toBe('untrusted');
  });

  it("the agent's own user may own directories on the way", async () => {
    expect((await walk({ '/etc/m/x.yaml': { type: 'link', to: '/home/u/pod.yaml' } }, '/etc/m/x.yaml', 1000)).kind).toBe('found');
  });

  it('without trust checks it only resolves', async () => {
    const fs = fakeFs({ ...BASE, '/etc/m/x.yaml': { type: 'link', to: '/home/u/pod.yaml' } });
    expect(await walkPath('/etc/m/x.yaml', fs, { agentUid: 0, checkTrust: false })).toMatchObject({ kind: 'found', resolved: '/home/u/pod.yaml' });
  });

  it('missing entries: a vanished file, a dangling symlink, a file used as a directory', async () => {
    expect(await walk({}, '/etc/m/gone.yaml')).toMatchObject({ kind: 'missing', symlinked: false });
    expect(await walk({ '/etc/m/x.yaml': { type: 'link', to: '/opt/m/nope.yaml' } }, '/etc/m/x.yaml')).toMatchObject({ kind: 'missing', symlinked: true });
    expect(await walk({ '/etc/m/x.yaml': { type: 'link', to: '/opt/m/pod.yaml/x' } }, '/etc/m/x.yaml')).toMatchObject({ kind: 'missing', symlinked: true, error: { code: 'ENOTDIR' } });
  });

  it(`gives up after ${MAX_SYMLINK_HOPS} symlinks (ELOOP)`, async () => {
    const loop = await walk({ '/etc/m/x.yaml': { type: 'link', to: 'y.yaml' }, '/etc/m/y.yaml': { type: 'link', to: 'x.yaml' } }, '/etc/m/x.yaml');
    expect(loop).toMatchObject({ kind: 'error', error: { code: 'ELOOP' } });
    const chain: Record<string, Node> = {};
    for (let i = 0; i < MAX_SYMLINK_HOPS; i++) chain[`/etc/m/l${i}`] = { type: 'link', to: i === MAX_SYMLINK_HOPS - 1 ? '/opt/m/pod.yaml' : `l${i + 1}` };
    expect(await walk(chain, '/etc/m/l0')).toMatchObject({ kind: 'found', resolved: '/opt/m/pod.yaml' });
  });

  it('the manifest directory: found as a directory, its ancestors checked', async () => {
    expect(await walk({}, '/etc/m')).toMatchObject({ kind: 'found', resolved: '/etc/m', entry: { type: 'directory' } });
    const r = await walk({ '/etc/k': { type: 'link', to: '/srv' } }, '/etc/k/m');
    expect(r.kind).toBe('untrusted');
    if (r.kind === 'untrusted') {
      expect(describePathFault({ kind: 'directory', path: '/etc/k/m' }, r.fault, 0)).toMatch(/^manifest directory \/etc\/k\/m: directory \/srv on its path is writable by group \(mode 0775\).*; refusing every manifest in it\./);
    }
  });
});
