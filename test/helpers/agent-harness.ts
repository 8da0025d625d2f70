// Runs a real agent in-process against the harness's Docker Engine, with a temp manifest
// directory, a temp state dir and a unique node name, so tests never see each other's pods.
import { mkdir, mkdtemp, writeFile, rename, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Docker from 'dockerode';
import { resolveConfig, type AgentConfig } from '../../agent/config/config.js';
import { createLogger } from '../../agent/log/logger.js';
import { startAgent, type RunningAgent } from '../../agent/main.js';
import { LABELS } from '../../agent/core/labels.js';
import { NodeHostFs } from '../../agent/host/host-fs.js';
import type { ImageStore } from '../../agent/images/image-gc.js';

export interface TestAgent {
  readonly running: RunningAgent;
  readonly config: AgentConfig;
  readonly manifestDir: string;
  readonly stateDir: string;
  readonly root: string;
  readonly docker: Docker;
  readonly logs: Record<string, unknown>[];
  /**
   * The first log line, already written or still to come, that `match` accepts. It waits on the
   * line itself, with no deadline of its own (the test's timeout bounds it), so a slow machine
   * only makes it later, never fails it.
   */
  logLine(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  write(name: string, text: string): Promise<void>;
  writeAtomic(name: string, text: string): Promise<void>;
  remove(name: string): Promise<void>;
  stop(): Promise<void>;
  /** Stops the agent and removes every container and volume it created. */
  cleanup(): Promise<void>;
}

export interface TestAgentOptions {
  readonly file?: Record<string, unknown>;
  readonly flags?: Record<string, unknown>;
  readonly root?: string;
  readonly nodeName?: string;
  readonly start?: boolean;
  /** The images the agent's image GC may remove (default: the engine's; harness agents turn GC off). */
  readonly imageStore?: ImageStore;
}

let counter = 0;

/**
 * A test agent removes no image of the shared engine, not even under disk pressure (the
 * eviction manager's reclaim): its image GC sees none unless the test gives its own.
 */
const NO_IMAGES: ImageStore = {
  listImages: () => Promise.resolve([]),
  imagesInUse: () => Promise.resolve(new Set<string>()),
  imageFsStats: () => Promise.resolve({ capacity: 1, available: 1 }),
  removeImage: () => Promise.reject(new Error('test agents remove no images')),
};

export function dockerFromEnv(): Docker {
  const host = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  return new Docker({ socketPath: host.replace(/^unix:\/\//, '') });
}

export async function makeTestAgent(opts: TestAgentOptions = {}): Promise<TestAgent> {
  const root = opts.root ?? (await mkdtemp(join(tmpdir(), 'nodelet-it-')));
  const manifestDir = join(root, 'manifests');
  const stateDir = join(root, 'state');
  const nodeName = opts.nodeName ?? `it-${process.pid}-${Date.now().toString(36)}-${counter++}`;
  const config = resolveConfig({
    flags: {
      manifestDir,
      stateDir,
      // The kubelet root dir in the test's temp dir too (never the host's /var/lib/kubelet).
      rootDir: stateDir,
      nodeName,
      apiSocket: join(root, 'nodelet.sock'),
      podNetwork: 'none',
      // Each test's own log layout, so no test writes to the host's /var/log/pods.
      podLogsDir: join(root, 'log', 'pods'),
      containerLogsDir: join(root, 'log', 'containers'),
      resyncPeriod: '2s',
      fileCheckFrequency: '5s',
      logLevel: 'debug',
      // The kubelet endpoint (on by default with a kubeconfig) binds a port: tests that want it say so.
      enableServer: false,
      ...(opts.flags ?? {}),
    },
    env: { DOCKER_HOST: process.env.DOCKER_HOST },
    // Image GC off unless a test configures it: the shared engine's images are not a test's to remove.
    // Test pods' QoS cgroups under one test root, never the host's /kubepods. No disk eviction
    // thresholds unless a test sets them: how full the shared machine's disk is must not make a
    // test agent refuse or evict pods (memory keeps the kubelet's default).
    file: { imageGCHighThresholdPercent: 100, cgroupRoot: '/nodelet-it', evictionHard: { 'memory.available': '100Mi' }, ...(opts.file ?? {}) },
    hostname: nodeName,
  });
  const logs: Record<string, unknown>[] = [];
  const waiters = new Set<(line: Record<string, unknown>) => void>();
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const text of chunk.toString('utf8').split('\n')) {
        if (!text.trim()) continue;
        const line = JSON.parse(text) as Record<string, unknown>;
        logs.push(line);
        for (const w of [...waiters]) w(line);
      }
      cb();
    },
  });
  // Bounded, so a line that never comes fails the step that waited for it, not the whole test.
  const logLine = (match: (line: Record<string, unknown>) => boolean, timeoutMs = 60_000): Promise<Record<string, unknown>> => {
    const seen = logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(w);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for a log line matching ${match.toString()}`));
      }, timeoutMs);
      const w = (line: Record<string, unknown>): void => {
        if (!match(line)) return;
        clearTimeout(timer);
        waiters.delete(w);
        resolve(line);
      };
      waiters.add(w);
    });
  };
  await mkdir(manifestDir, { recursive: true });
  const docker = dockerFromEnv();
  const running = await startAgent(config, { logger: createLogger({ level: 'debug', stream: sink }), imageStore: opts.imageStore ?? NO_IMAGES });
  let stopped = false;
  const t: TestAgent = {
    running,
    config,
    manifestDir,
    stateDir,
    root,
    docker,
    logs,
    logLine,
    write: (name, text) => writeFile(join(manifestDir, name), text),
    writeAtomic: async (name, text) => {
      const tmp = join(manifestDir, `.${name}.tmp`);
      await writeFile(tmp, text);
      await rename(tmp, join(manifestDir, name));
    },
    remove: (name) => unlink(join(manifestDir, name)),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await running.stop();
    },
    cleanup: async () => {
      await t.stop();
      await removeNodeContainers(docker, nodeName);
      // Mount-safe: pods left running keep their subPath binds below the state dir.
      await new NodeHostFs().removeTree(root);
    },
  };
  return t;
}

export async function removeNodeContainers(docker: Docker, nodeName: string): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABELS.node}=${nodeName}`] } });
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  const vols = await docker.listVolumes({ filters: { label: [`${LABELS.node}=${nodeName}`] } });
  await Promise.all((vols.Volumes ?? []).map((v) => docker.getVolume(v.Name).remove().catch(() => undefined)));
}

/** Containers of one pod (by pod name label), newest first. */
export async function podContainers(docker: Docker, nodeName: string, podName: string): Promise<Docker.ContainerInfo[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABELS.node}=${nodeName}`, `${LABELS.podName}=${podName}`] } });
  return list.sort((a, b) => b.Created - a.Created);
}

export async function waitUntil<T>(fn: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
