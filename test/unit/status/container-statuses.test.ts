// Container statuses as convertToAPIContainerStatuses builds them from cri-dockerd's view.
import { describe, it, expect } from 'vitest';
import type { ContainerStatus, PodStatus } from 'kubernetes-types/core/v1.js';
import type { ObservedContainer } from '../../../agent/core/runtime-types.js';
import type { DesiredPod } from '../../../agent/core/types.js';
import { generatePodStatus, podWithStatus, type StatusInput } from '../../../agent/status/generate.js';
import { apiTime } from '../../../agent/core/time-format.js';
import { T0, container, desiredPod, instance, sandbox, sidecar } from '../../helpers/builders.js';
import { NOW, S, statusInput } from '../../helpers/status-input.js';

const t = (ms: number): string => apiTime(ms);

function input(pod: DesiredPod, containers: ObservedContainer[], extra: Partial<StatusInput> = {}, sandboxes: ObservedContainer[] = [sandbox(pod, { createdAt: T0 - 60 * S })]): StatusInput {
  return statusInput(pod, containers, sandboxes, extra);
}

function statusOf(pod: DesiredPod, containers: ObservedContainer[], extra: Partial<StatusInput> = {}, sandboxes?: ObservedContainer[]): PodStatus {
  return generatePodStatus(input(pod, containers, extra, sandboxes));
}

function app(status: PodStatus, name = 'app'): ContainerStatus | undefined {
  return status.containerStatuses?.find((s) => s.name === name);
}

