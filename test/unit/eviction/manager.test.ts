import { describe, expect, it } from 'vitest';
import { EvictionManager, type Eviction, type EvictionStats } from '../../../agent/eviction/manager.js';
import type { EvictionPod, PodUsage } from '../../../agent/eviction/pods.js';
import type { Observation } from '../../../agent/eviction/evaluate.js';
import type { Signal, Threshold } from '../../../agent/eviction/thresholds.js';
import { EventStore } from '../../../agent/events/event-store.js';
import { createLogger } from '../../../agent/log/logger.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const Mi = 1024 * 1024;

function pod(name: string, extra: Partial<NonNullable<EvictionPod['pod']['spec']>> = {}, isStatic = false): EvictionPod {
  return { uid: name, namespace: 'default', name, isStatic, pod: { metadata: { name, uid: name }, spec: { containers: [{ name: 'c' }], ...extra } } };
}

function use(rootfs: number): PodUsage {
  return { containers: [{ name: 'c', rootfsBytes: rootfs, logsBytes: 0 }], volumes: new Map(), ephemeralBytes: rootfs };
}

interface Rig {
  manager: EvictionManager;
  calls: string[];
  evicted: { uid: string; e: Eviction }[];
  events: EventStore;
  clock: FakeClock;
  setAvailable(n: number): void;
}

function rig(opts: { thresholds: Threshold[]; pods: EvictionPod[]; usage: Map<string, PodUsage>; available: number; freedByImages?: number }): Rig {
  const clock = new FakeClock();
  const calls: string[] = [];
  const evicted: { uid: string; e: Eviction }[] = [];
  let available = opts.available;
  const stats: EvictionStats = {
    node: () => {
      calls.push('observe');
      return Promise.resolve({ observations: new Map<Signal, Observation>([['nodefs.available', { available, capacity: 1000 * Mi, time: clock.monotonic() + calls.length }]]), dedicatedImageFs: false });
    },
    pods: (pods) => {
      calls.push(`stats:${pods.map((p) => p.name).join(',')}`);
      return Promise.resolve(new Map([...opts.usage].filter(([uid]) => pods.some((p) => p.uid === uid))));
    },
  };
  const events = new EventStore({ clock, source: 'test' });
  const manager = new EvictionManager({
    thresholds: opts.thresholds,
    pressureTransitionPeriodMs: 300_000,
    maxPodGracePeriodSeconds: 7,
    monitoringPeriodMs: 10_000,
    localStorageCapacityIsolation: true,
    nodeName: 'n1',
    stats,
    host: {
      activePods: () => opts.pods.filter((p) => !evicted.some((e) => e.uid === p.uid)),
      evictPod: (p, e) => {
        calls.push(`evict:${p.name}`);
        evicted.push({ uid: p.uid, e });
        return true;
      },
      podCleanedUp: () => true,
    },
    images: {
      deleteUnusedImages: () => {
        calls.push('images');
        available += opts.freedByImages ?? 0;
        return Promise.resolve();
      },
    },
    clock,
    events,
    logger: createLogger({ level: 'silent' }),
  });
  return { manager, calls, evicted, events, clock, setAvailable: (n) => (available = n) };
}

const nodefsHard: Threshold = { signal: 'nodefs.available', value: { quantity: 100 * Mi, text: '100Mi' }, gracePeriodMs: 0 };

describe('EvictionManager.synchronize', () => {
  it('reclaims unused images first; no pod is evicted when that suffices', async () => {
    const r = rig({ thresholds: [nodefsHard], pods: [pod('a')], usage: new Map([['a', use(50 * Mi)]]), available: 50 * Mi, freedByImages: 100 * Mi });
    const out = await r.manager.synchronize();
    expect(out).toEqual({ evicted: [], conditions: ['DiskPressure'] });
    expect(r.calls).toEqual(['observe', 'images', 'observe']);
    expect(r.events.list((e) => e.reason === 'EvictionThresholdMet').map((e) => [e.involvedObject.kind, e.message])).toEqual([['Node', 'Attempting to reclaim ephemeral-storage']]);
    expect(r.manager.pressure()).toEqual({ memoryPressure: false, diskPressure: true, pidPressure: false });
  });

  it('then evicts one pod per round, the top-ranked, skipping critical ones, with the hard-threshold grace', async () => {
    const pods = [pod('static', {}, true), pod('small'), pod('big'), pod('vip', { priorityClassName: 'system-node-critical' })];
    const usage = new Map([
      ['static', use(900 * Mi)],
      ['small', use(10 * Mi)],
      ['big', use(400 * Mi)],
      ['vip', use(800 * Mi)],
    ]);
    const r = rig({ thresholds: [nodefsHard], pods, usage, available: 50 * Mi });
    const out = await r.manager.synchronize();
    expect(out.evicted).toEqual(['big']);
    expect(r.calls).toEqual(['observe', 'images', 'observe', 'stats:static,small,big,vip', 'evict:big']);
    const e = r.evicted[0]?.e;
    expect(e?.gracePeriodSeconds).toBe(1);
    expect(e?.disruptionCondition).toBe(true);
    expect(e?.message).toBe('The node was low on resource: ephemeral-storage. Threshold quantity: 100Mi, available: 50Mi. Container c was using 400Mi, request is 0, has larger consumption of ephemeral-storage. ');
    expect(r.events.list((x) => x.reason === 'Evicted').map((x) => x.involvedObject.name)).toEqual(['big']);
    // The static pod ranks first (most usage) and is skipped; vip's priority ranks it after big.
    expect(r.events.list((x) => x.reason === 'EvictionSkipped').map((x) => x.involvedObject.name)).toEqual(['static']);
  });

  it('a soft threshold evicts with evictionMaxPodGracePeriod once its grace period passed', async () => {
    const soft: Threshold = { ...nodefsHard, gracePeriodMs: 60_000 };
    const r = rig({ thresholds: [soft], pods: [pod('a')], usage: new Map([['a', use(1)]]), available: 50 * Mi });
    expect((await r.manager.synchronize()).evicted).toEqual([]);
    await r.clock.advance(60_000);
    expect((await r.manager.synchronize()).evicted).toEqual(['a']);
    expect(r.evicted[0]?.e.gracePeriodSeconds).toBe(7);
  });

  it('local storage limits come first and end the round; only pods with limits are measured', async () => {
    const limited = pod('limited', { containers: [{ name: 'c', resources: { limits: { 'ephemeral-storage': '10Mi' } } }] });
    const r = rig({ thresholds: [nodefsHard], pods: [pod('free'), limited], usage: new Map([['limited', use(11 * Mi)], ['free', use(1)]]), available: 50 * Mi });
    const out = await r.manager.synchronize();
    expect(out.evicted).toEqual(['limited']);
    expect(r.calls).toEqual(['observe', 'stats:limited', 'evict:limited']);
    expect(r.evicted[0]?.e).toEqual({ message: 'Pod ephemeral local storage usage exceeds the total limit of containers 10Mi. ', gracePeriodSeconds: 1, annotations: {}, disruptionCondition: false });
  });

  it('admission follows the conditions', async () => {
    const r = rig({ thresholds: [nodefsHard], pods: [], usage: new Map(), available: 50 * Mi });
    expect(r.manager.admit(pod('x'))).toEqual({ admit: true });
    await r.manager.synchronize();
    expect(r.manager.admit(pod('x'))).toEqual({ admit: false, reason: 'Evicted', message: 'The node had condition: [DiskPressure]. ' });
    expect(r.manager.admit(pod('s', {}, true))).toEqual({ admit: true });
  });
});
