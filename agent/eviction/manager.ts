// The eviction manager (pkg/kubelet/eviction/eviction_manager.go): every monitoring period it
// observes the node's signals, keeps the pressure conditions (the node status and admission
// read them), enforces local storage limits first, then for a threshold past its grace period
// reclaims node-level resources (unused images) and, if that was not enough, evicts at most
// one pod, ranked as the kubelet ranks them. Critical pods (static pods included) are never
// evicted: a static pod over its limit is logged and gets a Warning event instead.
// Decisions are the pure modules'; this is the loop and the calls back into the agent.
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { EventStore, InvolvedObject } from '../events/event-store.js';
import { involvedPod } from '../events/event-store.js';
import type { Logger } from '../log/logger.js';
import { admitUnderPressure, type PressureAdmit } from './admission.js';
import { byEvictionPriority, evaluateRound, INITIAL_STATE, thresholdsMet, type EvictionState, type Observation, type Observations } from './evaluate.js';
import { hasLocalStorageLimits, localStorageViolation } from './local-storage.js';
import { EVICTED_REASON, evictionMessage } from './messages.js';
import { isCriticalPod, type EvictionPod, type PodUsage } from './pods.js';
import { rankFor } from './rank.js';
import { isHard, SIGNAL_RESOURCE, type PressureCondition, type Signal, type Threshold } from './thresholds.js';

/** immediateEvictionGracePeriodSeconds (the runtime still gives at least its 2 s minimum). */
export const IMMEDIATE_EVICTION_GRACE_SECONDS = 1;
/** podCleanupTimeout / podCleanupPollFreq. */
const POD_CLEANUP_TIMEOUT_MS = 30_000;
const POD_CLEANUP_POLL_MS = 1000;

export interface NodeSignals {
  readonly observations: ReadonlyMap<Signal, Observation>;
  /** The Docker data root is on another filesystem than the kubelet root dir. */
  readonly dedicatedImageFs: boolean;
}

/** Measurements (eviction/stats.ts reads them from /proc, statfs, Docker and du). */
export interface EvictionStats {
  node(): Promise<NodeSignals>;
  /** What eviction reads of these pods; memory only when asked (it costs a read per container). */
  pods(pods: readonly EvictionPod[], opts: { readonly memory: boolean }): Promise<Map<string, PodUsage>>;
}

export interface Eviction {
  readonly message: string;
  readonly gracePeriodSeconds: number;
  readonly annotations: Readonly<Record<string, string>>;
  /** DisruptionTarget=True, reason TerminationByKubelet (node-pressure evictions only). */
  readonly disruptionCondition: boolean;
}

/** What the manager calls back into. */
export interface EvictionHost {
  /** Admitted pods that are not terminated. */
  activePods(): EvictionPod[];
  /** Marks the pod Failed/Evicted and kills it with the grace period; false if it cannot be. */
  evictPod(pod: EvictionPod, eviction: Eviction): boolean;
  /** Nothing of the pod runs any more (podCleanedUpFunc). */
  podCleanedUp(uid: string): boolean;
}

export interface ImageReclaimer {
  deleteUnusedImages(): Promise<void>;
}

export interface EvictionManagerOptions {
  readonly thresholds: readonly Threshold[];
  readonly pressureTransitionPeriodMs: number;
  readonly maxPodGracePeriodSeconds: number;
  readonly monitoringPeriodMs: number;
  readonly localStorageCapacityIsolation: boolean;
  readonly nodeName: string;
  readonly stats: EvictionStats;
  readonly host: EvictionHost;
  readonly images?: ImageReclaimer;
  readonly clock: Clock;
  readonly events: EventStore;
  readonly logger: Logger;
}

export interface RoundOutcome {
  readonly evicted: readonly string[];
  readonly conditions: readonly PressureCondition[];
}

export class EvictionManager {
  readonly #o: EvictionManagerOptions;
  readonly #log: Logger;
  #state: EvictionState = INITIAL_STATE;
  #conditions: readonly PressureCondition[] = [];
  #timer?: { cancel(): void };
  #running?: Promise<RoundOutcome>;
  #stopped = false;
  /** Critical pods already reported as over a local storage limit (message by UID). */
  readonly #notEvicted = new Map<string, string>();

  constructor(opts: EvictionManagerOptions) {
    this.#o = opts;
    this.#log = opts.logger.child({ component: 'eviction' });
  }

