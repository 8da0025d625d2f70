import { describe, expect, it } from 'vitest';
import type { NodeStatus } from 'kubernetes-types/core/v1.js';
import type { FileStatus } from '../../../agent/core/types.js';
import { INSECURE_MANIFESTS_CONDITION, isNodeSettableLabel, manifestHealth, nodeConditions, nodeLabelPatch, nodeLabels, nodeObject, nodeStatus, nodeStatusChanged, nodeStatusPatch, partitionNodeLabels, taintsKey } from '../../../agent/node/node-status.js';
import { osImageFrom } from '../../../agent/node/host-facts.js';
import { canonicalQuantity } from '../../../agent/manifest/quantity.js';
import { TEST_FACTS } from '../../fake-apiserver/harness.js';

const T0 = Date.UTC(2026, 0, 1);
const healthy = { runtimeReady: true, memoryPressure: false, diskPressure: false, pidPressure: false };

describe('labels a node may set on itself (NodeRestriction)', () => {
  it.each([
    ['kubernetes.io/hostname', true],
    ['kubernetes.io/os', true],
    ['beta.kubernetes.io/arch', true],
    ['topology.kubernetes.io/zone', true],
    ['node.kubernetes.io/instance-type', true],
    ['kubelet.kubernetes.io/anything', true],
    ['sub.node.kubernetes.io/x', true],
    ['example.com/role', true],
    ['plain', true],
    ['node-role.kubernetes.io/control-plane', false],
    ['kubernetes.io/role', false],
    ['k8s.io/x', false],
    ['foo.k8s.io/x', false],
    ['node-restriction.kubernetes.io/dedicated', false],
    ['x.node-restriction.kubernetes.io/y', false],
  ])('%s → %s', (key, ok) => {
    expect(isNodeSettableLabel(key)).toBe(ok);
  });

  it('partitions, sorting the refused keys', () => {
    expect(partitionNodeLabels({ b: '1', 'kubernetes.io/role': 'x', 'k8s.io/a': 'y' })).toEqual({ allowed: { b: '1' }, forbidden: ['k8s.io/a', 'kubernetes.io/role'] });
  });

  it('adds kubelet automatic labels; configured labels win', () => {
    expect(nodeLabels('n1', TEST_FACTS, { 'kubernetes.io/hostname': 'custom', a: 'b' })).toEqual({
      'beta.kubernetes.io/arch': 'amd64',
      'beta.kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'kubernetes.io/hostname': 'custom',
      'kubernetes.io/os': 'linux',
      a: 'b',
    });
  });
});

describe('node conditions', () => {
  it('uses kubelet reasons and messages, in kubelet order', () => {
    const c = nodeConditions({ runtimeReady: false, memoryPressure: true, diskPressure: true, pidPressure: true }, T0);
    expect(c.map((x) => [x.type, x.status, x.reason, x.message])).toEqual([
      ['MemoryPressure', 'True', 'KubeletHasInsufficientMemory', 'kubelet has insufficient memory available'],
      ['DiskPressure', 'True', 'KubeletHasDiskPressure', 'kubelet has disk pressure'],
      ['PIDPressure', 'True', 'KubeletHasInsufficientPID', 'kubelet has insufficient PID available'],
      ['Ready', 'False', 'KubeletNotReady', 'container runtime is down'],
    ]);
    expect(nodeConditions(healthy, T0).map((x) => x.reason)).toEqual(['KubeletHasSufficientMemory', 'KubeletHasNoDiskPressure', 'KubeletHasSufficientPID', 'KubeletReady']);
  });

  it('keeps lastTransitionTime while a status holds, moves it when the status flips; heartbeat always moves', () => {
    const first = nodeConditions(healthy, T0);
    const later = nodeConditions({ ...healthy, runtimeReady: false }, T0 + 60_000, first);
    const ready = later.find((c) => c.type === 'Ready');
    const mem = later.find((c) => c.type === 'MemoryPressure');
    expect(ready).toMatchObject({ lastTransitionTime: '2026-01-01T00:01:00Z', lastHeartbeatTime: '2026-01-01T00:01:00Z' });
    expect(mem).toMatchObject({ lastTransitionTime: '2026-01-01T00:00:00Z', lastHeartbeatTime: '2026-01-01T00:01:00Z' });
  });
});

