import { describe, expect, it } from 'vitest';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { admitUnderPressure } from '../../../agent/eviction/admission.js';
import { localStorageViolation } from '../../../agent/eviction/local-storage.js';
import { evictionMessage, nodeConditionMessage } from '../../../agent/eviction/messages.js';
import { isCriticalPod, type EvictionPod, type PodUsage } from '../../../agent/eviction/pods.js';
import { rankDiskPressure, rankMemoryPressure, rankPidPressure, diskPartsFor } from '../../../agent/eviction/rank.js';

const Mi = 1024 * 1024;

function pod(name: string, containers: Partial<Container>[], extra: Partial<NonNullable<Pod['spec']>> = {}, isStatic = false): EvictionPod {
  return { uid: name, namespace: 'default', name, isStatic, pod: { metadata: { name, uid: name }, spec: { containers: containers.map((c, i) => ({ name: `c${i}`, ...c })), ...extra } } };
}

function usage(containers: PodUsage['containers'], volumes: [string, number][] = []): PodUsage {
  const v = new Map(volumes);
  return { containers, volumes: v, ephemeralBytes: containers.reduce((s, c) => s + (c.rootfsBytes ?? 0) + (c.logsBytes ?? 0), 0) + [...v.values()].reduce((a, b) => a + b, 0) };
}

describe('who is critical', () => {
  it('static pods, mirror pods and system-critical priority; a DaemonSet pod is not', () => {
    expect(isCriticalPod(pod('s', [{}], {}, true))).toBe(true);
    expect(isCriticalPod(pod('p', [{}], { priorityClassName: 'system-node-critical' }))).toBe(true);
    expect(isCriticalPod(pod('q', [{}], { priority: 1_999_999_999 }))).toBe(false);
    expect(isCriticalPod(pod('d', [{}]))).toBe(false);
  });
});

describe('local storage limits (checked in the kubelet order)', () => {
  const limited = pod('w', [{ name: 'writer', resources: { limits: { 'ephemeral-storage': '10Mi' } } }, { name: 'idle', resources: { limits: { 'ephemeral-storage': '10Mi' } } }], {
    volumes: [{ name: 'scratch', emptyDir: { sizeLimit: '5Mi' } }],
  });

  it('emptyDir first, then the pod sum, then one container', () => {
    expect(localStorageViolation(limited, usage([{ name: 'writer', rootfsBytes: 30 * Mi, logsBytes: 0 }], [['scratch', 6 * Mi]]), { dedicatedImageFs: false })?.message).toBe('Usage of EmptyDir volume "scratch" exceeds the limit "5Mi". ');
    expect(localStorageViolation(limited, usage([{ name: 'writer', rootfsBytes: 21 * Mi, logsBytes: 0 }]), { dedicatedImageFs: false })?.message).toBe('Pod ephemeral local storage usage exceeds the total limit of containers 20Mi. ');
    expect(localStorageViolation(limited, usage([{ name: 'writer', rootfsBytes: 11 * Mi, logsBytes: 0 }]), { dedicatedImageFs: false })?.message).toBe('Container writer exceeded its local ephemeral storage limit "10Mi". ');
    expect(localStorageViolation(limited, usage([{ name: 'writer', rootfsBytes: 10 * Mi, logsBytes: 0 }]), { dedicatedImageFs: false })).toBeUndefined();
  });

  it('with a dedicated imagefs a container counts only its logs', () => {
    expect(localStorageViolation(limited, usage([{ name: 'writer', rootfsBytes: 11 * Mi, logsBytes: 0 }]), { dedicatedImageFs: true })).toBeUndefined();
    expect(localStorageViolation(limited, usage([{ name: 'writer', rootfsBytes: 0, logsBytes: 11 * Mi }]), { dedicatedImageFs: true })?.kind).toBe('container');
  });
});

