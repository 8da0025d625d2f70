// Issue 12 item 5: CrashLoopBackOff follows the monotonic clock. A real Agent runs on the
// FakeClock against an in-memory runtime whose container exits as soon as it starts; the wall
// clock is stepped back (and forward) an hour in the middle of back-off windows, and the
// restarts must still come exactly 0 s, 10 s, 20 s, 40 s, 80 s apart (kubelet: the first crash
// restarts at once, then the window doubles).
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakePodRuntime } from '../../helpers/fake-pod-runtime.js';
import { startFakeAgent } from '../../helpers/fake-agent.js';

const HOUR = 3_600_000;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function crashLoop(): Promise<{ clock: FakeClock; runtime: FakePodRuntime; advance: (ms: number) => Promise<void> }> {
  const t = await startFakeAgent({ nodeName: 'clock-step', exits: () => 1 });
  cleanups.push(() => t.stop());
  await t.apply(`apiVersion: v1
kind: Pod
metadata: { name: crash, namespace: default }
spec:
  containers:
  - { name: app, image: busybox:1.37, command: ["false"] }
`);
  return { clock: t.clock, runtime: t.runtime, advance: (ms) => t.advance(ms) };
}

function gaps(runtime: FakePodRuntime): number[] {
  const at = runtime.starts.map((s) => s.at);
  return at.slice(1).map((t, i) => t - (at[i] ?? 0));
}

describe('CrashLoopBackOff across wall-clock steps', () => {
  it('restarts 0 s, 10 s, 20 s, 40 s, 80 s apart without a step', async () => {
    const { runtime, advance } = await crashLoop();
    await advance(151_000);
    expect(gaps(runtime)).toEqual([0, 10_000, 20_000, 40_000, 80_000]);
  });

  it('keeps the windows exact when the wall clock steps back an hour inside one, then forward', async () => {
    const { clock, runtime, advance } = await crashLoop();
    await advance(15_000); // inside the 20 s window that opened at 10 s
    clock.stepWall(-HOUR);
    await advance(20_000); // 35 s: inside the 40 s window that opened at 30 s
    clock.stepWall(-HOUR);
    await advance(40_000); // 75 s: inside the 80 s window that opened at 70 s
    clock.stepWall(2 * HOUR + HOUR); // and an hour ahead of where it started
    await advance(76_000);
    expect(gaps(runtime)).toEqual([0, 10_000, 20_000, 40_000, 80_000]);
  });

  it('does not restart early after a forward step either', async () => {
    const { clock, runtime, advance } = await crashLoop();
    await advance(12_000);
    clock.stepWall(HOUR);
    await advance(139_000);
    expect(gaps(runtime)).toEqual([0, 10_000, 20_000, 40_000, 80_000]);
  });
});
