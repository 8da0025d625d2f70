import { describe, expect, it } from 'vitest';
import type { Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import type { DesiredPod } from '../../../agent/core/types.js';
import type { TranslateContext } from '../../../agent/translate/context.js';
import { toSandboxSpec } from '../../../agent/translate/sandbox-spec.js';
import { extraHosts, podDns, podHostnameAndDomain, podPortBindings, truncateHostname } from '../../../agent/translate/sandbox-spec.js';
import { LABELS } from '../../../agent/core/labels.js';

const uid = '0123abcd';
const ctx: TranslateContext = {
  nodeName: 'node1',
  hostIPs: ['192.0.2.10'],
  podIPs: [],
  stateDir: '/var/lib/nodelet',
  podNetwork: 'bridge',
  podInfraImage: 'registry.k8s.io/pause:3.10',
  nodeAllocatable: { cpuMilli: 2000, memoryBytes: 4 * 1024 ** 3 },
};

function podOf(spec: Partial<PodSpec>, name = 'web-node1'): Pod {
  return {
    metadata: { name, namespace: 'prod', uid, labels: { app: 'web' }, annotations: { 'kubernetes.io/config.source': 'file' } },
    spec: { containers: [{ name: 'app', image: 'busybox' }], ...spec },
  };
}

function desired(spec: Partial<PodSpec> = {}): DesiredPod {
  return { uid, namespace: 'prod', name: 'web-node1', pod: podOf(spec), origin: { kind: 'Pod', file: '/m/web.yaml' } };
}

describe('toSandboxSpec', () => {
  it('builds the pause container of a pod on the pod network', () => {
    const spec = toSandboxSpec(desired(), 2, ctx);
    expect(spec).toMatchObject({
      dockerName: 'k8s_POD_web-node1_prod_0123abcd_2',
      image: 'registry.k8s.io/pause:3.10',
      env: [],
      mounts: [],
      namespaces: { network: { mode: 'network', name: 'bridge' }, ipc: 'shareable', pid: 'private' },
      portBindings: [],
      hostname: 'web-node1',
      extraHosts: [],
      resources: { cpuShares: 2 },
      security: { privileged: false, noNewPrivileges: true, groupAdd: [], capAdd: [], capDrop: [], readonlyRootfs: false, sysctls: {} },
      stopTimeout: 10,
    });
    expect(spec.entrypoint).toBeUndefined();
    expect(spec.cmd).toBeUndefined();
    expect(spec.dns).toBeUndefined();
    expect(spec.domainname).toBeUndefined();
    expect(spec.labels).toMatchObject({
      app: 'web',
      'annotation.kubernetes.io/config.source': 'file',
      [LABELS.managed]: 'true',
      [LABELS.node]: 'node1',
      [LABELS.podUid]: uid,
      [LABELS.podName]: 'web-node1',
      [LABELS.podNamespace]: 'prod',
      [LABELS.containerName]: 'POD',
      [LABELS.role]: 'sandbox',
      [LABELS.dockerType]: 'podsandbox',
      [LABELS.restartCount]: '2',
    });
  });

  it('keeps its hash across attempts and changes it with the pod definition', () => {
    const hash = (d: DesiredPod, attempt: number) => toSandboxSpec(d, attempt, ctx).labels[LABELS.containerHash];
    expect(hash(desired(), 0)).toBe(hash(desired(), 3));
    expect(hash(desired(), 0)).not.toBe(hash(desired({ hostIPC: true }), 0));
  });

  it.each<[string, Partial<PodSpec>, Partial<TranslateContext>, object]>([
    ['hostNetwork', { hostNetwork: true }, {}, { network: { mode: 'host' }, ipc: 'shareable', pid: 'private' }],
    ['hostIPC and hostPID', { hostIPC: true, hostPID: true }, {}, { network: { mode: 'network', name: 'bridge' }, ipc: 'host', pid: 'host' }],
    ['network none', {}, { podNetwork: 'none' }, { network: { mode: 'none' }, ipc: 'shareable', pid: 'private' }],
    ['a named network', {}, { podNetwork: 'pods' }, { network: { mode: 'network', name: 'pods' }, ipc: 'shareable', pid: 'private' }],
  ])('namespaces: %s', (_name, spec, over, expected) => {
    expect(toSandboxSpec(desired(spec), 0, { ...ctx, ...over }).namespaces).toEqual(expected);
  });

  it('sets no hostname on the host network', () => {
    const spec = toSandboxSpec(desired({ hostNetwork: true, hostname: 'x', subdomain: 'y' }), 0, ctx);
    expect(spec.hostname).toBeUndefined();
    expect(spec.domainname).toBeUndefined();
  });

  it('carries hostname, domain, sysctls, aliases and privileged', () => {
    const spec = toSandboxSpec(
      desired({
        hostname: 'db',
        subdomain: 'backend',
        hostAliases: [{ ip: '10.0.0.1', hostnames: ['a', 'b'] }],
        securityContext: { sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] },
        containers: [{ name: 'app', image: 'x', securityContext: { privileged: true } }],
      }),
      0,
      ctx,
    );
    expect(spec.hostname).toBe('db');
    expect(spec.domainname).toBe('backend.prod.svc.cluster.local');
    expect(spec.extraHosts).toEqual(['a:10.0.0.1', 'b:10.0.0.1']);
    expect(spec.security.sysctls).toEqual({ 'net.core.somaxconn': '1024' });
    expect(spec.security.privileged).toBe(true);
  });
});

