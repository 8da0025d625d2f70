import { describe, expect, it } from 'vitest';
import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import {
  divideCeilToString,
  milliCpuToQuota,
  milliCpuToShares,
  milliValue,
  podMemoryLimitBytes,
  toExact,
  toResourceSpec,
  wholeValue,
} from '../../../agent/translate/resources.js';

describe('milliCpuToShares (kubelet helpers_linux.go)', () => {
  it.each([
    [0, 2],
    [1, 2],
    [2, 2],
    [3, 3],
    [100, 102],
    [250, 256],
    [500, 512],
    [1000, 1024],
    [1500, 1536],
    [4000, 4096],
  ])('%i milli → %i shares', (milli, shares) => {
    expect(milliCpuToShares(milli)).toBe(shares);
  });
});

describe('milliCpuToQuota (kubelet helpers_linux.go)', () => {
  it.each([
    [0, undefined],
    [1, 1000],
    [5, 1000],
    [9, 1000],
    [10, 1000],
    [11, 1100],
    [200, 20000],
    [500, 50000],
    [1000, 100000],
    [1500, 150000],
  ])('%i milli → quota %s', (milli, quota) => {
    expect(milliCpuToQuota(milli)).toBe(quota);
  });
});

describe('quantity ceilings', () => {
  it.each([
    ['100m', 100, 1],
    ['0.5', 500, 1],
    ['1', 1000, 1],
    ['100.5m', 101, 1],
    ['1e3', 1_000_000, 1000],
    ['128Mi', 134_217_728_000, 134_217_728],
    ['1Gi', 1_073_741_824_000, 1_073_741_824],
    [0.25, 250, 1],
  ])('%s: MilliValue %i, Value %i', (q, milli, whole) => {
    expect(milliValue(toExact(q))).toBe(milli);
    expect(wholeValue(toExact(q))).toBe(whole);
  });

  it('treats a malformed quantity as absent', () => {
    expect(toExact('12 apples')).toBeUndefined();
    expect(milliValue(toExact('nope'))).toBe(0);
  });
});

describe('divideCeilToString (downward API convertQuantityToString)', () => {
  it.each([
    ['1Gi', '1Mi', '1024'],
    ['500m', '1', '1'],
    ['500m', '1m', '500'],
    ['1.5', '1', '2'],
    ['2', '1', '2'],
    ['128Mi', '1M', '135'],
    ['128Mi', '1Mi', '128'],
    ['1', '1Gi', '1'],
    ['0', '1', '0'],
  ])('ceil(%s / %s) = %s', (q, d, expected) => {
    const divisor = toExact(d);
    if (!divisor) throw new Error('bad divisor');
    expect(divideCeilToString(toExact(q), divisor)).toBe(expected);
  });

  it('reads a missing value as 0', () => {
    expect(divideCeilToString(undefined, { n: 1n, e: 0 })).toBe('0');
  });
});

function container(resources: Container['resources']): Container {
  return { name: 'c', image: 'busybox', resources };
}

describe('toResourceSpec (calculateLinuxResources)', () => {
  it.each<[string, Container['resources'], ReturnType<typeof toResourceSpec>]>([
    ['nothing set: minimum shares, period only', undefined, { cpuShares: 2, cpuPeriod: 100000 }],
    [
      'request and limit',
      { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
      { cpuShares: 102, cpuPeriod: 100000, cpuQuota: 50000, memory: 134217728 },
    ],
    ['limit only: shares from the limit', { limits: { cpu: '1' } }, { cpuShares: 1024, cpuPeriod: 100000, cpuQuota: 100000 }],
    ['request only: no quota', { requests: { cpu: '250m' } }, { cpuShares: 256, cpuPeriod: 100000 }],
    ['tiny limit: quota floor 1ms', { limits: { cpu: '1m' } }, { cpuShares: 2, cpuPeriod: 100000, cpuQuota: 1000 }],
    ['memory limit only', { limits: { memory: '1Gi' } }, { cpuShares: 2, cpuPeriod: 100000, memory: 1073741824 }],
    ['fractional milli rounded up', { requests: { cpu: '100.5m' } }, { cpuShares: 103, cpuPeriod: 100000 }],
  ])('%s', (_name, resources, expected) => {
    expect(toResourceSpec(container(resources))).toEqual(expected);
  });
});

describe('podMemoryLimitBytes (pod cgroup memory limit)', () => {
  const Mi = 1024 * 1024;
  const c = (name: string, memory?: string, restartPolicy?: string): Container => ({
    name,
    image: 'busybox',
    ...(memory ? { resources: { limits: { memory } } } : {}),
    ...(restartPolicy ? { restartPolicy } : {}),
  });
  it.each<[string, PodSpec, number | undefined]>([
    ['sum of app containers', { containers: [c('a', '100Mi'), c('b', '200Mi')] }, 300 * Mi],
    ['a bigger init container wins', { containers: [c('a', '100Mi')], initContainers: [c('i', '500Mi')] }, 500 * Mi],
    [
      'sidecars add to apps and to later init containers',
      { containers: [c('a', '100Mi')], initContainers: [c('s', '50Mi', 'Always'), c('i', '120Mi')] },
      170 * Mi,
    ],
    ['any container without a limit: no pod limit', { containers: [c('a', '100Mi'), c('b')] }, undefined],
    ['an init container without a limit: no pod limit', { containers: [c('a', '100Mi')], initContainers: [c('i')] }, undefined],
  ])('%s', (_name, spec, expected) => {
    expect(podMemoryLimitBytes(spec)).toBe(expected);
  });
});
