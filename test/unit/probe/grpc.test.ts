// gRPC health probes against two servers: grpc-node's own health service (grpc-health-check on
// an @grpc/grpc-js server, what a Node.js workload would run), and a local HTTP/2 (h2c) server
// that speaks the health protocol on the wire by hand, as a grpc-go server would, for the cases
// a real server does not produce on demand (trailers-only errors, a server that never answers).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Http2Server, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { runGrpcProbe } from '../../../agent/probe/runners/grpc.js';

let server: Http2Server;
let port: number;
const requests: { service: string; headers: IncomingHttpHeaders }[] = [];

/** HealthCheckResponse{status}: field 1, varint. */
function response(status: number): Buffer {
  const message = status === 0 ? Buffer.alloc(0) : Buffer.from([0x08, status]);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

/** The first length-prefixed message of a gRPC body. */
function firstGrpcMessage(body: Buffer): Buffer | undefined {
  if (body.length < 5) return undefined;
  return body.subarray(5, 5 + body.readUInt32BE(1));
}

function decodeService(body: Buffer): string {
  const message = firstGrpcMessage(body);
  if (!message || message.length === 0) return '';
  // field 1, length-delimited: 0x0a, one-byte length (short names only in these tests)
  return message.subarray(2, 2 + (message[1] ?? 0)).toString('utf8');
}

function reply(stream: ServerHttp2Stream, service: string): void {
  const statuses: Record<string, number> = { '': 1, ready: 1, down: 2, sick: 3 };
  if (service === 'slow') {
    setTimeout(() => {
      if (!stream.closed) reply(stream, '');
    }, 3000);
    return;
  }
  const status = statuses[service];
  if (status === undefined) {
    // trailers-only response, as grpc-go's health server answers an unknown service
    stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'unknown%20service' }, { endStream: true });
    return;
  }
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
  stream.end(response(status));
}

beforeAll(async () => {
  server = createServer();
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      if (headers[':path'] !== '/grpc.health.v1.Health/Check') {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'unknown service grpc.health.v1.Health' }, { endStream: true });
        return;
      }
      const service = decodeService(Buffer.concat(chunks));
      requests.push({ service, headers });
      reply(stream, service);
    });
    stream.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('runGrpcProbe against a local health server', () => {
  it('SERVING is healthy; the request names the service and carries gRPC headers', async () => {
    requests.length = 0;
    expect(await runGrpcProbe('127.0.0.1', port, 'ready', 1000)).toEqual({ result: 'success', output: 'service healthy' });
    expect(requests[0]?.service).toBe('ready');
    expect(requests[0]?.headers['content-type']).toBe('application/grpc');
    expect(requests[0]?.headers.te).toBe('trailers');
    // kube-probe/<version>, then the library's own token, as grpc-go's WithUserAgent does.
    expect(requests[0]?.headers['user-agent']).toMatch(/^kube-probe\/1\.30 grpc-node-js\/[0-9.]+$/);
    expect(requests[0]?.headers['grpc-timeout']).toMatch(/^\d+m$/);
  });

  it('the empty service is the server as a whole', async () => {
    expect(await runGrpcProbe('127.0.0.1', port, '', 1000)).toEqual({ result: 'success', output: 'service healthy' });
  });

  it('NOT_SERVING and SERVICE_UNKNOWN are failures', async () => {
    expect(await runGrpcProbe('127.0.0.1', port, 'down', 1000)).toEqual({ result: 'failure', output: 'service unhealthy (responded with "NOT_SERVING")' });
    expect(await runGrpcProbe('127.0.0.1', port, 'sick', 1000)).toEqual({ result: 'failure', output: 'service unhealthy (responded with "SERVICE_UNKNOWN")' });
  });

  it('an rpc error status is a failure with grpc-go wording', async () => {
    expect(await runGrpcProbe('127.0.0.1', port, 'other', 1000)).toEqual({
      result: 'failure',
      output: 'error: health rpc probe failed: rpc error: code = NotFound desc = unknown service',
    });
  });

  it('a slow server times out', async () => {
    const started = Date.now();
    expect(await runGrpcProbe('127.0.0.1', port, 'slow', 300)).toEqual({ result: 'failure', output: 'timeout: health rpc did not complete within 300ms' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a refused connection is a failure once the timeout is over (the kubelet dials with grpc.WithBlock)', async () => {
    const started = performance.now();
    expect(await runGrpcProbe('127.0.0.1', 1, '', 300)).toEqual({
      result: 'failure',
      output: 'timeout: failed to connect service "127.0.0.1:1" within 300ms: context deadline exceeded',
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('a server that accepts TCP but never speaks HTTP/2 is a connect timeout', async () => {
    const silent: NetServer = createNetServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const silentPort = (silent.address() as AddressInfo).port;
      expect(await runGrpcProbe('127.0.0.1', silentPort, '', 300)).toEqual({
        result: 'failure',
        output: `timeout: failed to connect service "127.0.0.1:${silentPort}" within 300ms: context deadline exceeded`,
      });
    } finally {
      silent.close();
    }
  });

  it('a server without the health service: Unimplemented', async () => {
    const server = new Server();
    const bare = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    try {
      expect(await runGrpcProbe('127.0.0.1', bare, '', 1000)).toEqual({
        result: 'failure',
        output: 'error: this server does not implement the grpc health protocol (grpc.health.v1.Health): The server does not implement the method /grpc.health.v1.Health/Check',
      });
    } finally {
      server.forceShutdown();
    }
  });

  it('stops at once when the worker aborts', async () => {
    const abort = new AbortController();
    const probe = runGrpcProbe('127.0.0.1', port, 'slow', 5000, abort.signal);
    setTimeout(() => abort.abort(new Error('worker stopped')), 50);
    await expect(probe).rejects.toThrow('worker stopped');
  });
});

describe('runGrpcProbe against grpc-node\'s health service (grpc-health-check on @grpc/grpc-js)', () => {
  let server: Server;
  let health: HealthImplementation;
  let healthPort: number;

  beforeAll(async () => {
    server = new Server();
    health = new HealthImplementation({ '': 'SERVING', ready: 'SERVING', down: 'NOT_SERVING' });
    health.addToServer(server);
    healthPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
  });

  afterAll(() => {
    server.forceShutdown();
  });

  it('SERVING is healthy, for the whole server and for a named service', async () => {
    expect(await runGrpcProbe('127.0.0.1', healthPort, '', 1000)).toEqual({ result: 'success', output: 'service healthy' });
    expect(await runGrpcProbe('127.0.0.1', healthPort, 'ready', 1000)).toEqual({ result: 'success', output: 'service healthy' });
  });

  it('NOT_SERVING, and a status change seen by the next probe', async () => {
    expect(await runGrpcProbe('127.0.0.1', healthPort, 'down', 1000)).toEqual({ result: 'failure', output: 'service unhealthy (responded with "NOT_SERVING")' });
    health.setStatus('down', 'SERVING');
    expect(await runGrpcProbe('127.0.0.1', healthPort, 'down', 1000)).toEqual({ result: 'success', output: 'service healthy' });
    health.setStatus('down', 'NOT_SERVING');
  });

  it('an unknown service is the server\'s NotFound status, in grpc-go wording', async () => {
    expect(await runGrpcProbe('127.0.0.1', healthPort, 'nope', 1000)).toEqual({
      result: 'failure',
      output: 'error: health rpc probe failed: rpc error: code = NotFound desc = Health status unknown for service nope',
    });
  });
});
