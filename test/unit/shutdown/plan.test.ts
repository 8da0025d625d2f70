// The node shutdown plan (agent/shutdown/plan.ts): groups from the config as the kubelet's
// migrateConfig makes them, pods placed in them as groupByPriority does, grace periods capped.
import { describe, expect, it } from 'vitest';
import { groupByPriority, periodRequestedSeconds, shutdownGroups, SYSTEM_CRITICAL_PRIORITY, type ShutdownCandidate } from '../../../agent/shutdown/plan.js';

const cfg = (gracePeriodMs: number, gracePeriodCriticalPodsMs: number, byPodPriority: { priority: number; shutdownGracePeriodSeconds: number }[] = []) => ({
  gracePeriodMs,
  gracePeriodCriticalPodsMs,
  byPodPriority,
});

describe('shutdownGroups (migrateConfig)', () => {
  it('is empty, so the feature is off, with the defaults', () => {
    expect(shutdownGroups(cfg(0, 0))).toEqual([]);
  });

  it('splits shutdownGracePeriod into non-critical (T−C) and critical (C) groups', () => {
    expect(shutdownGroups(cfg(20_000, 8_000))).toEqual([
      { priority: 0, shutdownGracePeriodSeconds: 12 },
      { priority: SYSTEM_CRITICAL_PRIORITY, shutdownGracePeriodSeconds: 8 },
    ]);
    expect(periodRequestedSeconds(shutdownGroups(cfg(20_000, 8_000)))).toBe(20);
  });

  it('keeps an empty critical group when shutdownGracePeriodCriticalPods is 0, and truncates to whole seconds', () => {
    expect(shutdownGroups(cfg(30_500, 0))).toEqual([
      { priority: 0, shutdownGracePeriodSeconds: 30 },
      { priority: SYSTEM_CRITICAL_PRIORITY, shutdownGracePeriodSeconds: 0 },
    ]);
  });

  it('uses shutdownGracePeriodByPodPriority as given, sorted by priority', () => {
    const groups = shutdownGroups(cfg(0, 0, [
      { priority: 100000, shutdownGracePeriodSeconds: 20 },
      { priority: 0, shutdownGracePeriodSeconds: 60 },
      { priority: SYSTEM_CRITICAL_PRIORITY, shutdownGracePeriodSeconds: 10 },
      { priority: 10000, shutdownGracePeriodSeconds: 180 },
    ]));
    expect(groups.map((g) => g.priority)).toEqual([0, 10000, 100000, SYSTEM_CRITICAL_PRIORITY]);
    expect(periodRequestedSeconds(groups)).toBe(270);
  });
});

describe('groupByPriority', () => {
  const groups = [
    { priority: 0, shutdownGracePeriodSeconds: 60 },
    { priority: 10000, shutdownGracePeriodSeconds: 180 },
    { priority: 100000, shutdownGracePeriodSeconds: 20 },
    { priority: SYSTEM_CRITICAL_PRIORITY, shutdownGracePeriodSeconds: 10 },
  ];
  const pod = (name: string, priority?: number, terminationGracePeriodSeconds?: number): ShutdownCandidate => ({
    uid: name,
    name: `default/${name}`,
    ...(priority === undefined ? {} : { priority }),
    ...(terminationGracePeriodSeconds === undefined ? {} : { terminationGracePeriodSeconds }),
  });

  it('puts each pod in the highest group not above its priority; below the lowest → lowest, above the highest → highest', () => {
    const planned = groupByPriority(groups, [
      pod('none'),
      pod('negative', -5),
      pod('zero', 0),
      pod('between', 50000),
      pod('boundary', 10000),
      pod('custom', 100001),
      pod('cluster-critical', 2_000_000_000),
      pod('node-critical', 2_000_001_000),
    ]);
    expect(planned.map((g) => [g.priority, g.pods.map((p) => p.uid)])).toEqual([
      [0, ['none', 'negative', 'zero']],
      [10000, ['between', 'boundary']],
      [100000, ['custom']],
      [SYSTEM_CRITICAL_PRIORITY, ['cluster-critical', 'node-critical']],
    ]);
  });

  it('kills with min(group period, terminationGracePeriodSeconds)', () => {
    const planned = groupByPriority(groups, [pod('short', 0, 5), pod('long', 0, 600), pod('unset', 0), pod('zero', 0, 0)]);
    expect(planned[0]?.pods.map((p) => [p.uid, p.gracePeriodSeconds])).toEqual([
      ['short', 5],
      ['long', 60],
      ['unset', 60],
      ['zero', 0],
    ]);
  });

  it('reads only spec.priority: a pod without one is non-critical (the kubelet ignores priorityClassName here)', () => {
    const planned = groupByPriority(shutdownGroups(cfg(20_000, 8_000)), [pod('static-critical-without-priority')]);
    expect(planned[0]?.pods.map((p) => p.uid)).toEqual(['static-critical-without-priority']);
    expect(planned[1]?.pods).toEqual([]);
  });

  it('plans nothing when no group is configured', () => {
    expect(groupByPriority([], [pod('a')])).toEqual([]);
  });
});
