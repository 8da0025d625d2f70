// A counting proxy in front of the Docker socket: a unix socket that forwards every HTTP
// request to the real engine and counts it by method and normalised path. It sees every
// request a client makes (dockerode, the events stream, hijacked exec/attach upgrades), not
// only the ones the agent chooses to count, which is why the idle-cost benchmark uses it.
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ProxiedRequest {
  /** performance.now() when the request line arrived. */
  readonly at: number;
  /** `GET /containers/json`: the method and the path without the API version prefix, IDs and names replaced by {id}. */
  readonly key: string;
  /** The raw request target, query string included, for the request log. */
  readonly url: string;
}

export interface DockerProxy {
  /** The DOCKER_HOST value clients should use (unix://...). */
  readonly dockerHost: string;
  readonly socketPath: string;
  /** Every request seen so far, in arrival order. */
  readonly log: readonly ProxiedRequest[];
  /** Requests in [from, to) by key (performance.now() times). */
  countBetween(from: number, to: number): Map<string, number>;
  close(): Promise<void>;
}

// Path segments after these collections are object IDs or names.
const OBJECT_COLLECTIONS = new Set(['containers', 'exec', 'images', 'volumes', 'networks']);
const COLLECTION_VERBS = new Set(['json', 'create', 'prune']);

/** `/v1.41/containers/3f2a.../json?all=1` → `/containers/{id}/json`. */
export function normalisePath(url: string): string {
  const path = (url.split('?')[0] ?? '').replace(/^\/v\d+(\.\d+)?(?=\/)/, '');
  const segments = path.split('/');
  for (let i = 1; i < segments.length - 1; i++) {
    const collection = segments[i] ?? '';
    const next = segments[i + 1] ?? '';
    if (OBJECT_COLLECTIONS.has(collection) && next !== '' && !COLLECTION_VERBS.has(next)) {
      segments[i + 1] = '{id}';
      i++;
    }
  }
  return segments.join('/');
}

function rawHeaderPairs(msg: IncomingMessage): string[] {
  const lines: string[] = [];
  for (let i = 0; i < msg.rawHeaders.length; i += 2) lines.push(`${msg.rawHeaders[i] ?? ''}: ${msg.rawHeaders[i + 1] ?? ''}`);
  return lines;
}

/** Starts a proxy on a fresh unix socket in a temp directory, forwarding to `upstreamSocket`. */
export async function startDockerProxy(upstreamSocket: string): Promise<DockerProxy> {
  const dir = await mkdtemp(join(tmpdir(), 'nodelet-bench-proxy-'));
  const socketPath = join(dir, 'docker.sock');
  const log: ProxiedRequest[] = [];
  const record = (method: string, url: string): void => {
    log.push({ at: performance.now(), key: `${method} ${normalisePath(url)}`, url });
  };
  const open = new Set<Socket>();

  const server: Server = createServer((req, res) => {
    record(req.method ?? 'GET', req.url ?? '/');
    const upstream = request(
      { socketPath: upstreamSocket, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.statusMessage, up.rawHeaders);
        // Streams (events, logs, stats) must reach the client as they come, not when they end.
        res.flushHeaders();
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  // Docker's hijacked endpoints (exec start, attach) upgrade the connection: splice raw bytes.
  server.on('upgrade', (req: IncomingMessage, client: Socket, head: Buffer) => {
    record(req.method ?? 'POST', req.url ?? '/');
    const up = connect(upstreamSocket, () => {
      up.write(`${req.method ?? 'POST'} ${req.url ?? '/'} HTTP/1.1\r\n${rawHeaderPairs(req).join('\r\n')}\r\n\r\n`);
      if (head.length > 0) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  server.on('connection', (s: Socket) => {
    open.add(s);
    s.on('close', () => open.delete(s));
  });
  // The events stream is a response that never ends; no server timeout may cut it.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });

  return {
    dockerHost: `unix://${socketPath}`,
    socketPath,
    log,
    countBetween(from, to) {
      const counts = new Map<string, number>();
      for (const r of log) if (r.at >= from && r.at < to) counts.set(r.key, (counts.get(r.key) ?? 0) + 1);
      return counts;
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
