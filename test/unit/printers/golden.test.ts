// kubectl output for the scenario pods, compared with golden files written by hand from
// kubectl's layout rules (test/fixtures/golden/*.txt).
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { printPods } from '../../../agent/cli/printers/pods.js';
import { describePod } from '../../../agent/cli/printers/describe-pod.js';
import { printEvents } from '../../../agent/cli/printers/events.js';
import { podWithStatus } from '../../../agent/status/generate.js';
import { NOW, crash, crashEvents, init, job, nodeEvents, scenarioPods, web, webEvents } from '../../fixtures/golden/scenarios.js';

function golden(name: string): string {
  return readFileSync(new URL(`../../fixtures/golden/${name}`, import.meta.url), 'utf8');
}

const UTC = { utcOffsetMinutes: 0 };

describe('kubectl get pods', () => {
  it('prints the table', () => {
    expect(printPods(scenarioPods(), { now: NOW })).toBe(golden('get-pods.txt'));
  });

  it('prints the wide table', () => {
    expect(printPods(scenarioPods(), { now: NOW, wide: true })).toBe(golden('get-pods-wide.txt'));
  });
});

describe('kubectl describe pod', () => {
  const cases: [string, Pod, string][] = [
    ['a running pod with probes, env, resources and volumes', podWithStatus(web.input), 'describe-web.txt'],
    ['a pod in CrashLoopBackOff, with its events', podWithStatus(crash.input), 'describe-crash.txt'],
    ['a pod running its first init container', podWithStatus(init.input), 'describe-init.txt'],
    ['a completed host-network pod', podWithStatus(job.input), 'describe-job.txt'],
  ];
  const events = new Map([
    ['web-node1', webEvents],
    ['crash-node1', crashEvents],
  ]);
  it.each(cases)('describes %s', (_, pod, file) => {
    expect(describePod(pod, events.get(pod.metadata?.name ?? '') ?? [], NOW, UTC)).toBe(golden(file));
  });
});

describe('kubectl get events', () => {
  it('prints events oldest first', () => {
    expect(printEvents([...crashEvents, ...webEvents, ...nodeEvents], { now: NOW })).toBe(golden('get-events.txt'));
  });
});
