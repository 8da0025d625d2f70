import { describe, expect, it } from 'vitest';
import { parseThresholdConfig, thresholdQuantity, type Threshold } from '../../../agent/eviction/thresholds.js';
import { byEvictionPriority, evaluateRound, INITIAL_STATE, thresholdsMet, type Observation } from '../../../agent/eviction/evaluate.js';
import { DEFAULT_EVICTION_HARD, resolveEvictionConfig } from '../../../agent/config/eviction-config.js';

const none = { evictionHard: {}, evictionSoft: {}, evictionSoftGracePeriod: {}, evictionMinimumReclaim: {} };
const Mi = 1024 * 1024;

describe('parseThresholdConfig (helpers.go)', () => {
  it('parses the kubelet defaults: quantities and percentages, hard (grace 0)', () => {
    const t = parseThresholdConfig({ ...none, evictionHard: DEFAULT_EVICTION_HARD });
    expect(t).toEqual([
      { signal: 'memory.available', value: { quantity: 100 * Mi, text: '100Mi' }, gracePeriodMs: 0 },
      { signal: 'nodefs.available', value: { percentage: 0.1 }, gracePeriodMs: 0 },
      { signal: 'nodefs.inodesFree', value: { percentage: 0.05 }, gracePeriodMs: 0 },
      { signal: 'imagefs.available', value: { percentage: 0.15 }, gracePeriodMs: 0 },
      { signal: 'imagefs.inodesFree', value: { percentage: 0.05 }, gracePeriodMs: 0 },
    ]);
  });

  it('soft thresholds take their grace period; minimum reclaim attaches to both', () => {
    const t = parseThresholdConfig({ evictionHard: { 'memory.available': '100Mi' }, evictionSoft: { 'memory.available': '300Mi' }, evictionSoftGracePeriod: { 'memory.available': '1m30s' }, evictionMinimumReclaim: { 'memory.available': '50Mi' } });
    expect(t.map((x) => [x.gracePeriodMs, x.minReclaim])).toEqual([
      [0, { quantity: 50 * Mi, text: '50Mi' }],
      [90_000, { quantity: 50 * Mi, text: '50Mi' }],
    ]);
  });

  it("rejects with the kubelet's errors; ignores 0% and 100%", () => {
    expect(() => parseThresholdConfig({ ...none, evictionHard: { 'memory.free': '1Mi' } })).toThrow('unsupported eviction signal memory.free');
    expect(() => parseThresholdConfig({ ...none, evictionSoft: { 'memory.available': '1Gi' } })).toThrow('grace period must be specified for the soft eviction threshold memory.available');
    expect(() => parseThresholdConfig({ ...none, evictionHard: { 'memory.available': '0' } })).toThrow('eviction threshold memory.available must be positive: 0');
    expect(() => parseThresholdConfig({ ...none, evictionHard: { 'nodefs.available': '150%' } })).toThrow('eviction percentage threshold nodefs.available must be <= 100%: 150%');
    expect(() => parseThresholdConfig({ ...none, evictionMinimumReclaim: { 'nodefs.available': '0%' } })).toThrow('eviction percentage minimum reclaim nodefs.available must be positive: 0%');
    expect(parseThresholdConfig({ ...none, evictionHard: { 'nodefs.available': '0%', 'imagefs.available': '100%' } })).toEqual([]);
  });

  it('a percentage is taken of capacity', () => {
    expect(thresholdQuantity({ percentage: 0.1 }, 1000)).toBe(100);
    expect(thresholdQuantity({ quantity: 5, text: '5' }, 1000)).toBe(5);
  });
});

describe('eviction config keys', () => {
  it('defaults as the kubelet; a configured evictionHard replaces the whole map', () => {
    const problems: string[] = [];
    expect(resolveEvictionConfig({}, problems)).toEqual({
      evictionHard: DEFAULT_EVICTION_HARD,
      evictionSoft: {},
      evictionSoftGracePeriod: {},
      evictionMinimumReclaim: {},
      evictionMaxPodGracePeriodSeconds: 0,
      evictionPressureTransitionPeriodMs: 300_000,
      evictionMonitoringPeriodMs: 10_000,
      localStorageCapacityIsolation: true,
    });
    expect(resolveEvictionConfig({ evictionHard: { 'memory.available': '1Gi' } }, problems).evictionHard).toEqual({ 'memory.available': '1Gi' });
    expect(problems).toEqual([]);
  });
});

