// Fault scenarios of nodelet issue 8 ("survived faults"), shared by the short run inside
// `npm test` (test/e2e/faults.test.ts) and the long run of `npm run test:faults`
// (test/faults/*.test.ts). One knob, `long`, scales every scenario; the assertions are the same.
//
// Every scenario runs the BUILT agent (dist/) as a child process against the real engine of the
// integration global setup, with its own manifest dir, state dir and node name, so scenarios
// never see each other's containers. Convergence is judged from Docker itself (labels and
// inspect), never from what the agent says about itself.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readFile, readdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type Docker from 'dockerode';
import fc from 'fast-check';
import { dockerFromEnv, removeNodeContainers, waitUntil } from '../helpers/agent-harness.js';
import { collectLogLines, removeAgentRoot } from '../helpers/agent-process.js';
import { AGENT_NODE_FLAGS } from '../../agent/cli/node-flags.js';
import { LABELS } from '../../agent/core/labels.js';
import { DAEMONSETS_DIR, parseDaemonSetState } from '../../agent/daemonset/revision-store.js';
import { NODE_STATE_FILE, parseNodeOverlay } from '../../agent/node/node-store.js';
import { decodeManifest, encodeYaml } from '../../agent/manifest/decode.js';
import { parseManifestFile } from '../../agent/manifest/parse-file.js';
import { ApiClient } from '../../agent/api/client.js';
import { stringAliasBombYaml } from '../fixtures/manifest-texts.js';

const run = promisify(execFile);
const REPO = join(import.meta.dirname, '..', '..');
const BIN = join(REPO, 'dist', 'agent', 'cli', 'bin.js');
const GC_PROBE = join(import.meta.dirname, 'gc-probe.mjs');
const ENGINE_SCRIPT = join(REPO, 'test', 'engine', 'engine.sh');

export interface FaultOptions {
  /** false: the short version inside `npm test`; true: `npm run test:faults`. */
  readonly long: boolean;
  readonly seed?: number;
}

/** What a scenario measured, printed as one line and collected for test/faults/RESULTS.md. */
export type Figures = Record<string, string | number | boolean>;

export function report(scenario: string, figures: Figures): void {
  console.log(`[faults] ${scenario} ${JSON.stringify(figures)}`);
}

// --- randomness ---------------------------------------------------------------------------

/** mulberry32: a seeded generator, so a failing run can be replayed with its printed seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// --- manifests ----------------------------------------------------------------------------

// `sleep & wait` rather than a sleep loop: hundreds of pods must not fork five times a second.
const APP_COMMAND = `["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`;

export interface PodShape {
  /** Bumped to change the container spec (a container replacement); read back from Config.Env. */
  readonly mark: string;
  /** An emptyDir (a directory under <stateDir>/pods/<uid>/volumes). */
  readonly emptyDir?: boolean;
  /** A medium: Memory emptyDir (a Docker volume). */
  readonly memory?: boolean;
  /** A downwardAPI volume (files written atomically under the state dir). */
  readonly downward?: boolean;
  /** A comment that changes the file but not the pod. */
  readonly comment?: string;
}

export function podYaml(name: string, shape: PodShape): string {
  const volumes: string[] = [];
  const mounts: string[] = [];
  if (shape.emptyDir) {
    volumes.push('  - name: scratch\n    emptyDir: {}');
    mounts.push('    - { name: scratch, mountPath: /scratch }');
  }
  if (shape.memory) {
    volumes.push('  - name: ram\n    emptyDir: { medium: Memory, sizeLimit: 1Mi }');
    mounts.push('    - { name: ram, mountPath: /ram }');
  }
  if (shape.downward) {
    volumes.push('  - name: info\n    downwardAPI:\n      items:\n      - { path: labels, fieldRef: { fieldPath: metadata.labels } }');
    mounts.push('    - { name: info, mountPath: /etc/podinfo }');
  }
  return `# ${shape.comment ?? 'fault scenario pod'}
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: { app: ${name} }
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: busybox:1.37
    command: ${APP_COMMAND}
    env: [{ name: MARK, value: "${shape.mark}" }]
${mounts.length > 0 ? `    volumeMounts:\n${mounts.join('\n')}\n` : ''}${volumes.length > 0 ? `  volumes:\n${volumes.join('\n')}\n` : ''}`;
}

/** A DaemonSet; a new `mark` is a new template, i.e. a rollout. */
export function daemonSetYaml(name: string, mark: string): string {
  return `apiVersion: apps/v1
kind: DaemonSet
metadata: { name: ${name} }
spec:
  selector: { matchLabels: { app: ${name} } }
  updateStrategy: { type: RollingUpdate, rollingUpdate: { maxUnavailable: 1 } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      hostNetwork: true
      terminationGracePeriodSeconds: 1
      containers:
      - name: app
        image: busybox:1.37
        command: ${APP_COMMAND}
        env: [{ name: MARK, value: "${mark}" }]
`;
}

// --- a test node: dirs, node name, the agent process --------------------------------------

export interface Node {
  readonly root: string;
  readonly manifestDir: string;
  readonly stateDir: string;
  readonly apiSocket: string;
  readonly nodeName: string;
  readonly docker: Docker;
  args(): string[];
}

let nodeCounter = 0;

export async function makeNode(tag: string): Promise<Node> {
  const root = await mkdtemp(join(tmpdir(), `nodelet-faults-${tag}-`));
  const manifestDir = join(root, 'manifests');
  const stateDir = join(root, 'state');
  await mkdir(manifestDir);
  await mkdir(stateDir);
  const nodeName = `f${tag}-${process.pid}-${Date.now().toString(36)}${nodeCounter++}`;
  const apiSocket = join(root, 'api.sock');
  return {
    root,
    manifestDir,
    stateDir,
    apiSocket,
    nodeName,
    docker: dockerFromEnv(),
    args: () => [
      '--manifest-dir', manifestDir,
      '--state-dir', stateDir,
      '--root-dir', stateDir,
      '--node-name', nodeName,
      '--api-socket', apiSocket,
      '--pod-network', 'none',
      '--resync-period', '2s',
      '--file-check-frequency', '2s',
      '--log-level', 'info',
    ],
  };
}

export async function disposeNode(node: Node): Promise<void> {
  await removeNodeContainers(node.docker, node.nodeName);
  await removeAgentRoot(node.root);
}

