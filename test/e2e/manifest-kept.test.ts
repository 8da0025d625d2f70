// Issue 12, items 6 and 8: pods keep running on the last valid, trusted version of their file.
// - Item 6: a file turned invalid keeps its last valid objects across an agent restart (SIGTERM
//   and kill -9): the same containers keep running and `get manifests` says which version is
//   kept; deleting the file removes the pod and its record in the state directory.
// - Item 8: a manifest directory made group-writable refuses every file but keeps the pods
//   (same containers), says so in `get manifests` and in the node's InsecureManifests
//   condition, also across a restart; chmod back and everything is normal again.
import { afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import yaml from 'js-yaml';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { FileStatus } from '../../agent/core/types.js';
import { LABELS } from '../../agent/core/labels.js';
import { LAST_VALID_DIR } from '../../agent/source/last-valid-store.js';
import { spawnAgent, type AgentProcess, removeAgentRoot } from '../helpers/agent-process.js';
import { dockerFromEnv, removeNodeContainers, waitUntil } from '../helpers/agent-harness.js';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '..', '..', 'dist', 'agent', 'cli', 'bin.js');
const docker = dockerFromEnv();

const pod = (name: string): string =>
  `apiVersion: v1\nkind: Pod\nmetadata: { name: ${name} }\nspec:\n  terminationGracePeriodSeconds: 2\n  containers:\n  - name: app\n    image: busybox:1.37\n    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"]\n`;

interface Env {
  readonly root: string;
  readonly dir: string;
  readonly nodeName: string;
  readonly socket: string;
  readonly args: string[];
  agent?: AgentProcess;
}

let env: Env | undefined;
afterEach(async () => {
  if (env === undefined) return;
  await env.agent?.stop();
  await removeNodeContainers(docker, env.nodeName);
  await removeAgentRoot(env.root);
  env = undefined;
});

async function setup(tag: string): Promise<Env> {
  const root = await mkdtemp(join(tmpdir(), `nodelet-kept-${tag}-`));
  const dir = join(root, 'manifests');
  await mkdir(dir, { mode: 0o755 });
  const nodeName = `kept-${tag}-${process.pid}-${Date.now().toString(36)}`;
  const socket = join(root, 'api.sock');
  const args = ['--manifest-dir', dir, '--state-dir', join(root, 'state'), '--node-name', nodeName, '--api-socket', socket, '--pod-network', 'none', '--resync-period', '2s', '--file-check-frequency', '1s'];
  env = { root, dir, nodeName, socket, args };
  return env;
}

async function start(e: Env): Promise<AgentProcess> {
  e.agent = spawnAgent(e.args);
  await e.agent.waitForLog('initial sync done', 60_000);
  return e.agent;
}

async function cli(e: Env, ...args: string[]): Promise<string> {
  const r = await run(process.execPath, [BIN, '--api-socket', e.socket, ...args], { timeout: 30_000 });
  return r.stdout;
}

async function manifests(e: Env): Promise<FileStatus[]> {
  return (yaml.load(await cli(e, 'get', 'manifests', '-o', 'yaml')) as { items: FileStatus[] }).items;
}

async function nodeCondition(e: Env, type: string): Promise<{ status?: string; reason?: string; message?: string } | undefined> {
  const node = (JSON.parse(await cli(e, 'get', 'node', '-o', 'json')) as { items: Node[] }).items[0];
  return node?.status?.conditions?.find((c) => c.type === type);
}

/** The agent's pods and their phase. */
async function podPhases(e: Env): Promise<Map<string, string>> {
  const out = await cli(e, 'get', 'pods', '-o', 'json');
  if (out.trim() === '') return new Map(); // "No resources found" goes to stderr
  const list = JSON.parse(out) as { items: { metadata?: { name?: string }; status?: { phase?: string } }[] };
  return new Map(list.items.map((p) => [p.metadata?.name ?? '', p.status?.phase ?? '']));
}

/** Running containers of the node: "pod/container" -> id. */
async function running(e: Env): Promise<Map<string, string>> {
  const list = await docker.listContainers({ filters: { label: [`${LABELS.node}=${e.nodeName}`], status: ['running'] } });
  return new Map(list.map((c) => [`${c.Labels[LABELS.podName]}/${c.Labels[LABELS.containerName]}`, c.Id]));
}

async function runningApps(e: Env, count: number): Promise<Map<string, string> | undefined> {
  const r = await running(e);
  return [...r.keys()].filter((k) => k.endsWith('/app')).length === count ? r : undefined;
}

