// Pod start latency through nodelet, beside the raw Docker floor measured in the same run:
// the same Docker call sequence (sandbox, init container run to completion, app container)
// made directly with dockerode, with no agent.
//   (a) one pod at a time: manifest written → app container running (median of N);
//   (b) 30 pods written at once → all app containers running, beside a sequential and a
//       parallel dockerode floor.
// Run with `npm run bench:startup` (it makes the harness engine available first).
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Writable } from 'node:stream';
import { resolveConfig } from '../agent/config/config.js';
import { createLogger } from '../agent/log/logger.js';
import { startAgent } from '../agent/main.js';
import { LABELS } from '../agent/core/labels.js';
import { NodeHostFs } from '../agent/host/host-fs.js';
import { docker, initPodManifest, median, removeByLabel, startFloorSandbox, watchEvents } from './fleet.js';

const SINGLE_RUNS = Number(process.env.BENCH_RUNS ?? 10);
const BURST = Number(process.env.BENCH_BURST ?? 30);
const FLOOR_LABEL = 'io.nodelet.bench-floor';

export { median };

/** The Docker calls nodelet makes for one hostNetwork pod with 1 init + 1 app container. */
export async function floorPod(tag: string): Promise<void> {
  const labels = { [FLOOR_LABEL]: 'true' };
  const sandbox = await startFloorSandbox(`floor_POD_${tag}`, labels);
  const join = { NetworkMode: `container:${sandbox.id}`, IpcMode: `container:${sandbox.id}`, RestartPolicy: { Name: 'no' } };
  const init = await docker.createContainer({ name: `floor_init_${tag}`, Image: 'busybox:1.37', Cmd: ['true'], Labels: labels, HostConfig: join });
  await init.start();
  await init.wait();
  const app = await docker.createContainer({ name: `floor_app_${tag}`, Image: 'busybox:1.37', Cmd: ['sleep', '3600'], Labels: labels, HostConfig: join });
  await app.start();
}


/** Resolves with the time each pod's app container started, watching Docker's event stream. */
async function watchAppStarts(node: string, expected: number): Promise<{ done: Promise<Map<string, number>>; stop: () => void }> {
  const starts = new Map<string, number>();
  let resolveDone!: (m: Map<string, number>) => void;
  const done = new Promise<Map<string, number>>((r) => (resolveDone = r));
  const watch = await watchEvents({ type: ['container'], event: ['start'], label: [`${LABELS.node}=${node}`, `${LABELS.containerName}=app`] }, (ev, now) => {
    const pod = ev.Actor?.Attributes?.[LABELS.podName];
    if (pod && !starts.has(pod)) starts.set(pod, now);
    if (starts.size >= expected) resolveDone(starts);
  });
  return { done, stop: watch.stop };
}

async function agentRun(count: number, mode: 'single' | 'burst'): Promise<number[]> {
  const root = await mkdtemp(join(tmpdir(), 'nodelet-bench-'));
  const node = `bench-${process.pid}-${mode}`;
  const config = resolveConfig({
    flags: { manifestDir: join(root, 'm'), stateDir: join(root, 's'), rootDir: join(root, 's'), nodeName: node, apiSocket: join(root, 'api.sock'), podNetwork: 'none', logLevel: 'warn' },
    env: { DOCKER_HOST: process.env.DOCKER_HOST },
    hostname: node,
  });
  await mkdir(join(root, 'm'));
  const silent = new Writable({ write: (_c, _e, cb) => cb() });
  const running = await startAgent(config, { logger: createLogger({ level: 'warn', stream: silent }) });
  const times: number[] = [];
  try {
    if (mode === 'single') {
      for (let i = 0; i < count; i++) {
        const watch = await watchAppStarts(node, 1);
        const t0 = performance.now();
        await writeFile(join(root, 'm', `p${i}.yaml`), initPodManifest(`p${i}`));
        const starts = await watch.done;
        watch.stop();
        times.push((starts.values().next().value ?? t0) - t0);
      }
    } else {
      const watch = await watchAppStarts(node, count);
      const t0 = performance.now();
      await Promise.all(Array.from({ length: count }, (_, i) => writeFile(join(root, 'm', `p${i}.yaml`), initPodManifest(`p${i}`))));
      const starts = await watch.done;
      watch.stop();
      times.push(Math.max(...starts.values()) - t0);
    }
  } finally {
    await running.stop();
    await removeByLabel(`${LABELS.node}=${node}`);
    // Mount-safe: the agent bind-mounted its root dir onto itself (MakeRShared).
    await new NodeHostFs().removeTree(root);
  }
  return times;
}

async function floorSingle(count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await floorPod(`s${process.pid}_${i}`);
    times.push(performance.now() - t0);
  }
  await removeByLabel(FLOOR_LABEL);
  return times;
}

async function floorBurst(count: number, parallel: boolean): Promise<number> {
  const t0 = performance.now();
  if (parallel) await Promise.all(Array.from({ length: count }, (_, i) => floorPod(`p${process.pid}_${i}`)));
  else for (let i = 0; i < count; i++) await floorPod(`q${process.pid}_${i}`);
  const elapsed = performance.now() - t0;
  await removeByLabel(FLOOR_LABEL);
  return elapsed;
}

const fmt = (ms: number): string => `${ms.toFixed(0)} ms`;

export async function runStartupBench(): Promise<{ single: { agent: number; floor: number }; burst: { agent: number; sequential: number; parallel: number } }> {
  await removeByLabel(FLOOR_LABEL);
  await floorPod(`warm${process.pid}`); // warm the image and layer caches
  await removeByLabel(FLOOR_LABEL);
  const floor = median(await floorSingle(SINGLE_RUNS));
  const agent = median(await agentRun(SINGLE_RUNS, 'single'));
  const sequential = await floorBurst(BURST, false);
  const parallel = await floorBurst(BURST, true);
  const burst = (await agentRun(BURST, 'burst'))[0] ?? 0;
  return { single: { agent, floor }, burst: { agent: burst, sequential, parallel } };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const v = await docker.version();
  const r = await runStartupBench();
  console.log(`nodelet startup benchmark — ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, Node ${process.version}, Docker ${v.Version}`);
  console.log(`(a) one pod (1 init + 1 app, hostNetwork), median of ${SINGLE_RUNS}:`);
  console.log(`    nodelet ${fmt(r.single.agent)}   dockerode floor ${fmt(r.single.floor)}   ratio ${(r.single.agent / r.single.floor).toFixed(2)}x (target <= 1.15x)`);
  console.log(`(b) ${BURST} pods written at once, until all app containers run:`);
  console.log(`    nodelet ${fmt(r.burst.agent)}   parallel floor ${fmt(r.burst.parallel)}   sequential floor ${fmt(r.burst.sequential)}`);
  console.log(`    ratio to parallel floor ${(r.burst.agent / r.burst.parallel).toFixed(2)}x (target <= 1.15x)`);
}
