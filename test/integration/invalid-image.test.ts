// Issue 12 item 8 (invalid image reference) against the real dockerd: a name the reference
// grammar refuses is InvalidImageName with kubelet's message, as EnsureImageExists reports it,
// not CrashLoopBackOff, and nothing runs, so the restart count stays 0.
import { describe, expect, it } from 'vitest';
import type { ContainerStatus } from 'kubernetes-types/core/v1.js';
import { waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { containersOf, useTestAgents } from '../helpers/pod-fixtures.js';

const agent = useTestAgents();

function appStatus(a: TestAgent, pod: string): ContainerStatus | undefined {
  return a.running.agent.pods().find((p) => p.metadata?.name === `${pod}-${a.config.nodeName}`)?.status?.containerStatuses?.find((c) => c.name === 'app');
}

function attempts(a: TestAgent): number {
  return a.logs.filter((l) => l['msg'] === 'image not available' && l['reason'] === 'InvalidImageName').length;
}

describe('invalid image references', () => {
  for (const image of ['Busybox:Latest', 'a b']) {
    it(`"${image}" waits as InvalidImageName, also after a retry`, async () => {
      const a = await agent();
      await a.write(
        'bad-image.yaml',
        `apiVersion: v1
kind: Pod
metadata:
  name: bad-image
spec:
  containers:
  - name: app
    image: ${JSON.stringify(image)}
`,
      );
      const message = `Failed to apply default image tag ${JSON.stringify(image)}: couldn't parse image reference ${JSON.stringify(image)}: `;
      // ContainerCreating until the first attempt's result is in the status.
      const first = await waitUntil(async () => {
        const waiting = appStatus(a, 'bad-image')?.state?.waiting;
        return attempts(a) >= 1 && waiting?.reason !== 'ContainerCreating' ? waiting : undefined;
      }, 'the first attempt');
      expect(first.reason).toBe('InvalidImageName');
      expect(first.message?.startsWith(message)).toBe(true);
      // The retry comes after the 10 s back-off window; the status must not turn into CrashLoopBackOff.
      const seen = new Set<string>();
      await waitUntil(async () => {
        seen.add(appStatus(a, 'bad-image')?.state?.waiting?.reason ?? 'none');
        return attempts(a) >= 2 ? true : undefined;
      }, 'a second attempt', 30_000, 50);
      seen.add(appStatus(a, 'bad-image')?.state?.waiting?.reason ?? 'none');
      expect([...seen]).toEqual(['InvalidImageName']);
      const status = appStatus(a, 'bad-image');
      expect(status?.restartCount).toBe(0);
      expect(status?.state?.waiting?.message?.startsWith(message)).toBe(true);
      expect(await containersOf(a, 'bad-image', 'app')).toEqual([]);
    });
  }
});
