// A restarted agent adopts running containers without restarting any, restarts what died
// while it was down, and removes pods whose manifests vanished meanwhile. Then: dockerd
// itself restarts under running pods, and nodelet brings every pod back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, writeFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { spawnAgent, type AgentProcess, removeAgentRoot } from '../helpers/agent-process.js';
import { dockerFromEnv, podContainers, removeNodeContainers, waitUntil } from '../helpers/agent-harness.js';
import { LABELS } from '../../agent/core/labels.js';

const run = promisify(execFile);
const docker = dockerFromEnv();
let root: string;
let nodeName: string;
let args: string[];

function pod(name: string): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 2
  initContainers:
  - name: init
    image: busybox:1.37
    command: ["true"]
  containers:
  - name: app
    image: busybox:1.37
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"]
`;
}

async function snapshot(): Promise<Map<string, { id: string; startedAt: string; state: string }>> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABELS.node}=${nodeName}`] } });
  const out = new Map<string, { id: string; startedAt: string; state: string }>();
  for (const c of list) {
    const info = await docker.getContainer(c.Id).inspect();
    if (info.State.Status !== 'running') continue;
    out.set(`${c.Labels[LABELS.podName]}/${c.Labels[LABELS.containerName]}`, { id: c.Id, startedAt: info.State.StartedAt, state: info.State.Status });
  }
  return out;
}

async function allRunning(count: number): Promise<boolean> {
  const s = await snapshot();
  return [...s.keys()].filter((k) => k.endsWith('/app')).length === count && [...s.keys()].filter((k) => k.endsWith('/POD')).length === count;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'nodelet-e2e-'));
  nodeName = `e2e-${process.pid}`;
  await mkdir(join(root, 'manifests'));
  args = ['--manifest-dir', join(root, 'manifests'), '--state-dir', join(root, 'state'), '--node-name', nodeName, '--api-socket', join(root, 'api.sock'), '--pod-network', 'none', '--resync-period', '2s'];
  for (let i = 0; i < 5; i++) await writeFile(join(root, 'manifests', `p${i}.yaml`), pod(`p${i}`));
});

afterAll(async () => {
  await removeNodeContainers(docker, nodeName);
  await removeAgentRoot(root);
});

describe('agent restart', () => {
  let agent: AgentProcess | undefined;
  // A skipped or failed test must not leave the agent running (stop() is idempotent).
  afterAll(async () => {
    await agent?.stop();
  });

  it('adopts running containers after kill -9 without restarting any, and repairs what changed while it was down', async () => {
    agent = spawnAgent(args);
    await waitUntil(() => allRunning(5), '5 pods running', 60_000);
    const before = await snapshot();
    await agent.kill9();

    // While the agent is down: one container is killed, one manifest is removed.
    const victim = before.get(`p0-${nodeName}/app`);
    expect(victim).toBeDefined();
    await docker.getContainer(victim?.id ?? '').kill();
    await unlink(join(root, 'manifests', 'p4.yaml'));

    const t0 = Date.now();
    agent = spawnAgent(args);
    await agent.waitForLog('initial sync done');
    await waitUntil(async () => {
      const s = await snapshot();
      const p0 = s.get(`p0-${nodeName}/app`);
      return p0 && p0.id !== victim?.id && !s.has(`p4-${nodeName}/app`) ? s : undefined;
    }, 'p0 restarted and p4 removed', 30_000);
    const after = await snapshot();
    for (const name of ['p1', 'p2', 'p3']) {
      for (const c of ['app', 'POD']) {
        const key = `${name}-${nodeName}/${c}`;
        expect(after.get(key), key).toEqual(before.get(key));
      }
    }
    expect(after.get(`p0-${nodeName}/POD`)).toEqual(before.get(`p0-${nodeName}/POD`));
    const p4 = await podContainers(docker, nodeName, `p4-${nodeName}`);
    expect(p4).toHaveLength(0);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  it('reconnects after dockerd restarts and brings every pod back', async (ctx) => {
    const lease = process.env.NODELET_ENGINE_LEASE;
    if (process.env.NODELET_ENGINE_KIND !== 'private' || lease === undefined) {
      ctx.skip("the engine is not the harness's private dockerd, so this test will not restart it");
      return;
    }
    await waitUntil(() => allRunning(4), '4 pods running', 30_000);
    // engine.sh restarts only an engine a test run started and no other run uses (exit 3
    // otherwise, before it stops anything): an engine a person started stays up.
    const engine = join(import.meta.dirname, '..', 'engine', 'engine.sh');
    const restart = await run('bash', [engine, 'restart', '--lease', lease], { timeout: 120_000 }).then(
      () => 'restarted' as const,
      (err: { code?: unknown; stderr?: string }) => {
        if (err.code === 3) return err.stderr?.trim() ?? 'refused';
        throw err;
      },
    );
    if (restart !== 'restarted') {
      ctx.skip(`engine.sh did not restart the engine: ${restart}`);
      return;
    }
    await waitUntil(() => allRunning(4), '4 pods running again after the dockerd restart', 60_000, 500);
    await agent?.stop();
  });
});
