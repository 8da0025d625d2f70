import { describe, expect, it } from 'vitest';
import {
  defaultPodHost,
  dialErrorMessage,
  formatPod,
  joinHostPort,
  kubeUserAgent,
  resolveContainerPort,
  truncateOutput,
} from '../../../agent/probe/target.js';

const container = { ports: [{ name: 'http', containerPort: 8080 }, { name: 'metrics', containerPort: 9090 }] };

describe('resolveContainerPort (pkg/probe ResolveContainerPort)', () => {
  it.each([
    [8080, {}, { ok: true, port: 8080 }],
    ['http', {}, { ok: true, port: 8080 }],
    ['metrics', {}, { ok: true, port: 9090 }],
    ['nope', {}, { ok: false, error: 'port "nope" not found' }],
    ['8080', {}, { ok: false, error: 'port "8080" not found' }],
    ['8080', { numericStrings: true }, { ok: true, port: 8080 }],
    [0, {}, { ok: false, error: 'invalid port number: 0' }],
    [70000, {}, { ok: false, error: 'invalid port number: 70000' }],
  ] as const)('%j %j → %j', (port, opts, expected) => {
    expect(resolveContainerPort(port, container, opts)).toEqual(expected);
  });
});

describe('addresses', () => {
  it('joins host and port as Go does', () => {
    expect(joinHostPort('10.0.0.1', 80)).toBe('10.0.0.1:80');
    expect(joinHostPort('::1', 80)).toBe('[::1]:80');
  });

  it('defaults to the pod IP, the node IP on the host network, nothing without an address', () => {
    expect(defaultPodHost({ spec: { containers: [], hostNetwork: true } }, ['192.168.1.5', '10.0.0.1'], [])).toBe('192.168.1.5');
    expect(defaultPodHost({ spec: { containers: [], hostNetwork: true } }, [], [])).toBe('127.0.0.1');
    expect(defaultPodHost({ spec: { containers: [] } }, ['192.168.1.5'], ['172.17.0.3'])).toBe('172.17.0.3');
    expect(defaultPodHost({ spec: { containers: [] } }, ['192.168.1.5'], [])).toBeUndefined();
  });
});

describe('texts', () => {
  it('words dial errors like Go', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(dialErrorMessage(err, '127.0.0.1:1')).toBe('dial tcp 127.0.0.1:1: connect: connection refused');
    expect(dialErrorMessage(Object.assign(new Error('x'), { code: 'EHOSTUNREACH' }), '10.0.0.9:80')).toBe('dial tcp 10.0.0.9:80: connect: no route to host');
    expect(dialErrorMessage(new Error('something else'), 'h:1')).toBe('something else');
  });

  it('formats pods as kubelet does, user agents per purpose', () => {
    expect(formatPod({ name: 'web-node1', namespace: 'default', uid: 'abc' })).toBe('web-node1_default(abc)');
    expect(kubeUserAgent('probe')).toBe('kube-probe/1.30');
    expect(kubeUserAgent('lifecycle')).toBe('kube-lifecycle/1.30');
  });

  it('keeps 10 KiB of output', () => {
    expect(truncateOutput('a'.repeat(20_000))).toHaveLength(10 * 1024);
    expect(truncateOutput('short')).toBe('short');
  });
});
