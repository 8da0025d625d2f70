import { describe, expect, it } from 'vitest';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { milliCpuToQuota, milliCpuToShares, podCgroupLimits, podRequests, sharesToWeight, sharesToWeightLinear } from '../../../agent/qos/pod-resources.js';

const Mi = 1024 * 1024;
type Res = Container['resources'];
const c = (name: string, resources?: Res, extra: Partial<Container> = {}): Container => ({ name, image: 'x', ...(resources ? { resources } : {}), ...extra });
const pod = (containers: Container[], init: Container[] = [], overhead?: Record<string, string>): Pod => ({ spec: { containers, initContainers: init, ...(overhead ? { overhead } : {}) } });

describe('cpu conversions (helpers_linux.go, opencontainers/cgroups)', () => {
  it.each([
    [0, 2],
    [1, 2],
    [10, 10],
    [100, 102],
    [1000, 1024],
    [300_000, 262_144],
  ])('MilliCPUToShares(%i) = %i', (m, s) => expect(milliCpuToShares(m)).toBe(s));
  it.each([
    [0, undefined],
    [5, 1000],
    [100, 10_000],
    [2500, 250_000],
  ])('MilliCPUToQuota(%i) = %s', (m, q) => expect(milliCpuToQuota(m)).toBe(q));
  it.each([
    [2, 1, 1],
    [1024, 100, 39],
    [262_144, 10_000, 10_000],
    [102, 17, 4],
  ])('shares %i → cpu.weight %i (runc ≥ 1.3.2), %i (linear, older runc)', (shares, weight, linear) => {
    expect(sharesToWeight(shares)).toBe(weight);
    expect(sharesToWeightLinear(shares)).toBe(linear);
  });
});

describe('podRequests and the pod cgroup (ResourceConfigForPod)', () => {
  it('sums regular containers and sidecars, takes init containers as a peak, adds overhead', () => {
    const p = pod(
      [c('a', { requests: { cpu: '100m', memory: '64Mi' } }), c('b', { requests: { cpu: '200m' } })],
      [c('side', { requests: { cpu: '50m' } }, { restartPolicy: 'Always' }), c('init', { requests: { cpu: '1', memory: '16Mi' } })],
      { cpu: '10m', memory: '1Mi' },
    );
    const r = podRequests(p);
    // init phase: 1 cpu + the 50m sidecar beside it, above 350m steady; + 10m overhead.
    expect(r.get('cpu')).toBe(1_060_000_000n);
    expect(r.get('memory')).toBe(BigInt(65 * Mi) * 1_000_000_000n);
  });

  it('Guaranteed: shares, quota and the memory limit (overhead included)', () => {
    const p = pod([c('a', { requests: { cpu: '500m', memory: '64Mi' }, limits: { cpu: '500m', memory: '64Mi' } })], [], { cpu: '100m', memory: '16Mi' });
    expect(podCgroupLimits(p)).toEqual({ cpuShares: 614, cpuQuota: 60_000, cpuPeriod: 100_000, memoryLimit: 80 * Mi });
  });

  it('Burstable: quota and memory only when every container limits them', () => {
    const all = pod([c('a', { requests: { cpu: '100m' }, limits: { cpu: '200m', memory: '64Mi' } }), c('b', { limits: { cpu: '100m', memory: '32Mi' }, requests: { cpu: '100m', memory: '1Mi' } })]);
    expect(podCgroupLimits(all)).toEqual({ cpuShares: 204, cpuQuota: 30_000, cpuPeriod: 100_000, memoryLimit: 96 * Mi });
    const some = pod([c('a', { requests: { cpu: '100m' }, limits: { memory: '64Mi' } }), c('b')]);
    expect(podCgroupLimits(some)).toEqual({ cpuShares: 102 });
    expect(podCgroupLimits(some, { podPidsLimit: 100 })).toEqual({ cpuShares: 102, pidsLimit: 100 });
  });

  it('BestEffort: the minimum shares', () => {
    expect(podCgroupLimits(pod([c('a')]))).toEqual({ cpuShares: 2 });
  });
});
