// Builders for planner / worker test data: a defaulted DesiredPod and the ObservedContainer /
// ObservedPod Docker would report for it. Observed instances take their role and spec hash
// from the desired pod, so "unchanged" is the default and a test states only what differs.
import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import type { DesiredPod } from '../../agent/core/types.js';
import type { ContainerRole, ObservedContainer, ObservedPod, ObservedState } from '../../agent/core/runtime-types.js';
import { LABELS, SANDBOX_CONTAINER_NAME, toIdentityLabels } from '../../agent/core/labels.js';
import { isSidecar } from '../../agent/core/containers.js';
import { containerSpecHash } from '../../agent/translate/spec-hash.js';

/** A fixed epoch for tests (ms). */
export const T0 = Date.UTC(2026, 0, 1);
export const NODE = 'node1';

export function container(name: string, overrides: Partial<Container> = {}): Container {
  return {
    name,
    image: 'busybox:1.36',
    imagePullPolicy: 'IfNotPresent',
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    ...overrides,
  };
}

/** An init container with restartPolicy Always. */
export function sidecar(name: string, overrides: Partial<Container> = {}): Container {
  return container(name, { restartPolicy: 'Always', ...overrides });
}

export interface DesiredPodOptions {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly containers?: readonly Container[];
  readonly initContainers?: readonly Container[];
  readonly restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  readonly terminationGracePeriodSeconds?: number;
  readonly spec?: Partial<PodSpec>;
  readonly file?: string;
}

export function desiredPod(opts: DesiredPodOptions = {}): DesiredPod {
  const name = opts.name ?? `web-${NODE}`;
  const namespace = opts.namespace ?? 'default';
  const uid = opts.uid ?? '6f1c3e0a9b8d7c6e5f4a3b2c1d0e9f8a';
  const file = opts.file ?? '/etc/kubernetes/manifests/web.yaml';
  const spec: PodSpec = {
    containers: [...(opts.containers ?? [container('app')])],
    ...(opts.initContainers ? { initContainers: [...opts.initContainers] } : {}),
    restartPolicy: opts.restartPolicy ?? 'Always',
    terminationGracePeriodSeconds: opts.terminationGracePeriodSeconds ?? 30,
    dnsPolicy: 'ClusterFirst',
    nodeName: NODE,
    ...opts.spec,
  };
  return {
    uid,
    namespace,
    name,
    pod: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace,
        uid,
        annotations: { 'kubernetes.io/config.source': 'file', 'kubernetes.io/config.hash': uid },
      },
      spec,
    },
    origin: { kind: 'Pod', file },
  };
}

function findSpecContainer(pod: DesiredPod, name: string): { container: Container; role: Exclude<ContainerRole, 'sandbox'> } | undefined {
  const init = pod.pod.spec?.initContainers?.find((c) => c.name === name);
  if (init) return { container: init, role: isSidecar(init) ? 'sidecar' : 'init' };
  const app = pod.pod.spec?.containers.find((c) => c.name === name);
  return app ? { container: app, role: 'app' } : undefined;
}

export interface InstanceOptions {
  readonly id?: string;
  readonly sandboxId?: string;
  readonly state?: ObservedState;
  readonly restartCount?: number;
  readonly exitCode?: number;
  readonly oomKilled?: boolean;
  readonly createdAt?: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  /** Defaults to the hash of the desired container (an unchanged definition). */
  readonly specHash?: string;
  /** Defaults to the role of the desired container (`app` for a name not in the spec). */
  readonly role?: Exclude<ContainerRole, 'sandbox'>;
  readonly image?: string;
  readonly error?: string;
}

function labelsFor(pod: DesiredPod, name: string, role: ContainerRole, specHash: string, restartCount: number, sandboxId?: string): Record<string, string> {
  return {
    ...toIdentityLabels({ node: NODE, podUid: pod.uid, podName: pod.name, podNamespace: pod.namespace, container: name, role, specHash, restartCount, sandboxId }),
    [LABELS.terminationGracePeriod]: String(pod.pod.spec?.terminationGracePeriodSeconds ?? 30),
  };
}

/** One Docker instance of a container of `pod`: running in sandbox `sb-0` unless told otherwise. */
export function instance(pod: DesiredPod, name: string, opts: InstanceOptions = {}): ObservedContainer {
  const spec = findSpecContainer(pod, name);
  const role = opts.role ?? spec?.role ?? 'app';
  const specHash = opts.specHash ?? (spec ? containerSpecHash(spec.container) : 'not-in-spec');
  const restartCount = opts.restartCount ?? 0;
  const sandboxId = opts.sandboxId ?? 'sb-0';
  const state = opts.state ?? 'running';
  const createdAt = opts.createdAt ?? T0 + restartCount * 1000;
  const startedAt = state === 'created' ? undefined : (opts.startedAt ?? createdAt + 100);
  const finishedAt = state === 'exited' ? (opts.finishedAt ?? createdAt + 500) : opts.finishedAt;
  return {
    id: opts.id ?? `${name}-${sandboxId}-${restartCount}`,
    name,
    role,
    podUid: pod.uid,
    podName: pod.name,
    podNamespace: pod.namespace,
    sandboxId,
    state,
    specHash,
    restartCount,
    image: opts.image ?? spec?.container.image ?? 'busybox:1.36',
    ...(state === 'exited' ? { exitCode: opts.exitCode ?? 0 } : {}),
    ...(opts.oomKilled !== undefined ? { oomKilled: opts.oomKilled } : {}),
    ...(opts.error !== undefined ? { error: opts.error } : {}),
    createdAt,
    ...(startedAt !== undefined ? { startedAt } : {}),
    ...(finishedAt !== undefined ? { finishedAt } : {}),
    labels: labelsFor(pod, name, role, specHash, restartCount, sandboxId),
  };
}

export interface SandboxOptions {
  readonly id?: string;
  readonly attempt?: number;
  readonly state?: ObservedState;
  readonly createdAt?: number;
  readonly finishedAt?: number;
}

/** The pause container of `pod`: `sb-<attempt>`, running, unless told otherwise. */
export function sandbox(pod: DesiredPod, opts: SandboxOptions = {}): ObservedContainer {
  const attempt = opts.attempt ?? 0;
  const state = opts.state ?? 'running';
  const createdAt = opts.createdAt ?? T0 - 60_000 + attempt * 1000;
  return {
    id: opts.id ?? `sb-${attempt}`,
    name: SANDBOX_CONTAINER_NAME,
    role: 'sandbox',
    podUid: pod.uid,
    podName: pod.name,
    podNamespace: pod.namespace,
    sandboxId: '',
    state,
    specHash: '',
    restartCount: attempt,
    image: 'registry.k8s.io/pause:3.10',
    ...(state === 'exited' ? { exitCode: 0, finishedAt: opts.finishedAt ?? createdAt + 1000 } : {}),
    createdAt,
    ...(state === 'created' ? {} : { startedAt: createdAt + 10 }),
    labels: labelsFor(pod, SANDBOX_CONTAINER_NAME, 'sandbox', '', attempt),
  };
}

export function observedPod(pod: DesiredPod, parts: { sandboxes?: readonly ObservedContainer[]; containers?: readonly ObservedContainer[] } = {}): ObservedPod {
  return {
    uid: pod.uid,
    name: pod.name,
    namespace: pod.namespace,
    sandboxes: [...(parts.sandboxes ?? [])],
    containers: [...(parts.containers ?? [])],
  };
}
