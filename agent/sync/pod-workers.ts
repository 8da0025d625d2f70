// One serial worker per pod UID, different pods in parallel up to a bound (kubelet's
// pod_workers.go). A worker never runs two passes of the same pod at once: a request that
// arrives while its pass runs marks the pod dirty, and one more pass follows. The pass always
// reads the latest desired state, so requests coalesce ("latest wins") without dropping a
// removal: a removed pod is simply one whose desired state is gone when its pass runs.
import type { Clock } from '../core/clock.js';

export interface PodWorkersDeps {
  readonly parallelism: number;
  readonly clock: Clock;
  /** One pass for a pod. Resolves with the time (clock.monotonic()) the pod wants to be looked at again, if any. */
  readonly sync: (uid: string) => Promise<{ requeueAt?: number }>;
  readonly onError: (uid: string, err: unknown) => void;
  /** Delay before retrying a pass that threw. */
  readonly errorBackoffMs?: number;
}

interface WorkerState {
  running: boolean;
  dirty: boolean;
  queued: boolean;
  timer?: { cancel(): void };
  timerAt?: number;
}

export class PodWorkers {
  readonly #deps: PodWorkersDeps;
  readonly #workers = new Map<string, WorkerState>();
  readonly #ready: string[] = [];
  #active = 0;
  #stopped = false;
  readonly #idleWaiters: (() => void)[] = [];

  constructor(deps: PodWorkersDeps) {
    this.#deps = deps;
  }

  /** Ask for a pass of `uid` as soon as a slot is free. */
  enqueue(uid: string): void {
    if (this.#stopped) return;
    const w = this.#state(uid);
    if (w.running) {
      w.dirty = true;
      return;
    }
    if (w.queued) return;
    w.queued = true;
    this.#ready.push(uid);
    this.#pump();
  }

  /**
   * Ask for a pass of `uid` at monotonic time `at` (keeps the earliest pending request). Never
   * wall time: a wall clock stepped back an hour would hold the pass back for an hour.
   */
  enqueueAt(uid: string, at: number): void {
    if (this.#stopped) return;
    const w = this.#state(uid);
    const delay = at - this.#deps.clock.monotonic();
    if (delay <= 0) {
      this.enqueue(uid);
      return;
    }
    if (w.timer && w.timerAt !== undefined && w.timerAt <= at) return;
    w.timer?.cancel();
    w.timerAt = at;
    w.timer = this.#deps.clock.setTimeout(() => {
      w.timer = undefined;
      w.timerAt = undefined;
      this.enqueue(uid);
    }, delay);
  }

  /** A worker exists for `uid`: a pass runs, is queued or has a timer, or it was not forgotten yet. */
  has(uid: string): boolean {
    return this.#workers.has(uid);
  }

  /** Forget a pod's worker once it has nothing left (its timers are cancelled). */
  forget(uid: string): void {
    const w = this.#workers.get(uid);
    if (!w || w.running || w.queued) return;
    w.timer?.cancel();
    this.#workers.delete(uid);
  }

  /** Resolves when no pass runs and none is queued (timers may still be pending). */
  async idle(): Promise<void> {
    if (this.#active === 0 && this.#ready.length === 0) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops taking work; resolves when running passes have finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#ready.length = 0;
    for (const w of this.#workers.values()) {
      w.timer?.cancel();
      w.queued = false;
    }
    await this.idle();
  }

  #state(uid: string): WorkerState {
    let w = this.#workers.get(uid);
    if (!w) {
      w = { running: false, dirty: false, queued: false };
      this.#workers.set(uid, w);
    }
    return w;
  }

  #pump(): void {
    while (!this.#stopped && this.#active < this.#deps.parallelism && this.#ready.length > 0) {
      const uid = this.#ready.shift();
      if (uid === undefined) break;
      const w = this.#state(uid);
      w.queued = false;
      w.running = true;
      w.dirty = false;
      this.#active++;
      void this.#run(uid, w);
    }
    if (this.#active === 0 && this.#ready.length === 0) {
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  async #run(uid: string, w: WorkerState): Promise<void> {
    try {
      const { requeueAt } = await this.#deps.sync(uid);
      if (requeueAt !== undefined) this.enqueueAt(uid, requeueAt);
    } catch (err) {
      this.#deps.onError(uid, err);
      this.enqueueAt(uid, this.#deps.clock.monotonic() + (this.#deps.errorBackoffMs ?? 1000));
    } finally {
      w.running = false;
      this.#active--;
      if (w.dirty) {
        w.dirty = false;
        this.enqueue(uid);
      }
      this.#pump();
    }
  }
}
