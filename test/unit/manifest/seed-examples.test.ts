// Every seed example (test/fixtures/seed-examples, a copy of the research examples) with the result
// nodelet must give it: accepted, or rejected with a pinned first error.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeManifest, encodeYaml } from '../../../agent/manifest/decode.js';
import { formatErrors } from '../../../agent/manifest/format-diagnostics.js';
import { parseManifestFile } from '../../../agent/manifest/parse-file.js';

const seedDir = fileURLToPath(new URL('../../../test/fixtures/seed-examples/', import.meta.url));
const examplesDir = fileURLToPath(new URL('../../../manifests/examples/', import.meta.url));

function read(dir: string, name: string): string {
  return readFileSync(`${dir}${name}`, 'utf8');
}

type Expected =
  | { readonly valid: true; readonly objects: readonly string[]; readonly inExamples: boolean }
  | { readonly valid: false; readonly field: string; readonly firstError: string; readonly hint?: RegExp };

const NOT_A_MANIFEST: Expected = {
  valid: false,
  field: 'apiVersion',
  firstError: 'apiVersion not set',
};

const EXPECTED: Readonly<Record<string, Expected>> = {
  // Reference list and fragments from seed 000: no apiVersion, no kind.
  '000-tencent-annotations-reference.yaml': NOT_A_MANIFEST,
  '000-tencent-business-pod-env-hostip-fragment.yaml': NOT_A_MANIFEST,
  '000-tencent-supernode-ds-injection-template-patch.yaml': NOT_A_MANIFEST,
  // Valid for the API (it does not check image references), but `<monitoring-image>` is a
  // placeholder no engine can pull, so it is not among the runnable examples.
  '001-monitoring-daemon-daemonset.yaml': { valid: true, objects: ['DaemonSet/default/monitoring-daemon'], inExamples: false },
  '002-basic-daemonset-machine-id-init.yaml': { valid: true, objects: ['DaemonSet/default/example-daemonset'], inExamples: true },
  '002-fluentd-elasticsearch-rollingupdate-daemonset.yaml': { valid: true, objects: ['DaemonSet/kube-system/fluentd-elasticsearch'], inExamples: true },
  '002-fluentd-elasticsearch-rollingupdate-daemonset-update.yaml': {
    valid: true,
    objects: ['DaemonSet/kube-system/fluentd-elasticsearch'],
    inExamples: true,
  },
  // `example-image` is the seed's placeholder: a valid reference to an image that does not exist.
  '002-ssd-driver-nodeselector-daemonset.yaml': { valid: true, objects: ['DaemonSet/default/ssd-driver'], inExamples: false },
  // Static-pod restriction, applied to DaemonSet pods too. manifests/examples holds a copy without it.
  '003-hwameistor-local-disk-manager-daemonset-as-exported.yaml': {
    valid: false,
    field: 'spec.template.spec.serviceAccountName',
    firstError: 'static pods may not reference serviceaccounts',
    hint: /service account/,
  },
  '003-hwameistor-local-disk-manager-daemonset-manifest.yaml': {
    valid: false,
    field: 'spec.template.spec.serviceAccountName',
    firstError: 'static pods may not reference serviceaccounts',
    hint: /service account/,
  },
  '004-fluentd-logging-daemonset-apps-v1.yaml': { valid: true, objects: ['DaemonSet/default/fluentd'], inExamples: true },
  '004-fluentd-logging-daemonset-extensions-v1beta1.yaml': {
    valid: false,
    field: 'apiVersion',
    firstError: 'no matches for kind "DaemonSet" in version "extensions/v1beta1"',
    hint: /use apiVersion: apps\/v1.*spec\.selector.*add spec\.selector\.matchLabels: \{app: logging, id: fluentd\}.*OnDelete to RollingUpdate/,
  },
  // Two fragments without apiVersion/kind (the nodeSelector as printed, and where it belongs).
  '004-nodeselector-disktype-ssd-fragment.yaml': NOT_A_MANIFEST,
  '004-pod-with-node-affinity.yaml': { valid: true, objects: ['Pod/default/with-node-affinity'], inExamples: true },
  '004-pod-with-pod-affinity.yaml': { valid: true, objects: ['Pod/default/with-pod-affinity'], inExamples: true },
};

