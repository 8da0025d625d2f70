// printPod's STATUS / READY / RESTARTS rules, case by case, on hand-made API statuses.
import { describe, it, expect } from 'vitest';
import type { Container, ContainerState, ContainerStatus, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import { podRow, podStatusReason, printPods } from '../../../agent/cli/printers/pods.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

function cs(name: string, state: ContainerState, extra: Partial<ContainerStatus> = {}): ContainerStatus {
  return { name, state, lastState: {}, ready: false, restartCount: 0, image: 'busybox:1.36', imageID: '', ...extra };
}

interface PodOpts {
  phase?: string;
  reason?: string;
  init?: Container[];
  containers?: string[];
  initStatuses?: ContainerStatus[];
  statuses?: ContainerStatus[];
  conditions?: PodCondition[];
  deletionTimestamp?: string;
}

function pod(o: PodOpts): Pod {
  return {
    metadata: { name: 'p', namespace: 'default', creationTimestamp: '2026-01-01T11:00:00Z', ...(o.deletionTimestamp ? { deletionTimestamp: o.deletionTimestamp } : {}) },
    spec: { nodeName: 'node1', initContainers: o.init ?? [], containers: (o.containers ?? ['app']).map((name) => ({ name })) },
    status: {
      phase: o.phase ?? 'Running',
      ...(o.reason ? { reason: o.reason } : {}),
      conditions: o.conditions ?? [],
      initContainerStatuses: o.initStatuses ?? [],
      containerStatuses: o.statuses ?? [],
    },
  };
}

const running = { running: { startedAt: '2026-01-01T11:00:00Z' } };
const ok = (name: string) => cs(name, { terminated: { exitCode: 0, reason: 'Completed' } });

describe('podStatusReason (STATUS column)', () => {
  const cases: [string, Pod, string][] = [
    ['the phase when nothing overrides it', pod({ phase: 'Pending' }), 'Pending'],
    ['status.reason over the phase', pod({ phase: 'Failed', reason: 'Evicted' }), 'Evicted'],
    ['Running for a ready running container', pod({ statuses: [cs('app', running, { ready: true })] }), 'Running'],
    ['a waiting reason', pod({ statuses: [cs('app', { waiting: { reason: 'ImagePullBackOff' } })] }), 'ImagePullBackOff'],
    ['a terminated reason', pod({ phase: 'Failed', statuses: [cs('app', { terminated: { exitCode: 137, reason: 'OOMKilled' } })] }), 'OOMKilled'],
    ['ExitCode:N without a reason', pod({ statuses: [cs('app', { terminated: { exitCode: 3 } })] }), 'ExitCode:3'],
    ['Signal:N without a reason', pod({ statuses: [cs('app', { terminated: { exitCode: 0, signal: 9 } })] }), 'Signal:9'],
    ['the first container in list order wins', pod({ containers: ['a', 'b'], statuses: [cs('a', { waiting: { reason: 'CrashLoopBackOff' } }), cs('b', { waiting: { reason: 'ErrImagePull' } })] }), 'CrashLoopBackOff'],
    [
      'Running when one container completed and another runs',
      pod({ containers: ['a', 'b'], statuses: [cs('a', running, { ready: true }), ok('b')], conditions: [{ type: 'Ready', status: 'True' }] }),
      'Running',
    ],
    ['NotReady when one container completed and the pod is not ready', pod({ containers: ['a', 'b'], statuses: [cs('a', running, { ready: true }), ok('b')] }), 'NotReady'],
    ['Init:N/M while initializing', pod({ phase: 'Pending', init: [{ name: 'i1' }, { name: 'i2' }], initStatuses: [ok('i1'), cs('i2', running)] }), 'Init:1/2'],
    ['Init:N/M for a PodInitializing init container', pod({ phase: 'Pending', init: [{ name: 'i1' }], initStatuses: [cs('i1', { waiting: { reason: 'PodInitializing' } })] }), 'Init:0/1'],
    ['Init:<waiting reason>', pod({ phase: 'Pending', init: [{ name: 'i1' }], initStatuses: [cs('i1', { waiting: { reason: 'CrashLoopBackOff' } })] }), 'Init:CrashLoopBackOff'],
    ['Init:<terminated reason>', pod({ phase: 'Failed', init: [{ name: 'i1' }], initStatuses: [cs('i1', { terminated: { exitCode: 1, reason: 'Error' } })] }), 'Init:Error'],
    ['Init:ExitCode:N', pod({ phase: 'Pending', init: [{ name: 'i1' }], initStatuses: [cs('i1', { terminated: { exitCode: 2 } })] }), 'Init:ExitCode:2'],
    ['Init:Signal:N', pod({ phase: 'Pending', init: [{ name: 'i1' }], initStatuses: [cs('i1', { terminated: { exitCode: 143, signal: 15 } })] }), 'Init:Signal:15'],
    [
      'PodInitializing once the init containers are done',
      pod({ phase: 'Pending', init: [{ name: 'i1' }], initStatuses: [ok('i1')], statuses: [cs('app', { waiting: { reason: 'PodInitializing' } })] }),
      'PodInitializing',
    ],
    [
      'a started sidecar does not hold initialization',
      pod({ init: [{ name: 'proxy', restartPolicy: 'Always' }], initStatuses: [cs('proxy', running, { started: true, ready: true })], statuses: [cs('app', running, { ready: true })] }),
      'Running',
    ],
    [
      // printPod keeps the init reason: only a waiting or terminated app container replaces it.
      'the sidecar reason once Initialized, when the apps run',
      pod({
        init: [{ name: 'proxy', restartPolicy: 'Always' }],
        initStatuses: [cs('proxy', { waiting: { reason: 'CrashLoopBackOff' } })],
        statuses: [cs('app', running, { ready: true })],
        conditions: [{ type: 'Initialized', status: 'True' }],
      }),
      'Init:CrashLoopBackOff',
    ],
    [
      'the app reason once Initialized, when an app waits',
      pod({
        init: [{ name: 'proxy', restartPolicy: 'Always' }],
        initStatuses: [cs('proxy', { waiting: { reason: 'CrashLoopBackOff' } })],
        statuses: [cs('app', { waiting: { reason: 'ContainerCreating' } })],
        conditions: [{ type: 'Initialized', status: 'True' }],
      }),
      'ContainerCreating',
    ],
    ['Terminating once deleted', pod({ statuses: [cs('app', running, { ready: true })], deletionTimestamp: '2026-01-01T11:59:00Z' }), 'Terminating'],
    ['the final phase even when deleted', pod({ phase: 'Succeeded', statuses: [ok('app')], deletionTimestamp: '2026-01-01T11:59:00Z' }), 'Completed'],
    ['Unknown for a deleted pod of a lost node', pod({ reason: 'NodeLost', statuses: [cs('app', running)], deletionTimestamp: '2026-01-01T11:59:00Z' }), 'Unknown'],
    ['SchedulingGated', pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }), 'SchedulingGated'],
  ];
  it.each(cases)('%s', (_, p, want) => {
    expect(podStatusReason(p)).toBe(want);
  });
});

