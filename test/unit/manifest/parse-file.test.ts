import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../agent/core/types.js';
import { checkKind } from '../../../agent/manifest/api-version.js';
import { formatDiagnostic, formatErrors, formatWarnings } from '../../../agent/manifest/format-diagnostics.js';
import { parseManifestFile } from '../../../agent/manifest/parse-file.js';
import { AGENT_DAEMON_SET_YAML as DAEMON_SET, WEB_POD_YAML as POD } from '../../fixtures/manifest-texts.js';

describe('parseManifestFile', () => {
  it('yields a defaulted Pod keyed by kind, namespace (default) and name', () => {
    const result = parseManifestFile(POD, '/etc/nodelet/web.yaml');
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.objects).toHaveLength(1);
    const [object] = result.objects;
    expect(object).toMatchObject({ kind: 'Pod', key: { kind: 'Pod', namespace: 'default', name: 'web' }, file: '/etc/nodelet/web.yaml', document: 0 });
    expect((object?.object as Pod).spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', containers: [{ imagePullPolicy: 'IfNotPresent' }] });
    expect(result.documents).toEqual([{ document: 0, line: 1, apiVersion: 'v1', kind: 'Pod', name: 'web', supported: true }]);
  });

  describe('a Pod name with the node suffix (issue 12 item 8a)', () => {
    const named = (name: string): string => POD.replace('name: web\n', `name: ${name}\n`);

    it('refuses a 246-character name that becomes 254 characters on node node-12, with the final name on metadata.name', () => {
      const name = 'a'.repeat(246);
      const result = parseManifestFile(named(name), 'long.yaml', { nodeName: 'node-12' });
      expect(result.objects).toEqual([]);
      expect(result.errors).toEqual([
        {
          severity: 'error',
          file: 'long.yaml',
          document: 0,
          field: 'metadata.name',
          message: `metadata.name: Invalid value: "${name}-node-12": must be no more than 253 characters`,
        },
      ]);
    });

    it('accepts the longest name that fits (253 characters with the suffix), and any name without a node', () => {
      expect(parseManifestFile(named('a'.repeat(245)), 'fits.yaml', { nodeName: 'node-12' }).errors).toEqual([]);
      expect(parseManifestFile(named('a'.repeat(246)), 'long.yaml').errors).toEqual([]);
    });

    it('reports a name invalid as written once, as written', () => {
      const result = parseManifestFile(named('Web'), 'upper.yaml', { nodeName: 'node-12' });
      expect(result.errors.map((e) => e.message)).toEqual([expect.stringMatching(/^metadata\.name: Invalid value: "Web": a lowercase RFC 1123 subdomain/)]);
    });
  });

  it('yields a defaulted DaemonSet in its namespace', () => {
    const [object] = parseManifestFile(DAEMON_SET, 'ds.yaml').objects;
    expect(object?.key).toEqual({ kind: 'DaemonSet', namespace: 'system', name: 'agent' });
    expect(object?.object).toMatchObject({ spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, revisionHistoryLimit: 10 } });
  });

  it('keeps the valid documents of a partly invalid file, and numbers the errors by document', () => {
    const text = [POD, 'apiVersion: v1\nkind: Pod\nmetadata: {name: broken}\nspec:\n  containers: [{name: c}]\n', 'a:\n\tb: 1\n', DAEMON_SET].join('---\n');
    const result = parseManifestFile(text, 'mixed.yaml');
    expect(result.objects.map((o) => [o.document, o.key.name])).toEqual([
      [0, 'web'],
      [3, 'agent'],
    ]);
    expect(result.errors).toEqual([
      { severity: 'error', file: 'mixed.yaml', document: 1, field: 'spec.containers[0].image', message: 'spec.containers[0].image: Required value' },
      {
        severity: 'error',
        file: 'mixed.yaml',
        document: 2,
        line: 17,
        column: 1,
        message: 'yaml: tab characters must not be used in indentation',
        hint: 'indent with spaces: YAML does not allow tab characters in indentation',
      },
    ]);
    expect(result.documents.map((d) => [d.document, d.name, d.supported])).toEqual([
      [0, 'web', true],
      [1, 'broken', true],
      [2, undefined, false],
      [3, 'agent', true],
    ]);
  });

  it('validates the defaulted object, as the API server does', () => {
    // hostNetwork defaults hostPort to containerPort, so the port pair is then valid.
    const text = POD.replace('image: nginx:1.27', 'image: nginx:1.27\n      ports: [{containerPort: 8080}]').replace('spec:\n', 'spec:\n  hostNetwork: true\n');
    const result = parseManifestFile(text, 'web.yaml');
    expect(result.errors).toEqual([]);
    expect((result.objects[0]?.object as Pod).spec?.containers[0]?.ports).toEqual([{ containerPort: 8080, hostPort: 8080, protocol: 'TCP' }]);
  });

  it('rejects unknown fields by default, with a hint, and yields no object', () => {
    const result = parseManifestFile(POD.replace('image: nginx:1.27', 'imagee: nginx:1.27'), 'web.yaml');
    expect(result.objects).toEqual([]);
    expect(result.errors).toEqual([
      { severity: 'error', file: 'web.yaml', document: 0, field: 'spec.containers[0].imagee', message: 'unknown field "spec.containers[0].imagee"', hint: `did you mean "image"? (nodelet's schema is Kubernetes 1.37)` },
    ]);
  });

  it('with validation=warn, reports unknown fields as warnings and drops them', () => {
    const result = parseManifestFile(POD.replace('spec:\n', 'spec:\n  hostnetwork: true\n'), 'web.yaml', { validation: 'warn' });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([
      { severity: 'warning', file: 'web.yaml', document: 0, field: 'spec.hostnetwork', message: 'unknown field "spec.hostnetwork"', hint: `did you mean "hostNetwork"? (nodelet's schema is Kubernetes 1.37)` },
    ]);
    expect(result.objects[0]?.object.spec).not.toHaveProperty('hostnetwork');
    expect((result.objects[0]?.object as Pod).spec?.hostNetwork).toBeUndefined();
  });

  it('with validation=warn, still rejects type errors', () => {
    const result = parseManifestFile(POD.replace('spec:\n', 'spec:\n  hostNetwork: "maybe"\n  typo: 1\n'), 'web.yaml', { validation: 'warn' });
    expect(result.objects).toEqual([]);
    expect(result.errors.map((e) => e.field)).toEqual(['spec.hostNetwork']);
    expect(result.warnings.map((w) => w.message)).toEqual(['unknown field "spec.typo"']);
  });

  it('reports schema errors and stops before semantic validation', () => {
    const result = parseManifestFile(POD.replace('- name: web', '- name: 7'), 'web.yaml');
    expect(result.errors.map((e) => e.message)).toEqual([
      'json: cannot unmarshal number into Go struct field Container.spec.containers.name of type string',
    ]);
  });

  it('drops the status an exported manifest carries, as creating the object does', () => {
    const result = parseManifestFile(`${POD}status:\n  phase: Running\n`, 'web.yaml');
    expect(result.errors).toEqual([]);
    expect(result.objects[0]?.object).not.toHaveProperty('status');
  });

  it('treats null members as absent, as Go decoding does', () => {
    const text = POD.replace('  name: web\n', '  name: web\n  creationTimestamp: null\n  labels: ~\n');
    const result = parseManifestFile(text, 'web.yaml');
    expect(result.errors).toEqual([]);
    expect(result.objects[0]?.object.metadata).not.toHaveProperty('creationTimestamp');
  });

  it('yields both definitions of an object defined twice (the manifest source decides which wins)', () => {
    const result = parseManifestFile(`${POD}---\n${POD}`, 'web.yaml');
    expect(result.errors).toEqual([]);
    expect(result.objects.map((o) => [o.document, o.key.name])).toEqual([
      [0, 'web'],
      [1, 'web'],
    ]);
  });

  it.each([
    ['an empty file', ''],
    ['only comments', '# nothing\n---\n# still nothing\n'],
  ])('yields nothing and no error for %s', (_name, text) => {
    expect(parseManifestFile(text, 'empty.yaml')).toEqual({ file: 'empty.yaml', objects: [], errors: [], warnings: [], documents: [] });
  });

  it('passes on warnings about fields nodelet does not act on', () => {
    const result = parseManifestFile(POD.replace('spec:\n', 'spec:\n  priorityClassName: high\n'), 'web.yaml');
    expect(result.errors).toEqual([]);
    expect(result.objects).toHaveLength(1);
    expect(result.warnings.map((w) => w.field)).toEqual(['spec.priorityClassName']);
  });
});