describe('an invalid file keeps its last valid objects across restarts (item 6)', () => {
  it('SIGTERM and kill -9: same containers keep running, get manifests shows the kept version; deleting the file removes the pod and its record', async () => {
    const e = await setup('inv');
    await writeFile(join(e.dir, 'web.yaml'), pod('web'));
    await start(e);
    const before = await waitUntil(() => runningApps(e, 1), 'web running', 60_000);

    await writeFile(join(e.dir, 'web.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: { name: web\n');
    await waitUntil(async () => (await manifests(e))[0]?.state === 'invalid', 'web.yaml invalid');

    for (const restart of ['SIGTERM', 'kill -9'] as const) {
      if (restart === 'SIGTERM') await e.agent?.stop();
      else await e.agent?.kill9();
      const agent = await start(e);
      // The restarted agent runs the pod (the old code had no object for it and killed it).
      await waitUntil(async () => (await podPhases(e)).get(`web-${e.nodeName}`) === 'Running' || undefined, `web Running after ${restart}`, 30_000);
      expect(await running(e), restart).toEqual(before);
      const status = (await manifests(e))[0];
      expect(status, restart).toMatchObject({ state: 'invalid', objects: [{ kind: 'Pod', namespace: 'default', name: 'web' }], keptSince: expect.any(Number) as unknown });
      expect(status?.note).toMatch(/^the last valid version, read at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, restored from the state directory at start, is kept \(1 object\)$/);
      expect(agent.lines.filter((l) => l.msg === 'manifest file invalid at start; keeping its last valid version from the state directory')).toHaveLength(1);
      const table = await cli(e, 'get', 'manifests');
      expect(table).toContain(`${join(e.dir, 'web.yaml')}: the last valid version, read at `);
    }

    const records = join(e.root, 'state', LAST_VALID_DIR);
    expect(await readdir(records)).toHaveLength(1);
    await unlink(join(e.dir, 'web.yaml'));
    await waitUntil(async () => (await running(e)).size === 0 || undefined, 'web removed', 30_000);
    await waitUntil(async () => (await readdir(records)).length === 0 || undefined, 'its record removed');
  }, 180_000);
});

describe('a group-writable manifest directory keeps the running pods (item 8)', () => {
  it('refuses new content, keeps the containers, says so in get manifests and the InsecureManifests condition, also across kill -9; chmod back restores', async () => {
    const e = await setup('dir');
    await writeFile(join(e.dir, 'a.yaml'), pod('a'));
    await writeFile(join(e.dir, 'b.yaml'), pod('b'));
    const agent = await start(e);
    const before = await waitUntil(() => runningApps(e, 2), 'a and b running', 60_000);

    await chmod(e.dir, 0o775);
    const problem = `manifest directory ${e.dir} is writable by group (mode 0775); refusing every manifest in it. Fix: chmod go-w ${e.dir}, or run with --allow-insecure-manifests`;
    await waitUntil(async () => (await manifests(e)).every((f) => f.state !== 'ok') || undefined, 'both refused', 15_000);
    // New content is not read: a new file is refused, an edit is ignored.
    await writeFile(join(e.dir, 'c.yaml'), pod('c'));
    await writeFile(join(e.dir, 'b.yaml'), pod('b').replace('sleep 0.2', 'sleep 0.3'));
    await waitUntil(async () => (await manifests(e)).length === 3 || undefined, 'c.yaml listed', 15_000);
    const check = async (restored: boolean): Promise<void> => {
      expect(await running(e)).toEqual(before);
      const files = await manifests(e);
      expect(files.map((f) => [f.state, f.errors[0]?.message])).toEqual([
        ['refused', problem],
        ['refused', problem],
        ['refused', problem],
      ]);
      const kept = new RegExp(`^running pods kept: the 1 object last read while it was trusted \\(.*Z${restored ? ', restored from the state directory at start' : ''}\\) stay in force; its new content is not read$`);
      expect(files[0]?.note).toMatch(kept);
      expect(files[1]?.note).toMatch(kept);
      expect(files[2]?.note).toBe('not read; no objects of it are in force');
      // Node conditions are sampled by the node status tick (every 2 s), not at the read.
      const condition = await waitUntil(async () => {
        const c = await nodeCondition(e, 'InsecureManifests');
        return c?.status === 'True' ? c : undefined;
      }, 'InsecureManifests=True', 15_000);
      expect(condition).toMatchObject({ status: 'True', reason: 'ManifestsRefused', message: `3 manifest files refused, running pods kept: ${problem}` });
    };
    await check(false);
    expect(agent.lines.filter((l) => l.msg === 'manifest directory refused: insecure owner or mode; running pods kept')).toHaveLength(1);

    await e.agent?.kill9();
    await start(e);
    await check(true);

    await chmod(e.dir, 0o755);
    await waitUntil(async () => (await manifests(e)).every((f) => f.state === 'ok') || undefined, 'all ok again', 15_000);
    const trusted = await waitUntil(async () => {
      const c = await nodeCondition(e, 'InsecureManifests');
      return c?.status === 'False' ? c : undefined;
    }, 'InsecureManifests=False', 15_000);
    expect(trusted).toMatchObject({ status: 'False', reason: 'ManifestsTrusted', message: 'every manifest file is trusted' });
    const after = await waitUntil(() => runningApps(e, 3), 'c running, b updated', 60_000);
    expect(after.get(`a-${e.nodeName}/app`)).toBe(before.get(`a-${e.nodeName}/app`));
    expect(after.get(`b-${e.nodeName}/app`)).not.toBe(before.get(`b-${e.nodeName}/app`)); // the edit made while refused now applies
  }, 180_000);
});
