// Issue 12 item 7 against the real dockerd: pod directories and memory-emptyDir volumes a
// killed agent left behind are removed by housekeeping (at start and periodically), and a
// desired pod's directory is never removed, even while its container is being recreated.
import { describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { dockerFromEnv, waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { containersOf, useTestAgents } from '../helpers/pod-fixtures.js';
import { LABELS } from '../../agent/core/labels.js';
import { memoryVolumeName } from '../../agent/translate/volumes.js';

const agent = useTestAgents();

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** A leftover pod directory with emptyDir data, as a killed agent leaves it. */
async function leftoverPodDir(stateDir: string, uid: string): Promise<string> {
  const dir = join(stateDir, 'pods', uid);
  await mkdir(join(dir, 'volumes', 'kubernetes.io~empty-dir', 'data'), { recursive: true });
  await writeFile(join(dir, 'volumes', 'kubernetes.io~empty-dir', 'data', 'file'), 'left behind\n');
  return dir;
}

async function volumeExists(a: TestAgent, name: string): Promise<boolean> {
  return a.docker
    .getVolume(name)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

function removalLogged(a: TestAgent, uid: string): boolean {
  return a.logs.some((l) => l['component'] === 'housekeeping' && l['uid'] === uid && l['msg'] === 'removed the directory of an orphaned pod');
}

describe('housekeeping of orphaned pod state', () => {
  it('removes a leftover pod directory and memory volume of an unknown UID at start, and one made later', async () => {
    const root = await mkdtemp(join(tmpdir(), 'nodelet-it-'));
    const nodeName = `hk-${process.pid}-${Date.now().toString(36)}`;
    const staticUid = randomBytes(16).toString('hex');
    const daemonUid = randomUUID();
    const atStart = await leftoverPodDir(join(root, 'state'), staticUid);
    // Not a UID: never touched.
    const foreign = join(root, 'state', 'pods', 'keep-me');
    await mkdir(foreign, { recursive: true });
    const docker = dockerFromEnv();
    const volume = memoryVolumeName(daemonUid, 'cache');
    await docker.createVolume({ Name: volume, Driver: 'local', DriverOpts: { type: 'tmpfs', device: 'tmpfs' }, Labels: { [LABELS.managed]: 'true', [LABELS.podUid]: daemonUid, [LABELS.node]: nodeName } });

    const a = await agent({ root, nodeName });
    await waitUntil(async () => !(await exists(atStart)) && !(await volumeExists(a, volume)), 'leftover dir and volume removed at start');
    expect(removalLogged(a, staticUid)).toBe(true);
    expect(a.logs.some((l) => l['component'] === 'housekeeping' && l['volume'] === volume)).toBe(true);
    expect(await exists(foreign)).toBe(true);

    // The periodic pass (every resync period, 2 s in tests) catches one that appears later.
    const laterUid = randomBytes(16).toString('hex');
    const later = await leftoverPodDir(a.stateDir, laterUid);
    await waitUntil(async () => !(await exists(later)), 'later leftover removed', 15_000);
    expect(removalLogged(a, laterUid)).toBe(true);
    expect(await exists(foreign)).toBe(true);
  });

  it('never removes a desired pod directory while its container crash-loops', async () => {
    const a = await agent();
    await a.write(
      'crashy.yaml',
      `apiVersion: v1
kind: Pod
metadata:
  name: crashy
spec:
  containers:
  - name: app
    image: busybox:1.37
    command: ["sh", "-c", "echo run >> /data/runs; exit 1"]
    volumeMounts:
    - { name: data, mountPath: /data }
  volumes:
  - name: data
    emptyDir: {}
`,
    );
    const first = await waitUntil(async () => (await containersOf(a, 'crashy', 'app'))[0], 'first container');
    const uid = first.Labels[LABELS.podUid] ?? '';
    const runs = join(a.stateDir, 'pods', uid, 'volumes', 'kubernetes.io~empty-dir', 'data', 'runs');
    // An orphan made after the pod started: once it is gone, housekeeping has run with the pod
    // desired and restarting; its data must have survived every pass.
    const orphanUid = randomBytes(16).toString('hex');
    const orphan = await leftoverPodDir(a.stateDir, orphanUid);
    await waitUntil(async () => !(await exists(orphan)), 'orphan removed', 15_000);
    // Restarts at 0 s and 10 s: the third run comes after several housekeeping periods.
    await waitUntil(async () => ((await readFile(runs, 'utf8').catch(() => '')).split('\n').filter(Boolean).length >= 3 ? true : undefined), 'three runs in the emptyDir', 40_000);
    expect(a.logs.some((l) => l['component'] === 'housekeeping' && l['uid'] === uid)).toBe(false);
  });
});
