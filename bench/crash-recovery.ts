// Crash recovery: from `docker kill` of a pod's app container to its replacement running, for
// the first restart (no CrashLoopBackOff yet), beside the floor: a dockerode loop that watches
// the events stream itself and, on the die event, creates and starts a replacement joined to
// the same sandbox. Both are timed the same way: kill issued → the replacement's `start` event
// seen on a separate events stream. Each sample uses a fresh pod, so every restart is a first one.
//   node dist/bench/crash-recovery.js
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type Docker from 'dockerode';
import { LABELS } from '../agent/core/labels.js';
import { BENCH_LABEL, docker, median, removeByLabel, sleep, startChildAgent, startFloorSandbox, waitAllRunning, watchEvents, type DockerEvent, type EventWatch } from './fleet.js';

const RUNS = Number(process.env.BENCH_CRASH_RUNS ?? 10);
const FLOOR_LABEL = `${BENCH_LABEL}.crash-floor`;

const action = (ev: DockerEvent): string => ev.Action ?? ev.status ?? '';

/** Kills `id` and resolves with the time until a `start` event of another container matching `labels`. */
async function killAndTime(watch: EventWatch, id: string, labels: Record<string, string>): Promise<number> {
  const started = watch.next(
    (ev) => action(ev) === 'start' && ev.Actor?.ID !== id && Object.entries(labels).every(([k, v]) => ev.Actor?.Attributes?.[k] === v),
  );
  const t0 = performance.now();
  await docker.getContainer(id).kill();
  return (await started) - t0;
}

async function nodeletRecovery(runs: number): Promise<number[]> {
  const agent = await startChildAgent({ tag: 'crash' });
  const names = Array.from({ length: runs }, (_, i) => `crash${i}`);
  const times: number[] = [];
  try {
    await agent.writeManifests(names);
    await waitAllRunning(agent.apiSocket, names.map((n) => agent.podName(n)));
    const watch = await watchEvents({ type: ['container'], event: ['start'], label: [`${LABELS.node}=${agent.nodeName}`] });
    try {
      for (const name of names) {
        const pod = agent.podName(name);
        const [app] = await docker.listContainers({ filters: { label: [`${LABELS.node}=${agent.nodeName}`, `${LABELS.podName}=${pod}`, `${LABELS.containerName}=app`] } });
        if (!app) throw new Error(`no running app container for ${pod}`);
        times.push(await killAndTime(watch, app.Id, { [LABELS.podName]: pod, [LABELS.containerName]: 'app' }));
        await sleep(300);
      }
    } finally {
      watch.stop();
    }
  } finally {
    await agent.cleanup();
  }
  return times;
}

/** The floor's pod: a host-network sandbox and an app container joined to it. */
async function floorPod(tag: string): Promise<{ sandbox: string; app: string }> {
  const labels = { [FLOOR_LABEL]: 'true', [`${FLOOR_LABEL}.pod`]: tag };
  const sandbox = await startFloorSandbox(`crashfloor_POD_${tag}`, labels);
  const app = await createFloorApp(sandbox.id, tag, 0);
  await app.start();
  return { sandbox: sandbox.id, app: app.id };
}

function createFloorApp(sandboxId: string, tag: string, attempt: number): Promise<Docker.Container> {
  return docker.createContainer({
    name: `crashfloor_app_${tag}_${attempt}`,
    Image: 'busybox:1.37',
    Cmd: ['sleep', '3600'],
    Labels: { [FLOOR_LABEL]: 'true', [`${FLOOR_LABEL}.pod`]: tag, [`${FLOOR_LABEL}.role`]: 'app', [`${FLOOR_LABEL}.sandbox`]: sandboxId },
    HostConfig: { NetworkMode: `container:${sandboxId}`, IpcMode: `container:${sandboxId}`, RestartPolicy: { Name: 'no' } },
  });
}

async function floorRecovery(runs: number): Promise<number[]> {
  await removeByLabel(FLOOR_LABEL);
  const tags = Array.from({ length: runs }, (_, i) => `${process.pid}_${i}`);
  const pods = new Map<string, { sandbox: string; app: string }>();
  for (const tag of tags) pods.set(tag, await floorPod(tag));
  // The reactor: its own events stream, as an agent would have; on an app's die, replace it.
  const reactor = await watchEvents({ type: ['container'], event: ['die'], label: [`${FLOOR_LABEL}.role=app`] }, (ev) => {
    const attrs = ev.Actor?.Attributes ?? {};
    const tag = attrs[`${FLOOR_LABEL}.pod`];
    const sandbox = attrs[`${FLOOR_LABEL}.sandbox`];
    if (tag === undefined || sandbox === undefined) return;
    void createFloorApp(sandbox, tag, 1).then((c) => c.start());
  });
  const watch = await watchEvents({ type: ['container'], event: ['start'], label: [`${FLOOR_LABEL}.role=app`] });
  const times: number[] = [];
  try {
    for (const tag of tags) {
      const pod = pods.get(tag);
      if (!pod) continue;
      times.push(await killAndTime(watch, pod.app, { [`${FLOOR_LABEL}.pod`]: tag }));
      await sleep(300);
    }
  } finally {
    watch.stop();
    reactor.stop();
    await removeByLabel(FLOOR_LABEL);
  }
  return times;
}

export interface CrashRecoveryResult {
  readonly agent: number;
  readonly floor: number;
  readonly agentSamples: readonly number[];
  readonly floorSamples: readonly number[];
}

export async function runCrashRecoveryBench(runs = RUNS): Promise<CrashRecoveryResult> {
  const floorSamples = await floorRecovery(runs);
  const agentSamples = await nodeletRecovery(runs);
  return { agent: median(agentSamples), floor: median(floorSamples), agentSamples, floorSamples };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const r = await runCrashRecoveryBench();
  console.log(`crash recovery (first restart), median of ${RUNS}: nodelet ${r.agent.toFixed(0)} ms, floor ${r.floor.toFixed(0)} ms, ratio ${(r.agent / r.floor).toFixed(2)}x (target <= 1.3x)`);
  console.log(`  nodelet samples: ${r.agentSamples.map((t) => t.toFixed(0)).join(' ')}`);
  console.log(`  floor samples:   ${r.floorSamples.map((t) => t.toFixed(0)).join(' ')}`);
}
