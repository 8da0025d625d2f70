import { describe, expect, it } from 'vitest';
import type { Container, EnvVar, Pod } from 'kubernetes-types/core/v1.js';
import { computeEnv, formatMap, podFieldValue, type EnvContext } from '../../../agent/translate/env.js';
import { goQuote } from '../../../agent/manifest/field-issue.js';

const ctx: EnvContext = {
  hostIPs: ['192.0.2.10', '2001:db8::10'],
  podIPs: ['172.17.0.5'],
  nodeAllocatable: { cpuMilli: 4000, memoryBytes: 8 * 1024 ** 3, ephemeralStorageBytes: 100 * 1000 ** 3 },
};

function pod(containers: Container[], extra: Partial<NonNullable<Pod['spec']>> = {}, initContainers?: Container[]): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-node1',
      namespace: 'default',
      uid: '8f2e0c1a',
      labels: { app: 'web', tier: 'front' },
      annotations: { 'kubernetes.io/config.source': 'file', note: 'say "hi"\n' },
    },
    spec: { nodeName: 'node1', serviceAccountName: 'default', containers, ...(initContainers ? { initContainers } : {}), ...extra },
  };
}

function run(env: EnvVar[], opts: { resources?: Container['resources']; spec?: Partial<NonNullable<Pod['spec']>>; ctx?: EnvContext; envFrom?: Container['envFrom'] } = {}) {
  const c: Container = { name: 'app', image: 'busybox', env, ...(opts.resources ? { resources: opts.resources } : {}), ...(opts.envFrom ? { envFrom: opts.envFrom } : {}) };
  const other: Container = { name: 'other', image: 'busybox', resources: { limits: { cpu: '250m', memory: '64Mi' }, requests: { cpu: '100m' } } };
  const init: Container = { name: 'setup', image: 'busybox' };
  return computeEnv(pod([c, other], opts.spec, [init]), c, opts.ctx ?? ctx);
}

function values(env: EnvVar[], opts: Parameters<typeof run>[1] = {}): Record<string, string> {
  const r = run(env, opts);
  if (!r.ok) throw new Error(r.message);
  return Object.fromEntries(r.env.map((e) => [e.name, e.value]));
}

function fieldRef(name: string, fieldPath: string): EnvVar {
  return { name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } };
}

function resourceRef(name: string, resource: string, divisor?: string, containerName?: string): EnvVar {
  return { name, valueFrom: { resourceFieldRef: { resource, ...(divisor ? { divisor } : {}), ...(containerName ? { containerName } : {}) } } };
}

describe('computeEnv: values and expansion', () => {
  it('keeps declaration order; a later duplicate replaces the value in place', () => {
    const r = run([
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
      { name: 'A', value: '3' },
    ]);
    expect(r).toEqual({ ok: true, env: [{ name: 'A', value: '3' }, { name: 'B', value: '2' }] });
  });

  it.each<[string, EnvVar[], Record<string, string>]>([
    ['expands earlier entries', [{ name: 'A', value: 'x' }, { name: 'B', value: '$(A)-y' }], { A: 'x', B: 'x-y' }],
    ['leaves later entries verbatim', [{ name: 'B', value: '$(A)-y' }, { name: 'A', value: 'x' }], { B: '$(A)-y', A: 'x' }],
    ['leaves unknown names verbatim', [{ name: 'B', value: '$(NOPE)' }], { B: '$(NOPE)' }],
    ['chains through expanded values', [{ name: 'A', value: 'a' }, { name: 'B', value: '$(A)b' }, { name: 'C', value: '$(B)c' }], { A: 'a', B: 'ab', C: 'abc' }],
    ['uses the value at the time of reference', [{ name: 'A', value: '1' }, { name: 'B', value: '$(A)' }, { name: 'A', value: '2' }], { A: '2', B: '1' }],
    ['honours $$ escapes', [{ name: 'A', value: 'x' }, { name: 'B', value: '$$(A)' }], { A: 'x', B: '$(A)' }],
    ['expands references to downward API values', [fieldRef('POD', 'metadata.name'), { name: 'URL', value: 'http://$(POD):80' }], { POD: 'web-node1', URL: 'http://web-node1:80' }],
    ['does not expand a value that came from valueFrom', [{ name: 'A', value: 'x' }, fieldRef('N', "metadata.annotations['note']")], { A: 'x', N: 'say "hi"\n' }],
    ['an empty value with no source is empty', [{ name: 'E' }], { E: '' }],
    ['a non-empty value wins over valueFrom', [{ name: 'V', value: 'literal', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }], { V: 'literal' }],
  ])('%s', (_name, env, expected) => {
    expect(values(env)).toEqual(expected);
  });
});

