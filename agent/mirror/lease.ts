// The node Lease heartbeat, as kubelet's lease controller keeps it
// (staging/src/k8s.io/component-helpers/apimachinery/lease/controller.go,
// pkg/kubelet/util/nodelease.go): a coordination.k8s.io/v1 Lease named after the node in
// kube-node-lease, renewed every leaseDuration/4 with wait.JitterUntil's jitter. Renewal
// PUTs the cached lease (no GET); a 409 Conflict means someone else wrote it, so the lease
// is read again and the PUT retried.
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { KubeClient } from './kube-client.js';
import { isConflict, isNotFound } from './kube-client.js';
import { microTime } from '../core/time-format.js';

export const LEASE_NAMESPACE = 'kube-node-lease';
/** controller.go maxUpdateRetries. */
export const MAX_UPDATE_RETRIES = 5;

export interface LeaseTiming {
  /** nodeLeaseDurationSeconds, default 40. */
  readonly durationSeconds: number;
  /** renewInterval = duration × nodeLeaseRenewIntervalFraction (0.25) = 10 s. */
  readonly renewIntervalMs: number;
  /** JitterUntil's factor, 0.04: each period is stretched by up to 4 %. */
  readonly jitterFactor: number;
}

export const DEFAULT_LEASE_TIMING: LeaseTiming = { durationSeconds: 40, renewIntervalMs: 10_000, jitterFactor: 0.04 };

/** wait.Jitter: period + random × factor × period. */
export function jitteredPeriod(periodMs: number, factor: number, random: number): number {
  return Math.round(periodMs + random * factor * periodMs);
}

export interface NodeOwner {
  readonly name: string;
  readonly uid: string;
}

/**
 * newLease: the base (or a fresh object) with holder, duration and renewTime = now; the owner
 * reference to the Node is added once the Node's uid is known, and never replaced.
 */
export function renewedLease(nodeName: string, timing: LeaseTiming, now: number, owner: NodeOwner | undefined, base?: Lease): Lease {
  const metadata = { ...(base?.metadata ?? {}), name: nodeName, namespace: LEASE_NAMESPACE };
  if (owner && (metadata.ownerReferences ?? []).length === 0) {
    metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: owner.name, uid: owner.uid }];
  }
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata,
    spec: { ...(base?.spec ?? {}), holderIdentity: nodeName, leaseDurationSeconds: timing.durationSeconds, renewTime: microTime(now) },
  };
}

export interface LeaseHeartbeatDeps {
  readonly client: () => KubeClient;
  readonly nodeName: string;
  readonly owner: () => NodeOwner | undefined;
  /** Wall clock: the lease's renewTime. */
  readonly now: () => number;
  /** Monotonic clock: when the next renewal is due. */
  readonly monotonic: () => number;
  readonly random: () => number;
  readonly timing: LeaseTiming;
}

/** One renewal per run(); the reporter calls it when nextDue() has come. */
export class LeaseHeartbeat {
  readonly #d: LeaseHeartbeatDeps;
  #latest?: Lease;
  #nextRenewAt = 0;

  constructor(deps: LeaseHeartbeatDeps) {
    this.#d = deps;
  }

  nextDue(): number {
    return this.#nextRenewAt;
  }

  async run(): Promise<void> {
    await this.#sync();
    const now = this.#d.monotonic();
    // JitterUntil with sliding=true: the period starts when the sync has finished.
    this.#nextRenewAt = now + jitteredPeriod(this.#d.timing.renewIntervalMs, this.#d.timing.jitterFactor, this.#d.random());
  }

  async #sync(): Promise<void> {
    if (this.#latest) {
      await this.#retryUpdate(this.#latest);
      return;
    }
    const { lease, created } = await this.#ensure();
    this.#latest = lease;
    if (!created) await this.#retryUpdate(lease);
  }

  /** GET the lease; create it when it does not exist. */
  async #ensure(): Promise<{ lease: Lease; created: boolean }> {
    const client = this.#d.client();
    try {
      return { lease: await client.getLease(LEASE_NAMESPACE, this.#d.nodeName), created: false };
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const fresh = renewedLease(this.#d.nodeName, this.#d.timing, this.#d.now(), this.#d.owner());
    return { lease: await client.createLease(fresh), created: true };
  }

  async #retryUpdate(base: Lease): Promise<void> {
    let current = base;
    let lastError: unknown;
    for (let i = 0; i < MAX_UPDATE_RETRIES; i++) {
      try {
        this.#latest = await this.#d.client().updateLease(renewedLease(this.#d.nodeName, this.#d.timing, this.#d.now(), this.#d.owner(), current));
        return;
      } catch (err) {
        lastError = err;
        // An optimistic-lock failure: read the newer version and try again. NotFound: the
        // lease went away (its Node was deleted): ensure creates it again.
        if (!isConflict(err) && !isNotFound(err)) break;
        const { lease, created } = await this.#ensure();
        this.#latest = lease;
        if (created) return;
        current = lease;
      }
    }
    // Start over from a GET next time: the cached copy may be what is wrong.
    this.#latest = undefined;
    throw lastError;
  }
}
