// What the process-level benchmarks share: the Docker client and its events stream, a pod
// manifest, a built `nodelet run` as a child process with its own manifest/state dirs and node
// name, its local API read over the unix socket, /proc readings of a process, and clean-up by label.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_NODE_FLAGS } from '../agent/cli/node-flags.js';
import Docker from 'dockerode';
import { LABELS } from '../agent/core/labels.js';
import { NodeHostFs } from '../agent/host/host-fs.js';
import { ApiClient } from '../agent/api/client.js';
import { spawn, type ChildProcess } from 'node:child_process';

export const DOCKER_HOST = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
export const DOCKER_SOCKET = DOCKER_HOST.replace(/^unix:\/\//, '');
export const docker = dockerAt(DOCKER_HOST);

/** Every container a benchmark creates outside the agent carries this label (removed at the end). */
export const BENCH_LABEL = 'io.nodelet.bench';

export function dockerAt(dockerHost: string): Docker {
  return new Docker({ socketPath: dockerHost.replace(/^unix:\/\//, '') });
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One hostNetwork pod with a single long-running busybox container `app`. */
export function appPodManifest(name: string): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 2
  containers:
  - { name: app, image: "busybox:1.37", command: ["sleep", "3600"] }
`;
}

/** One hostNetwork pod with an init container that exits at once and the app container. */
export function initPodManifest(name: string): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 2
  initContainers:
  - { name: init, image: "busybox:1.37", command: ["true"] }
  containers:
  - { name: app, image: "busybox:1.37", command: ["sleep", "3600"] }
`;
}

/** The floor's sandbox, started: a host-network pause container that others join. */
export async function startFloorSandbox(name: string, labels: Record<string, string>): Promise<Docker.Container> {
  const sandbox = await docker.createContainer({
    name,
    Image: 'registry.k8s.io/pause:3.10',
    Labels: labels,
    HostConfig: { NetworkMode: 'host', IpcMode: 'shareable', RestartPolicy: { Name: 'no' } },
  });
  await sandbox.start();
  return sandbox;
}

export interface DockerEvent {
  readonly Action?: string;
  readonly status?: string;
  readonly id?: string;
  readonly Actor?: { readonly ID?: string; readonly Attributes?: Record<string, string> };
}

export interface EventWatch {
  /** Resolves with performance.now() of the first event matching `pred` seen from now on. */
  next(pred: (ev: DockerEvent) => boolean, timeoutMs?: number): Promise<number>;
  stop(): void;
}

/**
 * One Docker events stream; waiters are checked against each event as it arrives, then
 * `onEvent` sees it, with performance.now() of the chunk that brought it.
 */
export async function watchEvents(filters: Record<string, string[]>, onEvent?: (ev: DockerEvent, at: number) => void): Promise<EventWatch> {
  const stream = (await docker.getEvents({ filters })) as NodeJS.ReadableStream & { destroy(): void };
  const waiters = new Set<{ pred: (ev: DockerEvent) => boolean; done: (t: number) => void }>();
  let buf = '';
  stream.on('data', (chunk: Buffer) => {
    const now = performance.now();
    buf += chunk.toString('utf8');
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (!line) continue;
      const ev = JSON.parse(line) as DockerEvent;
      for (const w of waiters) {
        if (w.pred(ev)) {
          waiters.delete(w);
          w.done(now);
        }
      }
      onEvent?.(ev, now);
    }
  });
  stream.on('error', () => undefined);
  return {
    next: (pred, timeoutMs = 60_000) =>
      new Promise<number>((resolveTime, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`no matching Docker event within ${timeoutMs} ms`));
        }, timeoutMs);
        const w = { pred, done: (t: number) => (clearTimeout(timer), resolveTime(t)) };
        waiters.add(w);
      }),
    stop: () => stream.destroy(),
  };
}

