import yaml from 'js-yaml';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import { describe, expect, it } from 'vitest';
import { changeCauseEdit, formatRFC3339Local, type ManifestEdit, restartEdit, rewriteDaemonSetManifest } from '../../../agent/daemonset/manifest-rewrite.js';
import { normalizeTemplate } from '../../../agent/daemonset/revisions.js';
import { KUBERNETES_YAML_SCHEMA } from '../../../agent/manifest/decode.js';
import { FLUENTD_V1, FLUENTD_V2, HWAMEISTOR, seedObjects, seedText } from './fixtures.js';

const FLUENTD = { namespace: 'kube-system', name: 'fluentd-elasticsearch' };

function rewrite(text: string, edits: ManifestEdit[], target = FLUENTD): { text: string; changed: boolean; commentsPreserved: boolean } {
  const r = rewriteDaemonSetManifest(text, target, edits);
  if (!r.ok) throw new Error(r.error);
  return r;
}

function load(text: string): DaemonSet[] {
  return yaml.loadAll(text, undefined, { schema: KUBERNETES_YAML_SCHEMA }) as DaemonSet[];
}

/** Lines of `after` that are not in `before`, and the other way round. */
function lineDiff(before: string, after: string): { added: string[]; removed: string[] } {
  const a = before.split('\n');
  const b = after.split('\n');
  return { added: b.filter((l) => !a.includes(l)), removed: a.filter((l) => !b.includes(l)) };
}

describe('set image', () => {
  it('changes only the image line of the fluentd manifest', () => {
    const before = seedText(FLUENTD_V1);
    const out = rewrite(before, [{ kind: 'setImage', container: 'fluentd-elasticsearch', image: 'quay.io/fluentd_elasticsearch/fluentd:v2.6.0' }]);
    expect(out).toMatchObject({ changed: true, commentsPreserved: true });
    expect(lineDiff(before, out.text)).toEqual({
      added: ['          image: quay.io/fluentd_elasticsearch/fluentd:v2.6.0'],
      removed: ['          image: quay.io/fluentd_elasticsearch/fluentd:v2.5.2'],
    });
  });

  it('keeps the quoting style and trailing comments, quotes what YAML 1.1 would misread', () => {
    const before = 'kind: DaemonSet\nmetadata:\n  name: a\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: "busybox:1"  # pinned\n      - name: d\n        image: x\n';
    const out = rewrite(before, [{ kind: 'setImage', container: '*', image: 'yes' }], { namespace: 'default', name: 'a' });
    expect(out.text).toBe(before.replace('"busybox:1"', '"yes"').replace('image: x', "image: 'yes'"));
  });

  it('sets init containers too, and reports an unknown container as kubectl does', () => {
    const before = 'kind: DaemonSet\nmetadata: {name: a}\nspec:\n  template:\n    spec:\n      initContainers:\n      - name: init\n        image: busybox\n      containers:\n      - name: c\n        image: busybox\n';
    expect(load(rewrite(before, [{ kind: 'setImage', container: 'init', image: 'busybox:1.37' }], { namespace: 'default', name: 'a' }).text)[0]?.spec?.template.spec?.initContainers?.[0]?.image).toBe(
      'busybox:1.37',
    );
    expect(rewriteDaemonSetManifest(before, { namespace: 'default', name: 'a' }, [{ kind: 'setImage', container: 'nope', image: 'x' }])).toEqual({
      ok: false,
      error: 'unable to find container named "nope"',
    });
  });

  it('refuses an image the API server or kubelet would refuse, before writing anything (issue 12 item 8b)', () => {
    const before = 'kind: DaemonSet\nmetadata: {name: a}\nspec:\n  template:\n    spec:\n      initContainers:\n      - name: init\n        image: busybox\n      containers:\n      - name: c\n        image: busybox\n';
    const target = { namespace: 'default', name: 'a' };
    expect(rewriteDaemonSetManifest(before, target, [{ kind: 'setImage', container: 'c', image: 'busybox:1.37\n' }])).toEqual({
      ok: false,
      error: 'The DaemonSet.apps "a" is invalid: spec.template.spec.containers[0].image: Invalid value: "busybox:1.37\\n": must not have leading or trailing whitespace',
    });
    expect(rewriteDaemonSetManifest(before, target, [{ kind: 'setImage', container: 'c', image: 'busybox:1.37\nx' }])).toEqual({
      ok: false,
      error: 'The DaemonSet.apps "a" is invalid: spec.template.spec.containers[0].image: Invalid value: "busybox:1.37\\nx": invalid reference format',
    });
    expect(rewriteDaemonSetManifest(before, target, [{ kind: 'setImage', container: '*', image: ' busybox' }])).toEqual({
      ok: false,
      error: [
        'The DaemonSet.apps "a" is invalid:',
        '* spec.template.spec.initContainers[0].image: Invalid value: " busybox": must not have leading or trailing whitespace',
        '* spec.template.spec.containers[0].image: Invalid value: " busybox": must not have leading or trailing whitespace',
      ].join('\n'),
    });
  });

  it('keeps compact lists and folded scalars of the hwameistor manifest', () => {
    const before = seedText(HWAMEISTOR);
    const out = rewrite(before, [{ kind: 'setImage', container: 'manager', image: 'ghcr.m.daocloud.io/hwameistor/local-disk-manager:v0.6.2' }], {
      namespace: 'hwameistor',
      name: 'hwameistor-local-disk-manager',
    });
    expect(out.commentsPreserved).toBe(true);
    expect(lineDiff(before, out.text)).toEqual({
      added: ['        image: ghcr.m.daocloud.io/hwameistor/local-disk-manager:v0.6.2'],
      removed: ['        image: ghcr.m.daocloud.io/hwameistor/local-disk-manager:v0.6.1'],
    });
  });
});

