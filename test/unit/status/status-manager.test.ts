// The status manager (agent/status/status-manager.ts): the sync pass and probe results write,
// readers only read. Transition times are the moment a writer saw the change; a read, however
// late, neither changes them nor counts as a write.
import { describe, expect, it } from 'vitest';
import type { PodStatus } from 'kubernetes-types/core/v1.js';
import type { ObservedContainer } from '../../../agent/core/runtime-types.js';
import type { DesiredPod } from '../../../agent/core/types.js';
import { apiTime } from '../../../agent/core/time-format.js';
import { StatusManager, type PodObservation } from '../../../agent/status/status-manager.js';
import { T0, container, desiredPod, instance, observedPod, sandbox } from '../../helpers/builders.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const MIN = 60_000;

function observation(pod: DesiredPod, containers: ObservedContainer[], probes: PodObservation['probes'] = new Map()): PodObservation {
  return { desired: pod, observed: observedPod(pod, { sandboxes: [sandbox(pod)], containers }), waiting: new Map(), probes, hostIPs: ['10.0.0.1'], podIPs: [] };
}

function condition(status: PodStatus | undefined, type: string): { status?: string; lastTransitionTime?: string } | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

describe('StatusManager', () => {
  it('keeps the transition time of the write that saw the change, however late the read', () => {
    const clock = new FakeClock(T0);
    const sm = new StatusManager(clock);
    const pod = desiredPod();
    sm.setPodStatus(observation(pod, [])); // sandbox only: not Ready
    expect(condition(sm.podStatus(pod.uid), 'Ready')).toMatchObject({ status: 'False', lastTransitionTime: apiTime(T0) });

    clock.stepWall(T0 + 2 * MIN - clock.now());
    sm.setPodStatus(observation(pod, [instance(pod, 'app')])); // the container runs: Ready now
    const written = sm.version(pod.uid);

    // Ten minutes later, several readers look: same status, same time, no write.
    clock.stepWall(T0 + 12 * MIN - clock.now());
    for (let i = 0; i < 3; i++) {
      expect(condition(sm.podView(pod).status, 'Ready')).toEqual(expect.objectContaining({ status: 'True', lastTransitionTime: apiTime(T0 + 2 * MIN) }));
    }
    expect(sm.version(pod.uid)).toBe(written);

    // A later pass that sees the same thing changes nothing either.
    sm.setPodStatus(observation(pod, [instance(pod, 'app')]));
    expect(sm.version(pod.uid)).toBe(written);
    expect(condition(sm.podStatus(pod.uid), 'Ready')?.lastTransitionTime).toBe(apiTime(T0 + 2 * MIN));
  });

  it('takes readiness from a probe result at the moment of the result', () => {
    const clock = new FakeClock(T0);
    const sm = new StatusManager(clock);
    const pod = desiredPod({ containers: [container('app', { readinessProbe: { httpGet: { port: 80 } } })] });
    sm.setPodStatus(observation(pod, [instance(pod, 'app')], new Map([['app', { started: true, ready: false }]])));
    expect(condition(sm.podStatus(pod.uid), 'Ready')?.status).toBe('False');

    clock.stepWall(T0 + 5 * MIN - clock.now());
    sm.setProbeStates(pod.uid, new Map([['app', { started: true, ready: true }]]));
    clock.stepWall(T0 + 9 * MIN - clock.now());
    const ready = condition(sm.podView(pod).status, 'Ready');
    expect(ready).toMatchObject({ status: 'True', lastTransitionTime: apiTime(T0 + 5 * MIN) });
    expect(sm.podStatus(pod.uid)?.containerStatuses?.[0]?.ready).toBe(true);

    clock.stepWall(T0 + 20 * MIN - clock.now());
    sm.setProbeStates(pod.uid, new Map([['app', { started: true, ready: false }]]));
    expect(condition(sm.podStatus(pod.uid), 'Ready')).toMatchObject({ status: 'False', lastTransitionTime: apiTime(T0 + 20 * MIN) });
  });

  it('has nothing to update from a probe before the first sync, and shows such a pod Pending', () => {
    const sm = new StatusManager(new FakeClock(T0));
    const pod = desiredPod();
    sm.setProbeStates(pod.uid, new Map([['app', { started: true, ready: true }]]));
    expect(sm.podStatus(pod.uid)).toBeUndefined();
    expect(sm.version(pod.uid)).toBe(0);
    expect(sm.podView(pod).status).toEqual({ phase: 'Pending' });
  });

  it('forgets a removed pod', () => {
    const sm = new StatusManager(new FakeClock(T0));
    const pod = desiredPod();
    sm.setPodStatus(observation(pod, [instance(pod, 'app')]));
    sm.removePod(pod.uid);
    expect(sm.podStatus(pod.uid)).toBeUndefined();
  });
});
