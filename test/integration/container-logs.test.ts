// Issue 14 item 1, against the real dockerd: the kubelet's host log layout on Docker, as
// cri-dockerd + the kubelet make it. Per container instance:
//   <podLogsDir>/<ns>_<pod>_<uid>/<container>/<restart>.log -> Docker's <id>-json.log
//   <containerLogsDir>/<pod>_<ns>_<container>-<id>.log      -> the per-pod path
// and the io.kubernetes.container.logpath label; a container restart adds <restart+1>.log, an
// agent restart (adoption) keeps every link as it was, the pod's removal takes its directory and
// links, the start of an agent collects what removed pods left, and containerLogMaxSize /
// containerLogMaxFiles are Docker's json-file rotation, read across by `logs --previous`.
// On the old main none of these files, links or labels exist.
import { describe, expect, it } from 'vitest';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type Docker from 'dockerode';
import { makeTestAgent, waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { busyboxSh, containersOf, hostNetworkPod, useTestAgents } from '../helpers/pod-fixtures.js';
import { LABELS } from '../../agent/core/labels.js';
import { ApiClient } from '../../agent/api/client.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** The built CLI (npm run build first). */
const BIN = join(import.meta.dirname, '..', '..', 'dist', 'agent', 'cli', 'bin.js');

const agent = useTestAgents();

function podName(a: TestAgent, pod: string): string {
  return `${pod}-${a.config.nodeName}`;
}

function uidOf(a: TestAgent, pod: string): string {
  const uid = a.running.agent.desiredPods().find((d) => d.name === podName(a, pod))?.uid;
  if (!uid) throw new Error(`pod ${pod} is not desired`);
  return uid;
}

function podDir(a: TestAgent, pod: string, uid: string): string {
  return join(a.config.podLogsDir, `default_${podName(a, pod)}_${uid}`);
}

function legacyLink(a: TestAgent, pod: string, container: string, id: string): string {
  return join(a.config.containerLogsDir, `${podName(a, pod)}_default_${container}-${id}.log`);
}

async function isSymlink(path: string): Promise<boolean> {
  return lstat(path).then(
    (s) => s.isSymbolicLink(),
    () => false,
  );
}

async function entries(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}

/** Every link of one container instance, checked: label, <restart>.log -> Docker's file, legacy -> <restart>.log. */
async function expectLinked(a: TestAgent, pod: string, info: Docker.ContainerInfo): Promise<{ logPath: string; legacy: string }> {
  const inspect = await a.docker.getContainer(info.Id).inspect();
  const restart = info.Labels[LABELS.restartCount] ?? '0';
  const logPath = join(podDir(a, pod, uidOf(a, pod)), info.Labels[LABELS.containerName] ?? '', `${restart}.log`);
  expect(inspect.Config.Labels['io.kubernetes.container.logpath']).toBe(logPath);
  expect(await readlink(logPath)).toBe(inspect.LogPath);
  const legacy = legacyLink(a, pod, info.Labels[LABELS.containerName] ?? '', info.Id);
  expect(await readlink(legacy)).toBe(logPath);
  return { logPath, legacy };
}

const PRINTER = 'echo started-$(cat /proc/sys/kernel/random/uuid); exec sleep 3600';

describe('kubelet log layout on Docker (/var/log/pods, /var/log/containers)', () => {
  it('links each container instance, adds <n>.log on a restart, keeps links over an agent restart, removes them with the pod', async () => {
    const a = await makeTestAgent({ file: { crashLoopBackOff: { initial: '1s', max: '2s' } } });
    try {
      await a.write('web.yaml', hostNetworkPod('web', 1, busyboxSh('app', PRINTER)));
      const first = await waitUntil(async () => (await containersOf(a, 'web', 'app')).find((c) => c.State === 'running'), 'app running');
      const uid = uidOf(a, 'web');
      // The directory is the pod's (namespace_name_uid), with the container's directory in it.
      expect(await entries(a.config.podLogsDir)).toEqual([`default_${podName(a, 'web')}_${uid}`]);
      const { logPath, legacy } = await waitUntil(async () => expectLinked(a, 'web', first), 'links of 0.log');
      expect(logPath.endsWith('/app/0.log')).toBe(true);
      // What a log shipper reads through /var/log/containers: Docker's JSON lines.
      const line = await waitUntil(async () => (await readFile(legacy, 'utf8')).split('\n')[0] || undefined, 'a first log line');
      expect(JSON.parse(line)).toMatchObject({ log: expect.stringMatching(/^started-/), stream: 'stdout' });
      // containerLogMaxSize / containerLogMaxFiles defaults as the json-file options.
      const inspect = await a.docker.getContainer(first.Id).inspect();
      expect(inspect.HostConfig.LogConfig).toEqual({ Type: 'json-file', Config: { 'max-size': String(10 * 1024 * 1024), 'max-file': '5' } });
      const sandbox = (await containersOf(a, 'web', 'POD'))[0];
      expect(sandbox?.Labels['io.kubernetes.container.logpath']).toBeUndefined();

      // A container restart: a new instance with 1.log beside 0.log.
      await a.docker.getContainer(first.Id).kill();
      const second = await waitUntil(async () => (await containersOf(a, 'web', 'app')).find((c) => c.State === 'running' && c.Id !== first.Id), 'app restarted', 60_000);
      expect(second.Labels[LABELS.restartCount]).toBe('1');
      await waitUntil(async () => expectLinked(a, 'web', second), 'links of 1.log');
      // Every instance Docker still has is linked; none that it no longer has.
      const instances = await containersOf(a, 'web', 'app');
      expect(await entries(join(podDir(a, 'web', uid), 'app'))).toEqual(instances.map((c) => `${c.Labels[LABELS.restartCount]}.log`).sort());
      expect(await entries(a.config.containerLogsDir)).toEqual(instances.map((c) => `${podName(a, 'web')}_default_app-${c.Id}.log`).sort());

      // The cost per start (inspect for Docker's LogPath + the two links), for the README.
      const costs = a.logs.filter((l) => l.msg === 'container log linked').map((l) => `${String(l.ms)} ms (links ${String(l.linkMs)} ms)`);
      expect(costs).toHaveLength(2);
      console.log(`log links per container start: ${costs.join(', ')}`);

      // An agent restart adopts the running container: the same links, none added or broken.
      const before = await snapshot(a);
      await a.stop();
      const b = await agent({ root: a.root, nodeName: a.config.nodeName, file: { crashLoopBackOff: { initial: '1s', max: '2s' } } });
      await b.running.agent.waitForFirstSync();
      await b.running.agent.idle();
      expect((await containersOf(b, 'web', 'app')).find((c) => c.State === 'running')?.Id).toBe(second.Id);
      expect(await snapshot(b)).toEqual(before);
      await expectLinked(b, 'web', second);

      // The pod's removal takes its log directory and its links.
      await b.remove('web.yaml');
      await waitUntil(async () => (await containersOf(b, 'web', 'app')).length === 0, 'pod removed from Docker');
      await waitUntil(async () => (await entries(b.config.podLogsDir)).length === 0 && (await entries(b.config.containerLogsDir)).length === 0, 'log dir and links removed');
    } finally {
      await a.cleanup();
    }
  }, 120_000);

  it('collects at start what removed pods left (a killed agent), but not logs that still resolve', async () => {
    const root = await mkdtemp(join(tmpdir(), 'nodelet-it-logs-'));
    // The harness's layout: <root>/log/pods and <root>/log/containers.
    const podLogsDir = join(root, 'log', 'pods');
    const containerLogsDir = join(root, 'log', 'containers');
    // A pod that no longer exists: its link dangles (Docker removed the container).
    const ghost = join(podLogsDir, 'default_ghost-x_0123456789abcdef0123456789abcdef', 'app');
    await mkdir(ghost, { recursive: true });
    await symlink('/nonexistent/x-json.log', join(ghost, '0.log'));
    await mkdir(containerLogsDir, { recursive: true });
    const deadLink = join(containerLogsDir, `ghost-x_default_app-${'d'.repeat(64)}.log`);
    await symlink(join(ghost, '0.log'), deadLink);
    // Another agent's pod on the same host: its log still resolves, so it is left alone.
    const live = join(podLogsDir, 'default_other_fedcba9876543210fedcba9876543210', 'app');
    await mkdir(live, { recursive: true });
    await writeFile(join(root, 'other-json.log'), '{}\n');
    await symlink(join(root, 'other-json.log'), join(live, '0.log'));
    const liveLink = join(containerLogsDir, `other_default_app-${'e'.repeat(64)}.log`);
    await symlink(join(live, '0.log'), liveLink);

    const a = await agent({ root });
    expect(a.config.podLogsDir).toBe(podLogsDir);
    await waitUntil(async () => !(await isSymlink(deadLink)), 'the dangling link collected', 20_000);
    await waitUntil(async () => (await entries(podLogsDir)).length === 1, 'the removed pod log dir collected', 20_000);
    expect(await entries(podLogsDir)).toEqual(['default_other_fedcba9876543210fedcba9876543210']);
    expect(await isSymlink(deadLink)).toBe(false);
    expect(await isSymlink(liveLink)).toBe(true);
  }, 60_000);

  it('rotates with containerLogMaxSize/MaxFiles (json-file max-size/max-file), and `logs --previous` reads across the rotated files', async () => {
    const a = await agent({ file: { containerLogMaxSize: '4Ki', containerLogMaxFiles: 3, crashLoopBackOff: { initial: '1s', max: '2s' } } });
    // ~300 lines of ~100 bytes as JSON: about 30 KiB, many times the 4 KiB limit.
    const script = 'i=0; while [ $i -lt 300 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done; echo done; exec sleep 3600';
    await a.write('rot.yaml', hostNetworkPod('rot', 1, busyboxSh('app', script)));
    const first = await waitUntil(async () => (await containersOf(a, 'rot', 'app')).find((c) => c.State === 'running'), 'app running');
    const inspect = await a.docker.getContainer(first.Id).inspect();
    expect(inspect.HostConfig.LogConfig).toEqual({ Type: 'json-file', Config: { 'max-size': '4096', 'max-file': '3' } });
    const current = await waitUntil(async () => ((await readFile(inspect.LogPath, 'utf8')).includes('"done\\n"') ? inspect.LogPath : undefined), 'all lines written');
    const files = (await readdir(join(inspect.LogPath, '..'))).filter((f) => f.startsWith(`${first.Id}-json.log`)).sort();
    // The current file and two rotated ones, never more; each near the limit.
    expect(files).toEqual([`${first.Id}-json.log`, `${first.Id}-json.log.1`, `${first.Id}-json.log.2`]);
    expect((await stat(current)).size).toBeLessThan(4096 + 200);
    // The /var/log/pods link still names the current file after rotation.
    const logPath = inspect.Config.Labels['io.kubernetes.container.logpath'] ?? '';
    expect(await readlink(logPath)).toBe(inspect.LogPath);
    const linesInCurrent = (await readFile(logPath, 'utf8')).trim().split('\n').length;

    // A restart, then `logs --previous`: Docker reads the rotated files too.
    await a.docker.getContainer(first.Id).kill();
    await waitUntil(async () => (await containersOf(a, 'rot', 'app')).find((c) => c.State === 'running' && c.Id !== first.Id), 'app restarted', 60_000);
    const client = new ApiClient(a.config.apiSocket);
    const previous = await waitUntil(async () => {
      const text = await streamText(await client.logs('default', podName(a, 'rot'), { previous: true }));
      return text.includes('done') ? text : undefined;
    }, 'previous logs');
    const lines = previous.trim().split('\n');
    expect(lines[lines.length - 1]).toBe('done');
    expect(lines.length).toBeGreaterThan(linesInCurrent * 2);
    expect(lines.every((l, i) => i === lines.length - 1 || /^line-\d+-x+$/.test(l))).toBe(true);
  }, 120_000);
});

async function snapshot(a: TestAgent): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isSymbolicLink()) out[p] = `${await readlink(p)} ino=${(await lstat(p)).ino}`;
      else out[p] = 'file';
    }
  };
  await walk(a.config.podLogsDir);
  await walk(a.config.containerLogsDir);
  return out;
}

