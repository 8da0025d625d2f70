// What the agent remembers of each pod UID between passes, and loses on restart (kubelet keeps
// back-off in memory too): back-off entries, start failures, exit times, the reason cache.
// Everything else is read back from Docker's labels.
import type { ObservedPod } from '../core/runtime-types.js';
import type { BackoffEntry } from './backoff.js';
import type { StartFailure } from './execute.js';

export interface PodMemory {
  readonly backoff: Map<string, BackoffEntry>;
  readonly startFailures: Map<string, StartFailure>;
  /** Monotonic exit times by container ID (sync/exit-times.ts); undefined before the first pass. */
  exitTimes?: Map<string, number>;
  lastObserved?: ObservedPod;
  blockedStreak: number;
  lastError?: string;
  /** kubelet's "reason cache": why a container is not running now (CrashLoopBackOff, ErrImagePull...). */
  waiting: Map<string, { reason: string; message: string }>;
  /** The pod-start latency was observed once. */
  startRecorded?: boolean;
  /** The start-after-daemonsets gate's last "waiting for" list, to log only changes. */
  gateWaiting?: string;
}

export class PodMemoryStore {
  readonly #memory = new Map<string, PodMemory>();

  /** The memory of `uid`, created empty on first use. */
  of(uid: string): PodMemory {
    let m = this.#memory.get(uid);
    if (!m) {
      m = { backoff: new Map(), startFailures: new Map(), blockedStreak: 0, waiting: new Map() };
      this.#memory.set(uid, m);
    }
    return m;
  }

  /** Forget `uid` (terminated, or started over: a new pod gets fresh back-off). */
  delete(uid: string): void {
    this.#memory.delete(uid);
  }
}