describe('ranking (first = evicted first)', () => {
  it('memory: over requests first, then lower priority, then more usage over requests', () => {
    const a = pod('a', [{ resources: { requests: { memory: '100Mi' } } }], { priority: 10 });
    const b = pod('b', [{ resources: { requests: { memory: '100Mi' } } }], { priority: 0 });
    const c = pod('c', [{ resources: { requests: { memory: '1Gi' } } }], { priority: 0 });
    const d = pod('d', [{}], { priority: 0 });
    const stats = new Map([
      ['a', usage([{ name: 'c0', workingSetBytes: 200 * Mi }])],
      ['b', usage([{ name: 'c0', workingSetBytes: 150 * Mi }])],
      ['c', usage([{ name: 'c0', workingSetBytes: 900 * Mi }])],
      ['d', usage([{ name: 'c0', workingSetBytes: 300 * Mi }])],
    ]);
    expect(rankMemoryPressure([a, b, c, d], stats).map((p) => p.name)).toEqual(['d', 'b', 'a', 'c']);
  });

  it('disk: pods without stats first; usage over the ephemeral-storage request', () => {
    const a = pod('a', [{ resources: { requests: { 'ephemeral-storage': '1Gi' } } }]);
    const b = pod('b', [{}]);
    const n = pod('n', [{}]);
    const stats = new Map([
      ['a', usage([{ name: 'c0', rootfsBytes: 500 * Mi, logsBytes: 0 }])],
      ['b', usage([{ name: 'c0', rootfsBytes: 1 * Mi, logsBytes: 1 }])],
    ]);
    expect(rankDiskPressure([a, b, n], stats, diskPartsFor('nodefs.available', false)).map((p) => p.name)).toEqual(['n', 'b', 'a']);
    // With a dedicated imagefs, nodefs pressure counts logs and local volumes only.
    expect(diskPartsFor('nodefs.available', true)).toEqual({ rootfs: false, logs: true, localVolumes: true });
    expect(diskPartsFor('imagefs.available', true)).toEqual({ rootfs: true, logs: false, localVolumes: false });
  });

  it('pids: priority, then more processes', () => {
    const a = pod('a', [{}], { priority: 5 });
    const b = pod('b', [{}]);
    const c = pod('c', [{}]);
    const stats = new Map([
      ['a', { ...usage([]), processes: 100 }],
      ['b', { ...usage([]), processes: 2 }],
      ['c', { ...usage([]), processes: 9 }],
    ]);
    expect(rankPidPressure([a, b, c], stats).map((p) => p.name)).toEqual(['c', 'b', 'a']);
  });
});

describe('messages', () => {
  it("node pressure: the kubelet's message and annotations", () => {
    const p = pod('w', [{ name: 'app', resources: { requests: { 'ephemeral-storage': '1Mi' } } }, { name: 'ok' }]);
    const thresholds = [{ signal: 'nodefs.available' as const, value: { percentage: 0.1 }, gracePeriodMs: 0 }];
    const observations = new Map([['nodefs.available' as const, { available: 512 * Mi, capacity: 10 * 1024 * Mi, time: 0 }]]);
    const m = evictionMessage('ephemeral-storage', p, usage([{ name: 'app', rootfsBytes: 3 * Mi, logsBytes: 1 * Mi }, { name: 'ok', rootfsBytes: 0, logsBytes: 0 }]), thresholds, observations);
    expect(m.message).toBe('The node was low on resource: ephemeral-storage. Threshold quantity: 1Gi, available: 512Mi. Container app was using 4Mi, request is 1Mi, has larger consumption of ephemeral-storage. ');
    expect(m.annotations).toEqual({ offending_containers: 'app', offending_containers_usage: '4Mi', starved_resource: 'ephemeral-storage' });
  });

  it('memory with a quantity threshold', () => {
    const p = pod('m', [{ name: 'app' }]);
    const thresholds = [{ signal: 'memory.available' as const, value: { quantity: 100 * Mi, text: '100Mi' }, gracePeriodMs: 0 }];
    const observations = new Map([['memory.available' as const, { available: 50 * Mi, capacity: 1024 * Mi, time: 0 }]]);
    expect(evictionMessage('memory', p, usage([{ name: 'app', workingSetBytes: 300 * Mi }]), thresholds, observations).message).toBe(
      'The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. Container app was using 300Mi, request is 0, has larger consumption of memory. ',
    );
  });
});

describe('admission under pressure (Admit)', () => {
  const be = pod('be', [{}]);
  const burstable = pod('bu', [{ resources: { requests: { memory: '10Mi' } } }]);
  it('MemoryPressure refuses BestEffort pods only, unless they tolerate the taint', () => {
    expect(admitUnderPressure(burstable, ['MemoryPressure'])).toEqual({ admit: true });
    expect(admitUnderPressure(be, ['MemoryPressure'])).toEqual({ admit: false, reason: 'Evicted', message: 'The node had condition: [MemoryPressure]. ' });
    const tolerant = pod('t', [{}], { tolerations: [{ key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' }] });
    expect(admitUnderPressure(tolerant, ['MemoryPressure'])).toEqual({ admit: true });
  });

  it('DiskPressure refuses every non-critical pod; critical pods are admitted', () => {
    expect(admitUnderPressure(burstable, ['DiskPressure'])).toEqual({ admit: false, reason: 'Evicted', message: 'The node had condition: [DiskPressure]. ' });
    expect(admitUnderPressure(burstable, ['MemoryPressure', 'DiskPressure']).admit).toBe(false);
    expect(nodeConditionMessage(['MemoryPressure', 'DiskPressure'])).toBe('The node had condition: [MemoryPressure DiskPressure]. ');
    expect(admitUnderPressure(pod('s', [{}], {}, true), ['DiskPressure'])).toEqual({ admit: true });
    expect(admitUnderPressure(be, [])).toEqual({ admit: true });
  });
});
