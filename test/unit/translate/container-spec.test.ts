import { describe, expect, it } from 'vitest';
import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import type { DesiredPod } from '../../../agent/core/types.js';
import { stopTimeoutSeconds, toContainerSpec } from '../../../agent/translate/container-spec.js';
import type { TranslateContext } from '../../../agent/translate/context.js';
import { containerSpecHash } from '../../../agent/translate/spec-hash.js';
import { LABELS } from '../../../agent/core/labels.js';
import { terminationLogPath } from '../../../agent/translate/volumes.js';

const uid = '0123abcd';
const ctx: TranslateContext = {
  nodeName: 'node1',
  hostIPs: ['192.0.2.10'],
  podIPs: ['172.17.0.2'],
  stateDir: '/var/lib/nodelet',
  podNetwork: 'bridge',
  podInfraImage: 'registry.k8s.io/pause:3.10',
  nodeAllocatable: { cpuMilli: 2000, memoryBytes: 4 * 1024 ** 3 },
};

function desired(container: Container, spec: Partial<PodSpec> = {}): DesiredPod {
  return {
    uid,
    namespace: 'default',
    name: 'web-node1',
    pod: {
      metadata: { name: 'web-node1', namespace: 'default', uid },
      spec: { nodeName: 'node1', terminationGracePeriodSeconds: 30, containers: [container], ...spec },
    },
    origin: { kind: 'Pod', file: '/m/web.yaml' },
  };
}

function translate(container: Container, spec: Partial<PodSpec> = {}, role: 'init' | 'sidecar' | 'app' = 'app', restartCount = 0) {
  return toContainerSpec(desired(container, spec), container, role, restartCount, ctx);
}

function specOf(r: ReturnType<typeof translate>) {
  if (!r.ok) throw new Error(r.message);
  return r.spec;
}

