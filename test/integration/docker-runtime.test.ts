// DockerRuntime against the real engine of the test harness (DOCKER_HOST from the integration
// project's global setup), plus a throwaway dockerd of its own for the reconnect test.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, closeSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNodeletError } from '../../agent/core/errors.js';
import { LABELS, SANDBOX_CONTAINER_NAME, dockerContainerName, toIdentityLabels } from '../../agent/core/labels.js';
import type { ContainerRole, ContainerSpec, MountSpec, NamespaceSpec } from '../../agent/core/runtime-types.js';
import { DockerRuntime } from '../../agent/runtime/docker/docker-runtime.js';
import { ContainerRunError, ExecTimeoutError, ImagePullError, type RuntimeEvent } from '../../agent/runtime/pod-runtime.js';
import { TEST_IMAGES, dockerClient, removeContainersByLabel, waitFor } from '../helpers/docker-engine.js';

const NODE = `e-runtime-${process.pid}`;
const NS = 'default';
let docker: Docker;
let runtime: DockerRuntime;
let podSeq = 0;

/** A fresh pod identity per test, so tests do not see each other's containers. */
function newPod(name = 'web'): { uid: string; name: string } {
  podSeq += 1;
  return { uid: `${process.pid}-0000-4000-8000-${String(podSeq).padStart(12, '0')}`, name: `${name}-${podSeq}` };
}

const NO_SECURITY = { privileged: false, groupAdd: [], capAdd: [], capDrop: [], readonlyRootfs: false, noNewPrivileges: false, sysctls: {} };

function sandboxSpec(pod: { uid: string; name: string }, attempt = 0): ContainerSpec {
  return {
    dockerName: dockerContainerName(SANDBOX_CONTAINER_NAME, pod.name, NS, pod.uid, attempt),
    image: TEST_IMAGES.pause,
    env: [],
    tty: false,
    openStdin: false,
    stdinOnce: false,
    mounts: [],
    namespaces: { network: { mode: 'none' }, ipc: 'shareable', pid: 'private' },
    portBindings: [],
    hostname: pod.name,
    extraHosts: [],
    resources: {},
    security: NO_SECURITY,
    stopTimeout: 10,
    labels: toIdentityLabels({ node: NODE, podUid: pod.uid, podName: pod.name, podNamespace: NS, container: SANDBOX_CONTAINER_NAME, role: 'sandbox', specHash: 'sandbox0', restartCount: attempt }),
  };
}

function containerSpec(
  pod: { uid: string; name: string },
  opts: { name: string; script?: string; entrypoint?: string[]; image?: string; role?: Exclude<ContainerRole, 'sandbox'>; restartCount?: number; sandboxId?: string; mounts?: MountSpec[]; standalone?: boolean },
): ContainerSpec {
  const restartCount = opts.restartCount ?? 0;
  const namespaces: NamespaceSpec = opts.standalone
    ? { network: { mode: 'none' }, ipc: 'shareable', pid: 'private' }
    : { network: { mode: 'sandbox' }, ipc: 'sandbox', pid: 'private' };
  return {
    dockerName: dockerContainerName(opts.name, pod.name, NS, pod.uid, restartCount),
    image: opts.image ?? TEST_IMAGES.busybox,
    entrypoint: opts.entrypoint ?? ['sh', '-c', opts.script ?? 'while :; do sleep 1; done'],
    env: ['GREETING=hello'],
    tty: false,
    openStdin: false,
    stdinOnce: false,
    mounts: opts.mounts ?? [],
    namespaces,
    portBindings: [],
    extraHosts: [],
    resources: {},
    security: NO_SECURITY,
    stopTimeout: 30,
    labels: toIdentityLabels({
      node: NODE,
      podUid: pod.uid,
      podName: pod.name,
      podNamespace: NS,
      container: opts.name,
      role: opts.role ?? 'app',
      specHash: `hash-${opts.name}`,
      restartCount,
      ...(opts.sandboxId ? { sandboxId: opts.sandboxId } : {}),
    }),
  };
}

