// HTTP probes against a real local server started by the test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildHttpGetRequest, canonicalHeaderName, runHttpProbe, type HttpGetRequest } from '../../../agent/probe/runners/http.js';
import { NO_POD_IP_MESSAGE } from '../../../agent/probe/target.js';

let server: Server;
let port: number;
const seen: { url: string; headers: IncomingHttpHeaders }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/ok':
        res.end('healthy');
        return;
      case '/missing':
        res.statusCode = 404;
        res.end('secret body');
        return;
      case '/error':
        res.statusCode = 503;
        res.end();
        return;
      case '/to-ok':
        res.writeHead(302, { location: '/ok' }).end();
        return;
      case '/elsewhere':
        res.writeHead(301, { location: 'http://localhost:1/other' }).end('moved');
        return;
      case '/loop':
        res.writeHead(302, { location: `/loop?n=${Number(url.searchParams.get('n') ?? 0) + 1}` }).end();
        return;
      case '/slow':
        setTimeout(() => res.end('late'), 3000);
        return;
      case '/big':
        res.end('b'.repeat(100_000));
        return;
      default:
        res.statusCode = 500;
        res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function request(path: string, extra: Partial<Parameters<typeof buildHttpGetRequest>[0]> = {}): HttpGetRequest {
  const built = buildHttpGetRequest({ port, path, scheme: 'HTTP', ...extra }, {}, '127.0.0.1', 'probe');
  if (!built.ok) throw new Error(built.message);
  return built.request;
}

describe('building the request (NewRequestForHTTPGetAction)', () => {
  it('uses the pod address, the named port, the path and kubelet headers', () => {
    const built = buildHttpGetRequest({ port: 'http', path: '/healthz?x=1', scheme: 'HTTPS' }, { ports: [{ name: 'http', containerPort: 8443 }] }, '10.1.2.3', 'probe');
    expect(built.ok).toBe(true);
    if (!built.ok) return;
    expect(built.request.url.href).toBe('https://10.1.2.3:8443/healthz?x=1');
    expect([...built.request.headers]).toEqual([
      ['User-Agent', ['kube-probe/1.30']],
      ['Accept', ['*/*']],
    ]);
  });

  it('keeps spec headers (canonical names, repeated values), lets them replace the defaults, drops an empty Accept', () => {
    const built = buildHttpGetRequest(
      {
        port: 80,
        host: 'example.internal',
        httpHeaders: [
          { name: 'x-custom', value: 'a' },
          { name: 'X-Custom', value: 'b' },
          { name: 'user-agent', value: 'mine' },
          { name: 'Accept', value: '' },
        ],
      },
      {},
      '10.1.2.3',
      'lifecycle',
    );
    if (!built.ok) throw new Error(built.message);
    expect(built.request.url.href).toBe('http://example.internal/');
    expect(Object.fromEntries(built.request.headers)).toEqual({ 'X-Custom': ['a', 'b'], 'User-Agent': ['mine'] });
  });

  it('says so when the pod has no address, and when the port name is unknown', () => {
    expect(buildHttpGetRequest({ port: 80 }, {}, undefined, 'probe')).toEqual({ ok: false, reason: 'no-host', message: NO_POD_IP_MESSAGE });
    expect(buildHttpGetRequest({ port: 'web' }, {}, '10.0.0.1', 'probe')).toEqual({ ok: false, reason: 'invalid', message: 'port "web" not found' });
  });

  it('canonicalizes header names as Go textproto does', () => {
    expect(canonicalHeaderName('x-auth-token')).toBe('X-Auth-Token');
    expect(canonicalHeaderName('HOST')).toBe('Host');
    expect(canonicalHeaderName('bad header')).toBe('bad header');
  });
});

describe('runHttpProbe against a local server', () => {
  it('200 is success with the body; kubelet headers are sent', async () => {
    seen.length = 0;
    const r = request('/ok', { httpHeaders: [{ name: 'X-Token', value: 't0ken' }, { name: 'Host', value: 'svc.example' }] });
    expect(await runHttpProbe(r, 1000)).toEqual({ result: 'success', output: 'healthy' });
    expect(seen[0]?.headers['user-agent']).toBe('kube-probe/1.30');
    expect(seen[0]?.headers.accept).toBe('*/*');
    expect(seen[0]?.headers['x-token']).toBe('t0ken');
    expect(seen[0]?.headers.host).toBe('svc.example');
    expect(seen[0]?.headers.connection).toBe('close');
  });

  it('4xx/5xx are failures that do not show the body', async () => {
    expect(await runHttpProbe(request('/missing'), 1000)).toEqual({ result: 'failure', output: 'HTTP probe failed with statuscode: 404' });
    expect(await runHttpProbe(request('/error'), 1000)).toEqual({ result: 'failure', output: 'HTTP probe failed with statuscode: 503' });
  });

  it('follows a redirect to the same host', async () => {
    expect(await runHttpProbe(request('/to-ok'), 1000)).toEqual({ result: 'success', output: 'healthy' });
  });

  it('does not follow a redirect to another host: a warning, which counts as success', async () => {
    expect(await runHttpProbe(request('/elsewhere'), 1000)).toEqual({ result: 'warning', output: 'Probe terminated redirects, Response body: moved' });
  });

  it('stops after 10 redirects', async () => {
    seen.length = 0;
    const outcome = await runHttpProbe(request('/loop'), 2000);
    expect(outcome.result).toBe('failure');
    expect(outcome.output).toBe(`Get "http://127.0.0.1:${port}/loop?n=10": stopped after 10 redirects`);
    expect(seen).toHaveLength(10);
  });

  it('times out with Go client wording', async () => {
    const started = Date.now();
    expect(await runHttpProbe(request('/slow'), 300)).toEqual({
      result: 'failure',
      output: `Get "http://127.0.0.1:${port}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a refused connection is a failure with the dial error', async () => {
    const built = buildHttpGetRequest({ port: 1, path: '/' }, {}, '127.0.0.1', 'probe');
    if (!built.ok) throw new Error(built.message);
    expect(await runHttpProbe(built.request, 1000)).toEqual({ result: 'failure', output: 'Get "http://127.0.0.1:1/": dial tcp 127.0.0.1:1: connect: connection refused' });
  });

  it('reads at most 10 KiB of the body', async () => {
    const outcome = await runHttpProbe(request('/big'), 2000);
    expect(outcome.result).toBe('success');
    expect(outcome.output).toHaveLength(10 * 1024);
  });

  it('rejects when the caller aborts', async () => {
    const abort = new AbortController();
    const pending = runHttpProbe(request('/slow'), 5000, abort.signal);
    setTimeout(() => abort.abort(new Error('worker stopped')), 50);
    await expect(pending).rejects.toThrow('worker stopped');
  });
});
