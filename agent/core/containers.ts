// Container rules that both the planner (sync/) and the status generator (status/) apply, and
// the printers and validation read: which init container is a sidecar, and whether an exited
// container is started again. Pure; in core/ so that one copy serves every layer.
import type { Container } from 'kubernetes-types/core/v1.js';
import type { ObservedContainer } from './runtime-types.js';

/**
 * An init container with restartPolicy Always: a sidecar (KEP-753), which keeps running beside
 * the app containers. Only an init container's restartPolicy means this; a Pod's restartPolicy
 * Always is the pod-level policy.
 */
export function isSidecar(initContainer: Container | undefined): boolean {
  return initContainer?.restartPolicy === 'Always';
}

/**
 * Exited, and by its restart policy never to be started again: the container's own policy when
 * it has one (a sidecar's Always), else the pod's (default Always). Never: any exit is final;
 * OnFailure: exit code 0 is.
 */
export function exitedForGood(container: Container | undefined, podRestartPolicy: string | undefined, instance: ObservedContainer | undefined): boolean {
  if (!instance || instance.state !== 'exited') return false;
  const policy = container?.restartPolicy ?? podRestartPolicy ?? 'Always';
  if (policy === 'Never') return true;
  return policy === 'OnFailure' && (instance.exitCode ?? 0) === 0;
}

/**
 * kubecontainer.ShouldContainerBeRestarted for the newest instance (the pod's deletion aside,
 * which callers check): none yet or created/unknown, yes; running, no; exited, unless
 * exitedForGood.
 */
export function shouldContainerBeRestarted(container: Container | undefined, podRestartPolicy: string | undefined, newest: ObservedContainer | undefined): boolean {
  if (!newest) return true;
  if (newest.state === 'running') return false;
  if (newest.state === 'unknown' || newest.state === 'created') return true;
  return !exitedForGood(container, podRestartPolicy, newest);
}
