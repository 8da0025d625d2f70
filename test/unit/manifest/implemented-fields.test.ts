import { describe, expect, it } from 'vitest';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { defaultDaemonSet, defaultPod } from '../../../agent/manifest/defaults.js';
import { FIELD_SUPPORT, unimplementedFieldWarnings } from '../../../agent/manifest/implemented-fields.js';

function pod(extra: Record<string, unknown> = {}, container: Record<string, unknown> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', labels: { app: 'web' }, annotations: { note: 'x' } },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'nginx:1.25',
          command: ['nginx'],
          args: ['-g', 'daemon off;'],
          env: [{ name: 'A', value: '1' }, { name: 'N', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
          ports: [{ containerPort: 80, hostPort: 8080, name: 'http' }],
          resources: { limits: { cpu: '1', memory: '128Mi' } },
          volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }],
          livenessProbe: { httpGet: { port: 80 } },
          securityContext: { privileged: false, capabilities: { add: ['NET_ADMIN'] }, runAsUser: 1000 },
          ...container,
        },
      ],
      initContainers: [{ name: 'init', image: 'busybox:1.36', restartPolicy: 'Always' }],
      volumes: [{ name: 'data', hostPath: { path: '/srv', type: 'DirectoryOrCreate' } }, { name: 'tmp', emptyDir: {} }],
      hostNetwork: true,
      tolerations: [{ operator: 'Exists' }],
      nodeSelector: { disk: 'ssd' },
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'Exists' }] }] } } },
      securityContext: { runAsUser: 1000, sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] },
      ...extra,
    },
  };
}

const fields = (p: Pod | DaemonSet, kind: 'Pod' | 'DaemonSet' = 'Pod'): string[] => unimplementedFieldWarnings(kind, p).map((w) => w.field);

describe('unimplementedFieldWarnings (Pod)', () => {
  it('says nothing about implemented fields, raw or defaulted', () => {
    expect(fields(pod())).toEqual([]);
    expect(fields(defaultPod(pod()))).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>, string[]]>([
    ['pod affinity', { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'x' }] } } }, {}, ['spec.affinity.podAffinity']],
    [
      'preferred node affinity next to the required one',
      {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'Exists' }] }] },
            preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: {} }],
          },
        },
      },
      {},
      ['spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution'],
    ],
    ['priorityClassName', { priorityClassName: 'system-node-critical' }, {}, ['spec.priorityClassName']],
    ['a non-default scheduler', { schedulerName: 'custom' }, {}, ['spec.schedulerName']],
    ['pod fsGroup', { securityContext: { fsGroup: 2000 } }, {}, ['spec.securityContext.fsGroup']],
    ['topology spread', { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'z', whenUnsatisfiable: 'DoNotSchedule' }] }, {}, ['spec.topologySpreadConstraints']],
    ['automount token true', { automountServiceAccountToken: true }, {}, ['spec.automountServiceAccountToken']],
    ['an nfs volume', { volumes: [{ name: 'data', hostPath: { path: '/srv' } }, { name: 'n', nfs: { server: 's', path: '/' } }] }, {}, ['spec.volumes[1].nfs']],
    ['container runAsNonRoot is acted on', { securityContext: { runAsNonRoot: true } }, { securityContext: { runAsNonRoot: true } }, []],
    ['subPathExpr', {}, { volumeMounts: [{ name: 'data', mountPath: '/d', subPathExpr: '$(N)' }] }, ['spec.containers[0].volumeMounts[0].subPathExpr']],
    ['resizePolicy', {}, { resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }] }, ['spec.containers[0].resizePolicy']],
  ])('%s', (_name, extra, container, expected) => {
    expect(fields(pod(extra, container))).toEqual(expected);
  });

  it('names the field in the message', () => {
    const [w] = unimplementedFieldWarnings('Pod', pod({ affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'x' }] } } }));
    expect(w?.message).toBe('spec.affinity.podAffinity: accepted; has no effect on nodelet');
  });

  it('stays quiet for API-server defaults and no-op values', () => {
    expect(fields(pod({ schedulerName: 'default-scheduler', enableServiceLinks: false, automountServiceAccountToken: false, securityContext: {} }))).toEqual([]);
  });

  it('leaves fields that static-pod restrictions reject to the errors', () => {
    expect(fields(pod({ serviceAccountName: 'x', imagePullSecrets: [{ name: 'r' }] }, { envFrom: [{ secretRef: { name: 's' } }] }))).toEqual([]);
  });

  it('warns about server-populated metadata and status, not about nulls', () => {
    const p = pod();
    Object.assign(p.metadata!, { resourceVersion: '1', creationTimestamp: null });
    (p as Pod & { status: unknown }).status = { phase: 'Running' };
    expect(fields(p)).toEqual(['metadata.resourceVersion', 'status']);
  });
});

describe('unimplementedFieldWarnings (DaemonSet)', () => {
  const ds = (): DaemonSet => ({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent' },
    spec: {
      selector: { matchLabels: { app: 'a' } },
      minReadySeconds: 5,
      revisionHistoryLimit: 3,
      updateStrategy: { type: 'OnDelete' },
      template: {
        metadata: { labels: { app: 'a' }, annotations: { x: 'y' } },
        spec: { containers: [{ name: 'a', image: 'a:1' }], priorityClassName: 'high' },
      },
    },
  });

  it('covers the DaemonSet fields and walks the template like a pod spec', () => {
    expect(fields(ds(), 'DaemonSet')).toEqual(['spec.template.spec.priorityClassName']);
    expect(fields(defaultDaemonSet(ds()), 'DaemonSet')).toEqual(['spec.template.spec.priorityClassName']);
  });

  it('warns about template metadata other than labels and annotations', () => {
    const d = ds();
    d.spec!.template.metadata!.name = 'agent-pod';
    expect(fields(d, 'DaemonSet')).toEqual(['spec.template.metadata.name', 'spec.template.spec.priorityClassName']);
  });
});

describe('FIELD_SUPPORT', () => {
  it('is one table whose paths are unique per scope', () => {
    const keys = FIELD_SUPPORT.map((e) => `${e.scope}:${e.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