describe('node status', () => {
  it('capacity, allocatable (minus kubelet eviction thresholds), addresses, nodeInfo', () => {
    const s = nodeStatus(TEST_FACTS, healthy, T0);
    expect(s.capacity).toEqual({ cpu: '4', memory: '8388608Ki', pods: '110', 'ephemeral-storage': '104857600Ki' });
    // nodefs.available 10 % is float32(0.1) × capacity, truncated, as the kubelet takes it: 10737418400 bytes reserved.
    expect(s.allocatable).toEqual({ cpu: '4', memory: '8286208Ki', pods: '110', 'ephemeral-storage': '96636764000' });
    expect(s.addresses?.map((a) => a.type)).toEqual(['InternalIP', 'InternalIP', 'Hostname']);
    expect(s.nodeInfo).toMatchObject({ kubeletVersion: 'nodelet/v0.1.0', containerRuntimeVersion: 'docker://28.2.2', machineID: 'm-123', bootID: 'b-123' });
    expect(nodeStatus({ ...TEST_FACTS, ephemeralStorageBytes: undefined }, healthy, T0).capacity).not.toHaveProperty('ephemeral-storage');
  });

  it('allocatable leaves out systemReserved, kubeReserved and evictionHard (what the API server gets too: node-sync sends this status)', () => {
    const reservation = { systemReserved: { cpu: '500m', memory: '1Gi' }, kubeReserved: { memory: '512Mi', 'ephemeral-storage': '10Gi' }, evictionHard: { 'memory.available': '200Mi', 'nodefs.available': '5Gi' } };
    const s = nodeStatus({ ...TEST_FACTS, maxPods: 20, reservation }, healthy, T0);
    expect(s.capacity).toMatchObject({ cpu: '4', memory: '8388608Ki', pods: '20' });
    expect(s.allocatable).toEqual({ cpu: '3500m', memory: `${8388608 - 1048576 - 524288 - 204800}Ki`, pods: '20', 'ephemeral-storage': `${104857600 - 10485760 - 5242880}Ki` });
  });

  it('a change is anything but heartbeat times, and only in fields nodelet sets', () => {
    const a = nodeStatus(TEST_FACTS, healthy, T0);
    const b = nodeStatus(TEST_FACTS, healthy, T0 + 10_000, a);
    expect(nodeStatusChanged(a, b)).toBe(false);
    expect(nodeStatusChanged(undefined, b)).toBe(true);
    expect(nodeStatusChanged(a, nodeStatus(TEST_FACTS, { ...healthy, diskPressure: true }, T0 + 10_000, a))).toBe(true);
    expect(nodeStatusChanged(a, nodeStatus({ ...TEST_FACTS, internalIPs: ['10.0.0.9'] }, healthy, T0 + 10_000, a))).toBe(true);
    expect(nodeStatusChanged(a, nodeStatus({ ...TEST_FACTS, memoryBytes: 1 << 30 }, healthy, T0 + 10_000, a))).toBe(true);
    // The API server stores quantities canonically (8Gi for 8388608Ki): the same value is no change.
    const round = nodeStatus({ ...TEST_FACTS, memoryBytes: 8 * 2 ** 30 }, healthy, T0);
    const canonical = (q: string | undefined): string => canonicalQuantity(q ?? '') ?? '';
    const stored: NodeStatus = { ...round, capacity: { ...round.capacity, memory: canonical(round.capacity?.memory) }, allocatable: { ...round.allocatable, memory: canonical(round.allocatable?.memory) } };
    expect(round.capacity?.memory).not.toBe('8Gi');
    expect(nodeStatusChanged(stored, nodeStatus({ ...TEST_FACTS, memoryBytes: 8 * 2 ** 30 }, healthy, T0 + 10_000, stored))).toBe(false);
    // Fields and conditions others own in the API server are not nodelet's business.
    const server: NodeStatus = {
      ...a,
      images: [{ names: ['busybox'] }],
      capacity: { ...a.capacity, 'hugepages-2Mi': '0' },
      conditions: [...(a.conditions ?? []), { type: 'NetworkUnavailable', status: 'False', reason: 'RouteCreated' }],
    };
    expect(nodeStatusChanged(server, b)).toBe(false);
    const unknown: NodeStatus = { ...a, conditions: a.conditions?.map((c) => ({ ...c, status: 'Unknown', reason: 'NodeStatusUnknown' })) };
    expect(nodeStatusChanged(unknown, b)).toBe(true);
  });

  it('the status patch replaces addresses, as kubelet fixes them up', () => {
    const patch = nodeStatusPatch(nodeStatus(TEST_FACTS, healthy, T0));
    expect(patch.status.addresses).toEqual([
      { type: 'InternalIP', address: '10.0.0.5' },
      { type: 'InternalIP', address: '10.0.0.6' },
      { type: 'Hostname', address: 'host-a' },
      { $patch: 'replace' },
    ]);
    expect(patch.status.conditions).toHaveLength(4);
  });

  it('the Node object carries settable labels and taints only', () => {
    const node = nodeObject(
      { name: 'n1', labels: { a: 'b', 'node-role.kubernetes.io/x': '' }, taints: [{ key: 'k', value: '', effect: 'NoSchedule' }] },
      nodeStatus(TEST_FACTS, healthy, T0),
    );
    expect(node.metadata).toEqual({ name: 'n1', labels: { a: 'b' } });
    expect(node.spec).toEqual({ taints: [{ key: 'k', effect: 'NoSchedule' }] });
    expect(nodeObject({ name: 'n1', labels: {}, taints: [] }, {}).spec).toEqual({});
  });
});