export interface AgentChild {
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[];
  stderr(): string;
  kill9(): Promise<void>;
  stop(): Promise<void>;
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Only with `gcProbe`: full GC in the agent, then its memory (RSS read from /proc). */
  memoryAfterGc(): Promise<{ rss: number; heapUsed: number }>;
}

/** `nodelet run` from dist/, as systemd would start it; `gcProbe` preloads test/faults/gc-probe.mjs. */
export function launchAgent(node: Node, opts: { gcProbe?: boolean; env?: Readonly<Record<string, string>> } = {}): AgentChild {
  const execArgv = opts.gcProbe ? ['--expose-gc', '--import', pathToFileURL(GC_PROBE).href] : [];
  const child = spawn(process.execPath, [...AGENT_NODE_FLAGS, ...execArgv, BIN, 'run', ...node.args()], {
    env: { ...process.env, ...(opts.env ?? {}) },
    stdio: opts.gcProbe ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  const lines = collectLogLines(child.stdout);
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    child,
    lines,
    stderr: () => stderr,
    kill9: async () => {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (alive()) child.kill('SIGTERM');
      await exited;
    },
    waitForLog: async (msg, timeoutMs = 30_000) =>
      waitUntil(
        async () => {
          const hit = lines.find((l) => l.msg === msg);
          if (!hit && !alive()) throw new Error(`agent exited (${String(child.exitCode ?? child.signalCode)}): ${stderr}`);
          return hit;
        },
        `the agent to log "${msg}"`,
        timeoutMs,
        50,
      ),
    memoryAfterGc: async () => {
      if (!opts.gcProbe) throw new Error('launched without the GC probe');
      const answer = new Promise<{ heapUsed: number }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the GC probe did not answer')), 10_000);
        child.once('message', (m: { heapUsed: number }) => {
          clearTimeout(timer);
          resolve(m);
        });
      });
      child.send({ type: 'gc' });
      const { heapUsed } = await answer;
      return { rss: await rssOf(child.pid ?? 0), heapUsed };
    },
  };
}

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kb) * 1024;
}

/** DaemonSets run only once another helper wires them into the agent; detected from its log. */
export function daemonSetsWired(agent: AgentChild): boolean {
  return agent.lines.some((l) => l.msg === 'daemonset added' || l.msg === 'daemonset updated');
}

export const DS_NOT_WIRED = 'DaemonSet assertions skipped: this agent build does not run DaemonSets yet (it never logged "daemonset added")';

// --- what the manifests say, and what Docker holds ----------------------------------------

/** The desired state, as the test wrote it: pod name (without the node suffix) -> mark. */
export interface Desired {
  readonly pods: Map<string, string>;
  readonly daemonSets: Map<string, string>;
}

export function emptyDesired(): Desired {
  return { pods: new Map(), daemonSets: new Map() };
}

interface Seen {
  readonly id: string;
  readonly pod: string;
  readonly container: string;
  readonly state: string;
}

async function nodeContainers(node: Node): Promise<Seen[]> {
  const list = await node.docker.listContainers({ all: true, filters: { label: [`${LABELS.node}=${node.nodeName}`] } });
  return list.map((c) => ({ id: c.Id, pod: c.Labels[LABELS.podName] ?? '?', container: c.Labels[LABELS.containerName] ?? '?', state: c.State }));
}

/**
 * Pod directories (<stateDir>/pods/<uid>) and memory-emptyDir volumes of pods that have no
 * container of this node in Docker: state a killed agent left behind (issue 12 item 7).
 */
export async function orphanedPodState(node: Node): Promise<string[]> {
  const list = await node.docker.listContainers({ all: true, filters: { label: [`${LABELS.node}=${node.nodeName}`] } });
  const live = new Set(list.map((c) => c.Labels[LABELS.podUid] ?? ''));
  const dirs = await readdir(join(node.stateDir, 'pods')).catch(() => [] as string[]);
  const volumes = (await node.docker.listVolumes({ filters: { label: [`${LABELS.node}=${node.nodeName}`] } })).Volumes ?? [];
  return [
    ...dirs.filter((uid) => !live.has(uid)).map((uid) => `dir ${uid}`),
    ...volumes.filter((v) => !live.has(v.Labels[LABELS.podUid] ?? '')).map((v) => `volume ${v.Name}`),
  ];
}

/** Resolves as soon as Docker holds no container of pod `name` (polled every 10 ms). */
async function podGoneFromDocker(node: Node, name: string): Promise<void> {
  const podName = `${name}-${node.nodeName}`;
  await waitUntil(
    async () => (await node.docker.listContainers({ all: true, filters: { label: [`${LABELS.node}=${node.nodeName}`, `${LABELS.podName}=${podName}`] } })).length === 0,
    `pod ${podName} gone from Docker`,
    60_000,
    10,
  );
}

async function markOf(node: Node, id: string): Promise<string | undefined> {
  const info = await node.docker.getContainer(id).inspect();
  return (info.Config.Env ?? []).find((e) => e.startsWith('MARK='))?.slice('MARK='.length);
}

/**
 * Everything that is wrong with the node right now, against `desired`:
 * duplicates (two running containers of one pod+container, two running sandboxes of one pod),
 * orphans (a container of a pod the manifests do not define), lost pods (a manifest pod whose
 * app is not running with the latest spec). Empty when the node has converged.
 * `daemonSets: false` leaves DaemonSets out (an agent that does not run them yet).
 */
