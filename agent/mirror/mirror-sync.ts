// Carries out the mirror-pod plan against the API server. Local status is compared every
// poll (1 s: this is the rate limit for status PATCHes of one pod). The pods on the node are
// known from a LIST followed by a WATCH from the list's resourceVersion (client-go's
// ListAndWatch with the Node authorizer's spec.nodeName selector; the server ends each watch
// after 5-10 minutes and it is started again from the last resourceVersion), so a mirror
// deleted with kubectl comes back within a poll. If the watch cannot be had (an error, a 410
// Gone, a server or transport that cannot stream), the pods are listed again every resync
// period (10 s) instead, and the watch is tried again after each such LIST. A failure of
// a write, or a mirror that turns out to be gone, also lists again.
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import type { KubeClient } from './kube-client.js';
import { isAlreadyExists, isConflict, isNotFound, isServerUnavailable, KubeApiError, type WatchEvent, type WatchHandle } from './kube-client.js';
import type { NodeOwner } from './lease.js';
import { type ExistingMirror, indexMirrors, MIRROR_ANNOTATION, type MirrorAction, planMirrors, podKey, toExistingMirror } from './mirror-pods.js';
import { errorMessage } from '../core/errors.js';
import { mergePodStatus, podStatusPatch } from './two-way-patch.js';

export interface MirrorSyncTiming {
  /** How often local pod status is compared with what was written. */
  readonly pollMs: number;
  /** How often the node's pods are listed again. */
  readonly resyncMs: number;
  /** At most this many writes per poll; the rest wait for the next one. */
  readonly maxWritesPerPoll: number;
  /** Backoff of one pod whose mirror the API server refuses (e.g. 403, 422). */
  readonly failureInitialMs: number;
  readonly failureMaxMs: number;
}

export const DEFAULT_MIRROR_TIMING: MirrorSyncTiming = { pollMs: 1000, resyncMs: 10_000, maxWritesPerPoll: 20, failureInitialMs: 10_000, failureMaxMs: 5 * 60_000 };

export interface MirrorSyncDeps {
  readonly client: () => KubeClient;
  readonly nodeName: string;
  readonly owner: () => NodeOwner | undefined;
  /** The pods nodelet runs, with status; undefined while the agent has not finished its first sync. */
  readonly pods: () => readonly Pod[] | undefined;
  /** Monotonic clock (polls, resyncs and retries are all delays; nothing here is a timestamp). */
  readonly now: () => number;
  readonly timing: MirrorSyncTiming;
  /** Spreads watch timeouts (the reflector's 5-10 minutes). */
  readonly random?: () => number;
  /** A watch that failed (logged once per distinct message). */
  readonly warn?: (message: string, details: Record<string, unknown>) => void;
  /** A pod the API server refuses to mirror (logged once per distinct message). */
  readonly problem: (message: string, details: Record<string, unknown>) => void;
  readonly info: (message: string, details: Record<string, unknown>) => void;
}

export class MirrorSync {
  readonly #d: MirrorSyncDeps;
  #known = new Map<string, ExistingMirror>();
  #listedAt = Number.NEGATIVE_INFINITY;
  #stale = true;
  readonly #sent = new Map<string, PodStatus>();
  readonly #failures = new Map<string, { count: number; retryAt: number; message: string }>();
  #nextPollAt = 0;
  /** resourceVersion of the last LIST or watch event: where the next watch starts. */
  #resourceVersion = '';
  #watch?: WatchHandle;
  #watchError?: string;
  #watchFailures = 0;
  /** After failures the watch is tried again at most every resync × 2^n, up to 5 minutes. */
  #watchRetryAt = 0;
  #stopped = false;

  constructor(deps: MirrorSyncDeps) {
    this.#d = deps;
  }

  /** Whether a watch is running (tests and the idle request count). */
  get watching(): boolean {
    return this.#watch !== undefined;
  }

  stop(): void {
    this.#stopped = true;
    this.#watch?.cancel();
    this.#watch = undefined;
  }

  nextDue(): number {
    return this.#nextPollAt;
  }

  async run(): Promise<void> {
    const node = this.#d.owner();
    const desired = this.#d.pods();
    if (node && desired) await this.#sync(node, desired);
    this.#nextPollAt = this.#d.now() + this.#d.timing.pollMs;
  }

