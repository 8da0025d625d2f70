// Issue 12, item 2: the manifest trust check could be raced. A symlinked manifest in a trusted
// directory points into a directory a non-root user owns; that user swaps a benign root-owned
// pod file with their own hostPath-`/` pod file (renameat2 RENAME_EXCHANGE) in a loop. Checking
// by path and reading by path again let the agent run the user's pod within about a second.
// Now every directory on the resolved path must be trusted and the file is read from the
// descriptor that was checked: the user's pod never runs, whatever the timing.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABELS } from '../../agent/core/labels.js';
import { TEST_IMAGES } from '../helpers/docker-engine.js';
import { makeTestAgent, waitUntil, type TestAgent } from '../helpers/agent-harness.js';

/** nobody: exists on every Linux system, no useradd needed. */
const USER = 65534;
const SWAP_SECONDS = Number(process.env.NODELET_RACE_SECONDS ?? 30);

/** Exchanges two paths as fast as it can for `seconds`, as the calling (non-root) user. */
const SWAPPER = `
import ctypes, sys, time
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_EXCHANGE = -100, 2
a, b, seconds = sys.argv[1].encode(), sys.argv[2].encode(), float(sys.argv[3])
end, n = time.monotonic() + seconds, 0
while time.monotonic() < end:
    if libc.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) != 0:
        sys.exit("renameat2: errno %d" % ctypes.get_errno())
    n += 1
print(n)
`;

const podYaml = (name: string, hostRoot: boolean): string =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n  - name: c\n    image: ${TEST_IMAGES.busybox}\n    command: ["sleep", "3600"]\n` +
  (hostRoot ? `    volumeMounts:\n    - { name: host, mountPath: /host }\n  volumes:\n  - name: host\n    hostPath: { path: / }\n` : '');

let agent: TestAgent | undefined;
let swapper: ChildProcess | undefined;
afterEach(async () => {
  swapper?.kill('SIGKILL');
  swapper = undefined;
  await agent?.cleanup();
  agent = undefined;
});

describe('manifest trust race (renameat2 RENAME_EXCHANGE through a symlinked manifest)', () => {
  it(`a non-root user swapping files for ${SWAP_SECONDS} s never gets their hostPath-/ pod run`, async () => {
    const root = await mkdtemp(join(tmpdir(), 'nodelet-race-'));
    await chmod(root, 0o755); // the user must reach their directory
    const userDir = join(root, 'user');
    await mkdir(userDir);
    await chown(userDir, USER, USER);
    const id = `${process.pid.toString(36)}${Date.now().toString(36)}`;
    const benign = `benign-${id}`;
    const evil = `evil-${id}`;
    const current = join(userDir, 'current.yaml');
    const other = join(userDir, 'other.yaml');
    await writeFile(current, podYaml(benign, false), { mode: 0o644 }); // root's, trusted on its own
    await writeFile(other, podYaml(evil, true), { mode: 0o644 });
    await chown(other, USER, USER);
    await mkdir(join(root, 'manifests'), { mode: 0o755 });
    await symlink(current, join(root, 'manifests', 'x.yaml'));

    agent = await makeTestAgent({ root, flags: { fileCheckFrequency: '1s', fileDebounce: '10ms' } });
    const a = agent;
    const child = spawn('python3', ['-c', SWAPPER, current, other, String(SWAP_SECONDS)], { uid: USER, gid: USER, stdio: ['ignore', 'pipe', 'pipe'] });
    swapper = child;
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let done = false;
    void exited.then(() => (done = true));

    // Any container of the user's pod, or any container of this node mounting the host's `/`.
    const evilContainers = async (): Promise<string[]> => {
      const list = await a.docker.listContainers({ all: true, filters: { label: [`${LABELS.node}=${a.config.nodeName}`] } });
      return list
        .filter((c) => (c.Labels[LABELS.podName] ?? '').startsWith(evil) || (c.Mounts ?? []).some((m) => m.Source === '/'))
        .map((c) => `${c.Names[0] ?? c.Id} (${c.State})`);
    };
    const started = Date.now();
    let seen: string[] = [];
    while (!done) {
      seen = await evilContainers();
      if (seen.length > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const elapsed = Date.now() - started;
    if (seen.length > 0) throw new Error(`the user's hostPath-/ pod ran after ${elapsed} ms: ${seen.join(', ')}`);
    expect(await exited).toBe(0);
    expect(Number(out.trim())).toBeGreaterThan(1000); // the swaps really happened
    expect(await evilContainers()).toEqual([]);

    // Refused for the user's directory, with the fix.
    const status = await waitUntil(async () => a.running.agent.fileStatuses().find((f) => f.file.endsWith('x.yaml')), 'x.yaml status');
    expect(status.state).toBe('refused');
    expect(status.errors[0]?.message).toContain(`: directory ${userDir} on its path is owned by uid ${USER}, not root, so someone else could swap what is read; refusing it.`);
  }, (SWAP_SECONDS + 60) * 1000);
});
