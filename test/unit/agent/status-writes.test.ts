// The agent's pod status on the fake runtime and clock: written by the sync pass when the
// container started, read as stored. Read ten minutes later for the first time, the Ready
// condition still has the start's time (the old agent generated status on read and stamped the
// reader's time); reads do not change it either.
import { afterEach, describe, expect, it } from 'vitest';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { apiTime } from '../../../agent/core/time-format.js';
import { startFakeAgent } from '../../helpers/fake-agent.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function ready(pod: Pod | undefined): { status?: string; lastTransitionTime?: string } | undefined {
  return pod?.status?.conditions?.find((c) => c.type === 'Ready');
}

describe('pod status in the agent', () => {
  it('keeps the transition time of the start when first read ten minutes later', async () => {
    const t = await startFakeAgent({ nodeName: 'status-writes' });
    cleanups.push(() => t.stop());
    const startedAt = t.clock.now();
    await t.apply(`apiVersion: v1
kind: Pod
metadata: { name: web, namespace: default }
spec:
  containers:
  - { name: app, image: busybox:1.37 }
`);
    expect(await t.runtime.listPods()).toHaveLength(1);
    await t.advance(600_000); // resyncs happen meanwhile; nobody reads
    const first = ready(t.agent.pods()[0]);
    expect(first).toMatchObject({ status: 'True', lastTransitionTime: apiTime(startedAt) });
    await t.advance(60_000);
    expect(ready(t.agent.pods()[0])).toEqual(first);
    expect(t.agent.pods()[0]?.status?.containerStatuses?.[0]?.state?.running?.startedAt).toBe(apiTime(startedAt));
  });
});
