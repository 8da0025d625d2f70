import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeManifest } from '../../../agent/manifest/decode.js';
import { formatFieldPath, validateSchema, withoutFields } from '../../../agent/manifest/schema-validate.js';
import schemaDocument from '../../../manifests/schema/workloads.schema.json' with { type: 'json' };

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const readJson = <T>(file: string): T => JSON.parse(readFileSync(`${repoRoot}scripts/kubernetes-openapi/${file}`, 'utf8')) as T;

function pod(spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'web' }): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec };
}

function daemonSet(spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent' }, spec };
}

const container = { name: 'app', image: 'busybox:1.37' };

function seed(name: string): Record<string, unknown> {
  const result = decodeManifest(readFileSync(`${repoRoot}test/fixtures/seed-examples/${name}`, 'utf8'));
  const value = result.documents[0]?.value;
  if (value === undefined) throw new Error(`no document in ${name}`);
  return value;
}

describe('generated schema', () => {
  it('is what scripts/generate-schema.mjs produces from the committed OpenAPI documents', () => {
    // Exits 1 with "out of date" when the committed file drifted from the generator.
    expect(() => execFileSync(process.execPath, ['scripts/generate-schema.mjs', '--check'], { cwd: repoRoot, stdio: 'pipe' })).not.toThrow();
  });

  it('names its source, the kube-apiserver release, and that release (1.37)', () => {
    const source = readJson<{ gitVersion: string }>('feature-gates-off.json');
    expect(source.gitVersion).toMatch(/^v1\.37\./);
    expect(schemaDocument.$comment).toContain(`kube-apiserver ${source.gitVersion}`);
    expect(schemaDocument['x-nodelet'].kubernetesVersion).toBe(source.gitVersion.slice(1));
  });

  it.each([
    ['api__v1_openapi.json', 'io.k8s.api.core.v1.PodSpec'],
    ['api__v1_openapi.json', 'io.k8s.api.core.v1.Container'],
    ['api__v1_openapi.json', 'io.k8s.api.core.v1.Volume'],
    ['api__v1_openapi.json', 'io.k8s.api.core.v1.SecurityContext'],
    ['api__v1_openapi.json', 'io.k8s.api.core.v1.VolumeMount'],
    ['apis__apps__v1_openapi.json', 'io.k8s.api.apps.v1.DaemonSetSpec'],
    ['api__v1_openapi.json', 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'],
  ])('has every field of %s %s but those gated off by default (no hand-picked subset)', (file, definition) => {
    const source = readJson<{ components: { schemas: Record<string, { properties: Record<string, unknown> }> } }>(file);
    const gated = schemaDocument['x-nodelet'].gatedFields.filter((f) => f.definition === definition).map((f) => f.field);
    const fields = Object.keys(source.components.schemas[definition]?.properties ?? {}).filter((f) => !gated.includes(f));
    expect(fields.length).toBeGreaterThan(3);
    const definitions = schemaDocument.definitions as Record<string, { properties?: Record<string, unknown> }>;
    expect(Object.keys(definitions[definition]?.properties ?? {})).toEqual(fields);
  });

  it('leaves out the fields whose feature gate is off by default in 1.37, and only those', () => {
    const fields = schemaDocument['x-nodelet'].gatedFields.map((f) => `${f.definition.split('.').pop()}.${f.field} (${f.gate})`);
    expect(fields).toContain('EmptyDirVolumeSource.mode (EmptyDirVolumeMode)');
    expect(fields).toContain('VolumeMount.bindMountOptions (VolumeBindMountOptions)');
    expect(fields).toContain('Lifecycle.stopSignal (ContainerStopSignals)');
    // On by default in 1.37: real fields, not gated.
    expect(fields.join()).not.toMatch(/PodSpec\.resources|Volume\.image|restartPolicyRules|supplementalGroupsPolicy|fileKeyRef/);
  });
});

describe('validateSchema: valid manifests', () => {
  it.each([
    '002-basic-daemonset-machine-id-init.yaml',
    '002-fluentd-elasticsearch-rollingupdate-daemonset-update.yaml',
    '003-hwameistor-local-disk-manager-daemonset-manifest.yaml',
    '004-pod-with-node-affinity.yaml',
    '004-pod-with-pod-affinity.yaml',
  ])('accepts %s', (name) => {
    const document = seed(name);
    expect(validateSchema(document['kind'] as 'Pod' | 'DaemonSet', document)).toEqual({ errors: [], unknownFields: [], gatedFields: [] });
  });

  it('accepts status, server-populated metadata and rarely used fields', () => {
    const document = pod(
      {
        containers: [
          {
            ...container,
            resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }],
            securityContext: { appArmorProfile: { type: 'RuntimeDefault' }, seccompProfile: { type: 'RuntimeDefault' }, capabilities: { add: ['NET_ADMIN'] } },
            resources: { limits: { cpu: 0.5, memory: '128Mi', 'example.com/dongle': 1 }, claims: [{ name: 'gpu' }] },
            startupProbe: { grpc: { port: 9000 }, failureThreshold: 30 },
            lifecycle: { preStop: { sleep: { seconds: 5 } } },
          },
        ],
        os: { name: 'linux' },
        hostUsers: false,
        overhead: { cpu: '250m' },
        schedulingGates: [{ name: 'wait' }],
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', matchLabelKeys: ['app'] }],
        resourceClaims: [{ name: 'gpu', resourceClaimTemplateName: 'gpu' }],
        ephemeralContainers: [{ name: 'debug', image: 'busybox', targetContainerName: 'app' }],
      },
      { name: 'web', uid: 'abc', resourceVersion: '1', generation: 3, creationTimestamp: '2024-01-01T00:00:00Z', managedFields: [{ fieldsV1: { 'f:spec': {} } }] },
    );
    document['status'] = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], podIPs: [{ ip: '10.0.0.1' }] };
    expect(validateSchema('Pod', document)).toEqual({ errors: [], unknownFields: [], gatedFields: [] });
  });

  it.each([1, 0, '25%', '1'])('accepts IntOrString %j', (value) => {
    const document = daemonSet({ selector: {}, template: {}, updateStrategy: { rollingUpdate: { maxUnavailable: value } } });
    expect(validateSchema('DaemonSet', document).errors).toEqual([]);
  });

  it.each(['100m', '0.5', 0.5, 2, '1Gi', '1e3', '-1'])('accepts Quantity %j', (value) => {
    expect(validateSchema('Pod', pod({ containers: [{ ...container, resources: { requests: { cpu: value } } }] })).errors).toEqual([]);
  });
});

