import { describe, expect, it } from 'vitest';
import { daemonPodIdentity, expandDaemonPod, findDaemonPodOrdinal, nextDaemonPodOrdinal } from '../../../agent/daemonset/expand.js';
import { computeRevisions } from '../../../agent/daemonset/revisions.js';
import { FLUENTD_V1, HWAMEISTOR, daemonSet, node, seedDaemonSet } from './fixtures.js';

const T0 = Date.parse('2024-05-01T10:00:00Z');
const DS_UID = '5b1e9a70-1111-4222-8333-444455556666';

function expand(seed: string, ordinal?: number) {
  const ds = seedDaemonSet(seed);
  const revision = computeRevisions(ds, [], new Set(), { now: T0, templateGeneration: 1 }).current;
  return { revision, pod: expandDaemonPod({ ds, dsUid: DS_UID, revision, node: node(), file: '/etc/kubernetes/manifests/ds.yaml', ...(ordinal !== undefined ? { ordinal } : {}) }) };
}

describe('expandDaemonPod', () => {
  it('builds the pod the controller would create (fluentd)', () => {
    const { revision, pod } = expand(FLUENTD_V1);
    expect(pod.name).toMatch(/^fluentd-elasticsearch-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(pod.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(pod.namespace).toBe('kube-system');
    expect(pod.origin).toEqual({ kind: 'DaemonSet', file: '/etc/kubernetes/manifests/ds.yaml', owner: 'kube-system/fluentd-elasticsearch', revision: 1, templateHash: revision.hash });
    const meta = pod.pod.metadata;
    expect(meta).toMatchObject({
      name: pod.name,
      generateName: 'fluentd-elasticsearch-',
      namespace: 'kube-system',
      uid: pod.uid,
      labels: { name: 'fluentd-elasticsearch', 'controller-revision-hash': revision.hash, 'pod-template-generation': '1' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'fluentd-elasticsearch', uid: DS_UID, controller: true, blockOwnerDeletion: true }],
    });
    const spec = pod.pod.spec;
    expect(spec?.nodeName).toBe('node1');
    expect(spec?.affinity).toEqual({
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node1'] }] }] } },
    });
    expect(spec?.tolerations?.map((t) => `${t.key}:${t.effect ?? ''}`)).toEqual([
      'node-role.kubernetes.io/master:NoSchedule',
      'node.kubernetes.io/not-ready:NoExecute',
      'node.kubernetes.io/unreachable:NoExecute',
      'node.kubernetes.io/disk-pressure:NoSchedule',
      'node.kubernetes.io/memory-pressure:NoSchedule',
      'node.kubernetes.io/pid-pressure:NoSchedule',
      'node.kubernetes.io/unschedulable:NoSchedule',
    ]);
    // Pod defaults apply now that the template became a pod.
    expect(spec?.enableServiceLinks).toBe(true);
    expect(pod.pod.status).toEqual({ phase: 'Pending' });
  });

  it('keeps preferred node affinity and replaces required terms (hwameistor, hostNetwork)', () => {
    const ds = daemonSet({
      hostNetwork: true,
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] },
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'ssd', operator: 'Exists' }] } }],
        },
      },
    });
    const revision = computeRevisions(ds, [], new Set(), { now: T0 }).current;
    const spec = expandDaemonPod({ ds, dsUid: DS_UID, revision, node: node(), file: 'f' }).pod.spec;
    expect(spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    expect(spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms).toEqual([
      { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node1'] }] },
    ]);
    expect(spec?.tolerations?.some((t) => t.key === 'node.kubernetes.io/network-unavailable')).toBe(true);
    expect(expand(HWAMEISTOR).pod.pod.spec?.tolerations?.some((t) => t.key === 'node.kubernetes.io/network-unavailable')).toBe(true);
  });

  it('is deterministic: the same DaemonSet, revision, node and ordinal give the same pod', () => {
    expect(expand(FLUENTD_V1).pod).toEqual(expand(FLUENTD_V1).pod);
    expect(expand(FLUENTD_V1, 1).pod.uid).not.toBe(expand(FLUENTD_V1).pod.uid);
    expect(expand(FLUENTD_V1, 1).pod.name).not.toBe(expand(FLUENTD_V1).pod.name);
  });
});

describe('pod identity', () => {
  it('cuts long DaemonSet names like the name generator (58 + 5)', () => {
    const long = 'a'.repeat(80);
    expect(daemonPodIdentity(long, DS_UID, 'n', 'h').name).toHaveLength(63);
  });

  it('picks the first ordinal no existing pod holds, and finds it back from a uid', () => {
    const uid0 = daemonPodIdentity('ds', DS_UID, 'n', 'h', 0).uid;
    const uid1 = daemonPodIdentity('ds', DS_UID, 'n', 'h', 1).uid;
    expect(nextDaemonPodOrdinal('ds', DS_UID, 'n', 'h', new Set())).toBe(0);
    expect(nextDaemonPodOrdinal('ds', DS_UID, 'n', 'h', new Set([uid0]))).toBe(1);
    expect(nextDaemonPodOrdinal('ds', DS_UID, 'n', 'h', new Set([uid0, uid1]))).toBe(2);
    // From the DaemonSet's next unused ordinal: a deleted pod's identity is never taken again.
    expect(nextDaemonPodOrdinal('ds', DS_UID, 'n', 'h', new Set(), 2)).toBe(2);
    expect(nextDaemonPodOrdinal('ds', DS_UID, 'n', 'h', new Set([daemonPodIdentity('ds', DS_UID, 'n', 'h', 2).uid]), 2)).toBe(3);
    expect(findDaemonPodOrdinal('ds', DS_UID, 'n', 'h', uid1)).toBe(1);
    expect(findDaemonPodOrdinal('ds', DS_UID, 'n', 'other-hash', uid1)).toBeUndefined();
  });
});