describe('container statuses', () => {
  it('start from ContainerCreating, or PodInitializing when the pod has init containers', () => {
    const plain = desiredPod();
    expect(app(statusOf(plain, []))).toEqual({
      name: 'app',
      state: { waiting: { reason: 'ContainerCreating' } },
      lastState: {},
      ready: false,
      restartCount: 0,
      image: 'busybox:1.36',
      imageID: '',
      started: false,
    });
    const withInit = desiredPod({ initContainers: [container('setup')] });
    const status = statusOf(withInit, []);
    expect(app(status)?.state).toEqual({ waiting: { reason: 'PodInitializing' } });
    expect(status.initContainerStatuses?.[0]?.state).toEqual({ waiting: { reason: 'PodInitializing' } });
  });

  it('describe a running container the way the API does', () => {
    const pod = desiredPod();
    const c = { ...instance(pod, 'app', { id: 'abc123', createdAt: T0, startedAt: T0 + 1500 }), imageId: 'sha256:0123' };
    expect(app(statusOf(pod, [c]))).toEqual({
      name: 'app',
      state: { running: { startedAt: '2026-01-01T00:00:01Z' } },
      lastState: {},
      ready: true,
      restartCount: 0,
      image: 'busybox:1.36',
      imageID: 'docker://sha256:0123',
      containerID: 'docker://abc123',
      started: true,
    });
  });

  it('name a repo digest as a pullable image ID', () => {
    const pod = desiredPod();
    const c = { ...instance(pod, 'app'), imageId: 'busybox@sha256:4b0c' };
    expect(app(statusOf(pod, [c]))?.imageID).toBe('docker-pullable://busybox@sha256:4b0c');
  });

  it.each([
    ['exit 0', { exitCode: 0 }, 'Completed'],
    ['exit 1', { exitCode: 1 }, 'Error'],
    ['OOM killed', { exitCode: 137, oomKilled: true }, 'OOMKilled'],
  ])('give the terminated reason cri-dockerd gives: %s → %s', (_, opts, reason) => {
    const pod = desiredPod({ restartPolicy: 'Never' });
    const c = instance(pod, 'app', { id: 'c1', state: 'exited', createdAt: T0, startedAt: T0 + S, finishedAt: T0 + 5 * S, ...opts });
    expect(app(statusOf(pod, [c]))?.state).toEqual({
      terminated: { exitCode: opts.exitCode, reason, startedAt: t(T0 + S), finishedAt: t(T0 + 5 * S), containerID: 'docker://c1' },
    });
  });

  it('report a container whose start failed as ContainerCannotRun, timed at its creation', () => {
    const pod = desiredPod({ restartPolicy: 'Never' });
    const c: ObservedContainer = { ...instance(pod, 'app', { id: 'c1', state: 'created', createdAt: T0 }), state: 'exited', exitCode: 127, error: 'exec: "nope": executable file not found in $PATH' };
    expect(app(statusOf(pod, [c]))?.state).toEqual({
      terminated: { exitCode: 127, reason: 'ContainerCannotRun', message: 'exec: "nope": executable file not found in $PATH', startedAt: t(T0), finishedAt: t(T0), containerID: 'docker://c1' },
    });
  });

  it('append the termination message to Docker\'s error', () => {
    const pod = desiredPod({ restartPolicy: 'Never' });
    const c: ObservedContainer = { ...instance(pod, 'app', { id: 'c1', state: 'exited', exitCode: 1 }), error: 'boom' };
    const status = statusOf(pod, [c], { terminationMessages: new Map([['c1', 'disk full']]) });
    expect(app(status)?.state?.terminated?.message).toBe('boom: disk full');
  });

  it('take state and lastState from the two newest instances only', () => {
    const pod = desiredPod();
    const runs = [0, 1, 2].map((n) => instance(pod, 'app', { id: `r${n}`, state: 'exited', exitCode: n + 1, restartCount: n }));
    const current = instance(pod, 'app', { id: 'r3', restartCount: 3 });
    const s = app(statusOf(pod, [...runs, current]));
    expect(s?.state?.running).toBeDefined();
    expect(s?.lastState?.terminated).toMatchObject({ exitCode: 3, containerID: 'docker://r2' });
    expect(s?.restartCount).toBe(3);
  });

  it('show CrashLoopBackOff from the reason cache and move the exit to lastState', () => {
    const pod = desiredPod();
    const c = [instance(pod, 'app', { id: 'r2', state: 'exited', exitCode: 2, restartCount: 2 }), instance(pod, 'app', { id: 'r1', state: 'exited', exitCode: 1, restartCount: 1 })];
    const message = 'back-off 20s restarting failed container=app pod=web-node1_default(6f1c3e0a9b8d7c6e5f4a3b2c1d0e9f8a)';
    const s = app(statusOf(pod, c, { waiting: new Map([['app', { reason: 'CrashLoopBackOff', message }]]) }));
    expect(s?.state).toEqual({ waiting: { reason: 'CrashLoopBackOff', message } });
    expect(s?.lastState?.terminated).toMatchObject({ exitCode: 2, reason: 'Error', containerID: 'docker://r2' });
    expect(s).toMatchObject({ restartCount: 2, ready: false, started: false, containerID: 'docker://r2' });
  });

  it('ignore the reason cache for a container that will not be restarted', () => {
    const running = desiredPod();
    expect(app(statusOf(running, [instance(running, 'app')], { waiting: new Map([['app', { reason: 'CrashLoopBackOff', message: 'x' }]]) }))?.state?.running).toBeDefined();
    const done = desiredPod({ restartPolicy: 'OnFailure' });
    const exited0 = instance(done, 'app', { state: 'exited', exitCode: 0 });
    expect(app(statusOf(done, [exited0], { waiting: new Map([['app', { reason: 'CrashLoopBackOff', message: 'x' }]]) }))?.state?.terminated?.reason).toBe('Completed');
  });

  it('show an image pull failure for a container never created', () => {
    const pod = desiredPod();
    const s = app(statusOf(pod, [], { waiting: new Map([['app', { reason: 'ErrImagePull', message: 'pull access denied for nope' }]]) }));
    expect(s?.state).toEqual({ waiting: { reason: 'ErrImagePull', message: 'pull access denied for nope' } });
  });

  it('never show a completed init container as waiting', () => {
    const pod = desiredPod({ initContainers: [container('setup')] });
    const setup = instance(pod, 'setup', { state: 'exited', exitCode: 0 });
    const status = statusOf(pod, [setup], { waiting: new Map([['setup', { reason: 'CrashLoopBackOff', message: 'x' }]]) });
    expect(status.initContainerStatuses?.[0]).toMatchObject({ state: { terminated: { reason: 'Completed' } }, ready: true, started: false });
  });

  it('treat a removed init container as completed once the app container exists', () => {
    const pod = desiredPod({ initContainers: [container('setup')] });
    const status = statusOf(pod, [instance(pod, 'app')]);
    expect(status.initContainerStatuses?.[0]?.state).toEqual({
      terminated: { exitCode: 0, reason: 'Completed', message: 'Unable to get init container status from container runtime and pod has been initialized, treat it as exited normally' },
    });
  });

  it('use only the current sandbox for state; an older sandbox gives lastState', () => {
    const pod = desiredPod();
    const old = sandbox(pod, { id: 'sb-0', attempt: 0, state: 'exited', createdAt: T0 });
    const fresh = sandbox(pod, { id: 'sb-1', attempt: 1, createdAt: T0 + 100 * S });
    const before = instance(pod, 'app', { id: 'old', sandboxId: 'sb-0', state: 'exited', exitCode: 255, restartCount: 4, createdAt: T0 + S });
    const s = app(statusOf(pod, [before], {}, [old, fresh]));
    expect(s?.state).toEqual({ waiting: { reason: 'ContainerCreating' } });
    expect(s?.lastState?.terminated).toMatchObject({ exitCode: 255, containerID: 'docker://old' });
    expect(s?.restartCount).toBe(4);
    const now = instance(pod, 'app', { id: 'new', sandboxId: 'sb-1', restartCount: 5, createdAt: T0 + 101 * S });
    const s2 = app(statusOf(pod, [before, now], {}, [old, fresh]));
    expect(s2).toMatchObject({ containerID: 'docker://new', restartCount: 5, lastState: { terminated: { exitCode: 255 } } });
    expect(s2?.state?.running).toBeDefined();
  });

  it('report a container Docker lost while it ran as ContainerStatusUnknown', () => {
    const pod = desiredPod();
    const previous: PodStatus = {
      containerStatuses: [{ name: 'app', state: { running: { startedAt: t(T0) } }, lastState: {}, ready: true, restartCount: 2, image: 'busybox:1.36', imageID: '' }],
    };
    const gone = app(statusOf(pod, [], { previous }));
    expect(gone).toMatchObject({
      state: { waiting: { reason: 'ContainerCreating' } },
      lastState: { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was deleted.  The container used to be Running' } },
      restartCount: 3,
    });
    const unknown = app(statusOf(pod, [{ ...instance(pod, 'app', { restartCount: 2 }), state: 'unknown' }], { previous }));
    expect(unknown).toMatchObject({
      state: { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated' } },
      restartCount: 3,
    });
  });

  it('keep a terminated status Docker no longer has', () => {
    const pod = desiredPod({ restartPolicy: 'Never' });
    const terminated: ContainerStatus = {
      name: 'app',
      state: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: t(T0) } },
      lastState: {},
      ready: false,
      restartCount: 0,
      image: 'busybox:1.36',
      imageID: 'docker://sha256:1',
      containerID: 'docker://gone',
      started: false,
    };
    expect(app(statusOf(pod, [], { previous: { containerStatuses: [terminated] } }))).toEqual(terminated);
  });

  it('mark started and ready from the probes, with kubelet\'s defaults when a probe has not reported', () => {
    const pod = desiredPod({
      containers: [container('plain'), container('slow', { startupProbe: { exec: { command: ['true'] } } }), container('gated', { readinessProbe: { exec: { command: ['true'] } } })],
    });
    const ids = ['plain', 'slow', 'gated'].map((n) => instance(pod, n));
    const flags = (probes: StatusInput['probes']) => Object.fromEntries((statusOf(pod, ids, { probes }).containerStatuses ?? []).map((s) => [s.name, [s.started, s.ready]]));
    expect(flags(new Map())).toEqual({ plain: [true, true], slow: [false, false], gated: [true, false] });
    expect(flags(new Map([['slow', { started: true }], ['gated', { ready: true }]]))).toEqual({ plain: [true, true], slow: [true, true], gated: [true, true] });
    expect(flags(new Map([['plain', { ready: false }]]))).toMatchObject({ plain: [true, false] });
  });

  it('sort container statuses by name and keep init containers in spec order', () => {
    const pod = desiredPod({ initContainers: [container('zeta'), sidecar('alpha')], containers: [container('web'), container('api'), container('db')] });
    const status = statusOf(pod, []);
    expect(status.containerStatuses?.map((s) => s.name)).toEqual(['api', 'db', 'web']);
    expect(status.initContainerStatuses?.map((s) => s.name)).toEqual(['zeta', 'alpha']);
  });
});