const hardMem: Threshold = { signal: 'memory.available', value: { quantity: 100, text: '100' }, gracePeriodMs: 0, minReclaim: { quantity: 50, text: '50' } };
const softDisk: Threshold = { signal: 'nodefs.available', value: { percentage: 0.5 }, gracePeriodMs: 30_000 };
const obs = (entries: [string, number][], time: number): Map<Threshold['signal'], Observation> =>
  new Map(entries.map(([s, available]) => [s as Threshold['signal'], { available, capacity: 1000, time }]));

describe('evaluateRound (synchronize bookkeeping) with a fake clock', () => {
  const config = { thresholds: [hardMem, softDisk], pressureTransitionPeriodMs: 300_000 };

  it('a soft threshold acts only after its grace period; the condition shows at once', () => {
    let r = evaluateRound(config, INITIAL_STATE, obs([['nodefs.available', 400]], 0), 0);
    expect(r.conditions).toEqual(['DiskPressure']);
    expect(r.actionable).toEqual([]);
    r = evaluateRound(config, r.state, obs([['nodefs.available', 400]], 29_999), 29_999);
    expect(r.actionable).toEqual([]);
    r = evaluateRound(config, r.state, obs([['nodefs.available', 400]], 30_000), 30_000);
    expect(r.actionable).toEqual([softDisk]);
    // Cleared before its grace period passed: the clock starts over.
    r = evaluateRound(config, r.state, obs([['nodefs.available', 600]], 31_000), 31_000);
    r = evaluateRound(config, r.state, obs([['nodefs.available', 400]], 32_000), 32_000);
    expect(r.actionable).toEqual([]);
  });

  it('a condition stays for the transition period after its signal cleared', () => {
    let r = evaluateRound(config, INITIAL_STATE, obs([['memory.available', 10]], 0), 0);
    expect(r.conditions).toEqual(['MemoryPressure']);
    expect(r.actionable).toEqual([hardMem]);
    r = evaluateRound(config, r.state, obs([['memory.available', 900]], 10_000), 10_000);
    expect(r.conditions).toEqual(['MemoryPressure']);
    expect(r.actionable).toEqual([]);
    r = evaluateRound(config, r.state, obs([['memory.available', 900]], 299_999), 299_999);
    expect(r.conditions).toEqual(['MemoryPressure']);
    r = evaluateRound(config, r.state, obs([['memory.available', 900]], 300_000), 300_000);
    expect(r.conditions).toEqual([]);
  });

  it('a threshold met stays met until available reaches threshold + minimum reclaim', () => {
    let r = evaluateRound(config, INITIAL_STATE, obs([['memory.available', 10]], 0), 0);
    r = evaluateRound(config, r.state, obs([['memory.available', 120]], 1), 1);
    expect(r.actionable).toEqual([hardMem]);
    r = evaluateRound(config, r.state, obs([['memory.available', 151]], 2), 2);
    expect(r.actionable).toEqual([]);
  });

  it('stale stats do not drive an eviction (thresholdsUpdatedStats)', () => {
    const r1 = evaluateRound(config, INITIAL_STATE, obs([['memory.available', 10]], 5), 0);
    const r2 = evaluateRound(config, r1.state, obs([['memory.available', 10]], 5), 1);
    expect(r2.actionable).toEqual([]);
  });

  it('thresholdsMet compares with `<`; memory ranks first', () => {
    expect(thresholdsMet([hardMem], obs([['memory.available', 100]], 0), false)).toEqual([]);
    expect(thresholdsMet([hardMem], obs([['memory.available', 99]], 0), false)).toEqual([hardMem]);
    expect(byEvictionPriority([softDisk, hardMem])).toEqual([hardMem, softDisk]);
  });
});
