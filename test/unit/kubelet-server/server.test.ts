// The kubelet endpoint's routing on loopback with fakes of the agent, KubeletStreams and
// KubeletStats: what reaches the streaming and stats providers (parsed options, the socket of an
// upgrade), the kubelet's refusals before them, debugging handlers off, the request metrics.
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { Readable } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { alwaysAllow, Authenticator, type Authorizer } from '../../../agent/kubelet-server/auth.js';
import type { KubeletStats, KubeletStreams } from '../../../agent/kubelet-server/ports.js';
import { KubeletServer } from '../../../agent/kubelet-server/server.js';
import { generateServingKey, selfSignedCertificatePem } from '../../../agent/kubelet-server/x509.js';
import { createLogger } from '../../../agent/log/logger.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const key = generateServingKey();
const tls = { cert: selfSignedCertificatePem('n1', ['127.0.0.1'], key.key, Date.now()), key: key.keyPem };
const POD: Pod = { metadata: { name: 'web-n1', namespace: 'default', uid: 'uid-1' }, spec: { containers: [{ name: 'main', image: 'busybox' }] }, status: { containerStatuses: [{ name: 'main', ready: true, restartCount: 0, image: 'busybox', imageID: '', state: { running: {} } }] } };

const calls: { kind: string; target: unknown }[] = [];
const streams: KubeletStreams = {
  exec: (target, _req, socket) => answer101('exec', target, socket),
  attach: (target, _req, socket) => answer101('attach', target, socket),
  portForward: (target, _req, socket) => answer101('portForward', target, socket),
};
function answer101(kind: string, target: unknown, socket: Duplex): void {
  calls.push({ kind, target });
  socket.end('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n');
}
const stats: KubeletStats = {
  summary: async (only) => ({ node: { nodeName: 'n1' }, only }),
  resourceMetrics: async () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: 'resource_scrape_error 0\n' }),
  cadvisorMetrics: async () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: 'container_cpu_usage_seconds_total 1\n' }),
  probeMetrics: async () => {
    throw new Error('no probes');
  },
};

let server: KubeletServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  calls.length = 0;
});

async function start(opts: { debugging?: boolean; authorizer?: Authorizer; registry?: Registry } = {}): Promise<number> {
  const clock = new FakeClock();
  server = await KubeletServer.start({
    address: '127.0.0.1',
    port: 0,
    nodeName: 'n1',
    enableDebuggingHandlers: opts.debugging ?? true,
    tls,
    authenticator: new Authenticator({ x509: false, tokenCacheTtlMs: 1, anonymous: true, clock, retryable: () => false }),
    authorizer: opts.authorizer ?? alwaysAllow,
    backend: { listPods: () => [POD], healthy: () => ({ ok: true }), logs: async () => Readable.from([]) },
    streams,
    stats,
    ...(opts.registry ? { registry: opts.registry } : {}),
    configz: () => ({ port: 10250 }),
    logger: createLogger({ level: 'silent' }),
  });
  return server.port;
}

