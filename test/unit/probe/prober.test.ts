// The probe manager with a fake clock and a scripted exec port (an in-memory stand-in for the
// runtime's exec; the real thing is exercised in test/integration/probes.test.ts).
import { describe, expect, it } from 'vitest';
import type { Container } from 'kubernetes-types/core/v1.js';
import { ProbeManager, type ProbeManagerDeps } from '../../../agent/probe/prober.js';
import { ProbeMetrics, type ProbeRun } from '../../../agent/probe/probe-metrics.js';
import { EventStore } from '../../../agent/events/event-store.js';
import { createLogger } from '../../../agent/log/logger.js';
import type { ObservedContainer, ObservedPod } from '../../../agent/core/runtime-types.js';
import type { DesiredPod } from '../../../agent/core/types.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { container, desiredPod, sidecar } from '../../helpers/builders.js';

type Answer = { exitCode: number; stdout?: string; stderr?: string } | Error;

class Harness {
  readonly clock = new FakeClock();
  readonly events = new EventStore({ clock: this.clock, source: 'test' });
  readonly changes: string[] = [];
  readonly calls: { id: string; cmd: string }[] = [];
  /** Per command (joined), the answers in order; the last one repeats. */
  readonly answers = new Map<string, Answer[]>();
  readonly manager: ProbeManager;

  constructor(extra: Partial<ProbeManagerDeps> = {}) {
    this.manager = new ProbeManager({
      runtime: {
        exec: async (id, cmd) => {
          const key = cmd.join(' ');
          this.calls.push({ id, cmd: key });
          const list = this.answers.get(key) ?? [{ exitCode: 0 }];
          const answer = list.length > 1 ? list.shift()! : list[0]!;
          if (answer instanceof Error) throw answer;
          return { exitCode: answer.exitCode, stdout: answer.stdout ?? '', stderr: answer.stderr ?? '' };
        },
      },
      clock: this.clock,
      events: this.events,
      logger: createLogger({ level: 'silent' }),
      hostIPs: ['127.0.0.1'],
      onChange: (uid) => this.changes.push(uid),
      random: () => 0,
      ...extra,
    });
  }

  answer(cmd: string, ...answers: Answer[]): void {
    this.answers.set(cmd, answers);
  }

  callsOf(cmd: string): number {
    return this.calls.filter((c) => c.cmd === cmd).length;
  }

  messages(reason = 'Unhealthy'): string[] {
    return this.events.list((e) => e.reason === reason).flatMap((e) => Array<string>(e.count).fill(e.message));
  }
}

function running(pod: DesiredPod, name: string, id: string, startedAt: number): ObservedContainer {
  return {
    id,
    name,
    role: 'app',
    podUid: pod.uid,
    podName: pod.name,
    podNamespace: pod.namespace,
    sandboxId: 'sb',
    state: 'running',
    specHash: '',
    restartCount: 0,
    image: 'busybox:1.37',
    createdAt: startedAt,
    startedAt,
    labels: {},
  };
}

function observed(pod: DesiredPod, containers: ObservedContainer[]): ObservedPod {
  return { uid: pod.uid, name: pod.name, namespace: pod.namespace, sandboxes: [], containers };
}

const exec = (cmd: string, extra: object = {}): Container['livenessProbe'] => ({ exec: { command: cmd.split(' ') }, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3, ...extra });

