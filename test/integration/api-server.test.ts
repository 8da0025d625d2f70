// The local API server on a real unix socket, against FakeApiBackend (a fake of nodelet's own
// ApiBackend port; Docker is not involved), and the health/metrics listener on loopback TCP.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApiServer, SOCKET_MODE, type ApiServer } from '../../agent/api/server.js';
import { AgentUnreachableError, ApiClient, ApiStatusError, formatClientError, type ExecConnection } from '../../agent/api/client.js';
import { createMetrics } from '../../agent/api/metrics.js';
import { startHealthServer, type HealthServer } from '../../agent/api/health-server.js';
import { isNodeletError } from '../../agent/core/errors.js';
import { sinkLogger } from '../helpers/log-sink.js';
import { FakeApiBackend, fakePod, NODE_NAME } from '../helpers/fake-api-backend.js';

let dir: string;
let socketPath: string;
let backend: FakeApiBackend;
let server: ApiServer | undefined;
let client: ApiClient;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nodelet-api-'));
  chmodSync(dir, 0o755);
  socketPath = join(dir, 'run', 'nodelet.sock');
  backend = new FakeApiBackend();
  backend.pods = [
    fakePod('web', { labels: { app: 'web' } }),
    fakePod('multi', { containers: ['main', 'sidecar'], initContainers: ['setup'] }),
    fakePod('term', { tty: true }),
    fakePod('agent', { namespace: 'system' }),
  ];
  server = await startApiServer({ socketPath, backend, version: '0.1.0' });
  client = new ApiClient(socketPath);
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function raw(method: string, path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
  return text;
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('API server: JSON routes', () => {
  it('lists pods as a PodList, all namespaces or one', async () => {
    const all = await raw('GET', '/api/v1/pods');
    expect(all.status).toBe(200);
    expect(all.headers['content-type']).toBe('application/json');
    const body = JSON.parse(all.body) as { kind: string; apiVersion: string; items: { metadata: { name: string } }[] };
    expect(body.kind).toBe('PodList');
    expect(body.apiVersion).toBe('v1');
    expect(body.items.map((p) => p.metadata.name)).toEqual(['web-node1', 'multi-node1', 'term-node1', 'agent-node1']);
    expect((await client.listPods('system')).map((p) => p.metadata?.name)).toEqual(['agent-node1']);
  });

  it('gets one pod, and answers a missing one with a NotFound Status', async () => {
    const pod = await client.getPod('default', 'web-node1');
    expect(pod.kind).toBe('Pod');
    expect(pod.metadata?.labels).toEqual({ app: 'web' });
    const missing = await raw('GET', '/api/v1/namespaces/default/pods/nope');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "nope" not found',
      reason: 'NotFound',
      code: 404,
    });
    await expect(client.getPod('system', 'web-node1')).rejects.toThrow(ApiStatusError);
    const err = await client.getPod('default', 'nope').catch((e: unknown) => e);
    expect(formatClientError(err)).toBe('Error from server (NotFound): pods "nope" not found');
  });

  it('deletes a pod through the backend and returns it', async () => {
    const pod = await client.deletePod('default', 'web-node1');
    expect(pod.metadata?.name).toBe('web-node1');
    expect(backend.deleted).toEqual(['default/web-node1']);
    await expect(client.deletePod('default', 'nope')).rejects.toThrow('pods "nope" not found');
    expect(backend.deleted).toEqual(['default/web-node1']);
  });

  it('serves events (all or per namespace), the node, manifests and the version', async () => {
    backend.events = [
      { involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-node1' }, type: 'Normal', reason: 'Started', message: 'Started container app', count: 1, firstTimestamp: 1, lastTimestamp: 1, source: 'nodelet' },
      { involvedObject: { kind: 'Pod', namespace: 'system', name: 'agent-node1' }, type: 'Warning', reason: 'BackOff', message: 'Back-off', count: 3, firstTimestamp: 1, lastTimestamp: 2, source: 'nodelet' },
    ];
    backend.files = [{ file: '/etc/kubernetes/manifests/web.yaml', state: 'ok', objects: [{ kind: 'Pod', namespace: 'default', name: 'web' }], errors: [], warnings: [], checkedAt: 1 }];
    expect((await client.listEvents()).map((e) => e.reason)).toEqual(['Started', 'BackOff']);
    expect((await client.listEvents('system')).map((e) => e.reason)).toEqual(['BackOff']);
    const node = await client.node();
    expect(node.kind).toBe('Node');
    expect(node.metadata?.name).toBe(NODE_NAME);
    expect(await client.manifests()).toEqual(backend.files);
    const version = await client.version();
    expect(version).toMatchObject({ major: '0', minor: '1', gitVersion: 'v0.1.0' });
  });

  it('answers unknown paths with 404 and wrong methods with 405, as Status objects', async () => {
    const unknown = await raw('GET', '/api/v1/secrets');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'the server could not find the requested resource' });
    const post = await raw('POST', '/api/v1/pods');
    expect(post.status).toBe(405);
    expect(JSON.parse(post.body)).toMatchObject({ reason: 'MethodNotAllowed', code: 405 });
  });

  it('turns a backend failure into a 500 InternalError Status', async () => {
    backend.listEvents = () => {
      throw new Error('event store exploded');
    };
    const res = await raw('GET', '/api/v1/events');
    expect(res.status).toBe(500);
    expect(JSON.parse(res.body)).toMatchObject({ reason: 'InternalError', message: 'event store exploded' });
  });

  it('reports health and readiness on the socket', async () => {
    expect(await raw('GET', '/healthz')).toMatchObject({ status: 200, body: 'ok' });
    expect(await raw('GET', '/readyz')).toMatchObject({ status: 200, body: 'ok' });
    backend.isReady = false;
    backend.health = { ok: false, reason: 'docker: connect ENOENT /var/run/docker.sock' };
    expect(await raw('GET', '/readyz')).toMatchObject({ status: 503, body: 'not ready' });
    expect(await raw('GET', '/healthz')).toMatchObject({ status: 503, body: 'docker: connect ENOENT /var/run/docker.sock' });
  });
});

