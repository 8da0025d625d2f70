import { describe, expect, it } from 'vitest';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { defaultPod } from '../../../agent/manifest/defaults.js';
import { canonicalJson, fnv128aHex } from '../../../agent/core/hash.js';
import { formatGoRFC3339Nano, legacyStaticPodUid, staticPodName, staticPodNameIssues, staticPodUid, toStaticPod } from '../../../agent/manifest/identity.js';

const seenAt = new Date('2024-01-02T03:04:05.123Z');
const ctx = { nodeName: 'Master-1', file: '/etc/kubernetes/manifests/etcd.yaml', seenAt };

function etcd(): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'etcd', annotations: { owner: 'ops' } },
    spec: { containers: [{ name: 'etcd', image: 'registry.k8s.io/etcd:3.5.12-0' }] },
  };
}

describe('toStaticPod', () => {
  const desired = toStaticPod(defaultPod(etcd()), ctx);

  it('names the pod <name>-<lower-cased node> in namespace default', () => {
    expect(desired.name).toBe('etcd-master-1');
    expect(desired.namespace).toBe('default');
    expect(desired.pod.metadata?.name).toBe('etcd-master-1');
    expect(desired.pod.metadata?.namespace).toBe('default');
    expect(staticPodName('kube-apiserver', 'NODE.Example.com')).toBe('kube-apiserver-node.example.com');
  });

  it('keeps an explicit namespace', () => {
    const pod = etcd();
    pod.metadata!.namespace = 'kube-system';
    expect(toStaticPod(pod, ctx).namespace).toBe('kube-system');
  });

  it('binds the pod to the node and tolerates NoExecute taints', () => {
    const pod = etcd();
    pod.spec!.nodeName = 'elsewhere';
    pod.spec!.tolerations = [{ key: 'dedicated', operator: 'Equal', value: 'etcd', effect: 'NoSchedule' }];
    const d = toStaticPod(pod, ctx);
    expect(d.pod.spec?.nodeName).toBe('Master-1');
    expect(d.pod.spec?.tolerations).toEqual([
      { key: 'dedicated', operator: 'Equal', value: 'etcd', effect: 'NoSchedule' },
      { operator: 'Exists', effect: 'NoExecute' },
    ]);
  });

  it('does not repeat the NoExecute toleration, and replaces a matching one', () => {
    const pod = etcd();
    pod.spec!.tolerations = [{ operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }];
    expect(toStaticPod(pod, ctx).pod.spec?.tolerations).toEqual([{ operator: 'Exists', effect: 'NoExecute' }]);
  });

  it('adds the kubelet config annotations and keeps the others', () => {
    expect(desired.pod.metadata?.annotations).toEqual({
      owner: 'ops',
      'kubernetes.io/config.hash': desired.uid,
      'kubernetes.io/config.seen': formatGoRFC3339Nano(seenAt),
      'kubernetes.io/config.source': 'file',
    });
    expect(desired.pod.metadata?.uid).toBe(desired.uid);
  });

  it('starts Pending and records the file as origin', () => {
    expect(desired.pod.status?.phase).toBe('Pending');
    expect(desired.origin).toEqual({ kind: 'Pod', file: '/etc/kubernetes/manifests/etcd.yaml' });
  });

  it('does not mutate its input', () => {
    const pod = defaultPod(etcd());
    const copy = structuredClone(pod);
    toStaticPod(pod, ctx);
    expect(pod).toEqual(copy);
  });
});

