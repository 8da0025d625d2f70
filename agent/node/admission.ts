// kubelet's admission of a manifest Pod on this node (canAdmitPod: node affinity and selector,
// then the resource fit against allocatable, pkg/kubelet/lifecycle/predicate.go), kept apart
// from the agent so the agent only composes. A rejected pod shows as Failed and does not run;
// unlike kubelet, it is judged again whenever the node's labels change, and a pod rejected for
// resources is judged again whenever resources free up (retryRejected), critical pods first.
// An admitted pod is never rejected later for resources (kubelet admits once). Logs one line and
// records one event per change of verdict.
// Admit handlers that run before it (the eviction manager's: pressure conditions) judge every
// pod, DaemonSet pods included, as the kubelet's handler chain does.
import type { DesiredPod } from '../core/types.js';
import type { Logger } from '../log/logger.js';
import { involvedPod, type EventStore } from '../events/event-store.js';
import { admitStaticPod, type AdmitResult } from './eligibility.js';
import type { NodeIdentity } from './node-model.js';
import { podRequests, type ResourceAmounts } from '../qos/pod-resources.js';
import { insufficientResource, insufficientResourceMessage, insufficientResourceReason, sumRequests } from '../qos/resource-fit.js';
import { isCriticalPod, podPriority } from '../qos/priority.js';

export type Rejection = Extract<AdmitResult, { admit: false }>;

/** What the resource fit needs: the node's allocatable and the pods that hold resources now. */
export interface AdmissionResources {
  /** status.allocatable as amounts (cpu, memory, ephemeral-storage, pods). */
  allocatable(): ReadonlyMap<string, bigint>;
  /** Pods that hold resources: admitted, not terminal, including those still terminating. */
  activePods(): Iterable<DesiredPod>;
}

/**
 * The kubelet's admission order for a batch (HandlePodAdditions sorts by creation time; its
 * preemption lets critical pods in ahead of others): critical pods first, then higher priority,
 * then the earlier `kubernetes.io/config.seen`, then the name.
 */
export function admissionOrder(a: DesiredPod, b: DesiredPod): number {
  const critical = Number(isCriticalPod(b.pod)) - Number(isCriticalPod(a.pod));
  if (critical !== 0) return critical;
  const priority = podPriority(b.pod) - podPriority(a.pod);
  if (priority !== 0) return priority;
  const seen = (d: DesiredPod): string => d.pod.metadata?.annotations?.['kubernetes.io/config.seen'] ?? '';
  return seen(a).localeCompare(seen(b)) || `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`);
}

export class StaticPodAdmission {
  readonly #rejected = new Map<string, Rejection>();
  /** Pods whose resources were admitted: they keep them (kubelet never re-admits a running pod). */
  readonly #fit = new Set<string>();
  readonly #log: Logger;
  readonly #events: EventStore;
  readonly #resources?: AdmissionResources;
  #before?: (desired: DesiredPod) => Rejection | undefined;

  constructor(deps: { readonly logger: Logger; readonly events: EventStore; readonly resources?: AdmissionResources }) {
    this.#log = deps.logger;
    this.#events = deps.events;
    if (deps.resources) this.#resources = deps.resources;
  }

  /**
   * Judges `desired` on `node`; returns whether its verdict changed (the pod must be synced
   * again). The handler set with setBefore (eviction: pressure) judges every pod first; the
   * predicate judges only manifest Pods: a daemon pod was placed by its DaemonSet's own
   * eligibility check, and counts as changed so that it is looked at again.
   */
  admit(desired: DesiredPod, node: NodeIdentity): boolean {
    const first = this.#before?.(desired);
    if (!first && desired.origin.kind !== 'Pod') {
      this.#rejected.delete(desired.uid);
      return true;
    }
    const affinity = first ?? admitStaticPod(desired.pod, node);
    const result = affinity.admit ? this.#fitResources(desired) : affinity;
    const before = this.#rejected.get(desired.uid);
    if (result.admit) {
      if (!before) return false;
      this.#rejected.delete(desired.uid);
      this.#log.info({ pod: `${desired.namespace}/${desired.name}`, was: before.reason }, before.reason.startsWith('OutOf') ? 'pod admitted: resources were freed' : 'pod admitted after a node change');
      return true;
    }
    if (before?.reason === result.reason && before.message === result.message) return false;
    this.#rejected.set(desired.uid, result);
    this.#log.warn({ pod: `${desired.namespace}/${desired.name}`, reason: result.reason }, `pod rejected: ${result.message}`);
    this.#events.record(involvedPod(desired), 'Warning', result.reason, result.message);
    return true;
  }

  /** The resource fit (noderesources Fits); an admitted pod keeps its place. */
  #fitResources(desired: DesiredPod): AdmitResult {
    const resources = this.#resources;
    if (!resources || this.#fit.has(desired.uid)) return { admit: true };
    const others: ResourceAmounts[] = [];
    for (const p of resources.activePods()) {
      if (p.uid === desired.uid || this.#rejected.has(p.uid)) continue;
      others.push(podRequests(p.pod));
    }
    const short = insufficientResource(podRequests(desired.pod), sumRequests(others), others.length, resources.allocatable());
    if (short) return { admit: false, reason: insufficientResourceReason(short), message: insufficientResourceMessage(short) };
    this.#fit.add(desired.uid);
    return { admit: true };
  }

  /** An admit handler judged before the predicate one (the eviction manager's), for every pod. */
  setBefore(handler: (desired: DesiredPod) => Rejection | undefined): void {
    this.#before = handler;
  }

  /** Why `uid` was rejected, if it was. */
  rejection(uid: string): Rejection | undefined {
    return this.#rejected.get(uid);
  }

  isRejected(uid: string): boolean {
    return this.#rejected.has(uid);
  }

  /** Pods rejected for resources (OutOf*), in admission order: to judge again once some are freed. */
  rejectedForResources(pods: ReadonlyMap<string, DesiredPod>): DesiredPod[] {
    const out: DesiredPod[] = [];
    for (const [uid, r] of this.#rejected) {
      const d = pods.get(uid);
      if (d && r.reason.startsWith('OutOf')) out.push(d);
    }
    return out.sort(admissionOrder);
  }

  /** The pod is gone from the manifests. */
  forget(uid: string): void {
    this.#rejected.delete(uid);
    this.#fit.delete(uid);
  }
}
