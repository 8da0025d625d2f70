// kubectl describe daemonset, golden: every line written out as kubectl prints it (Go's
// tabwriter, padding 2), from the DaemonSet, pods and events the local API serves.
import { describe, expect, it } from 'vitest';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { daemonSetPodCounts, describeDaemonSet } from '../../../agent/cli/printers/describe-daemonset.js';
import type { NodeletEvent } from '../../../agent/events/event-store.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const DS_UID = '0c9f4a52-6d2e-4b8e-9d4e-1f2a3b4c5d6e';

/** The fluentd-elasticsearch DaemonSet of the Kubernetes docs, as the agent serves it. */
const fluentd: DaemonSet = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: {
    name: 'fluentd-elasticsearch',
    namespace: 'kube-system',
    uid: DS_UID,
    generation: 2,
    creationTimestamp: '2026-01-01T10:00:00Z',
    labels: { 'k8s-app': 'fluentd-logging' },
    annotations: { 'deprecated.daemonset.template.generation': '2', 'kubectl.kubernetes.io/last-applied-configuration': '{"apiVersion":"apps/v1"}' },
  },
  spec: {
    selector: { matchLabels: { name: 'fluentd-elasticsearch' } },
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
    template: {
      metadata: { labels: { name: 'fluentd-elasticsearch' } },
      spec: {
        tolerations: [
          { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
          { key: 'node-role.kubernetes.io/master', operator: 'Exists', effect: 'NoSchedule' },
        ],
        containers: [
          {
            name: 'fluentd-elasticsearch',
            image: 'quay.io/fluentd_elasticsearch/fluentd:v2.5.2',
            resources: { limits: { memory: '200Mi' }, requests: { cpu: '100m', memory: '200Mi' } },
            volumeMounts: [
              { name: 'varlog', mountPath: '/var/log' },
              { name: 'varlibdockercontainers', mountPath: '/var/lib/docker/containers', readOnly: true },
            ],
          },
        ],
        terminationGracePeriodSeconds: 30,
        volumes: [
          { name: 'varlog', hostPath: { path: '/var/log', type: '' } },
          { name: 'varlibdockercontainers', hostPath: { path: '/var/lib/docker/containers', type: '' } },
        ],
      },
    },
  },
  status: { currentNumberScheduled: 1, desiredNumberScheduled: 1, numberMisscheduled: 0, numberReady: 0, updatedNumberScheduled: 1, numberAvailable: 0, observedGeneration: 2 },
};

function pod(name: string, phase: string, opts: { namespace?: string; ownerUid?: string | null; labels?: Record<string, string> } = {}): Pod {
  const owner = opts.ownerUid === undefined ? DS_UID : opts.ownerUid;
  return {
    metadata: {
      name,
      namespace: opts.namespace ?? 'kube-system',
      labels: opts.labels ?? { name: 'fluentd-elasticsearch', 'controller-revision-hash': '6b8c9d7f5' },
      ...(owner === null ? {} : { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'fluentd-elasticsearch', uid: owner, controller: true, blockOwnerDeletion: true }] }),
    },
    spec: { nodeName: 'node1', containers: [{ name: 'fluentd-elasticsearch', image: 'quay.io/fluentd_elasticsearch/fluentd:v2.5.2' }] },
    status: { phase },
  };
}

const pods: Pod[] = [
  pod('fluentd-elasticsearch-7xkqp', 'Pending'),
  pod('fluentd-elasticsearch-b4n2m', 'Running'),
  pod('fluentd-elasticsearch-k9d2w', 'Failed'),
  // Not the DaemonSet's: another namespace, an orphan, another controller, other labels.
  pod('fluentd-elasticsearch-zz111', 'Running', { namespace: 'default' }),
  pod('fluentd-elasticsearch-zz222', 'Running', { ownerUid: null }),
  pod('fluentd-elasticsearch-zz333', 'Running', { ownerUid: 'another-uid' }),
  pod('web-node1', 'Running', { labels: { app: 'web' } }),
];