export async function divergence(node: Node, desired: Desired, opts: { daemonSets: boolean }): Promise<string[]> {
  const seen = await nodeContainers(node);
  const problems: string[] = [];
  const running = new Map<string, Seen[]>();
  for (const c of seen.filter((s) => s.state === 'running')) {
    const key = `${c.pod}/${c.container}`;
    running.set(key, [...(running.get(key) ?? []), c]);
  }
  for (const [key, list] of running) if (list.length > 1) problems.push(`duplicate: ${list.length} running containers for ${key}`);

  const staticNames = new Map<string, string>([...desired.pods].map(([name, mark]) => [`${name}-${node.nodeName}`, mark] as const));
  const dsPods = new Map<string, string[]>();
  for (const c of seen) {
    if (staticNames.has(c.pod)) continue;
    const ds = opts.daemonSets ? [...desired.daemonSets.keys()].find((d) => new RegExp(`^${d}-[a-z0-9]{5}$`).test(c.pod)) : undefined;
    if (ds === undefined) {
      problems.push(`orphan: ${c.state} container ${c.container} of pod ${c.pod}, which no manifest defines`);
      continue;
    }
    if (!(dsPods.get(ds) ?? []).includes(c.pod)) dsPods.set(ds, [...(dsPods.get(ds) ?? []), c.pod]);
  }

  const expectRunning = async (pod: string, mark: string): Promise<void> => {
    if ((running.get(`${pod}/POD`) ?? []).length === 0) problems.push(`lost: pod ${pod} has no running sandbox`);
    const apps = running.get(`${pod}/app`) ?? [];
    const app = apps[0];
    if (!app) {
      problems.push(`lost: pod ${pod} has no running app container`);
      return;
    }
    const actual = await markOf(node, app.id).catch(() => 'gone');
    if (actual !== mark) problems.push(`stale: pod ${pod} runs app with MARK=${String(actual)}, the manifest says ${mark}`);
  };
  for (const [pod, mark] of staticNames) await expectRunning(pod, mark);
  if (opts.daemonSets) {
    for (const [ds, mark] of desired.daemonSets) {
      const pods = dsPods.get(ds) ?? [];
      if (pods.length === 0) problems.push(`lost: DaemonSet ${ds} has no pod`);
      if (pods.length > 1) problems.push(`orphan: DaemonSet ${ds} has ${pods.length} pods with containers (${pods.join(', ')}); one node runs one`);
      for (const pod of pods) await expectRunning(pod, mark);
    }
  }
  return problems;
}

/** Waits until `divergence` is empty; throws with the last problems. Resolves with the time it took. */
export async function converge(node: Node, desired: Desired, opts: { daemonSets: boolean; timeoutMs: number }): Promise<number> {
  const t0 = Date.now();
  let last: string[] = [];
  try {
    await waitUntil(
      async () => {
        last = await divergence(node, desired, opts);
        return last.length === 0;
      },
      'convergence',
      opts.timeoutMs,
      500,
    );
  } catch {
    throw new Error(`node ${node.nodeName} did not converge within ${opts.timeoutMs} ms:\n  ${last.join('\n  ')}`);
  }
  return Date.now() - t0;
}

// --- state files --------------------------------------------------------------------------

export interface StateCheck {
  readonly problems: string[];
  /** Leftover temp files of atomic writes (a kill between write and rename); not corruption. */
  readonly tempFiles: string[];
  /** Highest revision per DaemonSet file. */
  readonly maxRevision: Map<string, number>;
}

/**
 * Every state file parses with the stores' own shape checks; DaemonSet revision numbers are
 * unique and ascending in the file and never go below `previousMax` (history is not lost).
 */
export async function checkStateFiles(stateDir: string, previousMax: ReadonlyMap<string, number> = new Map()): Promise<StateCheck> {
  const problems: string[] = [];
  const tempFiles: string[] = [];
  const maxRevision = new Map<string, number>();
  const nodeFile = join(stateDir, NODE_STATE_FILE);
  const nodeText = await readFile(nodeFile, 'utf8').catch(() => undefined);
  if (nodeText !== undefined) {
    try {
      const parsed = parseNodeOverlay(JSON.parse(nodeText));
      if (!parsed.ok) problems.push(`corrupt: ${nodeFile}: ${parsed.error}`);
    } catch (e) {
      problems.push(`corrupt: ${nodeFile}: ${String(e)}`);
    }
  }
  for (const dir of [stateDir, join(stateDir, DAEMONSETS_DIR)]) {
    for (const n of await readdir(dir).catch(() => [] as string[])) if (n.endsWith('.tmp')) tempFiles.push(join(dir, n));
  }
  const dsDir = join(stateDir, DAEMONSETS_DIR);
  for (const n of (await readdir(dsDir).catch(() => [] as string[])).filter((x) => x.endsWith('.json') && !x.startsWith('.'))) {
    const file = join(dsDir, n);
    const text = await readFile(file, 'utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      problems.push(`corrupt: ${file} is not JSON (${String(e)}; ${text.length} bytes)`);
      continue;
    }
    const parsed = parseDaemonSetState(json);
    if (!parsed.ok) {
      problems.push(`corrupt: ${file}: ${parsed.error}`);
      continue;
    }
    // parseDaemonSetState sorts; the raw list must already be unique and ascending.
    const raw = ((json as { revisions: { revision: number }[] }).revisions ?? []).map((r) => r.revision);
    for (let i = 1; i < raw.length; i++) {
      const [a, b] = [raw[i - 1] ?? 0, raw[i] ?? 0];
      if (b <= a) problems.push(`history: ${file} revisions not unique and increasing: ${raw.join(',')}`);
    }
    const max = Math.max(0, ...raw);
    const before = previousMax.get(n) ?? 0;
    if (max < before) problems.push(`history: ${file} highest revision went from ${before} back to ${max}`);
    maxRevision.set(n, max);
  }
  return { problems, tempFiles, maxRevision };
}

// --- scenario: kill -9 of the agent --------------------------------------------------------

/** One random change to the manifests: a pod start, a pod edit (replacement), a deletion, a DaemonSet rollout. */
type Change = 'start' | 'edit' | 'delete' | 'rollout';
const CHANGES: readonly Change[] = ['start', 'edit', 'delete', 'rollout'];
const CHANGE_ROLL: Readonly<Record<Change, number>> = { start: 0, edit: 0.4, delete: 0.6, rollout: 0.9 };

async function mutateManifests(node: Node, desired: Desired, random: () => number, nextId: () => number, maxPods: number, kind?: Change): Promise<string> {
  const names = [...desired.pods.keys()];
  const roll = kind === undefined ? random() : CHANGE_ROLL[kind];
  if ((roll < 0.3 && names.length < maxPods) || names.length === 0) {
    const name = `s${nextId()}`;
    const mark = `m${nextId()}`;
    desired.pods.set(name, mark);
    await writeAtomic(join(node.manifestDir, `${name}.yaml`), podYaml(name, { mark, emptyDir: random() < 0.5 }));
    return `start ${name}`;
  }
  if (roll < 0.55) {
    const name = pick(random, names);
    const mark = `m${nextId()}`;
    desired.pods.set(name, mark);
    await writeAtomic(join(node.manifestDir, `${name}.yaml`), podYaml(name, { mark, emptyDir: random() < 0.5 }));
    return `edit ${name}`;
  }
  if (roll < 0.75) {
    const name = pick(random, names);
    desired.pods.delete(name);
    await unlink(join(node.manifestDir, `${name}.yaml`));
    return `delete ${name}`;
  }
  const ds = pick(random, [...desired.daemonSets.keys()]);
  const mark = `g${nextId()}`;
  desired.daemonSets.set(ds, mark);
  await writeAtomic(join(node.manifestDir, `${ds}.yaml`), daemonSetYaml(ds, mark));
  return `rollout ${ds}`;
}

