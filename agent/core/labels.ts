// Docker labels are the record of what runs: the agent keeps no other database of containers.
// The io.kubernetes.* keys follow cri-dockerd, so tools that know kubelet's Docker layout
// (and people) read nodelet's containers the same way; io.nodelet.* carries what only
// nodelet needs. Defined once here, with the pure decoder beside them.
import { CONTAINER_ROLES, type ContainerRole } from './runtime-types.js';

export const LABELS = {
  // cri-dockerd / kubelet
  podName: 'io.kubernetes.pod.name',
  podNamespace: 'io.kubernetes.pod.namespace',
  podUid: 'io.kubernetes.pod.uid',
  containerName: 'io.kubernetes.container.name',
  dockerType: 'io.kubernetes.docker.type',
  sandboxId: 'io.kubernetes.sandbox.id',
  containerHash: 'annotation.io.kubernetes.container.hash',
  restartCount: 'annotation.io.kubernetes.container.restartCount',
  terminationMessagePath: 'annotation.io.kubernetes.container.terminationMessagePath',
  terminationMessagePolicy: 'annotation.io.kubernetes.container.terminationMessagePolicy',
  terminationGracePeriod: 'annotation.io.kubernetes.pod.terminationGracePeriod',
  // nodelet
  managed: 'io.nodelet.managed',
  role: 'io.nodelet.container.role',
  /** Which node (agent) owns the container: two agents may share one engine in tests. */
  node: 'io.nodelet.node',
} as const;

export const SANDBOX_CONTAINER_NAME = 'POD';

/** Docker name as cri-dockerd builds it: k8s_<container>_<pod>_<namespace>_<uid>_<attempt>. */
export function dockerContainerName(container: string, podName: string, namespace: string, uid: string, attempt: number): string {
  return ['k8s', container, podName, namespace, uid, String(attempt)].join('_');
}

export interface IdentityLabels {
  readonly node: string;
  readonly podUid: string;
  readonly podName: string;
  readonly podNamespace: string;
  readonly container: string;
  readonly role: ContainerRole;
  readonly specHash: string;
  readonly restartCount: number;
  readonly sandboxId?: string;
}

export function toIdentityLabels(l: IdentityLabels): Record<string, string> {
  const out: Record<string, string> = {
    [LABELS.managed]: 'true',
    [LABELS.node]: l.node,
    [LABELS.podUid]: l.podUid,
    [LABELS.podName]: l.podName,
    [LABELS.podNamespace]: l.podNamespace,
    [LABELS.containerName]: l.container,
    [LABELS.role]: l.role,
    [LABELS.dockerType]: l.role === 'sandbox' ? 'podsandbox' : 'container',
    [LABELS.containerHash]: l.specHash,
    [LABELS.restartCount]: String(l.restartCount),
  };
  if (l.sandboxId) out[LABELS.sandboxId] = l.sandboxId;
  return out;
}

/** Reads identity back from labels; undefined when the container is not one of ours. */
export function fromIdentityLabels(labels: Readonly<Record<string, string>>): IdentityLabels | undefined {
  if (labels[LABELS.managed] !== 'true') return undefined;
  const podUid = labels[LABELS.podUid];
  const podName = labels[LABELS.podName];
  const podNamespace = labels[LABELS.podNamespace];
  const container = labels[LABELS.containerName];
  const role = labels[LABELS.role];
  if (!podUid || !podName || !podNamespace || !container || !role || !(CONTAINER_ROLES as readonly string[]).includes(role)) return undefined;
  const restart = Number.parseInt(labels[LABELS.restartCount] ?? '0', 10);
  return {
    node: labels[LABELS.node] ?? '',
    podUid,
    podName,
    podNamespace,
    container,
    role: role as ContainerRole,
    specHash: labels[LABELS.containerHash] ?? '',
    restartCount: Number.isFinite(restart) && restart >= 0 ? restart : 0,
    sandboxId: labels[LABELS.sandboxId],
  };
}
