// One Kubernetes container → nodelet's runtime-neutral ContainerSpec, in kubelet's order
// (kuberuntime_container.go generateContainerConfig): environment, mounts, runAsNonRoot,
// command/args expansion, then the Linux config (resources, security, namespaces). Any
// failure is kubelet's CreateContainerConfigError with kubelet's message.
import type { Container } from 'kubernetes-types/core/v1.js';
import type { DesiredPod } from '../core/types.js';
import type { ContainerRole, ContainerSpec, NamespaceSpec } from '../core/runtime-types.js';
import { dockerContainerName, LABELS, toIdentityLabels } from '../core/labels.js';
import { containerSpecHash } from './spec-hash.js';
import { MINIMUM_GRACE_PERIOD_SECONDS, preStopLabels } from '../core/termination.js';
import { DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS, DEFAULT_TERMINATION_MESSAGE_PATH } from '../manifest/defaults.js';
import { computeEnv, toDockerEnv } from './env.js';
import { expandVars } from './expand.js';
import { toResourceSpec } from './resources.js';
import { containerOomScoreAdj, restrictOomScoreAdj } from '../qos/oom-score.js';
import { toContainerSecurity, verifyRunAsNonRoot } from './security.js';
import { podsBase, toMounts } from './volumes.js';
import type { TranslateContext } from './context.js';

// The executor's one entry point into translate/: the context and both translations.
export type { NodeAllocatable } from './env.js';

export interface TranslateOptions {
  /**
   * The image's `Config.User` (from image inspect). Needed for kubelet's runAsNonRoot check and
   * for runAsGroup without runAsUser; when undefined the check is skipped and root is assumed.
   */
  readonly imageUser?: string;
}

export type TranslateResult =
  | { readonly ok: true; readonly spec: ContainerSpec }
  | { readonly ok: false; readonly reason: 'CreateContainerConfigError'; readonly message: string };

function configError(message: string): TranslateResult {
  return { ok: false, reason: 'CreateContainerConfigError', message };
}

/** Containers join the sandbox's network and IPC; PID is shared only with shareProcessNamespace. */
function containerNamespaces(pod: DesiredPod): NamespaceSpec {
  const spec = pod.pod.spec;
  return {
    network: { mode: 'sandbox' },
    ipc: 'sandbox',
    pid: spec?.hostPID ? 'host' : spec?.shareProcessNamespace ? 'sandbox' : 'private',
  };
}

/** Seconds Docker waits after SIGTERM: the pod's grace period, at least kubelet's 2 s minimum. */
export function stopTimeoutSeconds(pod: DesiredPod): number {
  return Math.max(MINIMUM_GRACE_PERIOD_SECONDS, pod.pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS);
}

function containerLabels(pod: DesiredPod, container: Container, role: Exclude<ContainerRole, 'sandbox'>, restartCount: number, ctx: TranslateContext): Record<string, string> {
  const labels = toIdentityLabels({
    node: ctx.nodeName,
    podUid: pod.uid,
    podName: pod.name,
    podNamespace: pod.namespace,
    container: container.name,
    role,
    specHash: containerSpecHash(container),
    restartCount,
  });
  // preStop and ports travel with the container, as kubelet's annotations do, so a pod whose
  // manifest is gone (or an agent restarted meanwhile) still runs its preStop hook.
  Object.assign(labels, preStopLabels(container));
  labels[LABELS.terminationMessagePath] = container.terminationMessagePath ?? DEFAULT_TERMINATION_MESSAGE_PATH;
  labels[LABELS.terminationMessagePolicy] = container.terminationMessagePolicy ?? 'File';
  const grace = pod.pod.spec?.terminationGracePeriodSeconds;
  if (grace !== undefined) labels[LABELS.terminationGracePeriod] = String(grace);
  return labels;
}

/**
 * `container` of `pod` as instance `restartCount`. `command`/`args` are expanded with the
 * final environment; an empty or missing one keeps the image's ENTRYPOINT/CMD.
 */
export function toContainerSpec(
  pod: DesiredPod,
  container: Container,
  role: Exclude<ContainerRole, 'sandbox'>,
  restartCount: number,
  ctx: TranslateContext,
  options: TranslateOptions = {},
): TranslateResult {
  const env = computeEnv(pod.pod, container, ctx);
  if (!env.ok) return configError(env.message);
  const mounts = toMounts(pod, container, env.env, podsBase(ctx, pod.uid), restartCount);
  if (!mounts.ok) return configError(mounts.message);
  const nonRoot = verifyRunAsNonRoot(pod.pod, container, options.imageUser);
  if (nonRoot) return configError(nonRoot);
  const security = toContainerSecurity(pod.pod, container, { stateDir: ctx.stateDir, imageUser: options.imageUser });
  if (!security.ok) return configError(security.message);

  const values = new Map(env.env.map((e) => [e.name, e.value]));
  const expand = (s: string): string => expandVars(s, (name) => values.get(name));
  const command = container.command?.length ? container.command.map(expand) : undefined;
  const args = container.args?.length ? container.args.map(expand) : undefined;

  return {
    ok: true,
    spec: {
      dockerName: dockerContainerName(container.name, pod.name, pod.namespace, pod.uid, restartCount),
      image: container.image ?? '',
      ...(command ? { entrypoint: command } : {}),
      ...(args ? { cmd: args } : {}),
      env: toDockerEnv(env.env),
      ...(container.workingDir ? { workingDir: container.workingDir } : {}),
      tty: container.tty === true,
      openStdin: container.stdin === true,
      stdinOnce: container.stdinOnce === true,
      mounts: mounts.mounts,
      namespaces: containerNamespaces(pod),
      portBindings: [],
      extraHosts: [],
      resources: toResourceSpec(container),
      security: security.security,
      stopTimeout: stopTimeoutSeconds(pod),
      labels: containerLabels(pod, container, role, restartCount, ctx),
      oomScoreAdj: restrictOomScoreAdj(containerOomScoreAdj(pod.pod, container, ctx.memoryCapacityBytes ?? ctx.nodeAllocatable.memoryBytes), ctx.minOomScoreAdj),
    },
  };
}