describe('pod-level status fields', () => {
  it('set host IPs, pod IPs, start time and QoS class', () => {
    const pod = desiredPod();
    const status = statusOf(pod, [instance(pod, 'app')]);
    expect(status).toMatchObject({
      hostIP: '10.0.0.1',
      hostIPs: [{ ip: '10.0.0.1' }],
      podIP: '172.17.0.2',
      podIPs: [{ ip: '172.17.0.2' }],
      startTime: t(T0 - 60 * S),
      qosClass: 'BestEffort',
    });
  });

  it('give a host-network pod the node IPs', () => {
    const pod = desiredPod({ spec: { hostNetwork: true } });
    const status = statusOf(pod, [instance(pod, 'app')], { hostIPs: ['10.0.0.1', 'fd00::1'], podIPs: [] });
    expect(status.podIPs).toEqual([{ ip: '10.0.0.1' }, { ip: 'fd00::1' }]);
    expect(status.hostIPs).toEqual([{ ip: '10.0.0.1' }, { ip: 'fd00::1' }]);
  });

  it('leave pod IPs out when the pod network has none', () => {
    const pod = desiredPod();
    const status = statusOf(pod, [instance(pod, 'app')], { podIPs: [] });
    expect(status.podIP).toBeUndefined();
    expect(status.podIPs).toBeUndefined();
  });

  it('keep the start time of the previous status', () => {
    const pod = desiredPod();
    expect(statusOf(pod, [], { previous: { startTime: '2025-12-31T23:00:00Z' } }).startTime).toBe('2025-12-31T23:00:00Z');
    expect(statusOf(pod, [], {}, []).startTime).toBe(t(NOW));
  });

  it('podWithStatus stamps creationTimestamp from kubernetes.io/config.seen', () => {
    const base = desiredPod();
    const pod: DesiredPod = { ...base, pod: { ...base.pod, metadata: { ...base.pod.metadata, annotations: { 'kubernetes.io/config.seen': '2026-01-01T01:00:00.123456789+01:00' } } } };
    const out = podWithStatus(input(pod, [instance(pod, 'app')]));
    expect(out.metadata?.creationTimestamp).toBe('2026-01-01T00:00:00Z');
    expect(out.status?.phase).toBe('Running');
    expect(out.spec).toBe(pod.pod.spec);
  });
});
