// postStart / preStop hooks on real containers of the harness's Docker Engine: first through
// the executor (where the events can be read), then through the agent.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABELS } from '../../agent/core/labels.js';
import { systemClock } from '../../agent/core/clock.js';
import type { DesiredPod } from '../../agent/core/types.js';
import type { ObservedPod, PodAction } from '../../agent/core/runtime-types.js';
import { EventStore } from '../../agent/events/event-store.js';
import { createLogger } from '../../agent/log/logger.js';
import { parseManifestFile } from '../../agent/manifest/parse-file.js';
import { toStaticPod } from '../../agent/manifest/identity.js';
import { DockerRuntime } from '../../agent/runtime/docker/docker-runtime.js';
import { NodeHostFs } from '../../agent/runtime/host-fs.js';
import { executePlan, type ExecuteDeps, type ExecuteResult } from '../../agent/sync/execute.js';
import { TEST_IMAGES, dockerClient } from '../helpers/docker-engine.js';
import { makeTestAgent, podContainers, removeNodeContainers, waitUntil, type TestAgent } from '../helpers/agent-harness.js';

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

  constructor(yaml: string, dir: string) {
    const parsed = parseManifestFile(yaml.replaceAll('$DIR', dir), '/manifests/test.yaml');
    if (parsed.errors.length > 0) throw new Error(parsed.errors.map((e) => e.message).join('\n'));
    const object = parsed.objects[0];
    if (object?.kind !== 'Pod') throw new Error('not a Pod');
    this.desired = toStaticPod(object.object, { nodeName: NODE, file: '/manifests/test.yaml', seenAt: new Date() });
    this.deps = {
      runtime,
      hostFs: new NodeHostFs(),
      translate: {
        nodeName: NODE,
        hostIPs: ['127.0.0.1'],
        podIPs: [],
        stateDir: join(dir, 'state'),
        podNetwork: 'none',
        podInfraImage: TEST_IMAGES.pause,
        nodeAllocatable: { cpuMilli: 1000, memoryBytes: 1 << 30 },
      },
      events: this.events,
      logger: createLogger({ level: 'silent' }),
      now: () => Date.now(),
    };
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

  async state(name: string): Promise<string | undefined> {
    return (await this.observe())?.containers.find((c) => c.name === name)?.state;
  }

  events_(reason: string): { message: string; type: string; fieldPath?: string }[] {
    return this.events.list((e) => e.reason === reason).map((e) => ({ message: e.message, type: e.type, fieldPath: e.involvedObject.fieldPath }));
  }
}

const TERM_TRAP = `trap 'echo term >> /m/order; exit 0' TERM; echo start >> /m/order; while true; do sleep 0.2; done`;

function podYaml(name: string, container: string, grace = 10): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: ${grace}
  volumes:
  - name: m
    hostPath: { path: $DIR/m, type: Directory }
  containers:
${container}`;
}

async function order(dir: string): Promise<string[]> {
  return (await readFile(join(dir, 'm', 'order'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
}

describe('hooks through the executor', () => {
  it('preStop runs before the container gets SIGTERM', async () => {
    const dir = await tempDir();
    const pod = new PodRun(
      podYaml(
        'prestop',
        `  - name: app
    image: ${TEST_IMAGES.busybox}
    command: ["sh", "-c", "${TERM_TRAP}"]
    volumeMounts: [{ name: m, mountPath: /m }]
    lifecycle:
      preStop:
        exec: { command: ["sh", "-c", "echo prestop >> /m/order; sleep 1"] }
`,
      ),
      dir,
    );
    const started = await pod.start();
    expect(started.startFailures.size).toBe(0);
    await waitUntil(async () => (await order(dir)).includes('start'), 'container started');
    await pod.run([{ type: 'killPod', reason: 'PodRemoved', message: 'gone', graceSeconds: 10 }]);
    expect(await order(dir)).toEqual(['start', 'prestop', 'term']);
    expect(await pod.state('app')).toBe('exited');
    expect(pod.events_('Killing')).toEqual([{ message: 'Stopping container app', type: 'Normal', fieldPath: 'spec.containers{app}' }]);
    expect(pod.events_('FailedPreStopHook')).toEqual([]);
  });

  it("takes the hook's time off the grace period, leaving at least 2 s", async () => {
    const dir = await tempDir();
    const pod = new PodRun(
      podYaml(
        'grace',
        `  - name: app
    image: ${TEST_IMAGES.busybox}
    command: ["sh", "-c", "trap '' TERM; echo start >> /m/order; while true; do sleep 0.2; done"]
    volumeMounts: [{ name: m, mountPath: /m }]
    lifecycle:
      preStop:
        exec: { command: ["sleep", "3"] }
`,
        5,
      ),
      dir,
    );
    await pod.start();
    await waitUntil(async () => (await order(dir)).includes('start'), 'container started');
    const c = (await pod.observe())?.containers.find((x) => x.name === 'app');
    const t0 = Date.now();
    await pod.run([{ type: 'killContainer', containerId: c?.id ?? '', container: 'app', reason: 'SpecChanged', message: 'changed', graceSeconds: 5 }]);
    const took = Date.now() - t0;
    // 3 s of hook + max(2, 5 - 3) s before SIGKILL; without the subtraction it would be 8 s.
    expect(took).toBeGreaterThanOrEqual(4500);
    expect(took).toBeLessThan(7000);
    expect(await pod.state('app')).toBe('exited');
  });

  it('a failing preStop hook is reported (without its output) and the container still stops', async () => {
    const dir = await tempDir();
    const pod = new PodRun(
      podYaml(
        'prestop-fails',
        `  - name: app
    image: ${TEST_IMAGES.busybox}
    command: ["sh", "-c", "${TERM_TRAP}"]
    volumeMounts: [{ name: m, mountPath: /m }]
    lifecycle:
      preStop:
        exec: { command: ["sh", "-c", "echo secret-token; exit 7"] }
