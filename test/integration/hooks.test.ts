// postStart / preStop hooks on real containers of the harness's Docker Engine: first through
// the executor (where the events can be read), then through the agent.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABELS } from '../../agent/core/labels.js';
import { systemClock } from '../../agent/core/clock.js';
import type { DesiredPod } from '../../agent/core/types.js';
import type { ObservedContainer, ObservedPod, PodAction } from '../../agent/core/runtime-types.js';
import { EventStore } from '../../agent/events/event-store.js';
import { createLogger } from '../../agent/log/logger.js';
import { DockerRuntime } from '../../agent/runtime/docker/docker-runtime.js';
import { executePlan, type ExecuteDeps, type ExecuteResult } from '../../agent/sync/execute.js';
import { dockerClient } from '../helpers/docker-engine.js';
import { removeNodeContainers, waitUntil } from '../helpers/agent-harness.js';
import { busyboxSh, containersOf, desiredPodFromYaml, execHook, executeDeps, hostNetworkPod, useTestAgents } from '../helpers/pod-fixtures.js';

const NODE = `it-hooks-${process.pid}`;
const docker = dockerClient();
const runtime = new DockerRuntime({ docker, nodeName: NODE });
const dirs: string[] = [];

afterEach(async () => {
  await removeNodeContainers(docker, NODE);
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'nodelet-hooks-'));
  dirs.push(dir);
  await mkdir(join(dir, 'm'), { recursive: true });
  return dir;
}

/** A pod run straight through the executor, with its own event store. */
class PodRun {
  readonly events = new EventStore({ clock: systemClock, source: 'test' });
  readonly deps: ExecuteDeps;
  readonly desired: DesiredPod;

  /** A pod `name` of `containers` with the volume m ($DIR/m) in a fresh temp dir. */
  static async create(name: string, containers: string, grace?: number): Promise<PodRun> {
    return new PodRun(podYaml(name, containers, grace), await tempDir());
  }

  constructor(
    yaml: string,
    readonly dir: string,
  ) {
    this.desired = desiredPodFromYaml(yaml.replaceAll('$DIR', dir), NODE);
    this.deps = executeDeps({ runtime, nodeName: NODE, stateDir: join(dir, 'state'), events: this.events, logger: createLogger({ level: 'silent' }) });
  }

  async observe(): Promise<ObservedPod | undefined> {
    return (await runtime.listPods({ podUid: this.desired.uid })).find((p) => p.uid === this.desired.uid);
  }

  async run(actions: PodAction[], desired: DesiredPod | undefined = this.desired): Promise<ExecuteResult> {
    return executePlan(desired, await this.observe(), { uid: this.desired.uid, actions }, this.deps);
  }

  /** Volumes, sandbox, then the app containers in spec order. */
  async start(): Promise<ExecuteResult> {
    const starts: PodAction[] = (this.desired.pod.spec?.containers ?? []).map((c) => ({ type: 'startContainer', container: c.name, role: 'app', restartCount: 0 }));
    return this.run([{ type: 'prepareVolumes' }, { type: 'createSandbox', attempt: 0 }, ...starts]);
  }

  /** The container `app` once it has written `start`. */
  async startedApp(): Promise<ObservedContainer | undefined> {
    await waitUntil(async () => (await order(this.dir)).includes('start'), 'container started');
    return (await this.observe())?.containers.find((x) => x.name === 'app');
  }

  async state(name: string): Promise<string | undefined> {
    return (await this.observe())?.containers.find((c) => c.name === name)?.state;
  }

  events_(reason: string): { message: string; type: string; fieldPath?: string }[] {
    return this.events.list((e) => e.reason === reason).map((e) => ({ message: e.message, type: e.type, fieldPath: e.involvedObject.fieldPath }));
  }
}

const TERM_TRAP = `trap 'echo term >> /m/order; exit 0' TERM; echo start >> /m/order; while true; do sleep 0.2; done`;

/** Every container mounts the host directory $DIR/m at /m, where they write `order`. */
const MOUNT_M = '    volumeMounts: [{ name: m, mountPath: /m }]';

function podYaml(name: string, containers: string, grace = 10): string {
  return hostNetworkPod(name, grace, containers, '  - name: m\n    hostPath: { path: $DIR/m, type: Directory }\n');
}

/** A container `app` that records its start and its SIGTERM in /m/order, with one exec hook. */
function orderedApp(hook: 'postStart' | 'preStop', script: string, ...more: string[]): string {
  return busyboxSh('app', TERM_TRAP, ...more, MOUNT_M, execHook(hook, ['sh', '-c', script]));
}

