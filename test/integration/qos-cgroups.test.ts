// Issue 17, bullets 1–4, against the real dockerd (cgroup v1, cgroupfs driver on this machine):
// - each pod's sandbox and containers land in <cgroupRoot>/kubepods[/burstable|/besteffort]/pod<uid>
//   (read from /proc/<pid>/cgroup), with the kubelet's oom_score_adj (/proc/<pid>/oom_score_adj):
//   Guaranteed and system-node-critical -997, BestEffort 1000, Burstable by the formula, sandbox -998;
//   the pod cgroup's limits are in its files, kubepods holds capacity − reservations;
// - the node's allocatable leaves out systemReserved, kubeReserved and evictionHard;
// - a pod asking for 64 CPUs is rejected with OutOfcpu and the kubelet's message (get pods, event);
//   a pod rejected for resources is admitted once a big pod is deleted, and the big pod's cgroup goes;
// - a container an older nodelet started outside the hierarchy keeps running, untouched.
import { afterAll, describe, expect, it } from 'vitest';
import { readFile, readdir, rmdir } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { ApiClient } from '../../agent/api/client.js';
import { LABELS } from '../../agent/core/labels.js';
import { TEST_IMAGES } from '../helpers/docker-engine.js';
import { makeTestAgent, waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { useTestAgents } from '../helpers/pod-fixtures.js';
import { hasCapSysResource, restrictOomScoreAdj } from '../../agent/qos/oom-score.js';

const CGROUP_ROOT = `/nodelet-it-qos-${process.pid}`;
const MOUNT = '/sys/fs/cgroup';
const Mi = 1024 * 1024;
/**
 * Without CAP_SYS_RESOURCE (this CI container) the engine cannot set negative scores: the agent
 * raises them to its own (restrictOomScoreAdj), and so does the expectation.
 */
async function oomFloor(): Promise<number | undefined> {
  if (hasCapSysResource(await readFile('/proc/self/status', 'utf8'))) return undefined;
  console.log('[qos] no CAP_SYS_RESOURCE here: negative oom_score_adj values are expected raised to the agent\'s own');
  return Number((await readFile('/proc/self/oom_score_adj', 'utf8')).trim());
}

const agent = useTestAgents({ file: { cgroupRoot: CGROUP_ROOT, systemReserved: { cpu: '100m', memory: '1Gi' }, kubeReserved: { memory: '256Mi' } } });

/** rmdir of a cgroup tree, deepest first (a cgroup directory holds only kernel files and children). */
async function removeCgroupTree(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) if (e.isDirectory()) await removeCgroupTree(join(dir, e.name));
  await rmdir(dir).catch(() => undefined);
}

afterAll(async () => {
  // What the agents leave: kubepods, its QoS parents, and the cgroups of pods whose containers
  // the harness removed after stopping the agent.
  for (const ctrl of await readdir(MOUNT).catch(() => [] as string[])) await removeCgroupTree(join(MOUNT, ctrl, CGROUP_ROOT));
});

interface PodOpts {
  readonly resources?: string;
  readonly priorityClassName?: string;
}

function podYaml(name: string, o: PodOpts = {}): string {
  return [
    'apiVersion: v1',
    'kind: Pod',
    `metadata: { name: ${name} }`,
    'spec:',
    ...(o.priorityClassName ? [`  priorityClassName: ${o.priorityClassName}`] : []),
    '  terminationGracePeriodSeconds: 1',
    '  containers:',
    '  - name: app',
    `    image: ${TEST_IMAGES.busybox}`,
    '    imagePullPolicy: Never',
    '    command: [sleep, "3600"]',
    ...(o.resources ? [`    resources: ${o.resources}`] : []),
    '',
  ].join('\n');
}

function podOf(a: TestAgent, name: string): Pod | undefined {
  return a.running.agent.pods().find((p) => p.metadata?.name === `${name}-${a.config.nodeName}`);
}

async function running(a: TestAgent, name: string): Promise<Pod> {
  return waitUntil(async () => {
    const p = podOf(a, name);
    return p?.status?.containerStatuses?.[0]?.state?.running ? p : undefined;
  }, `${name} running`, 60_000);
}

/** Pid, cgroup (memory hierarchy) and oom_score_adj of each container of the pod, by container name (POD = sandbox). */
async function processes(a: TestAgent, uid: string): Promise<Map<string, { id: string; cgroup: string; oom: number }>> {
  const list = await a.docker.listContainers({ filters: { label: [`${LABELS.podUid}=${uid}`] } });
  const out = new Map<string, { id: string; cgroup: string; oom: number }>();
  for (const c of list) {
    const pid = (await a.docker.getContainer(c.Id).inspect()).State.Pid;
    const cgroup = (await readFile(`/proc/${pid}/cgroup`, 'utf8')).split('\n').find((l) => /^\d+:memory:/.test(l))?.split(':')[2] ?? '';
    const oom = Number((await readFile(`/proc/${pid}/oom_score_adj`, 'utf8')).trim());
    out.set(c.Labels[LABELS.containerName] ?? '', { id: c.Id, cgroup, oom });
  }
  return out;
}