/** A standalone busybox container of ours (no sandbox), for lifecycle tests. */
async function runStandalone(script: string, name = 'solo'): Promise<{ id: string; pod: { uid: string; name: string } }> {
  const pod = newPod(name);
  const id = await runtime.runContainer(containerSpec(pod, { name, script, standalone: true }), {});
  return { id, pod };
}

async function podOf(uid: string) {
  return (await runtime.listPods()).find((p) => p.uid === uid);
}

/** Consumes an event stream in the background, keeping everything it yields. */
function collect(events: AsyncIterable<RuntimeEvent>): { seen: Array<RuntimeEvent & { receivedAt: number }>; done: Promise<void> } {
  const seen: Array<RuntimeEvent & { receivedAt: number }> = [];
  const done = (async () => {
    for await (const ev of events) seen.push({ ...ev, receivedAt: Date.now() });
  })();
  return { seen, done };
}

beforeAll(() => {
  docker = dockerClient();
  runtime = new DockerRuntime({ docker, nodeName: NODE });
});

afterAll(async () => {
  await removeContainersByLabel(`${LABELS.node}=${NODE}`, docker);
  const vols = await docker.listVolumes({ filters: { label: [`${LABELS.node}=${NODE}`] } });
  for (const v of vols.Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
});

describe('engine', () => {
  it('ping and version', async () => {
    await runtime.ping();
    const v = await runtime.version();
    expect(v.version).toMatch(/^\d+\.\d+/);
    expect(v.apiVersion).toMatch(/^1\.\d+$/);
  });

  it('ping honours an aborted signal', async () => {
    await expect(runtime.ping(AbortSignal.abort())).rejects.toThrow();
  });

  it('an unreachable engine is a retryable NLT_RUNTIME_UNAVAILABLE', async () => {
    const gone = new DockerRuntime({ docker: new Docker({ socketPath: '/tmp/nodelet-no-such-engine.sock' }), nodeName: NODE });
    const err: unknown = await gone.listPods().catch((e: unknown) => e);
    expect(isNodeletError(err, 'NLT_RUNTIME_UNAVAILABLE')).toBe(true);
    expect((err as { retryable?: boolean }).retryable).toBe(true);
  });
});

describe('pods: sandbox + container', () => {
  it('runs a pause sandbox and a busybox container in its namespaces; listPods groups them', async () => {
    const pod = newPod();
    const sandboxId = await runtime.runContainer(sandboxSpec(pod), {});
    const appId = await runtime.runContainer(containerSpec(pod, { name: 'app', restartCount: 3, sandboxId }), { sandboxId });

    const observed = await podOf(pod.uid);
    expect(observed).toMatchObject({ uid: pod.uid, name: pod.name, namespace: NS });
    expect(observed?.sandboxes).toHaveLength(1);
    expect(observed?.sandboxes[0]).toMatchObject({ id: sandboxId, name: 'POD', role: 'sandbox', state: 'running', sandboxId: '', image: TEST_IMAGES.pause, specHash: 'sandbox0' });
    expect(observed?.containers).toHaveLength(1);
    expect(observed?.containers[0]).toMatchObject({ id: appId, name: 'app', role: 'app', state: 'running', sandboxId, restartCount: 3, specHash: 'hash-app', image: TEST_IMAGES.busybox });
    expect(observed?.containers[0]?.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(observed?.containers[0]?.startedAt).toBeGreaterThan(Date.now() - 60_000);

    const info = await docker.getContainer(appId).inspect();
    expect(info.HostConfig.NetworkMode).toBe(`container:${sandboxId}`);
    expect(info.Name).toBe(`/${dockerContainerName('app', pod.name, NS, pod.uid, 3)}`);

    expect(await runtime.inspectContainer(appId)).toMatchObject({ id: appId, state: 'running' });
    expect(await runtime.listPods({ podUid: pod.uid })).toHaveLength(1);
  });

  it('another node on the same engine sees none of them', async () => {
    const { pod } = await runStandalone('sleep 300');
    const other = new DockerRuntime({ docker, nodeName: `${NODE}-other` });
    expect((await other.listPods()).find((p) => p.uid === pod.uid)).toBeUndefined();
  });

  it('an idle relist costs one request; a changed container costs one inspect more', async () => {
    const { id } = await runStandalone('sleep 300', 'idle');
    await runStandalone('sleep 300', 'idle');
    await runtime.listPods();
    const before = runtime.stats();
    const pods = await runtime.listPods();
    const after = runtime.stats();
    expect(pods.length).toBeGreaterThanOrEqual(2);
    expect(after.total - before.total).toBe(1);
    expect(after.calls.containerList - before.calls.containerList).toBe(1);
    expect(after.calls.containerInspect - before.calls.containerInspect).toBe(0);

    await docker.getContainer(id).kill();
    await waitFor(async () => (await docker.getContainer(id).inspect()).State.Status === 'exited');
    const beforeChange = runtime.stats();
    const changed = await runtime.listPods();
    expect(runtime.stats().calls.containerInspect - beforeChange.calls.containerInspect).toBe(1);
    expect(changed.flatMap((p) => p.containers).find((c) => c.id === id)).toMatchObject({ state: 'exited', exitCode: 137, oomKilled: false });
  });

  it('inspectContainer of an unknown or foreign container is undefined', async () => {
    expect(await runtime.inspectContainer('0123456789ab')).toBeUndefined();
    const foreign = await docker.createContainer({ Image: TEST_IMAGES.busybox, Cmd: ['true'], Labels: { [LABELS.node]: NODE }, HostConfig: { NetworkMode: 'none' } });
    try {
      expect(await runtime.inspectContainer(foreign.id)).toBeUndefined();
    } finally {
      await foreign.remove({ force: true });
    }
  });
});

describe('runContainer failures and name conflicts', () => {
  it('a dead leftover holding the name is removed and the create retried', async () => {
    const pod = newPod('conflict');
    const spec = containerSpec(pod, { name: 'once', script: 'exit 0', standalone: true });
    const first = await runtime.runContainer(spec, {});
    await waitFor(async () => (await docker.getContainer(first).inspect()).State.Status === 'exited');
    const second = await runtime.runContainer(spec, {});
    expect(second).not.toBe(first);
    expect(await runtime.inspectContainer(first)).toBeUndefined();
  });

  it('a running namesake is a CreateContainerError and is left alone', async () => {
    const pod = newPod('conflict');
    const spec = containerSpec(pod, { name: 'busy', script: 'sleep 300', standalone: true });
    const first = await runtime.runContainer(spec, {});
    const err: unknown = await runtime.runContainer(spec, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContainerRunError);
    expect((err as ContainerRunError).reason).toBe('CreateContainerError');
    expect((err as ContainerRunError).message).toMatch(/^Error response from daemon: Conflict\. The container name .* is already in use/);
    expect(await runtime.inspectContainer(first)).toMatchObject({ state: 'running' });
  });

  it('a missing image is a CreateContainerError', async () => {
    const pod = newPod('noimage');
    const err: unknown = await runtime.runContainer(containerSpec(pod, { name: 'x', image: 'nodelet-test/absent:0.0.1', standalone: true }), {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContainerRunError);
    expect((err as ContainerRunError).reason).toBe('CreateContainerError');
    expect((err as ContainerRunError).message).toMatch(/^Error response from daemon: No such image: nodelet-test\/absent:0\.0\.1/);
  });

  it('a Localhost seccomp profile is read from the host; a missing one is a CreateContainerError', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nodelet-seccomp-'));
    try {
      const profile = join(dir, 'allow.json');
      writeFileSync(profile, '{\n  "defaultAction": "SCMP_ACT_ALLOW"\n}\n');
      const pod = newPod('seccomp');
      const base = containerSpec(pod, { name: 'sc', script: 'sleep 300', standalone: true });
      const id = await runtime.runContainer({ ...base, security: { ...base.security, seccomp: `localhost/${profile}` } }, {});
      expect(await runtime.inspectContainer(id)).toMatchObject({ state: 'running' });
      expect((await docker.getContainer(id).inspect()).HostConfig.SecurityOpt).toEqual(['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}']);

      const missing = join(dir, 'missing.json');
      const other = containerSpec(pod, { name: 'sc2', script: 'sleep 300', standalone: true });
      const err: unknown = await runtime.runContainer({ ...other, security: { ...other.security, seccomp: `localhost/${missing}` } }, {}).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ContainerRunError);
      expect(err).toMatchObject({ reason: 'CreateContainerError', retryable: false });
      expect((err as Error).message).toBe(`cannot load seccomp profile "${missing}": open ${missing}: no such file or directory`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a container that joins a sandbox without a sandbox ID is a CreateContainerError', async () => {
    const pod = newPod('nosandbox');
    const err: unknown = await runtime.runContainer(containerSpec(pod, { name: 'orphan' }), {}).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'CreateContainerError', retryable: false });
  });

  it('a start failure is a RunContainerError; the container stays, exited with the engine error', async () => {
    const pod = newPod('nostart');
    const err: unknown = await runtime.runContainer(containerSpec(pod, { name: 'bad', entrypoint: ['/no/such/binary'], standalone: true }), {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContainerRunError);
    const runErr = err as ContainerRunError;
    expect(runErr.reason).toBe('RunContainerError');
    expect(runErr.containerId).toMatch(/^[0-9a-f]{64}$/);
    expect(runErr.message).toContain(`failed to start container "${runErr.containerId}": Error response from daemon: `);
    expect(runErr.message).toContain('/no/such/binary');
    const observed = await runtime.inspectContainer(runErr.containerId ?? '');
    expect(observed).toMatchObject({ state: 'exited', name: 'bad' });
    expect(observed?.error).toContain('/no/such/binary');
  });
});

describe('stop, remove, exec', () => {
  it('stopContainer: a container that handles SIGTERM exits by itself, well within the grace', async () => {
    const { id } = await runStandalone('trap "exit 0" TERM; while :; do sleep 0.1; done', 'polite');
    const started = Date.now();
    await runtime.stopContainer(id, 10);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await runtime.inspectContainer(id)).toMatchObject({ state: 'exited', exitCode: 0 });
  });

  it('stopContainer: a container ignoring SIGTERM is killed when the grace runs out', async () => {
    const { id } = await runStandalone('trap "" TERM; while :; do sleep 0.1; done', 'stubborn');
    const started = Date.now();
    await runtime.stopContainer(id, 2);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(1900);
    expect(took).toBeLessThan(8000);
    expect(await runtime.inspectContainer(id)).toMatchObject({ state: 'exited', exitCode: 137 });
  });

  it('stopContainer: not running and not found are not errors', async () => {
    const { id } = await runStandalone('exit 0', 'done');
    await waitFor(async () => (await docker.getContainer(id).inspect()).State.Status === 'exited');
    await runtime.stopContainer(id, 2);
    await runtime.stopContainer('0123456789abcdef', 2);
  });

  it('removeContainer removes (running too) and tolerates a missing container', async () => {
    const { id } = await runStandalone('sleep 300', 'gone');
    await runtime.removeContainer(id);
    expect(await runtime.inspectContainer(id)).toBeUndefined();
    await runtime.removeContainer(id);
  });

  it('exec returns exit code, stdout and stderr', async () => {
    const { id } = await runStandalone('sleep 300', 'exec');
    expect(await runtime.exec(id, ['sh', '-c', 'echo out; echo err >&2; exit 3'], { timeoutMs: 5000 })).toEqual({ exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
    expect(await runtime.exec(id, ['true'], { timeoutMs: 5000 })).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(await runtime.exec(id, ['sh', '-c', 'echo $GREETING'], { timeoutMs: 5000 })).toMatchObject({ exitCode: 0, stdout: 'hello\n' });
  });

  it('exec that outlives its timeout is an ExecTimeoutError', async () => {
    const { id } = await runStandalone('sleep 300', 'exec-slow');
    const started = Date.now();
    const err: unknown = await runtime.exec(id, ['sleep', '5'], { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecTimeoutError);
    expect((err as Error).message).toBe('command "sleep 5" timed out');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('exec in a stopped container is a runtime error', async () => {
    const { id } = await runStandalone('exit 0', 'exec-dead');
    await waitFor(async () => (await docker.getContainer(id).inspect()).State.Status === 'exited');
    const err: unknown = await runtime.exec(id, ['true'], { timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(isNodeletError(err)).toBe(true);
    expect((err as Error).message).toMatch(/is not running/);
  });
});

describe('ensureImage', () => {
  it('IfNotPresent / Never with a present image: no pull, the image ID', async () => {
    const local = await docker.getImage(TEST_IMAGES.busybox).inspect();
    const before = runtime.stats().calls.imagePull;
    expect(await runtime.ensureImage(TEST_IMAGES.busybox, 'IfNotPresent')).toEqual({ pulled: false, imageId: local.Id, sizeBytes: local.Size, user: local.Config.User ?? '' });
    expect(await runtime.ensureImage(TEST_IMAGES.busybox, 'Never')).toEqual({ pulled: false, imageId: local.Id, sizeBytes: local.Size, user: local.Config.User ?? '' });
    expect(runtime.stats().calls.imagePull).toBe(before);
  });

  it('Never with a missing image: ErrImageNeverPull with kubelet message', async () => {
    const image = 'nodelet-test/absent:0.0.1';
    const err: unknown = await runtime.ensureImage(image, 'Never').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImagePullError);
    expect(err).toMatchObject({ code: 'NLT_IMAGE_PULL', reason: 'ErrImageNeverPull', image, retryable: false });
    expect((err as Error).message).toBe(`Container image "${image}" is not present with pull policy of Never`);
  });

  it('IfNotPresent with a bogus image: ErrImagePull with the engine error, concurrent pulls coalesced', async () => {
    const image = 'localhost:1/nodelet/bogus:0.0.1';
    const before = runtime.stats().calls.imagePull;
    const progress: string[] = [];
    const results = await Promise.allSettled([runtime.ensureImage(image, 'IfNotPresent', { onProgress: (l) => progress.push(l) }), runtime.ensureImage(image, 'Always')]);
    expect(runtime.stats().calls.imagePull - before).toBe(1);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const err = (r as PromiseRejectedResult).reason as ImagePullError;
      expect(err).toBeInstanceOf(ImagePullError);
      expect(err).toMatchObject({ code: 'NLT_IMAGE_PULL', reason: 'ErrImagePull', image, retryable: true });
      expect(err.message).toMatch(/^Error response from daemon: Get "[a-z]+:\/\/localhost:1\/v2\/": dial tcp .*connection refused$/);
    }
  });

  it("imageUser is the image's Config.User: '' for busybox (root), uid:gid for pause; a missing image is an error", async () => {
    const busybox = await runtime.ensureImage(TEST_IMAGES.busybox, 'IfNotPresent');
    const pause = await runtime.ensureImage(TEST_IMAGES.pause, 'IfNotPresent');
    expect(await runtime.imageUser(busybox.imageId)).toBe('');
    expect(await runtime.imageUser(pause.imageId)).toBe('65535:65535');
    await expect(runtime.imageUser('sha256:' + '0'.repeat(64))).rejects.toThrow(/^inspect image sha256:0+: /);
  });

  it('an unparsable name is InvalidImageName without asking the engine', async () => {
    const before = runtime.stats().total;
    const err: unknown = await runtime.ensureImage('Busybox:1', 'IfNotPresent').catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'InvalidImageName', code: 'NLT_IMAGE_PULL' });
    expect((err as Error).message).toBe(
      'Failed to apply default image tag "Busybox:1": couldn\'t parse image reference "Busybox:1": invalid reference format: repository name (library/Busybox) must be lowercase',
    );
    expect(runtime.stats().total).toBe(before);
  });
});

describe('memory volumes', () => {
  it('create (idempotent), mount as tmpfs with the size, list by label, remove', async () => {
    const pod = newPod('mem');
    const name = `nodelet-e-${pod.uid}-cache`;
    const labels = { [LABELS.managed]: 'true', [LABELS.node]: NODE, [LABELS.podUid]: pod.uid };
    await runtime.createMemoryVolume(name, 16 * 1024 * 1024, labels);
    await runtime.createMemoryVolume(name, 16 * 1024 * 1024, labels);
    expect(await runtime.listVolumes(`${LABELS.podUid}=${pod.uid}`)).toEqual([name]);
    const info = await docker.getVolume(name).inspect();
    expect(info.Options).toMatchObject({ type: 'tmpfs', device: 'tmpfs', o: `size=${16 * 1024 * 1024}` });

    const id = await runtime.runContainer(
      containerSpec(pod, { name: 'user', script: 'sleep 300', standalone: true, mounts: [{ kind: 'volume', source: name, target: '/cache', readOnly: false }] }),
      {},
    );
    const mounts = await runtime.exec(id, ['sh', '-c', 'grep " /cache " /proc/mounts'], { timeoutMs: 5000 });
    expect(mounts.exitCode).toBe(0);
    expect(mounts.stdout).toMatch(/^tmpfs \/cache tmpfs .*size=16384k/);
    await runtime.removeContainer(id);

    await runtime.removeVolume(name);
    await runtime.removeVolume(name);
    expect(await runtime.listVolumes(`${LABELS.podUid}=${pod.uid}`)).toEqual([]);
  });
});

describe('events', () => {
  it('a die event arrives within 1 s of docker kill, with the pod UID', async () => {
    const abort = new AbortController();
    const stream = collect(runtime.events(abort.signal));
    try {
      // The stream is live once it reports the container we create now.
      const { id, pod } = await runStandalone('sleep 300', 'victim');
      await waitFor(() => stream.seen.some((e) => e.type === 'container' && e.action === 'start' && e.containerId === id), { timeoutMs: 5000 });
      const killedAt = Date.now();
      await docker.getContainer(id).kill();
      const die = await waitFor(() => stream.seen.find((e) => e.type === 'container' && e.action === 'die' && e.containerId === id), { timeoutMs: 2000, intervalMs: 10 });
      expect(die.receivedAt - killedAt).toBeLessThan(1000);
      expect(die).toMatchObject({ type: 'container', action: 'die', podUid: pod.uid, containerId: id });
      if (die.type === 'container') expect(Math.abs(die.at - killedAt)).toBeLessThan(1000);
      await runtime.removeContainer(id);
      await waitFor(() => stream.seen.some((e) => e.type === 'container' && e.action === 'destroy' && e.containerId === id), { timeoutMs: 2000 });
      // Another node's containers never show up.
      expect(stream.seen.every((e) => e.type !== 'container' || e.podUid !== 'x')).toBe(true);
    } finally {
      abort.abort();
      await stream.done;
    }
  });

  it('the stream ends when its signal aborts', async () => {
    const abort = new AbortController();
    const stream = collect(runtime.events(abort.signal));
    await sleep(200);
    abort.abort();
    await expect(Promise.race([stream.done.then(() => 'ended'), sleep(2000).then(() => 'hung')])).resolves.toBe('ended');
  });
});

/** A dockerd of this test's own (the shared harness engine must not be restarted under other tests). */
class ThrowawayEngine {
  readonly root = mkdtempSync('/tmp/nlt-e-');
  readonly socket = join(this.root, 'd.sock');
  #proc: ChildProcess | undefined;

  async start(): Promise<void> {
    mkdirSync(join(this.root, 'data'), { recursive: true });
    const log = openSync(join(this.root, 'dockerd.log'), 'a');
    this.#proc = spawn(
      'dockerd',
      [
        `--data-root=${join(this.root, 'data')}`,
        `--exec-root=${join(this.root, 'r')}`,
        `--pidfile=${join(this.root, 'd.pid')}`,
        `-H`,
        `unix://${this.socket}`,
        '--bridge=none',
        '--iptables=false',
        '--ip6tables=false',
        '--ip-masq=false',
        '--containerd-namespace=nodelet-e-reconnect',
        '--containerd-plugins-namespace=nodelet-e-reconnect-plugins',
      ],
      { stdio: ['ignore', log, log], detached: true },
    );
    closeSync(log);
    const client = new Docker({ socketPath: this.socket });
    await waitFor(async () => (await client.ping(), true), { timeoutMs: 30_000, intervalMs: 100, description: 'throwaway dockerd answers' });
  }

  async stop(): Promise<void> {
    const proc = this.#proc;
    this.#proc = undefined;
    if (!proc || proc.exitCode !== null || proc.pid === undefined) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const result = await Promise.race([exited.then(() => 'exited'), sleep(20_000).then(() => 'timeout')]);
    if (result === 'timeout') {
      proc.kill('SIGKILL');
      await exited;
    }
    await waitFor(() => !existsSync(this.socket), { timeoutMs: 5000 }).catch(() => undefined);
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.root, { recursive: true, force: true });
  }
}

describe('events across an engine restart', () => {
  const engine = new ThrowawayEngine();
  let local: Docker;

  beforeAll(async () => {
    await engine.start();
    local = new Docker({ socketPath: engine.socket });
    // The harness engine's busybox, copied over (no registry here).
    const tar = await docker.getImage(TEST_IMAGES.busybox).get();
    await local.loadImage(tar);
  }, 120_000);

  afterAll(async () => {
    await engine.destroy();
  }, 60_000);

  it('emits disconnected, reconnects with backoff, emits reconnected, and delivers events again', async () => {
    const rt = new DockerRuntime({ docker: local, nodeName: NODE });
    const abort = new AbortController();
    const stream = collect(rt.events(abort.signal));
    try {
      const pod = newPod('restart');
      const first = await rt.runContainer(containerSpec(pod, { name: 'before', script: 'exit 0', standalone: true }), {});
      await waitFor(() => stream.seen.some((e) => e.type === 'container' && e.action === 'create' && e.containerId === first), { timeoutMs: 5000 });

      await engine.stop();
      const down = await waitFor(() => stream.seen.find((e) => e.type === 'disconnected'), { timeoutMs: 5000 });
      expect(down).toMatchObject({ type: 'disconnected', error: expect.any(String) });
      await sleep(1500); // let a reconnect attempt or two fail
      expect(stream.seen.filter((e) => e.type === 'disconnected')).toHaveLength(1);

      await engine.start();
      const up = await waitFor(() => stream.seen.find((e) => e.type === 'reconnected'), { timeoutMs: 20_000 });
      expect(up.receivedAt).toBeGreaterThan(down.receivedAt);

      const second = await rt.runContainer(containerSpec(pod, { name: 'after', script: 'exit 0', standalone: true }), {});
      const created = await waitFor(() => stream.seen.find((e) => e.type === 'container' && e.action === 'create' && e.containerId === second), { timeoutMs: 5000 });
      expect(created).toMatchObject({ podUid: pod.uid });
      expect(rt.stats().calls.events).toBeGreaterThanOrEqual(2);
    } finally {
      abort.abort();
      await stream.done;
    }
  }, 90_000);
});
