// The container rules shared by the planner and the status generator (core/containers.ts).
import { describe, expect, it } from 'vitest';
import { exitedForGood, isSidecar, shouldContainerBeRestarted } from '../../../agent/core/containers.js';
import { newestInstanceFirst } from '../../../agent/core/runtime-types.js';
import { container, desiredPod, instance, sidecar } from '../../helpers/builders.js';

const pod = desiredPod({ initContainers: [container('init'), sidecar('proxy')] });
const exited = (exitCode: number) => instance(pod, 'app', { state: 'exited', exitCode });

describe('isSidecar', () => {
  it('is an init container with restartPolicy Always, nothing else', () => {
    expect(isSidecar(sidecar('proxy'))).toBe(true);
    expect(isSidecar(container('init'))).toBe(false);
    expect(isSidecar(undefined)).toBe(false);
  });
});

describe('exitedForGood / shouldContainerBeRestarted', () => {
  const table: [string | undefined, number, boolean][] = [
    // pod restartPolicy, exit code, restarts?
    [undefined, 0, true],
    ['Always', 0, true],
    ['Always', 1, true],
    ['OnFailure', 0, false],
    ['OnFailure', 137, true],
    ['Never', 0, false],
    ['Never', 1, false],
  ];
  it.each(table)('pod restartPolicy %s, exit %i: restart %s', (policy, code, restarts) => {
    expect(shouldContainerBeRestarted(container('app'), policy, exited(code))).toBe(restarts);
    expect(exitedForGood(container('app'), policy, exited(code))).toBe(!restarts);
  });

  it('a sidecar restarts whatever the pod restartPolicy', () => {
    for (const policy of ['Never', 'OnFailure', 'Always']) {
      expect(shouldContainerBeRestarted(sidecar('proxy'), policy, exited(0))).toBe(true);
      expect(exitedForGood(sidecar('proxy'), policy, exited(1))).toBe(false);
    }
  });

  it('no instance, or created/unknown: start; running: leave it', () => {
    expect(shouldContainerBeRestarted(container('app'), 'Never', undefined)).toBe(true);
    expect(shouldContainerBeRestarted(container('app'), 'Never', instance(pod, 'app', { state: 'created' }))).toBe(true);
    expect(shouldContainerBeRestarted(container('app'), 'Never', instance(pod, 'app', { state: 'unknown' }))).toBe(true);
    expect(shouldContainerBeRestarted(container('app'), 'Always', instance(pod, 'app'))).toBe(false);
    expect(exitedForGood(container('app'), 'Never', instance(pod, 'app'))).toBe(false);
    expect(exitedForGood(container('app'), 'Never', undefined)).toBe(false);
  });
});

describe('newestInstanceFirst', () => {
  it('orders by attempt, then creation time, then ID (one order whatever the input order)', () => {
    const a = instance(pod, 'app', { id: 'a', restartCount: 1, createdAt: 5 });
    const b = instance(pod, 'app', { id: 'b', restartCount: 1, createdAt: 5 });
    const older = instance(pod, 'app', { id: 'c', restartCount: 1, createdAt: 4 });
    const first = instance(pod, 'app', { id: 'd', restartCount: 0, createdAt: 9 });
    expect([first, b, older, a].sort(newestInstanceFirst).map((c) => c.id)).toEqual(['a', 'b', 'c', 'd']);
    expect([a, older, first, b].sort(newestInstanceFirst).map((c) => c.id)).toEqual(['a', 'b', 'c', 'd']);
  });
});