describe('rollout restart and change-cause', () => {
  it('adds the template annotation (creating the map) and later updates it in place', () => {
    const before = seedText(FLUENTD_V1);
    const first = rewrite(before, [restartEdit('2024-05-01T10:00:00Z')]);
    expect(lineDiff(before, first.text)).toEqual({ added: ['      annotations:', '        kubectl.kubernetes.io/restartedAt: 2024-05-01T10:00:00Z'], removed: [] });
    const second = rewrite(first.text, [restartEdit('2024-05-02T08:30:00+02:00')]);
    expect(lineDiff(first.text, second.text)).toEqual({
      added: ['        kubectl.kubernetes.io/restartedAt: 2024-05-02T08:30:00+02:00'],
      removed: ['        kubectl.kubernetes.io/restartedAt: 2024-05-01T10:00:00Z'],
    });
    expect(load(second.text)[0]?.spec?.template.metadata?.annotations).toEqual({ 'kubectl.kubernetes.io/restartedAt': '2024-05-02T08:30:00+02:00' });
  });

  it('records the change cause on the DaemonSet metadata', () => {
    const out = rewrite(seedText(FLUENTD_V1), [changeCauseEdit('kubectl set image ds/fluentd-elasticsearch fluentd-elasticsearch=quay.io/fluentd_elasticsearch/fluentd:v2.6.0')]);
    expect(load(out.text)[0]?.metadata?.annotations).toEqual({
      'kubernetes.io/change-cause': 'kubectl set image ds/fluentd-elasticsearch fluentd-elasticsearch=quay.io/fluentd_elasticsearch/fluentd:v2.6.0',
    });
  });

  it('turns an empty flow map into a block one', () => {
    const before = 'kind: DaemonSet\nmetadata:\n  name: a\n  annotations: {}  # none yet\nspec: {}\n';
    expect(rewrite(before, [changeCauseEdit('x')], { namespace: 'default', name: 'a' }).text).toBe('kind: DaemonSet\nmetadata:\n  name: a\n  annotations:\n    kubernetes.io/change-cause: x  # none yet\nspec: {}\n');
  });

  it('leaves the file alone when nothing changes', () => {
    const text = rewrite(seedText(FLUENTD_V1), [restartEdit('t')]).text;
    expect(rewrite(text, [restartEdit('t')])).toEqual({ ok: true, text, changed: false, commentsPreserved: true });
  });
});

