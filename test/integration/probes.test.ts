// Probes against real containers on the harness's Docker Engine.
//
// 1. "pod loop": the ProbeManager with the real planner and executor, wired the way the agent
//    should wire it (syncPod right after every observe, unhealthy() into the plan, onChange
//    re-syncs the pod), on pods this test starts itself. These do not depend on agent.ts.
// 2. "agent": the same behaviours through nodelet itself (makeTestAgent). They need the
//    ProbeManager wired into agent.ts the same way, built with the agent's logger (the
//    assertions read its log lines), clock, events and hostIPs.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { LABELS } from '../../agent/core/labels.js';
import { systemClock } from '../../agent/core/clock.js';
import type { DesiredPod } from '../../agent/core/types.js';
import type { ObservedPod } from '../../agent/core/runtime-types.js';
import { EventStore } from '../../agent/events/event-store.js';
import { createLogger } from '../../agent/log/logger.js';
import { ProbeManager } from '../../agent/probe/prober.js';
import { DockerRuntime } from '../../agent/runtime/docker/docker-runtime.js';
import { DEFAULT_BACKOFF } from '../../agent/sync/backoff.js';
import { executePlan, type ExecuteDeps } from '../../agent/sync/execute.js';
import { computePodActions } from '../../agent/sync/plan.js';
import { dockerClient } from '../helpers/docker-engine.js';
import { removeNodeContainers, waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { busyboxSh, containersOf, desiredPodFromYaml, execAction, executeDeps, hostNetworkPod, probe, useTestAgents } from '../helpers/pod-fixtures.js';
import { freePort } from '../helpers/free-port.js';

const NODE = `it-probes-${process.pid}`;
const docker = dockerClient();
const runtime = new DockerRuntime({ docker, nodeName: NODE });


/** One pod synced like the agent does it, with a prober beside it. */
class PodLoop {
  readonly events = new EventStore({ clock: systemClock, source: 'test' });
  readonly prober: ProbeManager;
  readonly #deps: ExecuteDeps;
  #chain: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(
    readonly desired: DesiredPod,
    stateDir: string,
  ) {
    const logger = createLogger({ level: 'silent' });
    this.#deps = executeDeps({ runtime, nodeName: NODE, stateDir, events: this.events, logger });
    this.prober = new ProbeManager({
      runtime,
      clock: systemClock,
      events: this.events,
      logger,
      hostIPs: ['127.0.0.1'],
      onChange: () => void this.sync(),
      random: () => 0,
    });
  }

  async observe(): Promise<ObservedPod | undefined> {
    return (await runtime.listPods({ podUid: this.desired.uid })).find((p) => p.uid === this.desired.uid);
  }

  sync(): Promise<void> {
    this.#chain = this.#chain.then(() => this.#pass());
    return this.#chain;
  }

  async #pass(): Promise<void> {
    for (let round = 0; !this.#stopped; round++) {
      const observed = await this.observe();
      // The wiring the agent needs: the prober learns what runs right after every observe.
      this.prober.syncPod(this.desired, observed);
      if (round === 4) return;
      const plan = computePodActions(this.desired, observed, {
        now: Date.now(),
        backoff: new Map(),
        backoffPolicy: DEFAULT_BACKOFF,
        unhealthy: this.prober.unhealthy(this.desired.uid),
      });
      if (plan.actions.filter((a) => a.type !== 'backoff').length === 0) return;
      await executePlan(this.desired, observed, plan, this.#deps);
    }
  }

  async container(name: string): Promise<{ id: string; restartCount: number } | undefined> {
    const c = (await this.observe())?.containers.filter((x) => x.name === name && x.state === 'running').sort((a, b) => b.createdAt - a.createdAt)[0];
    return c ? { id: c.id, restartCount: c.restartCount } : undefined;
  }

  messages(reason: string): string[] {
    return this.events.list((e) => e.reason === reason).map((e) => e.message);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.prober.stop();
    await this.#chain.catch(() => undefined);
  }
}

const loops: PodLoop[] = [];
const dirs: string[] = [];

