// Issue 18: validation at the current Kubernetes API. One block per numbered failure of the
// issue, on public examples (test/fixtures/issue-18, each with its source) where there is one.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runValidate } from '../../../agent/cli/validate-command.js';
import { formatErrors } from '../../../agent/manifest/format-diagnostics.js';
import { parseManifestFile } from '../../../agent/manifest/parse-file.js';
import { SCHEMA_KUBERNETES_MINOR } from '../../../agent/manifest/schema-validate.js';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/issue-18/${name}`, import.meta.url), 'utf8');
const parse = (name: string): ReturnType<typeof parseManifestFile> => parseManifestFile(fixture(name), name, { nodeName: 'node-a' });
const messages = (ds: readonly { message: string }[]): string[] => ds.map((d) => d.message);

describe('issue 18 (1): the schema is Kubernetes 1.37', () => {
  it('is 1.37', () => {
    expect(SCHEMA_KUBERNETES_MINOR).toBe('1.37');
  });

  it.each(['pod-level-resources.yaml', 'image-volumes.yaml', 'restart-all-containers.yaml', 'envars-file-container.yaml'])(
    'knows the fields of %s (website example), which 1.30 read as typos',
    (name) => {
      const result = parse(name);
      expect(result.errors.filter((e) => e.message.startsWith('unknown field'))).toEqual([]);
    },
  );

  it('accepts the website pod-level resources example (spec.resources)', () => {
    const result = parse('pod-level-resources.yaml');
    expect(result.errors).toEqual([]);
    expect(result.objects).toHaveLength(1);
  });

  it('accepts securityContext.supplementalGroupsPolicy (GA in 1.35)', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata: {name: sgp}\nspec:\n  securityContext: {runAsUser: 1000, supplementalGroups: [4000], supplementalGroupsPolicy: Strict}\n  containers: [{name: c, image: busybox:1.37}]\n';
    expect(messages(parseManifestFile(text, 'sgp.yaml').errors).filter((m) => m.startsWith('unknown field'))).toEqual([]);
  });

  it('reports a field gated off by default (emptyDir.mode, alpha) as such, drops it and keeps the pod, as the API server does', () => {
    const result = parse('emptydir-volume-mode.yaml');
    expect(result.errors).toEqual([]);
    expect(messages(result.warnings)).toContain(
      'spec.volumes[0].emptyDir.mode: dropped: the field is behind the feature gate EmptyDirVolumeMode (alpha), off by default in Kubernetes 1.37',
    );
    const pod = result.objects[0]?.object as unknown as { spec: { volumes: { emptyDir: Record<string, unknown> }[] } };
    expect(pod.spec.volumes[0]?.emptyDir).toEqual({});
  });

  it('reports a gated field as such in strict mode too: a warning, never an unknown-field error', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata: {name: s}\nspec:\n  containers:\n  - name: c\n    image: busybox:1.37\n    lifecycle: {stopSignal: SIGUSR1}\n';
    const result = parseManifestFile(text, 's.yaml');
    expect(result.errors).toEqual([]);
    expect(messages(result.warnings)).toContain('spec.containers[0].lifecycle.stopSignal: dropped: the field is behind the feature gate ContainerStopSignals (alpha), off by default in Kubernetes 1.37');
  });

  it('names the schema release in every unknown-field message (a newer field or a typo)', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata: {name: n}\nspec:\n  cgroupOptions: {}\n  containers: [{name: c, image: busybox:1.37, imagee: x}]\n';
    const result = parseManifestFile(text, 'n.yaml');
    expect(result.errors.filter((e) => e.message.startsWith('unknown field')).map((e) => e.hint)).toEqual([
      "nodelet's schema is Kubernetes 1.37: cgroupOptions is not a field of PodSpec there (a field of a newer release, or a typo)",
      `did you mean "image"? (nodelet's schema is Kubernetes 1.37)`,
    ]);
  });

  it.each([
    ['resourceClaims', 'resourceClaims: [{name: gpu, resourceClaimTemplateName: gpu-template}]\n', 'spec.resourceClaims', 'static pods may not reference resourceclaims'],
    [
      'a podCertificate projected volume',
      'volumes: [{name: cert, projected: {sources: [{podCertificate: {signerName: example.com/signer, keyType: ED25519, credentialBundlePath: b.pem}}]}}]\n',
      'spec.volumes[0].projected.sources[0].podCertificate',
      'static pods may not reference podcertificates',
    ],
  ])('(1) names the static-pod restriction of %s, before any schema check', (_name, specLine, field, message) => {
    const text = `apiVersion: v1\nkind: Pod\nmetadata: {name: r}\nspec:\n  containers: [{name: c, image: busybox:1.37}]\n  ${specLine}`;
    const result = parseManifestFile(text, 'r.yaml');
    expect(result.errors.map((e) => [e.field, e.message])).toEqual([[field, message]]);
  });

  it('(2) reports every restricted reference on its own, and no schema error under one', () => {
    const text = [
      'apiVersion: v1',
      'kind: Pod',
      'metadata: {name: r}',
      'spec:',
      '  serviceAccountName: sa',
      '  containers: [{name: c, image: busybox:1.37, env: [{name: A, valueFrom: {secretKeyRef: {name: s, key: k, bogus: 1}}}]}]',
      '  volumes: [{name: v, configMap: {name: cm}}, {name: p, persistentVolumeClaim: {claimName: data}}]',
      '',
    ].join('\n');
    const result = parseManifestFile(text, 'r.yaml');
    expect(result.errors.map((e) => e.field)).toEqual([
      'spec.serviceAccountName',
      'spec.containers[0].env[0].valueFrom.secretKeyRef',
      'spec.volumes[0].configMap',
      'spec.volumes[1].persistentVolumeClaim',
    ]);
  });
});

