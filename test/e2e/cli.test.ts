// The CLI as a user runs it, against the built agent on the real dockerd: get/describe (pod,
// daemonset, node)/logs (-f, --previous)/exec (plain and interactive through a pty), and /metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { spawnAgent, type AgentProcess, removeAgentRoot } from '../helpers/agent-process.js';
import { dockerFromEnv, removeNodeContainers, waitUntil } from '../helpers/agent-harness.js';
import { freePort } from '../helpers/free-port.js';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '..', '..', 'dist', 'agent', 'cli', 'bin.js');
const docker = dockerFromEnv();
let root: string;
let socket: string;
let agent: AgentProcess;
let metricsPort: number;
const nodeName = `cli-${process.pid}`;


async function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await run(process.execPath, [BIN, '--api-socket', socket, ...args], { timeout: 30_000 });
    return { stdout: r.stdout, stderr: r.stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number };
    return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: e.code ?? -1 };
  }
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'nodelet-cli-'));
  socket = join(root, 'api.sock');
  await mkdir(join(root, 'manifests'));
  metricsPort = await freePort();
  await writeFile(
    join(root, 'manifests', 'talk.yaml'),
    `apiVersion: v1
kind: Pod
metadata: { name: talk }
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 2
  containers:
  - name: talk
    image: busybox:1.37
    command: ["sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.3; done"]
`,
  );
  await writeFile(
    join(root, 'manifests', 'crash.yaml'),
    `apiVersion: v1
kind: Pod
metadata: { name: crash }
spec:
  hostNetwork: true
  containers:
  - name: crash
    image: busybox:1.37
    command: ["sh", "-c", "echo attempt-$(date +%s); exit 2"]
`,
  );
  await writeFile(
    join(root, 'manifests', 'beacon.yaml'),
    `apiVersion: apps/v1
kind: DaemonSet
metadata: { name: beacon, labels: { tier: infra } }
spec:
  selector: { matchLabels: { app: beacon } }
  template:
    metadata: { labels: { app: beacon } }
    spec:
      hostNetwork: true
      terminationGracePeriodSeconds: 1
      containers:
      - name: beacon
        image: busybox:1.37
        command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
        resources: { requests: { cpu: 50m, memory: 16Mi } }
`,
  );
  agent = spawnAgent(['--manifest-dir', join(root, 'manifests'), '--state-dir', join(root, 'state'), '--node-name', nodeName, '--api-socket', socket, '--pod-network', 'none', '--metrics-address', `127.0.0.1:${metricsPort}`]);
  await agent.waitForLog('initial sync done');
});

afterAll(async () => {
  await agent?.stop();
  await removeNodeContainers(docker, nodeName);
  await removeAgentRoot(root);
});

