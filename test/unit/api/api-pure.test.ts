// Pure parts of the local API: routing, request checks, frames, Status objects, addresses, and
// the metrics registry factory.
import { describe, expect, it } from 'vitest';
import { parseRfc3339 } from '../../../agent/core/time-format.js';
import { logsSince } from '../../../agent/api-backend.js';
import { dockerTimestamp } from '../../../agent/runtime/docker/docker-runtime.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { ApiError } from '../../../agent/api/backend.js';
import { matchRoute, parseExecQuery, parseLogQuery, streamContainer } from '../../../agent/api/routes.js';
import { decodeExitPayload, decodeResizePayload, encodeExitFrame, encodeFrame, encodeResizeFrame, FRAME, FrameDecoder } from '../../../agent/api/stream-frames.js';
import { failureStatus, isKubeStatus, statusReason } from '../../../agent/api/kube-status.js';
import { parseListenAddress } from '../../../agent/api/health-server.js';
import { AgentUnreachableError, ApiStatusError, formatClientError, unreachableReason } from '../../../agent/api/client.js';
import { createMetrics, observeDockerCall } from '../../../agent/api/metrics.js';

describe('matchRoute', () => {
  it.each([
    ['/api/v1/pods', { route: 'pods' }],
    ['/api/v1/pods/', { route: 'pods' }],
    ['/api/v1/namespaces/kube-system/pods', { route: 'pods', namespace: 'kube-system' }],
    ['/api/v1/namespaces/default/pods/web-node1', { route: 'pod', namespace: 'default', name: 'web-node1' }],
    ['/api/v1/namespaces/default/pods/web-node1/log', { route: 'log', namespace: 'default', name: 'web-node1' }],
    ['/api/v1/namespaces/default/pods/web-node1/exec', { route: 'exec', namespace: 'default', name: 'web-node1' }],
    ['/api/v1/namespaces/a%2Db/pods/x', { route: 'pod', namespace: 'a-b', name: 'x' }],
    ['/api/v1/events', { route: 'events' }],
    ['/api/v1/namespaces/default/events', { route: 'events', namespace: 'default' }],
    ['/api/v1/node', { route: 'node' }],
    ['/api/v1/manifests', { route: 'manifests' }],
    ['/version', { route: 'version' }],
    ['/healthz', { route: 'healthz' }],
    ['/readyz', { route: 'readyz' }],
    ['/metrics', { route: 'metrics' }],
  ])('%s', (path, expected) => {
    expect(matchRoute(path)).toEqual(expected);
  });

  it.each(['/', '/api/v1', '/api/v1/namespaces', '/api/v1/namespaces//pods', '/api/v1/namespaces/d/pods/x/attach', '/api/v1/namespaces/d/services', '/api/v1/namespaces/%E0%A4%A/pods'])(
    '%s is not a route',
    (path) => {
      expect(matchRoute(path)).toBeUndefined();
    },
  );
});

function pod(containers: string[], init: string[] = [], tty = false): Pod {
  return {
    metadata: { name: 'p', namespace: 'default' },
    spec: { containers: containers.map((name) => ({ name, tty })), ...(init.length > 0 ? { initContainers: init.map((name) => ({ name })) } : {}) },
  };
}

function apiError(fn: () => unknown): { status: number; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return { status: err.status, message: err.message };
    throw err;
  }
  throw new Error('no error');
}

describe('streamContainer (the API server checks for log and exec)', () => {
  it('needs no name for a single container, and accepts init containers by name', () => {
    expect(streamContainer(pod(['a']), undefined).name).toBe('a');
    expect(streamContainer(pod(['a', 'b'], ['i']), 'i').name).toBe('i');
  });

  it.each([
    [pod(['a']), 'x', 'container x is not valid for pod p'],
    [pod(['a', 'b']), undefined, 'a container name must be specified for pod p, choose one of: [a b]'],
    [pod(['a', 'b'], ['i', 'j']), '', 'a container name must be specified for pod p, choose one of: [a b] or one of the init containers: [i j]'],
    [pod([]), undefined, 'a container name must be specified for pod p'],
  ])('rejects with 400: %#', (p, requested, message) => {
    expect(apiError(() => streamContainer(p, requested))).toEqual({ status: 400, message });
  });
});