describe('checkKind', () => {
  it.each([
    [{ apiVersion: 'v1', kind: 'Pod' }, 'Pod'],
    [{ apiVersion: 'apps/v1', kind: 'DaemonSet' }, 'DaemonSet'],
  ])('accepts %j', (document, kind) => {
    expect(checkKind(document)).toMatchObject({ ok: true, kind });
  });

  it.each([
    [{}, [['apiVersion', 'apiVersion not set'], ['kind', 'kind not set', /every manifest needs apiVersion and kind/]]],
    [{ kind: 'Pod' }, [['apiVersion', 'apiVersion not set', /^add apiVersion: v1$/]]],
    [{ apiVersion: 'apps/v1' }, [['kind', 'kind not set', /^add kind: DaemonSet$/]]],
    [{ apiVersion: 'v1', kind: 'ConfigMap' }, [['kind', 'kind ConfigMap is not supported by nodelet; supported: v1 Pod, v1 PodList, apps/v1 DaemonSet']]],
    [{ apiVersion: 'apps/v1', kind: 'Deployment' }, [['kind', 'kind Deployment is not supported by nodelet; supported: v1 Pod, v1 PodList, apps/v1 DaemonSet', /DaemonSet \(apps\/v1\) or as a Pod/]]],
    [{ apiVersion: 'v1', kind: 'List', items: [] }, [['kind', 'kind List is not supported by nodelet; supported: v1 Pod, v1 PodList, apps/v1 DaemonSet', /separated by ---/]]],
    [{ apiVersion: 'v1', kind: 'pod' }, [['kind', 'kind pod is not supported by nodelet; supported: v1 Pod, v1 PodList, apps/v1 DaemonSet', /did you mean Pod\?/]]],
    [{ apiVersion: 'apps/v1', kind: 'Pod' }, [['apiVersion', 'no matches for kind "Pod" in version "apps/v1"', /^Pod is served as apiVersion: v1$/]]],
    [{ apiVersion: 'v1', kind: 'DaemonSet' }, [['apiVersion', 'no matches for kind "DaemonSet" in version "v1"', /^DaemonSet is served as apiVersion: apps\/v1$/]]],
    [{ apiVersion: 1, kind: ['Pod'] }, [['apiVersion', 'apiVersion: Invalid value: 1: must be a string'], ['kind', 'kind: Invalid value: ["Pod"]: must be a string']]],
  ])('rejects %j', (document, expected) => {
    const result = checkKind(document);
    expect(result.ok).toBe(false);
    const issues = result.ok ? [] : result.issues;
    expect(issues.map((i) => [i.field, i.message])).toEqual(expected.map(([field, message]) => [field, message]));
    expected.forEach(([, , hint], i) => {
      if (hint instanceof RegExp) expect(issues[i]?.hint).toMatch(hint);
      else expect(issues[i]?.hint).toBeUndefined();
    });
  });

  it.each([
    [
      'extensions/v1beta1 without selector or strategy',
      { apiVersion: 'extensions/v1beta1', kind: 'DaemonSet', spec: { template: { metadata: { labels: { app: 'x' } } } } },
      [
        'DaemonSet extensions/v1beta1 was removed in Kubernetes 1.16: use apiVersion: apps/v1',
        'apps/v1 requires spec.selector, matching spec.template.metadata.labels: add spec.selector.matchLabels: {app: x}',
        'the default spec.updateStrategy changes from OnDelete to RollingUpdate (maxUnavailable: 1): set spec.updateStrategy.type: OnDelete to keep replacing pods only when they are deleted',
      ],
    ],
    [
      'extensions/v1beta1 with templateGeneration and rollingUpdate',
      {
        apiVersion: 'extensions/v1beta1',
        kind: 'DaemonSet',
        spec: { selector: { matchLabels: { a: 'b' } }, templateGeneration: 2, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } } },
      },
      [
        'DaemonSet extensions/v1beta1 was removed in Kubernetes 1.16: use apiVersion: apps/v1',
        'apps/v1 requires spec.selector to match spec.template.metadata.labels, and it cannot change after creation',
        'remove spec.templateGeneration: apps/v1 has no such field (it is kept in the annotation deprecated.daemonset.template.generation)',
        'spec.updateStrategy.rollingUpdate.maxUnavailable keeps its meaning, and apps/v1 adds maxSurge (default 0), and only one of the two may be non-zero',
      ],
    ],
    [
      'apps/v1beta2',
      { apiVersion: 'apps/v1beta2', kind: 'DaemonSet', spec: { selector: {} } },
      [
        'DaemonSet apps/v1beta2 was removed in Kubernetes 1.16: use apiVersion: apps/v1',
        'apps/v1 requires spec.selector to match spec.template.metadata.labels, and it cannot change after creation',
      ],
    ],
    [
      'apps/v1beta1',
      { apiVersion: 'apps/v1beta1', kind: 'DaemonSet', spec: {} },
      [
        'apps/v1beta1 never served DaemonSet (it was extensions/v1beta1, then apps/v1beta2, both removed in Kubernetes 1.16): use apiVersion: apps/v1',
        'apps/v1 requires spec.selector, matching spec.template.metadata.labels: label the template and select those labels',
      ],
    ],
  ])('explains what apps/v1 needs for a DaemonSet in %s', (_name, document, notes) => {
    const result = checkKind(document);
    expect(result.ok).toBe(false);
    const [issue] = result.ok ? [] : result.issues;
    expect(issue?.field).toBe('apiVersion');
    expect(issue?.message).toBe(`no matches for kind "DaemonSet" in version "${document.apiVersion}"`);
    expect(issue?.hint?.split('; ')).toEqual(notes);
  });
});

