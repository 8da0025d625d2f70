// One serial worker per pod UID, different pods in parallel up to a bound, and a lifecycle per
// UID as in kubelet's pod_workers.go: syncing → terminating → terminated.
//
// - A worker never runs two passes of the same pod at once: a request that arrives while its
//   pass runs marks the pod dirty, and one more pass follows ("latest wins"; the pass reads the
//   latest desired state).
// - update() (the pod's spec changed) and terminate() cancel the pass in flight through its
//   AbortSignal; a plain enqueue() (a container event, a probe result, the relist) does not.
// - Once terminate() was called for a UID, its passes only terminate (kill, then clean up);
//   nothing of that UID starts again until a pass reports it terminated. A UID that is wanted
//   again meanwhile (restart(), or update() of a terminating UID, as when a manifest comes back)
//   starts over from nothing once terminated: kubelet will not restart a UID before its worker
//   finished (pod_workers.go UpdatePod: "pod is terminated, will not restart").
// - A static pod waits until no other static pod of its full name (namespace/name) has a worker
//   that started or is terminating: kubelet's allowStaticPodStart with
//   waitingToStartStaticPodsByFullname (first come, first started) and
//   startedStaticPodsByFullname (cleared when the worker of that UID is removed).
import type { Clock } from '../core/clock.js';

export type PodLifecycle = 'syncing' | 'terminating' | 'terminated';

/** What one pass is asked to do. */
export interface PodWork {
  /** 'sync': bring the pod to its desired state; 'terminate': stop and clean up everything of it. */
  readonly phase: 'sync' | 'terminate';
  /** Aborted when the pass is superseded (update, terminate) or the workers stop. */
  readonly signal: AbortSignal;
}

export interface PassResult {
  /** Monotonic time (clock.monotonic()) the pod wants to be looked at again, if any. */
  readonly requeueAt?: number;
  /** A terminate pass found nothing of the pod left: the UID is terminated. */
  readonly terminated?: boolean;
}

/** Identity the lifecycle needs: static pods wait on their full name. */
export interface PodIdentity {
  /** namespace/name. */
  readonly fullName: string;
  /** A manifest (static) pod: one UID of a full name runs at a time. */
  readonly isStatic: boolean;
}

export interface PodWorkersDeps {
  readonly parallelism: number;
  readonly clock: Clock;
  /** One pass for a pod. */
  readonly sync: (uid: string, work: PodWork) => Promise<PassResult>;
  readonly onError: (uid: string, err: unknown) => void;
  /** Delay before retrying a pass that threw. */
  readonly errorBackoffMs?: number;
  /** A UID's lifecycle changed (terminating, terminated, started again). */
  readonly onLifecycle?: (uid: string, state: PodLifecycle, info: LifecycleInfo) => void;
}

export interface LifecycleInfo {
  /** Wall time (clock.now()) termination was requested: the pod's deletionTimestamp. */
  readonly terminatingSince?: number;
  /** The grace period termination was asked with, if any (deletionGracePeriodSeconds). */
  readonly gracePeriodSeconds?: number;
}

interface WorkerState {
  identity: PodIdentity;
  lifecycle: PodLifecycle;
  /** A static pod allowed to start (kubelet's startedStaticPodsByFullname). */
  started: boolean;
  /** Wanted again once terminated (restart(), or the pod came back). */
  restartWhenTerminated: boolean;
  terminatingSince?: number;
  gracePeriodSeconds?: number;
  running: boolean;
  dirty: boolean;
  queued: boolean;
  /** Held back by allowStaticPodStart; enqueued again when the blocking worker is removed. */
  waitingForName: boolean;
  abort?: AbortController;
  timer?: { cancel(): void };
  timerAt?: number;
}

const NON_STATIC: PodIdentity = { fullName: '', isStatic: false };

export class PodWorkers {
  readonly #deps: PodWorkersDeps;
  readonly #workers = new Map<string, WorkerState>();
  readonly #ready: string[] = [];
  /** Static pods waiting for their full name, in arrival order (waitingToStartStaticPodsByFullname). */
  readonly #waitingByName = new Map<string, string[]>();
  #active = 0;
  #stopped = false;
  readonly #idleWaiters: (() => void)[] = [];

  constructor(deps: PodWorkersDeps) {
    this.#deps = deps;
  }