describe('seed examples', () => {
  it('covers every file of test/fixtures/seed-examples', () => {
    expect(readdirSync(seedDir).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s', (name, expected) => {
    const result = parseManifestFile(read(seedDir, name), name);
    if (expected.valid) {
      expect(result.errors).toEqual([]);
      expect(result.objects.map((o) => `${o.key.kind}/${o.key.namespace}/${o.key.name}`)).toEqual(expected.objects);
      return;
    }
    expect(result.objects).toEqual([]);
    const [first] = result.errors;
    expect(first).toMatchObject({ severity: 'error', file: name, document: 0, field: expected.field, message: expected.firstError });
    if (expected.hint !== undefined) expect(first?.hint).toMatch(expected.hint);
  });

  it('gives the fragments a clear kubectl-style message', () => {
    const name = '004-nodeselector-disktype-ssd-fragment.yaml';
    const text = formatErrors(parseManifestFile(read(seedDir, name), name));
    expect(text.split('\n')).toEqual([
      `${name} (document 1): error validating data: [apiVersion not set, kind not set]`,
      '  hint: every manifest needs apiVersion and kind: apiVersion: v1 with kind: Pod, or apiVersion: apps/v1 with kind: DaemonSet',
      `${name} (document 2): error validating data: [apiVersion not set, kind not set]`,
      '  hint: every manifest needs apiVersion and kind: apiVersion: v1 with kind: Pod, or apiVersion: apps/v1 with kind: DaemonSet',
    ]);
  });

  it('reports the seed 004 nodeSelector, placed at DaemonSet spec level, as unknown field "spec.nodeSelector"', () => {
    // The handbook's snippet is meant for its fluentd DaemonSet: put it where the seed prints it.
    const fragment = decodeManifest(read(seedDir, '004-nodeselector-disktype-ssd-fragment.yaml')).documents[0]?.value as { spec: { nodeSelector: unknown } };
    const daemonSet = decodeManifest(read(seedDir, '004-fluentd-logging-daemonset-apps-v1.yaml')).documents[0]?.value as { spec: Record<string, unknown> };
    daemonSet.spec['nodeSelector'] = fragment.spec.nodeSelector;
    const result = parseManifestFile(encodeYaml(daemonSet), 'fluentd.yaml');
    expect(result.objects).toEqual([]);
    expect(result.errors).toEqual([
      {
        severity: 'error',
        file: 'fluentd.yaml',
        document: 0,
        field: 'spec.nodeSelector',
        message: 'unknown field "spec.nodeSelector"',
        hint: "nodeSelector is not a field of DaemonSetSpec: did you mean spec.template.spec.nodeSelector? (nodelet's schema is Kubernetes 1.37)",
      },
    ]);

    // Where the fragment's second document puts it, the DaemonSet is valid.
    const placed = decodeManifest(read(seedDir, '004-fluentd-logging-daemonset-apps-v1.yaml')).documents[0]?.value as {
      spec: { template: { spec: Record<string, unknown> } };
    };
    placed.spec.template.spec['nodeSelector'] = fragment.spec.nodeSelector;
    expect(parseManifestFile(encodeYaml(placed), 'fluentd.yaml').errors).toEqual([]);
  });
});

describe('manifests/examples', () => {
  const copies = Object.entries(EXPECTED).filter(([, e]) => e.valid && e.inExamples).map(([name]) => name);

  // The rollout's second template lives in updates/ (the manifest source does not recurse), so
  // the example directory does not define the same DaemonSet twice.
  const inExamples = (name: string): string => (readdirSync(examplesDir).includes(name) ? name : `updates/${name}`);

  it('holds an unchanged copy of every runnable valid seed example', () => {
    for (const name of copies) expect(read(examplesDir, inExamples(name)), name).toBe(read(seedDir, name));
  });

  const files = [
    ...readdirSync(examplesDir, { withFileTypes: true }).filter((d) => d.isFile()).map((d) => d.name),
    ...readdirSync(join(examplesDir, 'updates')).map((n) => `updates/${n}`),
  ].sort();
  it.each(files)('%s is valid', (name) => {
    const result = parseManifestFile(read(examplesDir, name), name);
    expect(result.errors).toEqual([]);
    expect(result.objects).toHaveLength(1);
  });

  it('has a Pod version of the machine-id example', () => {
    const [object] = parseManifestFile(read(examplesDir, 'machine-id-pod.yaml'), 'machine-id-pod.yaml').objects;
    expect(object?.kind).toBe('Pod');
    expect(object?.object).toMatchObject({
      spec: {
        initContainers: [{ name: 'log-machine-id', image: 'busybox:1.37', volumeMounts: [{ name: 'machine-id', mountPath: '/etc/machine-id', readOnly: true }, { name: 'log-dir', mountPath: '/var/log' }] }],
        containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10' }],
        volumes: [
          { name: 'machine-id', hostPath: { path: '/etc/machine-id', type: 'File' } },
          { name: 'log-dir', hostPath: { path: '/var/log', type: 'Directory' } },
        ],
      },
    });
  });
});
