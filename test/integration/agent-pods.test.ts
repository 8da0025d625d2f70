// The heart of nodelet against the real dockerd: pods from a manifest directory, with init
// containers, hostPath volumes, env and restarts.
import { describe, expect, it } from 'vitest';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { podContainers, waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { containersOf, useTestAgents } from '../helpers/pod-fixtures.js';
import { LABELS } from '../../agent/core/labels.js';

const agent = useTestAgents();

function podName(a: TestAgent, name: string): string {
  return `${name}-${a.config.nodeName}`;
}

async function running(a: TestAgent, pod: string, container: string): Promise<boolean> {
  return (await containersOf(a, pod, container)).some((c) => c.State === 'running');
}

describe('static pods on Docker', () => {
  it('runs the machine-id example: init copies a hostPath File into a hostPath directory, pause keeps running', async () => {
    const a = await agent();
    const hostLog = join(a.root, 'host', 'var-log');
    const machineId = join(a.root, 'host', 'machine-id');
    await mkdir(join(a.root, 'host'), { recursive: true });
    await writeFile(machineId, '0123456789abcdef0123456789abcdef\n');
    await a.write(
      'machine-id.yaml',
      `apiVersion: v1
kind: Pod
metadata:
  name: machine-id
spec:
  hostNetwork: true
  initContainers:
  - name: copy-machine-id
    image: busybox:1.37
    command: ["sh", "-c", "cat /host/machine-id > /host-log/machine-id.log"]
    volumeMounts:
    - { name: machine-id, mountPath: /host/machine-id, readOnly: true }
    - { name: log, mountPath: /host-log }
  containers:
  - name: pause
    image: registry.k8s.io/pause:3.10
  volumes:
  - name: machine-id
    hostPath: { path: ${machineId}, type: File }
  - name: log
    hostPath: { path: ${hostLog}, type: DirectoryOrCreate }
`,
    );
    await waitUntil(() => running(a, 'machine-id', 'pause'), 'pause running');
    expect(await readFile(join(hostLog, 'machine-id.log'), 'utf8')).toBe('0123456789abcdef0123456789abcdef\n');
    const list = await podContainers(a.docker, a.config.nodeName, podName(a, 'machine-id'));
    const init = list.find((c) => c.Labels[LABELS.containerName] === 'copy-machine-id');
    expect(init?.State).toBe('exited');
    expect(list.find((c) => c.Labels[LABELS.containerName] === 'POD')?.State).toBe('running');
    expect(init?.Names[0]).toMatch(new RegExp(`^/k8s_copy-machine-id_${podName(a, 'machine-id')}_default_[0-9a-f]{32}_0$`));
  });

  it('runs init containers strictly in order, then the app container', async () => {
    const a = await agent();
    const shared = join(a.root, 'shared');
    const inits = ['one', 'two', 'three']
      .map((n) => `  - name: init-${n}\n    image: busybox:1.37\n    command: ["sh", "-c", "sleep 0.2; echo ${n} >> /shared/order"]\n    volumeMounts: [{ name: shared, mountPath: /shared }]`)
      .join('\n');
    await a.write(
      'order.yaml',
      `apiVersion: v1
kind: Pod
metadata: { name: order }
spec:
  hostNetwork: true
  initContainers:
${inits}
  containers:
  - name: app
    image: busybox:1.37
    command: ["sh", "-c", "echo app >> /shared/order; exec sleep 3600"]
    volumeMounts: [{ name: shared, mountPath: /shared }]
  volumes:
  - name: shared
    hostPath: { path: ${shared}, type: DirectoryOrCreate }
`,
    );
    await waitUntil(() => running(a, 'order', 'app'), 'app running');
    await waitUntil(async () => (await readFile(join(shared, 'order'), 'utf8')).includes('app'), 'app wrote');
    expect(await readFile(join(shared, 'order'), 'utf8')).toBe('one\ntwo\nthree\napp\n');
  });

  it('retries a failing init container with growing delays under Always, and fails the pod under Never', async () => {
    const a = await agent({ file: { crashLoopBackOff: { initial: '1s', max: '8s' } } });
    const base = (name: string, policy: string): string => `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  hostNetwork: true
  restartPolicy: ${policy}
  initContainers:
  - name: failing
    image: busybox:1.37
    command: ["sh", "-c", "exit 3"]
  containers:
  - name: app
    image: busybox:1.37
    command: ["sleep", "3600"]
`;
    await a.write('always.yaml', base('init-always', 'Always'));
    await a.write('never.yaml', base('init-never', 'Never'));
    const attempts = await waitUntil(async () => {
      const list = await containersOf(a, 'init-always', 'failing');
      const counts = list.map((c) => Number(c.Labels[LABELS.restartCount]));
      return Math.max(-1, ...counts) >= 3 ? counts : undefined;
    }, 'init-always retried 3 times', 30_000);
    expect(Math.max(...attempts)).toBeGreaterThanOrEqual(3);
    // An older attempt may be garbage-collected between the list and its inspect: skip it.
    const states = await Promise.all((await containersOf(a, 'init-always', 'failing')).map(async (c) => (await a.docker.getContainer(c.Id).inspect().catch(() => undefined))?.State));
    expect(states.filter((s) => s !== undefined).length).toBeGreaterThan(0);
    // Never: one attempt, no app container, ever.
    await waitUntil(async () => {
      const list = await podContainers(a.docker, a.config.nodeName, podName(a, 'init-never'));
      return list.some((c) => c.Labels[LABELS.containerName] === 'failing' && c.State === 'exited');
    }, 'init-never ran');
    await new Promise((r) => setTimeout(r, 3000));
    const never = await podContainers(a.docker, a.config.nodeName, podName(a, 'init-never'));
    expect(never.filter((c) => c.Labels[LABELS.containerName] === 'failing')).toHaveLength(1);
    expect(never.some((c) => c.Labels[LABELS.containerName] === 'app')).toBe(false);
    expect(never.find((c) => c.Labels[LABELS.containerName] === 'POD')?.State).not.toBe('running');
    expect(running(a, 'init-always', 'app')).resolves.toBe(false);
  });

  it('follows CrashLoopBackOff: restart gaps grow 1s, 2s, 4s with the base delay shortened through config', async () => {
    const a = await agent({ file: { crashLoopBackOff: { initial: '1s', max: '60s' } } });
    await a.write(
      'crash.yaml',
      `apiVersion: v1
kind: Pod
metadata: { name: crash }
spec:
  hostNetwork: true
  containers:
  - name: crash
    image: busybox:1.37
    command: ["sh", "-c", "exit 1"]
`,
    );
    const states = await waitUntil(async () => {
      const list = await containersOf(a, 'crash', 'crash');
      const inspected = await Promise.all(list.map((c) => a.docker.getContainer(c.Id).inspect()));
      const byAttempt = inspected.map((i) => ({ attempt: Number(i.Config.Labels[LABELS.restartCount]), started: Date.parse(i.State.StartedAt), finished: Date.parse(i.State.FinishedAt) }));
      return byAttempt.some((x) => x.attempt >= 4) ? byAttempt : undefined;
    }, 'four restarts', 40_000, 200);
    // kubelet keeps only the newest dead instance per container, so read the gaps from events.
    expect(states.length).toBeGreaterThan(0);
    // The log line of a start is written after Docker reports it: wait for the fifth line too.
    const started = await waitUntil(async () => {
      const times = a.logs.filter((l) => l.msg === 'container started' && l.container === 'crash').map((l) => Date.parse(String(l.time)));
      return times.length >= 5 ? times : undefined;
    }, 'five "container started" log lines', 10_000);
    const gaps = started.slice(1).map((t, i) => (t - (started[i] ?? t)) / 1000);
    // attempt 0 → 1 is immediate (kubelet), then 1 s, 2 s, 4 s (+ container run time)
    expect(gaps[0]).toBeLessThan(1);
    expect(gaps[1]).toBeGreaterThanOrEqual(0.9);
    expect(gaps[1]).toBeLessThan(2);
    expect(gaps[2]).toBeGreaterThanOrEqual(1.9);
    expect(gaps[2]).toBeLessThan(3.2);
    expect(gaps[3]).toBeGreaterThanOrEqual(3.9);
    expect(gaps[3]).toBeLessThan(5.5);
  });
});