export async function removeByLabel(label: string, client: Docker = docker): Promise<void> {
  const list = await client.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(list.map((c) => client.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
}

// The built CLI beside this file's compiled copy (dist/bench → dist/agent).
const BIN = join(import.meta.dirname, '..', 'agent', 'cli', 'bin.js');

export interface AgentProcess {
  readonly child: ChildProcess;
  /** Everything the agent wrote to stderr (it logs JSON to stdout, which is discarded). */
  stderr(): string;
  /** SIGTERM, and resolves once the process exited. */
  stop(): Promise<void>;
}

/** `nodelet run ARGS` as a child process, as systemd would run it. */
export function spawnAgent(args: readonly string[], env: NodeJS.ProcessEnv): AgentProcess {
  const child = spawn(process.execPath, [...AGENT_NODE_FLAGS, BIN, 'run', ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  return {
    child,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface ChildAgent {
  readonly process: AgentProcess;
  readonly pid: number;
  readonly root: string;
  readonly manifestDir: string;
  readonly apiSocket: string;
  readonly nodeName: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** The pod name as the agent reports it (static pods get `-<node>`). */
  podName(name: string): string;
  writeManifests(names: readonly string[]): Promise<void>;
  /** SIGTERM and a fresh `nodelet run` with the same flags; resolves once the new process is spawned. */
  restart(): Promise<number>;
  /** Stops the agent, removes its containers and its directories. */
  cleanup(): Promise<void>;
}

/** Starts the built `nodelet run` as a child process; `dockerHost` may be a counting proxy. */
export async function startChildAgent(opts: { tag: string; dockerHost?: string; extraArgs?: readonly string[] }): Promise<ChildAgent> {
  const root = await mkdtemp(join(tmpdir(), `nodelet-bench-${opts.tag}-`));
  const manifestDir = join(root, 'manifests');
  await mkdir(manifestDir);
  const nodeName = `bench-${opts.tag}-${process.pid}`;
  const apiSocket = join(root, 'nodelet.sock');
  const args = [
    '--manifest-dir', manifestDir,
    '--state-dir', join(root, 'state'),
    // The kubelet root dir in the bench's temp dir, never the host's /var/lib/kubelet.
    '--root-dir', join(root, 'state'),
    '--node-name', nodeName,
    '--api-socket', apiSocket,
    '--pod-network', 'none',
    '--log-level', 'info',
    ...(opts.extraArgs ?? []),
  ];
  const env = { ...process.env, DOCKER_HOST: opts.dockerHost ?? DOCKER_HOST };
  let current = spawnAgent(args, env);
  const agent: ChildAgent = {
    get process() {
      return current;
    },
    get pid() {
      return current.child.pid ?? 0;
    },
    root,
    manifestDir,
    apiSocket,
    nodeName,
    args,
    env,
    podName: (name) => `${name}-${nodeName}`,
    writeManifests: async (names) => {
      await Promise.all(names.map((n) => writeFile(join(manifestDir, `${n}.yaml`), appPodManifest(n))));
    },
    restart: async () => {
      await current.stop();
      const t = performance.now();
      current = spawnAgent(args, env);
      return t;
    },
    cleanup: async () => {
      await current.stop();
      await removeByLabel(`${LABELS.node}=${nodeName}`);
      // Mount-safe: the agent bind-mounted its root dir onto itself (MakeRShared).
      await new NodeHostFs().removeTree(root);
    },
  };
  return agent;
}

/** Pod names the agent reports with phase Running and every container running; rejects while the socket is not up. */
export async function runningPods(socketPath: string): Promise<Set<string>> {
  const pods = await new ApiClient(socketPath).listPods();
  const running = new Set<string>();
  for (const p of pods) {
    const statuses = p.status?.containerStatuses ?? [];
    if (p.status?.phase === 'Running' && statuses.length > 0 && statuses.every((s) => s.state?.running !== undefined)) running.add(p.metadata?.name ?? '');
  }
  return running;
}

/** Polls the agent's API until every pod in `names` is Running; returns performance.now() at that moment. */
export async function waitAllRunning(socketPath: string, names: readonly string[], timeoutMs = 120_000, intervalMs = 20): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let seen = 0;
  for (;;) {
    try {
      const running = await runningPods(socketPath);
      seen = names.filter((n) => running.has(n)).length;
      if (seen === names.length) return performance.now();
    } catch {
      // The socket is not up yet (agent starting): keep polling.
    }
    if (performance.now() > deadline) throw new Error(`only ${seen}/${names.length} pods Running after ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/** Container ID → StartedAt of every container of a node (sandboxes included). */
export async function containerStarts(nodeName: string): Promise<Map<string, string>> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABELS.node}=${nodeName}`] } });
  const out = new Map<string, string>();
  await Promise.all(
    list.map(async (c) => {
      const info = await docker.getContainer(c.Id).inspect();
      out.set(c.Id, `${info.State.Running ? 'running' : 'exited'}@${info.State.StartedAt}`);
    }),
  );
  return out;
}

export interface ProcSample {
  /** utime + stime, in seconds of CPU. */
  readonly cpuSeconds: number;
  readonly rssBytes: number;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** /proc/<pid>/stat utime+stime and /proc/<pid>/status VmRSS. */
export function procSample(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at state, field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuSeconds: (utime + stime) / CLOCK_TICKS, rssBytes: rssKb * 1024 };
}
