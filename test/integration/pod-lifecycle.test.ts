// Issue 13, the pod lifecycle against the real dockerd: pod workers with syncing → terminating →
// terminated, cancellable passes, static pods waiting for their full name, `delete pod` as a
// real termination, liveness kills backed off, Terminating pods listed until they are gone.
// A watcher polls `docker ps` continuously (every 50 ms) and records what ran at once.
import { describe, expect, it } from 'vitest';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { busyboxSh, execAction, hostNetworkPod, probe, useTestAgents } from '../helpers/pod-fixtures.js';
import { LABELS, SANDBOX_CONTAINER_NAME } from '../../agent/core/labels.js';

const agent = useTestAgents();

/** A shell loop that ignores SIGTERM: only the grace period's SIGKILL stops it. */
const IGNORE_TERM = "trap '' TERM; while true; do sleep 1; done";

interface Watch {
  /** Most sandboxes of the pod running at once, and most pod UIDs with a running container at once. */
  maxSandboxes: number;
  maxUids: number;
  /** Every running app container seen: id → first time seen (ms). */
  readonly seen: Map<string, { uid: string; at: number; name: string }>;
  polls: number;
  stop(): Promise<void>;
}

/** Polls the running containers of one pod name (by label) until stopped. */
function watchPod(docker: Docker, nodeName: string, podName: string): Watch {
  let stopped = false;
  const w: Watch = {
    maxSandboxes: 0,
    maxUids: 0,
    seen: new Map(),
    polls: 0,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
  const loop = (async () => {
    while (!stopped) {
      const list = await docker.listContainers({ filters: { label: [`${LABELS.node}=${nodeName}`, `${LABELS.podName}=${podName}`], status: ['running'] } });
      w.polls++;
      const sandboxes = list.filter((c) => c.Labels[LABELS.containerName] === SANDBOX_CONTAINER_NAME);
      w.maxSandboxes = Math.max(w.maxSandboxes, sandboxes.length);
      w.maxUids = Math.max(w.maxUids, new Set(list.map((c) => c.Labels[LABELS.podUid])).size);
      for (const c of list) {
        const name = c.Labels[LABELS.containerName] ?? '';
        if (name !== SANDBOX_CONTAINER_NAME && !w.seen.has(c.Id)) w.seen.set(c.Id, { uid: c.Labels[LABELS.podUid] ?? '', at: Date.now(), name });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return w;
}

function podView(a: TestAgent, name: string): Pod[] {
  return a.running.agent.pods().filter((p) => p.metadata?.name === `${name}-${a.config.nodeName}`);
}

function desiredUid(a: TestAgent, name: string): string | undefined {
  return a.running.agent.desiredPods().find((d) => d.name === `${name}-${a.config.nodeName}`)?.uid;
}

async function runningApps(a: TestAgent, name: string, uid?: string): Promise<Docker.ContainerInfo[]> {
  const list = await a.docker.listContainers({ filters: { label: [`${LABELS.node}=${a.config.nodeName}`, `${LABELS.podName}=${name}-${a.config.nodeName}`], status: ['running'] } });
  return list.filter((c) => c.Labels[LABELS.containerName] !== SANDBOX_CONTAINER_NAME && (uid === undefined || c.Labels[LABELS.podUid] === uid));
}

/** A pod-level field (a hostPath path) per version: each edit is a new UID. */
function stubbornPod(name: string, dir: string, version: number, grace = 5): string {
  return hostNetworkPod(
    name,
    grace,
    busyboxSh('app', IGNORE_TERM, '    volumeMounts:', '    - { name: data, mountPath: /data }'),
    `  - name: data\n    hostPath: { path: ${join(dir, `v${version}`)}, type: DirectoryOrCreate }\n`,
  );
}

describe('pod lifecycle (issue 13)', () => {
  it('never runs two sandboxes of one static pod full name at once across 20 pod-level edits (grace 5 s, SIGTERM ignored)', async () => {
    const a = await agent();
    const dir = join(a.root, 'host');
    await mkdir(dir, { recursive: true });
    const podName = `stubborn-${a.config.nodeName}`;
    const watch = watchPod(a.docker, a.config.nodeName, podName);
    try {
      await a.write('stubborn.yaml', stubbornPod('stubborn', dir, 0));
      let uid = await waitUntil(async () => desiredUid(a, 'stubborn'), 'the pod is desired');
      await waitUntil(async () => (await runningApps(a, 'stubborn', uid)).length === 1, 'the first version runs', 60_000);
      for (let v = 1; v <= 20; v++) {
        await a.writeAtomic('stubborn.yaml', stubbornPod('stubborn', dir, v));
        const next = await waitUntil(async () => {
          const u = desiredUid(a, 'stubborn');
          return u !== uid ? u : undefined;
        }, `edit ${v} seen`);
        // The old UID shows as Terminating meanwhile, the new one has no container yet.
        await waitUntil(async () => (await runningApps(a, 'stubborn', next)).length === 1, `version ${v} runs`, 60_000);
        uid = next;
      }
    } finally {
      await watch.stop();
    }
    expect(watch.polls).toBeGreaterThan(100);
    expect(watch.maxSandboxes).toBe(1);
    expect(watch.maxUids).toBe(1);
  }, 400_000);

  it('an edit that arrives during a kill runs the newest spec, never the one in between', async () => {
    const a = await agent();
    const env = (value: string): string => `    env: [{ name: VERSION, value: "${value}" }]`;
    const manifest = (value: string): string => hostNetworkPod('edited', 5, busyboxSh('app', IGNORE_TERM, env(value)));
    await a.write('edited.yaml', manifest('one'));
    const podName = `edited-${a.config.nodeName}`;
    await waitUntil(async () => (await runningApps(a, 'edited')).length === 1, 'version one runs', 60_000);
    const watch = watchPod(a.docker, a.config.nodeName, podName);
    try {
      await a.writeAtomic('edited.yaml', manifest('two'));
      // The kill of version one takes the 5 s grace period: version three arrives during it.
      // Any edit gives a new UID (the kubelet's config hash): version one's pod is killed first.
      await waitUntil(async () => a.logs.some((l) => l.msg === 'pod identity changed; replacing the whole pod'), 'edit two seen');
      await new Promise((r) => setTimeout(r, 1000)); // inside the 5 s kill, well before its end
      await a.writeAtomic('edited.yaml', manifest('three'));
      const running = await waitUntil(async () => {
        const list = await runningApps(a, 'edited');
        const c = list[0] && (await a.docker.getContainer(list[0].Id).inspect());
        return c && c.Config.Env.includes('VERSION=three') ? c : undefined;
      }, 'version three runs', 60_000);
      expect(running.State.Running).toBe(true);
      // The watcher polls every 50 ms: let it see version three before it stops.
      const polls = watch.polls;
      await waitUntil(async () => watch.polls >= polls + 2 || undefined, 'two more polls of the watcher');
    } finally {
      await watch.stop();
    }
    // One container before the edits (seen first by the watcher), then only version three.
    const envs = await Promise.all([...watch.seen.keys()].map(async (id) => (await a.docker.getContainer(id).inspect().catch(() => undefined))?.Config.Env ?? []));
    expect(envs.filter((e) => e.includes('VERSION=two'))).toEqual([]);
    expect(watch.seen.size).toBe(2);
  }, 120_000);

  it('a pod whose manifest is deleted during a liveness kill never starts a container again', async () => {
    const a = await agent();
    // Healthy for 2 s, then the liveness probe fails; the kill takes the 5 s grace period.
    const script = `trap '' TERM; sleep 2; touch /tmp/dead; while true; do sleep 1; done`;
    await a.write('doomed.yaml', hostNetworkPod('doomed', 5, busyboxSh('app', script, probe('livenessProbe', execAction(['sh', '-c', 'test ! -e /tmp/dead']), 1))));
    const podName = `doomed-${a.config.nodeName}`;
    await waitUntil(async () => (await runningApps(a, 'doomed')).length === 1, 'the container runs', 60_000);
    const watch = watchPod(a.docker, a.config.nodeName, podName);
    let removedAt = 0;
    try {
      await waitUntil(async () => a.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('liveness probe failed')), 'the liveness kill begins', 30_000);
      await a.remove('doomed.yaml');
      removedAt = Date.now();
      await waitUntil(async () => (await a.docker.listContainers({ all: true, filters: { label: [`${LABELS.node}=${a.config.nodeName}`, `${LABELS.podName}=${podName}`] } })).length === 0, 'everything of the pod removed', 60_000);
      // Longer than the back-off and a relist: nothing comes back.
      await waitUntil(async () => a.logs.filter((l) => l.msg === 'pod terminated').length >= 1, 'the pod terminated');
    } finally {
      await watch.stop();
    }
    const startedAfter = [...watch.seen.values()].filter((s) => s.at > removedAt);
    expect(startedAfter).toEqual([]);
    expect(watch.seen.size).toBe(1);
    expect(podView(a, 'doomed')).toEqual([]);
  }, 120_000);

  it('delete pod of a static pod terminates it and starts it afresh: no CrashLoopBackOff, restart count 0, Running', async () => {
    const a = await agent();
    // Not on the host network: the app joins the sandbox's network namespace, which is what
    // broke when the app was restarted in the sandbox being torn down.
    await a.write(
      'deleted.yaml',
      `apiVersion: v1
kind: Pod
metadata: { name: deleted }
spec:
  terminationGracePeriodSeconds: 3
  containers:
${busyboxSh('app', 'trap \\"exit 0\\" TERM; while true; do sleep 1; done')}`,
    );
    const uid = await waitUntil(async () => desiredUid(a, 'deleted'), 'the pod is desired');
    const first = await waitUntil(async () => (await runningApps(a, 'deleted'))[0], 'the container runs', 60_000);
    const reasons = new Set<string>();
    let maxRestarts = 0;
    let stop = false;
    const watcher = (async () => {
      while (!stop) {
        for (const p of podView(a, 'deleted')) {
          for (const s of p.status?.containerStatuses ?? []) {
            maxRestarts = Math.max(maxRestarts, s.restartCount);
            if (s.state?.waiting?.reason) reasons.add(s.state.waiting.reason);
            if (s.state?.terminated?.reason) reasons.add(s.state.terminated.reason);
          }
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      expect(await a.running.agent.restartPod(uid)).toBe(true);
      await waitUntil(async () => {
        const [p] = podView(a, 'deleted');
        const apps = await runningApps(a, 'deleted');
        return p?.status?.phase === 'Running' && !p.metadata?.deletionTimestamp && apps.length === 1 && apps[0]?.Id !== first.Id;
      }, 'the pod runs again', 60_000);
    } finally {
      stop = true;
      await watcher;
    }
    expect([...reasons].filter((r) => r === 'CrashLoopBackOff' || r === 'ContainerCannotRun')).toEqual([]);
    expect(maxRestarts).toBe(0);
    const [again] = await runningApps(a, 'deleted');
    expect(again?.Labels[LABELS.restartCount]).toBe('0');
    expect(a.logs.some((l) => l.msg === 'pod terminated' && l.uid === uid)).toBe(true);
  }, 120_000);

  it('a failing liveness probe is backed off: the waits between restarts grow', async () => {
    // A short back-off policy (2 s doubling) measures the same rule as kubelet's 10 s in less time.
    const a = await agent({ file: { crashLoopBackOff: { initial: '2s', max: '60s' } } });
    await a.write('unhealthy.yaml', hostNetworkPod('unhealthy', 2, busyboxSh('app', 'trap \\"exit 0\\" TERM; while true; do sleep 1; done', probe('livenessProbe', execAction(['false']), 1))));
    await waitUntil(async () => a.logs.filter((l) => l.msg === 'container started' && l.container === 'app').length >= 5, 'five starts', 90_000, 200);
    const logStarts = a.logs.filter((l) => l.msg === 'container started' && l.container === 'app').map((l) => Date.parse(String(l.time)));
    expect(logStarts.length).toBeGreaterThanOrEqual(5);
    const gaps = logStarts.slice(1).map((t, i) => t - (logStarts[i] ?? 0));
    // Restart 1 is at once (no exit before it), then 2 s, 4 s, 8 s of back-off on top of the
    // time the probe takes to fail: each gap grows by at least a second over the one before.
    expect(gaps[2]).toBeGreaterThan((gaps[1] ?? 0) + 1000);
    expect(gaps[3]).toBeGreaterThan((gaps[2] ?? 0) + 1000);
  }, 120_000);

  it('get pods shows a removed pod as Terminating during its grace period, then it is gone', async () => {
    const a = await agent();
    await a.write('slow.yaml', hostNetworkPod('slow', 5, busyboxSh('app', IGNORE_TERM)));
    await waitUntil(async () => (await runningApps(a, 'slow')).length === 1, 'the container runs', 60_000);
    await a.remove('slow.yaml');
    const terminating = await waitUntil(async () => podView(a, 'slow').find((p) => p.metadata?.deletionTimestamp), 'the pod is Terminating');
    expect(terminating.metadata?.deletionGracePeriodSeconds).toBe(5);
    expect((await runningApps(a, 'slow')).length).toBe(1);
    await waitUntil(async () => podView(a, 'slow').length === 0, 'the pod is gone', 30_000);
    expect(await runningApps(a, 'slow')).toEqual([]);
  }, 60_000);
});