/** The starting manifests: `pods` pods (each with an emptyDir when `emptyDir(i)`) and the DaemonSet ds0 at g0. */
async function writeStartingManifests(node: Node, desired: Desired, nextId: () => number, pods: number, emptyDir: (i: number) => boolean): Promise<void> {
  for (let i = 0; i < pods; i++) {
    const name = `s${nextId()}`;
    const mark = `m${nextId()}`;
    desired.pods.set(name, mark);
    await writeFile(join(node.manifestDir, `${name}.yaml`), podYaml(name, { mark, emptyDir: emptyDir(i) }));
  }
  desired.daemonSets.set('ds0', 'g0');
  await writeFile(join(node.manifestDir, 'ds0.yaml'), daemonSetYaml('ds0', 'g0'));
}

/** Waits for the agent's initial sync, then for the node to converge; resolves with whether DaemonSets are wired. */
async function syncedAndConverged(agent: AgentChild, node: Node, desired: Desired, scenario: string): Promise<boolean> {
  await agent.waitForLog('initial sync done', 60_000);
  const dsWired = daemonSetsWired(agent);
  if (!dsWired) console.warn(`[faults] ${scenario}: ${DS_NOT_WIRED}`);
  await converge(node, desired, { daemonSets: dsWired, timeoutMs: 60_000 });
  return dsWired;
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = join(path, '..', `.${path.split('/').pop() ?? 'x'}.${Math.random().toString(36).slice(2)}.tmp`);
  await writeFile(tmp, text);
  await rename(tmp, path);
}

export async function agentKillScenario(opts: FaultOptions): Promise<Figures> {
  const seed = opts.seed ?? Date.now();
  const random = seededRandom(seed);
  const kills = opts.long ? 24 : 5;
  const node = await makeNode('kill');
  const desired = emptyDesired();
  let id = 0;
  const nextId = (): number => id++;
  const maxPods = opts.long ? 10 : 6;
  await writeStartingManifests(node, desired, nextId, opts.long ? 6 : 4, (i) => i % 2 === 0);

  const ops: string[] = [];
  let maxRevision = new Map<string, number>();
  let tempFiles = 0;
  let intermediateChecks = 0;
  let dsWired = false;
  let killsAfterFirstSync = 0;
  try {
    for (let k = 0; k < kills; k++) {
      const agent = launchAgent(node);
      // Half the kills hit the start-up (adoption, initial sync); the other half hit the work a
      // change starts in an agent that has synced.
      if (k % 2 === 1) await agent.waitForLog('initial sync done', 60_000);
      else await sleep(Math.floor(random() * 700));
      const changes = 1 + Math.floor(random() * 3);
      // Every kind of change comes round in turn (so even 5 kills see each), more at random.
      ops.push(await mutateManifests(node, desired, random, nextId, maxPods, CHANGES[k % CHANGES.length]));
      for (let c = 1; c < changes; c++) ops.push(await mutateManifests(node, desired, random, nextId, maxPods));
      // The kill lands anywhere from the agent's start-up to the middle of the work just asked for.
      await sleep(150 + Math.floor(random() * 2500));
      dsWired ||= daemonSetsWired(agent);
      if (agent.lines.some((l) => l.msg === 'initial sync done')) killsAfterFirstSync++;
      await agent.kill9();
      const state = await checkStateFiles(node.stateDir, maxRevision);
      if (state.problems.length > 0) throw new Error(`after kill ${k + 1} (seed ${seed}, ops ${ops.join('; ')}):\n  ${state.problems.join('\n  ')}`);
      maxRevision = state.maxRevision;
      tempFiles = state.tempFiles.length;
      if (opts.long && k % 6 === 5) {
        // Now and then, let an agent finish, so later kills also hit a converged node.
        const calm = launchAgent(node);
        await calm.waitForLog('initial sync done', 60_000);
        await converge(node, desired, { daemonSets: daemonSetsWired(calm), timeoutMs: 120_000 });
        await calm.kill9();
        intermediateChecks++;
      }
    }
    // Kills aimed at a pod's removal (issue 12 item 7): the pod's containers are gone from
    // Docker, its directory is next. Whatever such a kill leaves, housekeeping must remove.
    let aimedOrphans = 0;
    const aimedKills = opts.long ? 6 : 2;
    for (let k = 0; k < aimedKills; k++) {
      const agent = launchAgent(node);
      await agent.waitForLog('initial sync done', 60_000);
      await converge(node, desired, { daemonSets: daemonSetsWired(agent), timeoutMs: 120_000 });
      if (desired.pods.size < 2) ops.push(await mutateManifests(node, desired, random, nextId, maxPods, 'start'));
      const name = pick(random, [...desired.pods.keys()]);
      const gone = podGoneFromDocker(node, name);
      desired.pods.delete(name);
      await unlink(join(node.manifestDir, `${name}.yaml`));
      ops.push(`delete ${name} (aimed kill)`);
      await gone;
      await agent.kill9();
      aimedOrphans += (await orphanedPodState(node)).length;
    }
    // What the kills left: directories and volumes of pods nothing in Docker belongs to.
    const orphansBefore = await orphanedPodState(node);
    const agent = launchAgent(node);
    const t0 = Date.now();
    await agent.waitForLog('initial sync done', 60_000);
    dsWired ||= daemonSetsWired(agent);
    if (!dsWired) console.warn(`[faults] agent kill: ${DS_NOT_WIRED}`);
    try {
      await converge(node, desired, { daemonSets: dsWired, timeoutMs: opts.long ? 180_000 : 90_000 });
    } catch (e) {
      throw new Error(`${(e as Error).message}\n  (seed ${seed}; ops: ${ops.join('; ')})`);
    }
    const convergedMs = Date.now() - t0;
    const state = await checkStateFiles(node.stateDir, maxRevision);
    if (state.problems.length > 0) throw new Error(`final state files (seed ${seed}):\n  ${state.problems.join('\n  ')}`);
    // Housekeeping (at start, then every resync period) leaves no pod directory behind.
    let orphans: string[] = [];
    try {
      await waitUntil(async () => (orphans = await orphanedPodState(node)).length === 0, 'no orphaned pod state', 30_000, 500);
    } catch {
      throw new Error(`pod state left after the kills (seed ${seed}): ${orphans.join(', ')}`);
    }
    const orphansGoneMs = Date.now() - t0;
    await agent.stop();
    const figures: Figures = {
      seed,
      kills,
      killsDuringStartup: kills - killsAfterFirstSync,
      changes: ops.length,
      intermediateChecks,
      finalPods: desired.pods.size,
      daemonSets: dsWired ? 'checked' : 'not wired: skipped',
      dsRevisions: [...state.maxRevision.values()].join(',') || 'none',
      leftoverTempFiles: Math.max(tempFiles, state.tempFiles.length),
      convergeAfterLastKillMs: convergedMs,
      aimedKills,
      orphanedAfterAimedKills: aimedOrphans,
      orphanedPodStateBeforeLastStart: orphansBefore.length,
      orphanedPodStateGoneAfterMs: orphansGoneMs,
      leftoverPodDirs: orphans.length,
    };
    report('agent kill -9', figures);
    return figures;
  } finally {
    await disposeNode(node);
  }
}

