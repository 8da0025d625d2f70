// getPhase, as kubelet decides it (kubelet_pods.go), through generatePodStatus.
import { describe, it, expect } from 'vitest';
import type { ObservedContainer } from '../../../agent/core/runtime-types.js';
import type { DesiredPod } from '../../../agent/core/types.js';
import { generatePodStatus, type StatusInput } from '../../../agent/status/generate.js';
import { T0, container, desiredPod, instance, sandbox, sidecar } from '../../helpers/builders.js';
import { S, statusInput } from '../../helpers/status-input.js';


function phaseOf(pod: DesiredPod, containers: (sb: ObservedContainer) => ObservedContainer[], extra: Partial<StatusInput> = {}): string | undefined {
  const sb = sandbox(pod, { createdAt: T0 - 60 * S });
  return generatePodStatus(statusInput(pod, containers(sb), [sb], extra)).phase;
}

const exited = (exitCode: number, restartCount = 0) => ({ state: 'exited' as const, exitCode, restartCount, createdAt: T0 + restartCount * 10 * S });
const running = (restartCount = 0) => ({ state: 'running' as const, restartCount, createdAt: T0 + restartCount * 10 * S });
const backoff = (name: string) => ({ waiting: new Map([[name, { reason: 'CrashLoopBackOff', message: `back-off 10s restarting failed container=${name}` }]]) });

describe('pod phase: regular containers', () => {
  const one = (restartPolicy: 'Always' | 'OnFailure' | 'Never') => desiredPod({ restartPolicy, containers: [container('app')] });
  const two = (restartPolicy: 'Always' | 'OnFailure' | 'Never') => desiredPod({ restartPolicy, containers: [container('a'), container('b')] });

  const cases: [string, DesiredPod, (p: DesiredPod) => ObservedContainer[], string, Partial<StatusInput>?][] = [
    ['nothing created yet', one('Always'), () => [], 'Pending'],
    ['created, not started', one('Always'), (p) => [instance(p, 'app', { state: 'created' })], 'Pending'],
    ['running', one('Always'), (p) => [instance(p, 'app', running())], 'Running'],
    ['exited 0, Always: about to restart', one('Always'), (p) => [instance(p, 'app', exited(0))], 'Running'],
    ['exited 1, Always, CrashLoopBackOff', one('Always'), (p) => [instance(p, 'app', exited(1, 3)), instance(p, 'app', exited(1, 2))], 'Running', backoff('app')],
    ['exited 0, OnFailure', one('OnFailure'), (p) => [instance(p, 'app', exited(0))], 'Succeeded'],
    ['exited 1, OnFailure: restarting', one('OnFailure'), (p) => [instance(p, 'app', exited(1))], 'Running'],
    ['exited 0, Never', one('Never'), (p) => [instance(p, 'app', exited(0))], 'Succeeded'],
    ['exited 1, Never', one('Never'), (p) => [instance(p, 'app', exited(1))], 'Failed'],
    ['one running, one failed, Never', two('Never'), (p) => [instance(p, 'a', running()), instance(p, 'b', exited(1))], 'Running'],
    ['both done, one failed, Never', two('Never'), (p) => [instance(p, 'a', exited(0)), instance(p, 'b', exited(1))], 'Failed'],
    ['one done, one not created yet', two('Never'), (p) => [instance(p, 'a', exited(0))], 'Pending'],
    ['one running, one waiting for an image', two('Always'), (p) => [instance(p, 'a', running())], 'Pending', { waiting: new Map([['b', { reason: 'ErrImagePull', message: 'pull failed' }]]) }],
  ];
  it.each(cases)('%s → %s', (_, pod, containers, want, extra) => {
    expect(phaseOf(pod, () => containers(pod), extra)).toBe(want);
  });
});

