import { describe, expect, it } from 'vitest';
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import { type ExistingMirror, indexMirrors, mirrorPodFor, planMirrors, podHash } from '../../../agent/mirror/mirror-pods.js';
import { staticPod } from '../../fake-apiserver/harness.js';

const NODE = { name: 'n1', uid: 'node-uid-1' };

function existing(name: string, over: Partial<ExistingMirror> = {}): ExistingMirror {
  return { namespace: 'default', name, uid: `mirror-${name}`, hash: `hash-${name}-1`, deleting: false, ownerUid: NODE.uid, ...over };
}

function mapOf(...m: ExistingMirror[]): Map<string, ExistingMirror> {
  return new Map(m.map((x) => [`${x.namespace}/${x.name}`, x]));
}

describe('the mirror pod object', () => {
  it('copies the pod, adds the mirror annotation and one controller owner reference to the Node', () => {
    const pod = staticPod('web', 'n1');
    pod.metadata = { ...pod.metadata, resourceVersion: '5', creationTimestamp: '2026-01-01T00:00:00Z', finalizers: ['x/y'] };
    const mirror = mirrorPodFor(pod, NODE);
    expect(mirror.metadata).toEqual({
      name: 'web-n1',
      namespace: 'default',
      labels: { app: 'web' },
      annotations: {
        'kubernetes.io/config.hash': 'hash-web-n1-1',
        'kubernetes.io/config.source': 'file',
        'kubernetes.io/config.seen': '2026-01-01T00:00:00.000000000Z',
        'kubernetes.io/config.mirror': 'hash-web-n1-1',
      },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'node-uid-1', controller: true }],
    });
    expect(mirror.spec).toEqual(pod.spec);
    expect(mirror).not.toHaveProperty('status');
  });

  it('a DaemonSet pod (no config hash) uses its uid as the hash; its DaemonSet owner gives way to the Node', () => {
    const pod: Pod = {
      metadata: { name: 'agent-x7k2p', namespace: 'kube-system', uid: 'ds-pod-uid', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'ds', controller: true, blockOwnerDeletion: true }] },
      spec: { nodeName: 'n1', containers: [{ name: 'a', image: 'busybox' }] },
    };
    expect(podHash(pod)).toBe('ds-pod-uid');
    const mirror = mirrorPodFor(pod, NODE);
    expect(mirror.metadata?.annotations).toEqual({ 'kubernetes.io/config.mirror': 'ds-pod-uid' });
    expect(mirror.metadata?.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'node-uid-1', controller: true }]);
  });

  it('indexes only pods carrying the mirror annotation', () => {
    const pods: Pod[] = [
      { metadata: { name: 'a', namespace: 'default', uid: 'u1', annotations: { 'kubernetes.io/config.mirror': 'h' }, deletionTimestamp: '2026-01-01T00:00:00Z', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'nu' }] } },
      { metadata: { name: 'b', namespace: 'default', uid: 'u2' } },
    ];
    expect([...indexMirrors(pods).values()]).toEqual([{ namespace: 'default', name: 'a', uid: 'u1', hash: 'h', deleting: true, ownerUid: 'nu' }]);
  });
});

describe('planMirrors', () => {
  const web = staticPod('web', 'n1');
  const sentWeb = new Map<string, PodStatus>([['mirror-web-n1', web.status ?? {}]]);

  it.each<[string, Pod[], Map<string, ExistingMirror>, Map<string, PodStatus>, string[]]>([
    ['creates a missing mirror', [web], mapOf(), new Map(), ['create default/web-n1']],
    ['nothing when mirror and status are current', [web], mapOf(existing('web-n1')), sentWeb, []],
    ['patches status never written to this mirror', [web], mapOf(existing('web-n1')), new Map(), ['patchStatus default/web-n1']],
    ['patches a changed status', [staticPod('web', 'n1', { ready: false })], mapOf(existing('web-n1')), sentWeb, ['patchStatus default/web-n1']],
    ['recreates a mirror of another pod version', [web], mapOf(existing('web-n1', { hash: 'old' })), sentWeb, ['recreate:hash default/web-n1']],
    ['recreates a mirror being deleted', [web], mapOf(existing('web-n1', { deleting: true })), sentWeb, ['recreate:deleting default/web-n1']],
    ['recreates a mirror owned by an earlier Node object', [web], mapOf(existing('web-n1', { ownerUid: 'gone' })), sentWeb, ['recreate:owner default/web-n1']],
    ['deletes an orphaned mirror', [], mapOf(existing('web-n1')), new Map(), ['delete default/web-n1']],
  ])('%s', (_name, desired, current, sent, expected) => {
    const actions = planMirrors({ desired, existing: current, sent, node: NODE });
    expect(actions.map((a) => `${a.type}${a.type === 'recreate' ? `:${a.reason}` : ''} ${a.key}`)).toEqual(expected);
  });

  describe('a terminating pod (deletionTimestamp)', () => {
    const terminating: Pod = { ...web, metadata: { ...web.metadata, deletionTimestamp: '2026-01-01T00:00:05Z', deletionGracePeriodSeconds: 5 } };

    it('marks its mirror terminating with the pod grace period, once', () => {
      const actions = planMirrors({ desired: [terminating], existing: mapOf(existing('web-n1', { hash: podHash(web) })), sent: sentWeb, node: NODE });
      expect(actions).toEqual([expect.objectContaining({ type: 'markTerminating', key: 'default/web-n1', gracePeriodSeconds: 5 })]);
    });

    it('never recreates the mirror being deleted, and keeps its status current', () => {
      const stale = new Map<string, PodStatus>([['mirror-web-n1', { phase: 'Pending' }]]);
      const actions = planMirrors({ desired: [terminating], existing: mapOf(existing('web-n1', { hash: podHash(web), deleting: true })), sent: stale, node: NODE });
      expect(actions.map((a) => a.type)).toEqual(['patchStatus']);
    });

    it('creates no mirror for it, and deletes the mirror once the pod is gone', () => {
      expect(planMirrors({ desired: [terminating], existing: mapOf(), sent: new Map(), node: NODE })).toEqual([]);
      expect(planMirrors({ desired: [], existing: mapOf(existing('web-n1', { deleting: true })), sent: new Map(), node: NODE }).map((a) => a.type)).toEqual(['delete']);
    });
  });

  it('skips keys that are backing off, both ways', () => {
    const skip = new Set(['default/web-n1', 'default/old-n1']);
    expect(planMirrors({ desired: [web], existing: mapOf(existing('old-n1')), sent: new Map(), node: NODE, skip })).toEqual([]);
  });

  it('create carries the status to write after the API server reset it', () => {
    const [action] = planMirrors({ desired: [web], existing: mapOf(), sent: new Map(), node: NODE });
    expect(action?.type === 'create' && action.status?.phase).toBe('Running');
  });
});
