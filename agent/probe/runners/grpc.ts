// gRPC probe (pkg/probe/grpc): the standard health protocol, grpc.health.v1.Health/Check, over
// HTTP/2 cleartext with node:http2. The request {service} and the response {status} are tiny
// protobuf messages, encoded by hand, so no gRPC library is needed. One deadline covers the
// connection and the call, as in kubelet; every problem is a failure (never an error), and
// only SERVING is healthy.
import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { formatGoDuration } from '../../core/go-duration.js';
import { dialErrorMessage, joinHostPort, kubeUserAgent, type ProbeOutcome } from '../target.js';

const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';

/** grpc.health.v1.HealthCheckResponse.ServingStatus. */
export const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;

/** google.golang.org/grpc/codes, by number. */
export const GRPC_CODES = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
] as const;
const UNIMPLEMENTED = 12;
const DEADLINE_EXCEEDED = 4;

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let v = value;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

/** A length-prefixed gRPC message (uncompressed) carrying HealthCheckRequest{service}. */
export function encodeHealthCheckRequest(service: string): Buffer {
  const name = Buffer.from(service, 'utf8');
  // proto3 leaves a default (empty) string out.
  const message = name.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a]), varint(name.length), name]);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt8(0, 0);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

function readVarint(buf: Buffer, at: number): { value: number; next: number } | undefined {
  let value = 0;
  let factor = 1;
  for (let i = at; i < buf.length && i < at + 10; i++) {
    const byte = buf[i] ?? 0;
    value += (byte & 0x7f) * factor;
    factor *= 128;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
  }
  return undefined;
}

/** HealthCheckResponse.status from one protobuf message body; unknown fields skipped. */
export function decodeServingStatus(message: Buffer): number | undefined {
  let status = 0; // proto3 default: UNKNOWN
  let at = 0;
  while (at < message.length) {
    const key = readVarint(message, at);
    if (!key) return undefined;
    const field = Math.floor(key.value / 8);
    const wire = key.value % 8;
    at = key.next;
    if (wire === 0) {
      const v = readVarint(message, at);
      if (!v) return undefined;
      if (field === 1) status = v.value;
      at = v.next;
    } else if (wire === 1) {
      at += 8;
    } else if (wire === 2) {
      const len = readVarint(message, at);
      if (!len) return undefined;
      at = len.next + len.value;
    } else if (wire === 5) {
      at += 4;
    } else {
      return undefined;
    }
  }
  return at === message.length ? status : undefined;
}

/** The first length-prefixed message of a gRPC response body. */
export function firstGrpcMessage(body: Buffer): Buffer | undefined | 'compressed' {
  if (body.length < 5) return undefined;
  if (body.readUInt8(0) !== 0) return 'compressed';
  const length = body.readUInt32BE(1);
  if (body.length < 5 + length) return undefined;
  return body.subarray(5, 5 + length);
}

/** grpc-go's mapping of a non-200 HTTP status to a gRPC code. */
function codeFromHttpStatus(status: number): number {
  switch (status) {
    case 400:
      return 13;
    case 401:
      return 16;
    case 403:
      return 7;
    case 404:
      return UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return 14;
    default:
      return 2;
  }
}

