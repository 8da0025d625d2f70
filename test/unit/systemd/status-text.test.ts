import { describe, expect, it } from 'vitest';
import { statusText, type ServiceSnapshot } from '../../../agent/systemd/status-text.js';

// Phases as the status manager stored them: the line only counts them.
const phases: ServiceSnapshot['phases'] = ['Running', 'Failed', 'Pending', 'Succeeded'];

function snapshot(over: Partial<ServiceSnapshot>): ServiceSnapshot {
  return { synced: true, runtimeHealthy: true, dockerHost: 'unix:///var/run/docker.sock', phases: [], ...over };
}

describe('statusText', () => {
  it.each<[string, Partial<ServiceSnapshot>, string]>([
    ['no pods', {}, '0 pods, 0 running'],
    ['one running pod', { phases: phases.slice(0, 1) }, '1 pod, 1 running'],
    ['every phase, in kubelet terms', { phases }, '4 pods, 1 running, 1 pending, 1 failed, 1 succeeded'],
    ['waiting for Docker before the first sync', { synced: false, runtimeHealthy: false, phases }, 'starting: waiting for the Docker Engine at unix:///var/run/docker.sock'],
    ['first sync under way', { synced: false, phases }, 'starting: syncing 4 pods'],
    ['Docker gone after the start', { runtimeHealthy: false, phases: phases.slice(0, 1) }, 'Docker Engine at unix:///var/run/docker.sock unreachable; 1 pod'],
  ])('%s', (_name, over, expected) => {
    expect(statusText(snapshot(over))).toBe(expected);
  });
});
