// Graceful node shutdown through the real Agent (FakePodRuntime, FakeClock, a fake logind): the
// agent kills each group's pods through their workers with the group's grace period, gives them
// the kubelet's status, never starts them again, refuses new pods, and a cancelled shutdown
// admits again. Before issue 17 the agent had none of this: PrepareForShutdown changed nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAgent, type FakeAgent } from '../../helpers/fake-agent.js';
import { FakeLogind } from '../../helpers/fake-logind.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import type { Pod } from 'kubernetes-types/core/v1.js';

const NODE = 'shutdown-unit-node';
const pod = (name: string, grace: number, extra = ''): string => `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  terminationGracePeriodSeconds: ${grace}
${extra}  containers:
  - { name: app, image: busybox }
`;
const CRITICAL = '  priorityClassName: system-node-critical\n  priority: 2000001000\n';

let fake: FakeAgent | undefined;
afterEach(async () => {
  await fake?.stop();
  fake = undefined;
});

async function start(): Promise<{ fake: FakeAgent; logind: FakeLogind; stops: { pod: string; container: string; grace: number; at: number }[] }> {
  // The logind fake's clock is only for its log; the agent's clock drives everything.
  const logind = new FakeLogind(new FakeClock());
  fake = await startFakeAgent({ nodeName: NODE, configFile: { shutdownGracePeriod: '20s', shutdownGracePeriodCriticalPods: '8s' }, logind });
  const f = fake;
  const stops: { pod: string; container: string; grace: number; at: number }[] = [];
  // The fake ignores the grace period; the agent passes it as the PodRuntime port says.
  const runtime = f.runtime as unknown as { stopContainer(id: string, grace: number): Promise<void> };
  const stop = runtime.stopContainer.bind(f.runtime);
  runtime.stopContainer = async (id: string, grace: number) => {
    const c = await f.runtime.inspectContainer(id);
    if (c && c.role !== 'sandbox' && c.state === 'running') stops.push({ pod: c.podName, container: c.name, grace, at: f.clock.monotonic() });
    await stop(id, grace);
  };
  await f.advance(100);
  return { fake: f, logind, stops };
}

const byName = (f: FakeAgent, name: string): Pod | undefined => f.agent.pods().find((p) => p.metadata?.name === `${name}-${NODE}`);

describe('graceful node shutdown in the agent', () => {
  it('kills non-critical pods with T−C, critical ones with C, sets the kubelet status, never restarts them, refuses new pods', async () => {
    const { fake: f, logind, stops } = await start();
    await f.apply(pod('web', 30) + '---\n' + pod('db', 5) + '---\n' + pod('critical', 30, CRITICAL));
    await f.advance(1000);
    expect(f.agent.pods().map((p) => p.status?.phase)).toEqual(['Running', 'Running', 'Running']);
    expect(logind.held).toBe(1);
    expect(f.agent.shutdownStatus()).toBeUndefined();

    logind.emit(true);
    expect(f.agent.shutdownStatus()).toBe('node is shutting down');
    await f.advance(100);
    await f.agent.shutdownManager?.processed();
    expect(logind.held).toBe(0);
    // Non-critical first (grace min(12, own)), then the critical one (8).
    expect(stops.map((s) => [s.pod, s.grace])).toEqual([
      [`web-${NODE}`, 12],
      [`db-${NODE}`, 5],
      [`critical-${NODE}`, 8],
    ]);
    for (const name of ['web', 'db', 'critical']) {
      const p = byName(f, name);
      expect(p?.status).toMatchObject({ phase: 'Failed', reason: 'Terminated', message: 'Pod was terminated in response to imminent node shutdown.' });
      expect(p?.status?.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({
        status: 'True',
        reason: 'TerminationByKubelet',
        message: 'Pod was terminated in response to imminent node shutdown.',
      });
    }
    expect(f.events.list().filter((e) => e.involvedObject.kind === 'Node').map((e) => `${e.reason}: ${e.message}`)).toContain('Shutdown: Shutdown manager detected shutdown event');

    // Relists and events do not bring them back; a new pod is refused.
    const starts = f.runtime.starts.length;
    await f.apply(pod('web', 30) + '---\n' + pod('db', 5) + '---\n' + pod('critical', 30, CRITICAL) + '---\n' + pod('late', 30));
    await f.advance(30_000);
    expect(f.runtime.starts.length).toBe(starts);
    expect(byName(f, 'late')?.status).toEqual({ phase: 'Failed', reason: 'NodeShutdown', message: 'Pod was rejected: Pod was rejected as the node is shutting down.' });
    expect(f.events.list().some((e) => e.reason === 'NodeShutdown' && e.message === 'Pod was rejected as the node is shutting down.')).toBe(true);
  });

  it('a cancelled shutdown admits the pods refused meanwhile, and takes the lock again', async () => {
    const { fake: f, logind } = await start();
    logind.emit(true);
    await f.advance(100);
    await f.apply(pod('late', 30));
    await f.advance(1000);
    expect(byName(f, 'late')?.status?.reason).toBe('NodeShutdown');
    logind.emit(false);
    await f.advance(1000);
    expect(f.agent.shutdownStatus()).toBeUndefined();
    expect(logind.held).toBe(1);
    expect(byName(f, 'late')?.status?.phase).toBe('Running');
  });
});
