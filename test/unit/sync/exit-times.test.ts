// The monotonic exit times CrashLoopBackOff is measured from (issue 12 item 5).
import { describe, expect, it } from 'vitest';
import { trackExitTimes } from '../../../agent/sync/exit-times.js';
import { T0, desiredPod, instance, observedPod } from '../../helpers/builders.js';

const pod = desiredPod();
const MONO = 5_000_000;

describe('trackExitTimes', () => {
  it('converts the finishedAt of exits found on the first observation (the agent was down)', () => {
    const exited = instance(pod, 'app', { state: 'exited', finishedAt: T0 - 4000 });
    const times = trackExitTimes(undefined, observedPod(pod, { containers: [exited] }), { wall: T0, monotonic: MONO });
    expect(times.get(exited.id)).toBe(MONO - 4000);
  });

  it('clamps a finishedAt in the future (the wall clock was stepped back) to now', () => {
    const exited = instance(pod, 'app', { state: 'exited', finishedAt: T0 + 3_600_000 });
    const times = trackExitTimes(undefined, observedPod(pod, { containers: [exited] }), { wall: T0, monotonic: MONO });
    expect(times.get(exited.id)).toBe(MONO);
  });

  it('takes a new exit at the time the agent first observes it, whatever finishedAt says', () => {
    const running = instance(pod, 'app', { restartCount: 0 });
    const first = trackExitTimes(undefined, observedPod(pod, { containers: [running] }), { wall: T0, monotonic: MONO });
    expect(first.size).toBe(0);
    const exited = instance(pod, 'app', { restartCount: 0, state: 'exited', finishedAt: T0 + 3_600_000 });
    const next = trackExitTimes(first, observedPod(pod, { containers: [exited] }), { wall: T0 - 3_600_000, monotonic: MONO + 700 });
    expect(next.get(exited.id)).toBe(MONO + 700);
  });

  it('keeps a known exit time and drops containers that are gone', () => {
    const a = instance(pod, 'app', { restartCount: 1, state: 'exited' });
    const known = new Map([[a.id, 42], ['gone', 7]]);
    const next = trackExitTimes(known, observedPod(pod, { containers: [a] }), { wall: T0 + 10_000_000, monotonic: MONO + 99 });
    expect([...next]).toEqual([[a.id, 42]]);
  });
});
