import { describe, expect, it } from 'vitest';
import { DEFAULT_RESERVATION, formatResource, kubepodsLimits, nodeAllocatable, nodeCapacity } from '../../../agent/qos/allocatable.js';
import { insufficientResource, insufficientResourceMessage, insufficientResourceReason } from '../../../agent/qos/resource-fit.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { podRequests } from '../../../agent/qos/pod-resources.js';

const GiB = 1024 ** 3;
const Mi = 1024 * 1024;
const N = 1_000_000_000n;
const capacity = nodeCapacity({ cpuCount: 2, memoryBytes: 8 * GiB, ephemeralStorageBytes: 100 * GiB, maxPods: 110 });

describe('node allocatable (GetNodeAllocatableReservation)', () => {
  it('defaults: memory.available 100Mi and nodefs.available 10 % (float32) come off', () => {
    const a = nodeAllocatable(capacity, DEFAULT_RESERVATION);
    expect(formatResource('cpu', a.get('cpu') ?? 0n)).toBe('2');
    expect(formatResource('memory', a.get('memory') ?? 0n)).toBe(`${(8 * GiB - 100 * Mi) / 1024}Ki`);
    expect(formatResource('ephemeral-storage', a.get('ephemeral-storage') ?? 0n)).toBe(String(100 * GiB - Math.floor(100 * GiB * Math.fround(0.1))));
    expect(formatResource('pods', a.get('pods') ?? 0n)).toBe('110');
  });

  it('systemReserved + kubeReserved + evictionHard, clamped at zero', () => {
    const r = { systemReserved: { cpu: '500m', memory: '1Gi' }, kubeReserved: { cpu: '250m', memory: '512Mi', 'ephemeral-storage': '1Gi' }, evictionHard: { 'memory.available': '5%', 'nodefs.available': '1Gi' } };
    const a = nodeAllocatable(capacity, r);
    expect(formatResource('cpu', a.get('cpu') ?? 0n)).toBe('1250m');
    expect(a.get('memory')).toBe(BigInt(8 * GiB - GiB - 512 * Mi - Math.floor(8 * GiB * Math.fround(0.05))) * N);
    expect(a.get('ephemeral-storage')).toBe(BigInt(98 * GiB) * N);
    expect(nodeAllocatable(capacity, { ...r, systemReserved: { cpu: '8' } }).get('cpu')).toBe(0n);
  });

  it('kubepods gets capacity minus the reservations, without the eviction thresholds', () => {
    expect(kubepodsLimits(capacity, { systemReserved: { cpu: '100m', memory: '1Gi' }, kubeReserved: {}, evictionHard: { 'memory.available': '1Gi' } })).toEqual({ cpuShares: 1945, memoryLimit: 7 * GiB });
  });
});

describe('resource admission (noderesources Fits, predicate.go messages)', () => {
  const alloc = new Map([
    ['cpu', 2n * N],
    ['memory', BigInt(GiB) * N],
    ['ephemeral-storage', BigInt(10 * GiB) * N],
    ['pods', 3n * N],
  ]);
  const used = new Map([['cpu', 100_000_000n]]);
  const req = (requests: Record<string, string>): ReadonlyMap<string, bigint> => podRequests({ spec: { containers: [{ name: 'a', resources: { requests } }] } } as Pod);

  it.each([
    ['cpu', { cpu: '64', memory: '500Gi' }, 'OutOfcpu', "Node didn't have enough resource: cpu, requested: 64000, used: 100, capacity: 2000"],
    ['memory', { memory: '2Gi' }, 'OutOfmemory', `Node didn't have enough resource: memory, requested: ${2 * GiB}, used: 0, capacity: ${GiB}`],
    ['ephemeral-storage', { 'ephemeral-storage': '20Gi' }, 'OutOfephemeral-storage', `Node didn't have enough resource: ephemeral-storage, requested: ${20 * GiB}, used: 0, capacity: ${10 * GiB}`],
    ['hugepages', { 'hugepages-2Mi': '2Mi' }, 'OutOfhugepages-2Mi', `Node didn't have enough resource: hugepages-2Mi, requested: ${2 * Mi}, used: 0, capacity: 0`],
  ])('%s', (_name, requests, reason, message) => {
    const short = insufficientResource(req(requests), used, 1, alloc);
    expect(short && insufficientResourceReason(short)).toBe(reason);
    expect(short && insufficientResourceMessage(short)).toBe(message);
  });

  it('pods first; an extended resource the node lacks is ignored; a fitting pod passes', () => {
    const short = insufficientResource(req({ cpu: '64' }), used, 3, alloc);
    expect(short && [insufficientResourceReason(short), insufficientResourceMessage(short)]).toEqual(['OutOfpods', "Node didn't have enough resource: pods, requested: 1, used: 3, capacity: 3"]);
    expect(insufficientResource(req({ 'example.com/dongle': '1' }), used, 1, alloc)).toBeUndefined();
    expect(insufficientResource(req({ cpu: '1900m' }), used, 1, alloc)).toBeUndefined();
    expect(insufficientResource(req({ cpu: '1901m' }), used, 1, alloc)?.resource).toBe('cpu');
  });
});