describe('log and exec queries', () => {
  it('reads PodLogOptions', () => {
    const q = new URLSearchParams('follow=true&previous=1&timestamps=false&tailLines=10&sinceSeconds=5');
    expect(parseLogQuery(q, pod(['a']))).toEqual({ container: 'a', follow: true, previous: true, timestamps: false, tailLines: 10, sinceSeconds: 5 });
    expect(parseLogQuery(new URLSearchParams('follow='), pod(['a']))).toEqual({ container: 'a', follow: false, previous: false, timestamps: false });
  });

  it.each([
    ['tailLines=-1', 422, 'tailLines: Invalid value: -1: must be greater than or equal to 0'],
    ['sinceSeconds=0', 422, 'sinceSeconds: Invalid value: 0: must be greater than 0'],
    ['tailLines=ten', 400, 'tailLines: Invalid value: "ten": must be an integer'],
    ['follow=yes', 400, 'follow: Invalid value: "yes": must be a boolean'],
    ['sinceTime=yesterday', 400, 'Unable to decode query.'],
    ['sinceTime=2026-01-01T00:00:00Z&sinceSeconds=5', 422, 'at most one of `sinceTime` or `sinceSeconds` may be specified'],
    ['limitBytes=0', 422, 'limitBytes: Invalid value: 0: must be greater than 0'],
  ])('rejects %s', (query, status, message) => {
    expect(apiError(() => parseLogQuery(new URLSearchParams(query), pod(['a'])))).toEqual({ status, message });
  });

  it('reads sinceTime (RFC3339) and limitBytes', () => {
    const q = new URLSearchParams('sinceTime=2026-01-01T00:00:00.123456789%2B02:00&limitBytes=100');
    expect(parseLogQuery(q, pod(['a']))).toMatchObject({ sinceTime: '2026-01-01T00:00:00.123456789+02:00', limitBytes: 100 });
  });

  it('since for Docker: nanoseconds, the later of sinceSeconds and sinceTime, all nine digits of the fraction', () => {
    expect(parseRfc3339('2026-01-01T00:00:00.5Z')).toBe(BigInt(Date.parse('2026-01-01T00:00:00Z')) * 1_000_000n + 500_000_000n);
    expect(parseRfc3339('2026-01-01T02:00:00+02:00')).toBe(parseRfc3339('2026-01-01T00:00:00Z'));
    expect(parseRfc3339('2026-01-01 00:00:00Z')).toBeUndefined();
    const now = Date.parse('2026-01-01T00:01:00Z');
    expect(logsSince({ sinceSeconds: 30 }, now)).toBe(BigInt(now - 30_000) * 1_000_000n);
    expect(logsSince({ sinceTime: '2026-01-01T00:00:50Z' }, now)).toBe(parseRfc3339('2026-01-01T00:00:50Z'));
    expect(logsSince({ sinceSeconds: 30, sinceTime: '2026-01-01T00:00:50Z' }, now)).toBe(parseRfc3339('2026-01-01T00:00:50Z'));
    expect(logsSince({}, now)).toBeUndefined();
    expect(dockerTimestamp(1_700_000_000_000_000_005n)).toBe('1700000000.000000005');
  });

  it('reads exec options, keeping the command’s arguments in order', () => {
    const q = new URLSearchParams('container=b&command=sh&command=-c&command=echo+a%26b&stdin=true&tty=1');
    expect(parseExecQuery(q, pod(['a', 'b']))).toEqual({ container: 'b', command: ['sh', '-c', 'echo a&b'], stdin: true, tty: true });
    expect(apiError(() => parseExecQuery(new URLSearchParams(''), pod(['a'])))).toEqual({ status: 400, message: 'you must specify at least 1 command' });
  });
});

describe('frames', () => {
  it('decodes Docker’s multiplexed stream however it is chunked', () => {
    const stream = Buffer.concat([encodeFrame(FRAME.stdout, Buffer.from('out 1\n')), encodeFrame(FRAME.stderr, Buffer.from('err\n')), encodeFrame(FRAME.stdout, Buffer.alloc(0)), encodeFrame(FRAME.stdout, Buffer.from('out 2\n'))]);
    for (const size of [1, 3, 7, 8, 9, stream.length]) {
      const decoder = new FrameDecoder();
      const frames = [];
      for (let i = 0; i < stream.length; i += size) frames.push(...decoder.push(stream.subarray(i, i + size)));
      expect(frames.map((f) => [f.type, f.payload.toString()])).toEqual([
        [1, 'out 1\n'],
        [2, 'err\n'],
        [1, ''],
        [1, 'out 2\n'],
      ]);
      expect(decoder.pending).toBe(0);
    }
  });

  it('uses Docker’s 8-byte header', () => {
    expect([...encodeFrame(FRAME.stderr, Buffer.from('ab'))]).toEqual([2, 0, 0, 0, 0, 0, 0, 2, 97, 98]);
  });

  it('carries exit codes and terminal sizes', () => {
    const [exit] = new FrameDecoder().push(encodeExitFrame(-1));
    expect(exit?.type).toBe(FRAME.exit);
    expect(decodeExitPayload(exit?.payload ?? Buffer.alloc(0))).toBe(-1);
    const [resize] = new FrameDecoder().push(encodeResizeFrame(200, 70000));
    expect(decodeResizePayload(resize?.payload ?? Buffer.alloc(0))).toEqual({ cols: 200, rows: 65535 });
    expect(decodeExitPayload(Buffer.alloc(2))).toBeUndefined();
  });
});

