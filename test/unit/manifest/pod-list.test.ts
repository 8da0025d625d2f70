// A v1 PodList in a manifest file: each item a static pod, errors under `items[i]`, one bad item
// refusing the whole list (kubelet tryDecodePodList); a generic List stays refused.
import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../agent/core/types.js';
import { formatErrors, formatWarnings } from '../../../agent/manifest/format-diagnostics.js';
import { parseManifestFile } from '../../../agent/manifest/parse-file.js';
import { inItem } from '../../../agent/manifest/pod-list.js';
import { toStaticPod } from '../../../agent/manifest/identity.js';
import { EMPTY_DESIRED_STATE, applyFileChanges, computeFileStatuses, desiredObjects } from '../../../agent/source/desired-store.js';

const item = (name: string, extra = ''): string => `- metadata:
    name: ${name}
  spec:
    containers:
    - name: app
      image: busybox:1.37
${extra}`;

const podList = (...items: string[]): string => `apiVersion: v1
kind: PodList
metadata:
  resourceVersion: "12"
items:
${items.join('')}`;

describe('PodList', () => {
  it('yields one defaulted Pod per item, with the same naming as a single pod', () => {
    const result = parseManifestFile(podList(item('a'), item('b')), '/m/pods.yaml', { nodeName: 'node1' });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.objects.map((o) => [o.kind, o.key.namespace, o.key.name, o.file, o.document])).toEqual([
      ['Pod', 'default', 'a', '/m/pods.yaml', 0],
      ['Pod', 'default', 'b', '/m/pods.yaml', 0],
    ]);
    expect((result.objects[0]?.object as Pod).spec?.restartPolicy).toBe('Always');
    const statics = result.objects.map((o) => toStaticPod(o.object as Pod, { nodeName: 'node1', file: o.file, seenAt: new Date(0) }));
    expect(statics.map((p) => p.name)).toEqual(['a-node1', 'b-node1']);
    expect(new Set(statics.map((p) => p.uid)).size).toBe(2);
  });

  it('takes items that carry their own apiVersion and kind (kubectl get pods -o yaml), and an empty list', () => {
    const withTypes = podList(item('a').replace('- metadata:', '- apiVersion: v1\n  kind: Pod\n  metadata:'));
    expect(parseManifestFile(withTypes, 'p.yaml').objects.map((o) => o.key.name)).toEqual(['a']);
    expect(parseManifestFile('apiVersion: v1\nkind: PodList\nitems: []\n', 'p.yaml')).toMatchObject({ objects: [], errors: [] });
  });

  it('refuses the whole list when one item is invalid, naming the item in the field path', () => {
    const bad = item('b').replace('      image: busybox:1.37\n', '');
    const result = parseManifestFile(podList(item('a'), bad), '/m/pods.yaml');
    expect(result.objects).toEqual([]);
    expect(result.errors).toEqual([
      {
        severity: 'error',
        file: '/m/pods.yaml',
        document: 0,
        field: 'items[1].spec.containers[0].image',
        message: 'items[1].spec.containers[0].image: Required value',
      },
    ]);
    expect(formatErrors(result)).toBe('/m/pods.yaml: items[1].spec.containers[0].image: Required value');
  });

  it('names the item of an unknown field (strict), or warns (warn), and of an unimplemented field', () => {
    const typo = podList(item('a'), item('b', '    restartPolicyy: Always\n'));
    const strict = parseManifestFile(typo, 'p.yaml');
    expect(strict.objects).toEqual([]);
    expect(strict.errors.map((e) => [e.field, e.message])).toEqual([['items[1].spec.restartPolicyy', 'unknown field "items[1].spec.restartPolicyy"']]);
    const warn = parseManifestFile(typo, 'p.yaml', { validation: 'warn' });
    expect(warn.objects.map((o) => o.key.name)).toEqual(['a', 'b']);
    expect(formatWarnings(warn)).toContain('Warning: p.yaml: unknown field "items[1].spec.restartPolicyy"');
    const unimplemented = parseManifestFile(podList(item('a', '    priorityClassName: high\n')), 'p.yaml');
    expect(unimplemented.warnings.map((w) => w.message)).toEqual(['items[0].spec.priorityClassName: accepted; has no effect on nodelet']);
  });

  it('refuses an item of another kind, a list without a list of items, and unknown list fields', () => {
    const ds = podList(item('a'), '- apiVersion: apps/v1\n  kind: DaemonSet\n  metadata: { name: d }\n');
    expect(parseManifestFile(ds, 'p.yaml')).toMatchObject({
      objects: [],
      errors: [{ field: 'items[1].kind', message: 'items[1]: Invalid value: a PodList holds v1 Pods, not apps/v1 DaemonSet' }],
    });
    expect(parseManifestFile('apiVersion: v1\nkind: PodList\nitems: {}\n', 'p.yaml').errors.map((e) => e.message)).toEqual(['items: Invalid value: must be a list of Pods']);
    expect(parseManifestFile('apiVersion: v1\nkind: PodList\nspec: {}\nitems: []\n', 'p.yaml').errors.map((e) => e.message)).toEqual(['unknown field "spec"']);
  });

  it('a PodList beside other documents; a PodList of another apiVersion and a generic List stay refused', () => {
    const two = `${podList(item('a'))}---\napiVersion: v1\nkind: Pod\nmetadata: { name: c }\nspec:\n  containers: [{ name: app, image: busybox:1.37 }]\n`;
    expect(parseManifestFile(two, 'p.yaml').objects.map((o) => o.key.name)).toEqual(['a', 'c']);
    const appsList = parseManifestFile(podList(item('a')).replace('apiVersion: v1', 'apiVersion: apps/v1'), 'p.yaml');
    expect(appsList.errors.map((e) => [e.message, e.hint])).toEqual([['no matches for kind "PodList" in version "apps/v1"', 'PodList is served as apiVersion: v1']]);
    const list = parseManifestFile(podList(item('a')).replace('kind: PodList', 'kind: List'), 'p.yaml');
    expect(list.objects).toEqual([]);
    expect(list.errors.map((e) => [e.message, e.hint])).toEqual([
      [
        'kind List is not supported by nodelet; supported: v1 Pod, v1 PodList, apps/v1 DaemonSet',
        'write each object as its own YAML document, separated by --- lines, or list pods in a v1 PodList',
      ],
    ]);
  });
});