async function streamText(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return Buffer.concat(chunks).toString('utf8');
}

describe('nodelet logs through Docker', () => {
  it('--since-time reaches Docker to the nanosecond', async () => {
    const a = await agent();
    const script = 'echo before; sleep 1.2; echo after; i=0; while [ $i -lt 20000 ]; do echo filler-$i; i=$((i+1)); done; exec sleep 3600';
    await a.write('talk.yaml', hostNetworkPod('talk', 1, busyboxSh('app', script)));
    const cli = async (...args: string[]): Promise<string> => (await run(process.execPath, [BIN, '--api-socket', a.config.apiSocket, ...args], { maxBuffer: 1 << 26 })).stdout;
    const stamped = await waitUntil(async () => {
      const out = await cli('logs', 'talk', '--timestamps', '--tail', '-1');
      return out.includes('filler-19999') ? out : undefined;
    }, 'all lines written');
    const afterLine = stamped.split('\n').find((l) => l.endsWith(' after')) ?? '';
    const at = afterLine.slice(0, afterLine.indexOf(' '));
    expect(at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/);
    // From the line's own time: it is in, the line 1.2 s before is not.
    expect((await cli('logs', 'talk', '--since-time', at, '--limit-bytes', '6')).toString()).toBe('after\n');
    // One nanosecond later: that line is out too.
    const next = at.replace(/(\d{9})Z$/, (_m, ns: string) => `${String(Number(ns) + 1).padStart(9, '0')}Z`);
    expect((await cli('logs', 'talk', '--since-time', next, '--limit-bytes', '9')).toString()).toBe('filler-0\n');
  }, 90_000);

  it('`nodelet logs | head -1` exits quietly when the reader goes away', async () => {
    const a = await agent();
    const script = 'echo before; i=0; while [ $i -lt 20000 ]; do echo filler-$i; i=$((i+1)); done; exec sleep 3600';
    await a.write('talk.yaml', hostNetworkPod('talk', 1, busyboxSh('app', script)));
    await waitUntil(async () => {
      const out = (await run(process.execPath, [BIN, '--api-socket', a.config.apiSocket, 'logs', 'talk', '--tail', '1'])).stdout;
      return out === 'filler-19999\n' || undefined;
    }, 'all lines written');
    // The reader goes away after one line: no stack trace, exit status 0 (pipefail shows ours).
    const piped = await run('bash', ['-c', `set -o pipefail; "${process.execPath}" "${BIN}" --api-socket "${a.config.apiSocket}" logs talk | head -1`]).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(piped).toMatchObject({ code: 0, stdout: 'before\n', stderr: '' });
  }, 90_000);
});
