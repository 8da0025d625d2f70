import { describe, expect, it } from 'vitest';
import { statusText, type ServiceSnapshot } from '../../../agent/systemd/status-text.js';
import { T0, container, desiredPod, instance, observedPod, sandbox } from '../../helpers/builders.js';

const running = desiredPod({ name: 'a-node1', uid: 'uid-a' });
const crashed = desiredPod({ name: 'b-node1', uid: 'uid-b', restartPolicy: 'Never' });
const waiting = desiredPod({ name: 'c-node1', uid: 'uid-c' });
const done = desiredPod({ name: 'd-node1', uid: 'uid-d', restartPolicy: 'OnFailure', containers: [container('job')] });

const pods: ServiceSnapshot['pods'] = [
  { desired: running, observed: observedPod(running, { sandboxes: [sandbox(running)], containers: [instance(running, 'app')] }) },
  { desired: crashed, observed: observedPod(crashed, { sandboxes: [sandbox(crashed)], containers: [instance(crashed, 'app', { state: 'exited', exitCode: 1 })] }) },
  { desired: waiting },
  { desired: done, observed: observedPod(done, { sandboxes: [sandbox(done)], containers: [instance(done, 'job', { state: 'exited', exitCode: 0 })] }) },
];

function snapshot(over: Partial<ServiceSnapshot>): ServiceSnapshot {
  return { synced: true, runtimeHealthy: true, dockerHost: 'unix:///var/run/docker.sock', pods: [], now: T0 + 60_000, ...over };
}

describe('statusText', () => {
  it.each<[string, Partial<ServiceSnapshot>, string]>([
    ['no pods', {}, '0 pods, 0 running'],
    ['one running pod', { pods: pods.slice(0, 1) }, '1 pod, 1 running'],
    ['every phase, in kubelet terms', { pods }, '4 pods, 1 running, 1 pending, 1 failed, 1 succeeded'],
    ['waiting for Docker before the first sync', { synced: false, runtimeHealthy: false, pods }, 'starting: waiting for the Docker Engine at unix:///var/run/docker.sock'],
    ['first sync under way', { synced: false, pods }, 'starting: syncing 4 pods'],
    ['Docker gone after the start', { runtimeHealthy: false, pods: pods.slice(0, 1) }, 'Docker Engine at unix:///var/run/docker.sock unreachable; 1 pod'],
  ])('%s', (_name, over, expected) => {
    expect(statusText(snapshot(over))).toBe(expected);
  });
});
