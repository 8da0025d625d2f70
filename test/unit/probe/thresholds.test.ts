import { describe, expect, it } from 'vitest';
import {
  applyVerdict,
  containerReady,
  containerStarted,
  initialDelayElapsed,
  initialJitterMs,
  initialResult,
  initialThresholdState,
  mayProbe,
  probeTiming,
  probeTypeLabel,
  type ProbeType,
  type ProbeVerdict,
  type ThresholdState,
} from '../../../agent/probe/thresholds.js';

function run(type: ProbeType, verdicts: readonly ProbeVerdict[], thresholds = { successThreshold: 1, failureThreshold: 3 }): ThresholdState[] {
  const states: ThresholdState[] = [];
  let s = initialThresholdState(type);
  for (const v of verdicts) {
    s = applyVerdict(s, v, type, thresholds);
    states.push(s);
  }
  return states;
}

describe('initial results (worker.go newWorker)', () => {
  it.each([
    ['readiness', 'Failure'],
    ['liveness', 'Success'],
    ['startup', 'Unknown'],
  ] as const)('%s starts as %s', (type, result) => {
    expect(initialResult(type)).toBe(result);
    expect(initialThresholdState(type)).toEqual({ result, run: 0, onHold: false });
  });

  it('labels probe types as kubelet prints them', () => {
    expect(probeTypeLabel('liveness')).toBe('Liveness');
    expect(probeTypeLabel('readiness')).toBe('Readiness');
    expect(probeTypeLabel('startup')).toBe('Startup');
  });
});

describe('thresholds', () => {
  const cases: { name: string; type: ProbeType; verdicts: ProbeVerdict[]; thresholds?: { successThreshold: number; failureThreshold: number }; results: string[]; holdAt?: number }[] = [
    { name: 'liveness needs 3 failures in a row', type: 'liveness', verdicts: ['Failure', 'Failure', 'Failure'], results: ['Success', 'Success', 'Failure'], holdAt: 2 },
    { name: 'a success in between starts the count over', type: 'liveness', verdicts: ['Failure', 'Failure', 'Success', 'Failure', 'Failure'], results: ['Success', 'Success', 'Success', 'Success', 'Success'] },
    { name: 'failureThreshold 1 fails at once', type: 'liveness', verdicts: ['Failure'], thresholds: { successThreshold: 1, failureThreshold: 1 }, results: ['Failure'], holdAt: 0 },
    { name: 'readiness flips on the first success', type: 'readiness', verdicts: ['Success'], results: ['Success'] },
    { name: 'readiness needs successThreshold successes', type: 'readiness', verdicts: ['Success', 'Success', 'Failure', 'Success', 'Success', 'Success'], thresholds: { successThreshold: 3, failureThreshold: 1 }, results: ['Failure', 'Failure', 'Failure', 'Failure', 'Failure', 'Success'] },
    { name: 'readiness goes back to Failure after failureThreshold and never holds', type: 'readiness', verdicts: ['Success', 'Failure', 'Failure', 'Failure', 'Success'], results: ['Success', 'Success', 'Success', 'Failure', 'Success'] },
    { name: 'startup stays Unknown until it succeeds', type: 'startup', verdicts: ['Failure', 'Failure', 'Success'], results: ['Unknown', 'Unknown', 'Success'] },
    { name: 'startup fails after failureThreshold and holds', type: 'startup', verdicts: ['Failure', 'Failure', 'Failure'], results: ['Unknown', 'Unknown', 'Failure'], holdAt: 2 },
  ];
  it.each(cases)('$name', ({ type, verdicts, thresholds, results, holdAt }) => {
    const states = run(type, verdicts, thresholds);
    expect(states.map((s) => s.result)).toEqual(results);
    const firstHold = states.findIndex((s) => s.onHold);
    expect(firstHold).toBe(holdAt ?? -1);
  });

  it('a reported liveness failure resets the run count', () => {
    const [, , third] = run('liveness', ['Failure', 'Failure', 'Failure']);
    expect(third).toEqual({ result: 'Failure', lastVerdict: 'Failure', run: 0, onHold: true });
  });
});

describe('timing', () => {
  it('applies upstream defaults to a bare probe', () => {
    expect(probeTiming({})).toEqual({ initialDelaySeconds: 0, periodMs: 10_000, timeoutMs: 1000, successThreshold: 1, failureThreshold: 3 });
  });

  it('reads the probe fields', () => {
    expect(probeTiming({ initialDelaySeconds: 5, periodSeconds: 2, timeoutSeconds: 3, successThreshold: 2, failureThreshold: 4 })).toEqual({
      initialDelaySeconds: 5,
      periodMs: 2000,
      timeoutMs: 3000,
      successThreshold: 2,
      failureThreshold: 4,
    });
  });

  it.each([
    [0, 0, 0, true],
    [0, 999, 1, false],
    [0, 1000, 1, true],
    [0, 4999, 5, false],
    [0, 5000, 5, true],
  ])('started %i, now %i, initialDelay %is → elapsed %s (whole seconds, truncated)', (startedAt, now, delay, expected) => {
    expect(initialDelayElapsed(startedAt, now, delay)).toBe(expected);
  });

  it('jitters only right after the manager started', () => {
    expect(initialJitterMs(0, 1000, 10_000, 0.5)).toBe(5000);
    expect(initialJitterMs(0, 20_000, 10_000, 0.5)).toBe(0);
  });
});

describe('startup gating and container state (prober_manager UpdatePodStatus)', () => {
  it.each([
    ['startup', false, true],
    ['startup', true, false],
    ['liveness', false, false],
    ['liveness', true, true],
    ['readiness', false, false],
    ['readiness', true, true],
  ] as const)('%s may probe when started=%s: %s', (type, started, expected) => {
    expect(mayProbe(type, started)).toBe(expected);
  });

  it.each([
    [{ running: false }, false, false],
    [{ running: true }, true, true],
    [{ running: true, startup: 'Unknown' }, false, false],
    [{ running: true, startup: 'Success' }, true, true],
    [{ running: true, readiness: 'Failure' }, true, false],
    [{ running: true, readiness: 'Success' }, true, true],
    [{ running: true, startup: 'Unknown', readiness: 'Success' }, false, false],
    [{ running: false, readiness: 'Success' }, false, false],
  ] as const)('%j → started %s, ready %s', (view, started, ready) => {
    expect(containerStarted(view)).toBe(started);
    expect(containerReady(view)).toBe(ready);
  });
});
