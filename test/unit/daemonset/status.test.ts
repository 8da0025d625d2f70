import { describe, expect, it } from 'vitest';
import type { Eligibility } from '../../../agent/node/eligibility.js';
import type { DaemonPodState } from '../../../agent/daemonset/rollout.js';
import { computeDaemonSetStatus, daemonSetCells, formatLabelSelector } from '../../../agent/daemonset/status.js';
import { SSD_DRIVER, daemonSet, seedDaemonSet } from './fixtures.js';

const NOW = Date.parse('2024-05-01T10:00:00Z');
const RUN: Eligibility = { shouldRun: true, shouldContinueRunning: true };
const KEEP: Eligibility = { shouldRun: false, shouldContinueRunning: true };

function pod(name: string, hash: string, partial: Partial<DaemonPodState> = {}): DaemonPodState {
  return { uid: name, name, hash, createdAt: NOW - 60_000, phase: 'Running', ready: true, readySince: NOW - 30_000, terminating: false, ...partial };
}

describe('computeDaemonSetStatus', () => {
  it.each<[string, Eligibility, DaemonPodState[], number, Record<string, number>]>([
    ['rolled out', RUN, [pod('a', 'cur')], 0, { desiredNumberScheduled: 1, currentNumberScheduled: 1, numberReady: 1, updatedNumberScheduled: 1, numberAvailable: 1 }],
    ['no pod yet', RUN, [], 0, { desiredNumberScheduled: 1, currentNumberScheduled: 0, numberReady: 0, numberUnavailable: 1 }],
    ['old pod during a rollout', RUN, [pod('a', 'old')], 0, { desiredNumberScheduled: 1, currentNumberScheduled: 1, numberReady: 1, numberAvailable: 1 }],
    ['surge: the old (oldest) pod is counted until it is gone', RUN, [pod('new', 'cur', { createdAt: NOW - 1000 }), pod('old', 'old', { createdAt: NOW - 9000 })], 0, {
      desiredNumberScheduled: 1, currentNumberScheduled: 1, numberReady: 1, numberAvailable: 1,
    }],
    ['ready but not for minReadySeconds', RUN, [pod('a', 'cur', { readySince: NOW - 5000 })], 10, {
      desiredNumberScheduled: 1, currentNumberScheduled: 1, numberReady: 1, updatedNumberScheduled: 1, numberUnavailable: 1,
    }],
    ['crash looping new pod', RUN, [pod('a', 'cur', { ready: false, readySince: undefined })], 0, {
      desiredNumberScheduled: 1, currentNumberScheduled: 1, numberReady: 0, updatedNumberScheduled: 1, numberUnavailable: 1,
    }],
    ['kept on a NoSchedule-tainted node: misscheduled', KEEP, [pod('a', 'cur')], 0, { desiredNumberScheduled: 0, currentNumberScheduled: 0, numberReady: 0, numberMisscheduled: 1 }],
    ['not wanted, no pod', KEEP, [], 0, { desiredNumberScheduled: 0, currentNumberScheduled: 0, numberReady: 0 }],
  ])('%s', (_name, eligibility, pods, minReadySeconds, counts) => {
    const ds = daemonSet({}, { minReadySeconds });
    const status = computeDaemonSetStatus({ ds, eligibility, pods, currentHash: 'cur', now: NOW });
    expect(status).toEqual({ numberMisscheduled: 0, ...counts });
  });

  it('reports observedGeneration and collisionCount', () => {
    const status = computeDaemonSetStatus({ ds: daemonSet(), eligibility: RUN, pods: [], currentHash: 'cur', now: NOW, observedGeneration: 3, collisionCount: 0 });
    expect(status).toMatchObject({ observedGeneration: 3, collisionCount: 0 });
  });
});

describe('get ds cells', () => {
  it('prints counts, the node selector and (wide) containers, images, selector', () => {
    const ds = seedDaemonSet(SSD_DRIVER);
    const status = computeDaemonSetStatus({ ds, eligibility: RUN, pods: [pod('a', 'cur')], currentHash: 'cur', now: NOW });
    expect(daemonSetCells(ds, status, { wide: true })).toEqual(['1', '1', '1', '1', '1', 'ssd=true', 'example-container', 'example-image', 'app=ssd-driver-pod']);
    expect(daemonSetCells(daemonSet(), status)[5]).toBe('<none>');
  });

  it('formats selectors like metav1.FormatLabelSelector', () => {
    expect(
      formatLabelSelector({
        matchLabels: { b: '1' },
        matchExpressions: [
          { key: 'z', operator: 'NotIn', values: ['y', 'x'] },
          { key: 'a', operator: 'In', values: ['2', '1'] },
          { key: 'c', operator: 'Exists' },
          { key: 'd', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe('a in (1,2),b=1,c,!d,z notin (x,y)');
    expect(formatLabelSelector({})).toBe('<none>');
  });
});