describe('READY and RESTARTS columns', () => {
  it('count sidecars as containers and started, ready sidecars as ready', () => {
    const p = pod({
      init: [{ name: 'setup' }, { name: 'proxy', restartPolicy: 'Always' }],
      initStatuses: [ok('setup'), cs('proxy', running, { started: true, ready: true })],
      statuses: [cs('app', running, { ready: false })],
    });
    expect(podRow(p, NOW).ready).toBe('1/2');
  });

  it('add the age of the latest restart', () => {
    const last = (finishedAt: string) => ({ terminated: { exitCode: 1, reason: 'Error', finishedAt } });
    const p = pod({
      containers: ['a', 'b'],
      statuses: [
        cs('a', running, { ready: true, restartCount: 2, lastState: last('2026-01-01T11:50:00Z') }),
        cs('b', running, { ready: true, restartCount: 1, lastState: last('2026-01-01T11:59:15Z') }),
      ],
    });
    expect(podRow(p, NOW).restarts).toBe('3 (45s ago)');
  });

  it('count only sidecar restarts from init containers once initialized', () => {
    const p = pod({
      init: [{ name: 'setup' }, { name: 'proxy', restartPolicy: 'Always' }],
      initStatuses: [ok('setup'), cs('proxy', running, { started: true, ready: true, restartCount: 1 })],
      statuses: [cs('app', running, { ready: true })],
    });
    expect(podRow({ ...p, status: { ...p.status, initContainerStatuses: [{ ...ok('setup'), restartCount: 4 }, ...(p.status?.initContainerStatuses?.slice(1) ?? [])] } }, NOW).restarts).toBe('1');
  });

  it('print a plain count when no restart time is known', () => {
    expect(podRow(pod({ statuses: [cs('app', running, { restartCount: 2 })] }), NOW).restarts).toBe('2');
  });
});

describe('printPods', () => {
  const p = pod({ statuses: [cs('app', running, { ready: true })] });
  it('adds a NAMESPACE column and can leave out the header', () => {
    expect(printPods([p], { now: NOW, showNamespace: true })).toBe('NAMESPACE   NAME   READY   STATUS    RESTARTS   AGE\ndefault     p      1/1     Running   0          60m\n');
    expect(printPods([p], { now: NOW, noHeaders: true })).toBe('p     1/1   Running   0     60m\n');
  });
  it('prints nothing for no pods', () => {
    expect(printPods([], { now: NOW })).toBe('');
  });
  it('shows readiness gates as true/total in wide output', () => {
    const gated: Pod = { ...p, spec: { ...p.spec, containers: p.spec?.containers ?? [], readinessGates: [{ conditionType: 'a' }, { conditionType: 'b' }] }, status: { ...p.status, conditions: [{ type: 'a', status: 'True' }] } };
    expect(podRow(gated, NOW).readinessGates).toBe('1/2');
  });
});