describe('validateSchema: unknown fields (kubectl strict field validation)', () => {
  it.each([
    [
      'a typo in a container',
      'Pod',
      pod({ containers: [{ name: 'app', imagee: 'busybox' }] }),
      'spec.containers[0].imagee',
      'did you mean "image"?',
    ],
    ['a wrongly cased field', 'Pod', pod({ containers: [container], hostnetwork: true }), 'spec.hostnetwork', 'did you mean "hostNetwork"?'],
    ['a swapped-letters typo', 'Pod', pod({ containers: [container], hostNetwrok: true }), 'spec.hostNetwrok', 'did you mean "hostNetwork"?'],
    [
      'nodeSelector at DaemonSet spec level',
      'DaemonSet',
      daemonSet({ selector: {}, template: {}, nodeSelector: { disktype: 'ssd' } }),
      'spec.nodeSelector',
      'nodeSelector is not a field of DaemonSetSpec: did you mean spec.template.spec.nodeSelector?',
    ],
    [
      'pod spec fields directly in the template',
      'DaemonSet',
      daemonSet({ selector: {}, template: { containers: [container] } }),
      'spec.template.containers',
      'containers is not a field of PodTemplateSpec: did you mean spec.template.spec.containers?',
    ],
    ['spec fields at the top level', 'Pod', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, containers: [container] }, 'containers', 'containers is not a field of Pod: did you mean spec.containers?'],
    ['a field in a list of a list', 'Pod', pod({ containers: [{ ...container, ports: [{ containerPort: 80, hostport: 80 }] }] }), 'spec.containers[0].ports[0].hostport', 'did you mean "hostPort"?'],
    ['a name with no close match', 'Pod', pod({ containers: [container], frobnicate: 1 }), 'spec.frobnicate', undefined],
  ])('%s', (_name, kind, document, field, hint) => {
    const result = validateSchema(kind as 'Pod' | 'DaemonSet', document);
    expect(result.errors).toEqual([]);
    expect(result.unknownFields).toHaveLength(1);
    const note = "nodelet's schema is Kubernetes 1.37";
    const expected = hint === undefined ? `${note}: ${field.split('.').pop() ?? ''} is not a field of PodSpec there (a field of a newer release, or a typo)` : `${hint} (${note})`;
    expect(result.unknownFields[0]?.issue).toEqual({ field, message: `unknown field "${field}"`, hint: expected });
  });

  it('keeps where each unknown field is, and withoutFields drops exactly those', () => {
    const document = pod({ containers: [{ name: 'app', image: 'busybox', imagee: 'x' }], foo: 1 });
    const { unknownFields } = validateSchema('Pod', document);
    const cleaned = withoutFields(document, unknownFields.map((u) => u.path));
    expect(cleaned).toEqual(pod({ containers: [{ name: 'app', image: 'busybox' }] }));
    expect(document).toEqual(pod({ containers: [{ name: 'app', image: 'busybox', imagee: 'x' }], foo: 1 }));
  });

  it('accepts any key in maps (labels, annotations, nodeSelector, resource lists)', () => {
    const document = pod({ containers: [{ ...container, resources: { limits: { 'nvidia.com/gpu': 1 } } }], nodeSelector: { 'any/key': 'v' } }, { name: 'web', labels: { 'a.b/c': 'd' }, annotations: { x: 'y' } });
    expect(validateSchema('Pod', document)).toEqual({ errors: [], unknownFields: [], gatedFields: [] });
  });
});

