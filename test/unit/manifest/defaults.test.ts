import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import yaml from 'js-yaml';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Container, Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import { hashObject } from '../../../agent/core/hash.js';
import { defaultDaemonSet, defaultPod, defaultPodSpec } from '../../../agent/manifest/defaults.js';
import { defaultPullPolicy, parseImageRef } from '../../../agent/manifest/image-ref.js';

function pod(containers: Container[], extra: Partial<PodSpec> = {}): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { containers, ...extra } };
}

const specOf = (p: Pod): PodSpec => p.spec as PodSpec;
const firstContainer = (p: Pod): Container => specOf(p).containers[0] as Container;

describe('defaultPullPolicy (by image tag)', () => {
  it.each<[string, string]>([
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.25', 'IfNotPresent'],
    ['registry.local:5000/team/app', 'Always'],
    ['registry.local:5000/team/app:v2', 'IfNotPresent'],
    [`nginx@sha256:${'a'.repeat(64)}`, 'IfNotPresent'],
    [`nginx:latest@sha256:${'a'.repeat(64)}`, 'Always'],
    ['Nginx', 'IfNotPresent'],
    ['', 'IfNotPresent'],
  ])('%s -> %s', (image, policy) => {
    expect(defaultPullPolicy(image)).toBe(policy);
  });

  it('parses references like ParseImageName', () => {
    expect(parseImageRef('localhost:5000/app:1.0')).toEqual({ repository: 'localhost:5000/app', tag: '1.0', digest: '' });
    expect(parseImageRef('app')).toEqual({ repository: 'app', tag: 'latest', digest: '' });
  });
});

describe('defaultPod', () => {
  const defaulted = defaultPod(pod([{ name: 'web', image: 'nginx:1.25' }]));

  it.each<[string, (p: Pod) => unknown, unknown]>([
    ['namespace', (p) => p.metadata?.namespace, 'default'],
    ['restartPolicy', (p) => specOf(p).restartPolicy, 'Always'],
    ['dnsPolicy', (p) => specOf(p).dnsPolicy, 'ClusterFirst'],
    ['terminationGracePeriodSeconds', (p) => specOf(p).terminationGracePeriodSeconds, 30],
    ['schedulerName', (p) => specOf(p).schedulerName, 'default-scheduler'],
    ['securityContext', (p) => specOf(p).securityContext, {}],
    ['enableServiceLinks', (p) => specOf(p).enableServiceLinks, true],
    ['imagePullPolicy', (p) => firstContainer(p).imagePullPolicy, 'IfNotPresent'],
    ['terminationMessagePath', (p) => firstContainer(p).terminationMessagePath, '/dev/termination-log'],
    ['terminationMessagePolicy', (p) => firstContainer(p).terminationMessagePolicy, 'File'],
  ])('%s', (_name, get, value) => {
    expect(get(defaulted)).toEqual(value);
  });

  it('defaults probes, httpGet path and scheme, and lifecycle httpGet', () => {
    const p = defaultPod(
      pod([
        {
          name: 'web',
          image: 'nginx:1.25',
          livenessProbe: { httpGet: { port: 80 } },
          readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 5 },
          lifecycle: { postStart: { httpGet: { port: 80 } } },
        },
      ]),
    );
    const c = firstContainer(p);
    expect(c.livenessProbe).toEqual({ httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    expect(c.readinessProbe?.periodSeconds).toBe(5);
    expect(c.lifecycle?.postStart?.httpGet).toEqual({ port: 80, path: '/', scheme: 'HTTP' });
  });

  it('defaults port protocol, and host ports only under hostNetwork', () => {
    const plain = defaultPod(pod([{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }]));
    expect(firstContainer(plain).ports).toEqual([{ containerPort: 80, protocol: 'TCP' }]);
    const hostNet = defaultPod(
      pod([{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }], {
        hostNetwork: true,
        initContainers: [{ name: 'init', image: 'busybox:1.36', ports: [{ containerPort: 81 }] }],
      }),
    );
    expect(firstContainer(hostNet).ports).toEqual([{ containerPort: 80, protocol: 'TCP', hostPort: 80 }]);
    expect(specOf(hostNet).initContainers?.[0]?.ports).toEqual([{ containerPort: 81, protocol: 'TCP', hostPort: 81 }]);
  });

  it('gives a volume without a source an emptyDir, and hostPath an empty type', () => {
    const p = defaultPod(
      pod([{ name: 'web', image: 'nginx:1.25' }], {
        volumes: [{ name: 'scratch' }, { name: 'data', hostPath: { path: '/srv' } }, { name: 'info', downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name' } }] } }],
      }),
    );
    expect(specOf(p).volumes).toEqual([
      { name: 'scratch', emptyDir: {} },
      { name: 'data', hostPath: { path: '/srv', type: '' } },
      { name: 'info', downwardAPI: { defaultMode: 420, items: [{ path: 'n', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } }] } },
    ]);
  });

  it('defaults requests to limits and writes quantities canonically', () => {
    const p = defaultPod(
      pod([{ name: 'web', image: 'nginx:1.25', resources: { limits: { cpu: '0.5', memory: '1024Mi' }, requests: { cpu: '100u' } } }]),
    );
    expect(firstContainer(p).resources).toEqual({ limits: { cpu: '500m', memory: '1Gi' }, requests: { cpu: '1m', memory: '1Gi' } });
  });

  it('defaults fieldRef apiVersion in env', () => {
    const p = defaultPod(pod([{ name: 'web', image: 'nginx:1.25', env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }] }]));
    expect(firstContainer(p).env).toEqual([{ name: 'N', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } }]);
  });

  it('never mutates its input', () => {
    const input = pod([{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }] }], { volumes: [{ name: 'v' }] });
    const copy = structuredClone(input);
    defaultPod(input);
    expect(input).toEqual(copy);
  });

  it('leaves what the user set', () => {
    const p = defaultPod(
      pod([{ name: 'web', image: 'nginx', imagePullPolicy: 'Never' }], { restartPolicy: 'OnFailure', terminationGracePeriodSeconds: 0, dnsPolicy: 'Default' }),
    );
    expect(firstContainer(p).imagePullPolicy).toBe('Never');
    expect(specOf(p).restartPolicy).toBe('OnFailure');
    expect(specOf(p).terminationGracePeriodSeconds).toBe(0);
    expect(specOf(p).dnsPolicy).toBe('Default');
  });
});

