// Item 5 of issue 15: a semver kubeletVersion, status.images as the kubelet builds it, one
// hostname, systemUUID from cadvisor's sources; and the kubelet's Node event rules.
import { describe, expect, it } from 'vitest';
import { kubeletVersionString } from '../../../agent/version.js';
import { nodeImages, nodeLabels, nodeStatusChanged, nodeStatus } from '../../../agent/node/node-status.js';
import { systemUuid } from '../../../agent/node/host-facts.js';
import { registrationEvents, statusSyncEvents } from '../../../agent/node/node-events.js';
import { TEST_FACTS } from '../../fake-apiserver/harness.js';

const HEALTHY = { runtimeReady: true, memoryPressure: false, diskPressure: false, pidPressure: false };

describe('kubeletVersion', () => {
  it('is the followed kubelet release with nodelet in the build metadata (semver, not below v1.37.0)', () => {
    const v = kubeletVersionString('0.1.0');
    expect(v).toBe('v1.37.0+nodelet.0.1.0');
    // k8s.io/apimachinery/pkg/util/version ParseSemantic's grammar.
    expect(v).toMatch(/^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/);
    expect(kubeletVersionString('0.2.0-rc.1')).toBe('v1.37.0+nodelet.0.2.0-rc.1');
  });
});

describe('status.images', () => {
  it('largest first, at most 50, names = repo digests then tags, at most 5', () => {
    const list = Array.from({ length: 60 }, (_, i) => ({ sizeBytes: i, repoTags: [`img${i}:latest`], repoDigests: [`img${i}@sha256:${'0'.repeat(64)}`] }));
    list.push({ sizeBytes: 1000, repoTags: ['a:1', 'a:2', 'a:3', 'a:4'], repoDigests: ['a@sha256:1', 'a@sha256:2'] });
    const out = nodeImages(list);
    expect(out).toHaveLength(50);
    expect(out[0]).toEqual({ names: ['a@sha256:1', 'a@sha256:2', 'a:1', 'a:2', 'a:3'], sizeBytes: 1000 });
    expect(out[1]?.sizeBytes).toBe(59);
    expect(out.at(-1)?.sizeBytes).toBe(11);
  });

  it('a change of the image list is a status change', () => {
    const a = nodeStatus(TEST_FACTS, HEALTHY, 0, undefined, [{ names: ['x:1'], sizeBytes: 1 }]);
    const b = nodeStatus(TEST_FACTS, HEALTHY, 0, undefined, [{ names: ['x:1'], sizeBytes: 1 }, { names: ['y:1'], sizeBytes: 2 }]);
    expect(nodeStatusChanged(a, b)).toBe(true);
    expect(nodeStatusChanged(a, nodeStatus(TEST_FACTS, HEALTHY, 5000, a, [{ names: ['x:1'], sizeBytes: 1 }]))).toBe(false);
  });
});

describe('one hostname', () => {
  it('the kubernetes.io/hostname label is the Hostname address', () => {
    const facts = { ...TEST_FACTS, hostname: 'edge-1' };
    const status = nodeStatus(facts, HEALTHY, 0);
    expect(nodeLabels('edge-1', facts, {})['kubernetes.io/hostname']).toBe(status.addresses?.find((a) => a.type === 'Hostname')?.address);
  });
});

describe('systemUUID', () => {
  it('reads the DMI product UUID, else the device-tree ids, else empty', () => {
    const files: Record<string, string> = { '/proc/device-tree/system-id': 'IBM,0212345\0' };
    expect(systemUuid((p) => files[p] ?? '')).toBe('ibm,0212345');
    files['/sys/class/dmi/id/product_uuid'] = 'EC2A1B2C-0000-1111-2222-333344445555\n';
    expect(systemUuid((p) => (files[p] ?? '').trim())).toBe('ec2a1b2c-0000-1111-2222-333344445555');
    expect(systemUuid(() => '')).toBe('');
  });
});

describe('Node event rules', () => {
  const ready = nodeStatus(TEST_FACTS, HEALTHY, 0);
  const notReady = nodeStatus(TEST_FACTS, { ...HEALTHY, runtimeReady: false }, 0);
  it('registration: pressure events every start, Ready only for a new Node', () => {
    expect(registrationEvents('n', ready, true).map((e) => e.reason)).toEqual(['NodeHasSufficientMemory', 'NodeHasNoDiskPressure', 'NodeHasSufficientPID', 'NodeReady']);
    expect(registrationEvents('n', ready, false).map((e) => e.reason)).toEqual(['NodeHasSufficientMemory', 'NodeHasNoDiskPressure', 'NodeHasSufficientPID']);
  });
  it('sync: status changes against the API copy (Unknown after an outage counts), and Rebooted', () => {
    expect(statusSyncEvents('n', ready, ready)).toEqual([]);
    expect(statusSyncEvents('n', ready, notReady).map((e) => e.reason)).toEqual(['NodeNotReady']);
    const unknown = { ...ready, conditions: ready.conditions?.map((c) => (c.type === 'Ready' ? { ...c, status: 'Unknown' } : c)) };
    expect(statusSyncEvents('n', unknown, ready).map((e) => e.reason)).toEqual(['NodeReady']);
    const rebooted = { ...ready, nodeInfo: { ...ready.nodeInfo, bootID: 'other' } } as typeof ready;
    expect(statusSyncEvents('n', rebooted, ready)).toEqual([{ type: 'Warning', reason: 'Rebooted', message: `Node n has been rebooted, boot id: ${TEST_FACTS.bootID}` }]);
  });
});
