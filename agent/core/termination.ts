// What stopping a container needs without its pod spec: kubelet's minimum grace period and the
// preStop handler, which translate/ writes into the container's labels and the executor reads
// back (lifecycle/hooks.ts runs it). Pure; in core/ so that translate/ need not import lifecycle/.
import type { Container, ContainerPort, LifecycleHandler } from 'kubernetes-types/core/v1.js';

/** kubelet's minimumGracePeriodInSeconds: no container is stopped with less. */
export const MINIMUM_GRACE_PERIOD_SECONDS = 2;

/**
 * kubelet keeps the preStop handler (and the ports it may name) in the container's
 * annotations, which cri-dockerd stores as `annotation.*` labels, so a container whose pod is
 * gone from the manifests still gets its preStop hook when it is stopped.
 */
export const PRE_STOP_HANDLER_LABEL = 'annotation.io.kubernetes.container.preStopHandler';
export const CONTAINER_PORTS_LABEL = 'annotation.io.kubernetes.container.ports';

/** The labels that let a preStop hook run without the pod spec (newContainerAnnotations). */
export function preStopLabels(container: Pick<Container, 'lifecycle' | 'ports'>): Record<string, string> {
  const out: Record<string, string> = {};
  const preStop = container.lifecycle?.preStop;
  if (preStop) out[PRE_STOP_HANDLER_LABEL] = JSON.stringify(preStop);
  if (container.ports && container.ports.length > 0) out[CONTAINER_PORTS_LABEL] = JSON.stringify(container.ports);
  return out;
}

/** restoreSpecsFromContainerLabels, for the preStop hook: undefined when there is none (or it does not parse). */
export function preStopFromLabels(labels: Readonly<Record<string, string>>): { handler: LifecycleHandler; ports: ContainerPort[] } | undefined {
  const raw = labels[PRE_STOP_HANDLER_LABEL];
  if (!raw) return undefined;
  try {
    const handler = JSON.parse(raw) as unknown;
    if (typeof handler !== 'object' || handler === null || Array.isArray(handler)) return undefined;
    const portsRaw = labels[CONTAINER_PORTS_LABEL];
    const ports = portsRaw ? (JSON.parse(portsRaw) as unknown) : [];
    return { handler: handler as LifecycleHandler, ports: Array.isArray(ports) ? (ports as ContainerPort[]) : [] };
  } catch {
    return undefined;
  }
}