  /**
   * The pod is desired (new, or its spec changed): kubelet's UpdatePod(SyncPodUpdate). A pass in
   * flight is cancelled so the next one plans with the newest spec. A terminating UID is
   * started over once terminated.
   */
  update(uid: string, identity: PodIdentity): void {
    if (this.#stopped) return;
    const w = this.#state(uid, identity);
    w.identity = identity;
    if (w.lifecycle !== 'syncing') {
      w.restartWhenTerminated = true;
      return;
    }
    this.#cancel(w, 'pod updated');
    this.enqueue(uid);
  }

  /**
   * Stop the pod for good (removed, replaced by another UID, not desired): UpdatePod(SyncPodKill).
   * The pass in flight is cancelled; every later pass only terminates.
   */
  terminate(uid: string, identity: PodIdentity, opts: { gracePeriodSeconds?: number } = {}): void {
    if (this.#stopped) return;
    const w = this.#state(uid, identity);
    w.restartWhenTerminated = false;
    this.#beginTermination(uid, w, opts.gracePeriodSeconds);
  }

  /** Terminate the pod, then start the same UID afresh (`nodelet delete pod` of a static pod). */
  restart(uid: string, identity: PodIdentity): void {
    if (this.#stopped) return;
    const w = this.#state(uid, identity);
    this.#beginTermination(uid, w, undefined);
    w.restartWhenTerminated = true;
  }

  /** The lifecycle of `uid`, or undefined when it has no worker. */
  lifecycle(uid: string): PodLifecycle | undefined {
    return this.#workers.get(uid)?.lifecycle;
  }

  /** deletionTimestamp and grace of a terminating UID. */
  info(uid: string): LifecycleInfo | undefined {
    const w = this.#workers.get(uid);
    return w ? { terminatingSince: w.terminatingSince, gracePeriodSeconds: w.gracePeriodSeconds } : undefined;
  }

  /** UIDs whose worker is terminating (not yet terminated). */
  terminating(): string[] {
    return [...this.#workers].filter(([, w]) => w.lifecycle === 'terminating').map(([uid]) => uid);
  }

  /** A static pod of this full name other than `uid` started or is terminating (IsPodForMirrorPodTerminatingByFullName and more). */
  fullNameBusy(fullName: string, except?: string): boolean {
    for (const [uid, w] of this.#workers) {
      if (uid === except || !w.identity.isStatic || w.identity.fullName !== fullName) continue;
      if (w.lifecycle === 'terminating' || (w.lifecycle === 'syncing' && w.started)) return true;
    }
    return false;
  }

  /** Ask for a pass of `uid` as soon as a slot is free (a UID without a worker gets a syncing one). */
  enqueue(uid: string): void {
    if (this.#stopped) return;
    const w = this.#state(uid, NON_STATIC);
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
    const w = this.#state(uid, NON_STATIC);
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

  /** Forget a syncing pod's worker once it has nothing left (its timers are cancelled). */
  forget(uid: string): void {
    const w = this.#workers.get(uid);
    if (!w || w.running || w.queued || w.lifecycle === 'terminating') return;
    this.#remove(uid, w);
  }

  /** Resolves when no pass runs and none is queued (timers may still be pending). */
  async idle(): Promise<void> {
    if (this.#active === 0 && this.#ready.length === 0) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops taking work and cancels the passes in flight; resolves when they have returned. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#ready.length = 0;
    for (const w of this.#workers.values()) {
      w.timer?.cancel();
      w.queued = false;
      w.abort?.abort(new Error('pod workers stopping'));
    }
    await this.idle();
  }

  #beginTermination(uid: string, w: WorkerState, gracePeriodSeconds: number | undefined): void {
    if (w.lifecycle === 'syncing') {
      w.lifecycle = 'terminating';
      w.terminatingSince = this.#deps.clock.now();
      w.gracePeriodSeconds = gracePeriodSeconds;
      this.#dropWaiting(uid, w);
      this.#cancel(w, 'pod terminating');
      this.#deps.onLifecycle?.(uid, 'terminating', { terminatingSince: w.terminatingSince, gracePeriodSeconds });
    }
    this.enqueue(uid);
  }

  #cancel(w: WorkerState, reason: string): void {
    if (w.running) w.abort?.abort(new Error(reason));
  }

  #state(uid: string, identity: PodIdentity): WorkerState {
    let w = this.#workers.get(uid);
    if (!w) {
      w = { identity, lifecycle: 'syncing', started: false, restartWhenTerminated: false, running: false, dirty: false, queued: false, waitingForName: false };
      this.#workers.set(uid, w);
    }
    return w;
  }

  /** allowStaticPodStart: the first waiting UID of a free full name may start; the others wait. */
  #allowStart(uid: string, w: WorkerState): boolean {
    if (w.lifecycle !== 'syncing' || w.started || !w.identity.isStatic) return true;
    const name = w.identity.fullName;
    const queue = this.#waitingByName.get(name) ?? [];
    if (!queue.includes(uid)) queue.push(uid);
    this.#waitingByName.set(name, queue);
    if (queue[0] !== uid || this.fullNameBusy(name, uid)) {
      w.waitingForName = true;
      return false;
    }
    queue.shift();
    if (queue.length === 0) this.#waitingByName.delete(name);
    w.started = true;
    w.waitingForName = false;
    return true;
  }

  #dropWaiting(uid: string, w: WorkerState): void {
    const queue = this.#waitingByName.get(w.identity.fullName);
    if (!queue) return;
    const rest = queue.filter((u) => u !== uid);
    if (rest.length === 0) this.#waitingByName.delete(w.identity.fullName);
    else this.#waitingByName.set(w.identity.fullName, rest);
    if (w.waitingForName) this.#wakeWaiting(w.identity.fullName);
  }

  /** A full name was freed (or its queue changed): its first waiting pod may start now. */
  #wakeWaiting(fullName: string): void {
    const first = this.#waitingByName.get(fullName)?.[0];
    if (first !== undefined && this.#workers.get(first)?.waitingForName) this.enqueue(first);
  }

  #remove(uid: string, w: WorkerState): void {
    w.timer?.cancel();
    this.#workers.delete(uid);
    this.#dropWaiting(uid, w);
    if (w.identity.isStatic) this.#wakeWaiting(w.identity.fullName);
  }

  #pump(): void {
    while (!this.#stopped && this.#active < this.#deps.parallelism && this.#ready.length > 0) {
      const uid = this.#ready.shift();
      if (uid === undefined) break;
      const w = this.#state(uid, NON_STATIC);
      w.queued = false;
      if (!this.#allowStart(uid, w)) continue;
      w.running = true;
      w.dirty = false;
      w.abort = new AbortController();
      this.#active++;
      void this.#run(uid, w, w.abort.signal);
    }
    if (this.#active === 0 && this.#ready.length === 0) {
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  async #run(uid: string, w: WorkerState, signal: AbortSignal): Promise<void> {
    const phase = w.lifecycle === 'syncing' ? 'sync' : 'terminate';
    try {
      const result = await this.#deps.sync(uid, { phase, signal });
      if (phase === 'terminate' && result.terminated) this.#terminated(uid, w);
      else if (result.requeueAt !== undefined) this.enqueueAt(uid, result.requeueAt);
    } catch (err) {
      if (!signal.aborted) {
        this.#deps.onError(uid, err);
        this.enqueueAt(uid, this.#deps.clock.monotonic() + (this.#deps.errorBackoffMs ?? 1000));
      } else {
        w.dirty = true;
      }
    } finally {
      w.running = false;
      w.abort = undefined;
      this.#active--;
      if (w.dirty && this.#workers.get(uid) === w) {
        w.dirty = false;
        this.enqueue(uid);
      }
      this.#pump();
    }
  }

  /** Nothing of the UID is left: it starts over if wanted again, else its worker goes. */
  #terminated(uid: string, w: WorkerState): void {
    w.lifecycle = 'terminated';
    this.#deps.onLifecycle?.(uid, 'terminated', { terminatingSince: w.terminatingSince, gracePeriodSeconds: w.gracePeriodSeconds });
    if (!w.restartWhenTerminated) {
      w.dirty = false;
      this.#remove(uid, w);
      return;
    }
    // A fresh worker: the UID waits for its full name again like a new pod.
    w.dirty = false;
    this.#remove(uid, w);
    this.#state(uid, w.identity);
    this.#deps.onLifecycle?.(uid, 'syncing', {});
    this.enqueue(uid);
  }
}