describe('pod templates get template defaults only', () => {
  it('no enableServiceLinks, no requests from limits, no host ports', () => {
    const spec = defaultPodSpec(
      { hostNetwork: true, containers: [{ name: 'a', image: 'a:1', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '1' } } }] },
      { forPod: false },
    );
    expect(spec.enableServiceLinks).toBeUndefined();
    expect(spec.containers[0]?.resources).toEqual({ limits: { cpu: '1' } });
    expect(spec.containers[0]?.ports).toEqual([{ containerPort: 80, protocol: 'TCP' }]);
    expect(spec.restartPolicy).toBe('Always');
  });
});

describe('defaultDaemonSet', () => {
  const ds: DaemonSet = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent' },
    spec: { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'a', image: 'a' }] } } },
  };

  it('fills updateStrategy, revisionHistoryLimit and the template', () => {
    const d = defaultDaemonSet(ds);
    expect(d.metadata?.namespace).toBe('default');
    expect(d.spec?.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    expect(d.spec?.revisionHistoryLimit).toBe(10);
    expect(d.spec?.template.spec?.dnsPolicy).toBe('ClusterFirst');
    expect(d.spec?.template.spec?.containers[0]?.imagePullPolicy).toBe('Always');
  });

  it('fills only the missing half of rollingUpdate', () => {
    const d = defaultDaemonSet({ ...ds, spec: { ...ds.spec!, updateStrategy: { rollingUpdate: { maxSurge: 1 } } } });
    expect(d.spec?.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } });
  });

  it('leaves OnDelete without rollingUpdate', () => {
    const d = defaultDaemonSet({ ...ds, spec: { ...ds.spec!, updateStrategy: { type: 'OnDelete' } } });
    expect(d.spec?.updateStrategy).toEqual({ type: 'OnDelete' });
  });
});

