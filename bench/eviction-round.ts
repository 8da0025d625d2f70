// Cost of the eviction manager's rounds against the real dockerd: an idle round (node signals
// only: /proc, two statfs, no pod with a local storage limit) and a round that measures N pods
// with an ephemeral-storage limit (Docker inspect with size per container, its log files, du of
// an emptyDir), as wall time and this process's CPU time (process.cpuUsage).
//   npx vite-node bench/eviction-round.ts        (BENCH_EVICT_PODS=20 by default)
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { EvictionManager } from '../agent/eviction/manager.js';
import { NodeEvictionStats } from '../agent/eviction/stats.js';
import type { EvictionPod } from '../agent/eviction/pods.js';
import type { ObservedContainer } from '../agent/core/runtime-types.js';
import { EventStore } from '../agent/events/event-store.js';
import { createLogger } from '../agent/log/logger.js';
import { systemClock } from '../agent/core/clock.js';

const N = Number(process.env.BENCH_EVICT_PODS ?? 20);
const ROUNDS = Number(process.env.BENCH_EVICT_ROUNDS ?? 20);
const docker = new Docker({ socketPath: (process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, '') });
const label = `nodelet-bench-evict-${process.pid}`;

async function measure(name: string, round: () => Promise<unknown>): Promise<void> {
  await round();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < ROUNDS; i++) await round();
  const wall = (performance.now() - t0) / ROUNDS;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000 / ROUNDS;
  console.log(`${name}: ${wall.toFixed(1)} ms wall, ${cpuMs.toFixed(2)} ms CPU per round; at one round per 10 s: ${((cpuMs / 10_000) * 100).toFixed(3)} % of a core`);
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'nodelet-bench-evict-'));
  const containers = new Map<string, ObservedContainer>();
  const pods: EvictionPod[] = [];
  try {
    for (let i = 0; i < N; i++) {
      const c = await docker.createContainer({ Image: 'busybox:1.37', Cmd: ['sh', '-c', 'dd if=/dev/zero of=/tmp/f bs=1M count=2 2>/dev/null; exec sleep 3600'], Labels: { [label]: '1' }, HostConfig: { NetworkMode: 'none' } });
      await c.start();
      const uid = `pod-${i}`;
      containers.set(uid, { id: c.id, name: 'c', role: 'app', podUid: uid, podName: uid, podNamespace: 'default', sandboxId: '', state: 'running', specHash: '', restartCount: 0, image: 'busybox:1.37', createdAt: 0, labels: {} });
      const dir = join(root, uid, 'scratch');
      await mkdir(dir, { recursive: true });
      for (let f = 0; f < 20; f++) await writeFile(join(dir, `f${f}`), Buffer.alloc(4096));
      pods.push({ uid, namespace: 'default', name: uid, isStatic: false, pod: { spec: { containers: [{ name: 'c', resources: { limits: { 'ephemeral-storage': '1Gi' } } }], volumes: [{ name: 'scratch', emptyDir: { sizeLimit: '1Gi' } }] } } });
    }
    const stats = new NodeEvictionStats({ docker, rootDir: root, containersOf: (uid) => [containers.get(uid)].filter((c): c is ObservedContainer => c !== undefined), emptyDirPath: (uid, v) => join(root, uid, v), now: () => Date.now() });
    const manager = (active: EvictionPod[]): EvictionManager =>
      new EvictionManager({
        thresholds: [{ signal: 'memory.available', value: { quantity: 100 * 1024 * 1024, text: '100Mi' }, gracePeriodMs: 0 }, { signal: 'nodefs.available', value: { percentage: 0.1 }, gracePeriodMs: 0 }],
        pressureTransitionPeriodMs: 300_000,
        maxPodGracePeriodSeconds: 0,
        monitoringPeriodMs: 10_000,
        localStorageCapacityIsolation: true,
        nodeName: 'bench',
        stats,
        host: { activePods: () => active, evictPod: () => false, podCleanedUp: () => true },
        clock: systemClock,
        events: new EventStore({ clock: systemClock, source: 'bench' }),
        logger: createLogger({ level: 'silent' }),
      });
    const idle = manager([]);
    await measure('idle round (node signals only)', () => idle.synchronize());
    const busy = manager(pods);
    await measure(`round with ${N} pods with ephemeral-storage limits and an emptyDir`, () => busy.synchronize());
  } finally {
    const list = await docker.listContainers({ all: true, filters: { label: [label] } });
    await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true })));
    await rm(root, { recursive: true, force: true });
  }
}

await main();
