// Issue 13, one status writer, against the real dockerd: a pod's status is written when a sync
// or a probe result sees a change, and read as stored. Nobody looks at the pod's status until
// 30 s after its readiness probe first passed; the Ready condition must still carry the time of
// that result, not the time of the first read (the old agent generated status on read and
// stamped lastTransitionTime with the reader's clock).
import { describe, expect, it } from 'vitest';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { cli } from '../helpers/daemonset-harness.js';
import { busyboxSh, hostNetworkPod, useTestAgents } from '../helpers/pod-fixtures.js';

const agent = useTestAgents();
const LATE_READ_MS = 30_000;

function condition(pod: Pod | undefined, type: string): { status?: string; lastTransitionTime?: string } | undefined {
  return pod?.status?.conditions?.find((c) => c.type === type);
}

/** The agent's log line of the readiness probe's first success for `pod`, read from its log, not its status. */
function readinessPassedAt(a: TestAgent, pod: string): number | undefined {
  const line = a.logs.find((l) => l['msg'] === 'readiness probe result changed' && l['result'] === 'Success' && String(l['pod']).endsWith(`/${pod}`));
  return line ? Date.parse(String(line['time'])) : undefined;
}

describe('pod status is written at the change, not at the read', () => {
  it('a read 30 s after a readiness change sees the time of the change', async () => {
    const a = await agent();
    const name = `late-read-${a.config.nodeName}`;
    await a.write(
      'late-read.yaml',
      hostNetworkPod(
        'late-read',
        1,
        busyboxSh('app', 'sleep 2; touch /tmp/ready; exec sleep 3600', '    readinessProbe:', '      exec: { command: ["cat", "/tmp/ready"] }', '      periodSeconds: 1'),
      ),
    );
    // Waits on the agent's log only: nothing may read the pod's status before the late read.
    const changedAt = await waitUntil(async () => readinessPassedAt(a, name), 'the readiness probe to pass', 60_000);
    // The subject of the test is a late reader: the read happens 30 s after the change.
    await new Promise((r) => setTimeout(r, Math.max(0, changedAt + LATE_READ_MS - Date.now())));

    const pod = a.running.agent.pods().find((p) => p.metadata?.name === name);
    const ready = condition(pod, 'Ready');
    expect(ready?.status).toBe('True');
    const at = Date.parse(ready?.lastTransitionTime ?? '');
    // metav1.Time has whole seconds: the change's second (or the next, when the log line and the
    // write straddle a second boundary); a read-time stamp would be 30 s later.
    expect(Math.abs(at - changedAt)).toBeLessThan(2000);
    expect(condition(pod, 'ContainersReady')?.lastTransitionTime).toBe(ready?.lastTransitionTime);

    // The same through the local API, and a second read changes nothing.
    const out = await cli(a, ['get', 'pod', name, '-o', 'json']);
    expect(out.code).toBe(0);
    const viaApi = JSON.parse(out.out) as Pod;
    expect(condition(viaApi, 'Ready')).toEqual(ready);
    expect(condition(a.running.agent.pods().find((p) => p.metadata?.name === name), 'Ready')).toEqual(ready);
  }, 90_000);
});
