// One pod worker pass (kubelet's SyncPod / SyncTerminatingPod / SyncTerminatedPod in one loop):
// observe (Docker labels) → plan (pure) → execute → observe again, a few rounds at most.
// A 'sync' pass brings the pod to its desired state; a 'terminate' pass plans as for a pod
// that is not desired (killPod with preStop hooks, the grace period and sidecar order, then
// cleanupPod) and reports the UID terminated once Docker holds nothing of it. The pass's
// AbortSignal (pod-workers.ts) ends it between actions when a newer spec or a termination
// arrives.
import type { Logger } from '../log/logger.js';
import type { Clock } from '../core/clock.js';
import type { DesiredPod } from '../core/types.js';
import type { ObservedPod, PodAction } from '../core/runtime-types.js';
import type { NodeletMetrics } from '../api/metrics.js';
import type { UnhealthyReason } from '../probe/prober.js';
import { containerSpecHash } from '../translate/spec-hash.js';
import { containerTransitions } from './relist.js';
import { computePodActions, backoffKey, isImagePullFailure, startFailureBackoff } from './plan.js';
import { nextBackoff, type BackoffPolicy } from './backoff.js';
import { backoffDelay } from '../core/backoff.js';
import { executePlan, findContainer, isImageSpecFailure, recordBackOff, type ExecuteDeps, type StartFailure } from './execute.js';
import { trackExitTimes } from './exit-times.js';
import type { PodMemory, PodMemoryStore } from './pod-memory.js';
import type { PassResult, PodWork } from './pod-workers.js';

/** A pod whose actions are blocked (e.g. the engine is away) is looked at again after 1 s, doubling to 60 s. */
const BLOCKED_RETRY = { initialMs: 1000, maxMs: 60_000 } as const;

/** Passes that execute actions loop at most this often before yielding to other work. */
const MAX_ROUNDS_PER_PASS = 6;

/** The executor's ports, passed through, and what one pass needs besides. */
export interface PodSyncDeps extends Pick<ExecuteDeps, 'runtime' | 'hostFs' | 'subPaths' | 'translate' | 'events' | 'logger' | 'podLogs' | 'podCgroups'> {
  readonly clock: Clock;
  readonly backoffPolicy: BackoffPolicy;
  /** The image pull back-off; backoffPolicy's when not given. */
  readonly imagePullBackoffPolicy?: BackoffPolicy;
  readonly memory: PodMemoryStore;
  readonly prober: {
    syncPod(desired: DesiredPod, observed: ObservedPod | undefined): void;
    removePod(uid: string): void;
    unhealthy(uid: string, observed?: ObservedPod): ReadonlyMap<string, UnhealthyReason>;
  };
  /** The pod to run, or undefined when it is not to run (removed, or rejected by admission). */
  readonly desired: (uid: string) => DesiredPod | undefined;
  /** The UID is in the desired set (rejected or not): its directory is not an orphan's. */
  readonly isDesired: (uid: string) => boolean;
  /** Lists the pod in Docker and keeps the agent's snapshot current. */
  readonly observe: (uid: string) => Promise<ObservedPod | undefined>;
  /** True while the pod must wait before its sandbox is created (start-after-daemonsets). */
  readonly startGated: (desired: DesiredPod, mem: PodMemory) => boolean;
  readonly removeIfOrphaned: (uid: string) => Promise<void>;
  /** The grace period a pod that is not to run is killed with, when overridden (eviction). */
  readonly graceOverride?: (uid: string) => number | undefined;
  readonly metrics: () => NodeletMetrics | undefined;
  readonly updateGauges: () => void;
  /** A grace period the termination was asked with (node shutdown), capping the pod's own. */
  readonly terminationGrace?: (uid: string) => number | undefined;
}

export class PodSync {
  readonly #d: PodSyncDeps;
  readonly #log: Logger;

  constructor(deps: PodSyncDeps) {
    this.#d = deps;
    this.#log = deps.logger.child({ component: 'agent' });
  }

