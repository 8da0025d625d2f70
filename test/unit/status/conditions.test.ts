// Pod conditions as pkg/kubelet/status/generate.go builds them, with the status manager's
// lastTransitionTime rule.
import { describe, it, expect } from 'vitest';
import type { PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import type { ObservedContainer } from '../../../agent/core/runtime-types.js';
import type { DesiredPod } from '../../../agent/core/types.js';
import { generatePodStatus, type StatusInput } from '../../../agent/status/generate.js';
import { container, desiredPod, instance, sandbox, sidecar } from '../../helpers/builders.js';
import { statusInput } from '../../helpers/status-input.js';

const NOW_TEXT = '2026-01-01T00:10:00Z';

function statusOf(pod: DesiredPod, containers: ObservedContainer[], extra: Partial<StatusInput> = {}, sb: ObservedContainer | null = sandbox(pod)): PodStatus {
  return generatePodStatus(statusInput(pod, containers, sb ? [sb] : [], extra));
}

/** type → [status, reason?, message?] */
function summary(status: PodStatus): Record<string, [string, string?, string?]> {
  return Object.fromEntries(
    (status.conditions ?? []).map((c: PodCondition) => [c.type, [c.status, ...(c.reason ? [c.reason] : []), ...(c.message ? [c.message] : [])] as [string, string?, string?]]),
  );
}

describe('pod conditions', () => {
  it('come in kubelet order, all True for a ready pod', () => {
    const pod = desiredPod();
    const status = statusOf(pod, [instance(pod, 'app')]);
    expect(status.conditions?.map((c) => c.type)).toEqual(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);
    expect(status.conditions?.every((c) => c.status === 'True' && c.lastTransitionTime === NOW_TEXT)).toBe(true);
  });

  it('name unready containers in spec order, sidecars first, with Go list syntax', () => {
    const pod = desiredPod({
      initContainers: [sidecar('proxy')],
      containers: [container('web', { readinessProbe: { httpGet: { port: 80 } } }), container('db'), container('cache')],
    });
    const status = statusOf(pod, [instance(pod, 'proxy'), instance(pod, 'web'), instance(pod, 'db'), instance(pod, 'cache', { state: 'exited', exitCode: 1 })], {
      probes: new Map([['proxy', { ready: false }]]),
    });
    const message = 'containers with unready status: [proxy web cache]';
    expect(summary(status)).toMatchObject({
      ContainersReady: ['False', 'ContainersNotReady', message],
      Ready: ['False', 'ContainersNotReady', message],
    });
  });

  it('report init containers that have not completed', () => {
    const pod = desiredPod({ initContainers: [container('setup'), container('migrate')] });
    const status = statusOf(pod, [instance(pod, 'setup')]);
    expect(summary(status).Initialized).toEqual(['False', 'ContainersNotInitialized', 'containers with incomplete status: [setup migrate]']);
  });

  it('count a regular init container as complete once it exited 0', () => {
    const pod = desiredPod({ initContainers: [container('setup'), container('migrate')] });
    const status = statusOf(pod, [instance(pod, 'setup', { state: 'exited', exitCode: 0 })]);
    expect(summary(status).Initialized).toEqual(['False', 'ContainersNotInitialized', 'containers with incomplete status: [migrate]']);
    expect(status.initContainerStatuses?.map((s) => s.ready)).toEqual([true, false]);
  });

  it('stay Initialized when a sidecar restarts after the app started', () => {
    const pod = desiredPod({ initContainers: [sidecar('proxy')], containers: [container('app')] });
    const status = statusOf(pod, [instance(pod, 'proxy', { state: 'exited', exitCode: 1 }), instance(pod, 'app')]);
    expect(summary(status).Initialized).toEqual(['True']);
    expect(summary(status).ContainersReady).toEqual(['False', 'ContainersNotReady', 'containers with unready status: [proxy]']);
  });

  it('say PodCompleted for a Succeeded pod', () => {
    const pod = desiredPod({ restartPolicy: 'Never', initContainers: [container('setup')] });
    const status = statusOf(pod, [instance(pod, 'setup', { state: 'exited', exitCode: 0 }), instance(pod, 'app', { state: 'exited', exitCode: 0 })], {}, sandbox(pod, { state: 'exited' }));
    expect(status.phase).toBe('Succeeded');
    expect(summary(status)).toEqual({
      PodReadyToStartContainers: ['False'],
      Initialized: ['True', 'PodCompleted'],
      Ready: ['False', 'PodCompleted'],
      ContainersReady: ['False', 'PodCompleted'],
      PodScheduled: ['True'],
    });
  });

  it('say PodFailed for a Failed pod', () => {
    const pod = desiredPod({ restartPolicy: 'Never' });
    const status = statusOf(pod, [instance(pod, 'app', { state: 'exited', exitCode: 1 })]);
    expect(status.phase).toBe('Failed');
    expect(summary(status).ContainersReady).toEqual(['False', 'PodFailed']);
    expect(summary(status).Ready).toEqual(['False', 'PodFailed']);
  });

  it('mark the pod not ready to start containers without a running sandbox', () => {
    const pod = desiredPod();
    expect(summary(statusOf(pod, [], {}, null)).PodReadyToStartContainers).toEqual(['False']);
    expect(summary(statusOf(pod, [], {}, sandbox(pod, { state: 'exited' }))).PodReadyToStartContainers).toEqual(['False']);
    expect(summary(statusOf(pod, [], {}, sandbox(pod))).PodReadyToStartContainers).toEqual(['True']);
  });

  it('check readiness gates once the containers are ready', () => {
    const base = desiredPod({ spec: { readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }] } });
    const pod: DesiredPod = { ...base, pod: { ...base.pod, status: { conditions: [{ type: 'example.com/dns', status: 'False' }] } } };
    const status = statusOf(pod, [instance(pod, 'app')]);
    expect(summary(status).Ready).toEqual([
      'False',
      'ReadinessGatesNotReady',
      'corresponding condition of pod readiness gate "example.com/lb" does not exist., the status of pod readiness gate "example.com/dns" is not "True", but False',
    ]);
    expect(status.conditions?.[0]).toEqual({ type: 'example.com/dns', status: 'False' });
  });

  it('keep lastTransitionTime while the status does not change', () => {
    const pod = desiredPod();
    const earlier = '2026-01-01T00:01:00Z';
    const previous: PodStatus = {
      conditions: [
        { type: 'Initialized', status: 'True', lastTransitionTime: earlier },
        { type: 'Ready', status: 'True', lastTransitionTime: earlier },
        { type: 'ContainersReady', status: 'True', lastTransitionTime: earlier },
      ],
    };
    const status = statusOf(pod, [instance(pod, 'app', { state: 'exited', exitCode: 1 })], { previous });
    const times = Object.fromEntries((status.conditions ?? []).map((c) => [c.type, c.lastTransitionTime]));
    expect(times).toEqual({ PodReadyToStartContainers: NOW_TEXT, Initialized: earlier, Ready: NOW_TEXT, ContainersReady: NOW_TEXT, PodScheduled: NOW_TEXT });
  });
});
