// Idle connections cannot starve the agent: with its descriptors limited to 1024, a client
// holding 5,000 idle connections to the API socket gets at most apiMaxConnections of them;
// the agent keeps reading manifests and starting pods, logs the cap once, and answers on the
// socket again once the connections go. (Before the cap, 20,000 idle connections exhausted the
// agent's descriptors: EMFILE while reading manifests.) Runs the built agent (dist/).
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../../agent/api/client.js';
import { dockerFromEnv, podContainers, removeNodeContainers, waitUntil } from '../helpers/agent-harness.js';
import { spawnAgent, type AgentProcess, removeAgentRoot } from '../helpers/agent-process.js';
import { busyboxSh, hostNetworkPod } from '../helpers/pod-fixtures.js';

const HOLDER = join(import.meta.dirname, '..', 'fixtures', 'api-clients', 'hold-connections.mjs');
const IDLE_CONNECTIONS = 5000;
const MAX_CONNECTIONS = 200;
const AGENT_NOFILE = 1024;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function openFds(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}

/** Starts the holder (as root, with room for its own descriptors); resolves with its first report. */
async function holdConnections(socket: string, count: number): Promise<{ report: { connected: number; failed: number; open: number }; release: () => Promise<void> }> {
  const child = spawn('sh', ['-c', `ulimit -n ${count + 256} && exec "$@"`, 'sh', process.execPath, HOLDER, socket, String(count)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const release = async (): Promise<void> => {
    child.stdin.end();
    await exited;
  };
  cleanups.push(release);
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
  });
  return { report: JSON.parse(line) as { connected: number; failed: number; open: number }, release };
}

describe('API connection cap', () => {
  it(`holds ${IDLE_CONNECTIONS} idle connections to ${MAX_CONNECTIONS}; the agent still applies a new manifest and answers afterwards`, async () => {
    const root = await mkdtemp(join(tmpdir(), 'nodelet-conns-'));
    const manifestDir = join(root, 'manifests');
    await mkdir(manifestDir);
    const nodeName = `conns-${process.pid}-${Date.now().toString(36)}`;
    const apiSocket = join(root, 'api.sock');
    const docker = dockerFromEnv();
    cleanups.push(async () => {
      await removeNodeContainers(docker, nodeName);
      await removeAgentRoot(root);
    });
    const args = ['--manifest-dir', manifestDir, '--state-dir', join(root, 'state'), '--node-name', nodeName, '--api-socket', apiSocket];
    const agent: AgentProcess = spawnAgent(
      [...args, '--pod-network', 'none', '--resync-period', '2s', '--file-check-frequency', '2s', '--api-max-connections', String(MAX_CONNECTIONS), '--api-idle-timeout', '5m'],
      process.env,
      { nofile: AGENT_NOFILE },
    );
    cleanups.push(() => agent.stop());
    await agent.waitForLog('initial sync done', 60_000);
    const pid = agent.child.pid ?? 0;
    const before = await openFds(pid);

    const { report, release } = await holdConnections(apiSocket, IDLE_CONNECTIONS);
    const during = await openFds(pid);
    // Connections past the cap are accepted and closed at once: they hold no descriptor.
    expect(report.open).toBeLessThanOrEqual(MAX_CONNECTIONS);
    expect(during - before).toBeLessThanOrEqual(MAX_CONNECTIONS + 16);

    // The agent reads a new manifest and starts its pod while the connections are held.
    await writeFile(join(manifestDir, 'late.yaml'), hostNetworkPod('late', 0, busyboxSh('main', 'exec sleep 3600')));
    await waitUntil(async () => (await podContainers(docker, nodeName, `late-${nodeName}`)).some((c) => c.State === 'running'), 'the late pod running while connections are held', 60_000);
    expect(agent.lines.filter((l) => l.msg === 'API connection limit reached: new connections are refused until some close (apiMaxConnections)')).toHaveLength(1);
    expect(agent.lines.some((l) => /EMFILE/.test(JSON.stringify(l)))).toBe(false);

    await release();
    const pods = await waitUntil(async () => new ApiClient(apiSocket).listPods(), 'the API answering after the connections went');
    expect(pods.map((p) => p.metadata?.name)).toContain(`late-${nodeName}`);
    const back = await agent.waitForLog('API connections below the limit again');
    expect(back.refused).toBeGreaterThanOrEqual(IDLE_CONNECTIONS - MAX_CONNECTIONS - report.failed);
    console.log(`[api-connections] fds: ${before} before, ${during} while ${IDLE_CONNECTIONS} connections were attempted (${report.open} held), cap ${MAX_CONNECTIONS}`);
  }, 180_000);
});
