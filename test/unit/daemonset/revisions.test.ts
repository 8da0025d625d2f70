import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import { describe, expect, it } from 'vitest';
import {
  computeRevisions,
  computeTemplateHash,
  type DaemonSetRevision,
  findRevision,
  fnv32a,
  observeGeneration,
  revisionPatchData,
  safeEncodeString,
  toControllerRevision,
  withGeneration,
} from '../../../agent/daemonset/revisions.js';
import { defaultDaemonSet } from '../../../agent/manifest/defaults.js';
import { FLUENTD_V1, FLUENTD_V2, HWAMEISTOR, HWAMEISTOR_EXPORTED, daemonSet, seedDaemonSet, seedObjects } from './fixtures.js';

const T0 = Date.parse('2024-05-01T10:00:00Z');
const none = new Set<string>();

function withTemplate(ds: DaemonSet, image: string): DaemonSet {
  const copy = structuredClone(ds);
  const c = copy.spec?.template.spec?.containers[0];
  if (c) c.image = image;
  return copy;
}

describe('hash', () => {
  it('is FNV-1a 32', () => {
    expect(fnv32a(new TextEncoder().encode(''))).toBe(0x811c9dc5);
    expect(fnv32a(new TextEncoder().encode('a'))).toBe(0xe40c292c);
    expect(fnv32a(new TextEncoder().encode('foobar'))).toBe(0xbf9cf968);
  });

  it('SafeEncodeString maps each byte through the safe alphabet', () => {
    // '0' is byte 48, 48 % 27 = 21 -> '4'; digits only ever map to 4-9 and b, c, d, f.
    expect(safeEncodeString('0123456789')).toBe('456789bcdf');
  });

  it('looks like a controller-revision-hash and is stable', () => {
    const ds = seedDaemonSet(FLUENTD_V1);
    const h = computeTemplateHash(ds.spec?.template ?? {});
    expect(h).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    expect(computeTemplateHash(seedDaemonSet(FLUENTD_V1).spec?.template ?? {})).toBe(h);
    expect(computeTemplateHash(seedDaemonSet(FLUENTD_V2).spec?.template ?? {})).not.toBe(h);
    expect(computeTemplateHash(ds.spec?.template ?? {}, 1)).not.toBe(h);
    expect(computeTemplateHash(ds.spec?.template ?? {}, 0)).not.toBe(h);
  });

  it('explicit defaults hash like implicit ones (hwameistor manifest vs its export)', () => {
    const manifest = seedDaemonSet(HWAMEISTOR);
    const exported = seedDaemonSet(HWAMEISTOR_EXPORTED);
    expect(computeTemplateHash(manifest.spec?.template ?? {})).toBe(computeTemplateHash(exported.spec?.template ?? {}));
    const raw = seedObjects(HWAMEISTOR)[0] as DaemonSet;
    expect(computeTemplateHash(raw.spec?.template ?? {})).toBe(computeTemplateHash(manifest.spec?.template ?? {}));
  });

  it('data is the replace patch with sorted keys', () => {
    const data = revisionPatchData({ metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i' }] } });
    expect(data.startsWith('{"spec":{"template":{"$patch":"replace","metadata":{"labels":{"app":"x"}},"spec":{')).toBe(true);
  });
});

describe('computeRevisions', () => {
  it('fluentd v1 -> v2 -> undo: revisions 1, 2, then 1 renumbered to 3', () => {
    const v1 = seedDaemonSet(FLUENTD_V1);
    const v2 = seedDaemonSet(FLUENTD_V2);
    const first = computeRevisions(v1, [], none, { now: T0, templateGeneration: 1 });
    expect(first.created).toBe(true);
    expect(first.current).toMatchObject({ revision: 1, namespace: 'kube-system', templateGeneration: 1, createdAt: '2024-05-01T10:00:00Z' });
    expect(first.current.name).toBe(`fluentd-elasticsearch-${first.current.hash}`);

    const second = computeRevisions(v2, first.history, new Set([first.current.hash]), { now: T0 + 1000, templateGeneration: 2 });
    expect(second.created).toBe(true);
    expect(second.history.map((h) => h.revision)).toEqual([1, 2]);

    // Unchanged template: nothing to do.
    const again = computeRevisions(v2, second.history, none, { now: T0 + 2000 });
    expect(again).toMatchObject({ created: false, renumbered: false, pruned: [] });
    expect(again.current).toBe(second.history[1]);

    // rollout undo: the template is v1's again.
    const undone = computeRevisions(v1, second.history, new Set([second.current.hash]), { now: T0 + 3000, templateGeneration: 3 });
    expect(undone).toMatchObject({ created: false, renumbered: true });
    expect(undone.current).toMatchObject({ hash: first.current.hash, revision: 3, templateGeneration: 1 });
    expect(undone.history.map((h) => [h.revision, h.hash])).toEqual([
      [2, second.current.hash],
      [3, first.current.hash],
    ]);
  });

  it('copies the DaemonSet annotations (change-cause) into a new revision', () => {
    const ds = daemonSet({}, { annotations: { 'kubernetes.io/change-cause': 'kubectl set image ds/agent c=busybox:1.37' } });
    expect(computeRevisions(ds, [], none, { now: T0 }).current.annotations).toEqual({ 'kubernetes.io/change-cause': 'kubectl set image ds/agent c=busybox:1.37' });
  });

  it('prunes the oldest beyond revisionHistoryLimit, keeping revisions of live pods', () => {
    let history: readonly DaemonSetRevision[] = [];
    const hashes: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const plan = computeRevisions(withTemplate(daemonSet({}, { revisionHistoryLimit: 10 }), `img:${i}`), history, none, { now: T0 + i });
      history = plan.history;
      hashes.push(plan.current.hash);
    }
    expect(history.map((h) => h.revision)).toEqual([1, 2, 3, 4, 5]);
    // Limit 2: of the four old revisions, two go, oldest first, but revision 1 is still on a live pod.
    const plan = computeRevisions(withTemplate(daemonSet({}, { revisionHistoryLimit: 2 }), 'img:5'), history, new Set([hashes[0] ?? '']), { now: T0 });
    expect(plan.pruned.map((h) => h.revision)).toEqual([2, 3]);
    expect(plan.history.map((h) => h.revision)).toEqual([1, 4, 5]);
    // Limit 0 keeps no old revision that is not in use.
    const zero = computeRevisions(withTemplate(daemonSet({}, { revisionHistoryLimit: 0 }), 'img:5'), history, none, { now: T0 });
    expect(zero.history.map((h) => h.revision)).toEqual([5]);
  });

  it('keeps the highest of duplicate current revisions', () => {
    const ds = daemonSet();
    const a = computeRevisions(ds, [], none, { now: T0 }).current;
    const dup: DaemonSetRevision = { ...a, name: `${a.name}-dup`, hash: 'dup', revision: 4 };
    const plan = computeRevisions(ds, [a, dup], none, { now: T0 });
    expect(plan.current).toBe(dup);
    expect(plan.pruned).toEqual([a]);
  });

  it('bumps collisionCount when the name is taken by another template', () => {
    const ds = daemonSet();
    const hash = computeTemplateHash(ds.spec?.template ?? {});
    const squatter: DaemonSetRevision = {
      name: `agent-${hash}`,
      namespace: 'default',
      hash,
      revision: 1,
      template: { spec: { containers: [{ name: 'other', image: 'x' }] } },
      annotations: {},
      createdAt: '2024-01-01T00:00:00Z',
    };
    const plan = computeRevisions(ds, [squatter], none, { now: T0 });
    expect(plan.collisionCount).toBe(1);
    expect(plan.current.hash).toBe(computeTemplateHash(ds.spec?.template ?? {}, 1));
    expect(plan.current.revision).toBe(2);
  });
});

describe('findRevision (kubectl findHistory)', () => {
  const revs = [3, 1, 2].map((revision) => ({ revision }) as DaemonSetRevision);
  it.each([
    [0, 2],
    [1, 1],
    [3, 3],
    [7, undefined],
  ])('to-revision %i -> %s', (to, want) => {
    expect(findRevision(revs, to)?.revision).toBe(want);
  });
  it('has no previous revision with one entry', () => {
    expect(findRevision([{ revision: 1 } as DaemonSetRevision], 0)).toBeUndefined();
  });
});

describe('observeGeneration', () => {
  it('starts at 1/1, bumps generation on spec changes and templateGeneration on template changes only', () => {
    const v1 = seedDaemonSet(FLUENTD_V1);
    const g1 = observeGeneration(undefined, v1);
    expect(g1).toMatchObject({ generation: 1, templateGeneration: 1 });
    expect(observeGeneration(g1, structuredClone(v1))).toBe(g1);
    const labelled = structuredClone(v1);
    labelled.metadata = { ...labelled.metadata, labels: { new: 'label' } };
    expect(observeGeneration(g1, labelled)).toBe(g1);
    const slower = defaultDaemonSet({ ...v1, spec: { ...(v1.spec as NonNullable<DaemonSet['spec']>), minReadySeconds: 5 } });
    const g2 = observeGeneration(g1, slower);
    expect(g2).toMatchObject({ generation: 2, templateGeneration: 1 });
    const g3 = observeGeneration(g2, seedDaemonSet(FLUENTD_V2));
    expect(g3).toMatchObject({ generation: 3, templateGeneration: 2 });
    expect(withGeneration(v1, g3).metadata).toMatchObject({ generation: 3, annotations: { 'deprecated.daemonset.template.generation': '2' } });
  });
});

describe('toControllerRevision', () => {
  it('renders an apps/v1 ControllerRevision owned by the DaemonSet', () => {
    const rev = computeRevisions(seedDaemonSet(HWAMEISTOR), [], none, { now: T0 }).current;
    const cr = toControllerRevision(rev, { name: 'hwameistor-local-disk-manager', uid: 'u1' });
    expect(cr.metadata).toMatchObject({
      name: rev.name,
      namespace: 'hwameistor',
      labels: { app: 'hwameistor-local-disk-manager', 'controller-revision-hash': rev.hash },
      annotations: { 'meta.helm.sh/release-name': 'hwameistor' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'hwameistor-local-disk-manager', uid: 'u1', controller: true, blockOwnerDeletion: true }],
    });
    expect(cr.revision).toBe(1);
    expect(cr.data).toMatchObject({ spec: { template: { $patch: 'replace' } } });
  });
});
