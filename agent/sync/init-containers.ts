// The init-container half of the planner: kubelet's computeInitContainerActions
// (kuberuntime_container.go, SidecarContainers semantics) as a pure decision over the
// instances of the current sandbox. plan.ts turns the decision into actions (and applies
// CrashLoopBackOff to the starts).
import type { Container } from 'kubernetes-types/core/v1.js';
import type { KillReason, ObservedContainer } from '../core/runtime-types.js';
import { isSidecar } from '../core/containers.js';

/** Which probe failed, as the prober reports it (issue 4). */
export type ProbeFailure = 'LivenessProbe' | 'StartupProbe';

export interface ContainerKill {
  readonly instance: ObservedContainer;
  readonly reason: KillReason;
  readonly message: string;
}

export type InitDecision =
  /** A regular init container failed and the pod's restartPolicy is Never: the pod has failed. */
  | { readonly kind: 'failed'; readonly container: string }
  | {
      readonly kind: 'progress';
      /** Every regular init container has succeeded and every sidecar has started. */
      readonly initialized: boolean;
      /** Indexes into spec.initContainers, in spec order. */
      readonly toStart: readonly number[];
      readonly toKill: readonly ContainerKill[];
    };

export interface InitInputs {
  readonly initContainers: readonly Container[];
  /** Newest instance of a container name in the current sandbox. */
  readonly current: (name: string) => ObservedContainer | undefined;
  /**
   * Some app container was created in the current sandbox: the init containers all ran to
   * completion before (they may have been removed since), so only sidecars are looked after.
   */
  readonly appContainerCreated: boolean;
  /** restartPolicy is not Never. */
  readonly restartOnFailure: boolean;
  readonly expectedHash: (container: Container) => string;
  readonly unhealthy: ReadonlyMap<string, ProbeFailure>;
}

/** kubelet isInitContainerFailed: OOM-killed, non-zero exit, or a state we cannot read. */
export function isInitContainerFailed(instance: ObservedContainer): boolean {
  if (instance.state === 'unknown') return true;
  return instance.state === 'exited' && (instance.oomKilled === true || (instance.exitCode ?? 0) !== 0);
}

function unknownStateKill(instance: ObservedContainer): ContainerKill {
  return { instance, reason: 'Unknown', message: `Init container is in "${instance.state}" state, try killing it before restart` };
}

/**
 * Walks the init containers backwards, as kubelet does, because completed init containers
 * may have been removed: the last one with an instance tells how far initialisation got.
 */
export function computeInitActions(input: InitInputs): InitDecision {
  const { initContainers } = input;
  if (initContainers.length === 0) return { kind: 'progress', initialized: true, toStart: [], toKill: [] };

  let initialized = input.appContainerCreated;
  let previouslyInitialized = input.appContainerCreated;
  const toStart: number[] = [];
  const toKill: ContainerKill[] = [];

  for (let i = initContainers.length - 1; i >= 0; i--) {
    const container = initContainers[i];
    if (!container) continue;
    const sidecar = isSidecar(container);
    const instance = input.current(container.name);

    if (!instance) {
      // Initialised before, but this sidecar is gone (removed by hand): bring it back.
      if (previouslyInitialized && sidecar) toStart.push(i);
      continue;
    }
    if (previouslyInitialized && !sidecar) continue;

    switch (instance.state) {
      case 'created':
        // Created but never started: the runtime failed to start it. Start a fresh one.
        toKill.push({ instance, reason: 'Unknown', message: `Init container is in "created" state, try killing it before restart` });
        toStart.push(i);
        break;

      case 'running': {
        if (!sidecar) break; // a regular init container: wait for it to finish
        const probe = input.unhealthy.get(container.name);
        if (probe === 'StartupProbe') {
          toKill.push({ instance, reason: 'StartupProbe', message: `Init container ${container.name} failed startup probe` });
          toStart.push(i);
          break;
        }
        // A started sidecar lets the next init container run.
        if (i === initContainers.length - 1) initialized = true;
        else if (!previouslyInitialized) toStart.push(i + 1);

        if (instance.specHash !== input.expectedHash(container)) {
          toKill.push({ instance, reason: 'SpecChanged', message: `Init container ${container.name} definition changed` });
          toStart.push(i);
          break;
        }
        if (probe === 'LivenessProbe') {
          toKill.push({ instance, reason: 'LivenessProbe', message: `Init container ${container.name} failed liveness probe` });
          toStart.push(i);
        }
        break;
      }

      case 'exited':
        if (sidecar) {
          // Sidecars restart whatever the pod's restartPolicy (with back-off).
          toStart.push(i);
          break;
        }
        if (isInitContainerFailed(instance)) {
          if (!input.restartOnFailure) return { kind: 'failed', container: container.name };
          toStart.push(i);
          break;
        }
        if (i === initContainers.length - 1) initialized = true;
        else toStart.push(i + 1);
        break;

      case 'unknown':
        if (!sidecar && !input.restartOnFailure) return { kind: 'failed', container: container.name };
        toKill.push(unknownStateKill(instance));
        toStart.push(i);
        break;
    }

    previouslyInitialized = true;
  }

  if (!previouslyInitialized) toStart.push(0);
  toStart.reverse();
  return { kind: 'progress', initialized, toStart, toKill };
}
