// The node's conditions as state (agent/node/node-conditions.ts): the tick writes, the views
// read. A read long after a flip still shows the flip's time; ticks that see no change keep it.
import { describe, expect, it } from 'vitest';
import type { NodeCondition } from 'kubernetes-types/core/v1.js';
import { NodeConditionTracker } from '../../../agent/node/node-conditions.js';
import type { NodeHealth } from '../../../agent/node/node-status.js';
import { apiTime } from '../../../agent/core/time-format.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const T0 = Date.UTC(2026, 0, 1);

function ready(conditions: readonly NodeCondition[]): NodeCondition | undefined {
  return conditions.find((c) => c.type === 'Ready');
}

describe('NodeConditionTracker', () => {
  it('keeps each condition’s transition time across reads and unchanged ticks', async () => {
    const clock = new FakeClock(T0);
    const health: { -readonly [K in keyof NodeHealth]: NodeHealth[K] } = { runtimeReady: true, memoryPressure: false, diskPressure: false, pidPressure: false };
    const tracker = new NodeConditionTracker(() => ({ ...health }), clock);
    tracker.start(2000);
    expect(ready(tracker.conditions())).toMatchObject({ status: 'True', lastTransitionTime: apiTime(T0) });

    await clock.advance(10_000);
    health.runtimeReady = false; // Docker goes away at T0+10 s; the next tick (T0+12 s) sees it
    await clock.advance(2_000);
    const flipped = apiTime(T0 + 12_000);
    expect(ready(tracker.conditions())).toMatchObject({ status: 'False', reason: 'KubeletNotReady', lastTransitionTime: flipped });

    // Minutes of ticks and reads later, the flip's time stands; the heartbeat moved with the ticks.
    await clock.advance(300_000);
    for (let i = 0; i < 3; i++) expect(ready(tracker.conditions())?.lastTransitionTime).toBe(flipped);
    expect(ready(tracker.conditions())?.lastHeartbeatTime).toBe(apiTime(T0 + 312_000));
    expect(tracker.conditions().find((c) => c.type === 'MemoryPressure')?.lastTransitionTime).toBe(apiTime(T0));

    // Reads between ticks do not sample: a change shows at the next tick, with that tick's time.
    health.memoryPressure = true;
    expect(tracker.conditions().find((c) => c.type === 'MemoryPressure')?.status).toBe('False');
    await clock.advance(2_000);
    expect(tracker.conditions().find((c) => c.type === 'MemoryPressure')).toMatchObject({ status: 'True', lastTransitionTime: apiTime(T0 + 314_000) });
    tracker.stop();
    expect(clock.pendingTimers()).toBe(0);
  });
});