describe('computeEnv: fieldRef', () => {
  it.each<[string, string]>([
    ['metadata.name', 'web-node1'],
    ['metadata.namespace', 'default'],
    ['metadata.uid', '8f2e0c1a'],
    ["metadata.labels['app']", 'web'],
    ["metadata.labels['missing']", ''],
    ["metadata.annotations['kubernetes.io/config.source']", 'file'],
    ['spec.nodeName', 'node1'],
    ['spec.serviceAccountName', 'default'],
    ['spec.host', 'node1'],
    ['status.hostIP', '192.0.2.10'],
    ['status.hostIPs', '192.0.2.10,2001:db8::10'],
    ['status.podIP', '172.17.0.5'],
    ['status.podIPs', '172.17.0.5'],
  ])('%s → %j', (path, expected) => {
    expect(values([fieldRef('X', path)])).toEqual({ X: expected });
  });

  it('defaults apiVersion to v1', () => {
    expect(values([{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }])).toEqual({ X: 'web-node1' });
  });

  it('gives hostNetwork pods the host IPs as pod IPs when none are known', () => {
    const v = values([fieldRef('IP', 'status.podIP'), fieldRef('IPS', 'status.podIPs')], { spec: { hostNetwork: true }, ctx: { ...ctx, podIPs: [] } });
    expect(v).toEqual({ IP: '192.0.2.10', IPS: '192.0.2.10,2001:db8::10' });
  });

  it('gives an empty pod IP when unknown (network none)', () => {
    expect(values([fieldRef('IP', 'status.podIP')], { ctx: { ...ctx, podIPs: [] } })).toEqual({ IP: '' });
  });

  it.each<[string, EnvVar, string]>([
    ['unsupported path', fieldRef('X', 'spec.containers'), 'field label not supported: spec.containers'],
    ['subscript on a plain field', fieldRef('X', "metadata.name['x']"), "field label does not support subscript: metadata.name['x']"],
    ['convertible but not extractable', fieldRef('X', 'status.phase'), 'unsupported fieldPath: status.phase'],
    ['another API version', { name: 'X', valueFrom: { fieldRef: { apiVersion: 'v2', fieldPath: 'metadata.name' } } }, 'unsupported pod version: v2'],
  ])('fails with kubelet text: %s', (_name, env, message) => {
    expect(run([env])).toEqual({ ok: false, message });
  });

  it('fails without node addresses for status.hostIP', () => {
    expect(run([fieldRef('X', 'status.hostIP')], { ctx: { ...ctx, hostIPs: [] } })).toEqual({ ok: false, message: 'host IP unknown; known addresses: []' });
  });
});

