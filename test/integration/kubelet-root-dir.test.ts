// Issue 14 item 5, directory layout, against the real dockerd: pod volumes live under the
// kubelet root dir (<rootDir>/pods/<uid>/volumes/kubernetes.io~empty-dir/<name>), the plugin
// directories exist so hostPath volumes of type Directory under the root dir mount, and pods
// an older nodelet started (their directory under <stateDir>/pods) are adopted without a
// restart: their containers' restarts keep the same emptyDir, and their removal cleans it.
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from '../helpers/agent-harness.js';
import { useTestAgents } from '../helpers/pod-fixtures.js';

const agent = useTestAgents();

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function lines(path: string): Promise<number> {
  return (await readFile(path, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '').length;
}

/** A pod whose container appends a line to its emptyDir and exits after a second (restarted by the agent). */
function crashingPod(name: string, extraVolumes = '', extraMounts = ''): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox:1.37
    imagePullPolicy: Never
    command: ["sh", "-c", "echo run >> /data/runs; sleep 1; exit 1"]
    volumeMounts:
    - name: data
      mountPath: /data${extraMounts}
  volumes:
  - name: data
    emptyDir: {}${extraVolumes}
`;
}

const emptyDirFile = (base: string, uid: string): string => join(base, 'pods', uid, 'volumes', 'kubernetes.io~empty-dir', 'data', 'runs');

describe('kubelet root directory', () => {
  it('adopts pods an older nodelet made under the state dir, and puts new pods under <rootDir>/pods', async () => {
    const root = await mkdtemp(join(tmpdir(), 'nodelet-it-rootdir-'));
    const nodeName = `rootdir-${process.pid}-${Date.now().toString(36)}`;
    const file = { crashLoopBackOff: { initial: '1s', max: '2s' } };
    // The older nodelet: pods under <stateDir>/pods (the harness's rootDir is its state dir).
    const old = await agent({ root, nodeName, file });
    await old.write('legacy.yaml', crashingPod('legacy'));
    const legacyUid = await waitUntil(async () => old.running.agent.pods().find((p) => p.metadata?.name === `legacy-${nodeName}`)?.metadata?.uid, 'the legacy pod');
    const legacyRuns = emptyDirFile(old.stateDir, legacyUid);
    await waitUntil(async () => (await lines(legacyRuns)) >= 1, 'the legacy pod writing its emptyDir');
    await old.stop();
    const before = await lines(legacyRuns);

    const rootDir = join(root, 'kubelet');
    const a = await agent({ root, nodeName, file, flags: { rootDir } });
    await a.logLine((l) => l.msg === 'pods started by an older nodelet keep their directories under the state directory');
    // Restarts of the adopted container still write the same emptyDir, under the state dir.
    await waitUntil(async () => (await lines(legacyRuns)) >= before + 2, 'two restarts of the adopted pod writing the old emptyDir', 60_000);
    expect(await exists(join(rootDir, 'pods', legacyUid))).toBe(false);

    // A new pod: kubelet's layout under the root dir; hostPaths of type Directory there mount.
    await a.write(
      'fresh.yaml',
      crashingPod(
        'fresh',
        `
  - name: registry
    hostPath:
      path: ${rootDir}/plugins_registry
      type: Directory
  - name: device-plugins
    hostPath:
      path: ${rootDir}/device-plugins
      type: Directory`,
        `
    - name: registry
      mountPath: /registration
    - name: device-plugins
      mountPath: /dp`,
      ),
    );
    const freshUid = await waitUntil(async () => a.running.agent.pods().find((p) => p.metadata?.name === `fresh-${nodeName}`)?.metadata?.uid, 'the fresh pod');
    await waitUntil(async () => (await lines(emptyDirFile(rootDir, freshUid))) >= 1, 'the fresh pod writing its emptyDir under <rootDir>/pods');
    expect(await exists(join(a.stateDir, 'pods', freshUid))).toBe(false);

    // Removing the adopted pod removes its directory where it is.
    await a.remove('legacy.yaml');
    await waitUntil(async () => !(await exists(join(a.stateDir, 'pods', legacyUid))), 'the legacy pod directory removed', 60_000);
  });
});
