import { describe, expect, it } from 'vitest';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { containerOomScoreAdj, hasCapSysResource, restrictOomScoreAdj } from '../../../agent/qos/oom-score.js';

const GiB = 1024 ** 3;
const CAPACITY = 4 * GiB;
type Res = Container['resources'];
const c = (name: string, resources?: Res, extra: Partial<Container> = {}): Container => ({ name, image: 'x', ...(resources ? { resources } : {}), ...extra });
const pod = (containers: Container[], opts: { init?: Container[]; priorityClassName?: string; source?: string; podRequests?: Record<string, string> } = {}): Pod => ({
  metadata: { name: 'p', ...(opts.source ? { annotations: { 'kubernetes.io/config.source': opts.source } } : {}) },
  spec: {
    containers,
    ...(opts.init ? { initContainers: opts.init } : {}),
    ...(opts.priorityClassName ? { priorityClassName: opts.priorityClassName } : {}),
    ...(opts.podRequests ? { resources: { requests: opts.podRequests } } : {}),
  } as Pod['spec'],
});

describe('containerOomScoreAdj (pkg/kubelet/qos/policy.go)', () => {
  const guaranteed = { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } };
  const cases: [string, Pod, number][] = [
    ['Guaranteed', pod([c('a', guaranteed)]), -997],
    ['BestEffort', pod([c('a')]), 1000],
    ['Burstable, 1 GiB of 4 GiB requested: 1000 - 250', pod([c('a', { requests: { memory: '1Gi' } })]), 750],
    ['Burstable, truncating division: 1000 - floor(1000*100Mi/4Gi)', pod([c('a', { requests: { memory: '100Mi' } })]), 1000 - Math.floor((1000 * 100 * 1024 ** 2) / CAPACITY)],
    ['Burstable with no memory request: 1000 becomes 999', pod([c('a', { requests: { cpu: '100m' } })]), 999],
    ['Burstable requesting all memory: clamped to 3 (1000 + -997)', pod([c('a', { requests: { memory: '4Gi' } })]), 3],
    ['Burstable requesting more than the machine: still 3', pod([c('a', { requests: { memory: '8Gi' } })]), 3],
    ['system-node-critical static pod, BestEffort resources: -997', pod([c('a')], { priorityClassName: 'system-node-critical', source: 'file' }), -997],
    ['static pod without the class: by its QoS (BestEffort)', pod([c('a')], { source: 'file' }), 1000],
    ['system-node-critical resolves to a critical priority even from the API: -997', pod([c('a')], { priorityClassName: 'system-node-critical' }), -997],
    ['system-cluster-critical is critical, not node-critical: by QoS', pod([c('a')], { priorityClassName: 'system-cluster-critical', source: 'file' }), 1000],
  ];
  it.each(cases)('%s → %i', (_name, p, want) => {
    expect(containerOomScoreAdj(p, p.spec?.containers[0] as Container, CAPACITY)).toBe(want);
  });

  it('a sidecar scores no higher than the regular container with the smallest request', () => {
    const sidecar = c('side', { requests: { memory: '100Mi' } }, { restartPolicy: 'Always' });
    const p = pod([c('big', { requests: { memory: '2Gi' } }), c('small', { requests: { memory: '1Gi' } })], { init: [sidecar] });
    // Its own request would give 976; the smallest regular container (1 GiB) gives 750.
    expect(containerOomScoreAdj(p, sidecar, CAPACITY)).toBe(750);
    const bigSidecar = c('side', { requests: { memory: '3Gi' } }, { restartPolicy: 'Always' });
    expect(containerOomScoreAdj(pod([c('a', { requests: { memory: '1Gi' } })], { init: [bigSidecar] }), bigSidecar, CAPACITY)).toBe(250);
    // A plain init container keeps its own score.
    const init = c('init', { requests: { memory: '100Mi' } });
    expect(containerOomScoreAdj(pod([c('a', { requests: { memory: '1Gi' } })], { init: [init] }), init, CAPACITY)).toBe(1000 - Math.floor((1000 * 100 * 1024 ** 2) / CAPACITY));
  });

  it('pod-level memory requests share what the containers leave among all containers', () => {
    // Pod requests 2 GiB, containers 1 GiB + 0: 1 GiB left, 512 MiB each.
    const p = pod([c('a', { requests: { memory: '1Gi' } }), c('b')], { podRequests: { memory: '2Gi' } });
    expect(containerOomScoreAdj(p, p.spec?.containers[0] as Container, CAPACITY)).toBe(1000 - Math.floor((1000 * 1.5 * GiB) / CAPACITY));
    expect(containerOomScoreAdj(p, p.spec?.containers[1] as Container, CAPACITY)).toBe(1000 - Math.floor((1000 * 0.5 * GiB) / CAPACITY));
  });

  it('restrictOomScoreAdj raises a score below the floor, and hasCapSysResource reads CapEff bit 24', () => {
    expect(restrictOomScoreAdj(-997, 0)).toBe(0);
    expect(restrictOomScoreAdj(500, 0)).toBe(500);
    expect(restrictOomScoreAdj(-998, undefined)).toBe(-998);
    expect(hasCapSysResource('CapEff:\t000001ffffffffff\n')).toBe(true);
    expect(hasCapSysResource('CapEff:\t000001fffeffffff\n')).toBe(false);
  });
});

describe('priority and criticality (pkg/kubelet/types)', async () => {
  const { isCriticalPod, isNodeCriticalPod, podPriority, isPreemptable } = await import('../../../agent/qos/priority.js');
  const p = (annotations: Record<string, string>, spec: Partial<NonNullable<Pod['spec']>> = {}): Pod => ({ metadata: { annotations }, spec: { containers: [], ...spec } });
  it('static and mirror pods are critical; API pods by priority; node-critical needs the class', () => {
    expect(isCriticalPod(p({ 'kubernetes.io/config.source': 'file' }))).toBe(true);
    expect(isCriticalPod(p({ 'kubernetes.io/config.source': 'api' }))).toBe(false);
    expect(isCriticalPod(p({ 'kubernetes.io/config.mirror': 'x' }))).toBe(true);
    expect(isCriticalPod(p({}, { priority: 2_000_000_000 }))).toBe(true);
    expect(isCriticalPod(p({}, { priority: 1_999_999_999 }))).toBe(false);
    expect(podPriority(p({}, { priorityClassName: 'system-node-critical' }))).toBe(2_000_001_000);
    expect(podPriority(p({}, { priorityClassName: 'system-cluster-critical' }))).toBe(2_000_000_000);
    expect(podPriority(p({}, { priorityClassName: 'unknown-class' }))).toBe(0);
    expect(podPriority(p({}, { priorityClassName: 'system-node-critical', priority: 7 }))).toBe(7);
    expect(isNodeCriticalPod(p({ 'kubernetes.io/config.source': 'file' }))).toBe(false);
    expect(isNodeCriticalPod(p({ 'kubernetes.io/config.source': 'file' }, { priorityClassName: 'system-node-critical' }))).toBe(true);
    expect(isPreemptable(p({ 'kubernetes.io/config.source': 'file' }), p({}))).toBe(true);
    expect(isPreemptable(p({}, { priority: 5 }), p({}, { priority: 5 }))).toBe(false);
  });
});
