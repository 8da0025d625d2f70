// gRPC probe (k/k pkg/probe/grpc/grpc.go) with @grpc/grpc-js: grpc.health.v1.Health/Check over
// a cleartext channel (no TLS, as the kubelet's WithInsecure), user agent kube-probe/<version>.
// As the kubelet: one deadline (the probe's timeout) covers the dial and the call; the dial
// blocks until the channel is ready (grpc.WithBlock), so a port that refuses connections ends
// in the connect timeout, not at the first refusal; every problem is a failure (never an
// error), and only SERVING is healthy. Each probe has its own channel, closed after it.
import { credentials, loadPackageDefinition, status as grpcStatus, type ChannelOptions, type Client, type ServiceError } from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import { formatGoDuration } from '../../core/go-duration.js';
import { joinHostPort, kubeUserAgent, type ProbeOutcome } from '../target.js';

/** grpc/health/v1/health.proto (the messages and the Check method), as a protobufjs JSON descriptor. */
const HEALTH_PROTO: Parameters<typeof fromJSON>[0] = {
  nested: {
    grpc: {
      nested: {
        health: {
          nested: {
            v1: {
              nested: {
                HealthCheckRequest: { fields: { service: { type: 'string', id: 1 } } },
                HealthCheckResponse: {
                  fields: { status: { type: 'ServingStatus', id: 1 } },
                  nested: { ServingStatus: { values: { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } } },
                },
                Health: { methods: { Check: { requestType: 'HealthCheckRequest', responseType: 'HealthCheckResponse', comment: '' } } },
              },
            },
          },
        },
      },
    },
  },
};

interface HealthCheckResponse {
  /** The enum's name; a number the definition does not know stays a number. */
  readonly status?: string | number;
}

interface HealthClient extends Client {
  Check(
    request: { service: string },
    options: { deadline: Date },
    callback: (err: ServiceError | null, response?: HealthCheckResponse) => void,
  ): { cancel(): void };
}

type HealthClientConstructor = new (address: string, creds: ReturnType<typeof credentials.createInsecure>, options: ChannelOptions) => HealthClient;

// Enums as names (SERVING...), and the default status (UNKNOWN) present when the server omits it.
const definition = loadPackageDefinition(fromJSON(HEALTH_PROTO, { enums: String, defaults: true }));
const HealthClient = (((definition['grpc'] as Record<string, unknown>)['health'] as Record<string, unknown>)['v1'] as Record<string, unknown>)[
  'Health'
] as HealthClientConstructor;

/** google.golang.org/grpc/codes names (what grpc-go's status error prints), by number. */
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

const CHANNEL_OPTIONS: ChannelOptions = {
  'grpc.primary_user_agent': kubeUserAgent('probe'),
  // A channel of its own: closing it closes the connection (no shared subchannel outlives the probe).
  'grpc.use_local_subchannel_pool': 1,
  // Pod addresses are reached directly, never through an http(s)_proxy of the agent's environment.
  'grpc.enable_http_proxy': 0,
};

/** grpc-go's `rpc error: code = <Code> desc = <message>` (what the kubelet's `%+v` prints). */
function rpcErrorText(err: ServiceError): string {
  return `rpc error: code = ${GRPC_CODES[err.code] ?? `Code(${err.code})`} desc = ${err.details}`;
}

function callFailure(err: ServiceError, timeoutText: string): ProbeOutcome {
  if (err.code === grpcStatus.UNIMPLEMENTED) {
    return { result: 'failure', output: `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${err.details}` };
  }
  if (err.code === grpcStatus.DEADLINE_EXCEEDED) return { result: 'failure', output: `timeout: health rpc did not complete within ${timeoutText}` };
  return { result: 'failure', output: `error: health rpc probe failed: ${rpcErrorText(err)}` };
}

/** Settles with the callback's outcome, or rejects with the signal's reason when it aborts first. */
function settleOrAbort<T>(start: (done: (value: T) => void) => () => void, signal: AbortSignal | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const cancel = start((value) => {
      signal?.removeEventListener('abort', onAbort);
      resolve(value);
    });
    function onAbort(): void {
      cancel();
      reject(signal?.reason);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Rejects only when `signal` aborts (the worker stopped). */
export async function runGrpcProbe(host: string, port: number, service: string, timeoutMs: number, signal?: AbortSignal): Promise<ProbeOutcome> {
  const addr = joinHostPort(host, port);
  const timeoutText = formatGoDuration(timeoutMs);
  const deadline = new Date(Date.now() + timeoutMs);
  const client = new HealthClient(addr, credentials.createInsecure(), CHANNEL_OPTIONS);
  try {
    const dialError = await settleOrAbort<Error | undefined>((done) => {
      client.waitForReady(deadline, (err) => done(err));
      return () => client.close();
    }, signal);
    if (dialError) {
      // grpc-js ends waitForReady only at the deadline (or when the channel is closed), as
      // grpc-go's blocking dial returns ctx.Err() then.
      return { result: 'failure', output: `timeout: failed to connect service ${JSON.stringify(addr)} within ${timeoutText}: context deadline exceeded` };
    }
    const call = await settleOrAbort<{ err: ServiceError | null; response?: HealthCheckResponse }>((done) => {
      const c = client.Check({ service }, { deadline }, (err, response) => done({ err, response }));
      return () => c.cancel();
    }, signal);
    if (call.err) return callFailure(call.err, timeoutText);
    const servingStatus = call.response?.status ?? 'UNKNOWN';
    if (servingStatus !== 'SERVING') return { result: 'failure', output: `service unhealthy (responded with ${JSON.stringify(String(servingStatus))})` };
    return { result: 'success', output: 'service healthy' };
  } finally {
    client.close();
  }
}