function event(reason: string, message: string, agoSeconds: number, opts: { type?: 'Normal' | 'Warning'; count?: number; firstAgoSeconds?: number } = {}): NodeletEvent {
  return {
    involvedObject: { kind: 'DaemonSet', namespace: 'kube-system', name: 'fluentd-elasticsearch', uid: DS_UID },
    type: opts.type ?? 'Normal',
    reason,
    message,
    count: opts.count ?? 1,
    firstTimestamp: NOW - (opts.firstAgoSeconds ?? agoSeconds) * 1000,
    lastTimestamp: NOW - agoSeconds * 1000,
    source: 'daemonset-controller, node1',
  };
}

describe('describeDaemonSet', () => {
  it('describes the fluentd DaemonSet: status counts, its own pods by phase, the pod template and its events', () => {
    const events = [
      event('SuccessfulDelete', 'Deleted pod: fluentd-elasticsearch-k2j8x', 95),
      event('SuccessfulCreate', 'Created pod: fluentd-elasticsearch-k2j8x', 7200),
      event('SuccessfulCreate', 'Created pod: fluentd-elasticsearch-7xkqp', 90),
      event('DaemonSetWarning', 'pods "fluentd-elasticsearch-7xkqp" is waiting for the image ', 30, { type: 'Warning', count: 4, firstAgoSeconds: 85 }),
    ];
    expect(describeDaemonSet(fluentd, pods, events, NOW)).toBe(
      [
        'Name:           fluentd-elasticsearch',
        'Namespace:      kube-system',
        'Selector:       name=fluentd-elasticsearch',
        'Node-Selector:  <none>',
        'Labels:         k8s-app=fluentd-logging',
        'Annotations:    deprecated.daemonset.template.generation: 2',
        'Desired Number of Nodes Scheduled: 1',
        'Current Number of Nodes Scheduled: 1',
        'Number of Nodes Scheduled with Up-to-date Pods: 1',
        'Number of Nodes Scheduled with Available Pods: 0',
        'Number of Nodes Misscheduled: 0',
        'Pods Status:  1 Running / 1 Waiting / 0 Succeeded / 1 Failed',
        'Pod Template:',
        '  Labels:  name=fluentd-elasticsearch',
        '  Containers:',
        '   fluentd-elasticsearch:',
        '    Image:      quay.io/fluentd_elasticsearch/fluentd:v2.5.2',
        '    Port:       <none>',
        '    Host Port:  <none>',
        '    Limits:',
        '      memory:  200Mi',
        '    Requests:',
        '      cpu:        100m',
        '      memory:     200Mi',
        '    Environment:  <none>',
        '    Mounts:',
        '      /var/lib/docker/containers from varlibdockercontainers (ro)',
        '      /var/log from varlog (rw)',
        '  Volumes:',
        '   varlog:',
        '    Type:          HostPath (bare host directory volume)',
        '    Path:          /var/log',
        '    HostPathType:  ',
        '   varlibdockercontainers:',
        '    Type:          HostPath (bare host directory volume)',
        '    Path:          /var/lib/docker/containers',
        '    HostPathType:  ',
        '  Node-Selectors:  <none>',
        '  Tolerations:     node-role.kubernetes.io/control-plane:NoSchedule op=Exists',
        '                   node-role.kubernetes.io/master:NoSchedule op=Exists',
        'Events:',
        '  Type     Reason            Age                From                  Message',
        '  ----     ------            ----               ----                  -------',
        '  Normal   SuccessfulCreate  120m               daemonset-controller  Created pod: fluentd-elasticsearch-k2j8x',
        '  Normal   SuccessfulDelete  95s                daemonset-controller  Deleted pod: fluentd-elasticsearch-k2j8x',
        '  Normal   SuccessfulCreate  90s                daemonset-controller  Created pod: fluentd-elasticsearch-7xkqp',
        '  Warning  DaemonSetWarning  30s (x4 over 85s)  daemonset-controller  pods "fluentd-elasticsearch-7xkqp" is waiting for the image',
        '',
      ].join('\n'),
    );
  });

  it('prints a set-based selector, the node selector, zero counts without a status, and no events', () => {
    const ds: DaemonSet = {
      metadata: { name: 'node-exporter', namespace: 'monitoring', uid: 'u2', annotations: { 'nodelet.io/start-after-daemonsets': 'false' } },
      spec: {
        selector: { matchLabels: { app: 'node-exporter' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['system', 'infra'] }, { key: 'canary', operator: 'DoesNotExist' }] },
        template: {
          metadata: { labels: { app: 'node-exporter', tier: 'system' }, annotations: { 'prometheus.io/scrape': 'true' } },
          spec: {
            nodeSelector: { 'kubernetes.io/os': 'linux', 'node-role.kubernetes.io/edge': '' },
            hostNetwork: true,
            serviceAccountName: 'node-exporter',
            priorityClassName: 'system-node-critical',
            containers: [{ name: 'node-exporter', image: 'prom/node-exporter:v1.8.2', args: ['--path.rootfs=/host'], ports: [{ containerPort: 9100, hostPort: 9100, protocol: 'TCP', name: 'metrics' }] }],
          },
        },
      },
    };
    expect(describeDaemonSet(ds, [], [], NOW)).toBe(
      [
        'Name:           node-exporter',
        'Namespace:      monitoring',
        'Selector:       app=node-exporter,!canary,tier in (infra,system)',
        'Node-Selector:  kubernetes.io/os=linux,node-role.kubernetes.io/edge=',
        'Labels:         <none>',
        'Annotations:    nodelet.io/start-after-daemonsets: false',
        'Desired Number of Nodes Scheduled: 0',
        'Current Number of Nodes Scheduled: 0',
        'Number of Nodes Scheduled with Up-to-date Pods: 0',
        'Number of Nodes Scheduled with Available Pods: 0',
        'Number of Nodes Misscheduled: 0',
        'Pods Status:  0 Running / 0 Waiting / 0 Succeeded / 0 Failed',
        'Pod Template:',
        '  Labels:           app=node-exporter',
        '                    tier=system',
        '  Annotations:      prometheus.io/scrape: true',
        '  Service Account:  node-exporter',
        '  Containers:',
        '   node-exporter:',
        '    Image:      prom/node-exporter:v1.8.2',
        '    Port:       9100/TCP',
        '    Host Port:  9100/TCP',
        '    Args:',
        '      --path.rootfs=/host',
        // One tabwriter block from Environment to Events: as wide as its widest label.
        '    Environment:        <none>',
        '    Mounts:             <none>',
        '  Volumes:              <none>',
        '  Priority Class Name:  system-node-critical',
        '  Node-Selectors:       kubernetes.io/os=linux',
        '                        node-role.kubernetes.io/edge=',
        '  Tolerations:          <none>',
        'Events:                 <none>',
        '',
      ].join('\n'),
    );
  });
});

describe('daemonSetPodCounts', () => {
  it('counts only the pods the DaemonSet controls, by phase; Unknown counts nowhere', () => {
    expect(daemonSetPodCounts(fluentd, [...pods, pod('fluentd-elasticsearch-s8v4t', 'Succeeded'), pod('fluentd-elasticsearch-u2u2u', 'Unknown')])).toEqual({ running: 1, waiting: 1, succeeded: 1, failed: 1 });
  });

  it('needs a selector that matches: a DaemonSet without one controls no pod', () => {
    const { selector: _selector, ...spec } = fluentd.spec ?? { template: {} };
    expect(daemonSetPodCounts({ ...fluentd, spec: spec as DaemonSet['spec'] }, pods)).toEqual({ running: 0, waiting: 0, succeeded: 0, failed: 0 });
  });
});