describe('computeEnv: resourceFieldRef', () => {
  const resources: Container['resources'] = {
    requests: { cpu: '250m', memory: '64Mi', 'ephemeral-storage': '1Gi' },
    limits: { cpu: '1500m', memory: '128Mi', 'ephemeral-storage': '2Gi', 'hugepages-2Mi': '4Mi' },
  };
  it.each<[string, EnvVar, string]>([
    ['limits.cpu rounds up to whole cores', resourceRef('X', 'limits.cpu'), '2'],
    ['limits.cpu in millicores', resourceRef('X', 'limits.cpu', '1m'), '1500'],
    ['requests.cpu rounds up', resourceRef('X', 'requests.cpu'), '1'],
    ['requests.cpu in millicores', resourceRef('X', 'requests.cpu', '1m'), '250'],
    ['limits.memory in bytes', resourceRef('X', 'limits.memory'), '134217728'],
    ['limits.memory in Mi', resourceRef('X', 'limits.memory', '1Mi'), '128'],
    ['limits.memory in M, rounded up', resourceRef('X', 'limits.memory', '1M'), '135'],
    ['requests.memory in Ki', resourceRef('X', 'requests.memory', '1Ki'), '65536'],
    ['limits.ephemeral-storage in Gi', resourceRef('X', 'limits.ephemeral-storage', '1Gi'), '2'],
    ['requests.ephemeral-storage in G', resourceRef('X', 'requests.ephemeral-storage', '1G'), '2'],
    ['hugepages limit', resourceRef('X', 'limits.hugepages-2Mi', '1Mi'), '4'],
    ['divisor 0 means 1', resourceRef('X', 'limits.cpu', '0'), '2'],
    ['another container by name', resourceRef('X', 'limits.cpu', '1m', 'other'), '250'],
  ])('%s', (_name, env, expected) => {
    expect(values([env], { resources })).toEqual({ X: expected });
  });

  it.each<[string, EnvVar, string]>([
    ['limits.cpu falls back to node allocatable', resourceRef('X', 'limits.cpu'), '4'],
    ['limits.memory falls back to node allocatable', resourceRef('X', 'limits.memory', '1Gi'), '8'],
    ['limits.ephemeral-storage falls back to node allocatable', resourceRef('X', 'limits.ephemeral-storage', '1G'), '100'],
    ['requests without a request read 0', resourceRef('X', 'requests.memory'), '0'],
    ['a named app container without a limit gets allocatable', resourceRef('X', 'limits.ephemeral-storage', '1G', 'other'), '100'],
    ['a named init container keeps its missing limit', resourceRef('X', 'limits.cpu', undefined, 'setup'), '0'],
  ])('%s', (_name, env, expected) => {
    expect(values([env])).toEqual({ X: expected });
  });

  it('reads 0 for limits.ephemeral-storage when the node value is unknown', () => {
    expect(values([resourceRef('X', 'limits.ephemeral-storage')], { ctx: { ...ctx, nodeAllocatable: { cpuMilli: 1000, memoryBytes: 1 } } })).toEqual({ X: '0' });
  });

  it.each<[string, EnvVar, string]>([
    ['unknown resource', resourceRef('X', 'limits.gpu'), 'unsupported container resource : limits.gpu'],
    ['no kind', resourceRef('X', 'cpu'), 'unsupported container resource : cpu'],
    ['unknown container', resourceRef('X', 'limits.cpu', undefined, 'ghost'), 'container ghost not found'],
  ])('fails with kubelet text: %s', (_name, env, message) => {
    expect(run([env])).toEqual({ ok: false, message });
  });
});

describe('computeEnv: sources that need an API server', () => {
  it.each<[string, Parameters<typeof run>]>([
    ['envFrom configMapRef', [[], { envFrom: [{ configMapRef: { name: 'cm', optional: true } }] }]],
    ['configMapKeyRef', [[{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } }]]],
  ])('%s fails like a kubelet without a client', (_name, args) => {
    expect(run(...args)).toEqual({ ok: false, message: "couldn't get configMap default/cm, no kubeClient defined" });
  });

  it.each<[string, Parameters<typeof run>]>([
    ['envFrom secretRef', [[], { envFrom: [{ secretRef: { name: 's' } }] }]],
    ['secretKeyRef', [[{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }]]],
  ])('%s fails like a kubelet without a client', (_name, args) => {
    expect(run(...args)).toEqual({ ok: false, message: "couldn't get secret default/s, no kubeClient defined" });
  });
});

describe('formatMap / goQuote (downward API maps)', () => {
  it('sorts keys and quotes values like Go %q, without a final newline', () => {
    expect(formatMap({ b: '2', a: 'x"y\\z', c: 'tab\there\n' })).toBe('a="x\\"y\\\\z"\nb="2"\nc="tab\\there\\n"');
  });

  it.each([
    ['plain', '"plain"'],
    ['héllo ☃', '"héllo ☃"'],
    ['\x00\x7f', '"\\x00\\x7f"'],
    ['\u200b', '"\\u200b"'],
    ['\x07\b\f\r\v', '"\\a\\b\\f\\r\\v"'],
  ])('goQuote(%j) = %s', (input, expected) => {
    expect(goQuote(input)).toBe(expected);
  });

  it('returns the whole label map for metadata.labels (volumes)', () => {
    const p = pod([{ name: 'c', image: 'x' }]);
    expect(podFieldValue({ fieldPath: 'metadata.labels' }, p, ctx)).toEqual({ ok: true, value: 'app="web"\ntier="front"' });
  });
});