describe('ProbeManager', () => {
  it('liveness: three failures in a row → unhealthy, events, onChange, then no more probing until a new container ID', async () => {
    const h = new Harness();
    const pod = desiredPod({ containers: [container('app', { livenessProbe: exec('check live') })] });
    h.answer('check live', { exitCode: 0 }, { exitCode: 1, stdout: 'not ok' });
    h.manager.syncPod(pod, observed(pod, [running(pod, 'app', 'c1', h.clock.now())]));
    await h.clock.advance(0);
    expect(h.callsOf('check live')).toBe(1);
    expect(h.manager.unhealthy(pod.uid).size).toBe(0);
    await h.clock.advance(2000);
    expect(h.manager.unhealthy(pod.uid).size).toBe(0);
    expect(h.changes).toEqual([]);
    await h.clock.advance(1000);
    expect(h.manager.unhealthy(pod.uid)).toEqual(new Map([['app', 'LivenessProbe']]));
    expect(h.changes).toEqual([pod.uid]);
    expect(h.messages()).toEqual(['Liveness probe failed: not ok', 'Liveness probe failed: not ok', 'Liveness probe failed: not ok']);
    const event = h.events.list((e) => e.reason === 'Unhealthy')[0];
    expect(event?.type).toBe('Warning');
    expect(event?.involvedObject.fieldPath).toBe('spec.containers{app}');
    // on hold
    await h.clock.advance(5000);
    expect(h.callsOf('check live')).toBe(4);
    // a plan made before syncPod saw the replacement must not kill the replacement
    expect(h.manager.unhealthy(pod.uid, observed(pod, [running(pod, 'app', 'c1', 0)])).size).toBe(1);
    expect(h.manager.unhealthy(pod.uid, observed(pod, [{ ...running(pod, 'app', 'c1', 0), state: 'exited' }, running(pod, 'app', 'c2', 1)])).size).toBe(0);
    // a new container: results start over
    h.manager.syncPod(pod, observed(pod, [running(pod, 'app', 'c2', h.clock.now())]));
    expect(h.manager.unhealthy(pod.uid).size).toBe(0);
    h.answer('check live', { exitCode: 0 });
    await h.clock.advance(0);
    expect(h.calls.at(-1)).toEqual({ id: 'c2', cmd: 'check live' });
    h.manager.stop();
  });

  it('readiness: not ready until the probe succeeds; back to not ready after failureThreshold failures', async () => {
    const h = new Harness();
    const pod = desiredPod({ containers: [container('web', { readinessProbe: exec('ready?', { failureThreshold: 2 }) }), container('plain')] });
    h.answer('ready?', { exitCode: 1 }, { exitCode: 0 }, { exitCode: 0 }, { exitCode: 1 }, { exitCode: 1 });
    h.manager.syncPod(pod, observed(pod, [running(pod, 'web', 'w1', h.clock.now()), running(pod, 'plain', 'p1', h.clock.now())]));
    expect(h.manager.states(pod.uid)).toEqual(
      new Map([
        ['web', { started: true, ready: false }],
        ['plain', { started: true, ready: true }],
      ]),
    );
    await h.clock.advance(0);
    expect(h.manager.states(pod.uid).get('web')).toEqual({ started: true, ready: false });
    await h.clock.advance(1000);
    expect(h.manager.states(pod.uid).get('web')).toEqual({ started: true, ready: true });
    expect(h.changes).toEqual([pod.uid]);
    await h.clock.advance(2000);
    expect(h.manager.states(pod.uid).get('web')).toEqual({ started: true, ready: true });
    await h.clock.advance(1000);
    expect(h.manager.states(pod.uid).get('web')).toEqual({ started: true, ready: false });
    expect(h.changes).toEqual([pod.uid, pod.uid]);
    // a readiness failure never makes a container unhealthy
    expect(h.manager.unhealthy(pod.uid).size).toBe(0);
    expect(h.messages()[0]).toBe('Readiness probe failed: ');
    h.manager.stop();
  });

  it('startup gates liveness and readiness, then hands over to them at once', async () => {
    const h = new Harness();
    const pod = desiredPod({
      containers: [container('app', { startupProbe: exec('started?', { failureThreshold: 10 }), livenessProbe: exec('live?'), readinessProbe: exec('ready?', { periodSeconds: 10 }) })],
    });
    h.answer('started?', { exitCode: 1 }, { exitCode: 1 }, { exitCode: 0 });
    h.manager.syncPod(pod, observed(pod, [running(pod, 'app', 'c1', h.clock.now())]));
    await h.clock.advance(0);
    await h.clock.advance(1000);
    expect(h.callsOf('live?')).toBe(0);
    expect(h.callsOf('ready?')).toBe(0);
    expect(h.manager.states(pod.uid).get('app')).toEqual({ started: false, ready: false });
    await h.clock.advance(1000);
    expect(h.manager.states(pod.uid).get('app')).toEqual({ started: true, ready: true });
    // readiness ran right away (manual trigger), not 10 s later
    expect(h.callsOf('ready?')).toBe(1);
    await h.clock.advance(3000);
    expect(h.callsOf('started?')).toBe(3);
    expect(h.callsOf('live?')).toBeGreaterThanOrEqual(3);
    h.manager.stop();
  });

  it('a startup probe that keeps failing makes the container unhealthy (StartupProbe)', async () => {
    const h = new Harness();
    const pod = desiredPod({ containers: [container('app', { startupProbe: exec('started?', { failureThreshold: 2 }), livenessProbe: exec('live?') })] });
    h.answer('started?', { exitCode: 1, stderr: 'still booting' });
    h.manager.syncPod(pod, observed(pod, [running(pod, 'app', 'c1', h.clock.now())]));
    await h.clock.advance(0);
    await h.clock.advance(1000);
    expect(h.manager.unhealthy(pod.uid)).toEqual(new Map([['app', 'StartupProbe']]));
    expect(h.messages()).toEqual(['Startup probe failed: still booting', 'Startup probe failed: still booting']);
    expect(h.callsOf('live?')).toBe(0);
    h.manager.stop();
  });

  it('waits initialDelaySeconds from StartedAt', async () => {
    const h = new Harness();
    const pod = desiredPod({ containers: [container('app', { livenessProbe: exec('live?', { initialDelaySeconds: 5 }) })] });
    h.manager.syncPod(pod, observed(pod, [running(pod, 'app', 'c1', h.clock.now() - 2000)]));
    await h.clock.advance(0);
    await h.clock.advance(2000);
    expect(h.callsOf('live?')).toBe(0);
    await h.clock.advance(1000);
    expect(h.callsOf('live?')).toBe(1);
    h.manager.stop();
  });

  it('expands $(VAR) in exec commands with the literal env values only', async () => {
    const h = new Harness();
    const pod = desiredPod({
      containers: [
        container('app', {
          env: [
            { name: 'FILE', value: '/tmp/ok' },
            { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          ],
          livenessProbe: exec('cat $(FILE) $(NODE) $(NOPE)'),
        }),
      ],
    });
    h.manager.syncPod(pod, observed(pod, [running(pod, 'app', 'c1', h.clock.now())]));
    await h.clock.advance(0);
    expect(h.calls[0]?.cmd).toBe('cat /tmp/ok  $(NOPE)');
    h.manager.stop();
  });

  it('an errored run is reported and thrown away (liveness stays Success)', async () => {
    const h = new Harness();
    const pod = desiredPod({ containers: [container('app', { livenessProbe: exec('live?', { failureThreshold: 1 }) })] });
    h.answer('live?', new Error('container c1 is restarting'));
    h.manager.syncPod(pod, observed(pod, [running(pod, 'app', 'c1', h.clock.now())]));
    await h.clock.advance(0);
    expect(h.callsOf('live?')).toBe(3);
    expect(h.manager.unhealthy(pod.uid).size).toBe(0);
    expect(h.messages()).toEqual(['Liveness probe errored and resulted in unknown state: container c1 is restarting']);
    h.manager.stop();
  });

  it('network probes of a pod without an address fail with a clear message', async () => {
    const h = new Harness();
    const pod = desiredPod({ containers: [container('app', { readinessProbe: { httpGet: { port: 8080, path: '/' }, periodSeconds: 1 } })] });
    h.manager.syncPod(pod, observed(pod, [running(pod, 'app', 'c1', h.clock.now())]));
    await h.clock.advance(0);
    expect(h.messages()[0]).toMatch(/^Readiness probe failed: the pod has no IP address to probe/);
    h.manager.stop();
  });

  it('stops the workers of containers that stop running, and of removed pods; sidecars are probed', async () => {
    const h = new Harness();
    const pod = desiredPod({ initContainers: [sidecar('proxy', { readinessProbe: exec('proxy?') })], containers: [container('app', { livenessProbe: exec('live?') })] });
    h.manager.syncPod(pod, observed(pod, [{ ...running(pod, 'proxy', 's1', h.clock.now()), role: 'sidecar' }, running(pod, 'app', 'c1', h.clock.now())]));
    await h.clock.advance(0);
    expect(h.callsOf('proxy?')).toBe(1);
    expect(h.manager.states(pod.uid).get('proxy')).toEqual({ started: true, ready: true });
    // the app container exited
    h.manager.syncPod(pod, observed(pod, [{ ...running(pod, 'proxy', 's1', h.clock.now()), role: 'sidecar' }, { ...running(pod, 'app', 'c1', 0), state: 'exited' }]));
    const before = h.callsOf('live?');
    await h.clock.advance(3000);
    expect(h.callsOf('live?')).toBe(before);
    expect(h.manager.states(pod.uid).get('app')).toEqual({ started: false, ready: false });
    h.manager.removePod(pod.uid);
    const proxyCalls = h.callsOf('proxy?');
    await h.clock.advance(3000);
    expect(h.callsOf('proxy?')).toBe(proxyCalls);
    expect(h.manager.states(pod.uid).size).toBe(0);
    expect(h.clock.pendingTimers()).toBe(0);
  });

  it('counts every run for metrics', async () => {
    const results: string[] = [];
    const h = new Harness({ onResult: (type, result) => results.push(`${type}:${result}`) });
    const pod = desiredPod({ containers: [container('app', { livenessProbe: exec('live?') })] });
    h.answer('live?', { exitCode: 0 }, { exitCode: 1 });
    h.manager.syncPod(pod, observed(pod, [running(pod, 'app', 'c1', h.clock.now())]));
    await h.clock.advance(0);
    await h.clock.advance(1000);
    expect(results).toEqual(['liveness:success', 'liveness:failure']);
    h.manager.stop();
  });
  it('reports each run with its pod, container and duration to onProbe, and ProbeMetrics renders the kubelet’s /metrics/probes', async () => {
    const runs: ProbeRun[] = [];
    const removed: Omit<ProbeRun, 'result' | 'durationSeconds'>[] = [];
    const h = new Harness({ onProbe: (run) => runs.push(run), onProbeRemoved: (p) => removed.push(p) });
    const pod = desiredPod({ containers: [container('app', { readinessProbe: exec('ready?') })] });
    h.answer('ready?', { exitCode: 0 }, { exitCode: 1 }, new Error('exec failed'));
    h.manager.syncPod(pod, observed(pod, [running(pod, 'app', 'c1', h.clock.now())]));
    await h.clock.advance(0);
    await h.clock.advance(10_000);
    await h.clock.advance(10_000);
    h.manager.stop();
    const base = { namespace: pod.namespace, pod: pod.name, podUid: pod.uid, container: 'app', type: 'readiness' as const, durationSeconds: 0 };
    // The errored third run is thrown away, as the kubelet's worker does.
    expect(runs).toEqual([
      { ...base, result: 'successful' },
      { ...base, result: 'failed' },
    ]);
    const metrics = new ProbeMetrics(1_700_000_000);
    for (const r of runs) metrics.record({ ...r, durationSeconds: 0.02 });
    const text = (await metrics.text()).body;
    const labels = `container="app",namespace="${pod.namespace}",pod="${pod.name}"`;
    expect(text).toContain('# HELP prober_probe_total [ALPHA] Cumulative number of a liveness, readiness or startup probe for a container by result.\n# TYPE prober_probe_total counter\n');
    expect(text).toContain(`prober_probe_total{${labels},pod_uid="${pod.uid}",probe_type="Readiness",result="successful"} 1\n`);
    expect(text).toContain(`prober_probe_total{${labels},pod_uid="${pod.uid}",probe_type="Readiness",result="failed"} 1\n`);
    // Durations of successful (and unknown) runs only.
    expect(text).toContain(`prober_probe_duration_seconds_count{${labels},probe_type="Readiness"} 1\n`);
    expect(text).toContain(`prober_probe_duration_seconds_bucket{le="0.025",${labels},probe_type="Readiness"} 1\n`);
    expect(text).toContain('process_start_time_seconds 1700000000\n');
    // The pod went (stop removes every pod): its series go with it.
    expect(removed).toEqual([{ namespace: pod.namespace, pod: pod.name, podUid: pod.uid, container: 'app', type: 'readiness' }]);
    for (const r of removed) metrics.remove(r);
    const after = (await metrics.text()).body;
    expect(after).not.toContain('prober_probe_total{');
    expect(after).not.toContain('prober_probe_duration_seconds_count{');
  });
});