async function cgroupFile(ctrl: string, path: string, file: string): Promise<string> {
  return (await readFile(join(MOUNT, ctrl, path, file), 'utf8')).trim();
}

describe('QoS cgroups, OOM scores, allocatable and admission (issue 17)', () => {
  it('puts each QoS class in its cgroup with its limits and OOM score; kubepods and allocatable leave out the reservations', async () => {
    const a = await agent();
    await a.write('guaranteed.yaml', podYaml('guaranteed', { resources: '{ limits: { cpu: 100m, memory: 64Mi } }' }));
    await a.write('burstable.yaml', podYaml('burstable', { resources: '{ requests: { cpu: 50m, memory: 32Mi }, limits: { memory: 128Mi } }' }));
    await a.write('besteffort.yaml', podYaml('besteffort'));
    await a.write('critical.yaml', podYaml('critical', { priorityClassName: 'system-node-critical', resources: '{ requests: { cpu: 10m, memory: 16Mi } }' }));
    const memory = totalmem();
    const floor = await oomFloor();
    const burstableOom = 1000 - Math.floor((1000 * 32 * Mi) / memory);
    const cases = [
      { name: 'guaranteed', parent: `${CGROUP_ROOT}/kubepods`, oom: -997, shares: '102', quota: '10000', limit: String(64 * Mi) },
      { name: 'burstable', parent: `${CGROUP_ROOT}/kubepods/burstable`, oom: burstableOom, shares: '51', quota: '-1', limit: String(128 * Mi) },
      { name: 'besteffort', parent: `${CGROUP_ROOT}/kubepods/besteffort`, oom: 1000, shares: '2', quota: '-1', limit: undefined },
      // Burstable by its resources, but node-critical: the kubelet's -997.
      { name: 'critical', parent: `${CGROUP_ROOT}/kubepods/burstable`, oom: -997, shares: '10', quota: '-1', limit: undefined },
    ];
    for (const c of cases) {
      const pod = await running(a, c.name);
      const uid = pod.metadata?.uid ?? '';
      const podCgroup = `${c.parent}/pod${uid}`;
      const procs = await processes(a, uid);
      const app = procs.get('app');
      const sandbox = procs.get('POD');
      expect(app?.cgroup, `${c.name} app cgroup`).toBe(`${podCgroup}/${app?.id}`);
      expect(sandbox?.cgroup, `${c.name} sandbox cgroup`).toBe(`${podCgroup}/${sandbox?.id}`);
      expect(app?.oom, `${c.name} app oom_score_adj`).toBe(restrictOomScoreAdj(c.oom, floor));
      expect(sandbox?.oom, `${c.name} sandbox oom_score_adj`).toBe(restrictOomScoreAdj(-998, floor));
      expect(await cgroupFile('cpu', podCgroup, 'cpu.shares'), `${c.name} cpu.shares`).toBe(c.shares);
      expect(await cgroupFile('cpu', podCgroup, 'cpu.cfs_quota_us'), `${c.name} quota`).toBe(c.quota);
      const limit = await cgroupFile('memory', podCgroup, 'memory.limit_in_bytes');
      if (c.limit) expect(limit, `${c.name} memory limit`).toBe(c.limit);
      else expect(BigInt(limit) > BigInt(memory), `${c.name} unlimited (${limit})`).toBe(true);
      expect(pod.status?.qosClass).toBe(c.name === 'critical' ? 'Burstable' : c.name === 'besteffort' ? 'BestEffort' : c.name === 'guaranteed' ? 'Guaranteed' : 'Burstable');
    }

    // kubepods: capacity − kubeReserved − systemReserved (enforceNodeAllocatable: pods).
    const milli = cpus().length * 1000;
    expect(await cgroupFile('memory', `${CGROUP_ROOT}/kubepods`, 'memory.limit_in_bytes')).toBe(String(memory - 1024 * Mi - 256 * Mi));
    expect(await cgroupFile('cpu', `${CGROUP_ROOT}/kubepods`, 'cpu.shares')).toBe(String(Math.floor(((milli - 100) * 1024) / 1000)));
    expect(await cgroupFile('cpu', `${CGROUP_ROOT}/kubepods/besteffort`, 'cpu.shares')).toBe('2');
    // burstable: the shares of Σ Burstable cpu requests (50m + 10m).
    expect(await cgroupFile('cpu', `${CGROUP_ROOT}/kubepods/burstable`, 'cpu.shares')).toBe(String(Math.floor((60 * 1024) / 1000)));

    // get node: allocatable = capacity − reservations − evictionHard memory.available (100Mi).
    const node = await new ApiClient(a.config.apiSocket).node();
    expect(node.status?.allocatable?.cpu).toBe(`${milli - 100}m`);
    expect(node.status?.allocatable?.memory).toBe(`${(memory - 1024 * Mi - 256 * Mi - 100 * Mi) / 1024}Ki`);
    expect(node.status?.allocatable?.pods).toBe('110');
  });

  it('rejects a pod that asks for 64 CPUs with OutOfcpu, and admits a waiting pod once a big one is deleted', async () => {
    const a = await agent();
    const client = new ApiClient(a.config.apiSocket);
    const allocatable = cpus().length * 1000 - 100;
    await a.write('small.yaml', podYaml('small', { resources: '{ requests: { cpu: 100m } }' }));
    await running(a, 'small');
    await a.write('huge.yaml', podYaml('huge', { resources: '{ requests: { cpu: "64", memory: 500Gi } }' }));
    const message = `Node didn't have enough resource: cpu, requested: 64000, used: 100, capacity: ${allocatable}`;
    const huge = await waitUntil(async () => {
      const p = (await client.listPods()).find((x) => x.metadata?.name === `huge-${a.config.nodeName}`);
      return p?.status?.phase === 'Failed' ? p : undefined;
    }, 'huge rejected');
    expect(huge.status).toMatchObject({ phase: 'Failed', reason: 'OutOfcpu', message: `Pod was rejected: ${message}`, qosClass: 'Burstable' });
    const events = (await client.listEvents()).filter((e) => e.involvedObject.name === huge.metadata?.name);
    expect(events.map((e) => [e.type, e.reason, e.message])).toContainEqual(['Warning', 'OutOfcpu', message]);
    expect(await a.docker.listContainers({ all: true, filters: { label: [`${LABELS.podUid}=${huge.metadata?.uid}`] } })).toEqual([]);

    // A big pod takes what is left but 50m; a 200m pod then waits, and runs once the big one is gone.
    const bigMilli = allocatable - 100 - 50;
    await a.write('big.yaml', podYaml('big', { resources: `{ requests: { cpu: ${bigMilli}m } }` }));
    const big = await running(a, 'big');
    await a.write('waiting.yaml', podYaml('waiting', { resources: '{ requests: { cpu: 200m } }' }));
    const waiting = await waitUntil(async () => (podOf(a, 'waiting')?.status?.reason === 'OutOfcpu' ? podOf(a, 'waiting') : undefined), 'waiting rejected');
    expect(waiting?.status?.message).toBe(`Pod was rejected: Node didn't have enough resource: cpu, requested: 200, used: ${100 + bigMilli}, capacity: ${allocatable}`);
    await a.remove('big.yaml');
    await running(a, 'waiting');
    // The big pod's cgroup went with it.
    const bigCgroup = join(MOUNT, 'cpu', `${CGROUP_ROOT}/kubepods/burstable/pod${big.metadata?.uid}`);
    await waitUntil(async () => readdir(bigCgroup).then(() => undefined, () => true), 'big pod cgroup removed');
    // The huge pod still does not fit, and says so.
    expect(podOf(a, 'huge')?.status?.reason).toBe('OutOfcpu');
  });

  it('keeps a container an older nodelet started outside the hierarchy running, untouched', async () => {
    const old = await makeTestAgent({ file: { cgroupRoot: CGROUP_ROOT, cgroupsPerQOS: false, enforceNodeAllocatable: [] } });
    await old.write('adopted.yaml', podYaml('adopted', { resources: '{ requests: { cpu: 10m } }' }));
    const before = await running(old, 'adopted');
    const uid = before.metadata?.uid ?? '';
    const was = await processes(old, uid);
    expect(was.get('app')?.cgroup).toMatch(/^\/docker\//);
    await old.stop();

    const a = await agent({ root: old.root, nodeName: old.config.nodeName, file: { cgroupRoot: CGROUP_ROOT } });
    await a.write('new.yaml', podYaml('new'));
    const fresh = await running(a, 'new');
    // A pod started now lands in the hierarchy ...
    expect((await processes(a, fresh.metadata?.uid ?? '')).get('app')?.cgroup).toContain(`${CGROUP_ROOT}/kubepods/besteffort/pod`);
    // ... while the adopted one keeps its containers, where they were.
    const after = await running(a, 'adopted');
    const now = await processes(a, uid);
    expect(now.get('app')?.id).toBe(was.get('app')?.id);
    expect(now.get('POD')?.id).toBe(was.get('POD')?.id);
    expect(now.get('app')?.cgroup).toBe(was.get('app')?.cgroup);
    expect(after.status?.containerStatuses?.[0]?.restartCount).toBe(0);
  });
});
