// Issue 18 corpus (kyverno disallow-host-path pod-bad: `emptyDir.medium: memory`, lowercase),
// against the real dockerd: the API server does not check the medium, so the manifest is
// accepted; the kubelet's emptyDir plugin then fails the volume set-up ("unknown storage
// medium"), a FailedMount, and the pod never starts. nodelet must do the same, never give the
// pod a disk emptyDir instead.
import { describe, expect, it } from 'vitest';
import type { ContainerStatus } from 'kubernetes-types/core/v1.js';
import { waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { containersOf, useTestAgents } from '../helpers/pod-fixtures.js';

const agent = useTestAgents();

function appStatus(a: TestAgent, pod: string): ContainerStatus | undefined {
  return a.running.agent.pods().find((p) => p.metadata?.name === `${pod}-${a.config.nodeName}`)?.status?.containerStatuses?.find((c) => c.name === 'app');
}

describe('emptyDir with a medium the kubelet does not know', () => {
  it('is admitted, fails its volume set-up as the kubelet does (FailedMount) and runs nothing', async () => {
    const a = await agent();
    await a.write(
      'bad-medium.yaml',
      `apiVersion: v1
kind: Pod
metadata:
  name: bad-medium
spec:
  containers:
  - name: app
    image: busybox:1.37
    command: ["sleep", "3600"]
    volumeMounts: [{ name: empty, mountPath: /cache }]
  volumes:
  - name: empty
    emptyDir: { medium: memory, sizeLimit: 20Mi }
`,
    );
    const failure = await waitUntil(
      async () => a.logs.find((l) => l['msg'] === 'volume setup failed' && l['reason'] === 'FailedMount'),
      'the FailedMount',
    );
    expect(failure['err']).toBe('MountVolume.SetUp failed for volume "empty" : unknown storage medium "memory"');
    // The pod is there (admitted), waiting in ContainerCreating, and no container was made.
    expect(appStatus(a, 'bad-medium')?.state?.waiting?.reason).toBe('ContainerCreating');
    expect(await containersOf(a, 'bad-medium', 'app')).toEqual([]);
    expect(await containersOf(a, 'bad-medium', 'POD')).toEqual([]);
  });
});
