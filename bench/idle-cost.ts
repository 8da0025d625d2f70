// Idle cost with 50 pods running, over one minute: the agent's CPU (utime+stime from
// /proc/<pid>/stat), its RSS (VmRSS) and every Docker API request it makes, counted by a proxy
// on the socket. Beside it, over the same minute, the floor: a bare dockerode process doing
// what an idle agent must do at least (hold the events stream and relist the node's containers
// every resync period), behind its own counting proxy.
// With `endpoint`, the agent also serves its kubelet endpoint (figure 4d: what the endpoint costs idle).
//   node dist/bench/idle-cost.js                    the benchmark
//   node dist/bench/idle-cost.js --endpoint          the same with the kubelet endpoint on
//   node dist/bench/idle-cost.js --floor-child NODE  the floor process (spawned by the benchmark)
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../test/helpers/free-port.js';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LABELS } from '../agent/core/labels.js';
import { startDockerProxy, type DockerProxy } from './docker-proxy.js';
import { DOCKER_SOCKET, dockerAt, procSample, sleep, startChildAgent, waitAllRunning, type ChildAgent } from './fleet.js';

const PODS = Number(process.env.BENCH_IDLE_PODS ?? 50);
const WINDOW_MS = Number(process.env.BENCH_IDLE_SECONDS ?? 60) * 1000;
/** After the last pod runs: longer than a resync period and a manifest rescan, so start-up work is over. */
const SETTLE_MS = Number(process.env.BENCH_IDLE_SETTLE_SECONDS ?? 25) * 1000;
/** nodelet's default --resync-period; the floor relists at the same rate. */
const RESYNC_MS = 10_000;

/** 50 pods running under a child agent whose Docker traffic goes through a counting proxy. */
export interface Fleet {
  readonly proxy: DockerProxy;
  readonly agent: ChildAgent;
  /** Pod names as the agent reports them. */
  readonly pods: readonly string[];
  /** Milliseconds from writing the manifests to every pod Running. */
  readonly startMs: number;
  close(): Promise<void>;
}

/**
 * The kubelet endpoint on 127.0.0.1 as it may start without a kubeconfig: x509 against a
 * throw-away CA (openssl), no token webhook, AlwaysAllow. Its serving pair is the agent's own
 * self-signed one. Returns the flags, the port, and the CA's directory to remove.
 */
async function endpointFlags(): Promise<{ args: string[]; port: number; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'nodelet-bench-ca-'));
  const ca = join(dir, 'ca.crt');
  await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'ca.key'), '-out', ca, '-subj', '/CN=nodelet-bench-ca', '-days', '1']);
  const port = await freePort();
  return { args: ['--enable-server', '--address', '127.0.0.1', '--port', String(port), '--client-ca-file', ca, '--authentication-token-webhook=false', '--authorization-mode', 'AlwaysAllow'], port, dir };
}

/** The endpoint's answer to a request without credentials: 401 once it listens. */
function endpointStatus(port: number): Promise<number> {
  return new Promise((ok, fail) => {
    https.get({ host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      ok(res.statusCode ?? 0);
    }).on('error', fail);
  });
}