async function startLoop(yaml: string): Promise<PodLoop> {
  const dir = await mkdtemp(join(tmpdir(), 'nodelet-probes-'));
  dirs.push(dir);
  const loop = new PodLoop(desiredPodFromYaml(yaml.replaceAll('$DIR', dir), NODE), join(dir, 'state'));
  loops.push(loop);
  await loop.sync();
  return loop;
}

/** Serves /www over HTTP on 127.0.0.1:port until SIGTERM. */
const httpd = (port: number): string => `mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 127.0.0.1:${port} -h /www`;
const TRAP_AND_LOOP = "trap 'exit 0' TERM; while true; do sleep 0.2; done";
/** Starts after 4 s; only then do the startup and liveness probes succeed. */
const SLOW_START = "trap 'exit 0' TERM; sleep 4; touch /tmp/started /tmp/alive; while true; do sleep 0.2; done";
const SLOW_START_PROBES = [probe('startupProbe', execAction(['cat', '/tmp/started']), 30), probe('livenessProbe', execAction(['cat', '/tmp/alive']), 1)];

afterEach(async () => {
  await Promise.all(loops.splice(0).map((l) => l.stop()));
  await removeNodeContainers(docker, NODE);
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('probes on real containers (prober + planner + executor)', () => {
  it('an exec liveness probe that starts failing: Unhealthy, Killing, restarted with restartCount 1', async () => {
    const loop = await startLoop(hostNetworkPod('live', 2, busyboxSh('app', `touch /tmp/healthy; ${TRAP_AND_LOOP}`, probe('livenessProbe', execAction(['cat', '/tmp/healthy']), 2))));
    const first = await waitUntil(() => loop.container('app'), 'app running');
    expect(first.restartCount).toBe(0);
    // healthy for a while: nothing happens
    await new Promise((r) => setTimeout(r, 2500));
    expect(loop.messages('Unhealthy')).toEqual([]);
    expect((await loop.container('app'))?.id).toBe(first.id);

    await runtime.exec(first.id, ['rm', '/tmp/healthy'], { timeoutMs: 5000 });
    const second = await waitUntil(async () => {
      const c = await loop.container('app');
      return c && c.id !== first.id ? c : undefined;
    }, 'a new app container', 30_000);
    expect(second.restartCount).toBe(1);
    expect(loop.messages('Unhealthy')).toContain("Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n");
    expect(loop.messages('Killing')).toContain('Container app failed liveness probe, will be restarted');
    // the new container is healthy again and keeps running
    await new Promise((r) => setTimeout(r, 2500));
    expect((await loop.container('app'))?.id).toBe(second.id);
    expect(loop.prober.unhealthy(loop.desired.uid).size).toBe(0);
  });

  it('a readiness httpGet probe against busybox httpd flips ready when the file goes and comes back', async () => {
    const port = await freePort();
    const loop = await startLoop(hostNetworkPod('ready', 2, busyboxSh('web', httpd(port), probe('readinessProbe', `httpGet: { path: /index.html, port: ${port} }`, 1))));
    const web = await waitUntil(() => loop.container('web'), 'web running');
    const ready = (): boolean | undefined => loop.prober.states(loop.desired.uid).get('web')?.ready;
    await waitUntil(async () => ready() === true, 'ready', 15_000);
    await runtime.exec(web.id, ['rm', '/www/index.html'], { timeoutMs: 5000 });
    await waitUntil(async () => ready() === false, 'not ready', 15_000);
    expect(loop.messages('Unhealthy')).toContain('Readiness probe failed: HTTP probe failed with statuscode: 404');
    await runtime.exec(web.id, ['sh', '-c', 'echo ok > /www/index.html'], { timeoutMs: 5000 });
    await waitUntil(async () => ready() === true, 'ready again', 15_000);
    // readiness never restarts a container
    expect((await loop.container('web'))?.id).toBe(web.id);
    expect(loop.messages('Killing')).toEqual([]);
  });

  it('a startupProbe holds liveness back until it succeeds', async () => {
    const loop = await startLoop(hostNetworkPod('slow-start', 2, busyboxSh('app', SLOW_START, ...SLOW_START_PROBES)));
    const app = await waitUntil(() => loop.container('app'), 'app running');
    // Liveness alone would have killed it within a second or two; the startup probe holds it back.
    await waitUntil(async () => loop.prober.states(loop.desired.uid).get('app')?.started === true, 'started', 20_000);
    expect(loop.messages('Unhealthy').some((m) => m.startsWith('Startup probe failed: '))).toBe(true);
    expect(loop.messages('Unhealthy').some((m) => m.startsWith('Liveness probe failed: '))).toBe(false);
    await new Promise((r) => setTimeout(r, 2000));
    expect((await loop.container('app'))?.id).toBe(app.id);
    expect(loop.messages('Killing')).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Through the agent (needs the ProbeManager wired into agent.ts).

const agent = useTestAgents({ file: { crashLoopBackOff: { initial: '1s', max: '4s' } } });
afterAll(async () => {
  await removeNodeContainers(docker, NODE);
});

/** The running Docker container of `container` in pod `pod` (its manifest name), other than `except`. */
async function runningContainer(a: TestAgent, pod: string, container: string, except?: string): Promise<Docker.ContainerInfo | undefined> {
  return (await containersOf(a, pod, container)).find((c) => c.State === 'running' && c.Id !== except);
}

function logged(a: TestAgent, msg: string, fields: Record<string, unknown> = {}): boolean {
  return a.logs.some((l) => l.msg === msg && Object.entries(fields).every(([k, v]) => l[k] === v));
}

describe('probes through the agent', () => {
  it('restarts a container whose exec liveness probe fails, with restartCount 1', async () => {
    const a = await agent();
    await a.write('live.yaml', hostNetworkPod('live', 2, busyboxSh('app', TRAP_AND_LOOP, probe('livenessProbe', execAction(['sh', '-c', 'test ! -f /tmp/unhealthy']), 2))));
    const first = await waitUntil(() => runningContainer(a, 'live', 'app'), 'app running');
    await a.docker.getContainer(first.Id).exec({ Cmd: ['touch', '/tmp/unhealthy'] }).then((e) => e.start({ Detach: true }));
    const second = await waitUntil(() => runningContainer(a, 'live', 'app', first.Id), 'restarted app', 30_000);
    expect(second.Labels[LABELS.restartCount]).toBe('1');
    expect(logged(a, 'container killed', { container: 'app', reason: 'LivenessProbe' })).toBe(true);
    expect(logged(a, 'liveness probe failed; the container will be killed', { container: 'app' })).toBe(true);
  });

  it('flips readiness of an httpGet probe against busybox httpd on the host network', async () => {
    const a = await agent();
    const port = await freePort();
    await a.write('web.yaml', hostNetworkPod('web', 2, busyboxSh('web', httpd(port), probe('readinessProbe', `httpGet: { host: 127.0.0.1, path: /index.html, port: ${port} }`, 1))));
    const web = await waitUntil(() => runningContainer(a, 'web', 'web'), 'web running');
    const changes = (result: string): number => a.logs.filter((l) => l.msg === 'readiness probe result changed' && l.container === 'web' && l.result === result).length;
    await waitUntil(async () => changes('Success') >= 1, 'ready', 15_000);
    const exec = async (cmd: string[]): Promise<void> => {
      const e = await a.docker.getContainer(web.Id).exec({ Cmd: cmd });
      await e.start({ Detach: true });
    };
    await exec(['rm', '/www/index.html']);
    await waitUntil(async () => changes('Failure') >= 1, 'not ready', 15_000);
    await exec(['sh', '-c', 'echo ok > /www/index.html']);
    await waitUntil(async () => changes('Success') >= 2, 'ready again', 15_000);
    expect(await containersOf(a, 'web', 'web')).toHaveLength(1);
  });

  it('does not run liveness before the startup probe succeeded', async () => {
    const a = await agent();
    await a.write('slow.yaml', hostNetworkPod('slow', 2, busyboxSh('app', SLOW_START, ...SLOW_START_PROBES)));
    await waitUntil(async () => logged(a, 'startup probe result changed', { container: 'app', result: 'Success' }), 'started', 20_000);
    await new Promise((r) => setTimeout(r, 2000));
    const apps = await containersOf(a, 'slow', 'app');
    expect(apps).toHaveLength(1);
    expect(apps[0]?.State).toBe('running');
    expect(logged(a, 'container killed', { container: 'app' })).toBe(false);
  });
});