describe('podHostnameAndDomain', () => {
  it.each<[string, Partial<PodSpec>, string, { hostname: string; domain?: string }]>([
    ['pod name', {}, 'web-node1', { hostname: 'web-node1' }],
    ['spec.hostname', { hostname: 'db-0' }, 'web-node1', { hostname: 'db-0' }],
    ['subdomain', { subdomain: 'svc1' }, 'web-node1', { hostname: 'web-node1', domain: 'svc1.prod.svc.cluster.local' }],
    ['setHostnameAsFQDN', { subdomain: 'svc1', setHostnameAsFQDN: true }, 'web', { hostname: 'web.svc1.prod.svc.cluster.local' }],
    ['FQDN too long stays short', { subdomain: 'svc1', setHostnameAsFQDN: true }, 'w'.repeat(40), { hostname: 'w'.repeat(40), domain: 'svc1.prod.svc.cluster.local' }],
    ['long name truncated', {}, `${'a'.repeat(62)}-bbb`, { hostname: 'a'.repeat(62) }],
  ])('%s', (_name, spec, name, expected) => {
    expect(podHostnameAndDomain(podOf(spec, name), 'cluster.local')).toEqual(expected);
  });

  it('truncateHostname trims trailing dots and dashes after cutting', () => {
    expect(truncateHostname(`${'a'.repeat(61)}.-x`)).toBe('a'.repeat(61));
    expect(truncateHostname('short')).toBe('short');
  });
});