describe('rollout undo (replace the template)', () => {
  it('v2 -> v1 rewrites only the template, comments kept', () => {
    const v2 = seedText(FLUENTD_V2);
    const v1Template = (seedObjects(FLUENTD_V1)[0] as DaemonSet).spec?.template;
    if (!v1Template) throw new Error('no template');
    const out = rewrite(v2, [{ kind: 'replaceTemplate', template: v1Template }]);
    expect(out.commentsPreserved).toBe(true);
    expect(load(out.text)[0]?.spec?.template).toEqual(v1Template);
    // The template part is now v1's text, comments included; v2's header comments stay.
    const body = (text: string): string => text.slice(text.indexOf('apiVersion:'));
    expect(body(out.text)).toBe(body(seedText(FLUENTD_V1)));
    expect(out.text.startsWith('# Source: shared/seeds/002_a0d6b9b256c6d724.txt, section 2 "更新 DaemonSet 模板"')).toBe(true);
  });

  it('v1 -> v2 adds the new toleration and the resources', () => {
    const v2Template = (seedObjects(FLUENTD_V2)[0] as DaemonSet).spec?.template;
    if (!v2Template) throw new Error('no template');
    const out = rewrite(seedText(FLUENTD_V1), [{ kind: 'replaceTemplate', template: v2Template }]);
    expect(out.commentsPreserved).toBe(true);
    expect(load(out.text)[0]?.spec?.template).toEqual(v2Template);
    expect(out.text).toContain('        # these tolerations are to have the daemonset runnable on control plane nodes\n');
  });
});

describe('rollout undo with a stored (defaulted) template', () => {
  it('writes added containers without the defaults spelled out', () => {
    const before = 'kind: DaemonSet\nmetadata:\n  name: a\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: x:1\n';
    const stored = normalizeTemplate({ spec: { containers: [{ name: 'c', image: 'x:1' }, { name: 'd', image: 'y:2', ports: [{ containerPort: 80 }] }] } });
    expect(stored.spec?.dnsPolicy).toBe('ClusterFirst');
    const out = rewrite(before, [{ kind: 'replaceTemplate', template: stored }], { namespace: 'default', name: 'a' });
    expect(out.text).toBe(`${before}      - name: d\n        image: y:2\n        ports:\n        - containerPort: 80\n`);
  });

  it('hwameistor: undoing an image change restores the file byte for byte (explicit defaults and `resources: {}` kept)', () => {
    const original = seedText(HWAMEISTOR);
    const stored = normalizeTemplate((seedObjects(HWAMEISTOR)[0] as DaemonSet).spec?.template ?? {});
    const changed = original.replace('local-disk-manager:v0.6.1', 'local-disk-manager:v0.6.2');
    const out = rewrite(changed, [{ kind: 'replaceTemplate', template: stored }], { namespace: 'hwameistor', name: 'hwameistor-local-disk-manager' });
    expect(out.text).toBe(original);
  });

  it('formats restartedAt as RFC 3339 in local time', () => {
    const at = new Date(Date.parse('2024-05-01T10:00:00.123Z'));
    expect(formatRFC3339Local(at, 0)).toBe('2024-05-01T10:00:00Z');
    expect(formatRFC3339Local(at, 120)).toBe('2024-05-01T12:00:00+02:00');
    expect(formatRFC3339Local(at, -330)).toBe('2024-05-01T04:30:00-05:30');
  });
});

