// The planner's PodSandboxChanged for a sandbox without an IP (issue 14 item 2): kubelet starts
// a new sandbox when a running one on a pod network has no address ("Sandbox for pod has no IP
// address. Need to start a new one"); on host and none, no address is expected.
import { describe, expect, it } from 'vitest';
import { computePodActions } from '../../../agent/sync/plan.js';
import { DEFAULT_BACKOFF } from '../../../agent/sync/backoff.js';
import { T0, container, desiredPod, instance, observedPod, sandbox } from '../../helpers/builders.js';

const pod = desiredPod({ containers: [container('app')] });
const NOW = T0 + 3_600_000;

function plan(networkMode: string, ips: string[]): string[] {
  const sb = { ...sandbox(pod), networkMode, ips };
  const observed = observedPod(pod, { sandboxes: [sb], containers: [instance(pod, 'app')] });
  return computePodActions(pod, observed, { now: NOW, backoff: new Map(), backoffPolicy: DEFAULT_BACKOFF }).actions.map((a) => a.type === 'killPod' ? `killPod ${a.reason}` : a.type === 'createSandbox' ? `createSandbox ${a.attempt}` : a.type);
}

describe('a running sandbox and its IP', () => {
  it('on a pod network without an IP: killed and re-created', () => {
    expect(plan('pods', [])).toEqual(['killPod SandboxChanged', 'prepareVolumes', 'createSandbox 1', 'startContainer']);
  });
  it('on a pod network with an IP: left alone', () => {
    expect(plan('pods', ['198.18.0.4'])).toEqual([]);
  });
  it('on none or host: no IP expected', () => {
    expect(plan('none', [])).toEqual([]);
    expect(plan('host', [])).toEqual([]);
  });
});