// --- scenario: kill -9 of dockerd ---------------------------------------------------------

export function privateEngineReason(): string | undefined {
  return process.env.NODELET_ENGINE_KIND === 'private'
    ? undefined
    : `skipped: the engine (${process.env.DOCKER_HOST ?? '?'}) is not the harness's private dockerd, so it is not killed`;
}

async function privateDockerdPid(): Promise<number> {
  const dir = process.env.NODELET_ENGINE_DIR ?? '/var/lib/nodelet-test-engine';
  const pid = Number((await readFile(join(dir, 'dockerd.pid'), 'utf8')).trim());
  const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
  if (!(cmdline[0] ?? '').endsWith('dockerd') || !cmdline.some((a) => a.includes(dir))) throw new Error(`pid ${pid} is not the private dockerd of ${dir}`);
  return pid;
}

export async function dockerdKillScenario(opts: FaultOptions): Promise<Figures> {
  const seed = opts.seed ?? Date.now();
  const random = seededRandom(seed);
  const rounds = opts.long ? 3 : 1;
  const node = await makeNode('dockerd');
  const desired = emptyDesired();
  let id = 0;
  const nextId = (): number => id++;
  await writeStartingManifests(node, desired, nextId, 4, () => true);
  const agent = launchAgent(node);
  const times: number[] = [];
  const ops: string[] = [];
  try {
    const dsWired = await syncedAndConverged(agent, node, desired, 'dockerd kill');
    for (let r = 0; r < rounds; r++) {
      for (let c = 0; c < 3; c++) ops.push(await mutateManifests(node, desired, random, nextId, 8));
      await sleep(100 + Math.floor(random() * 800));
      process.kill(await privateDockerdPid(), 'SIGKILL');
      await sleep(1000);
      ops.push(await mutateManifests(node, desired, random, nextId, 8));
      await run('bash', [ENGINE_SCRIPT, 'up', '--lease', String(process.pid)], { timeout: 180_000 });
      const t0 = Date.now();
      await converge(node, desired, { daemonSets: dsWired, timeoutMs: 120_000 });
      times.push(Date.now() - t0);
    }
    if (agent.child.exitCode !== null) throw new Error(`the agent exited during the dockerd restarts: ${agent.stderr()}`);
    const state = await checkStateFiles(node.stateDir);
    if (state.problems.length > 0) throw new Error(state.problems.join('\n'));
    const figures: Figures = {
      seed,
      rounds,
      changes: ops.length,
      daemonSets: dsWired ? 'checked' : 'not wired: skipped',
      agentSawOutage: agent.lines.some((l) => l.msg === 'docker events stream lost; reconnecting' || l.msg === 'docker relist failed'),
      convergeAfterRestartMs: times.join(','),
    };
    report('dockerd kill -9', figures);
    return figures;
  } finally {
    await agent.stop();
    await disposeNode(node);
  }
}

// --- scenario: the state dir is full -------------------------------------------------------