describe('format-diagnostics', () => {
  it('prints one error on one line, kubectl style', () => {
    const result = parseManifestFile(POD.replace('image: nginx:1.27', 'image: " nginx"'), 'web.yaml');
    expect(formatErrors(result)).toBe('web.yaml: The Pod "web" is invalid: spec.containers[0].image: Invalid value: " nginx": must not have leading or trailing whitespace');
  });

  it('prints several errors as a * list, DaemonSet with its group', () => {
    const text = DAEMON_SET.replace('matchLabels: {app: agent}', 'matchLabels: {app: other}').replace('  selector:', '  minReadySeconds: -1\n  selector:');
    const lines = formatErrors(parseManifestFile(text, 'ds.yaml')).split('\n');
    expect(lines[0]).toBe('ds.yaml: The DaemonSet.apps "agent" is invalid:');
    expect(lines).toContain('* spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0');
    expect(lines).toContain('* spec.template.metadata.labels: Invalid value: map[string]string{"app":"agent"}: `selector` does not match template `labels`');
  });

  it('prints unknown fields as the API server strict decoding error', () => {
    const result = parseManifestFile(POD.replace('spec:\n', 'spec:\n  foo: 1\n  hostnetwork: true\n'), 'web.yaml');
    expect(formatErrors(result)).toBe(
      'web.yaml: Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.foo", unknown field "spec.hostnetwork"\n' +
        `  hint: nodelet's schema is Kubernetes 1.37: foo is not a field of PodSpec there (a field of a newer release, or a typo)\n` +
        `  hint: did you mean "hostNetwork"? (nodelet's schema is Kubernetes 1.37)`,
    );
  });

  it('prints YAML errors with file:line:column and kind errors with the file', () => {
    expect(formatErrors(parseManifestFile('a: 1\nb: [\n', 'bad.yaml'))).toBe('bad.yaml:3:1: yaml: unexpected end of the stream within a flow collection');
    expect(formatErrors(parseManifestFile('apiVersion: v1\nkind: ConfigMap\n', 'cm.yaml'))).toBe(
      'cm.yaml: kind ConfigMap is not supported by nodelet; supported: v1 Pod, v1 PodList, apps/v1 DaemonSet',
    );
  });

  it('prints warnings as kubectl does, with the file', () => {
    const result = parseManifestFile(POD.replace('spec:\n', 'spec:\n  hostnetwork: true\n'), 'web.yaml', { validation: 'warn' });
    expect(formatWarnings(result)).toBe(`Warning: web.yaml: unknown field "spec.hostnetwork"\n  hint: did you mean "hostNetwork"? (nodelet's schema is Kubernetes 1.37)`);
    expect(formatErrors(result)).toBe('');
  });

  it('formats one diagnostic with its position', () => {
    expect(formatDiagnostic({ severity: 'error', file: 'a.yaml', line: 3, column: 2, message: 'yaml: boom' })).toBe('a.yaml:3:2: yaml: boom');
    expect(formatDiagnostic({ severity: 'warning', file: 'a.yaml', field: 'spec.x', message: 'unknown field "spec.x"' })).toBe('Warning: a.yaml: unknown field "spec.x"');
  });
});

describe('parseManifestFile: a UID the manifest sets', () => {
  const withUid = (uid: string): string =>
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  uid: ${JSON.stringify(uid)}\nspec:\n  containers:\n  - name: c\n    image: busybox:1.37\n`;

  it.each(['../../../etc', '/etc', 'a/b', '..', '.hidden', 'x'.repeat(129), 'a b', 'a\nb'])('refuses %j: it would name a path outside the pod directory', (uid) => {
    const r = parseManifestFile(withUid(uid), '/m/web.yaml');
    expect(r.objects).toEqual([]);
    expect(r.errors.map((e) => e.field)).toContain('metadata.uid');
    expect(formatErrors(r)).toMatch(/metadata\.uid: Invalid value: .*nodelet uses the UID as a directory and container name/);
  });

  it.each(['6f1a3b7c-0d2e-4f5a-9b8c-7d6e5f4a3b2c', '0123456789abcdef0123456789abcdef', 'my-pod.v1_x'])('keeps %j', (uid) => {
    const r = parseManifestFile(withUid(uid), '/m/web.yaml');
    expect(r.errors).toEqual([]);
    expect(r.objects[0]?.object.metadata?.uid).toBe(uid);
  });
});