describe('static pod UID = kubernetes.io/config.hash (kubelet applyDefaults)', () => {
  const uid = toStaticPod(etcd(), ctx).uid;

  it('is 32 lower-case hex characters without dashes, and is the config hash', () => {
    expect(uid).toMatch(/^[0-9a-f]{32}$/);
    expect(toStaticPod(etcd(), ctx).pod.metadata?.annotations?.['kubernetes.io/config.hash']).toBe(uid);
  });

  it('is FNV-1a 128 of the defaulted pod, then host:<node>', () => {
    expect(uid).toBe(fnv128aHex(canonicalJson(defaultPod(etcd())), 'host:Master-1'));
    expect(staticPodUid(etcd(), 'Master-1')).toBe(uid);
  });

  it('fnv128aHex is hash/fnv New128a (Go test vectors)', () => {
    expect(fnv128aHex('')).toBe('6c62272e07bb014262b821756295c58d');
    expect(fnv128aHex('a')).toBe('d228cb696f1a8caf78912b704e4a8964');
    expect(fnv128aHex('ab')).toBe(fnv128aHex('a', 'b'));
  });

  it('does not depend on the time the pod was seen, nor on the file it is in', () => {
    expect(toStaticPod(etcd(), { ...ctx, seenAt: new Date(0) }).uid).toBe(uid);
    expect(toStaticPod(etcd(), { ...ctx, file: '/etc/kubernetes/manifests/renamed.yaml' }).uid).toBe(uid);
  });

  it('is the same whether defaults are spelled out or not', () => {
    expect(toStaticPod(defaultPod(etcd()), ctx).uid).toBe(uid);
    const spelled = etcd();
    Object.assign(spelled.spec!, { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30 });
    spelled.spec!.containers[0]!.imagePullPolicy = 'IfNotPresent';
    expect(toStaticPod(spelled, ctx).uid).toBe(uid);
  });

  it.each<[string, (p: Pod) => void]>([
    ['label', (p) => (p.metadata!.labels = { tier: 'control-plane' })],
    ['name', (p) => (p.metadata!.name = 'etcd2')],
    ['namespace', (p) => (p.metadata!.namespace = 'kube-system')],
    ['restart policy', (p) => (p.spec!.restartPolicy = 'Never')],
    ['app container image', (p) => (p.spec!.containers[0]!.image = 'registry.k8s.io/etcd:3.5.13-0')],
  ])('changes when the %s changes (the kubelet replaces the whole pod on any edit)', (_what, mutate) => {
    const pod = etcd();
    mutate(pod);
    expect(toStaticPod(pod, ctx).uid).not.toBe(uid);
  });

  it('changes with the node name', () => {
    expect(toStaticPod(etcd(), { ...ctx, nodeName: 'worker-1' }).uid).not.toBe(uid);
  });

  it('is kept when the manifest sets metadata.uid', () => {
    const base = etcd();
    const pod: Pod = { ...base, metadata: { ...base.metadata, uid: '6f9ad3b7c0e14c3f9a8e1d2b3c4d5e6f' } };
    const d = toStaticPod(pod, ctx);
    expect(d.uid).toBe('6f9ad3b7c0e14c3f9a8e1d2b3c4d5e6f');
    expect(d.pod.metadata?.uid).toBe('6f9ad3b7c0e14c3f9a8e1d2b3c4d5e6f');
  });

  it('the legacy UID (0.1.x) is still computed to recognise containers an older nodelet started', () => {
    const legacy = legacyStaticPodUid(etcd(), 'Master-1');
    expect(legacy).toMatch(/^[0-9a-f]{32}$/);
    expect(legacy).not.toBe(uid);
    const edited = etcd();
    edited.spec!.containers[0]!.image = 'registry.k8s.io/etcd:3.5.13-0';
    expect(legacyStaticPodUid(edited, 'Master-1')).toBe(legacy);
  });
});

describe('staticPodNameIssues', () => {
  it('accepts a suffixed name that is still a valid object name', () => {
    expect(staticPodNameIssues(etcd(), 'Master-1')).toEqual([]);
  });

  it('reports a suffixed name longer than 253 characters on metadata.name', () => {
    const pod = etcd();
    pod.metadata!.name = 'a'.repeat(250);
    expect(staticPodNameIssues(pod, 'node-1').map((i) => i.message)).toEqual([
      `metadata.name: Invalid value: "${'a'.repeat(250)}-node-1": must be no more than 253 characters`,
    ]);
  });
});

describe('formatGoRFC3339Nano (2006-01-02T15:04:05.000000000Z07:00)', () => {
  it.each<[number, string]>([
    [0, '2024-01-02T03:04:05.123000000Z'],
    [120, '2024-01-02T05:04:05.123000000+02:00'],
    [-330, '2024-01-01T21:34:05.123000000-05:30'],
  ])('offset %d', (offset, text) => {
    expect(formatGoRFC3339Nano(seenAt, offset)).toBe(text);
  });

  it('uses the local zone by default', () => {
    expect(formatGoRFC3339Nano(seenAt)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d)$/);
  });
});