describe('pod phase: init containers', () => {
  const pod = (restartPolicy: 'Always' | 'OnFailure' | 'Never') => desiredPod({ restartPolicy, initContainers: [container('setup'), container('migrate')], containers: [container('app')] });

  const cases: [string, DesiredPod, (p: DesiredPod) => ObservedContainer[], string, Partial<StatusInput>?][] = [
    ['first init running', pod('Always'), (p) => [instance(p, 'setup', running())], 'Pending'],
    ['first done, second not started', pod('Always'), (p) => [instance(p, 'setup', exited(0))], 'Pending'],
    ['all done, app not created', pod('Always'), (p) => [instance(p, 'setup', exited(0)), instance(p, 'migrate', exited(0))], 'Pending'],
    ['all done, app running', pod('Always'), (p) => [instance(p, 'setup', exited(0)), instance(p, 'migrate', exited(0)), instance(p, 'app', running())], 'Running'],
    ['init failed, Never', pod('Never'), (p) => [instance(p, 'setup', exited(1))], 'Failed'],
    ['init failed, OnFailure: it restarts', pod('OnFailure'), (p) => [instance(p, 'setup', exited(1))], 'Pending'],
    ['init failed, Always: it restarts', pod('Always'), (p) => [instance(p, 'setup', exited(1))], 'Pending'],
    ['init in CrashLoopBackOff, Always', pod('Always'), (p) => [instance(p, 'setup', exited(1, 2)), instance(p, 'setup', exited(1, 1))], 'Pending', backoff('setup')],
    ['init in CrashLoopBackOff, Never', pod('Never'), (p) => [instance(p, 'setup', exited(1))], 'Failed', backoff('setup')],
  ];
  it.each(cases)('%s → %s', (_, p, containers, want, extra) => {
    expect(phaseOf(p, () => containers(p), extra)).toBe(want);
  });
});

describe('pod phase: sidecars', () => {
  const pod = (restartPolicy: 'Always' | 'OnFailure' | 'Never', withStartupProbe = false) =>
    desiredPod({
      restartPolicy,
      initContainers: [sidecar('proxy', withStartupProbe ? { startupProbe: { exec: { command: ['true'] } } } : {})],
      containers: [container('app')],
    });

  it('a started sidecar lets the pod run with its app', () => {
    const p = pod('Always');
    expect(phaseOf(p, () => [instance(p, 'proxy', running()), instance(p, 'app', running())])).toBe('Running');
  });

  it('a sidecar whose startup probe has not passed keeps the pod pending', () => {
    const p = pod('Always', true);
    expect(phaseOf(p, () => [instance(p, 'proxy', running())])).toBe('Pending');
    expect(phaseOf(p, () => [instance(p, 'proxy', running())], { probes: new Map([['proxy', { started: true }]]) })).toBe('Pending');
  });

  it('a restarting sidecar does not send an initialized pod back to Pending', () => {
    const p = pod('Always');
    expect(phaseOf(p, () => [instance(p, 'proxy', exited(1, 1)), instance(p, 'app', running())], backoff('proxy'))).toBe('Running');
  });

  it('a sidecar waiting for its first start keeps the pod pending', () => {
    const p = pod('Always');
    expect(phaseOf(p, () => [])).toBe('Pending');
  });

  it('sidecars do not decide the phase of a finished run-once pod', () => {
    const p = pod('Never');
    expect(phaseOf(p, () => [instance(p, 'proxy', exited(137)), instance(p, 'app', exited(0))])).toBe('Succeeded');
    expect(phaseOf(p, () => [instance(p, 'proxy', exited(0)), instance(p, 'app', exited(3))])).toBe('Failed');
  });

  it('a running sidecar keeps a run-once pod Running after its app finished', () => {
    const p = pod('OnFailure');
    expect(phaseOf(p, () => [instance(p, 'proxy', running()), instance(p, 'app', exited(0))])).toBe('Running');
  });
});

describe('pod phase: terminal phases stick', () => {
  it('never leaves Succeeded or Failed', () => {
    const p = desiredPod({ restartPolicy: 'Always' });
    for (const previous of ['Succeeded', 'Failed']) {
      expect(phaseOf(p, () => [instance(p, 'app', running())], { previous: { phase: previous } })).toBe(previous);
    }
  });

  it('keeps the reason and message of an unchanged phase', () => {
    const p = desiredPod({ restartPolicy: 'Never' });
    const sb = sandbox(p);
    const status = generatePodStatus(
      statusInput(p, [instance(p, 'app', exited(1))], [sb], {
        hostIPs: [],
        podIPs: [],
        previous: { phase: 'Failed', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' },
      }),
    );
    expect(status).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' });
  });
});
