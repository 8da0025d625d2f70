// kubelet's admission of a manifest Pod on this node (canAdmitPod: node affinity and selector),
// kept apart from the agent so the agent only composes. A rejected pod shows as Failed and does
// not run; unlike kubelet, it is judged again whenever the node's labels change. Logs one line
// and records one event per change of verdict.
// Admit handlers that run before it (the eviction manager's: pressure conditions) judge every
// pod, DaemonSet pods included, as the kubelet's handler chain does.
import type { DesiredPod } from '../core/types.js';
import type { Logger } from '../log/logger.js';
import { involvedPod, type EventStore } from '../events/event-store.js';
import { admitStaticPod, type AdmitResult } from './eligibility.js';
import type { NodeIdentity } from './node-model.js';

export type Rejection = Extract<AdmitResult, { admit: false }>;

export class StaticPodAdmission {
  readonly #rejected = new Map<string, Rejection>();
  readonly #log: Logger;
  readonly #events: EventStore;
  #before?: (desired: DesiredPod) => Rejection | undefined;

  constructor(deps: { readonly logger: Logger; readonly events: EventStore }) {
    this.#log = deps.logger;
    this.#events = deps.events;
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
    const result = first ?? admitStaticPod(desired.pod, node);
    const before = this.#rejected.get(desired.uid);
    if (result.admit) {
      if (!before) return false;
      this.#rejected.delete(desired.uid);
      this.#log.info({ pod: `${desired.namespace}/${desired.name}` }, 'pod admitted after a node change');
      return true;
    }
    if (before?.reason === result.reason && before.message === result.message) return false;
    this.#rejected.set(desired.uid, result);
    this.#log.warn({ pod: `${desired.namespace}/${desired.name}`, reason: result.reason }, `pod rejected: ${result.message}`);
    this.#events.record(involvedPod(desired), 'Warning', result.reason, result.message);
    return true;
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

  /** The pod is gone from the manifests. */
  forget(uid: string): void {
    this.#rejected.delete(uid);
  }
}