  async run(uid: string, work: PodWork): Promise<PassResult> {
    const { clock, memory } = this.#d;
    const terminating = work.phase === 'terminate';
    // Probes stop as soon as the pod terminates (kubelet stops liveness and startup probes in
    // SyncTerminatingPod): no probe result may restart anything of it.
    if (terminating) this.#d.prober.removePod(uid);
    const mem = memory.of(uid);
    for (let round = 0; round < MAX_ROUNDS_PER_PASS; round++) {
      if (work.signal.aborted) return {};
      const desired = terminating ? undefined : this.#d.desired(uid);
      const observed = await this.#d.observe(uid);
      if (desired && (!observed || observed.sandboxes.length === 0) && this.#d.startGated(desired, mem)) {
        return { requeueAt: clock.monotonic() + 1000 };
      }
      // Probe workers follow every observation, so a replaced container is never judged by
      // its predecessor's failed probe.
      if (desired) this.#d.prober.syncPod(desired, observed);
      else this.#d.prober.removePod(uid);
      this.#logTransitions(desired, mem.lastObserved, observed);
      mem.lastObserved = observed;
      if (!desired && !observed) {
        if (!this.#d.isDesired(uid)) await this.#d.removeIfOrphaned(uid);
        if (!terminating) return {}; // a rejected pod: nothing of it runs
        memory.delete(uid);
        return { terminated: true };
      }
      // Every delay here is on the monotonic clock (a wall-clock step must not stall back-off).
      const now = clock.monotonic();
      mem.exitTimes = trackExitTimes(mem.exitTimes, observed, { wall: clock.now(), monotonic: now });
      const plan = capGrace(terminating ? this.#d.terminationGrace?.(uid) : undefined, computePodActions(desired, observed, {
        now,
        exitedAt: mem.exitTimes,
        backoff: mem.backoff,
        backoffPolicy: this.#d.backoffPolicy,
        ...(this.#d.imagePullBackoffPolicy ? { imagePullBackoffPolicy: this.#d.imagePullBackoffPolicy } : {}),
        startFailures: mem.startFailures,
        unhealthy: this.#d.prober.unhealthy(uid, observed),
        ...killGrace(this.#d.graceOverride?.(uid)),
      }));
      const toDo = plan.actions.filter((a) => a.type !== 'backoff');
      const fresh = freshPullFailures(plan.actions, mem.startFailures, now);
      mem.waiting = waitingReasons(desired, plan.actions, mem.startFailures, fresh);
      if (toDo.length === 0) {
        this.#settled(desired, observed, plan.actions, mem, fresh);
        const halfway = Math.min(...fresh.values());
        return { requeueAt: plan.requeueAt === undefined ? (fresh.size > 0 ? halfway : undefined) : Math.min(plan.requeueAt, halfway) };
      }
      const result = await executePlan(desired, observed, plan, {
        runtime: this.#d.runtime,
        hostFs: this.#d.hostFs,
        subPaths: this.#d.subPaths,
        translate: this.#d.translate,
        events: this.#d.events,
        logger: this.#d.logger,
        ...(this.#d.podLogs ? { podLogs: this.#d.podLogs } : {}),
        ...(this.#d.podCgroups ? { podCgroups: this.#d.podCgroups } : {}),
        now: () => clock.monotonic(),
        clock,
        startFailures: mem.startFailures,
        // A terminate pass is never cancelled by later updates: it must finish its kills.
        signal: work.signal,
      });
      this.#recordStarts(desired, plan.actions, result, mem, now);
      if (result.aborted) return {};
      if (result.blocked) {
        mem.blockedStreak++;
        const delay = backoffDelay(BLOCKED_RETRY, mem.blockedStreak);
        return { requeueAt: clock.monotonic() + delay };
      }
      mem.blockedStreak = 0;
    }
    // Still work to do: go round again after other pods had their turn.
    return { requeueAt: clock.monotonic() };
  }

  /** Nothing to do this round: BackOff events, the pod-start latency, the gauges. */
  #settled(desired: DesiredPod | undefined, observed: ObservedPod | undefined, actions: readonly PodAction[], mem: PodMemory, fresh: ReadonlyMap<string, number>): void {
    for (const a of actions) {
      if (a.type !== 'backoff' || !desired || fresh.has(a.container)) continue;
      const failure = mem.startFailures.get(a.container);
      if (!isImageSpecFailure(failure?.reason)) recordBackOff(this.#d.events, desired, a.container, failure && { reason: failure.reason, image: findContainer(desired, a.container)?.image ?? '' });
    }
    mem.blockedStreak = 0;
    if (desired && observed && !mem.startRecorded && allAppsRunning(desired, observed)) {
      mem.startRecorded = true;
      const seen = Date.parse(desired.pod.metadata?.annotations?.['kubernetes.io/config.seen'] ?? '');
      if (Number.isFinite(seen)) this.#d.metrics()?.podStartDuration.observe(Math.max(0, this.#d.clock.now() - seen) / 1000);
      this.#log.info({ pod: `${desired.namespace}/${desired.name}`, uid: desired.uid }, 'pod running');
    }
    this.#d.updateGauges();
  }

  /**
   * CrashLoopBackOff bookkeeping after a pass: a restart of an exited container, or of one a
   * liveness/startup probe killed in this plan, advances its entry (kubelet doBackOff backs
   * off both); a definition change does not. A failed start backs off like a crash.
   */
  #recordStarts(
    desired: DesiredPod | undefined,
    actions: readonly PodAction[],
    result: Awaited<ReturnType<typeof executePlan>>,
    mem: PodMemory,
    planNow: number,
  ): void {
    const { clock } = this.#d;
    const probeKilled = new Set(actions.flatMap((a) => (a.type === 'killContainer' && (a.reason === 'LivenessProbe' || a.reason === 'StartupProbe') ? [a.containerId] : [])));
    for (const s of result.started) {
      mem.startFailures.delete(s.container);
      const replaced = s.replaced;
      if (!replaced || replaced.specHash !== s.specHash) continue;
      if (replaced.state !== 'exited' && !probeKilled.has(replaced.id)) continue;
      const key = backoffKey(s.container, s.specHash);
      const exitedAt = mem.exitTimes?.get(replaced.id) ?? planNow;
      mem.backoff.set(key, nextBackoff(mem.backoff.get(key), exitedAt, clock.monotonic(), this.#d.backoffPolicy));
      if (desired) this.#d.metrics()?.containerRestarts.inc({ namespace: desired.namespace, pod: desired.name, container: s.container });
    }
    for (const [name, failure] of result.startFailures) {
      mem.startFailures.set(name, failure);
      // A failed start (image pull, config error) backs off like a crash: 10 s, 20 s, 40 s...
      const container = findContainer(desired, name);
      if (container) {
        const policies = { crash: this.#d.backoffPolicy, ...(this.#d.imagePullBackoffPolicy ? { image: this.#d.imagePullBackoffPolicy } : {}) };
        const { key, policy } = startFailureBackoff(container, containerSpecHash(container), failure.reason, policies);
        mem.backoff.set(key, nextBackoff(mem.backoff.get(key), failure.at, failure.at, policy));
      }
    }
  }

  #logTransitions(desired: DesiredPod | undefined, prev: ObservedPod | undefined, next: ObservedPod | undefined): void {
    for (const t of containerTransitions(prev, next)) {
      if (t.to !== 'exited' || t.from === 'absent' || t.from === 'exited') continue;
      const c = t.container;
      const podName = desired?.name ?? c.podName;
      this.#log.info(
        { pod: `${c.podNamespace}/${podName}`, uid: c.podUid, container: c.name, exitCode: c.exitCode, oomKilled: c.oomKilled || undefined },
        'container exited',
      );
    }
  }
}

function allAppsRunning(desired: DesiredPod, observed: ObservedPod): boolean {
  const names = desired.pod.spec?.containers.map((c) => c.name) ?? [];
  return names.length > 0 && names.every((n) => observed.containers.some((c) => c.name === n && c.state === 'running'));
}

/**
 * Containers whose pull failed in the first half of its back-off window, with the halfway
 * time. The kubelet shows ErrImagePull until its pod worker syncs again (about 10 s later)
 * and only that sync, inside the image back-off, says ImagePullBackOff: here the status keeps
 * ErrImagePull for the first half of the window, and the BackOff events come at halfway.
 */
export function freshPullFailures(actions: readonly PodAction[], startFailures: ReadonlyMap<string, { reason: string; at: number }>, now: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const a of actions) {
    if (a.type !== 'backoff') continue;
    const failure = startFailures.get(a.container);
    if (!failure || !isImagePullFailure(failure.reason) || a.until <= failure.at) continue;
    const halfway = failure.at + (a.until - failure.at) / 2;
    if (now < halfway) out.set(a.container, halfway);
  }
  return out;
}

/** What status shows for containers that are not running: back-off, or the last start failure. */
function waitingReasons(
  desired: DesiredPod | undefined,
  actions: readonly PodAction[],
  startFailures: ReadonlyMap<string, StartFailure>,
  fresh: ReadonlyMap<string, number> = new Map(),
): Map<string, { reason: string; message: string }> {
  const out = new Map<string, { reason: string; message: string }>();
  for (const [name, f] of startFailures) out.set(name, { reason: f.reason, message: f.message });
  for (const a of actions) {
    if (a.type !== 'backoff' || fresh.has(a.container)) continue;
    const failure = startFailures.get(a.container);
    // A config error (a refused subPath, a missing env source) stays what the container waits
    // on between retries, as with kubelet: its reason cache keeps the error until the next
    // attempt, and its doBackOff never says CrashLoopBackOff for a container that never ran.
    if (failure?.reason === 'CreateContainerConfigError') continue;
    if (isImageSpecFailure(failure?.reason)) continue; // InvalidImageName, ErrImageNeverPull as they are
    if (failure && isImagePullFailure(failure.reason)) {
      // EnsureImageExists in back-off: its message wraps the previous pull's error (k/k v1.32+).
      const image = findContainer(desired, a.container)?.image ?? '';
      out.set(a.container, { reason: 'ImagePullBackOff', message: `Back-off pulling image ${JSON.stringify(image)}: ${failure.reason}: ${failure.message}` });
    } else {
      out.set(a.container, { reason: 'CrashLoopBackOff', message: a.message });
    }
  }
  return out;
}

/**
 * A termination asked with a grace period (the kubelet's gracePeriodOverride, e.g. a node
 * shutdown group's) kills within it; the 2 s floor still applies where the kill happens.
 */
function capGrace<P extends { readonly actions: readonly PodAction[] }>(graceSeconds: number | undefined, plan: P): P {
  if (graceSeconds === undefined) return plan;
  const actions = plan.actions.map((a) => (a.type === 'killPod' || a.type === 'killContainer' ? { ...a, graceSeconds: Math.min(a.graceSeconds, graceSeconds) } : a));
  return { ...plan, actions };
}

/** An evicted pod is killed with the eviction's grace period, not its own (the kubelet's gracePeriodOverride). */
function killGrace(seconds: number | undefined): { killGraceSeconds?: number } {
  return seconds === undefined ? {} : { killGraceSeconds: seconds };
}