  async #sync(node: NodeOwner, desired: readonly Pod[]): Promise<void> {
    const now = this.#d.now();
    if (this.#stale || (!this.#watch && now - this.#listedAt >= this.#d.timing.resyncMs)) {
      this.#watch?.cancel();
      this.#watch = undefined;
      const { items, resourceVersion } = await this.#d.client().listNodePodsVersioned(this.#d.nodeName);
      this.#known = indexMirrors(items);
      this.#resourceVersion = resourceVersion;
      this.#listedAt = now;
      this.#stale = false;
      const live = new Set([...this.#known.values()].map((m) => m.uid));
      for (const uid of this.#sent.keys()) if (!live.has(uid)) this.#sent.delete(uid);
      this.#startWatch();
    } else if (!this.#watch && this.#watchError === undefined) {
      // The server ended the last watch normally: go on from where it stopped.
      this.#startWatch();
    }
    const relevant = new Set([...desired.map((p) => podKey(p.metadata?.namespace ?? 'default', p.metadata?.name ?? '')), ...this.#known.keys()]);
    for (const key of this.#failures.keys()) if (!relevant.has(key)) this.#failures.delete(key);
    const skip = new Set([...this.#failures].filter(([, f]) => f.retryAt > now).map(([k]) => k));
    const actions = planMirrors({ desired, existing: this.#known, sent: this.#sent, node, skip });
    let writes = 0;
    for (const action of actions) {
      if (writes >= this.#d.timing.maxWritesPerPoll) break;
      writes += action.type === 'recreate' ? 3 : action.type === 'create' ? 2 : 1;
      try {
        await this.#apply(action);
        this.#failures.delete(action.key);
      } catch (err) {
        this.#stale = true;
        if (isServerUnavailable(err)) throw err;
        this.#recordFailure(action, err, now);
      }
    }
  }

  async #apply(action: MirrorAction): Promise<void> {
    const client = this.#d.client();
    switch (action.type) {
      case 'delete':
        await this.#delete(action.existing);
        this.#d.info('deleted mirror pod of a pod nodelet no longer runs', { pod: action.key });
        return;
      case 'recreate':
        await this.#delete(action.existing);
        this.#d.info('recreating mirror pod', { pod: action.key, reason: action.reason });
        await this.#create(action.key, action.mirror, action.status);
        return;
      case 'create':
        await this.#create(action.key, action.mirror, action.status);
        return;
      case 'markTerminating':
        try {
          await client.deletePod(action.existing.namespace, action.existing.name, action.existing.uid, action.gracePeriodSeconds);
        } catch (err) {
          if (!isNotFound(err) && !isConflict(err)) throw err;
        }
        this.#known.set(action.key, { ...action.existing, deleting: true });
        this.#d.info('mirror pod marked terminating', { pod: action.key, gracePeriodSeconds: action.gracePeriodSeconds });
        return;
      case 'patchStatus': {
        // Only metadata.uid: the API server already holds this status; nothing to send.
        if (action.patch.status === undefined) {
          this.#sent.set(action.existing.uid, action.status);
          return;
        }
        let updated: Pod;
        try {
          updated = await client.patchPodStatus(action.existing.namespace, action.existing.name, action.patch);
        } catch (err) {
          // Gone, or replaced by another pod of the same name: list again, then recreate.
          if (isNotFound(err)) {
            this.#known.delete(action.key);
            this.#stale = true;
            return;
          }
          throw err;
        }
        this.#sent.set(action.existing.uid, action.status);
        // The next diff starts from what the API server now holds.
        this.#known.set(action.key, { ...action.existing, ...(updated.status ? { status: updated.status } : {}) });
        return;
      }
    }
  }

  /** DeleteMirrorPod: grace 0, UID precondition; NotFound and Conflict (another uid) are fine. */
  async #delete(existing: ExistingMirror): Promise<void> {
    try {
      await this.#d.client().deletePod(existing.namespace, existing.name, existing.uid);
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
    this.#known.delete(podKey(existing.namespace, existing.name));
    this.#sent.delete(existing.uid);
  }

  async #create(key: string, mirror: Pod, status: PodStatus | undefined): Promise<void> {
    const client = this.#d.client();
    let created: Pod;
    try {
      created = await client.createPod(mirror);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // CreateMirrorPod: an existing mirror of the same pod is a success; anything else is not.
      const pods = await client.listNodePods(this.#d.nodeName);
      const same = pods.find((p) => podKey(p.metadata?.namespace ?? 'default', p.metadata?.name ?? '') === key);
      if (!same || same.metadata?.annotations?.[MIRROR_ANNOTATION] !== mirror.metadata?.annotations?.[MIRROR_ANNOTATION]) throw err;
      created = same;
    }
    const existing = toExistingMirror(created);
    if (!existing) throw new Error(`the API server returned mirror pod ${key} without uid or mirror annotation`);
    this.#known.set(key, existing);
    if (status) {
      // The API server reset the status on create; write ours right away, as a diff from its reset.
      const patch = podStatusPatch(existing.uid, existing.status, mergePodStatus(existing.status, status));
      const updated = patch.status === undefined ? created : await client.patchPodStatus(existing.namespace, existing.name, patch);
      this.#known.set(key, { ...existing, ...(updated.status ? { status: updated.status } : {}) });
      this.#sent.set(existing.uid, status);
    }
  }

  #startWatch(): void {
    if (this.#stopped || !this.#resourceVersion || this.#d.now() < this.#watchRetryAt) return;
    // The reflector's minWatchTimeout (5 min) stretched by up to 100 %, so watches of many
    // nodes do not all end at once.
    const timeoutSeconds = Math.floor(300 * (1 + (this.#d.random ?? Math.random)()));
    let handle: WatchHandle | undefined;
    try {
      handle = this.#d.client().watchNodePods(this.#d.nodeName, this.#resourceVersion, timeoutSeconds, (e) => this.#onWatchEvent(e));
    } catch (err) {
      this.#watchFailed(err);
      return;
    }
    if (!handle) return;
    const h = handle;
    this.#watch = h;
    h.done.then(
      () => {
        if (this.#watch !== h) return;
        this.#watch = undefined;
        this.#watchError = undefined;
        this.#watchFailures = 0;
      },
      (err: unknown) => {
        if (this.#watch !== h) return;
        this.#watch = undefined;
        this.#watchFailed(err);
      },
    );
  }

  /** Back to LIST every resync period; the watch is tried again after the next LIST. */
  #watchFailed(err: unknown): void {
    if (this.#stopped) return;
    const message = errorMessage(err);
    this.#watchFailures++;
    const retryInMs = Math.min(5 * 60_000, this.#d.timing.resyncMs * 2 ** (this.#watchFailures - 1));
    this.#watchRetryAt = this.#d.now() + retryInMs;
    if (message !== this.#watchError) this.#d.warn?.('watch of the node pods failed; listing them every resync period until it works again', { err: message, retryInMs });
    this.#watchError = message;
  }

  #onWatchEvent(e: WatchEvent<Pod>): void {
    const rv = e.object.metadata?.resourceVersion;
    if (e.type === 'ERROR') {
      // 410 Gone (resourceVersion too old) and friends: list again.
      this.#stale = true;
      this.#watch?.cancel();
      this.#watch = undefined;
      return;
    }
    if (rv) this.#resourceVersion = rv;
    // Events flow: the watch works, whatever failed before.
    this.#watchError = undefined;
    this.#watchFailures = 0;
    if (e.type === 'BOOKMARK') return;
    const key = podKey(e.object.metadata?.namespace ?? 'default', e.object.metadata?.name ?? '');
    const mirror = toExistingMirror(e.object);
    if (e.type === 'DELETED' || !mirror) {
      const gone = this.#known.get(key);
      if (gone && (e.type !== 'DELETED' || gone.uid === e.object.metadata?.uid)) {
        this.#known.delete(key);
        this.#sent.delete(gone.uid);
      }
      return;
    }
    const prev = this.#known.get(key);
    if (prev && prev.uid !== mirror.uid) this.#sent.delete(prev.uid);
    this.#known.set(key, mirror);
  }

  #recordFailure(action: MirrorAction, err: unknown, now: number): void {
    const prev = this.#failures.get(action.key);
    const count = (prev?.count ?? 0) + 1;
    const delay = Math.min(this.#d.timing.failureMaxMs, this.#d.timing.failureInitialMs * 2 ** (count - 1));
    const message = errorMessage(err);
    this.#failures.set(action.key, { count, retryAt: now + delay, message });
    if (prev?.message !== message) {
      this.#d.problem(`mirror pod ${action.key}: ${message}`, { pod: action.key, action: action.type, code: err instanceof KubeApiError ? err.code : undefined, retryInMs: delay });
    }
  }
}
