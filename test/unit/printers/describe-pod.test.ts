// kubectl describe pod details beyond the golden scenarios: every line is written out here
// with the column width kubectl's tabwriter gives its block.
import { describe, it, expect } from 'vitest';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { describePod, describeProbe, formatRFC1123Z } from '../../../agent/cli/printers/describe-pod.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
/** A cell padded to its column width, then the rest of the line. */
const row = (cell: string, width: number, rest: string): string => cell.padEnd(width) + rest;

const longNote = 'x'.repeat(150);

const pod: Pod = {
  metadata: {
    name: 'ds-node1',
    namespace: 'kube-system',
    annotations: { note: longNote, 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ds', uid: 'u1', controller: true }],
    deletionTimestamp: '2026-01-01T11:59:30Z',
    deletionGracePeriodSeconds: 30,
  },
  spec: {
    nodeName: 'node1',
    priority: 2000001000,
    priorityClassName: 'system-node-critical',
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    containers: [
      {
        name: 'agent',
        image: 'agent:1',
        ports: [
          { containerPort: 9100, hostPort: 9100, protocol: 'TCP' },
          { containerPort: 9101, protocol: 'UDP', name: 'metrics' },
        ],
        env: [
          { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
          { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
          { name: 'MULTI', value: 'a\nb' },
        ],
        resources: { limits: { memory: '256Mi' }, requests: { memory: '0.25Gi' } },
        livenessProbe: { grpc: { port: 9101 }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
        readinessProbe: { httpGet: { host: '::1', port: 'metrics', path: 'status', scheme: 'HTTPS' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
        startupProbe: { tcpSocket: { port: 9100 }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
      },
    ],
    volumes: [
      {
        name: 'podinfo',
        downwardAPI: {
          items: [
            { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
            { path: 'mem', resourceFieldRef: { containerName: 'agent', resource: 'limits.memory' } },
          ],
        },
      },
    ],
    tolerations: [
      { operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'dedicated', operator: 'Equal', value: 'infra', effect: 'NoSchedule' },
      { operator: 'Exists' },
    ],
  },
  status: { phase: 'Running' },
};

describe('describePod', () => {
  it('describes a pod being deleted, with its controller, probes, env sources and a downward API volume', () => {
    const expected = [
      row('Name:', 27, 'ds-node1'),
      row('Namespace:', 27, 'kube-system'),
      row('Priority:', 27, '2000001000'),
      row('Priority Class Name:', 27, 'system-node-critical'),
      row('Node:', 27, 'node1/'),
      row('Labels:', 27, '<none>'),
      row('Annotations:', 27, 'note:'),
      row('', 27, `  ${'x'.repeat(138)}...`),
      row('Status:', 27, 'Terminating (lasts 30s)'),
      row('Termination Grace Period:', 27, '30s'),
      row('IP:', 27, ''),
      row('IPs:', 27, '<none>'),
      row('Controlled By:', 27, 'DaemonSet/ds'),
      'Containers:',
      '  agent:',
      row('    Image:', 17, 'agent:1'),
      row('    Ports:', 17, '9100/TCP, 9101/UDP (metrics)'),
      row('    Host Ports:', 17, '9100/TCP, 0/UDP (metrics)'),
      '    Limits:',
      row('      memory:', 15, '256Mi'),
      '    Requests:',
      row('      memory:', 16, '256Mi'),
      row('    Liveness:', 16, 'grpc <pod>:9101  delay=0s timeout=1s period=10s #success=1 #failure=3'),
      row('    Readiness:', 16, 'http-get https://[::1]:metrics/status delay=0s timeout=1s period=10s #success=1 #failure=3'),
      row('    Startup:', 16, 'tcp-socket :9100 delay=0s timeout=1s period=10s #success=1 #failure=3'),
      '    Environment:',
      row('      MEM:', 14, '256 (limits.memory)'),
      row('      CPU:', 14, 'node allocatable (limits.cpu)'),
      row('      MULTI:', 14, 'a'),
      row('      ', 14, 'b'),
      row('    Mounts:', 14, '<none>'),
      'Volumes:',
      '  podinfo:',
      row('    Type:', 11, 'DownwardAPI (a volume populated by information about the pod)'),
      '    Items:',
      '      metadata.labels -> labels',
      '      limits.memory -> mem',
      row('QoS Class:', 17, 'Burstable'),
      row('Node-Selectors:', 17, 'kubernetes.io/os=linux'),
      row('Tolerations:', 17, ':NoExecute op=Exists'),
      row('', 17, 'op=Exists'),
      row('', 17, 'dedicated=infra:NoSchedule'),
      row('', 17, 'node.kubernetes.io/not-ready:NoExecute op=Exists for 300s'),
      row('Events:', 17, '<none>'),
      '',
    ].join('\n');
    expect(describePod(pod, [], NOW, { utcOffsetMinutes: 0 })).toBe(expected);
  });

  it('prints Node: <none> for an unassigned pod and multi-line annotations line by line', () => {
    const out = describePod({ metadata: { name: 'p', namespace: 'default', annotations: { a: 'one\ntwo\n' } }, spec: { containers: [] } }, [], NOW);
    expect(out.split('\n').slice(0, 6)).toEqual([row('Name:', 14, 'p'), row('Namespace:', 14, 'default'), row('Node:', 14, '<none>'), row('Labels:', 14, '<none>'), row('Annotations:', 14, 'a:'), row('', 14, '  one')]);
    expect(out).toContain('Containers: <none>\n');
  });
});

describe('describeProbe', () => {
  it.each([
    [{ exec: { command: ['cat', '/tmp/ok'] }, initialDelaySeconds: 5, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 }, 'exec [cat /tmp/ok] delay=5s timeout=1s period=10s #success=1 #failure=3'],
    [{ httpGet: { port: 8080, path: '/health z', scheme: 'HTTP' } }, 'http-get http://:8080/health%20z delay=0s timeout=0s period=0s #success=0 #failure=0'],
    [{ tcpSocket: { host: '10.0.0.1', port: 'ssh' } }, 'tcp-socket 10.0.0.1:ssh delay=0s timeout=0s period=0s #success=0 #failure=0'],
    [{ grpc: { port: 50051, service: 'health' } }, 'grpc <pod>:50051 health delay=0s timeout=0s period=0s #success=0 #failure=0'],
    [{}, 'unknown delay=0s timeout=0s period=0s #success=0 #failure=0'],
  ])('%j', (probe, want) => {
    expect(describeProbe(probe)).toBe(want);
  });
});

describe('formatRFC1123Z', () => {
  it('formats like Go in the given zone', () => {
    expect(formatRFC1123Z('2026-01-01T11:55:00Z', 0)).toBe('Thu, 01 Jan 2026 11:55:00 +0000');
    expect(formatRFC1123Z('2026-01-01T11:55:00Z', 120)).toBe('Thu, 01 Jan 2026 13:55:00 +0200');
    expect(formatRFC1123Z('2026-01-01T01:00:00Z', -330)).toBe('Wed, 31 Dec 2025 19:30:00 -0530');
  });
  it('prints Go\'s zero time for an unset time', () => {
    expect(formatRFC1123Z(undefined, 0)).toBe('Mon, 01 Jan 0001 00:00:00 +0000');
  });
});