describe('API server: the socket', () => {
  it('is a socket with mode 0660 owned by root, and goes away on close', async () => {
    const info = statSync(socketPath);
    expect(info.isSocket()).toBe(true);
    expect(info.mode & 0o777).toBe(SOCKET_MODE);
    expect(info.uid).toBe(process.getuid?.());
    await server?.close();
    server = undefined;
    expect(existsSync(socketPath)).toBe(false);
  });

  it('belongs to the configured group (by name or gid)', async () => {
    await server?.close();
    server = await startApiServer({ socketPath, backend, version: '0.1.0', group: 'nogroup' });
    expect(statSync(socketPath).gid).toBe(65534);
    await server.close();
    server = await startApiServer({ socketPath, backend, version: '0.1.0', group: '100' });
    expect(statSync(socketPath).gid).toBe(100);
  });

  it('refuses a group that does not exist', async () => {
    await server?.close();
    server = undefined;
    await expect(startApiServer({ socketPath, backend, version: '0.1.0', group: 'no-such-group-xyz' })).rejects.toThrow('API socket group "no-such-group-xyz" does not exist');
  });

  it('removes a stale socket left by a crashed agent', async () => {
    await server?.close();
    server = undefined;
    // A process that binds the path and dies without cleaning up, as a crashed agent would.
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, 'SIGKILL'))`]);
      child.on('exit', () => resolve());
      child.on('error', reject);
    });
    expect(statSync(socketPath).isSocket()).toBe(true);
    server = await startApiServer({ socketPath, backend, version: '0.1.0' });
    expect((await client.listPods()).length).toBe(4);
  });

  it('refuses to start while another agent answers on the socket', async () => {
    const err = await startApiServer({ socketPath, backend: new FakeApiBackend(), version: '0.1.0' }).catch((e: unknown) => e);
    expect(isNodeletError(err, 'NLT_API_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toBe(`another nodelet is already serving the API at ${socketPath} (is nodelet already running?)`);
    // The first agent is untouched.
    expect((await client.listPods()).length).toBe(4);
  });

  it('refuses to replace a path that is not a socket', async () => {
    const file = join(dir, 'not-a-socket');
    writeFileSync(file, 'precious');
    await expect(startApiServer({ socketPath: file, backend, version: '0.1.0' })).rejects.toThrow(`${file} exists and is not a socket; refusing to replace it`);
  });
});

describe('API server: connection limits', () => {
  function idle(): Promise<{ socket: Socket; closed: Promise<number> }> {
    return new Promise((resolve, reject) => {
      const socket = connect(socketPath);
      socket.on('error', () => undefined);
      const started = Date.now();
      const closed = new Promise<number>((r) => socket.once('close', () => r(Date.now() - started)));
      socket.once('connect', () => resolve({ socket, closed }));
      socket.once('error', reject);
    });
  }

  it('closes a connection that sends nothing after the idle timeout, but not a quiet log follow', async () => {
    await server?.close();
    server = await startApiServer({ socketPath, backend, version: '0.1.0', limits: { maxConnections: 10, idleTimeoutMs: 300 } });
    const abort = new AbortController();
    const follow = await client.logs('default', 'web-node1', { follow: true }, abort.signal);
    let followClosed = false;
    follow.on('close', () => (followClosed = true));
    follow.on('error', () => undefined);
    const { closed } = await idle();
    expect(await closed).toBeGreaterThanOrEqual(250);
    // Well past the timeout, the follow (no output at all) still delivers.
    await new Promise((r) => setTimeout(r, 400));
    expect(followClosed).toBe(false);
    backend.appendLog('default', 'web-node1', 'app', 'late line\n');
    expect(await new Promise<string>((r) => follow.once('data', (d: Buffer) => r(d.toString('utf8'))))).toBe('late line\n');
    abort.abort();
  });

  it('refuses connections over the cap, logs that once, and once more when below it again', async () => {
    await server?.close();
    const { logger, lines } = sinkLogger();
    server = await startApiServer({ socketPath, backend, version: '0.1.0', logger, limits: { maxConnections: 3, idleTimeoutMs: 60_000 } });
    const held = await Promise.all([idle(), idle(), idle()]);
    const over = await Promise.all([idle(), idle(), idle(), idle()]);
    // Each one over the cap is closed by the server at once.
    await Promise.all(over.map((c) => c.closed));
    expect(lines.filter((l) => l.msg === 'API connection limit reached: new connections are refused until some close (apiMaxConnections)')).toHaveLength(1);
    for (const c of held) c.socket.destroy();
    await until(() => lines.some((l) => l.msg === 'API connections below the limit again'));
    expect(lines.find((l) => l.msg === 'API connections below the limit again')).toMatchObject({ maxConnections: 3, refused: 4 });
    expect((await client.listPods()).length).toBe(4);
  });
});

describe('API client: unreachable agent', () => {
  it('says when the socket does not exist', async () => {
    const missing = join(dir, 'missing.sock');
    const err = await new ApiClient(missing).listPods().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentUnreachableError);
    expect(formatClientError(err)).toBe(`nodelet: cannot reach the agent at ${missing}: no such file (is nodelet running?)`);
  });

  it.skipIf(process.geteuid?.() !== 0)('says when the socket may not be used by this user', async () => {
    // Root bypasses permission checks, and root's groups own the socket: act as nobody/nogroup
    // (effective ids and supplementary groups) for the one connection attempt.
    const { seteuid, setegid, setgroups, getgroups } = process;
    if (seteuid === undefined || setegid === undefined || setgroups === undefined || getgroups === undefined) throw new Error('POSIX credentials API missing');
    const groups = getgroups();
    let err: unknown;
    setgroups([65534]);
    setegid(65534);
    seteuid(65534);
    try {
      err = await client.listPods().catch((e: unknown) => e);
    } finally {
      seteuid(0);
      setegid(0);
      setgroups(groups);
    }
    expect(formatClientError(err)).toBe(`nodelet: cannot reach the agent at ${socketPath}: permission denied (run as root or a member of the socket's group)`);
  });

  it('says when nobody listens on the socket', async () => {
    await server?.close();
    server = undefined;
    await new Promise<void>((resolve) => {
      const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, 'SIGKILL'))`]);
      child.on('exit', () => resolve());
    });
    expect(formatClientError(await client.listPods().catch((e: unknown) => e))).toBe(`nodelet: cannot reach the agent at ${socketPath}: connection refused (is nodelet running?)`);
  });
});

describe('API server: logs', () => {
  it('streams a container log, demultiplexing Docker frames (stdout and stderr)', async () => {
    backend.appendLog('default', 'web-node1', 'app', 'one\nERR two\nthree\n');
    const res = await raw('GET', '/api/v1/namespaces/default/pods/web-node1/log');
    expect(res.status).toBe(200);
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.body).toBe('one\nERR two\nthree\n');
  });

  it('passes the options on, and keeps a TTY container raw', async () => {
    backend.appendLog('default', 'term-node1', 'app', 'a\nb\nc\n');
    const stream = await client.logs('default', 'term-node1', { tailLines: 2, timestamps: true, sinceSeconds: 30 });
    expect(await readAll(stream)).toBe('b\nc\n');
    expect(backend.logRequests.at(-1)).toEqual({
      namespace: 'default',
      pod: 'term-node1',
      opts: { container: 'app', follow: false, previous: false, timestamps: true, tailLines: 2, sinceSeconds: 30 },
    });
  });

  it('follows: new lines arrive while the request is open, and leaving stops the follow', async () => {
    backend.appendLog('default', 'web-node1', 'app', 'first\n');
    const abort = new AbortController();
    const stream = await client.logs('default', 'web-node1', { follow: true }, abort.signal);
    const received: string[] = [];
    stream.on('data', (c: Buffer) => received.push(c.toString('utf8')));
    stream.on('error', () => undefined);
    await until(() => received.join('') === 'first\n');
    backend.appendLog('default', 'web-node1', 'app', 'second\n');
    await until(() => received.join('') === 'first\nsecond\n');
    backend.appendLog('default', 'web-node1', 'app', 'third\n');
    await until(() => received.join('') === 'first\nsecond\nthird\n');
    abort.abort();
    await until(() => backend.aborted.includes('default/web-node1/app'));
    expect(backend.followerCount('default', 'web-node1', 'app')).toBe(0);
  });

  it('checks the container as the API server does', async () => {
    const bad = await client.logs('default', 'web-node1', { container: 'nope' }).catch((e: unknown) => e);
    expect(formatClientError(bad)).toBe('Error from server (BadRequest): container nope is not valid for pod web-node1');
    const ambiguous = await client.logs('default', 'multi-node1', {}).catch((e: unknown) => e);
    expect(formatClientError(ambiguous)).toBe(
      'Error from server (BadRequest): a container name must be specified for pod multi-node1, choose one of: [main sidecar] or one of the init containers: [setup]',
    );
    backend.appendLog('default', 'multi-node1', 'setup', 'init ran\n');
    expect(await readAll(await client.logs('default', 'multi-node1', { container: 'setup' }))).toBe('init ran\n');
  });

  it('relays backend errors and rejects bad options', async () => {
    const previous = await client.logs('default', 'web-node1', { previous: true }).catch((e: unknown) => e);
    expect(formatClientError(previous)).toBe('Error from server (BadRequest): previous terminated container "app" in pod "web-node1" not found');
    const res = await raw('GET', '/api/v1/namespaces/default/pods/web-node1/log?tailLines=-3');
    expect(res.status).toBe(422);
    expect(JSON.parse(res.body)).toMatchObject({ reason: 'Invalid', message: 'tailLines: Invalid value: -3: must be greater than or equal to 0' });
    expect((await raw('GET', '/api/v1/namespaces/default/pods/nope/log')).status).toBe(404);
  });
});

describe('API server: exec', () => {
  async function collect(conn: ExecConnection): Promise<{ stdout: string; stderr: string; code: number }> {
    const [stdout, stderr, code] = await Promise.all([readAll(conn.stdout), readAll(conn.stderr), conn.exitCode]);
    return { stdout, stderr, code };
  }

  it('runs a command and returns its output and exit code', async () => {
    const conn = await client.exec('default', 'web-node1', { command: ['echo', 'hello', 'world'] });
    expect(await collect(conn)).toEqual({ stdout: 'hello world\n', stderr: '', code: 0 });
    expect(backend.execs[0]?.opts).toEqual({ container: 'app', command: ['echo', 'hello', 'world'], stdin: false, tty: false });
  });

  it('keeps stderr apart and carries a non-zero exit code', async () => {
    const conn = await client.exec('default', 'web-node1', { command: ['fail', '3', 'it broke'] });
    expect(await collect(conn)).toEqual({ stdout: '', stderr: 'it broke\n', code: 3 });
  });

  it('forwards stdin and its end', async () => {
    const conn = await client.exec('default', 'web-node1', { command: ['cat'], stdin: true });
    conn.writeStdin(Buffer.from('line 1\n'));
    conn.writeStdin(Buffer.from('line 2\n'));
    conn.endStdin();
    expect(await collect(conn)).toEqual({ stdout: 'line 1\nline 2\n', stderr: '', code: 0 });
    expect(backend.execs[0]).toMatchObject({ stdin: 'line 1\nline 2\n', stdinEnded: true });
  });

  it('forwards terminal resizes with a TTY, raw output', async () => {
    const conn = await client.exec('default', 'term-node1', { command: ['winsize'], stdin: true, tty: true });
    conn.resize(120, 40);
    conn.resize(100, 30);
    await until(() => (backend.execs[0]?.resizes.length ?? 0) === 2);
    conn.endStdin();
    const result = await collect(conn);
    expect(JSON.parse(result.stdout)).toEqual([
      { cols: 120, rows: 40 },
      { cols: 100, rows: 30 },
    ]);
    expect(result.code).toBe(0);
  });

  it('answers errors before the upgrade with a Status', async () => {
    const missing = await client.exec('default', 'nope', { command: ['echo'] }).catch((e: unknown) => e);
    expect(formatClientError(missing)).toBe('Error from server (NotFound): pods "nope" not found');
    const badContainer = await client.exec('default', 'web-node1', { command: ['echo'], container: 'x' }).catch((e: unknown) => e);
    expect(formatClientError(badContainer)).toBe('Error from server (BadRequest): container x is not valid for pod web-node1');
    const noCommand = await client.exec('default', 'web-node1', { command: [] }).catch((e: unknown) => e);
    expect(formatClientError(noCommand)).toBe('Error from server (BadRequest): you must specify at least 1 command');
    const failed = await client.exec('default', 'web-node1', { command: ['missing-binary'] }).catch((e: unknown) => e);
    expect(formatClientError(failed)).toContain('Error from server (InternalError): OCI runtime exec failed');
    const plain = await raw('POST', '/api/v1/namespaces/default/pods/web-node1/exec?command=echo');
    expect(plain.status).toBe(400);
    expect(JSON.parse(plain.body)).toMatchObject({ message: 'Upgrade request required' });
    const wrongProtocol = await raw('POST', '/api/v1/namespaces/default/pods/web-node1/exec?command=echo', { Connection: 'Upgrade', Upgrade: 'websocket' });
    expect(wrongProtocol.status).toBe(400);
  });

  it('cuts open sessions when the server closes', async () => {
    const conn = await client.exec('default', 'web-node1', { command: ['cat'], stdin: true });
    await server?.close();
    server = undefined;
    await expect(conn.exitCode).rejects.toThrow('the agent closed the exec connection before the command finished');
  });
});

describe('health listener', () => {
  let health: HealthServer | undefined;
  afterEach(async () => {
    await health?.close();
    health = undefined;
  });

  function get(port: number, path: string): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('binds to loopback by default and serves /healthz, /readyz and 404s', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    let ready = false;
    let healthy: { ok: boolean; reason?: string } = { ok: true };
    health = await startHealthServer(':0', { registry: metrics.registry, ready: () => ready, healthy: () => healthy });
    expect(health.host).toBe('127.0.0.1');
    expect(await get(health.port, '/healthz')).toMatchObject({ status: 200, body: 'ok' });
    expect(await get(health.port, '/readyz')).toMatchObject({ status: 503, body: 'not ready' });
    ready = true;
    healthy = { ok: false, reason: 'docker unreachable: connect ENOENT' };
    expect(await get(health.port, '/readyz')).toMatchObject({ status: 200, body: 'ok' });
    expect(await get(health.port, '/healthz')).toMatchObject({ status: 503, body: 'docker unreachable: connect ENOENT' });
    expect((await get(health.port, '/nope')).status).toBe(404);
  });

  it('serves /metrics in the Prometheus text format, with nodelet and process metrics', async () => {
    const metrics = createMetrics();
    metrics.runningPods.set(3);
    metrics.containerRestarts.inc({ namespace: 'default', pod: 'web-node1', container: 'app' });
    metrics.probeResults.inc({ probe_type: 'liveness', result: 'failure' }, 2);
    metrics.podStartDuration.observe(1.5);
    metrics.dockerApiDuration.observe({ operation: 'create_container' }, 0.02);
    health = await startHealthServer('127.0.0.1:0', { registry: metrics.registry, ready: () => true, healthy: () => ({ ok: true }) });
    const res = await get(health.port, '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const samples = parsePrometheusText(res.body);
    expect(samples.get('nodelet_running_pods')).toBe(3);
    expect(samples.get('nodelet_container_restarts_total{namespace="default",pod="web-node1",container="app"}')).toBe(1);
    expect(samples.get('nodelet_probe_results_total{probe_type="liveness",result="failure"}')).toBe(2);
    expect(samples.get('nodelet_pod_start_duration_seconds_count')).toBe(1);
    expect(samples.get('nodelet_pod_start_duration_seconds_bucket{le="2"}')).toBe(1);
    expect(samples.get('nodelet_docker_api_duration_seconds_count{operation="create_container"}')).toBe(1);
    expect(samples.has('process_cpu_user_seconds_total')).toBe(true);
    expect(samples.has('nodejs_heap_size_used_bytes')).toBe(true);
  });
});

/**
 * A strict reader of the Prometheus text exposition format (0.0.4): every line is a HELP/TYPE
 * comment or a sample `name{labels} value`; a sample's family must have been TYPEd before it.
 * Values are Go floats (prom-client writes NaN as `Nan`, which Prometheus' ParseFloat accepts).
 */
function parsePrometheusText(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const typed = new Set<string>();
  const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (-?[0-9.e+-]+|[Nn]a[Nn]|[+-]Inf)( -?\d+)?$/;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (comment) {
      if (comment[1] === 'TYPE') {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(comment[3]);
        typed.add(comment[2] ?? '');
      }
      continue;
    }
    const m = sampleLine.exec(line);
    if (m === null) throw new Error(`not Prometheus text: ${JSON.stringify(line)}`);
    const name = m[1] ?? '';
    const family = name.replace(/_(bucket|sum|count)$/, '');
    expect(typed.has(name) || typed.has(family), `sample ${name} has no TYPE line`).toBe(true);
    samples.set(`${name}${m[2] ?? ''}`, Number(m[3]));
  }
  return samples;
}