describe('label and taint reconciliation', () => {
  it.each([
    ['nothing to do', { a: '1', other: 'x' }, { a: '1' }, { a: '1' }, undefined],
    ['set a changed value', { a: '0' }, { a: '1' }, {}, { a: '1' }],
    ['add a new label', {}, { a: '1' }, {}, { a: '1' }],
    ['remove a label it set before', { a: '1', b: '2' }, { a: '1' }, { a: '1', b: '2' }, { b: null }],
    ['leave labels others set', { a: '1', theirs: 'x' }, { a: '1' }, { a: '1' }, undefined],
  ])('%s', (_name, current, desired, applied, expected) => {
    expect(nodeLabelPatch(current, desired, applied)).toEqual(expected);
  });

  it('compares taints regardless of order and empty values', () => {
    expect(taintsKey([{ key: 'a', effect: 'NoSchedule' }, { key: 'b', value: '', effect: 'NoExecute' }])).toBe(taintsKey([{ key: 'b', effect: 'NoExecute' }, { key: 'a', value: '', effect: 'NoSchedule' }]));
    expect(taintsKey([{ key: 'a', effect: 'NoSchedule' }])).not.toBe(taintsKey([]));
  });
});

describe('host facts parsing', () => {
  it('reads PRETTY_NAME', () => {
    expect(osImageFrom('NAME="Ubuntu"\nPRETTY_NAME="Ubuntu 24.04.1 LTS"\nID=ubuntu\n')).toBe('Ubuntu 24.04.1 LTS');
    expect(osImageFrom('PRETTY_NAME=Alpine\n')).toBe('Alpine');
    expect(osImageFrom('')).toBe('');
  });
});

describe('InsecureManifests condition (issue 12, item 8)', () => {
  const status = (state: FileStatus['state'], message = 'p'): FileStatus => ({ file: '/m/a.yaml', state, objects: [], errors: state === 'ok' ? [] : [{ severity: 'error', file: '/m/a.yaml', message }], warnings: [], checkedAt: 0 });
  const health = { runtimeReady: true, memoryPressure: false, diskPressure: false, pidPressure: false };

  it('absent without manifest health, False when nothing is refused, True with the problem while files are refused', () => {
    expect(nodeConditions(health, 0).map((c) => c.type)).not.toContain(INSECURE_MANIFESTS_CONDITION);
    const ok = nodeConditions({ ...health, manifests: manifestHealth([status('ok'), status('invalid')]) }, 0).at(-1);
    expect(ok).toMatchObject({ type: 'InsecureManifests', status: 'False', reason: 'ManifestsTrusted', message: 'every manifest file is trusted' });
    const refused = nodeConditions({ ...health, manifests: manifestHealth([status('refused', 'manifest directory /m is writable by group (mode 0775); ...'), status('ok')]) }, 5_000, ok === undefined ? [] : [ok]);
    expect(refused.at(-1)).toMatchObject({
      type: 'InsecureManifests',
      status: 'True',
      reason: 'ManifestsRefused',
      message: '1 manifest file refused, running pods kept: manifest directory /m is writable by group (mode 0775); ...',
      lastTransitionTime: '1970-01-01T00:00:05Z',
    });
  });
});
