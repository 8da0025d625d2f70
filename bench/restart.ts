// Agent restart with 50 pods running (systemctl restart: SIGTERM, then a fresh `nodelet run`):
// the time from spawning the new process until its API reports every pod Running, and how many
// containers it restarted (container IDs and StartedAt before and after). The floor: a fresh
// Node process that loads dockerode, lists the node's containers and inspects each one (what
// any agent must do to know the pods' state after a start), timed from spawn to exit.
//   node dist/bench/restart.js                    the benchmark (starts its own 50 pods)
//   node dist/bench/restart.js --floor-child NODE  the floor process
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LABELS } from '../agent/core/labels.js';
import { containerStarts, docker, median, sleep, waitAllRunning } from './fleet.js';
import { startFleet, type Fleet } from './idle-cost.js';

const RUNS = Number(process.env.BENCH_RESTART_RUNS ?? 5);
/** After every pod is Running again, how long to keep watching for restarts the new agent makes. */
const WATCH_MS = 3000;

export interface RestartResult {
  readonly pods: number;
  /** Median ms from the new process spawned to every pod Running in its API. */
  readonly agent: number;
  readonly floor: number;
  readonly agentSamples: readonly number[];
  readonly floorSamples: readonly number[];
  /** Containers (sandboxes included) whose ID or StartedAt changed, summed over all restarts. */
  readonly containersRestarted: number;
  /** Docker API requests the new agent made from spawn to all Running, median over restarts. */
  readonly requestsToRunning: number;
}

function timeFloorChild(nodeName: string): Promise<number> {
  const self = fileURLToPath(import.meta.url);
  const t0 = performance.now();
  const child = spawn(process.execPath, [self, '--floor-child', nodeName], { stdio: ['ignore', 'ignore', 'inherit'] });
  return new Promise((resolveTime, reject) => {
    child.once('exit', (code) => (code === 0 ? resolveTime(performance.now() - t0) : reject(new Error(`restart floor child exited ${code ?? '?'}`))));
  });
}

function changed(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): number {
  let n = 0;
  for (const [id, state] of before) if (after.get(id) !== state) n++;
  for (const id of after.keys()) if (!before.has(id)) n++;
  return n;
}

export async function measureRestart(fleet: Fleet, runs = RUNS): Promise<RestartResult> {
  const agentSamples: number[] = [];
  const floorSamples: number[] = [];
  const requests: number[] = [];
  let restarted = 0;
  for (let i = 0; i < runs; i++) {
    floorSamples.push(await timeFloorChild(fleet.agent.nodeName));
    const before = await containerStarts(fleet.agent.nodeName);
    const t0 = await fleet.agent.restart();
    const t1 = await waitAllRunning(fleet.agent.apiSocket, fleet.pods, 60_000, 10);
    agentSamples.push(t1 - t0);
    requests.push([...fleet.proxy.countBetween(t0, t1).values()].reduce((a, b) => a + b, 0));
    await sleep(WATCH_MS);
    restarted += changed(before, await containerStarts(fleet.agent.nodeName));
  }
  return {
    pods: fleet.pods.length,
    agent: median(agentSamples),
    floor: median(floorSamples),
    agentSamples,
    floorSamples,
    containersRestarted: restarted,
    requestsToRunning: median(requests),
  };
}

export async function runRestartBench(): Promise<RestartResult> {
  const fleet = await startFleet();
  try {
    return await measureRestart(fleet);
  } finally {
    await fleet.close();
  }
}

async function floorChild(nodeName: string): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABELS.managed}=true`, `${LABELS.node}=${nodeName}`] } });
  await Promise.all(list.map((c) => docker.getContainer(c.Id).inspect()));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  if (process.argv[2] === '--floor-child') await floorChild(process.argv[3] ?? '');
  else {
    const r = await runRestartBench();
    console.log(`agent restart with ${r.pods} pods, median of ${RUNS}: nodelet ${r.agent.toFixed(0)} ms to all Running, floor ${r.floor.toFixed(0)} ms`);
    console.log(`  containers restarted: ${r.containersRestarted}; Docker requests until all Running: ${r.requestsToRunning}`);
    console.log(`  nodelet samples: ${r.agentSamples.map((t) => t.toFixed(0)).join(' ')}; floor samples: ${r.floorSamples.map((t) => t.toFixed(0)).join(' ')}`);
  }
}