export async function startFleet(count = PODS, opts: { readonly endpoint?: boolean } = {}): Promise<Fleet> {
  const proxy = await startDockerProxy(DOCKER_SOCKET);
  const endpoint = opts.endpoint ? await endpointFlags() : undefined;
  const agent = await startChildAgent({ tag: endpoint ? 'fleet-ep' : 'fleet', dockerHost: proxy.dockerHost, extraArgs: endpoint?.args ?? [] });
  const names = Array.from({ length: count }, (_, i) => `idle${i}`);
  const pods = names.map((n) => agent.podName(n));
  const t0 = performance.now();
  try {
    await agent.writeManifests(names);
    const t1 = await waitAllRunning(agent.apiSocket, pods, 180_000);
    if (endpoint && (await endpointStatus(endpoint.port)) !== 401) throw new Error(`the kubelet endpoint on 127.0.0.1:${endpoint.port} does not answer 401 without credentials`);
    return {
      proxy,
      agent,
      pods,
      startMs: t1 - t0,
      close: async () => {
        await agent.cleanup();
        await proxy.close();
        if (endpoint) await rm(endpoint.dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    const stderr = agent.process.stderr();
    await agent.cleanup();
    await proxy.close();
    if (endpoint) await rm(endpoint.dir, { recursive: true, force: true });
    throw new Error(`${err instanceof Error ? err.message : String(err)}${stderr ? `; agent stderr: ${stderr}` : ''}`);
  }
}

export interface ProcessCost {
  /** Share of one core over the window (0.01 = 1%). */
  readonly cpuShare: number;
  readonly rssBytesMax: number;
  readonly rssBytesEnd: number;
  /** Docker API requests in the window, scaled to one minute. */
  readonly requestsPerMinute: number;
  /** The same, by `METHOD /path`. */
  readonly requests: Readonly<Record<string, number>>;
}

export interface IdleCostResult {
  readonly pods: number;
  readonly windowMs: number;
  readonly agent: ProcessCost;
  readonly floor: ProcessCost;
}

function spawnFloor(dockerHost: string, nodeName: string): ChildProcess {
  const self = fileURLToPath(import.meta.url);
  return spawn(process.execPath, [self, '--floor-child', nodeName], { env: { ...process.env, DOCKER_HOST: dockerHost }, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Samples CPU and RSS of each pid over `windowMs` and counts each proxy's requests in it. */
async function measureWindow(targets: readonly { pid: number; proxy: DockerProxy }[], windowMs: number): Promise<ProcessCost[]> {
  const start = targets.map((t) => procSample(t.pid));
  const rssMax = start.map((s) => s.rssBytes);
  const t0 = performance.now();
  while (performance.now() - t0 < windowMs) {
    await sleep(Math.min(1000, windowMs - (performance.now() - t0)));
    targets.forEach((t, i) => (rssMax[i] = Math.max(rssMax[i] ?? 0, procSample(t.pid).rssBytes)));
  }
  const t1 = performance.now();
  return targets.map((t, i) => {
    const end = procSample(t.pid);
    const counts = t.proxy.countBetween(t0, t1);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    return {
      cpuShare: (end.cpuSeconds - (start[i]?.cpuSeconds ?? 0)) / ((t1 - t0) / 1000),
      rssBytesMax: rssMax[i] ?? 0,
      rssBytesEnd: end.rssBytes,
      requestsPerMinute: (total * 60_000) / (t1 - t0),
      requests: Object.fromEntries([...counts].sort()),
    };
  });
}

/** Measures a running fleet's agent and, over the same window, the floor process. */
export async function measureIdle(fleet: Fleet, windowMs = WINDOW_MS, settleMs = SETTLE_MS): Promise<IdleCostResult> {
  const floorProxy = await startDockerProxy(DOCKER_SOCKET);
  const floor = spawnFloor(floorProxy.dockerHost, fleet.agent.nodeName);
  try {
    await sleep(settleMs);
    if (floor.pid === undefined || floor.exitCode !== null) throw new Error('the idle floor process did not start');
    const [agent, floorCost] = await measureWindow(
      [
        { pid: fleet.agent.pid, proxy: fleet.proxy },
        { pid: floor.pid, proxy: floorProxy },
      ],
      windowMs,
    );
    if (!agent || !floorCost) throw new Error('no idle samples');
    return { pods: fleet.pods.length, windowMs, agent, floor: floorCost };
  } finally {
    floor.kill('SIGTERM');
    await floorProxy.close();
  }
}

export async function runIdleCostBench(opts: { readonly endpoint?: boolean } = {}): Promise<IdleCostResult> {
  const fleet = await startFleet(PODS, opts);
  try {
    return await measureIdle(fleet);
  } finally {
    await fleet.close();
  }
}

/** The floor: the node's events stream held open and a relist every resync period, nothing else. */
async function floorChild(nodeName: string): Promise<void> {
  const docker = dockerAt(process.env.DOCKER_HOST ?? '');
  const labels = [`${LABELS.managed}=true`, `${LABELS.node}=${nodeName}`];
  // Like the agent, it keeps the stream open across engine restarts (one retry a second).
  const watch = async (): Promise<void> => {
    try {
      const events = (await docker.getEvents({ filters: { type: ['container'], label: labels } })) as NodeJS.ReadableStream;
      events.on('data', () => undefined);
      events.on('error', () => undefined);
      events.once('close', () => setTimeout(() => void watch(), 1000));
    } catch {
      setTimeout(() => void watch(), 1000);
    }
  };
  await watch();
  const relist = async (): Promise<void> => {
    await docker.listContainers({ all: true, filters: { label: labels } }).catch(() => undefined);
  };
  await relist();
  setInterval(() => void relist(), RESYNC_MS);
  process.once('SIGTERM', () => process.exit(0));
}

const kib = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MiB`;

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  if (process.argv[2] === '--floor-child') await floorChild(process.argv[3] ?? '');
  else {
    const r = await runIdleCostBench({ endpoint: process.argv.includes('--endpoint') });
    for (const [who, c] of [['nodelet', r.agent], ['floor', r.floor]] as const) {
      console.log(`${who.padEnd(8)} CPU ${(c.cpuShare * 100).toFixed(2)}% of a core, RSS max ${kib(c.rssBytesMax)}, ${c.requestsPerMinute.toFixed(1)} Docker requests/min`);
      for (const [k, n] of Object.entries(c.requests)) console.log(`           ${String(n).padStart(4)}  ${k}`);
    }
  }
}
