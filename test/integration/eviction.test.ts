// The eviction manager against the real dockerd (issue 17, eviction bullet):
// - a DaemonSet pod whose container writes past its 10Mi ephemeral-storage limit is evicted with
//   the kubelet's message (status Failed/Evicted and the Warning event), while a static
//   system-node-critical pod beside it, over its own limit, keeps running (and says so);
// - a DaemonSet pod that fills its 5Mi emptyDir past sizeLimit is evicted with the emptyDir message;
// - DiskPressure from the image filesystem: the condition turns True, a new DaemonSet pod is
//   refused with the kubelet's admission message, image GC removes the test's unused throwaway
//   image (docker import) so the threshold clears, and the condition goes back to False.
// Thresholds are chosen so the shared machine's own usage never matters: memory.available<1Mi
// for the first tests; for the last, imagefs.available below "now + half the image".
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Node, NodeCondition, Pod } from 'kubernetes-types/core/v1.js';
import { dockerFromEnv, podContainers, waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { cli, daemonPods } from '../helpers/daemonset-harness.js';
import { useTestAgents } from '../helpers/pod-fixtures.js';
import { DockerRuntime } from '../../agent/runtime/docker/docker-runtime.js';
import type { ImageStore } from '../../agent/images/image-gc.js';
import type { NodeletEvent } from '../../agent/events/event-store.js';
import { LABELS } from '../../agent/core/labels.js';

const run = promisify(execFile);
const agent = useTestAgents();
const uniq = `evict-${process.pid}-${Date.now().toString(36)}`;

function daemonSet(name: string, spec: string): string {
  return `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ${name}, namespace: default}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      terminationGracePeriodSeconds: 30
${spec}`;
}

const WRITER_DS = daemonSet(
  'writer',
  `      containers:
      - name: writer
        image: busybox:1.37
        command: [sh, -c, 'dd if=/dev/zero of=/tmp/fill bs=1M count=16 && exec sleep 3600']
        resources: {limits: {ephemeral-storage: 10Mi}}
      - name: idle
        image: busybox:1.37
        command: [sleep, '3600']
        resources: {limits: {ephemeral-storage: 10Mi}}
`,
);

const SCRATCH_DS = daemonSet(
  'scratch',
  `      containers:
      - name: filler
        image: busybox:1.37
        command: [sh, -c, 'dd if=/dev/zero of=/scratch/fill bs=1M count=8 && exec sleep 3600']
        volumeMounts: [{name: scratch, mountPath: /scratch}]
      volumes:
      - name: scratch
        emptyDir: {sizeLimit: 5Mi}
`,
);

const CRITICAL_POD = `apiVersion: v1
kind: Pod
metadata: {name: critical, namespace: kube-system}
spec:
  priorityClassName: system-node-critical
  terminationGracePeriodSeconds: 1
  containers:
  - name: hog
    image: busybox:1.37
    command: [sh, -c, 'dd if=/dev/zero of=/tmp/fill bs=1M count=16 && exec sleep 3600']
    resources: {limits: {ephemeral-storage: 10Mi}}
`;

function events(a: TestAgent, match: (e: NodeletEvent) => boolean): NodeletEvent[] {
  return a.running.events.list(match);
}

/** Waits for a pod status seen by the agent's API view (polled; the DaemonSet replaces an evicted pod soon after). */
function podWhere(a: TestAgent, ds: string, match: (p: Pod) => boolean): Promise<Pod> {
  return waitUntil(async () => Promise.resolve(daemonPods(a, ds).find(match)), `a ${ds} pod matching ${match.toString()}`, 60_000, 25);
}

async function running(a: TestAgent, podName: string): Promise<boolean> {
  return (await podContainers(a.docker, a.config.nodeName, podName)).some((c) => c.State === 'running' && c.Labels[LABELS.containerName] === 'hog');
}

describe('eviction manager on Docker', () => {
  it('evicts a DaemonSet pod over its ephemeral-storage limit and one over its emptyDir sizeLimit; the static critical pod keeps running', async () => {
    const a = await agent({ file: { evictionHard: { 'memory.available': '1Mi' }, evictionMonitoringPeriod: '1s' } });
    await a.write('critical.yaml', CRITICAL_POD);
    await a.write('writer.yaml', WRITER_DS);
    await a.write('scratch.yaml', SCRATCH_DS);

    const containerMessage = 'Container writer exceeded its local ephemeral storage limit "10Mi". ';
    const evicted = await podWhere(a, 'writer', (p) => p.status?.reason === 'Evicted');
    expect(evicted.status?.phase).toBe('Failed');
    expect(evicted.status?.message).toBe(containerMessage);
    // Local storage evictions carry no DisruptionTarget condition (only node-pressure ones do).
    expect(evicted.status?.conditions?.some((c) => c.type === 'DisruptionTarget')).toBe(false);
    const ev = events(a, (e) => e.involvedObject.name === evicted.metadata?.name && e.reason === 'Evicted');
    expect(ev.map((e) => [e.type, e.message])).toEqual([['Warning', containerMessage]]);

    const emptyDirMessage = 'Usage of EmptyDir volume "scratch" exceeds the limit "5Mi". ';
    const scratch = await podWhere(a, 'scratch', (p) => p.status?.reason === 'Evicted');
    expect(scratch.status?.message).toBe(emptyDirMessage);
    expect(events(a, (e) => e.involvedObject.name === scratch.metadata?.name && e.reason === 'Evicted').map((e) => e.message)).toEqual([emptyDirMessage]);

    // The evicted pod's containers are killed; the DaemonSet controller replaces the Failed pod.
    await waitUntil(async () => (await podContainers(a.docker, a.config.nodeName, evicted.metadata?.name ?? '')).every((c) => c.State !== 'running'), 'evicted containers stopped');
    await waitUntil(() => Promise.resolve(events(a, (e) => e.reason === 'FailedDaemonPod' && e.message.includes(evicted.metadata?.name ?? '?')).length > 0), 'the DaemonSet deletes the evicted pod');

    // The static system-node-critical pod is over its limit too: never evicted, and not silently.
    const staticName = `critical-${a.config.nodeName}`;
    const skipped = await waitUntil(() => Promise.resolve(events(a, (e) => e.involvedObject.name === staticName && e.reason === 'EvictionSkipped')[0]), 'the warning about the static pod');
    expect(skipped.type).toBe('Warning');
    expect(skipped.message).toBe('Pod ephemeral local storage usage exceeds the total limit of containers 10Mi. The kubelet does not evict a static pod: it keeps running.');
    expect(events(a, (e) => e.involvedObject.name === staticName && e.reason === 'Evicted')).toEqual([]);
    expect(await running(a, staticName)).toBe(true);
    const view = a.running.agent.pods().find((p) => p.metadata?.name === staticName);
    expect(view?.status?.phase).toBe('Running');
    expect(a.logs.some((l) => l.msg === 'Eviction manager: cannot evict a critical pod' && l.pod === `kube-system/${staticName}`)).toBe(true);
  }, 120_000);

  describe('DiskPressure from the image filesystem', () => {
    const image = `${uniq}/throwaway:v1`;
    const engine = dockerFromEnv();
    const docker = new DockerRuntime({ docker: engine, nodeName: uniq });
    afterAll(async () => {
      await run('docker', ['rmi', '-f', image]).catch(() => undefined);
    });

    it('raises DiskPressure, refuses a new DaemonSet pod, frees the unused image and clears', async () => {
      // A 320 MiB throwaway image nobody uses (its layer takes the space on the engine's disk).
      // The threshold sits half of it above what is available now, so other work on the shared
      // disk (up to 160 MiB either way meanwhile) does not decide the outcome.
      const dir = await mkdtemp(join(tmpdir(), 'nodelet-evict-img-'));
      await run('sh', ['-c', `mkdir -p ${dir}/root && head -c ${320 * 1024 * 1024} /dev/zero > ${dir}/root/blob && tar -C ${dir}/root -cf ${dir}/img.tar .`]);
      await run('docker', ['import', `${dir}/img.tar`, image]);
      await rm(dir, { recursive: true, force: true });
      const info = (await engine.info()) as { DockerRootDir: string };
      const fs = await statfs(info.DockerRootDir);
      // Pressure now; not once the image's 320 MiB are back.
      const threshold = fs.bavail * fs.bsize + 160 * 1024 * 1024;
      const store: ImageStore = {
        listImages: async () => (await docker.listImages()).filter((i) => i.repoTags.includes(image)),
        imagesInUse: () => docker.imagesInUse(),
        imageFsStats: () => docker.imageFsStats(),
        removeImage: (i) => docker.removeImage(i),
      };
      const a = await agent({
        file: { evictionHard: { 'imagefs.available': String(threshold) }, evictionMonitoringPeriod: '1s', evictionPressureTransitionPeriod: '10s', imageMinimumGCAge: '0s' },
        imageStore: store,
      });
      await a.logLine((l) => l.msg === 'Eviction manager: node conditions changed' && JSON.stringify(l.nodeConditions) === '["DiskPressure"]');
      const node = await waitUntil(async () => ((await conditionOf(a, 'DiskPressure'))?.status === 'True' ? conditionOf(a, 'DiskPressure') : undefined), 'DiskPressure in the node conditions');
      expect(node).toMatchObject({ status: 'True', reason: 'KubeletHasDiskPressure', message: 'kubelet has disk pressure' });
      expect(events(a, (e) => e.reason === 'EvictionThresholdMet').map((e) => [e.type, e.involvedObject.kind, e.message])).toContainEqual(['Warning', 'Node', 'Attempting to reclaim ephemeral-storage']);

      // Admission under DiskPressure: a non-critical pod is refused, reason Evicted.
      await writeFile(join(a.manifestDir, 'late.yaml'), daemonSet('late', `      containers:\n      - {name: c, image: busybox:1.37, command: [sleep, '3600']}\n`));
      const refused = await podWhere(a, 'late', (p) => p.status?.phase === 'Failed');
      expect(refused.status).toMatchObject({ reason: 'Evicted', message: 'Pod was rejected: The node had condition: [DiskPressure]. ' });
      expect(events(a, (e) => e.involvedObject.name === refused.metadata?.name && e.reason === 'Evicted').map((e) => e.message)).toEqual(['The node had condition: [DiskPressure]. ']);

      // Reclaim: image GC removed the unused image, so no pod had to be evicted.
      await a.logLine((l) => l.msg === 'Removing image to free bytes' && Array.isArray(l.tags) && (l.tags as string[]).includes(image));
      await expect(engine.getImage(image).inspect()).rejects.toThrow();
      await a.logLine((l) => l.msg === 'Eviction manager: able to reduce resource pressure without evicting pods.');
      // The condition stays for the transition period, then clears; the DaemonSet's next pod runs.
      await a.logLine((l) => l.msg === 'Eviction manager: node conditions changed' && JSON.stringify(l.nodeConditions) === '[]', 60_000);
      await waitUntil(async () => (await conditionOf(a, 'DiskPressure'))?.status === 'False', 'DiskPressure False', 10_000);
      await podWhere(a, 'late', (p) => p.status?.phase === 'Running');
      expect(a.logs.some((l) => l.msg === 'Eviction manager: pod is evicted successfully')).toBe(false);
    }, 150_000);
  });
});

async function conditionOf(a: TestAgent, type: string): Promise<NodeCondition | undefined> {
  const r = await cli(a, ['get', 'node', '-o', 'json']);
  const node = (JSON.parse(r.out) as { items: Node[] }).items[0];
  return node?.status?.conditions?.find((c) => c.type === type);
}