describe('validateSchema: other errors, worded like the API server', () => {
  it.each([
    [
      'a required field',
      pod({ containers: [{ image: 'busybox' }] }),
      { field: 'spec.containers[0].name', message: 'spec.containers[0].name: Required value' },
    ],
    [
      'a string for an integer',
      pod({ containers: [{ ...container, ports: [{ containerPort: 'http' }] }] }),
      {
        field: 'spec.containers[0].ports[0].containerPort',
        message: 'json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32',
      },
    ],
    [
      'a number for a string label value',
      pod({ containers: [container] }, { name: 'web', labels: { version: 1.5 } }),
      {
        field: 'metadata.labels[version]',
        message: 'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string',
      },
    ],
    [
      'a YAML 1.1 boolean for a string',
      pod({ containers: [container], nodeSelector: { ssd: true } }),
      {
        field: 'spec.nodeSelector[ssd]',
        message: 'json: cannot unmarshal bool into Go struct field PodSpec.spec.nodeSelector of type string',
      },
    ],
    [
      'an object for a list',
      pod({ containers: { name: 'app' } }),
      { field: 'spec.containers', message: 'json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container' },
    ],
    [
      'a fraction for an IntOrString',
      pod({ containers: [{ ...container, livenessProbe: { httpGet: { port: 80.5 } } }] }),
      {
        field: 'spec.containers[0].livenessProbe.httpGet.port',
        message: 'json: cannot unmarshal number 80.5 into Go struct field HTTPGetAction.spec.containers.livenessProbe.ProbeHandler.httpGet.port of type int32',
      },
    ],
    [
      'a malformed quantity',
      pod({ containers: [{ ...container, resources: { limits: { memory: '2 GB' } } }] }),
      {
        field: 'spec.containers[0].resources.limits[memory]',
        message: `spec.containers[0].resources.limits[memory]: Invalid value: "2 GB": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
        hint: 'write a number with an optional suffix, e.g. 100m, 0.5, 128Mi, 1Gi',
      },
    ],
    [
      'a wrong apiVersion literal',
      { apiVersion: 'v2', kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [container] } },
      { field: 'apiVersion', message: 'apiVersion: Unsupported value: "v2": supported values: "v1"' },
    ],
  ])('%s', (_name, document, issue) => {
    const result = validateSchema('Pod', document);
    expect(result.unknownFields).toEqual([]);
    expect(result.errors).toEqual([issue]);
  });

  it('reports every error of a document, once each', () => {
    const result = validateSchema('Pod', pod({ containers: [{ image: 1 }, { image: 1 }], hostNetwork: 'yes' }));
    expect(result.errors.map((e) => e.field)).toEqual([
      'spec.containers[0].name',
      'spec.containers[0].image',
      'spec.containers[1].name',
      'spec.containers[1].image',
      'spec.hostNetwork',
    ]);
  });
});

describe('formatFieldPath', () => {
  it.each([
    [['spec', 'containers', '0', 'ports', '1', 'containerPort'], 'Pod', 'spec.containers[0].ports[1].containerPort'],
    [['metadata', 'labels', 'app.kubernetes.io/name'], 'Pod', 'metadata.labels[app.kubernetes.io/name]'],
    [['spec', 'template', 'spec', 'volumes', '2', 'hostPath', 'path'], 'DaemonSet', 'spec.template.spec.volumes[2].hostPath.path'],
    [['spec', 'nosuch', 'deeper'], 'Pod', 'spec.nosuch.deeper'],
    [[], 'Pod', ''],
  ])('%j', (segments, kind, expected) => {
    expect(formatFieldPath(segments, kind as 'Pod' | 'DaemonSet')).toBe(expected);
  });
});