describe('defaults are idempotent and spelled-out defaults hash the same', () => {
  const minimal = pod(
    [
      {
        name: 'web',
        image: 'nginx:1.25',
        ports: [{ containerPort: 80 }],
        livenessProbe: { httpGet: { port: 80 } },
        env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
        resources: { limits: { cpu: '0.5' } },
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
      },
    ],
    { volumes: [{ name: 'data', hostPath: { path: '/srv' } }, { name: 'tmp' }] },
  );
  const spelledOut: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', labels: {}, creationTimestamp: null as never },
    spec: {
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
      securityContext: {},
      enableServiceLinks: true,
      hostNetwork: false,
      nodeSelector: {},
      tolerations: [],
      containers: [
        {
          name: 'web',
          image: 'nginx:1.25',
          imagePullPolicy: 'IfNotPresent',
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          ports: [{ containerPort: 80, protocol: 'TCP', hostPort: 0, name: '' }],
          livenessProbe: {
            httpGet: { port: 80, path: '/', scheme: 'HTTP' },
            initialDelaySeconds: 0,
            timeoutSeconds: 1,
            periodSeconds: 10,
            successThreshold: 1,
            failureThreshold: 3,
          },
          env: [{ name: 'N', value: '', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } }],
          resources: { limits: { cpu: '500m' }, requests: { cpu: '500m' } },
          volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: false, subPath: '' }],
          args: [],
          stdin: false,
          tty: false,
        },
      ],
      volumes: [
        { name: 'data', hostPath: { path: '/srv', type: '' } },
        { name: 'tmp', emptyDir: {} },
      ],
    },
    status: {},
  };

  it('a Pod with its defaults written out hashes like the minimal one', () => {
    expect(defaultPod(spelledOut)).toEqual(defaultPod(minimal));
    expect(hashObject(defaultPod(spelledOut))).toBe(hashObject(defaultPod(minimal)));
  });

  it('defaulting twice changes nothing (property)', () => {
    const containerArb = fc.record(
      {
        name: fc.constantFrom('a', 'b', 'web'),
        image: fc.constantFrom('nginx', 'nginx:1.25', 'busybox:latest', ''),
        imagePullPolicy: fc.constantFrom('Always', 'Never', ''),
        ports: fc.array(fc.record({ containerPort: fc.integer({ min: 1, max: 65535 }), protocol: fc.constantFrom('TCP', 'UDP', ''), hostPort: fc.integer({ min: 0, max: 10 }) }), { maxLength: 2 }),
        resources: fc.record({ limits: fc.dictionary(fc.constantFrom('cpu', 'memory'), fc.constantFrom('1', '0.5', '1024Mi', '100u', 'x')) }, { requiredKeys: [] }),
        stdin: fc.boolean(),
      },
      { requiredKeys: ['name'] },
    );
    const podArb = fc.record(
      {
        containers: fc.array(containerArb, { minLength: 1, maxLength: 2 }),
        hostNetwork: fc.boolean(),
        restartPolicy: fc.constantFrom('Always', 'Never', ''),
        volumes: fc.array(fc.record({ name: fc.constantFrom('v', 'w'), emptyDir: fc.constant({}) }, { requiredKeys: ['name'] }), { maxLength: 2 }),
      },
      { requiredKeys: ['containers'] },
    );
    fc.assert(
      fc.property(podArb, (spec) => {
        const once = defaultPod({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: spec as PodSpec });
        return hashObject(defaultPod(once)) === hashObject(once);
      }),
    );
  });

  it('an exported DaemonSet (defaults spelled out) and its minimal form default to the same spec', () => {
    const exported = yaml.load(EXPORTED_DAEMONSET) as DaemonSet;
    const minimal = structuredClone(exported);
    const spec = minimal.spec!;
    delete spec.updateStrategy;
    delete spec.revisionHistoryLimit;
    const podSpec = spec.template.spec!;
    for (const key of ['restartPolicy', 'terminationGracePeriodSeconds', 'dnsPolicy', 'securityContext', 'schedulerName'] as const) delete podSpec[key];
    for (const c of podSpec.containers) {
      delete c.terminationMessagePath;
      delete c.terminationMessagePolicy;
      delete c.imagePullPolicy;
      delete c.resources;
      for (const e of c.env ?? []) if (e.valueFrom?.fieldRef) delete (e.valueFrom.fieldRef as { apiVersion?: string }).apiVersion;
    }
    const a = defaultDaemonSet(exported).spec;
    const b = defaultDaemonSet(minimal).spec;
    expect(b).toEqual(a);
    expect(hashObject(b)).toBe(hashObject(a));
    expect(defaultDaemonSet(defaultDaemonSet(exported))).toEqual(defaultDaemonSet(exported));
  });
});

