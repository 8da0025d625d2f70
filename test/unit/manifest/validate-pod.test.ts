// Each case mutates one valid Pod, defaults it as the API server would, and expects the
// exact kubectl lines: nothing more, nothing less.
import { describe, expect, it } from 'vitest';
import type { Container, Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import { defaultPod } from '../../../agent/manifest/defaults.js';
import { validatePod } from '../../../agent/manifest/validate-pod.js';

function basePod(): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: {
      containers: [{ name: 'web', image: 'nginx:1.25', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
      volumes: [{ name: 'data', hostPath: { path: '/srv/data', type: 'DirectoryOrCreate' } }],
    },
  };
}

const spec = (p: Pod): PodSpec => p.spec as PodSpec;
const c0 = (p: Pod): Container => spec(p).containers[0] as Container;

function messages(mutate: (p: Pod) => void): string[] {
  const pod = basePod();
  mutate(pod);
  return validatePod(defaultPod(pod)).map((i) => i.message);
}

const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const NAME_PART_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const QUANTITY_MSG = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const NOT_FOR_INIT = 'may not be set for init containers without restartPolicy=Always';

type Case = [name: string, mutate: (p: Pod) => void, expected: string[]];

const cases: Case[] = [
  ['a valid pod', () => {}, []],

  // metadata
  ['name missing', (p) => void delete p.metadata?.name, ['metadata.name: Required value: name or generateName is required']],
  ['name not a subdomain', (p) => (p.metadata!.name = 'Web'), [`metadata.name: Invalid value: "Web": ${SUBDOMAIN_MSG}`]],
  ['namespace with dots', (p) => (p.metadata!.namespace = 'kube.system'), ['metadata.namespace: Invalid value: "kube.system": must not contain dots']],
  ['label key', (p) => (p.metadata!.labels = { 'bad key': 'x' }), [`metadata.labels: Invalid value: "bad key": ${NAME_PART_MSG}`]],
  ['label value', (p) => (p.metadata!.labels = { app: '-x' }), [`metadata.labels: Invalid value: "-x": ${LABEL_VALUE_MSG}`]],
  [
    'annotation key with two slashes',
    (p) => (p.metadata!.annotations = { 'a/b/c': 'x' }),
    [
      "metadata.annotations: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ],
  ],

  // containers
  ['no containers', (p) => (spec(p).containers = []), ['spec.containers: Required value']],
  ['container name missing', (p) => (c0(p).name = ''), ['spec.containers[0].name: Required value']],
  ['container name not a label', (p) => (c0(p).name = 'Web'), [`spec.containers[0].name: Invalid value: "Web": ${LABEL_MSG}`]],
  [
    'duplicate container names',
    (p) => spec(p).containers.push({ name: 'web', image: 'busybox:1.36' }),
    ['spec.containers[1].name: Duplicate value: "web"'],
  ],
  [
    'init container reuses a container name',
    (p) => (spec(p).initContainers = [{ name: 'web', image: 'busybox:1.36' }]),
    ['spec.initContainers[0].name: Duplicate value: "web"'],
  ],
  ['image missing', (p) => (c0(p).image = ''), ['spec.containers[0].image: Required value']],
  [
    'image with leading space',
    (p) => (c0(p).image = ' nginx'),
    ['spec.containers[0].image: Invalid value: " nginx": must not have leading or trailing whitespace'],
  ],
  [
    'imagePullPolicy',
    (p) => (c0(p).imagePullPolicy = 'Sometimes'),
    ['spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"'],
  ],
  [
    'terminationMessagePolicy',
    (p) => (c0(p).terminationMessagePolicy = 'Bogus'),
    ['spec.containers[0].terminationMessagePolicy: Unsupported value: "Bogus": supported values: "File", "FallbackToLogsOnError"'],
  ],

  // volumes
  ['volume name missing', (p) => (spec(p).volumes![0]!.name = ''), ['spec.volumes[0].name: Required value', 'spec.containers[0].volumeMounts[0].name: Not found: "data"']],
  [
    'volume name not a label',
    (p) => {
      spec(p).volumes![0]!.name = 'Data';
      c0(p).volumeMounts = [];
    },
    [`spec.volumes[0].name: Invalid value: "Data": ${LABEL_MSG}`],
  ],
  [
    'duplicate volume names',
    (p) => spec(p).volumes!.push({ name: 'data', emptyDir: {} }),
    ['spec.volumes[1].name: Duplicate value: "data"'],
  ],
  [
    'two volume sources',
    (p) => (spec(p).volumes![0]!.emptyDir = {}),
    ['spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type', 'spec.containers[0].volumeMounts[0].name: Not found: "data"'],
  ],
  [
    'hostPath path missing',
    (p) => (spec(p).volumes![0]!.hostPath!.path = ''),
    ['spec.volumes[0].hostPath.path: Required value', 'spec.containers[0].volumeMounts[0].name: Not found: "data"'],
  ],
  [
    'hostPath path with ..',
    (p) => (spec(p).volumes![0]!.hostPath!.path = '/srv/../etc'),
    ['spec.volumes[0].hostPath.path: Invalid value: "/srv/../etc": must not contain \'..\'', 'spec.containers[0].volumeMounts[0].name: Not found: "data"'],
  ],
  [
    'hostPath type',
    (p) => (spec(p).volumes![0]!.hostPath!.type = 'Dir'),
    [
      'spec.volumes[0].hostPath.type: Unsupported value: "Dir": supported values: "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"',
      'spec.containers[0].volumeMounts[0].name: Not found: "data"',
    ],
  ],
  [
    'negative emptyDir sizeLimit',
    (p) => spec(p).volumes!.push({ name: 'cache', emptyDir: { sizeLimit: '-1Gi' } }),
    ['spec.volumes[1].emptyDir.sizeLimit: Forbidden: SizeLimit field must be a valid resource quantity'],
  ],
  [
    // The API server does not check the medium (the kubelet fails the mount: api-warnings.ts warns).
    'emptyDir medium the kubelet does not know',
    (p) => spec(p).volumes!.push({ name: 'cache', emptyDir: { medium: 'Disk' } }),
    [],
  ],
  ['emptyDir in memory with a size', (p) => spec(p).volumes!.push({ name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } }), []],
  [
    'downwardAPI item field',
    (p) => spec(p).volumes!.push({ name: 'info', downwardAPI: { items: [{ path: 'node', fieldRef: { fieldPath: 'spec.nodeName' } }] } }),
    [
      'spec.volumes[1].downwardAPI.fieldRef.fieldPath: Unsupported value: "spec.nodeName": supported values: "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid"',
    ],
  ],

  // volume mounts
  [
    'mount of an unknown volume',
    (p) => (c0(p).volumeMounts![0]!.name = 'cache'),
    ['spec.containers[0].volumeMounts[0].name: Not found: "cache"'],
  ],
  ['mountPath missing', (p) => (c0(p).volumeMounts![0]!.mountPath = ''), ['spec.containers[0].volumeMounts[0].mountPath: Required value']],
  [
    'mountPath twice',
    (p) => c0(p).volumeMounts!.push({ name: 'data', mountPath: '/data' }),
    ['spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/data": must be unique'],
  ],
  [
    'subPath with ..',
    (p) => (c0(p).volumeMounts![0]!.subPath = '../x'),
    ['spec.containers[0].volumeMounts.subPath: Invalid value: "../x": must not contain \'..\''],
  ],
  [
    'absolute subPath',
    (p) => (c0(p).volumeMounts![0]!.subPath = '/abs'),
    ['spec.containers[0].volumeMounts.subPath: Invalid value: "/abs": must be a relative path'],
  ],
  [
    'subPath and subPathExpr',
    (p) => Object.assign(c0(p).volumeMounts![0]!, { subPath: 'a', subPathExpr: '$(POD)' }),
    ['spec.containers[0].volumeMounts[0].subPathExpr: Invalid value: "$(POD)": subPathExpr and subPath are mutually exclusive'],
  ],
  [
    'mountPropagation value',
    (p) => (c0(p).volumeMounts![0]!.mountPropagation = 'Shared'),
    ['spec.containers[0].volumeMounts.mountPropagation: Unsupported value: "Shared": supported values: "Bidirectional", "HostToContainer", "None"'],
  ],
  [
    'Bidirectional without privileged',
    (p) => (c0(p).volumeMounts![0]!.mountPropagation = 'Bidirectional'),
    ['spec.containers[0].volumeMounts.mountPropagation: Forbidden: Bidirectional mount propagation is available only to privileged containers'],
  ],
  [
    'Bidirectional for a privileged container',
    (p) => {
      c0(p).volumeMounts![0]!.mountPropagation = 'Bidirectional';
      c0(p).securityContext = { privileged: true };
    },
    [],
  ],

  // ports
  [
    'containerPort out of range',
    (p) => (c0(p).ports = [{ containerPort: 70000 }]),
    ['spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive'],
  ],
  ['containerPort missing', (p) => (c0(p).ports = [{ containerPort: 0, name: 'http' }]), ['spec.containers[0].ports[0].containerPort: Required value']],
  [
    'hostPort out of range',
    (p) => (c0(p).ports = [{ containerPort: 80, hostPort: 70000 }]),
    ['spec.containers[0].ports[0].hostPort: Invalid value: 70000: must be between 1 and 65535, inclusive'],
  ],
  [
    'protocol',
    (p) => (c0(p).ports = [{ containerPort: 80, protocol: 'HTTP' }]),
    ['spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'],
  ],
  [
    'port name upper case',
    (p) => (c0(p).ports = [{ containerPort: 80, name: 'HTTP' }]),
    [
      'spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      'spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain at least one letter (a-z)',
    ],
  ],
  [
    'port name too long',
    (p) => (c0(p).ports = [{ containerPort: 80, name: 'a-very-long-port-name' }]),
    ['spec.containers[0].ports[0].name: Invalid value: "a-very-long-port-name": must be no more than 15 characters'],
  ],
  [
    'duplicate port names',
    (p) => (c0(p).ports = [{ containerPort: 80, name: 'http' }, { containerPort: 8080, name: 'http' }]),
    ['spec.containers[0].ports[1].name: Duplicate value: "http"'],
  ],
  [
    'hostNetwork hostPort differs from containerPort',
    (p) => {
      spec(p).hostNetwork = true;
      c0(p).ports = [{ containerPort: 80, hostPort: 8080 }];
    },
    ['spec.containers[0].ports[0].hostPort: Invalid value: 8080: must match `containerPort` when `hostNetwork` is true'],
  ],
  [
    'hostNetwork hostPort defaulted from containerPort',
    (p) => {
      spec(p).hostNetwork = true;
      c0(p).ports = [{ containerPort: 80 }];
    },
    [],
  ],
  [
    'host port used by two containers',
    (p) => {
      c0(p).ports = [{ containerPort: 80, hostPort: 80 }];
      spec(p).containers.push({ name: 'proxy', image: 'envoy:v1', ports: [{ containerPort: 8080, hostPort: 80 }] });
    },
    ['spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//80"'],
  ],
  [
    'same host port on different protocols',
    (p) => (c0(p).ports = [{ containerPort: 53, hostPort: 53 }, { containerPort: 53, hostPort: 53, protocol: 'UDP' }]),
    [],
  ],

  // restart policies, sidecars, probes
  [
    'pod restartPolicy',
    (p) => (spec(p).restartPolicy = 'Sometimes'),
    ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
  ],
  [
    'container restartPolicy on an app container',
    (p) => (c0(p).restartPolicy = 'Always'),
    ['spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers'],
  ],
  [
    'init container restartPolicy other than Always',
    (p) => (spec(p).initContainers = [{ name: 'init', image: 'busybox:1.36', restartPolicy: 'OnFailure' }]),
    ['spec.initContainers[0].restartPolicy: Unsupported value: "OnFailure": supported values: "Always"'],
  ],
  [
    'probe on a plain init container',
    (p) => (spec(p).initContainers = [{ name: 'init', image: 'busybox:1.36', livenessProbe: { exec: { command: ['true'] } } }]),
    [`spec.initContainers[0].livenessProbe: Forbidden: ${NOT_FOR_INIT}`],
  ],
  [
    'lifecycle on a plain init container',
    (p) => (spec(p).initContainers = [{ name: 'init', image: 'busybox:1.36', lifecycle: { preStop: { exec: { command: ['true'] } } } }]),
    [`spec.initContainers[0].lifecycle: Forbidden: ${NOT_FOR_INIT}`],
  ],
  [
    'probes on a sidecar',
    (p) =>
      (spec(p).initContainers = [
        { name: 'log', image: 'busybox:1.36', restartPolicy: 'Always', livenessProbe: { exec: { command: ['true'] } }, startupProbe: { tcpSocket: { port: 80 } } },
      ]),
    [],
  ],
  ['probe without a handler', (p) => (c0(p).livenessProbe = { periodSeconds: 5 }), ['spec.containers[0].livenessProbe: Required value: must specify a handler type']],
  [
    'probe with two handlers',
    (p) => (c0(p).livenessProbe = { exec: { command: ['true'] }, httpGet: { port: 80 } }),
    ['spec.containers[0].livenessProbe.httpGet: Forbidden: may not specify more than 1 handler type'],
  ],
  [
    'liveness successThreshold',
    (p) => (c0(p).livenessProbe = { exec: { command: ['true'] }, successThreshold: 2 }),
    ['spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1'],
  ],
  [
    'startup successThreshold',
    (p) => (c0(p).startupProbe = { tcpSocket: { port: 80 }, successThreshold: 3 }),
    ['spec.containers[0].startupProbe.successThreshold: Invalid value: 3: must be 1'],
  ],
  ['readiness successThreshold may be above 1', (p) => (c0(p).readinessProbe = { httpGet: { port: 80 }, successThreshold: 3 }), []],
  [
    'named probe port',
    (p) => (c0(p).readinessProbe = { httpGet: { port: 'HTTP' } }),
    [
      'spec.containers[0].readinessProbe.httpGet.port: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      'spec.containers[0].readinessProbe.httpGet.port: Invalid value: "HTTP": must contain at least one letter (a-z)',
    ],
  ],
  ['exec probe without a command', (p) => (c0(p).livenessProbe = { exec: {} }), ['spec.containers[0].livenessProbe.exec.command: Required value']],
  [
    'negative probe period',
    (p) => (c0(p).livenessProbe = { exec: { command: ['true'] }, periodSeconds: -5 }),
    ['spec.containers[0].livenessProbe.periodSeconds: Invalid value: -5: must be greater than or equal to 0'],
  ],
  [
    'preStop sleep beyond the grace period',
    (p) => (c0(p).lifecycle = { preStop: { sleep: { seconds: 100 } } }),
    ['spec.containers[0].lifecycle.preStop.sleep: Invalid value: 100: must be non-negative and less than terminationGracePeriodSeconds (30)'],
  ],

  // pod-level fields
  [
    'dnsPolicy',
    (p) => (spec(p).dnsPolicy = 'Bogus'),
    ['spec.dnsPolicy: Unsupported value: "Bogus": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"'],
  ],
  ['dnsPolicy None without dnsConfig', (p) => (spec(p).dnsPolicy = 'None'), ['spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None']],
  [
    'dnsPolicy None without nameservers',
    (p) => {
      spec(p).dnsPolicy = 'None';
      spec(p).dnsConfig = { searches: ['example.com'] };
    },
    ['spec.dnsConfig.nameservers: Required value: must provide at least one DNS nameserver when `dnsPolicy` is None'],
  ],
  ['dnsPolicy None with a nameserver', (p) => Object.assign(spec(p), { dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'] } }), []],
  [
    'nameserver not an IP',
    (p) => (spec(p).dnsConfig = { nameservers: ['dns.local'] }),
    ['spec.dnsConfig.nameservers[0]: Invalid value: "dns.local": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'],
  ],
  [
    'negative grace period',
    (p) => (spec(p).terminationGracePeriodSeconds = -1),
    ['spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal to 0'],
  ],
  [
    'activeDeadlineSeconds 0',
    (p) => (spec(p).activeDeadlineSeconds = 0),
    ['spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive'],
  ],
  ['hostname', (p) => (spec(p).hostname = 'My_Host'), [`spec.hostname: Invalid value: "My_Host": ${LABEL_MSG}`]],
  ['subdomain', (p) => (spec(p).subdomain = 'a.b'), ['spec.subdomain: Invalid value: "a.b": must not contain dots']],
  [
    'hostAliases ip',
    (p) => (spec(p).hostAliases = [{ ip: '1.2.3', hostnames: ['db'] }]),
    ['spec.hostAliases[0].ip: Invalid value: "1.2.3": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'],
  ],
  ['nodeSelector value', (p) => (spec(p).nodeSelector = { disktype: 'a b' }), [`spec.nodeSelector: Invalid value: "a b": ${LABEL_VALUE_MSG}`]],
  [
    'toleration without key must be Exists',
    (p) => (spec(p).tolerations = [{ operator: 'Equal', value: 'x' }]),
    ['spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"'],
  ],
  [
    'toleration effect',
    (p) => (spec(p).tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoRun' }]),
    ['spec.tolerations[0].effect: Unsupported value: "NoRun": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"'],
  ],
  [
    'required node affinity without terms',
    (p) => (spec(p).affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } }),
    ['spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term'],
  ],
  [
    'pod runAsUser',
    (p) => (spec(p).securityContext = { runAsUser: -1 }),
    ['spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and 4294967295, inclusive'],
  ],
  [
    'net sysctl with hostNetwork',
    (p) => Object.assign(spec(p), { hostNetwork: true, securityContext: { sysctls: [{ name: 'net.ipv4.ip_forward', value: '1' }] } }),
    ["spec.securityContext.sysctls[0].name: Invalid value: \"net.ipv4.ip_forward\": may not be specified when 'hostNetwork' is true"],
  ],
  [
    'shareProcessNamespace with hostPID',
    (p) => Object.assign(spec(p), { hostPID: true, shareProcessNamespace: true }),
    ['spec.securityContext.shareProcessNamespace: Invalid value: true: ShareProcessNamespace and HostPID cannot both be enabled'],
  ],

  // env
  ['env name missing', (p) => (c0(p).env = [{ name: '', value: 'x' }]), ['spec.containers[0].env[0].name: Required value']],
  [
    'env name with =',
    (p) => (c0(p).env = [{ name: 'A=B', value: 'x' }]),
    ["spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='"],
  ],
  [
    'env valueFrom with no source',
    (p) => (c0(p).env = [{ name: 'A', valueFrom: {} }]),
    ['spec.containers[0].env[0].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef`, `secretKeyRef` or `fileKeyRef`'],
  ],
  [
    'env value and valueFrom',
    (p) => (c0(p).env = [{ name: 'A', value: 'x', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }]),
    ['spec.containers[0].env[0].valueFrom: Invalid value: "": may not be specified when `value` is not empty'],
  ],
  [
    'env valueFrom with two sources',
    (p) => (c0(p).env = [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name' }, resourceFieldRef: { resource: 'limits.cpu' } } }]),
    ['spec.containers[0].env[0].valueFrom: Invalid value: "": may not have more than one field specified at a time'],
  ],
  [
    'env fieldRef path not allowed in env',
    (p) => (c0(p).env = [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'spec.restartPolicy' } } }]),
    [
      'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "spec.restartPolicy": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"',
    ],
  ],
  [
    'env fieldRef unknown path',
    (p) => (c0(p).env = [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'status.foo' } } }]),
    ['spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Invalid value: "status.foo": error converting fieldPath: field label not supported: status.foo'],
  ],
  ['env fieldRef to a label', (p) => (c0(p).env = [{ name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } }]), []],
  [
    'env resourceFieldRef resource',
    (p) => (c0(p).env = [{ name: 'A', valueFrom: { resourceFieldRef: { resource: 'limits.gpu' } } }]),
    [
      'spec.containers[0].env[0].valueFrom.resourceFieldRef.resource: Unsupported value: "limits.gpu": supported values: "limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu", "requests.ephemeral-storage", "requests.memory"',
    ],
  ],

  // resources
  [
    'request above limit',
    (p) => (c0(p).resources = { limits: { cpu: '1' }, requests: { cpu: '2' } }),
    ['spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1'],
  ],
  [
    'request above limit, printed canonically',
    (p) => (c0(p).resources = { limits: { memory: '1024Mi' }, requests: { memory: '1.5Gi' } }),
    ['spec.containers[0].resources.requests: Invalid value: "1536Mi": must be less than or equal to memory limit of 1Gi'],
  ],
  [
    'negative limit (request defaulted from it)',
    (p) => (c0(p).resources = { limits: { memory: '-1Gi' } }),
    [
      'spec.containers[0].resources.limits[memory]: Invalid value: "-1Gi": must be greater than or equal to 0',
      'spec.containers[0].resources.requests[memory]: Invalid value: "-1Gi": must be greater than or equal to 0',
    ],
  ],
  [
    'unparsable quantity',
    (p) => (c0(p).resources = { requests: { cpu: 'lots' } }),
    [`spec.containers[0].resources.requests[cpu]: Invalid value: "lots": ${QUANTITY_MSG}`],
  ],
  [
    'non-standard resource name',
    (p) => (c0(p).resources = { requests: { gpu: '1' } }),
    [
      'spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified',
      'spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers',
    ],
  ],
  ['limits and requests within bounds', (p) => (c0(p).resources = { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '0.1' } }), []],

  // static-pod restrictions
  ['serviceAccountName', (p) => (spec(p).serviceAccountName = 'builder'), ['static pods may not reference serviceaccounts']],
  ['imagePullSecrets', (p) => (spec(p).imagePullSecrets = [{ name: 'regcred' }]), ['static pods may not reference secrets']],
  ['secret volume', (p) => spec(p).volumes!.push({ name: 'tls', secret: { secretName: 'tls' } }), ['static pods may not reference secrets']],
  ['configMap volume', (p) => spec(p).volumes!.push({ name: 'cfg', configMap: { name: 'cfg' } }), ['static pods may not reference configmaps']],
  [
    'secret env',
    (p) => (c0(p).env = [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }]),
    ['static pods may not reference secrets'],
  ],
  ['configMap envFrom', (p) => (c0(p).envFrom = [{ configMapRef: { name: 'cfg' } }]), ['static pods may not reference configmaps']],
  ['persistentVolumeClaim', (p) => spec(p).volumes!.push({ name: 'pv', persistentVolumeClaim: { claimName: 'pv' } }), ['static pods may not reference persistentvolumeclaims']],
  [
    'ephemeral volume',
    (p) => spec(p).volumes!.push({ name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: {} } } }),
    ['static pods may not reference persistentvolumeclaims (via ephemeral volumes)'],
  ],
  ['csi volume', (p) => spec(p).volumes!.push({ name: 'csi', csi: { driver: 'x.example.com' } }), ['static pods may not reference csidrivers (via CSI volumes)']],
  [
    'projected service account token',
    (p) => spec(p).volumes!.push({ name: 'token', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }),
    [
      'spec.volumes[1].projected.sources[0].serviceAccountToken: Forbidden: must not be specified when serviceAccountName is not set',
      'static pods may not reference serviceaccounts (via projected volumes)',
    ],
  ],
  [
    'projected secret',
    (p) => spec(p).volumes!.push({ name: 'p', projected: { sources: [{ secret: { name: 's' } }] } }),
    ['static pods may not reference secrets'],
  ],
  [
    'resourceClaims',
    (p) => (spec(p).resourceClaims = [{ name: 'gpu', resourceClaimName: 'gpu' } as never]),
    ['static pods may not reference resourceclaims'],
  ],
  [
    'ephemeral containers',
    (p) => (spec(p).ephemeralContainers = [{ name: 'debug', image: 'busybox:1.36' }]),
    ['spec.ephemeralContainers: Forbidden: cannot be set on create'],
  ],
  [
    'scheduling gates',
    (p) => (spec(p).schedulingGates = [{ name: 'example.com/wait' }]),
    ['spec.nodeName: Forbidden: cannot be set until all schedulingGates have been cleared'],
  ],
];

