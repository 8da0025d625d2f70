// Optional TCP listener for probes and scrapers: /healthz, /readyz, /metrics. Off by default;
// when enabled it binds to loopback unless the address names another interface, since the
// endpoints are unauthenticated.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ConfigError, NodeletError, errorMessage } from '../core/errors.js';

export interface HealthDeps {
  readonly registry: Registry;
  /** Ready: the first sync is done and Docker answers. */
  ready(): boolean;
  healthy(): { ok: boolean; reason?: string };
}

export interface HealthServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export const DEFAULT_HEALTH_HOST = '127.0.0.1';

/** `host:port`, `[v6]:port`, `:port` or `port`; no host means loopback. Pure. */
export function parseListenAddress(addr: string): { host: string; port: number } {
  const text = addr.trim();
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  const port = m === null ? Number.NaN : Number(m[3]);
  if (m === null || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`invalid metrics address "${addr}": expected host:port, [ipv6]:port or :port`);
  }
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? DEFAULT_HEALTH_HOST : host, port };
}

function send(res: ServerResponse, code: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export async function startHealthServer(addr: string, deps: HealthDeps): Promise<HealthServer> {
  const { host, port } = parseListenAddress(addr);
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://nodelet').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'method not allowed');
      return;
    }
    if (path === '/healthz' || path === '/readyz') {
      const state = path === '/healthz' ? deps.healthy() : { ok: deps.ready(), reason: 'not ready' };
      send(res, state.ok ? 200 : 503, state.ok ? 'ok' : (state.reason ?? 'not ok'));
      return;
    }
    if (path === '/metrics') {
      deps.registry.metrics().then(
        (text) => send(res, 200, text, deps.registry.contentType),
        (err: unknown) => send(res, 500, errorMessage(err)),
      );
      return;
    }
    send(res, 404, '404 page not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new NodeletError('NLT_API_UNAVAILABLE', `cannot listen on ${addr} for /healthz and /metrics: ${err.message}`, { cause: err })));
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  return {
    host: bound.address,
    port: bound.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