describe('nodelet CLI against the running agent', () => {
  it('lists pods as kubectl does, with names usable without the node suffix', async () => {
    await waitUntil(async () => (await cli('get', 'pods')).stdout.includes('Running'), 'talk running');
    const out = (await cli('get', 'pods')).stdout;
    expect(out.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(out).toMatch(new RegExp(`talk-${nodeName}\\s+1/1\\s+Running\\s+0\\s+\\d+s`));
    const describe = (await cli('describe', 'pod', 'talk')).stdout;
    expect(describe).toContain(`Name:         talk-${nodeName}`);
    expect(describe).toContain('Started container talk');
    expect((await cli('logs', 'talk', '-c', 'nope')).stderr).toContain(`container nope is not valid for pod talk-${nodeName}`);
  });

  it('describes a DaemonSet and the node as kubectl does', async () => {
    await waitUntil(async () => (await cli('describe', 'ds', 'beacon')).stdout.includes('Pods Status:  1 Running'), 'beacon running');
    const ds = (await cli('describe', 'ds/beacon')).stdout;
    expect(ds).toMatch(/^Name:\s+beacon\nNamespace:\s+default\nSelector:\s+app=beacon\nNode-Selector:\s+<none>\nLabels:\s+tier=infra\n/);
    expect(ds).toContain('Desired Number of Nodes Scheduled: 1\nCurrent Number of Nodes Scheduled: 1\n');
    expect(ds).toContain('Pod Template:\n  Labels:  app=beacon\n  Containers:\n   beacon:\n');
    expect(ds).toMatch(/Normal\s+SuccessfulCreate\s+\S+\s+nodelet\s+Created pod: beacon-/);
    const node = (await cli('describe', 'node')).stdout;
    expect(node).toMatch(new RegExp(`^Name:\\s+${nodeName}\\n`));
    expect(node).toMatch(/\nConditions:\n {2}Type\s+Status\s+LastHeartbeatTime\s+LastTransitionTime\s+Reason\s+Message\n/);
    expect(node).toMatch(new RegExp(`\\n  default\\s+talk-${nodeName}\\s+0 \\(0%\\)\\s+0 \\(0%\\)\\s+0 \\(0%\\)\\s+0 \\(0%\\)\\s+\\S+\\n`));
    expect(node).toMatch(/\n {2}default\s+beacon-\S+\s+50m \(\d+%\)\s+0 \(0%\)\s+16Mi \(\d+%\)\s+0 \(0%\)\s+\S+\n/);
    expect(node).toContain('Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n');
    expect((await cli('describe', `node/${nodeName}`)).stdout).toMatch(new RegExp(`^Name:\\s+${nodeName}\\n`));
    expect((await cli('describe', 'ds', 'nope')).stderr).toBe('Error from server (NotFound): daemonsets.apps "nope" not found\n');
  });

  it('follows logs with -f', async () => {
    const child = spawn(process.execPath, [BIN, '--api-socket', socket, 'logs', '-f', 'talk', '--tail', '1']);
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await waitUntil(async () => (out.match(/tick \d+/g) ?? []).length >= 4, 'four lines streamed', 10_000);
    child.kill('SIGINT');
    const ticks = (out.match(/tick (\d+)/g) ?? []).map((t) => Number(t.split(' ')[1]));
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]).toBe((ticks[i - 1] ?? 0) + 1);
  });

  it('shows the previous crashed attempt with --previous', async () => {
    await waitUntil(async () => /crash-\S+\s+0\/1\s+(CrashLoopBackOff|Error)\s+[1-9]/.test((await cli('get', 'pods')).stdout), 'crash restarted', 30_000);
    // Between restarts both show the last crashed attempt, as kubelet does (lastState).
    const previous = (await cli('logs', 'crash', '--previous')).stdout.trim();
    expect(previous).toMatch(/^attempt-\d+$/);
    expect((await cli('logs', 'talk', '--previous')).stderr).toContain(`previous terminated container "talk" in pod "talk-${nodeName}" not found`);
  });

  it('returns the exit code of a plain exec and runs an interactive shell through a pty', async () => {
    const plain = await cli('exec', 'talk', '--', 'sh', '-c', 'echo out; exit 5');
    expect(plain.stdout).toBe('out\n');
    expect(plain.code).toBe(5);
    // `script` gives the CLI a real terminal; the shell's prompt and output come back through it.
    const cmd = `${process.execPath} ${BIN} --api-socket ${socket} exec -it talk -- sh`;
    const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) => {
      const child = spawn('script', ['-qfec', cmd, '/dev/null']);
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.on('error', reject);
      child.on('exit', () => resolve({ stdout: out }));
      setTimeout(() => child.stdin.write('echo interactive-$((6*7))\n'), 1000);
      setTimeout(() => child.stdin.write('exit 3\n'), 2000);
    });
    expect(stdout).toContain('interactive-42');
  });

  it('serves Prometheus metrics on the loopback listener', async () => {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toMatch(/^nodelet_running_pods \d+$/m);
    expect(text).toMatch(/^nodelet_container_restarts_total\{namespace="default",pod="crash-[^"]+",container="crash"\} [1-9]\d*$/m);
    expect(text).toContain('process_resident_memory_bytes');
    expect((await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status).toBe(200);
  });
});