describe('files and documents', () => {
  const ds = 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: a\n  namespace: tools\nspec:\n  template:\n    spec:\n      containers:\n        - name: c\n          image: x\n';
  const pod = '# a pod\napiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers:\n    - name: c\n      image: x\n';

  it('edits one document of several and leaves the others byte for byte', () => {
    const before = `${pod}---\n${ds}---\n${pod}`;
    const out = rewrite(before, [{ kind: 'setImage', container: 'c', image: 'y2' }], { namespace: 'tools', name: 'a' });
    expect(out.text).toBe(`${pod}---\n${ds.replace('image: x', 'image: y2')}---\n${pod}`);
  });

  it('finds the DaemonSet by namespace and name', () => {
    expect(rewriteDaemonSetManifest(ds, { namespace: 'default', name: 'a' }, [restartEdit('t')])).toEqual({
      ok: false,
      error: 'daemonset.apps "a" not found in namespace "default" of this file',
    });
  });

  it('keeps a JSON manifest JSON', () => {
    const json = JSON.stringify({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'j' }, spec: { template: { spec: { containers: [{ name: 'c', image: 'x' }] } } } }, null, 2);
    const out = rewrite(json, [{ kind: 'setImage', container: 'c', image: 'y2' }], { namespace: 'default', name: 'j' });
    expect(JSON.parse(out.text)).toMatchObject({ spec: { template: { spec: { containers: [{ name: 'c', image: 'y2' }] } } } });
  });

  it('keeps CRLF line ends', () => {
    const crlf = seedText(FLUENTD_V1).replaceAll('\n', '\r\n');
    const out = rewrite(crlf, [restartEdit('t')]);
    expect(out.text.includes('\r\n      annotations:\r\n        kubectl.kubernetes.io/restartedAt: t\r\n')).toBe(true);
    expect(out.text.replaceAll('\r\n', '').includes('\n')).toBe(false);
  });

  it('edits through anchors, aliases and merge keys', () => {
    const merged = 'kind: DaemonSet\nmetadata:\n  name: a\nspec:\n  template:\n    spec:\n      containers:\n      - &c\n        name: c\n        image: x\n      - <<: *c\n        name: d\n';
    expect(rewrite(merged, [{ kind: 'setImage', container: 'd', image: 'y2' }], { namespace: 'default', name: 'a' })).toMatchObject({
      text: `${merged}        image: y2\n`,
      commentsPreserved: true,
    });
    const alias = 'kind: DaemonSet\nmetadata:\n  name: a\nx: &img x\nspec:\n  template:\n    spec:\n      containers:\n      - name: d\n        image: *img\n';
    expect(rewrite(alias, [{ kind: 'setImage', container: 'd', image: 'y2' }], { namespace: 'default', name: 'a' }).text).toBe(alias.replace('image: *img', 'image: y2'));
  });

  it('falls back to writing the document again when the text cannot be edited in place', () => {
    // The anchored image is also container d's (an alias): changing it in place would change d.
    const before = '# header\nkind: DaemonSet\nmetadata:\n  name: a  # comment\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: &img x\n      - name: d\n        image: *img\n';
    const out = rewrite(before, [{ kind: 'setImage', container: 'c', image: 'y2' }], { namespace: 'default', name: 'a' });
    expect(out.commentsPreserved).toBe(false);
    expect(out.text.startsWith('# header\n')).toBe(true);
    expect(load(out.text)[0]?.spec?.template.spec?.containers).toEqual([
      { name: 'c', image: 'y2' },
      { name: 'd', image: 'x' },
    ]);
  });

  it('edits a list with an empty item in place', () => {
    const before = '# header\nkind: DaemonSet\nmetadata:\n  name: a  # comment\nspec:\n  template:\n    spec:\n      containers:\n      -\n      - name: d\n        image: x\n';
    const out = rewrite(before, [{ kind: 'setImage', container: 'd', image: 'y2' }], { namespace: 'default', name: 'a' });
    expect(out).toMatchObject({ text: before.replace('image: x', 'image: y2'), commentsPreserved: true });
  });

  it('keeps comments around the entries it adds, changes and removes', () => {
    const before = [
      '# the DaemonSet',
      'kind: DaemonSet',
      'metadata:',
      '  name: a',
      '  # no annotations yet',
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '      # the one container',
      '      - name: c  # its name',
      '        # the image, pinned',
      '        image: x:1  # pinned',
      '        # limits, to go',
      '        resources:',
      '          limits: {memory: 1Gi}  # too small',
      '        # the command',
      '        command: [sh]',
      '',
    ].join('\n');
    const target = { namespace: 'default', name: 'a' };
    const template = { spec: { containers: [{ name: 'c', image: 'x:2', command: ['sh'] }] } };
    const out = rewrite(before, [{ kind: 'replaceTemplate', template }, changeCauseEdit('why')], target);
    expect(out.commentsPreserved).toBe(true);
    expect(out.text).toBe(
      before
        // After the comment that ends metadata's entries: an added entry comes last.
        .replace('  # no annotations yet\n', '  # no annotations yet\n  annotations:\n    kubernetes.io/change-cause: why\n')
        .replace('image: x:1  # pinned', 'image: x:2  # pinned')
        // The comment above a removed entry is its own and goes with it.
        .replace('        # limits, to go\n        resources:\n          limits: {memory: 1Gi}  # too small\n', ''),
    );
  });

  it('edits inside flow collections, and writes a block where a flow map must grow', () => {
    const before = 'kind: DaemonSet\nmetadata: {name: a, labels: {app: a}}\nspec:\n  template:\n    spec:\n      containers: [{name: c, image: "x:1"}, {name: d, image: y}]  # two\n';
    const target = { namespace: 'default', name: 'a' };
    const image = rewrite(before, [{ kind: 'setImage', container: '*', image: 'z:2' }], target);
    expect(image).toMatchObject({ text: before.replace('"x:1"', '"z:2"').replace('image: y}', 'image: z:2}'), commentsPreserved: true });
    const cause = rewrite(before, [changeCauseEdit('why')], target);
    expect(cause.commentsPreserved).toBe(true);
    expect(cause.text).toBe(before.replace('metadata: {name: a, labels: {app: a}}\n', 'metadata:\n  name: a\n  labels:\n    app: a\n  annotations:\n    kubernetes.io/change-cause: why\n'));
  });

  it('edits one DaemonSet among several documents, with comments, `---` and `...` markers kept', () => {
    const other = 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: other\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: x\n';
    const mine = other.replace('name: other', 'name: mine');
    const before = `# file header\n---\n${other}...\n---  # second\n# before mine\n${mine}---\n# only a comment\n`;
    const out = rewrite(before, [restartEdit('t'), { kind: 'setImage', container: 'c', image: 'y2' }], { namespace: 'default', name: 'mine' });
    // An added entry comes last in its map.
    const edited = `${mine.replace('image: x', 'image: y2')}    metadata:\n      annotations:\n        kubectl.kubernetes.io/restartedAt: t\n`;
    expect(out).toMatchObject({ text: `# file header\n---\n${other}...\n---  # second\n# before mine\n${edited}---\n# only a comment\n`, commentsPreserved: true });
  });

  it('edits a value that holds an anchor, and one that an anchored map is merged into', () => {
    const before = 'kind: DaemonSet\nmetadata:\n  name: a\nspec:\n  template:\n    spec:\n      containers:\n      - &base\n        name: c\n        image: x\n        env: &env [{name: A, value: "1"}]\n      - <<: *base\n        name: d\n        image: x\n';
    const target = { namespace: 'default', name: 'a' };
    // d has its own image: c's changes alone; the anchor stays on c.
    const c = rewrite(before, [{ kind: 'setImage', container: 'c', image: 'y2' }], target);
    expect(c).toMatchObject({ text: before.replace('name: c\n        image: x', 'name: c\n        image: y2'), commentsPreserved: true });
    expect(load(c.text)[0]?.spec?.template.spec?.containers?.map((x) => [x.name, x.image, x.env])).toEqual([
      ['c', 'y2', [{ name: 'A', value: '1' }]],
      ['d', 'x', [{ name: 'A', value: '1' }]],
    ]);
  });

  it('reports YAML it cannot parse', () => {
    expect(rewriteDaemonSetManifest('a: [', FLUENTD, [restartEdit('t')])).toMatchObject({ ok: false, error: expect.stringMatching(/^cannot parse the manifest: /) });
  });
});