// The hwameistor DaemonSet as `kubectl get -o yaml` returned it (shared/examples seed 003):
// every default written out, plus server-populated fields.
const EXPORTED_DAEMONSET = `kind: DaemonSet
apiVersion: apps/v1
metadata:
  name: hwameistor-local-disk-manager
  namespace: hwameistor
  uid: ccbdc098-7de3-4a8a-96dd-d1cee159c92b
  resourceVersion: '90999552'
  generation: 1
  creationTimestamp: '2022-12-15T09:03:44Z'
  labels:
    app.kubernetes.io/managed-by: Helm
  annotations:
    deprecated.daemonset.template.generation: '1'
    meta.helm.sh/release-name: hwameistor
    meta.helm.sh/release-namespace: hwameistor
spec:
  selector:
    matchLabels:
      app: hwameistor-local-disk-manager
  template:
    metadata:
      creationTimestamp: null
      labels:
        app: hwameistor-local-disk-manager
    spec:
      volumes:
        - name: udev
          hostPath:
            path: /run/udev
            type: Directory
        - name: procmount
          hostPath:
            path: /proc
            type: Directory
        - name: devmount
          hostPath:
            path: /dev
            type: Directory
        - name: socket-dir
          hostPath:
            path: /var/lib/kubelet/plugins/disk.hwameistor.io
            type: DirectoryOrCreate
        - name: registration-dir
          hostPath:
            path: /var/lib/kubelet/plugins_registry/
            type: Directory
        - name: plugin-dir
          hostPath:
            path: /var/lib/kubelet/plugins
            type: DirectoryOrCreate
        - name: pods-mount-dir
          hostPath:
            path: /var/lib/kubelet/pods
            type: DirectoryOrCreate
      containers:
        - name: registrar
          image: k8s-gcr.m.daocloud.io/sig-storage/csi-node-driver-registrar:v2.5.0
          args:
            - '--v=5'
            - '--csi-address=/csi/csi.sock'
            - >-
              --kubelet-registration-path=/var/lib/kubelet/plugins/disk.hwameistor.io/csi.sock
          env:
            - name: KUBE_NODE_NAME
              valueFrom:
                fieldRef:
                  apiVersion: v1
                  fieldPath: spec.nodeName
          resources: {}
          volumeMounts:
            - name: socket-dir
              mountPath: /csi
            - name: registration-dir
              mountPath: /registration
          lifecycle:
            preStop:
              exec:
                command:
                  - /bin/sh
                  - '-c'
                  - >-
                    rm -rf /registration/disk.hwameistor.io
                    /registration/disk.hwameistor.io-reg.sock
          terminationMessagePath: /dev/termination-log
          terminationMessagePolicy: File
          imagePullPolicy: IfNotPresent
        - name: manager
          image: ghcr.m.daocloud.io/hwameistor/local-disk-manager:v0.6.1
          command:
            - /local-disk-manager
          args:
            - '--endpoint=$(CSI_ENDPOINT)'
            - '--nodeid=$(NODENAME)'
            - '--csi-enable=true'
          env:
            - name: CSI_ENDPOINT
              value: unix://var/lib/kubelet/plugins/disk.hwameistor.io/csi.sock
            - name: NAMESPACE
              valueFrom:
                fieldRef:
                  apiVersion: v1
                  fieldPath: metadata.namespace
            - name: WATCH_NAMESPACE
              valueFrom:
                fieldRef:
                  apiVersion: v1
                  fieldPath: metadata.namespace
            - name: POD_NAME
              valueFrom:
                fieldRef:
                  apiVersion: v1
                  fieldPath: metadata.name
            - name: NODENAME
              valueFrom:
                fieldRef:
                  apiVersion: v1
                  fieldPath: spec.nodeName
            - name: OPERATOR_NAME
              value: local-disk-manager
          resources: {}
          volumeMounts:
            - name: udev
              mountPath: /run/udev
            - name: procmount
              readOnly: true
              mountPath: /host/proc
            - name: devmount
              mountPath: /dev
            - name: registration-dir
              mountPath: /var/lib/kubelet/plugins_registry
            - name: plugin-dir
              mountPath: /var/lib/kubelet/plugins
              mountPropagation: Bidirectional
            - name: pods-mount-dir
              mountPath: /var/lib/kubelet/pods
              mountPropagation: Bidirectional
          terminationMessagePath: /dev/termination-log
          terminationMessagePolicy: File
          imagePullPolicy: IfNotPresent
          securityContext:
            privileged: true
      restartPolicy: Always
      terminationGracePeriodSeconds: 30
      dnsPolicy: ClusterFirst
      serviceAccountName: hwameistor-admin
      serviceAccount: hwameistor-admin
      hostNetwork: true
      hostPID: true
      securityContext: {}
      schedulerName: default-scheduler
      tolerations:
        - key: CriticalAddonsOnly
          operator: Exists
        - key: node.kubernetes.io/not-ready
          operator: Exists
          effect: NoSchedule
        - key: node-role.kubernetes.io/master
          operator: Exists
          effect: NoSchedule
        - key: node-role.kubernetes.io/control-plane
          operator: Exists
          effect: NoSchedule
        - key: node.cloudprovider.kubernetes.io/uninitialized
          operator: Exists
          effect: NoSchedule
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 1
      maxSurge: 0
  revisionHistoryLimit: 10
status:
  currentNumberScheduled: 4
  numberMisscheduled: 0
  desiredNumberScheduled: 4
  numberReady: 4
  observedGeneration: 1
  updatedNumberScheduled: 4
  numberAvailable: 4
`;