async function order(dir: string): Promise<string[]> {
  return (await readFile(join(dir, 'm', 'order'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
}

describe('hooks through the executor', () => {
  it('preStop runs before the container gets SIGTERM', async () => {
    const pod = await PodRun.create('prestop', orderedApp('preStop', 'echo prestop >> /m/order; sleep 1'));
    const started = await pod.start();
    expect(started.startFailures.size).toBe(0);
    await pod.startedApp();
    await pod.run([{ type: 'killPod', reason: 'PodRemoved', message: 'gone', graceSeconds: 10 }]);
    expect(await order(pod.dir)).toEqual(['start', 'prestop', 'term']);
    expect(await pod.state('app')).toBe('exited');
    expect(pod.events_('Killing')).toEqual([{ message: 'Stopping container app', type: 'Normal', fieldPath: 'spec.containers{app}' }]);
    expect(pod.events_('FailedPreStopHook')).toEqual([]);
  });

  it("takes the hook's time off the grace period, leaving at least 2 s", async () => {
    const pod = await PodRun.create('grace', busyboxSh('app', "trap '' TERM; echo start >> /m/order; while true; do sleep 0.2; done", MOUNT_M, execHook('preStop', ['sleep', '3'])), 5);
    await pod.start();
    const c = await pod.startedApp();
    const t0 = Date.now();
    await pod.run([{ type: 'killContainer', containerId: c?.id ?? '', container: 'app', reason: 'SpecChanged', message: 'changed', graceSeconds: 5 }]);
    const took = Date.now() - t0;
    // 3 s of hook + max(2, 5 - 3) s before SIGKILL; without the subtraction it would be 8 s.
    expect(took).toBeGreaterThanOrEqual(4500);
    expect(took).toBeLessThan(7000);
    expect(await pod.state('app')).toBe('exited');
  });

  it('a failing preStop hook is reported (without its output) and the container still stops', async () => {
    const pod = await PodRun.create('prestop-fails', orderedApp('preStop', 'echo secret-token; exit 7'));
    await pod.start();
    const c = await pod.startedApp();
    await pod.run([{ type: 'killContainer', containerId: c?.id ?? '', container: 'app', reason: 'LivenessProbe', message: 'Container app failed liveness probe, will be restarted', graceSeconds: 10 }]);
    expect(pod.events_('FailedPreStopHook')).toEqual([{ message: 'PreStopHook failed', type: 'Warning', fieldPath: 'spec.containers{app}' }]);
    expect(pod.events_('Killing')).toEqual([{ message: 'Container app failed liveness probe, will be restarted', type: 'Normal', fieldPath: 'spec.containers{app}' }]);
    expect(await order(pod.dir)).toEqual(['start', 'term']);
    expect(await pod.state('app')).toBe('exited');
  });

  it('a failing postStart hook kills the container: FailedPostStartHook, Killing, PostStartHookError', async () => {
    const pod = await PodRun.create('poststart-fails', orderedApp('postStart', 'echo poststart >> /m/order; echo nope >&2; exit 1'));
    const result = await pod.start();
    const failure = result.startFailures.get('app');
    expect(failure?.reason).toBe('PostStartHookError');
    expect(failure?.message).toBe(
      `Exec lifecycle hook ([sh -c echo poststart >> /m/order; echo nope >&2; exit 1]) for Container "app" in Pod "${pod.desired.name}_default(${pod.desired.uid})" failed - error: command 'sh -c echo poststart >> /m/order; echo nope >&2; exit 1' exited with 1: nope\n, message: "nope\\n"`,
    );
    expect(result.started).toEqual([]);
    expect(pod.events_('FailedPostStartHook')).toEqual([{ message: 'PostStartHook failed', type: 'Warning', fieldPath: 'spec.containers{app}' }]);
    expect(pod.events_('Killing')).toEqual([{ message: 'FailedPostStartHook', type: 'Normal', fieldPath: 'spec.containers{app}' }]);
    expect(await pod.state('app')).toBe('exited');
    expect(await order(pod.dir)).toContain('poststart');
    expect((await order(pod.dir)).at(-1)).toBe('term');
  });

  it('postStart blocks the start of the next container until it returns', async () => {
    const pod = await PodRun.create(
      'poststart-order',
      busyboxSh('first', "trap 'exit 0' TERM; while true; do sleep 0.2; done", MOUNT_M, execHook('postStart', ['sh', '-c', 'sleep 1; echo first-hook-done >> /m/order'])) +
        busyboxSh('second', "echo second-started >> /m/order; trap 'exit 0' TERM; while true; do sleep 0.2; done", MOUNT_M),
    );
    const result = await pod.start();
    expect(result.startFailures.size).toBe(0);
    await waitUntil(async () => (await order(pod.dir)).length === 2, 'both wrote');
    expect(await order(pod.dir)).toEqual(['first-hook-done', 'second-started']);
  });
});

// ---------------------------------------------------------------------------------------------
// Through the agent (execute.ts is what the agent runs, so no extra wiring is needed here).

const agent = useTestAgents({ file: { crashLoopBackOff: { initial: '1s', max: '4s' } } });

describe('hooks through the agent', () => {
  it('runs preStop before SIGTERM when a definition change replaces the container', async () => {
    const a = await agent();
    const dir = await tempDir();
    const manifest = (greeting: string): string =>
      podYaml('replaced', orderedApp('preStop', 'echo prestop >> /m/order', `    env: [{ name: GREETING, value: ${greeting} }]`)).replaceAll('$DIR', dir);
    await a.write('replaced.yaml', manifest('hello'));
    await waitUntil(async () => (await order(dir)).includes('start'), 'first container started');
    await a.writeAtomic('replaced.yaml', manifest('bonjour'));
    await waitUntil(async () => (await order(dir)).length >= 4, 'replacement started', 30_000);
    expect(await order(dir)).toEqual(['start', 'prestop', 'term', 'start']);
  });

  it('kills and restarts a container whose postStart hook fails', async () => {
    const a = await agent();
    const dir = await tempDir();
    await a.write(
      'hook.yaml',
      podYaml('hook', orderedApp('postStart', 'echo poststart >> /m/order; exit 1'), 2).replaceAll('$DIR', dir),
    );
    await waitUntil(async () => (await order(dir)).filter((l) => l === 'poststart').length >= 2, 'the hook of a second attempt', 30_000);
    const apps = await containersOf(a, 'hook', 'app');
    expect(apps.map((c) => c.Labels[LABELS.restartCount])).toContain('1');
    // every attempt was killed after its hook failed: the TERM trap ran each time
    await waitUntil(async () => (await order(dir)).filter((l) => l === 'term').length >= 2, 'second attempt killed', 15_000);
    expect(a.logs.some((l) => l.msg === 'postStart hook failed; killing the container' && l.container === 'app')).toBe(true);
  });
});