function decodeGrpcMessage(raw: string | string[] | undefined): string {
  const text = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

interface CallResult {
  readonly code: number;
  readonly message: string;
  readonly body: Buffer;
}

function rpcFailure(code: number, message: string, timeoutText: string): ProbeOutcome {
  if (code === UNIMPLEMENTED) {
    return { result: 'failure', output: `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${message}` };
  }
  if (code === DEADLINE_EXCEEDED) return { result: 'failure', output: `timeout: health rpc did not complete within ${timeoutText}` };
  return { result: 'failure', output: `error: health rpc probe failed: rpc error: code = ${GRPC_CODES[code] ?? `Code(${code})`} desc = ${message}` };
}

/** Rejects only when `signal` aborts (the worker stopped). */
export async function runGrpcProbe(host: string, port: number, service: string, timeoutMs: number, signal?: AbortSignal): Promise<ProbeOutcome> {
  const addr = joinHostPort(host, port);
  const timeoutText = formatGoDuration(timeoutMs);
  const startedAt = performance.now(); // monotonic: the timeout is a duration
  const deadline = AbortSignal.timeout(timeoutMs);
  const abort = signal ? AbortSignal.any([deadline, signal]) : deadline;
  let session: ClientHttp2Session | undefined;
  try {
    let connected: ClientHttp2Session;
    try {
      connected = await openSession(addr, abort);
      session = connected;
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (deadline.aborted) return { result: 'failure', output: `timeout: failed to connect service ${JSON.stringify(addr)} within ${timeoutText}: context deadline exceeded` };
      return { result: 'failure', output: `error: failed to connect service at ${JSON.stringify(addr)}: ${dialErrorMessage(err, addr)}` };
    }
    let call: CallResult;
    try {
      call = await healthCheck(connected, service, timeoutMs - (performance.now() - startedAt), abort);
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (deadline.aborted) return rpcFailure(DEADLINE_EXCEEDED, 'context deadline exceeded', timeoutText);
      return rpcFailure(14, `connection error: ${dialErrorMessage(err, addr)}`, timeoutText);
    }
    if (call.code !== 0) return rpcFailure(call.code, call.message, timeoutText);
    const message = firstGrpcMessage(call.body);
    if (message === 'compressed') return rpcFailure(13, 'grpc: compressed response without a negotiated compressor', timeoutText);
    const status = message === undefined ? undefined : decodeServingStatus(message);
    if (status === undefined) return rpcFailure(13, 'grpc: failed to unmarshal the received message', timeoutText);
    if (status !== 1) return { result: 'failure', output: `service unhealthy (responded with ${JSON.stringify(SERVING_STATUS[status] ?? String(status))})` };
    return { result: 'success', output: 'service healthy' };
  } finally {
    session?.destroy();
  }
}

function openSession(addr: string, abort: AbortSignal): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    if (abort.aborted) return reject(abort.reason);
    const session = connect(`http://${addr}`);
    const onAbort = (): void => {
      session.destroy();
      reject(abort.reason);
    };
    abort.addEventListener('abort', onAbort, { once: true });
    session.once('connect', () => {
      abort.removeEventListener('abort', onAbort);
      resolve(session);
    });
    session.once('error', (err) => {
      abort.removeEventListener('abort', onAbort);
      session.destroy();
      reject(err);
    });
  });
}

function grpcStatusOf(headers: IncomingHttpHeaders | undefined): number | undefined {
  const raw = headers?.['grpc-status'];
  if (raw === undefined) return undefined;
  const n = Number(Array.isArray(raw) ? raw[0] : raw);
  return Number.isInteger(n) && n >= 0 ? n : 2;
}

function healthCheck(session: ClientHttp2Session, service: string, remainingMs: number, abort: AbortSignal): Promise<CallResult> {
  return new Promise((resolve, reject) => {
    if (abort.aborted) return reject(abort.reason);
    const remaining = Math.max(1, Math.floor(remainingMs));
    const stream = session.request({
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: HEALTH_CHECK_PATH,
      [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
      te: 'trailers',
      'user-agent': kubeUserAgent('probe'),
      'grpc-timeout': `${remaining}m`,
    });
    let headers: IncomingHttpHeaders | undefined;
    let trailers: IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      abort.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = (): void => settle(() => {
      stream.close(constants.NGHTTP2_CANCEL);
      reject(abort.reason);
    });
    abort.addEventListener('abort', onAbort, { once: true });
    stream.on('response', (h) => (headers = h));
    stream.on('trailers', (t) => (trailers = t));
    stream.on('data', (chunk: Buffer) => {
      if (chunks.reduce((n, c) => n + c.length, 0) < 64 * 1024) chunks.push(chunk);
    });
    stream.on('error', (err) => settle(() => reject(err)));
    stream.on('close', () =>
      settle(() => {
        const httpStatus = Number(headers?.[constants.HTTP2_HEADER_STATUS] ?? 0);
        if (headers && httpStatus !== 200) {
          resolve({ code: codeFromHttpStatus(httpStatus), message: `unexpected HTTP status code received from server: ${httpStatus}`, body: Buffer.alloc(0) });
          return;
        }
        // A trailers-only response carries the status in the headers.
        const code = grpcStatusOf(trailers) ?? grpcStatusOf(headers);
        if (code === undefined) {
          resolve({ code: 13, message: 'server closed the stream without sending trailers', body: Buffer.alloc(0) });
          return;
        }
        const message = decodeGrpcMessage(trailers?.['grpc-message'] ?? headers?.['grpc-message']);
        resolve({ code, message, body: Buffer.concat(chunks) });
      }),
    );
    stream.end(encodeHealthCheckRequest(service));
  });
}