describe('PodList in the desired store', () => {
  it('two items with one name: the first runs and the later is reported, as the kubelet keeps the first (filterInvalidPods)', () => {
    const result = parseManifestFile(podList(item('a'), item('a', '    restartPolicy: Never\n')), '/m/p.yaml');
    expect(result.errors).toEqual([]);
    const { state, updates } = applyFileChanges(EMPTY_DESIRED_STATE, [{ file: '/m/p.yaml', result }], 0);
    expect(updates.map((u) => `${u.op} ${u.key.name}`)).toEqual(['ADD a']);
    expect((desiredObjects(state)[0]?.object as Pod).spec?.restartPolicy).toBe('Always');
    expect(computeFileStatuses(state)[0]?.errors.map((e) => e.message)).toEqual([
      'Pod "a" in namespace "default" is defined more than once in the PodList of /m/p.yaml (document 0); the later item is ignored',
    ]);
  });
});

describe('inItem', () => {
  it('puts the field under items[i] in the field and the message', () => {
    expect(inItem({ severity: 'error', file: 'f', field: 'spec', message: 'spec: Required value' }, 2)).toMatchObject({ field: 'items[2].spec', message: 'items[2].spec: Required value' });
    expect(inItem({ severity: 'error', file: 'f', message: 'internal error while checking the document: x' }, 0)).toMatchObject({
      field: 'items[0]',
      message: 'items[0]: internal error while checking the document: x',
    });
  });
});
