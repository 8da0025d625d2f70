// gRPC health probes against a real local HTTP/2 (h2c) server that speaks the health protocol
// by hand, as a grpc-go server would on the wire.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Http2Server, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { decodeServingStatus, encodeHealthCheckRequest, firstGrpcMessage, runGrpcProbe } from '../../../agent/probe/runners/grpc.js';

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

function decodeService(body: Buffer): string {
  const message = firstGrpcMessage(body);
  if (!message || message === 'compressed' || message.length === 0) return '';
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

describe('protobuf by hand', () => {
  it('encodes HealthCheckRequest with the gRPC length prefix', () => {
    expect([...encodeHealthCheckRequest('')]).toEqual([0, 0, 0, 0, 0]);
    expect([...encodeHealthCheckRequest('db')]).toEqual([0, 0, 0, 0, 4, 0x0a, 2, 0x64, 0x62]);
  });

  it('decodes the serving status, skipping unknown fields', () => {
    expect(decodeServingStatus(Buffer.from([0x08, 0x01]))).toBe(1);
    expect(decodeServingStatus(Buffer.alloc(0))).toBe(0);
    expect(decodeServingStatus(Buffer.from([0x12, 0x02, 0x61, 0x62, 0x08, 0x02]))).toBe(2);
    expect(decodeServingStatus(Buffer.from([0x08]))).toBeUndefined();
  });
});

describe('runGrpcProbe against a local health server', () => {
  it('SERVING is healthy; the request names the service and carries gRPC headers', async () => {
    requests.length = 0;
    expect(await runGrpcProbe('127.0.0.1', port, 'ready', 1000)).toEqual({ result: 'success', output: 'service healthy' });
    expect(requests[0]?.service).toBe('ready');
    expect(requests[0]?.headers['content-type']).toBe('application/grpc');
    expect(requests[0]?.headers.te).toBe('trailers');
    expect(requests[0]?.headers['user-agent']).toBe('kube-probe/1.30');
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

  it('a refused connection is a failure', async () => {
    expect(await runGrpcProbe('127.0.0.1', 1, '', 1000)).toEqual({
      result: 'failure',
      output: 'error: failed to connect service at "127.0.0.1:1": dial tcp 127.0.0.1:1: connect: connection refused',
    });
  });
});