describe('toContainerSpec', () => {
  it('translates a plain container', () => {
    const container: Container = { name: 'app', image: 'busybox:1.36', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' };
    expect(translate(container)).toEqual({
      ok: true,
      spec: {
        dockerName: 'k8s_app_web-node1_default_0123abcd_0',
        image: 'busybox:1.36',
        env: [],
        tty: false,
        openStdin: false,
        stdinOnce: false,
        mounts: [{ kind: 'bind', source: terminationLogPath(ctx.stateDir, uid, 'app', 0), target: '/dev/termination-log', readOnly: false, createIfMissing: 'file' }],
        namespaces: { network: { mode: 'sandbox' }, ipc: 'sandbox', pid: 'private' },
        portBindings: [],
        extraHosts: [],
        resources: { cpuShares: 2, cpuPeriod: 100000 },
        security: { privileged: false, groupAdd: [], capAdd: [], capDrop: [], readonlyRootfs: false, noNewPrivileges: false, seccomp: 'unconfined', sysctls: {} },
        // BestEffort: the OOM killer's first choice (qos/oom-score.ts).
        oomScoreAdj: 1000,
        stopTimeout: 30,
        labels: {
          [LABELS.managed]: 'true',
          [LABELS.node]: 'node1',
          [LABELS.podUid]: uid,
          [LABELS.podName]: 'web-node1',
          [LABELS.podNamespace]: 'default',
          [LABELS.containerName]: 'app',
          [LABELS.role]: 'app',
          [LABELS.dockerType]: 'container',
          [LABELS.containerHash]: containerSpecHash(container),
          [LABELS.restartCount]: '0',
          [LABELS.terminationMessagePath]: '/dev/termination-log',
          [LABELS.terminationMessagePolicy]: 'File',
          [LABELS.terminationGracePeriod]: '30',
        },
      },
    });
  });

  it('expands command and args with the final env; image defaults kept when absent', () => {
    const spec = specOf(
      translate({
        name: 'app',
        image: 'x',
        env: [
          { name: 'PORT', value: '8080' },
          { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        ],
        command: ['/bin/server', '--port=$(PORT)'],
        args: ['--node=$(NODE)', '$$(PORT)', '$(LATER)'],
      }),
    );
    expect(spec.env).toEqual(['PORT=8080', 'NODE=node1']);
    expect(spec.entrypoint).toEqual(['/bin/server', '--port=8080']);
    expect(spec.cmd).toEqual(['--node=node1', '$(PORT)', '$(LATER)']);
    const plain = specOf(translate({ name: 'app', image: 'x', command: [], args: [] }));
    expect(plain.entrypoint).toBeUndefined();
    expect(plain.cmd).toBeUndefined();
  });

  it('passes workingDir and stdio flags', () => {
    const spec = specOf(translate({ name: 'app', image: 'x', workingDir: '/srv', tty: true, stdin: true, stdinOnce: true }));
    expect(spec).toMatchObject({ workingDir: '/srv', tty: true, openStdin: true, stdinOnce: true });
  });

  it.each<[string, Partial<PodSpec>, string]>([
    ['own PID namespace', {}, 'private'],
    ['shareProcessNamespace', { shareProcessNamespace: true }, 'sandbox'],
    ['hostPID', { hostPID: true, shareProcessNamespace: true }, 'host'],
  ])('pid: %s', (_name, spec, pid) => {
    expect(specOf(translate({ name: 'app', image: 'x' }, spec)).namespaces).toEqual({ network: { mode: 'sandbox' }, ipc: 'sandbox', pid });
  });

  it('names and labels init and sidecar instances by restart count', () => {
    const c: Container = { name: 'setup', image: 'x' };
    const spec = specOf(translate(c, {}, 'sidecar', 4));
    expect(spec.dockerName).toBe('k8s_setup_web-node1_default_0123abcd_4');
    expect(spec.labels[LABELS.role]).toBe('sidecar');
    expect(spec.labels[LABELS.restartCount]).toBe('4');
    expect(spec.mounts.at(-1)?.source).toBe(terminationLogPath(ctx.stateDir, uid, 'setup', 4));
  });

  it.each<[number | undefined, number]>([
    [30, 30],
    [0, 2],
    [1, 2],
    [120, 120],
    [undefined, 30],
  ])('terminationGracePeriodSeconds %s → stopTimeout %i', (grace, expected) => {
    const d = desired({ name: 'a', image: 'x' }, { terminationGracePeriodSeconds: grace });
    expect(stopTimeoutSeconds(d)).toBe(expected);
  });

  it('applies resources and security', () => {
    const spec = specOf(
      translate(
        { name: 'app', image: 'x', resources: { requests: { cpu: '100m' }, limits: { cpu: '200m', memory: '64Mi' } }, securityContext: { runAsUser: 1000, allowPrivilegeEscalation: false } },
        { securityContext: { fsGroup: 2000, seccompProfile: { type: 'RuntimeDefault' } } },
      ),
    );
    expect(spec.resources).toEqual({ cpuShares: 102, cpuPeriod: 100000, cpuQuota: 20000, memory: 64 * 1024 * 1024 });
    expect(spec.security).toMatchObject({ user: '1000', groupAdd: ['2000'], noNewPrivileges: true });
    expect(spec.security.seccomp).toBeUndefined();
  });

  it('checks runAsNonRoot against the image user when given', () => {
    const c: Container = { name: 'app', image: 'x', securityContext: { runAsNonRoot: true } };
    expect(toContainerSpec(desired(c), c, 'app', 0, ctx, { imageUser: '' })).toEqual({
      ok: false,
      reason: 'CreateContainerConfigError',
      message: 'container has runAsNonRoot and image will run as root (pod: "web-node1_default(0123abcd)", container: app)',
    });
    expect(toContainerSpec(desired(c), c, 'app', 0, ctx, { imageUser: '1000' }).ok).toBe(true);
  });

  it.each<[string, Container, Partial<PodSpec>, string]>([
    ['env', { name: 'app', image: 'x', env: [{ name: 'X', valueFrom: { resourceFieldRef: { resource: 'limits.gpu' } } }] }, {}, 'unsupported container resource : limits.gpu'],
    ['mount', { name: 'app', image: 'x', volumeMounts: [{ name: 'ghost', mountPath: '/g' }] }, {}, 'cannot find volume "ghost" to mount into container "app"'],
    ['subPathExpr', { name: 'app', image: 'x', volumeMounts: [{ name: 'v', mountPath: '/g', subPathExpr: '$(NOPE)' }] }, { volumes: [{ name: 'v', emptyDir: {} }] }, 'missing value for NOPE'],
    ['seccomp', { name: 'app', image: 'x', securityContext: { seccompProfile: { type: 'Localhost' } } }, {}, 'localhostProfile must be set if seccompProfile type is Localhost.'],
  ])('fails with CreateContainerConfigError: %s', (_name, c, spec, message) => {
    expect(translate(c, spec)).toEqual({ ok: false, reason: 'CreateContainerConfigError', message });
  });

  it('reports env errors before mount errors, as kubelet builds env first', () => {
    const c: Container = { name: 'app', image: 'x', env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'bogus' } } }], volumeMounts: [{ name: 'ghost', mountPath: '/g' }] };
    expect(translate(c)).toMatchObject({ ok: false, message: 'field label not supported: bogus' });
  });
});