describe('Status objects', () => {
  it('are shaped as the API server sends them', () => {
    expect(failureStatus(404, 'pods "x" not found', { name: 'x', kind: 'pods' })).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "x" not found',
      reason: 'NotFound',
      details: { name: 'x', kind: 'pods' },
      code: 404,
    });
    expect([400, 405, 409, 422, 500, 503, 418].map(statusReason)).toEqual(['BadRequest', 'MethodNotAllowed', 'Conflict', 'Invalid', 'InternalError', 'ServiceUnavailable', 'Unknown']);
    expect(isKubeStatus({ kind: 'Status', message: 'm', code: 1 })).toBe(true);
    expect(isKubeStatus({ kind: 'Pod' })).toBe(false);
  });
});

describe('client errors', () => {
  const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });
  it.each([
    ['ENOENT', 'no such file (is nodelet running?)'],
    ['EACCES', "permission denied (run as root or a member of the socket's group)"],
    ['ECONNREFUSED', 'connection refused (is nodelet running?)'],
  ])('%s', (code, reason) => {
    expect(unreachableReason(errno(code))).toBe(reason);
  });

  it('format as one line each', () => {
    expect(formatClientError(new AgentUnreachableError('/run/nodelet/nodelet.sock', unreachableReason(errno('ENOENT'))))).toBe(
      'nodelet: cannot reach the agent at /run/nodelet/nodelet.sock: no such file (is nodelet running?)',
    );
    expect(formatClientError(new ApiStatusError(failureStatus(400, 'container x is not valid for pod p')))).toBe('Error from server (BadRequest): container x is not valid for pod p');
    expect(formatClientError(new Error('boom'))).toBe('error: boom');
  });
});

describe('parseListenAddress', () => {
  it.each([
    [':10248', { host: '127.0.0.1', port: 10248 }],
    ['10248', { host: '127.0.0.1', port: 10248 }],
    ['0.0.0.0:9100', { host: '0.0.0.0', port: 9100 }],
    ['[::1]:9100', { host: '::1', port: 9100 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
  ])('%s', (addr, expected) => {
    expect(parseListenAddress(addr)).toEqual(expected);
  });

  it.each(['', 'host', 'host:port', ':70000', '::1:80'])('%j is refused', (addr) => {
    expect(() => parseListenAddress(addr)).toThrow(`invalid metrics address "${addr}"`);
  });
});

describe('createMetrics', () => {
  it('gives each agent its own registry with the nodelet metrics', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.runningContainers.set(2);
    expect(await b.registry.getSingleMetricAsString('nodelet_running_containers')).toContain('nodelet_running_containers 0');
    expect(await a.registry.getSingleMetricAsString('nodelet_running_containers')).toContain('nodelet_running_containers 2');
    expect(a.registry.getMetricsAsArray().map((m) => m.name).sort()).toEqual([
      'nodelet_container_restarts_total',
      'nodelet_docker_api_duration_seconds',
      'nodelet_docker_api_errors_total',
      'nodelet_manifest_errors',
      'nodelet_pod_start_duration_seconds',
      'nodelet_probe_results_total',
      'nodelet_running_containers',
      'nodelet_running_pods',
    ]);
  });

  it('times Docker calls and counts their failures', async () => {
    const m = createMetrics({ defaultMetrics: false });
    await expect(observeDockerCall(m, 'inspect', () => Promise.resolve(7))).resolves.toBe(7);
    await expect(observeDockerCall(m, 'inspect', () => Promise.reject(new Error('gone')))).rejects.toThrow('gone');
    const text = await m.registry.metrics();
    expect(text).toContain('nodelet_docker_api_duration_seconds_count{operation="inspect"} 2');
    expect(text).toContain('nodelet_docker_api_errors_total{operation="inspect"} 1');
  });
});