describe('podDns (GetPodDNS)', () => {
  const hostDns = { servers: ['192.0.2.53'], searches: ['example.com'], options: ['edns0'] };
  it.each<[string, Partial<PodSpec>, Partial<TranslateContext>, ReturnType<typeof podDns>]>([
    ['ClusterFirst without cluster DNS: host (left to Docker)', {}, {}, undefined],
    ['Default: host (left to Docker)', { dnsPolicy: 'Default' }, {}, undefined],
    ['Default with known host DNS', { dnsPolicy: 'Default' }, { hostDns }, hostDns],
    [
      'ClusterFirst with cluster DNS',
      {},
      { clusterDns: ['10.96.0.10'], hostDns },
      { servers: ['10.96.0.10'], searches: ['prod.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'example.com'], options: ['ndots:5'] },
    ],
    ['ClusterFirst on the host network is Default', { hostNetwork: true }, { clusterDns: ['10.96.0.10'] }, undefined],
    [
      'ClusterFirstWithHostNet uses cluster DNS',
      { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' },
      { clusterDns: ['10.96.0.10'], clusterDomain: 'k8s.local' },
      { servers: ['10.96.0.10'], searches: ['prod.svc.k8s.local', 'svc.k8s.local', 'k8s.local'], options: ['ndots:5'] },
    ],
    [
      'None uses dnsConfig only',
      { dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches: ['a.example'], options: [{ name: 'ndots', value: '2' }, { name: 'rotate' }] } },
      { hostDns },
      { servers: ['1.1.1.1'], searches: ['a.example'], options: ['ndots:2', 'rotate'] },
    ],
    [
      'dnsConfig appended to the host config, options merged',
      { dnsPolicy: 'Default', dnsConfig: { nameservers: ['192.0.2.53', '1.1.1.1'], searches: ['b.example'], options: [{ name: 'edns0' }, { name: 'timeout', value: '2' }] } },
      { hostDns },
      { servers: ['192.0.2.53', '1.1.1.1'], searches: ['example.com', 'b.example'], options: ['edns0', 'timeout:2'] },
    ],
    [
      'dnsConfig on an unknown host config: only its own entries',
      { dnsConfig: { searches: ['b.example'] } },
      {},
      { servers: [], searches: ['b.example'], options: [] },
    ],
    [
      'at most 3 nameservers',
      { dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1', '2.2.2.2', '3.3.3.3', '4.4.4.4'] } },
      {},
      { servers: ['1.1.1.1', '2.2.2.2', '3.3.3.3'], searches: [], options: [] },
    ],
  ])('%s', (_name, spec, over, expected) => {
    expect(podDns(podOf(spec), { ...ctx, ...over })).toEqual(expected);
  });

  it('keeps at most 32 search domains and 2048 characters', () => {
    const many = Array.from({ length: 40 }, (_, i) => `d${i}.example`);
    expect(podDns(podOf({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches: many } }), ctx)?.searches).toEqual(many.slice(0, 32));
    const long = Array.from({ length: 10 }, (_, i) => `${String(i).repeat(250)}.x`);
    const fitted = podDns(podOf({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches: long } }), ctx)?.searches ?? [];
    expect(fitted.join(' ').length).toBeLessThanOrEqual(2048);
    expect(fitted).toEqual(long.slice(0, 8));
  });
});

describe('podPortBindings', () => {
  it('binds only host ports of app containers, de-duplicated per container', () => {
    const spec: Partial<PodSpec> = {
      containers: [
        {
          name: 'a',
          image: 'x',
          ports: [
            { containerPort: 80, hostPort: 8080 },
            { containerPort: 80, hostPort: 8080 },
            { containerPort: 53, hostPort: 5353, protocol: 'UDP', hostIP: '127.0.0.1' },
            { containerPort: 9090 },
            { name: 'metrics', containerPort: 9100, hostPort: 9100 },
            { name: 'metrics', containerPort: 9101, hostPort: 9101 },
          ],
        },
        { name: 'b', image: 'x', ports: [{ containerPort: 80, hostPort: 8081, protocol: 'SCTP' }] },
      ],
      initContainers: [{ name: 'i', image: 'x', ports: [{ containerPort: 1, hostPort: 1 }] }],
    };
    expect(podPortBindings(podOf(spec))).toEqual([
      { containerPort: 80, protocol: 'tcp', hostPort: 8080 },
      { containerPort: 53, protocol: 'udp', hostPort: 5353, hostIP: '127.0.0.1' },
      { containerPort: 9100, protocol: 'tcp', hostPort: 9100 },
      { containerPort: 80, protocol: 'sctp', hostPort: 8081 },
    ]);
  });

  it('binds nothing on the host network', () => {
    expect(podPortBindings(podOf({ hostNetwork: true, containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 80, hostPort: 80 }] }] }))).toEqual([]);
  });

  it('extraHosts lists every alias', () => {
    expect(extraHosts(podOf({ hostAliases: [{ ip: '::1', hostnames: ['v6'] }, { ip: '10.1.1.1' }] }))).toEqual(['v6:::1']);
  });
});
