// Who did what on the API socket: a real agent, a real pod, and clients running as uid 65534
// (setpriv) through a socket whose group they are in. Every write and every exec leaves one
// audit line with the caller's kernel credentials (SO_PEERCRED), not the agent's; the
// read-only socket serves reads and refuses writes and exec with 403; the CLI falls back to it
// for reads when the admin socket refuses the user.
import { execFile } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { busyboxSh, containersOf, hostNetworkPod, useTestAgents } from '../helpers/pod-fixtures.js';
import { ApiClient } from '../../agent/api/client.js';

const run = promisify(execFile);
const agent = useTestAgents();
const NOBODY = '65534';
const RAW_CLIENT = join(import.meta.dirname, '..', 'fixtures', 'api-clients', 'raw-request.mjs');
const CLI = join(import.meta.dirname, '..', '..', 'dist', 'agent', 'cli', 'bin.js');

interface RawResult {
  readonly pid: number;
  readonly uid: number;
  readonly status?: number;
  readonly body?: string;
  readonly error?: string;
}

/** One request as uid/gid 65534 with no supplementary groups. */
async function asNobody(socket: string, method: string, path: string, extra?: string): Promise<RawResult> {
  const { stdout } = await run('setpriv', ['--reuid', NOBODY, '--regid', NOBODY, '--clear-groups', process.execPath, RAW_CLIENT, socket, method, path, ...(extra === undefined ? [] : [extra])]);
  return JSON.parse(stdout.trim()) as RawResult;
}

async function nobodyCli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('setpriv', ['--reuid', NOBODY, '--regid', NOBODY, '--clear-groups', process.execPath, CLI, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function audits(a: TestAgent): Record<string, unknown>[] {
  return a.logs.filter((l) => l.audit === true);
}

/** An agent whose sockets uid 65534 can reach (the temp root is 0700), running one busybox pod. */
async function agentWithPod(flags: Record<string, unknown>): Promise<{ a: TestAgent; pod: string }> {
  const a = await agent({ flags });
  await chmod(a.root, 0o755);
  await a.write('web.yaml', hostNetworkPod('web', 0, busyboxSh('main', 'echo hello from web; exec sleep 3600')));
  await waitUntil(async () => (await containersOf(a, 'web', 'main')).some((c) => c.State === 'running'), 'web running');
  return { a, pod: `web-${a.config.nodeName}` };
}

describe('API audit: the caller of every write and exec', () => {
  it("logs uid, gid and pid of the connecting process (uid 65534, not the agent's) for a delete and an exec", async () => {
    const { a, pod } = await agentWithPod({ apiSocketGroup: NOBODY });
    const socket = a.config.apiSocket;

    const exec = await asNobody(socket, 'POST', `/api/v1/namespaces/default/pods/${pod}/exec?command=id&command=-u`, 'exec');
    expect(exec.uid).toBe(65534);
    expect(exec.status).toBe(101);
    const del = await asNobody(socket, 'DELETE', `/api/v1/namespaces/default/pods/${pod}`);
    expect(del.status).toBe(200);
    // A write by root from this process: its own pid and uid 0.
    await new ApiClient(socket).labelNode(['audit-test=yes'], false);

    await waitUntil(async () => audits(a).length >= 3, 'three audit lines', 10_000);
    const [execLine, deleteLine, labelLine] = audits(a);
    expect(execLine).toMatchObject({
      msg: 'API audit',
      socket: 'admin',
      kind: 'exec',
      caller: { uid: 65534, gid: 65534, pid: exec.pid },
      method: 'POST',
      pod: `default/${pod}`,
      command: ['id', '-u'],
      status: 101,
    });
    expect(deleteLine).toMatchObject({ msg: 'API audit', kind: 'write', caller: { uid: 65534, gid: 65534, pid: del.pid }, method: 'DELETE', pod: `default/${pod}`, status: 200 });
    expect(labelLine).toMatchObject({ kind: 'write', caller: { uid: 0, pid: process.pid }, path: '/api/v1/node/labels', specs: ['audit-test=yes'], overwrite: false, status: 200 });
    // Reads are not audited.
    await asNobody(socket, 'GET', '/api/v1/pods');
    expect(audits(a)).toHaveLength(3);
  });
});

describe('read-only API socket', () => {
  it('serves get and logs to its group, refuses exec and delete with 403 naming the admin socket, and audits the refusals', async () => {
    const { a, pod } = await agentWithPod({ apiReadOnlySocketGroup: NOBODY });
    const ro = a.config.apiReadOnlySocket;
    expect(ro).toBe(join(a.root, 'nodelet-ro.sock'));

    // The admin socket is root's alone here.
    expect((await asNobody(a.config.apiSocket, 'GET', '/api/v1/pods')).error).toBe('EACCES');

    const pods = await asNobody(ro, 'GET', '/api/v1/pods');
    expect(pods.status).toBe(200);
    expect(pods.body).toContain(pod);
    await waitUntil(async () => (await asNobody(ro, 'GET', `/api/v1/namespaces/default/pods/${pod}/log`)).body?.includes('hello from web'), 'logs on the read-only socket');

    const del = await asNobody(ro, 'DELETE', `/api/v1/namespaces/default/pods/${pod}`);
    expect(del.status).toBe(403);
    expect(JSON.parse(del.body ?? '{}')).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
    expect(del.body).toContain(`needs the admin socket ${a.config.apiSocket}`);
    const exec = await asNobody(ro, 'POST', `/api/v1/namespaces/default/pods/${pod}/exec?command=id`, 'exec');
    expect(exec.status).toBe(403);
    expect(exec.body).toContain('exec into a pod needs the admin socket');
    const label = await asNobody(ro, 'POST', '/api/v1/node/labels', JSON.stringify({ specs: ['x=y'] }));
    expect(label.status).toBe(403);
    // Nothing was done: the pod kept its container, the node has no label.
    expect((await containersOf(a, 'web', 'main')).filter((c) => c.State === 'running')).toHaveLength(1);
    expect(a.running.agent.nodeIdentity().labels.x).toBeUndefined();

    expect(audits(a).map((l) => [l.socket, l.kind, l.status, (l.caller as { uid?: number }).uid])).toEqual([
      ['read-only', 'write', 403, 65534],
      ['read-only', 'exec', 403, 65534],
      ['read-only', 'write', 403, 65534],
    ]);

    // A follow works on the read-only socket too.
    const abort = new AbortController();
    const stream = await new ApiClient(ro).logs('default', pod, { follow: true }, abort.signal);
    const first = await new Promise<string>((resolve) => stream.once('data', (d: Buffer) => resolve(d.toString('utf8'))));
    abort.abort();
    expect(first).toContain('hello from web');
  });

  it.skipIf(!existsSync(CLI))('the CLI reads through the read-only socket when the admin socket refuses the user, and writes fail', async () => {
    const { a, pod } = await agentWithPod({ apiReadOnlySocketGroup: NOBODY });
    const get = await nobodyCli(['--api-socket', a.config.apiSocket, 'get', 'pods']);
    expect(get.stderr).toBe('');
    expect(get.code).toBe(0);
    expect(get.stdout).toContain(pod);
    const logs = await nobodyCli(['--api-socket', a.config.apiSocket, 'logs', pod]);
    expect(logs.stdout).toContain('hello from web');
    const del = await nobodyCli(['--api-socket', a.config.apiSocket, 'delete', 'pod', pod]);
    expect(del.code).toBe(1);
    expect(del.stderr).toContain(`cannot reach the agent at ${a.config.apiSocket}: permission denied`);
    expect(audits(a)).toHaveLength(0);
  });
});