describe('issue 18 (2): YAML decoded as sigs.k8s.io/yaml decodes it', () => {
  it("accepts the website's fileKeyRef example, whose command has the escape \\' in double quotes", () => {
    const result = parse('envars-file-container.yaml');
    expect(result.errors).toEqual([]);
    // nodelet does not read env files: said, not silent.
    expect(messages(result.warnings)).toContain('spec.containers[0].env[0].valueFrom.fileKeyRef: accepted; has no effect on nodelet');
    const pod = result.objects[0]?.object as { spec: { initContainers: { command: string[] }[] } };
    expect(pod.spec.initContainers[0]?.command[2]).toBe(`echo "DB_ADDRESS='address'\nREST_ENDPOINT='endpoint'" > /data/config.env`);
  });

  it('keeps the last value of a duplicate key with a warning naming both lines (kubernetes/kubernetes#125885)', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: d\nspec:\n  containers:\n  - name: c\n    image: busybox:1.36\n    image: busybox:1.37\n';
    const result = parseManifestFile(text, 'd.yaml');
    expect(result.errors).toEqual([]);
    expect((result.objects[0]?.object as { spec: { containers: { image: string }[] } }).spec.containers[0]?.image).toBe('busybox:1.37');
    expect(result.warnings).toContainEqual(
      expect.objectContaining({ severity: 'warning', line: 9, message: 'yaml: duplicated mapping key "image" on lines 8 and 9: the value on line 9 is used, the one on line 8 is ignored' }),
    );
  });
});

describe('issue 18 (3): messages', () => {
  it('words a type error as the API server decode error, with no hint to quote', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata: {name: t}\nspec:\n  containers: [{name: c, image: 5}]\n';
    const result = parseManifestFile(text, 't.yaml');
    expect(result.errors).toEqual([
      expect.objectContaining({ message: 'json: cannot unmarshal number into Go struct field Container.spec.containers.image of type string' }),
    ]);
    expect(result.errors[0]?.hint).toBeUndefined();
    expect(formatErrors(result)).toBe(
      't.yaml: Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal number into Go struct field Container.spec.containers.image of type string',
    );
  });

  it('gives an ignored projected volume one message, not a warning and an error', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: busybox:1.37}]\n  volumes: [{name: t, projected: {sources: [{serviceAccountToken: {path: token}}]}}]\n';
    const result = parseManifestFile(text, 'p.yaml');
    expect([...result.errors, ...result.warnings].map((d) => [d.severity, d.field])).toEqual([['error', 'spec.volumes[0].projected.sources[0].serviceAccountToken']]);
  });
});

