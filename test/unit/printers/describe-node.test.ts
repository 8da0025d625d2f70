// kubectl describe node, golden: every line written out as kubectl prints it (Go's tabwriter,
// padding 2), from the Node, pods and events the local API serves.
import { describe, expect, it } from 'vitest';
import type { Container, Node, Pod } from 'kubernetes-types/core/v1.js';
import { describeNode, nonTerminatedPods, podRequestsAndLimits } from '../../../agent/cli/printers/describe-node.js';
import { formatQuantity } from '../../../agent/manifest/quantity.js';
import type { NodeletEvent } from '../../../agent/events/event-store.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const HEARTBEAT = '2026-01-01T11:59:50Z';
const BOOTED = '2026-01-01T08:00:12Z';

/** The node as the agent serves it (GET /api/v1/node): kubelet's labels and status fields. */
const node: Node = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: {
    name: 'edge-01',
    creationTimestamp: '2026-01-01T08:00:00Z',
    labels: {
      'beta.kubernetes.io/arch': 'amd64',
      'beta.kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'kubernetes.io/hostname': 'edge-01',
      'kubernetes.io/os': 'linux',
      'node-role.kubernetes.io/edge': '',
      'topology.kubernetes.io/zone': 'store-17',
    },
    annotations: { 'nodelet.io/reporting': 'local' },
  },
  spec: {
    taints: [
      { key: 'dedicated', value: 'pos', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' },
      { key: 'gpu', effect: 'NoSchedule' },
    ],
  },
  status: {
    capacity: { cpu: '4', 'ephemeral-storage': '61202244Ki', memory: '8039944Ki', pods: '110' },
    allocatable: { cpu: '4', 'ephemeral-storage': '56403987978', memory: '7937544Ki', pods: '110' },
    conditions: [
      { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: HEARTBEAT, lastTransitionTime: BOOTED, reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
      { type: 'DiskPressure', status: 'False', lastHeartbeatTime: HEARTBEAT, lastTransitionTime: BOOTED, reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
      { type: 'PIDPressure', status: 'False', lastHeartbeatTime: HEARTBEAT, lastTransitionTime: BOOTED, reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
      { type: 'Ready', status: 'True', lastHeartbeatTime: HEARTBEAT, lastTransitionTime: BOOTED, reason: 'KubeletReady', message: 'kubelet is posting ready status' },
    ],
    addresses: [
      { type: 'InternalIP', address: '192.168.10.21' },
      { type: 'InternalIP', address: 'fd00:10::21' },
      { type: 'Hostname', address: 'edge-01' },
    ],
    nodeInfo: {
      machineID: '3f1c9a7e52d44b0f9e6a1d2c3b4a5f60',
      systemUUID: '4c4c4544-0042-3510-8051-b4c04f4e3732',
      bootID: 'a8e1f0d2-93b4-4c57-8e1a-6f2d0b9c7e31',
      kernelVersion: '6.8.0-49-generic',
      osImage: 'Ubuntu 24.04.1 LTS',
      containerRuntimeVersion: 'docker://27.3.1',
      kubeletVersion: 'v0.1.0',
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: 'amd64',
    },
  },
};

function pod(namespace: string, name: string, phase: string, createdAgoSeconds: number, containers: Container[], nodeName = 'edge-01'): Pod {
  return {
    metadata: { name, namespace, creationTimestamp: new Date(NOW - createdAgoSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') },
    spec: { nodeName, containers },
    status: { phase },
  };
}

const pods: Pod[] = [
  pod('kube-system', 'fluentd-elasticsearch-b4n2m', 'Running', 3 * 3600, [
    { name: 'fluentd-elasticsearch', image: 'quay.io/fluentd_elasticsearch/fluentd:v2.5.2', resources: { limits: { memory: '200Mi' }, requests: { cpu: '100m', memory: '200Mi' } } },
  ]),
  pod('default', 'pos-gateway-edge-01', 'Running', 2 * 3600 + 1800, [
    { name: 'gateway', image: 'registry.local/pos/gateway:3.2', resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } } },
    { name: 'log-shipper', image: 'registry.local/pos/shipper:1.0', resources: { requests: { cpu: '50m', memory: '64Mi' } } },
  ]),
  pod('default', 'backup-edge-01', 'Succeeded', 600, [{ name: 'backup', image: 'busybox:1.37', resources: { requests: { cpu: '500m' } } }]),
  pod('default', 'crashed-edge-01', 'Failed', 600, [{ name: 'crashed', image: 'busybox:1.37', resources: { requests: { cpu: '500m' } } }]),
  pod('default', 'cache-edge-01', 'Pending', 45, [{ name: 'redis', image: 'redis:7', resources: { requests: { memory: '1Gi' } } }]),
];

const nodeEvents: NodeletEvent[] = [
  { involvedObject: { kind: 'Node', namespace: '', name: 'edge-01' }, type: 'Normal', reason: 'Starting', message: 'Starting kubelet.', count: 1, firstTimestamp: Date.parse(BOOTED), lastTimestamp: Date.parse(BOOTED), source: 'kubelet, edge-01' },
  { involvedObject: { kind: 'Node', namespace: '', name: 'edge-01' }, type: 'Normal', reason: 'NodeReady', message: 'Node edge-01 status is now: NodeReady', count: 1, firstTimestamp: Date.parse(BOOTED), lastTimestamp: Date.parse(BOOTED), source: 'kubelet, edge-01' },
];

describe('describeNode', () => {
  it('describes the node: identity, taints, conditions, resources, system info, its non-terminated pods and their totals, events', () => {
    expect(describeNode(node, pods, nodeEvents, NOW, { utcOffsetMinutes: 60 })).toBe(
      [
        'Name:               edge-01',
        'Roles:              edge',
        'Labels:             beta.kubernetes.io/arch=amd64',
        '                    beta.kubernetes.io/os=linux',
        '                    kubernetes.io/arch=amd64',
        '                    kubernetes.io/hostname=edge-01',
        '                    kubernetes.io/os=linux',
        '                    node-role.kubernetes.io/edge=',
        '                    topology.kubernetes.io/zone=store-17',
        'Annotations:        nodelet.io/reporting: local',
        'CreationTimestamp:  Thu, 01 Jan 2026 09:00:00 +0100',
        'Taints:             node.kubernetes.io/unreachable:NoExecute',
        '                    dedicated=pos:NoSchedule',
        '                    gpu:NoSchedule',
        'Unschedulable:      false',
        'Conditions:',
        '  Type             Status  LastHeartbeatTime                 LastTransitionTime                Reason                       Message',
        '  ----             ------  -----------------                 ------------------                ------                       -------',
        '  MemoryPressure   False   Thu, 01 Jan 2026 12:59:50 +0100   Thu, 01 Jan 2026 09:00:12 +0100   KubeletHasSufficientMemory   kubelet has sufficient memory available',
        '  DiskPressure     False   Thu, 01 Jan 2026 12:59:50 +0100   Thu, 01 Jan 2026 09:00:12 +0100   KubeletHasNoDiskPressure     kubelet has no disk pressure',
        '  PIDPressure      False   Thu, 01 Jan 2026 12:59:50 +0100   Thu, 01 Jan 2026 09:00:12 +0100   KubeletHasSufficientPID      kubelet has sufficient PID available',
        '  Ready            True    Thu, 01 Jan 2026 12:59:50 +0100   Thu, 01 Jan 2026 09:00:12 +0100   KubeletReady                 kubelet is posting ready status',
        'Addresses:',
        '  InternalIP:  192.168.10.21',
        '  InternalIP:  fd00:10::21',
        '  Hostname:    edge-01',
        'Capacity:',
        '  cpu:                4',
        '  ephemeral-storage:  61202244Ki',
        '  memory:             8039944Ki',
        '  pods:               110',
        'Allocatable:',
        '  cpu:                4',
        '  ephemeral-storage:  56403987978',
        '  memory:             7937544Ki',
        '  pods:               110',
        'System Info:',
        '  Machine ID:                 3f1c9a7e52d44b0f9e6a1d2c3b4a5f60',
        '  System UUID:                4c4c4544-0042-3510-8051-b4c04f4e3732',
        '  Boot ID:                    a8e1f0d2-93b4-4c57-8e1a-6f2d0b9c7e31',
        '  Kernel Version:             6.8.0-49-generic',
        '  OS Image:                   Ubuntu 24.04.1 LTS',
        '  Operating System:           linux',
        '  Architecture:               amd64',
        '  Container Runtime Version:  docker://27.3.1',
        '  Kubelet Version:            v0.1.0',
        '  Kube-Proxy Version:         ',
        'Non-terminated Pods:          (3 in total)',
        '  Namespace                   Name                           CPU Requests  CPU Limits  Memory Requests  Memory Limits  Age',
        '  ---------                   ----                           ------------  ----------  ---------------  -------------  ---',
        '  default                     cache-edge-01                  0 (0%)        0 (0%)      1Gi (13%)        0 (0%)         45s',
        '  default                     pos-gateway-edge-01            300m (7%)     1 (25%)     320Mi (4%)       512Mi (6%)     150m',
        '  kube-system                 fluentd-elasticsearch-b4n2m    100m (2%)     0 (0%)      200Mi (2%)       200Mi (2%)     3h',
        'Allocated resources:',
        '  (Total limits may be over 100 percent, i.e., overcommitted.)',
        '  Resource           Requests      Limits',
        '  --------           --------      ------',
        '  cpu                400m (10%)    1 (25%)',
        '  memory             1544Mi (19%)  712Mi (9%)',
        '  ephemeral-storage  0 (0%)        0 (0%)',
        'Events:',
        '  Type    Reason     Age    From     Message',
        '  ----    ------     ----   ----     -------',
        '  Normal  Starting   3h59m  kubelet  Starting kubelet.',
        '  Normal  NodeReady  3h59m  kubelet  Node edge-01 status is now: NodeReady',
        '',
      ].join('\n'),
    );
  });

  it('prints what a bare node has: no conditions or resources, <none> for roles and taints, the pod CIDRs and provider, 0% of nothing', () => {
    const bare: Node = {
      metadata: { name: 'edge-02', labels: { 'kubernetes.io/role': 'worker', 'node-role.kubernetes.io/': '' } },
      spec: { unschedulable: true, podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24', 'fd00:244:1::/64'], providerID: 'nodelet://edge-02' },
      status: {},
    };
    const onIt = [pod('a', 'x', 'Running', 30, [{ name: 'c', image: 'i', resources: { requests: { cpu: '1' } } }], 'edge-02')];
    expect(describeNode(bare, onIt, [], NOW)).toBe(
      [
        'Name:               edge-02',
        'Roles:              worker',
        'Labels:             kubernetes.io/role=worker',
        '                    node-role.kubernetes.io/=',
        'Annotations:        <none>',
        'CreationTimestamp:  Mon, 01 Jan 0001 00:00:00 +0000',
        'Taints:             <none>',
        'Unschedulable:      true',
        'Addresses:',
        'System Info:',
        '  Machine ID:                 ',
        '  System UUID:                ',
        '  Boot ID:                    ',
        '  Kernel Version:             ',
        '  OS Image:                   ',
        '  Operating System:           ',
        '  Architecture:               ',
        '  Container Runtime Version:  ',
        '  Kubelet Version:            ',
        '  Kube-Proxy Version:         ',
        'PodCIDR:                      10.244.1.0/24',
        'PodCIDRs:                     10.244.1.0/24,fd00:244:1::/64',
        'ProviderID:                   nodelet://edge-02',
        'Non-terminated Pods:          (1 in total)',
        '  Namespace                   Name    CPU Requests  CPU Limits  Memory Requests  Memory Limits  Age',
        '  ---------                   ----    ------------  ----------  ---------------  -------------  ---',
        '  a                           x       1 (0%)        0 (0%)      0 (0%)           0 (0%)         30s',
        'Allocated resources:',
        '  (Total limits may be over 100 percent, i.e., overcommitted.)',
        '  Resource           Requests  Limits',
        '  --------           --------  ------',
        '  cpu                1 (0%)    0 (0%)',
        '  memory             0 (0%)    0 (0%)',
        '  ephemeral-storage  0 (0%)    0 (0%)',
        'Events:              <none>',
        '',
      ].join('\n'),
    );
  });

  it('adds hugepages rows with percentages and extended resources without, after the three standard rows', () => {
    const big: Node = {
      ...node,
      status: {
        ...node.status,
        capacity: { ...node.status?.capacity, 'hugepages-2Mi': '1Gi', 'example.com/dongle': '2' },
        allocatable: { ...node.status?.allocatable, 'hugepages-2Mi': '1Gi', 'hugepages-1Gi': '0', 'example.com/dongle': '2' },
      },
    };
    const onIt = [
      pod('default', 'hp', 'Running', 60, [{ name: 'c', image: 'i', resources: { requests: { 'hugepages-2Mi': '256Mi', 'example.com/dongle': '1', memory: '100Mi' }, limits: { 'hugepages-2Mi': '256Mi', 'example.com/dongle': '1' } } }]),
    ];
    const allocated = describeNode(big, onIt, [], NOW).split('Allocated resources:\n')[1]?.split('Events:')[0];
    expect(allocated).toBe(
      [
        '  (Total limits may be over 100 percent, i.e., overcommitted.)',
        '  Resource            Requests     Limits',
        '  --------            --------     ------',
        '  cpu                 0 (0%)       0 (0%)',
        '  memory              100Mi (1%)   0 (0%)',
        '  ephemeral-storage   0 (0%)       0 (0%)',
        '  hugepages-1Gi       0 (0%)       0 (0%)',
        '  hugepages-2Mi       256Mi (25%)  256Mi (25%)',
        '  example.com/dongle  1            1',
        '',
      ].join('\n'),
    );
  });
});

describe('nonTerminatedPods', () => {
  it("keeps the node's pods that are neither Succeeded nor Failed, in the API server's order (namespace/name bytes)", () => {
    const list = [
      pod('a', 'web', 'Running', 1, []),
      pod('a-b', 'web', 'Running', 1, []),
      pod('a', 'other-node', 'Running', 1, [], 'edge-02'),
      pod('A', 'web', 'Unknown', 1, []),
      pod('a', 'done', 'Succeeded', 1, []),
      pod('a', 'Web', '', 1, []),
    ];
    expect(nonTerminatedPods('edge-01', list).map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`)).toEqual(['A/web', 'a-b/web', 'a/Web', 'a/web']);
  });
});

describe('podRequestsAndLimits', () => {
  const text = (list: ReadonlyMap<string, Parameters<typeof formatQuantity>[0]>): Record<string, string> => Object.fromEntries([...list].map(([k, v]) => [k, formatQuantity(v)]));

  it('sums the containers, takes the larger of that and each init container, adds sidecars and the overhead', () => {
    const p: Pod = {
      spec: {
        containers: [
          { name: 'a', resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } } },
          { name: 'b', resources: { requests: { cpu: '0.15', memory: '0.5Gi' } } },
        ],
        initContainers: [
          { name: 'migrate', resources: { requests: { cpu: '1', memory: '32Mi' }, limits: { cpu: '2' } } },
          { name: 'proxy', restartPolicy: 'Always', resources: { requests: { cpu: '50m', memory: '16Mi' }, limits: { memory: '32Mi' } } },
          { name: 'late', resources: { requests: { cpu: '900m' } } },
        ],
        overhead: { cpu: '10m', memory: '1Mi' },
      },
    };
    const { requests, limits } = podRequestsAndLimits(p);
    // requests: containers 250m/576Mi, sidecar +50m/+16Mi = 300m/592Mi; init max(1, 900m+50m)=1 cpu, max(32Mi, 16Mi)... < 592Mi; + overhead.
    expect(text(requests)).toEqual({ cpu: '1010m', memory: '593Mi' });
    // limits: containers 200m/128Mi, sidecar +32Mi = 160Mi; init cpu 2 wins; overhead only on non-zero limits.
    expect(text(limits)).toEqual({ cpu: '2010m', memory: '161Mi' });
  });

  it('uses the enacted container resources when larger, or only them when a resize is infeasible', () => {
    const p: Pod = {
      spec: { containers: [{ name: 'a', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] },
      status: { containerStatuses: [{ name: 'a', image: 'i', imageID: '', ready: true, restartCount: 0, resources: { requests: { cpu: '200m', memory: '32Mi' } } }] },
    };
    expect(text(podRequestsAndLimits(p).requests)).toEqual({ cpu: '200m', memory: '64Mi' });
    expect(text(podRequestsAndLimits({ ...p, status: { ...p.status, resize: 'Infeasible' } }).requests)).toEqual({ cpu: '200m', memory: '32Mi' });
  });
});