export async function tmpfsReason(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'skipped: mounting a small tmpfs at the state dir needs root';
  const probe = await mkdtemp(join(tmpdir(), 'nodelet-faults-mount-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]);
    await run('umount', [probe]);
    return undefined;
  } catch (e) {
    return `skipped: cannot mount a tmpfs here (${String((e as Error).message).split('\n')[0]})`;
  } finally {
    await rm(probe, { recursive: true, force: true });
  }
}

/** Appends to `file` until the filesystem refuses; returns the bytes written. */
async function fillUp(file: string): Promise<number> {
  let written = 0;
  for (const size of [4096, 512, 1]) {
    for (;;) {
      try {
        await appendFile(file, Buffer.alloc(size, 0x78));
        written += size;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break;
        throw e;
      }
    }
  }
  return written;
}

async function runningIds(node: Node): Promise<Map<string, string>> {
  const seen = await nodeContainers(node);
  return new Map(seen.filter((c) => c.state === 'running').map((c) => [`${c.pod}/${c.container}`, c.id] as const));
}

export async function fullStateDirScenario(opts: FaultOptions): Promise<Figures> {
  const node = await makeNode('full');
  await run('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', node.stateDir]);
  const desired = emptyDesired();
  desired.pods.set('a', 'm1');
  desired.daemonSets.set('ds0', 'g1');
  await writeFile(join(node.manifestDir, 'a.yaml'), podYaml('a', { mark: 'm1', emptyDir: true, downward: true }));
  await writeFile(join(node.manifestDir, 'ds0.yaml'), daemonSetYaml('ds0', 'g1'));
  const agent = launchAgent(node);
  const filler = join(node.stateDir, 'filler');
  try {
    const dsWired = await syncedAndConverged(agent, node, desired, 'full state dir');
    const before = await runningIds(node);
    const stateBefore = await checkStateFiles(node.stateDir);

    const filled = await fillUp(filler);
    // While full: a new pod needs its volumes written under the state dir, the DaemonSet a new revision.
    const fullDesired: Desired = { pods: new Map(desired.pods), daemonSets: new Map(desired.daemonSets) };
    desired.pods.set('b', 'm2');
    desired.daemonSets.set('ds0', 'g2');
    await writeFile(join(node.manifestDir, 'b.yaml'), podYaml('b', { mark: 'm2', emptyDir: true, downward: true }));
    await writeFile(join(node.manifestDir, 'ds0.yaml'), daemonSetYaml('ds0', 'g2'));

    const logged = await waitUntil(
      async () => agent.lines.find((l) => /no space left on device|ENOSPC/i.test(JSON.stringify(l)) && ['warn', 'error', 40, 50].includes(l.level as string)),
      'a warning or error that names the full disk',
      opts.long ? 30_000 : 20_000,
      200,
    ).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}; the agent logged since:\n  ${agent.lines.slice(-25).map((l) => JSON.stringify(l)).join('\n  ')}`);
    });
    const client = new ApiClient(node.apiSocket);
    const event = await waitUntil(
      async () => (await client.listEvents()).find((e) => e.type === 'Warning' && /no space left on device/i.test(e.message)),
      'a Warning event that names the full disk',
      20_000,
      500,
    );
    // Give the agent some passes with the disk full before judging "untouched".
    await sleep(opts.long ? 15_000 : 4_000);
    const during = await runningIds(node);
    const touched = [...before].filter(([key, cid]) => during.get(key) !== cid && (dsWired || !key.startsWith('ds0-')));
    if (touched.length > 0) throw new Error(`running containers were replaced or stopped while the state dir was full: ${touched.map(([k]) => k).join(', ')}`);
    if (during.has(`b-${node.nodeName}/app`)) throw new Error('pod b started although its volumes could not be written (the test did not fill the disk?)');
    const stateDuring = await checkStateFiles(node.stateDir, stateBefore.maxRevision);
    if (stateDuring.problems.length > 0) throw new Error(`state files while full:\n  ${stateDuring.problems.join('\n  ')}`);
    const problemsWhileFull = await divergence(node, fullDesired, { daemonSets: dsWired });
    if (problemsWhileFull.length > 0) throw new Error(`the pods that ran before the disk filled up are not intact:\n  ${problemsWhileFull.join('\n  ')}`);

    await unlink(filler);
    const t0 = Date.now();
    await converge(node, desired, { daemonSets: dsWired, timeoutMs: 90_000 });
    const recoveredMs = Date.now() - t0;
    const stateAfter = await checkStateFiles(node.stateDir, stateBefore.maxRevision);
    if (stateAfter.problems.length > 0) throw new Error(`state files after recovery:\n  ${stateAfter.problems.join('\n  ')}`);
    if (agent.child.exitCode !== null) throw new Error(`the agent exited: ${agent.stderr()}`);
    const figures: Figures = {
      tmpfsBytesFilled: filled,
      daemonSets: dsWired ? 'checked' : 'not wired: skipped',
      loggedAs: `${String(logged.level)} "${String(logged.msg)}"`,
      event: `${event.reason}: ${event.message.slice(0, 120)}`,
      leftoverTempFiles: stateAfter.tempFiles.length,
      recoveredMs,
    };
    report('full state dir', figures);
    return figures;
  } finally {
    await agent.stop();
    await removeNodeContainers(node.docker, node.nodeName);
    await run('umount', ['-l', node.stateDir]).catch(() => undefined);
    await disposeNode(node);
  }
}

// --- scenario: manifest storm --------------------------------------------------------------

export async function manifestStormScenario(opts: FaultOptions): Promise<Figures> {
  const seed = opts.seed ?? Date.now();
  const random = seededRandom(seed);
  const files = opts.long ? 500 : 100;
  const durationMs = opts.long ? 30_000 : 8_000;
  const node = await makeNode('storm');
  const desired = emptyDesired();
  const agent = launchAgent(node);
  let version = 0;
  const counts = { create: 0, edit: 0, touch: 0, delete: 0, torn: 0 };
  try {
    await agent.waitForLog('initial sync done', 60_000);
    const end = Date.now() + durationMs;
    while (Date.now() < end) {
      const batch: Promise<void>[] = [];
      const inBatch = new Set<string>();
      for (let b = 0; b < 8; b++) {
        const name = `p${Math.floor(random() * files)}`;
        // One file is never written twice at once, so the directory ends as the test recorded it.
        if (inBatch.has(name)) continue;
        inBatch.add(name);
        const path = join(node.manifestDir, `${name}.yaml`);
        const roll = random();
        if (!desired.pods.has(name)) {
          const mark = `v${version++}`;
          desired.pods.set(name, mark);
          counts.create++;
          batch.push(writeAtomic(path, podYaml(name, { mark })));
        } else if (roll < 0.35) {
          const mark = `v${version++}`;
          desired.pods.set(name, mark);
          counts.edit++;
          // In-place writes too: the watcher sees truncated, half-written files on the way.
          if (random() < 0.5) {
            counts.torn++;
            batch.push(writeFile(path, podYaml(name, { mark })));
          } else {
            batch.push(writeAtomic(path, podYaml(name, { mark })));
          }
        } else if (roll < 0.55) {
          counts.touch++;
          batch.push(writeAtomic(path, podYaml(name, { mark: desired.pods.get(name) ?? '', comment: `touched ${version++}` })));
        } else {
          desired.pods.delete(name);
          counts.delete++;
          batch.push(unlink(path));
        }
      }
      await Promise.all(batch);
      await sleep(20);
    }
    const present = (await readdir(node.manifestDir)).filter((n) => n.endsWith('.yaml')).map((n) => n.slice(0, -5));
    if (present.length !== desired.pods.size || present.some((n) => !desired.pods.has(n))) throw new Error('test bookkeeping: the directory does not hold what the test recorded');
    const t0 = Date.now();
    await converge(node, desired, { daemonSets: false, timeoutMs: opts.long ? 600_000 : 150_000 });
    const figures: Figures = {
      seed,
      files,
      durationMs,
      ...counts,
      finalPods: desired.pods.size,
      convergeAfterStormMs: Date.now() - t0,
    };
    if (agent.child.exitCode !== null) throw new Error(`the agent exited: ${agent.stderr()}`);
    report('manifest storm', figures);
    return figures;
  } finally {
    await agent.stop();
    await disposeNode(node);
  }
}

// --- scenario: fuzz of the validate path ----------------------------------------------------

/** A full GC in this process (the test worker), without restarting node with --expose-gc. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

function seedDocuments(): unknown[] {
  const docs: unknown[] = [];
  for (const dir of [join(REPO, 'manifests', 'examples'), join(REPO, 'test', 'fixtures', 'seed-examples')]) {
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.yaml'));
    } catch {
      continue;
    }
    for (const n of names) {
      for (const d of decodeManifest(readFileSync(join(dir, n), 'utf8')).documents) docs.push(d.value);
    }
  }
  docs.push(decodeManifest(podYaml('fuzz', { mark: 'x', emptyDir: true, memory: true, downward: true })).documents[0]?.value);
  docs.push(decodeManifest(daemonSetYaml('fuzz', 'x')).documents[0]?.value);
  return docs.filter((d) => d !== undefined);
}

type Mutation = { readonly op: 'drop' | 'retype' | 'dup'; readonly at: number } | { readonly op: 'set' | 'add'; readonly at: number; readonly key: string; readonly value: unknown };

function pathsOf(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const key = Array.isArray(value) ? Number(k) : k;
      out.push([...prefix, key]);
      pathsOf(v, [...prefix, key], out);
    }
  }
  return out;
}

function mutate(doc: unknown, mutations: readonly Mutation[]): unknown {
  const root: unknown = structuredClone(doc);
  for (const m of mutations) {
    const paths = pathsOf(root);
    const path = paths[m.at % Math.max(1, paths.length)];
    if (path === undefined) continue;
    let parent = root as Record<string | number, unknown>;
    for (const seg of path.slice(0, -1)) parent = parent[seg] as Record<string | number, unknown>;
    const key = path[path.length - 1] ?? '';
    const value = parent[key];
    if (m.op === 'drop') {
      if (Array.isArray(parent) && typeof key === 'number') parent.splice(key, 1);
      else delete parent[key];
    } else if (m.op === 'retype') {
      parent[key] = typeof value === 'string' ? value.length : typeof value === 'number' ? String(value) : Array.isArray(value) ? { ...value } : value !== null && typeof value === 'object' ? Object.values(value) : 'null';
    } else if (m.op === 'dup') {
      if (Array.isArray(value) && value.length > 0) value.push(structuredClone(value[0]));
      else parent[key] = [value, value];
    } else if (m.op === 'set') {
      parent[key] = m.value;
    } else if (m.op === 'add' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      (value as Record<string, unknown>)[m.key] = m.value;
    }
  }
  return root;
}

export function fuzzScenario(opts: FaultOptions): Figures {
  const seed = opts.seed ?? Date.now();
  const runs = opts.long ? 10_000 : 2_000;
  const docs = seedDocuments();
  const junk = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.string({ maxLength: 80 }),
    fc.constantFrom('', 'Always', 'None', '1Gi', '-1', '100%', 'a'.repeat(300), 'v1', 'apps/v1', 'Pod', 'DaemonSet', '0644', null, [], {}),
    fc.integer({ min: -3, max: 2 ** 31 + 1 }),
  );
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ op: fc.constantFrom('drop' as const, 'retype' as const, 'dup' as const), at: fc.nat() }),
    fc.record({ op: fc.constantFrom('set' as const, 'add' as const), at: fc.nat(), key: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('name', 'image', 'spec', 'hostPath', 'emptyDir')), value: junk }),
  );
  let valid = 0;
  let invalid = 0;
  let count = 0;
  const property = fc.property(
    fc.constantFrom(...docs),
    fc.array(mutation, { minLength: 1, maxLength: 6 }),
    fc.constantFrom('yaml' as const, 'json' as const),
    fc.constantFrom('strict' as const, 'warn' as const),
    (doc, mutations, format, validation) => {
      const value = mutate(doc, mutations);
      let text: string;
      try {
        text = format === 'json' ? (JSON.stringify(value) ?? 'null') : encodeYaml(value);
      } catch {
        text = JSON.stringify(value) ?? 'null';
      }
      const result = parseManifestFile(text, 'fuzz.yaml', { validation });
      if (result.errors.length > 0) invalid++;
      else valid++;
      count++;
    },
  );
  // Warm-up: compiled schemas and lazy caches are not growth.
  fc.assert(property, { numRuns: 300, seed: seed + 1 });
  collectGarbage();
  const heapStart = process.memoryUsage().heapUsed;
  const t0 = Date.now();
  fc.assert(property, { numRuns: runs, seed });
  const elapsedMs = Date.now() - t0;
  collectGarbage();
  const heapEnd = process.memoryUsage().heapUsed;
  const figures: Figures = {
    seed,
    runs,
    checked: count,
    valid,
    invalid,
    elapsedMs,
    heapStartMiB: +(heapStart / 2 ** 20).toFixed(1),
    heapEndMiB: +(heapEnd / 2 ** 20).toFixed(1),
    heapGrowthMiB: +((heapEnd - heapStart) / 2 ** 20).toFixed(2),
  };
  report('validate fuzz', figures);
  return figures;
}

/** Heap growth allowed over the fuzz runs (after GC). */
export const FUZZ_HEAP_BOUND_BYTES = 8 * 2 ** 20;

// --- scenario: churn ------------------------------------------------------------------------

export const CHURN_RSS_BOUND_BYTES = 10 * 2 ** 20;

export async function churnScenario(opts: FaultOptions): Promise<Figures> {
  const cycles = opts.long ? 1000 : 50;
  const warmup = opts.long ? 60 : 20;
  const slots = 10;
  const node = await makeNode('churn');
  const agent = launchAgent(node, { gcProbe: true });
  // One shared poller: ten slots polling Docker each would load the engine more than the agent.
  let snapshot: Seen[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      snapshot = await nodeContainers(node).catch(() => snapshot);
      await sleep(100);
    }
  })();
  const waitFor = (pred: () => boolean, what: string): Promise<true> => waitUntil(async () => pred(), what, 60_000, 50);
  let serial = 0;
  const cycle = async (slot: number): Promise<void> => {
    const name = `c${slot}x${serial++}`;
    const pod = `${name}-${node.nodeName}`;
    const file = join(node.manifestDir, `${name}.yaml`);
    await writeAtomic(file, podYaml(name, { mark: 'c', emptyDir: true, memory: slot % 2 === 0, downward: slot % 3 === 0 }));
    await waitFor(() => snapshot.some((c) => c.pod === pod && c.container === 'app' && c.state === 'running'), `${pod} running`);
    await unlink(file);
    await waitFor(() => !snapshot.some((c) => c.pod === pod), `${pod} gone`);
  };
  const churn = async (total: number): Promise<void> => {
    let left = total;
    await Promise.all(
      Array.from({ length: slots }, async (_, slot) => {
        while (left > 0) {
          left--;
          await cycle(slot);
        }
      }),
    );
  };
  try {
    await agent.waitForLog('initial sync done', 60_000);
    await churn(warmup);
    await sleep(3000);
    const start = await agent.memoryAfterGc();
    const t0 = Date.now();
    await churn(cycles);
    const elapsedMs = Date.now() - t0;
    await sleep(opts.long ? 10_000 : 4_000);
    const end = await agent.memoryAfterGc();
    polling = false;
    await poller;
    const leftovers = await nodeContainers(node);
    const volumes = ((await node.docker.listVolumes({ filters: { label: [`${LABELS.node}=${node.nodeName}`] } })).Volumes ?? []).map((v) => v.Name);
    const podDirs = await readdir(join(node.stateDir, 'pods')).catch(() => [] as string[]);
    const figures: Figures = {
      cycles,
      warmupCycles: warmup,
      elapsedMs,
      rssStartMiB: +(start.rss / 2 ** 20).toFixed(1),
      rssEndMiB: +(end.rss / 2 ** 20).toFixed(1),
      rssGrowthMiB: +((end.rss - start.rss) / 2 ** 20).toFixed(2),
      heapStartMiB: +(start.heapUsed / 2 ** 20).toFixed(1),
      heapEndMiB: +(end.heapUsed / 2 ** 20).toFixed(1),
      leftoverContainers: leftovers.length,
      leftoverVolumes: volumes.length,
      leftoverPodDirs: podDirs.length,
    };
    report('churn', figures);
    const problems: string[] = [];
    if (end.rss - start.rss >= CHURN_RSS_BOUND_BYTES) problems.push(`RSS grew by ${figures.rssGrowthMiB} MiB over ${cycles} cycles (bound 10 MiB)`);
    // RSS also moves with the allocator handing pages back; the live heap is the sharper signal.
    if (end.heapUsed - start.heapUsed >= CHURN_RSS_BOUND_BYTES) problems.push(`the heap grew from ${figures.heapStartMiB} to ${figures.heapEndMiB} MiB over ${cycles} cycles (bound 10 MiB)`);
    if (leftovers.length > 0) problems.push(`containers left: ${leftovers.map((c) => `${c.pod}/${c.container} (${c.state})`).join(', ')}`);
    if (volumes.length > 0) problems.push(`volumes left: ${volumes.join(', ')}`);
    if (podDirs.length > 0) problems.push(`pod directories left under ${join(node.stateDir, 'pods')}: ${podDirs.slice(0, 10).join(', ')}${podDirs.length > 10 ? ', ...' : ''}`);
    if (problems.length > 0) throw new Error(problems.join('\n'));
    return figures;
  } finally {
    polling = false;
    await poller;
    await agent.stop();
    await disposeNode(node);
  }
}

// --- scenario: a string alias bomb present at start ---------------------------------------

/** RSS (after a full GC) an agent holding the bombs may reach: the expansions are never built. */
export const ALIAS_BOMB_RSS_BOUND_BYTES = 300 * 2 ** 20;

/**
 * Issue 12 item 3: two string alias bombs (160 KB expanding to 2 GB, 8.5 MB expanding to 280 GB)
 * are in the manifest directory beside normal pods and a DaemonSet when the agent starts, and at
 * every restart. Each start must finish its initial sync and converge; the bombs are refused as
 * invalid files (`get manifests`), the periodic rescans never fail, memory stays bounded.
 */
export async function aliasBombScenario(opts: FaultOptions): Promise<Figures> {
  const starts = opts.long ? 3 : 1;
  const rescansWatched = opts.long ? 5 : 2;
  const node = await makeNode('bomb');
  const desired = emptyDesired();
  let id = 0;
  const nextId = (): number => id++;
  await writeStartingManifests(node, desired, nextId, 3, (i) => i === 0);
  await writeFile(join(node.manifestDir, 'bomb-small.yaml'), stringAliasBombYaml('bomb-small', 20_000));
  await writeFile(join(node.manifestDir, 'bomb-large.yaml'), stringAliasBombYaml('bomb-large', 2_800_000));
  const syncMs: number[] = [];
  const rssMiB: number[] = [];
  let dsWired = false;
  let convergedMs = 0;
  try {
    for (let s = 0; s < starts; s++) {
      const agent = launchAgent(node, { gcProbe: true });
      try {
        const t0 = Date.now();
        await agent.waitForLog('initial sync done', 60_000);
        syncMs.push(Date.now() - t0);
        dsWired ||= daemonSetsWired(agent);
        convergedMs = await converge(node, desired, { daemonSets: dsWired, timeoutMs: 90_000 });
        const files = await new ApiClient(node.apiSocket).manifests();
        for (const name of ['bomb-small.yaml', 'bomb-large.yaml']) {
          const status = files.find((f) => f.file.endsWith(`/${name}`));
          if (status?.state !== 'invalid' || !/excessive aliasing/.test(status.errors[0]?.message ?? '')) {
            throw new Error(`${name} is not refused as excessive aliasing: ${JSON.stringify(status)?.slice(0, 300)}`);
          }
        }
        // The directory is rescanned every 2 s (--file-check-frequency): watch a few rescans.
        await sleep(rescansWatched * 2_000 + 500);
        const failures = agent.lines.filter((l) => /manifest source step failed|listener failed|could not be applied/.test(String(l.msg)));
        if (failures.length > 0) throw new Error(`the manifest source failed: ${JSON.stringify(failures[0])}`);
        const { rss } = await agent.memoryAfterGc();
        rssMiB.push(+(rss / 2 ** 20).toFixed(1));
        if (rss > ALIAS_BOMB_RSS_BOUND_BYTES) throw new Error(`agent RSS ${(rss / 2 ** 20).toFixed(0)} MiB after GC exceeds the bound`);
        if (agent.child.exitCode !== null) throw new Error(`the agent exited: ${agent.stderr()}`);
      } finally {
        // A restart: the next agent finds the bombs again at start.
        await agent.kill9();
      }
    }
    const figures: Figures = {
      starts,
      bombs: '160 KB -> 2 GB, 8.5 MB -> 280 GB',
      initialSyncMs: syncMs.join(','),
      convergedMs,
      rescansWatchedPerStart: rescansWatched,
      rssAfterGcMiB: rssMiB.join(','),
      daemonSets: dsWired ? 'checked' : 'not wired: skipped',
    };
    report('string alias bomb at start', figures);
    return figures;
  } finally {
    await disposeNode(node);
  }
}