describe('validatePod', () => {
  it('has at least 40 cases with exact messages', () => {
    expect(cases.filter(([, , expected]) => expected.length > 0).length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)('%s', (_name, mutate, expected) => {
    expect(messages(mutate)).toEqual(expected);
  });

  it('puts static-pod reasons on the field that holds the reference, with a hint', () => {
    const pod = basePod();
    spec(pod).volumes!.push({ name: 'tls', secret: { secretName: 'tls' } });
    const [issue] = validatePod(defaultPod(pod));
    expect(issue?.field).toBe('spec.volumes[1].secret');
    expect(issue?.hint).toMatch(/hostPath/);
  });

  it('de-duplicates identical lines as ErrorList.ToAggregate does', () => {
    const msgs = messages((p) => {
      c0(p).volumeMounts = [
        { name: 'data', mountPath: '/a', subPath: '../x' },
        { name: 'data', mountPath: '/b', subPath: '../x' },
      ];
    });
    expect(msgs).toEqual(["spec.containers[0].volumeMounts.subPath: Invalid value: \"../x\": must not contain '..'"]);
  });

  it('keeps one static-pod reason per offending field', () => {
    const pod = basePod();
    spec(pod).volumes!.push({ name: 'a', secret: { secretName: 'a' } }, { name: 'b', secret: { secretName: 'b' } });
    expect(validatePod(defaultPod(pod)).map((i) => i.field)).toEqual(['spec.volumes[1].secret', 'spec.volumes[2].secret']);
  });
});