describe('issue 18 (4): what was silently ignored', () => {
  it('warns that an extended resource (website example.com/dongle) gets no device on nodelet', () => {
    const result = parse('extended-resource-pod.yaml');
    expect(result.errors).toEqual([]);
    expect(messages(result.warnings)).toContain(
      'spec.containers[0].resources.limits[example.com/dongle]: extended resource "example.com/dongle": nodelet counts device plugins\' devices in the node\'s capacity but allocates none to containers: the container starts without it, and nothing is checked against the node\'s capacity',
    );
  });

  it('gives the API server deprecation warning for the AppArmor annotation (website hello-apparmor), saying nodelet does not apply it', () => {
    const result = parse('hello-apparmor.yaml');
    const warning = result.warnings.find((w) => w.field === 'metadata.annotations[container.apparmor.security.beta.kubernetes.io/hello]');
    expect(warning?.message).toBe('metadata.annotations[container.apparmor.security.beta.kubernetes.io/hello]: deprecated since v1.30; use the "appArmorProfile" field instead');
    expect(warning?.hint).toMatch(/nodelet applies no AppArmor profile/);
  });

  it('gives the API server warnings for the seccomp annotations', () => {
    const text = [
      'apiVersion: v1',
      'kind: Pod',
      'metadata:',
      '  name: s',
      '  annotations:',
      '    seccomp.security.alpha.kubernetes.io/pod: runtime/default',
      '    container.seccomp.security.alpha.kubernetes.io/c: runtime/default',
      'spec:',
      '  containers: [{name: c, image: busybox:1.37}]',
      '',
    ].join('\n');
    expect(messages(parseManifestFile(text, 's.yaml').warnings)).toEqual([
      'metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]: non-functional in v1.27+; use the "seccompProfile" field instead',
      'metadata.annotations[container.seccomp.security.alpha.kubernetes.io/c]: non-functional in v1.27+; use the "seccompProfile" field instead',
    ]);
  });

  it('draws no warning for procMount: Default, the API default that Docker applies', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata: {name: m}\nspec:\n  containers: [{name: c, image: busybox:1.37, securityContext: {procMount: Default}}]\n';
    expect(parseManifestFile(text, 'm.yaml').warnings).toEqual([]);
  });

  it('gives the other warnings.go warnings word for word (as kube-apiserver 1.37 printed them)', () => {
    const text = [
      'apiVersion: v1',
      'kind: Pod',
      'metadata: {name: w}',
      'spec:',
      '  nodeSelector: {beta.kubernetes.io/os: linux}',
      '  hostAliases: [{ip: 1.2.3.4, hostnames: [a]}, {ip: 1.2.3.4, hostnames: [b]}]',
      '  containers:',
      '  - name: c',
      '    image: b',
      '    env: [{name: A, value: "1"}, {name: A, value: "2"}]',
      '    ports: [{containerPort: 80}, {containerPort: 80}, {containerPort: 81, hostIP: 1.2.3.4}]',
      "    resources: {limits: {memory: '1.5'}}",
      '',
    ].join('\n');
    expect(messages(parseManifestFile(text, 'w.yaml').warnings)).toEqual([
      'spec.nodeSelector[beta.kubernetes.io/os]: deprecated since v1.14; use "kubernetes.io/os" instead',
      'spec.hostAliases[1].ip: duplicate ip "1.2.3.4"',
      'spec.containers[0].resources.limits[memory]: fractional byte value "1500m" is invalid, must be an integer',
      'spec.containers[0].resources.requests[memory]: fractional byte value "1500m" is invalid, must be an integer',
      'spec.containers[0].env[1]: hides previous definition of "A", which may be dropped when using apply',
      'spec.containers[0].ports[1]: duplicate port definition with spec.containers[0].ports[0]',
      'spec.containers[0].ports[2]: hostIP set without hostPort: {Name: HostPort:0 ContainerPort:81 Protocol:TCP HostIP:1.2.3.4}',
    ]);
  });
});

describe('issue 18 (5): all-in-one files, validate --only-supported', () => {
  const run = async (args: { onlySupported?: boolean }): Promise<{ code: number; err: string; out: string }> => {
    let out = '';
    let err = '';
    const file = new URL('../../fixtures/issue-18/kube-flannel-style-bundle.yaml', import.meta.url).pathname;
    const code = await runValidate({ filename: [file], output: 'yaml', validation: 'strict', quiet: true, nodeName: 'node-a', ...args }, { out: (t) => (out += t), err: (t) => (err += t) });
    return { code, err: err.replaceAll(file, 'bundle.yaml'), out };
  };

  it('fails on the bundle without the option: its other kinds are not nodelet kinds', async () => {
    const result = await run({});
    expect(result.code).toBe(1);
    expect(result.err).toContain('kind ServiceAccount is not supported by nodelet');
  });

  it('lists the other kinds once as skipped and exits 0 when the DaemonSet is valid', async () => {
    const result = await run({ onlySupported: true });
    expect(result.err).toBe(
      'bundle.yaml: skipped 5 documents of kinds nodelet does not run: v1 Namespace "kube-flannel", rbac.authorization.k8s.io/v1 ClusterRole "flannel", rbac.authorization.k8s.io/v1 ClusterRoleBinding "flannel", v1 ServiceAccount "kube-flannel/flannel", v1 ConfigMap "kube-flannel/kube-flannel-cfg"\n' +
        'Warning: bundle.yaml: spec.template.spec.priorityClassName: accepted; has no effect on nodelet\n',
    );
    expect(result.code).toBe(0);
  });
});