`,
      ),
      dir,
    );
    await pod.start();
    await waitUntil(async () => (await order(dir)).includes('start'), 'container started');
    const c = (await pod.observe())?.containers.find((x) => x.name === 'app');
    await pod.run([{ type: 'killContainer', containerId: c?.id ?? '', container: 'app', reason: 'LivenessProbe', message: 'Container app failed liveness probe, will be restarted', graceSeconds: 10 }]);
    expect(pod.events_('FailedPreStopHook')).toEqual([{ message: 'PreStopHook failed', type: 'Warning', fieldPath: 'spec.containers{app}' }]);
    expect(pod.events_('Killing')).toEqual([{ message: 'Container app failed liveness probe, will be restarted', type: 'Normal', fieldPath: 'spec.containers{app}' }]);
    expect(await order(dir)).toEqual(['start', 'term']);
    expect(await pod.state('app')).toBe('exited');
  });

  it('a failing postStart hook kills the container: FailedPostStartHook, Killing, PostStartHookError', async () => {
    const dir = await tempDir();
    const pod = new PodRun(
      podYaml(
        'poststart-fails',
        `  - name: app
    image: ${TEST_IMAGES.busybox}
    command: ["sh", "-c", "${TERM_TRAP}"]
    volumeMounts: [{ name: m, mountPath: /m }]
    lifecycle:
      postStart:
        exec: { command: ["sh", "-c", "echo poststart >> /m/order; echo nope >&2; exit 1"] }
`,
      ),
      dir,
    );
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
    expect(await order(dir)).toContain('poststart');
    expect((await order(dir)).at(-1)).toBe('term');
  });

  it('postStart blocks the start of the next container until it returns', async () => {
    const dir = await tempDir();
    const pod = new PodRun(
      podYaml(
        'poststart-order',
        `  - name: first
    image: ${TEST_IMAGES.busybox}
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"]
    volumeMounts: [{ name: m, mountPath: /m }]
    lifecycle:
      postStart:
        exec: { command: ["sh", "-c", "sleep 1; echo first-hook-done >> /m/order"] }
  - name: second
    image: ${TEST_IMAGES.busybox}
    command: ["sh", "-c", "echo second-started >> /m/order; trap 'exit 0' TERM; while true; do sleep 0.2; done"]
    volumeMounts: [{ name: m, mountPath: /m }]
`,
      ),
      dir,
    );
    const result = await pod.start();
    expect(result.startFailures.size).toBe(0);
    await waitUntil(async () => (await order(dir)).length === 2, 'both wrote');
    expect(await order(dir)).toEqual(['first-hook-done', 'second-started']);
  });
});

// ---------------------------------------------------------------------------------------------
// Through the agent (execute.ts is what the agent runs, so no extra wiring is needed here).

let agents: TestAgent[] = [];
afterEach(async () => {
  await Promise.all(agents.map((a) => a.cleanup()));
  agents = [];
});

async function agent(): Promise<TestAgent> {
  const a = await makeTestAgent({ file: { crashLoopBackOff: { initial: '1s', max: '4s' } } });
  agents.push(a);
  return a;
}

describe('hooks through the agent', () => {
  it('runs preStop before SIGTERM when a definition change replaces the container', async () => {
    const a = await agent();
    const dir = await tempDir();
    const manifest = (greeting: string): string =>
      podYaml(
        'replaced',
        `  - name: app
    image: ${TEST_IMAGES.busybox}
    command: ["sh", "-c", "${TERM_TRAP}"]
    env: [{ name: GREETING, value: ${greeting} }]
    volumeMounts: [{ name: m, mountPath: /m }]
    lifecycle:
      preStop:
        exec: { command: ["sh", "-c", "echo prestop >> /m/order"] }
`,
      ).replaceAll('$DIR', dir);
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
      podYaml(
        'hook',
        `  - name: app
    image: ${TEST_IMAGES.busybox}
    command: ["sh", "-c", "${TERM_TRAP}"]
    volumeMounts: [{ name: m, mountPath: /m }]
    lifecycle:
      postStart:
        exec: { command: ["sh", "-c", "echo poststart >> /m/order; exit 1"] }
`,
        2,
      ).replaceAll('$DIR', dir),
    );
    const pod = `hook-${a.config.nodeName}`;
    await waitUntil(async () => (await order(dir)).filter((l) => l === 'poststart').length >= 2, 'the hook of a second attempt', 30_000);
    const apps = (await podContainers(a.docker, a.config.nodeName, pod)).filter((c) => c.Labels[LABELS.containerName] === 'app');
    expect(apps.map((c) => c.Labels[LABELS.restartCount])).toContain('1');
    // every attempt was killed after its hook failed: the TERM trap ran each time
    await waitUntil(async () => (await order(dir)).filter((l) => l === 'term').length >= 2, 'second attempt killed', 15_000);
    expect(a.logs.some((l) => l.msg === 'postStart hook failed; killing the container' && l.container === 'app')).toBe(true);
  });
});