function get(port: number, path: string, opts: { method?: string; upgrade?: boolean } = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const headers = opts.upgrade ? { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' } : {};
    const req = https.request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', rejectUnauthorized: false, headers, agent: false });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: '', headers: res.headers });
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('kubelet endpoint routing', () => {
  it('exec: the parsed command, streams and tty reach KubeletStreams with the upgraded socket', async () => {
    const port = await start();
    const r = await get(port, '/exec/default/web-n1/main?command=sh&command=-c&command=echo%20hi&input=1&output=1&error=1&tty=1', { method: 'POST', upgrade: true });
    expect(r.status).toBe(101);
    expect(calls).toEqual([{ kind: 'exec', target: { namespace: 'default', pod: 'web-n1', container: 'main', stdin: true, stdout: true, stderr: false, tty: true, command: ['sh', '-c', 'echo hi'] } }]);
  });

  it('attach with the uid segment and portForward with its ports', async () => {
    const port = await start();
    expect((await get(port, '/attach/default/web-n1/uid-1/main?output=1', { upgrade: true })).status).toBe(101);
    expect((await get(port, '/portForward/default/web-n1?port=80,443', { upgrade: true })).status).toBe(101);
    expect(calls).toEqual([
      { kind: 'attach', target: { namespace: 'default', pod: 'web-n1', uid: 'uid-1', container: 'main', stdin: false, stdout: true, stderr: false, tty: false } },
      { kind: 'portForward', target: { namespace: 'default', pod: 'web-n1', ports: [80, 443] } },
    ]);
  });

  it('refusals before the streams: no stream asked, unknown pod, wrong uid, unknown container, not an upgrade', async () => {
    const port = await start();
    expect(await get(port, '/exec/default/web-n1/main?command=ls', { upgrade: true })).toMatchObject({ status: 400, body: 'you must specify at least 1 of stdin, stdout, stderr' });
    expect(await get(port, '/exec/default/nope/main?output=1', { upgrade: true })).toMatchObject({ status: 404, body: 'pod does not exist' });
    expect(await get(port, '/portForward/default/web-n1/other-uid', { upgrade: true })).toMatchObject({ status: 404, body: 'pod not found' });
    expect(await get(port, '/exec/default/web-n1/nope?output=1', { upgrade: true })).toMatchObject({ status: 500, body: 'container not found ("nope")' });
    expect(await get(port, '/exec/default/web-n1/main?output=1', { method: 'POST' })).toMatchObject({ status: 500, body: 'Upgrade request required\n' });
    expect(calls).toEqual([]);
  });

  it('enableDebuggingHandlers off: exec, attach, portForward, containerLogs, runningpods answer 405 "Debug endpoints are disabled."', async () => {
    const port = await start({ debugging: false });
    for (const path of ['/containerLogs/default/web-n1/main', '/runningpods/']) expect(await get(port, path)).toMatchObject({ status: 405, body: 'Debug endpoints are disabled.\n' });
    expect(await get(port, '/exec/default/web-n1/main?output=1', { upgrade: true })).toMatchObject({ status: 405, body: 'Debug endpoints are disabled.\n' });
    expect((await get(port, '/pods')).status).toBe(200);
  });

  it('stats: summary (GET and POST, only_cpu_and_memory=true exactly), resource and cadvisor metrics, a provider error', async () => {
    const port = await start();
    expect(JSON.parse((await get(port, '/stats/summary')).body)).toEqual({ node: { nodeName: 'n1' }, only: false });
    expect(JSON.parse((await get(port, '/stats/summary?only_cpu_and_memory=true', { method: 'POST' })).body)).toMatchObject({ only: true });
    expect(JSON.parse((await get(port, '/stats/summary?only_cpu_and_memory=1')).body)).toMatchObject({ only: false });
    const resource = await get(port, '/metrics/resource');
    expect(resource).toMatchObject({ status: 200, body: 'resource_scrape_error 0\n' });
    expect(resource.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect((await get(port, '/metrics/cadvisor')).body).toBe('container_cpu_usage_seconds_total 1\n');
    expect((await get(port, '/metrics/probes')).status).toBe(500);
  });

  it('healthz: ok, /healthz/ping, verbose, an unknown check; pods, runningpods, configz; 404 and 405 with Allow', async () => {
    const port = await start();
    expect(await get(port, '/healthz')).toMatchObject({ status: 200, body: 'ok' });
    expect(await get(port, '/healthz/ping')).toMatchObject({ status: 200, body: 'ok' });
    expect((await get(port, '/healthz?verbose')).body).toBe('[+]ping ok\n[+]log ok\n[+]syncloop ok\nhealthz check passed\n');
    expect((await get(port, '/healthz/nope')).status).toBe(404);
    expect(JSON.parse((await get(port, '/pods')).body)).toEqual({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [POD] });
    expect(JSON.parse((await get(port, '/runningpods/')).body).items).toEqual([{ metadata: { name: 'web-n1', namespace: 'default', uid: 'uid-1' }, spec: { containers: [{ name: 'main', image: 'busybox' }] }, status: {} }]);
    expect(JSON.parse((await get(port, '/configz')).body)).toEqual({ kubeletconfig: { port: 10250 } });
    expect(await get(port, '/unknown')).toMatchObject({ status: 404, body: '404 page not found\n' });
    const r = await get(port, '/pods', { method: 'DELETE' });
    expect(r).toMatchObject({ status: 405, body: 'Method Not Allowed' });
    expect(r.headers.allow).toBe('GET');
  });

  it('authorization comes before routing: a denied request never reaches the streams, even for an unknown pod', async () => {
    const port = await start({ authorizer: { authorize: async () => 'deny' } });
    expect(await get(port, '/exec/default/nope/main?output=1', { upgrade: true })).toMatchObject({ status: 403, body: 'Forbidden (user=system:anonymous, verb=get, resource=nodes, subresource(s)=[proxy])\n' });
    const failing = await start2({ authorize: async () => { throw new Error('SAR failed'); } });
    expect(await get(failing, '/healthz')).toMatchObject({ status: 500, body: 'Authorization error (user=system:anonymous, verb=get, resource=nodes, subresource=healthz)' });
    expect(calls).toEqual([]);
  });

  it('request metrics with the kubelet names and labels; /metrics serves the agent registry', async () => {
    const registry = new Registry();
    const port = await start({ registry });
    await get(port, '/pods');
    await get(port, '/containerLogs/default/web-n1/main');
    const text = (await get(port, '/metrics')).body;
    expect(text).toContain('kubelet_http_requests_total{method="GET",path="pods",server_type="readwrite",long_running="false"} 1');
    expect(text).toContain('kubelet_http_requests_total{method="GET",path="containerLogs",server_type="readwrite",long_running="false"} 1');
  });
});

let second: KubeletServer | undefined;
afterEach(async () => {
  await second?.close();
  second = undefined;
});
async function start2(authorizer: Authorizer): Promise<number> {
  const clock = new FakeClock();
  second = await KubeletServer.start({
    address: '127.0.0.1', port: 0, nodeName: 'n1', enableDebuggingHandlers: true, tls,
    authenticator: new Authenticator({ x509: false, tokenCacheTtlMs: 1, anonymous: true, clock, retryable: () => false }),
    authorizer, backend: { listPods: () => [POD], healthy: () => ({ ok: true }), logs: async () => Readable.from([]) },
    configz: () => ({}), logger: createLogger({ level: 'silent' }),
  });
  return second.port;
}