  /** The pressure conditions now (transition period applied). */
  conditions(): readonly PressureCondition[] {
    return this.#conditions;
  }

  pressure(): { memoryPressure: boolean; diskPressure: boolean; pidPressure: boolean } {
    const c = this.#conditions;
    return { memoryPressure: c.includes('MemoryPressure'), diskPressure: c.includes('DiskPressure'), pidPressure: c.includes('PIDPressure') };
  }

  /** The admit handler (lifecycle.PodAdmitHandler). */
  admit(pod: EvictionPod): PressureAdmit {
    const result = admitUnderPressure(pod, this.#conditions);
    if (!result.admit) this.#log.info({ pod: `${pod.namespace}/${pod.name}`, nodeCondition: this.#conditions }, 'Failed to admit pod to node');
    return result;
  }

  start(): void {
    if (this.#o.thresholds.length === 0 && !this.#o.localStorageCapacityIsolation) return;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    await this.#running?.catch(() => undefined);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = this.#o.clock.setTimeout(() => void this.#loop(), ms);
  }

  async #loop(): Promise<void> {
    const outcome = await this.synchronize().catch((err: unknown) => {
      this.#log.error({ err: errorMessage(err) }, 'Eviction manager: failed to synchronize');
      return undefined;
    });
    if (outcome && outcome.evicted.length > 0) {
      this.#log.info({ pods: outcome.evicted }, 'Eviction manager: pods evicted, waiting for pod to be cleaned up');
      await this.#waitForCleanup(outcome.evicted);
      this.#schedule(0);
      return;
    }
    this.#schedule(this.#o.monitoringPeriodMs);
  }

  async #waitForCleanup(uids: readonly string[]): Promise<void> {
    const { clock, host } = this.#o;
    const deadline = clock.monotonic() + POD_CLEANUP_TIMEOUT_MS;
    while (!this.#stopped && clock.monotonic() < deadline) {
      await clock.sleep(POD_CLEANUP_POLL_MS);
      if (uids.every((uid) => host.podCleanedUp(uid))) {
        this.#log.info({ pods: uids }, 'Eviction manager: pods successfully cleaned up');
        return;
      }
    }
    if (!this.#stopped) this.#log.info({ pods: uids }, 'Eviction manager: timed out waiting for pods to be cleaned up');
  }

  /** One round (synchronize); rounds never overlap. */
  synchronize(): Promise<RoundOutcome> {
    this.#running ??= this.#round().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #round(): Promise<RoundOutcome> {
    const { stats, host, clock } = this.#o;
    const active = host.activePods();
    const node = await stats.node();
    const now = clock.monotonic();
    const before = this.#conditions;
    const round = evaluateRound({ thresholds: this.#o.thresholds, pressureTransitionPeriodMs: this.#o.pressureTransitionPeriodMs }, this.#state, node.observations, now);
    this.#state = round.state;
    this.#log.debug({ observations: summarize(node.observations), met: round.state.thresholdsMet.map((t) => t.signal), conditions: round.conditions }, 'Eviction manager: observations');
    this.#conditions = round.conditions;
    if (round.conditions.join() !== before.join()) this.#log.info({ nodeConditions: round.conditions, observations: summarize(node.observations) }, 'Eviction manager: node conditions changed');

    if (this.#o.localStorageCapacityIsolation) {
      const evicted = await this.#localStorageEviction(active, node.dedicatedImageFs);
      if (evicted.length > 0) return { evicted, conditions: this.#conditions };
    }
    if (round.actionable.length === 0) return { evicted: [], conditions: this.#conditions };
    const threshold = byEvictionPriority(round.actionable)[0];
    if (!threshold) return { evicted: [], conditions: this.#conditions };
    const resource = SIGNAL_RESOURCE[threshold.signal];
    this.#log.info({ resourceName: resource }, 'Eviction manager: attempting to reclaim');
    this.#o.events.record(this.#nodeRef(), 'Warning', 'EvictionThresholdMet', `Attempting to reclaim ${resource}`);
    if (await this.#reclaimNodeLevel(threshold.signal, node.dedicatedImageFs)) {
      this.#log.info({ resourceName: resource }, 'Eviction manager: able to reduce resource pressure without evicting pods.');
      return { evicted: [], conditions: this.#conditions };
    }
    this.#log.info({ resourceName: resource }, 'Eviction manager: must evict pod(s) to reclaim');
    if (active.length === 0) {
      this.#log.error({}, 'Eviction manager: eviction thresholds have been met, but no pods are active to evict');
      return { evicted: [], conditions: this.#conditions };
    }
    const usage = await stats.pods(active, { memory: threshold.signal === 'memory.available' });
    const ranked = rankFor(threshold.signal, active, usage, node.dedicatedImageFs);
    this.#log.info({ pods: ranked.map((p) => `${p.namespace}/${p.name}`) }, 'Eviction manager: pods ranked for eviction');
    for (const pod of ranked) {
      const grace = isHard(threshold) ? IMMEDIATE_EVICTION_GRACE_SECONDS : this.#o.maxPodGracePeriodSeconds;
      const { message, annotations } = evictionMessage(resource, pod, usage.get(pod.uid), round.actionable, node.observations);
      if (this.#evict(pod, { message, gracePeriodSeconds: grace, annotations, disruptionCondition: true })) return { evicted: [pod.uid], conditions: this.#conditions };
    }
    this.#log.info({}, 'Eviction manager: unable to evict any pods from the node');
    return { evicted: [], conditions: this.#conditions };
  }

  /** Pods with an emptyDir sizeLimit or an ephemeral-storage limit only: the others cannot be over one. */
  async #localStorageEviction(active: readonly EvictionPod[], dedicatedImageFs: boolean): Promise<string[]> {
    const limited = active.filter(hasLocalStorageLimits);
    if (limited.length === 0) return [];
    const usage = await this.#o.stats.pods(limited, { memory: false });
    const evicted: string[] = [];
    for (const pod of limited) {
      const u = usage.get(pod.uid);
      if (!u) continue;
      const violation = localStorageViolation(pod, u, { dedicatedImageFs });
      if (!violation) {
        this.#notEvicted.delete(pod.uid);
        continue;
      }
      if (this.#evict(pod, { message: violation.message, gracePeriodSeconds: IMMEDIATE_EVICTION_GRACE_SECONDS, annotations: {}, disruptionCondition: false })) evicted.push(pod.uid);
    }
    return evicted;
  }

  /** evictPod: never a critical pod; the event first, then the kill. */
  #evict(pod: EvictionPod, eviction: Eviction): boolean {
    const name = `${pod.namespace}/${pod.name}`;
    if (isCriticalPod(pod)) {
      this.#log.error({ pod: name }, 'Eviction manager: cannot evict a critical pod');
      if (this.#notEvicted.get(pod.uid) !== eviction.message) {
        this.#notEvicted.set(pod.uid, eviction.message);
        const what = pod.isStatic ? 'a static pod' : 'a critical pod';
        this.#o.events.record(involvedPod(pod), 'Warning', 'EvictionSkipped', `${eviction.message}The kubelet does not evict ${what}: it keeps running.`);
      }
      return false;
    }
    this.#o.events.record(involvedPod(pod), 'Warning', EVICTED_REASON, eviction.message);
    const ok = this.#o.host.evictPod(pod, eviction);
    if (ok) this.#log.info({ pod: name, uid: pod.uid, message: eviction.message, gracePeriodSeconds: eviction.gracePeriodSeconds, ...eviction.annotations }, 'Eviction manager: pod is evicted successfully');
    else this.#log.error({ pod: name }, 'Eviction manager: pod failed to evict');
    return true;
  }

  /** reclaimNodeLevelResources: unused images for the disk signals (Docker: images and containers share one fs). */
  async #reclaimNodeLevel(signal: Signal, dedicatedImageFs: boolean): Promise<boolean> {
    const images = this.#o.images;
    const reclaims = signal.startsWith('imagefs.') || (signal.startsWith('nodefs.') && !dedicatedImageFs);
    if (!reclaims || !images) return false;
    try {
      await images.deleteUnusedImages();
    } catch (err) {
      this.#log.info({ resourceName: SIGNAL_RESOURCE[signal], err: errorMessage(err) }, 'Eviction manager: unexpected error when attempting to reduce resource pressure');
    }
    const after = await this.#o.stats.node();
    return thresholdsMet(this.#o.thresholds, after.observations, true).length === 0;
  }

  #nodeRef(): InvolvedObject {
    return { kind: 'Node', namespace: '', name: this.#o.nodeName, uid: this.#o.nodeName };
  }
}

function summarize(o: Observations): Record<string, { available: number; capacity: number }> {
  const out: Record<string, { available: number; capacity: number }> = {};
  for (const [s, v] of o) out[s] = { available: v.available, capacity: v.capacity };
  return out;
}
