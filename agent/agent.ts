// The agent: manifests in, containers out. It owns the desired-pod map, one serial worker per
// pod (sync/pod-workers.ts), the Docker events stream and the periodic relist. Every pass is
// observe (Docker labels) → plan (pure) → execute → observe. All I/O goes through the ports
// it is given; main.ts builds the real ones.
import type { Logger } from './log/logger.js';
import type { Clock } from './core/clock.js';
import type { AgentConfig } from './config/config.js';
import type { DesiredPod, FileStatus, ManifestObject, SourceUpdate } from './core/types.js';
import { formatObjectKey } from './core/types.js';
import type { ObservedPod, PodAction } from './core/runtime-types.js';
import type { PodRuntime } from './runtime/pod-runtime.js';
import type { HostFs } from './runtime/host-fs.js';
import type { SubPather } from './runtime/subpath.js';
import { involvedPod, type EventStore } from './events/event-store.js';
import { stopTimeoutSeconds } from './translate/container-spec.js';
import type { TranslateContext } from './translate/context.js';
import { errorMessage, isNodeletError, RuntimeError } from './core/errors.js';
import { PodWorkers } from './sync/pod-workers.js';
import { computePodActions, backoffKey } from './sync/plan.js';
import { nextBackoff, type BackoffEntry, type BackoffPolicy } from './sync/backoff.js';
import { executePlan, findContainer, isImageSpecFailure, recordBackOff, type StartFailure } from './sync/execute.js';
import { trackExitTimes } from './sync/exit-times.js';
import { Housekeeping } from './lifecycle/housekeeping.js';
import { containerTransitions, diffPods } from './lifecycle/relist.js';
import { toStaticPod } from './manifest/identity.js';
import { apiTime } from './status/generate.js';
import { StatusManager } from './status/status-manager.js';
import type { NodeletMetrics } from './api/metrics.js';
import { ProbeManager } from './probe/prober.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { containerSpecHash } from './translate/spec-hash.js';
import { DaemonSetController } from './daemonset/controller.js';
import { DAEMONSETS_DIR, DaemonSetStateStore } from './daemonset/revision-store.js';
import { join } from 'node:path';
import { NodeStore } from './node/node-store.js';
import { admitStaticPod, type AdmitResult } from './daemonset/eligibility.js';
import type { NodeIdentity } from './node/node-model.js';
import { NodeIdentityManager } from './node/node-identity.js';

/** What the agent needs from the manifest source (source/file-source.ts). */
export interface ManifestSourcePort {
  readonly ready: Promise<void>;
  onUpdate(listener: (updates: readonly SourceUpdate[]) => void): () => void;
  start(): Promise<void>;
  stop(): Promise<void>;
  fileStatuses(): FileStatus[];
  objects(): ManifestObject[];
}

export interface AgentDeps {
  readonly config: AgentConfig;
  readonly runtime: PodRuntime;
  readonly hostFs: HostFs;
  /** Safe subPath binds at each container start (runtime/subpath.ts). */
  readonly subPaths: SubPather;
  readonly source: ManifestSourcePort;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly events: EventStore;
  readonly translate: TranslateContext;
  /** Persisted node label/taint overlay and DaemonSet state (default: in config.stateDir). */
  readonly nodeStore?: NodeStore;
  readonly daemonSetStore?: DaemonSetStateStore;
  /** process.platform / process.arch for the automatic node labels (tests may override). */
  readonly platform?: string;
  readonly arch?: string;
}

/** Per-pod memory that may be lost on restart (kubelet keeps backoff in memory too). */
interface PodMemory {
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

/** Passes that execute actions loop at most this often before yielding to other work. */
const MAX_ROUNDS_PER_PASS = 6;

export class Agent {
  readonly #deps: AgentDeps;
  readonly #log: Logger;
  readonly #workers: PodWorkers;
  readonly #desired = new Map<string, DesiredPod>();
  readonly #uidByKey = new Map<string, string>();
  readonly #memory = new Map<string, PodMemory>();
  /** Each pod's status: written by the sync pass and probe results, read by every view. */
  readonly #status: StatusManager;
  #snapshot = new Map<string, ObservedPod>();
  readonly #abort = new AbortController();
  #relistTimer?: { cancel(): void };
  #started = false;
  #synced = false;
  readonly #backoffPolicy: BackoffPolicy;
  #runtimeHealthy = false;
  #firstSync?: Promise<void>;
  #metrics?: NodeletMetrics;
  readonly #prober: ProbeManager;
  readonly #daemonSets: DaemonSetController;
  readonly #node: NodeIdentityManager;
  readonly #housekeeping: Housekeeping;
  #housekeepingTimer?: { cancel(): void };
  /** Manifest pods kubelet admission rejected on this node (they show as Failed and do not run). */
  readonly #rejected = new Map<string, Extract<AdmitResult, { admit: false }>>();

  constructor(deps: AgentDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'agent' });
    this.#status = new StatusManager(deps.clock);
    this.#backoffPolicy = { initialMs: deps.config.crashLoopBackOff.initialMs, maxMs: deps.config.crashLoopBackOff.maxMs };
    this.#workers = new PodWorkers({
      parallelism: deps.config.parallelism,
      clock: deps.clock,
      sync: async (uid) => {
        try {
          return await this.#syncPod(uid);
        } finally {
          this.#recordStatus(uid);
          // A daemon pod's pass may have changed what its DaemonSet decides (Ready, gone).
          this.#daemonSets.podChanged(uid);
        }
      },
      onError: (uid, err) => this.#onPassError(uid, err),
      errorBackoffMs: 1000,
    });
    this.#prober = new ProbeManager({
      runtime: deps.runtime,
      clock: deps.clock,
      events: deps.events,
      logger: deps.logger,
      hostIPs: deps.translate.hostIPs,
      onChange: (uid) => {
        // A probe result is the status manager's other writer: readiness changes now, at the result.
        this.#status.setProbeStates(uid, this.#prober.states(uid));
        this.#workers.enqueue(uid);
      },
      onResult: (type, result) => this.#metrics?.probeResults.inc({ probe_type: type, result }),
    });
    this.#housekeeping = this.#newHousekeeping(deps);
    this.#node = new NodeIdentityManager({
      name: deps.config.nodeName,
      platform: deps.platform ?? process.platform,
      arch: deps.arch ?? process.arch,
      labels: deps.config.nodeLabels,
      taints: deps.config.nodeTaints,
      store: deps.nodeStore ?? new NodeStore(deps.config.stateDir, deps.hostFs),
      logger: deps.logger,
    });
    this.#daemonSets = new DaemonSetController({
      host: {
        setDesired: (pod) => {
          this.#desired.set(pod.uid, pod);
          if (this.#runtimeHealthy) this.#workers.enqueue(pod.uid);
        },
        removeDesired: (uid) => {
          this.#desired.delete(uid);
          this.#workers.enqueue(uid);
        },
        podView: (uid) => {
          const d = this.#desired.get(uid);
          return d ? this.#podView(d) : undefined;
        },
        observed: (uid) => this.#snapshot.get(uid),
      },
      store: deps.daemonSetStore ?? new DaemonSetStateStore(deps.config.stateDir, deps.hostFs),
      node: this.#node,
      hostFs: deps.hostFs,
      clock: deps.clock,
      logger: deps.logger,
      events: deps.events,
    });
    // Labels or taints changed: manifest Pods are admitted again and DaemonSets judged again.
    this.#node.onChange(() => {
      this.#admitAll();
      this.#daemonSets.nodeChanged();
    });
  }

  // Leftover pod directories and memory volumes (lifecycle/housekeeping.ts): a pod is in use
  // while desired, in Docker, or while its worker exists; removal happens in the pod's pass.
  #newHousekeeping(deps: AgentDeps): Housekeeping {
    return new Housekeeping({
      stateDir: deps.config.stateDir,
      nodeName: deps.config.nodeName,
      hostFs: deps.hostFs,
      runtime: deps.runtime,
      logger: deps.logger,
      inUse: (uid) => this.#desired.has(uid) || this.#snapshot.has(uid) || this.#workers.has(uid),
      enqueue: (uid) => this.#workers.enqueue(uid),
    });
  }

  /** The DaemonSet controller (views, edits) for the API. */
  get daemonSets(): DaemonSetController {
    return this.#daemonSets;
  }

  /** The node as eligibility and admission see it: automatic, config and runtime labels, taints. */
  nodeIdentity(): NodeIdentity {
    return this.#node.current();
  }

  /** The node identity (`nodelet label|taint node`) for the API. */
  get node(): NodeIdentityManager {
    return this.#node;
  }

  /** SIGHUP reload: new config labels/taints; DaemonSets and manifest Pods are judged again. */
  setConfigNode(labels: Readonly<Record<string, string>>, taints: AgentConfig['nodeTaints']): void {
    this.#node.setConfig(labels, taints);
  }

  /** kubelet's admission of a manifest Pod (canAdmitPod); re-run whenever node labels change. */
  #admit(desired: DesiredPod): boolean {
    if (desired.origin.kind !== 'Pod') return true;
    const result = admitStaticPod(desired.pod, this.#node.current());
    const before = this.#rejected.get(desired.uid);
    if (result.admit) {
      if (before) {
        this.#rejected.delete(desired.uid);
        this.#log.info({ pod: `${desired.namespace}/${desired.name}` }, 'pod admitted after a node change');
        return true;
      }
      return false;
    }
    if (before?.reason === result.reason && before.message === result.message) return false;
    this.#rejected.set(desired.uid, result);
    this.#log.warn({ pod: `${desired.namespace}/${desired.name}`, reason: result.reason }, `pod rejected: ${result.message}`);
    this.#deps.events.record(involvedPod(desired), 'Warning', result.reason, result.message);
    return true;
  }

  #admitAll(): void {
    for (const d of this.#desired.values()) if (this.#admit(d) && this.#runtimeHealthy) this.#workers.enqueue(d.uid);
  }

  /** Desired pods by UID (read-only view for the API). */
  desiredPods(): DesiredPod[] {
    return [...this.#desired.values()];
  }

  observedPod(uid: string): ObservedPod | undefined {
    return this.#snapshot.get(uid);
  }

  fileStatuses(): FileStatus[] {
    return this.#deps.source.fileStatuses();
  }

  /** Prometheus metrics to keep current (optional). */
  attachMetrics(metrics: NodeletMetrics): void {
    this.#metrics = metrics;
  }

  #updateGauges(): void {
    const m = this.#metrics;
    if (!m) return;
    let pods = 0;
    let containers = 0;
    for (const p of this.#snapshot.values()) {
      if (p.sandboxes.some((s) => s.state === 'running')) pods++;
      containers += p.containers.filter((c) => c.state === 'running').length;
    }
    m.runningPods.set(pods);
    m.runningContainers.set(containers);
    m.manifestErrors.set(this.#deps.source.fileStatuses().filter((f) => f.state !== 'ok').length);
  }

  /** v1 Pods with kubelet-style status, for the local API. */
  pods(): Pod[] {
    return [...this.#desired.values()].map((d) => this.#apiView(d));
  }

  #apiView(d: DesiredPod): Pod {
    const rejected = this.#rejected.get(d.uid);
    if (!rejected) return this.#podView(d);
    const seen = d.pod.metadata?.annotations?.['kubernetes.io/config.seen'];
    return {
      ...d.pod,
      metadata: { ...d.pod.metadata, ...(seen && Number.isFinite(Date.parse(seen)) ? { creationTimestamp: apiTime(Date.parse(seen)) } : {}) },
      status: { phase: 'Failed', reason: rejected.reason, message: `Pod was rejected: ${rejected.message}` },
    };
  }

  /** One pod with its stored status, by UID (logs and exec look at one pod, not all). */
  pod(uid: string): Pod | undefined {
    const d = this.#desired.get(uid);
    return d ? this.#apiView(d) : undefined;
  }

  /** Stops every container of the pod; its next pass starts it again from a new sandbox. */
  async restartPod(uid: string): Promise<boolean> {
    // A daemon pod is deleted for good; its DaemonSet creates the replacement (OnDelete relies on it).
    if (this.#daemonSets.deletePod(uid)) return true;
    const observed = await this.#observe(uid);
    const desired = this.#desired.get(uid);
    if (!desired || !observed) return false;
    const live = [...observed.containers, ...observed.sandboxes].filter((c) => c.state === 'running' || c.state === 'created');
    this.#log.info({ uid, containers: live.length }, 'pod deleted through the API; restarting it');
    await Promise.all(live.filter((c) => c.role !== 'sandbox').map((c) => this.#deps.runtime.stopContainer(c.id, stopTimeoutSeconds(desired))));
    await Promise.all(live.filter((c) => c.role === 'sandbox').map((c) => this.#deps.runtime.stopContainer(c.id, 2)));
    this.#workers.enqueue(uid);
    return true;
  }

  /** The pod with its stored status: a read, never a write. */
  #podView(desired: DesiredPod): Pod {
    return this.#status.podView(desired);
  }

  /** The pass's observation to the status manager (the sync is one of its two writers). */
  #recordStatus(uid: string): void {
    const desired = this.#rejected.has(uid) ? undefined : this.#desired.get(uid);
    if (!desired) {
      this.#status.removePod(uid);
      return;
    }
    const hostIPs = this.#deps.translate.hostIPs;
    this.#status.setPodStatus({
      desired,
      observed: this.#snapshot.get(uid),
      waiting: this.#memory.get(uid)?.waiting ?? new Map(),
      probes: this.#prober.states(uid),
      hostIPs,
      podIPs: desired.pod.spec?.hostNetwork === true ? hostIPs : [],
    });
  }

  get runtimeHealthy(): boolean {
    return this.#runtimeHealthy;
  }

  /** True once the manifests were read and every pod had its first pass. */
  get synced(): boolean {
    return this.#synced;
  }

  /** Starts the source, waits for Docker, adopts what runs, then follows events. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await this.#removeStaleTempFiles();
    await this.#node.load();
    this.#deps.source.onUpdate((updates) => this.#onSourceUpdates(updates));
    await this.#deps.source.start();
    await this.#deps.source.ready;
    await this.#waitForRuntime();
    if (this.#abort.signal.aborted) return;
    // Daemon pods that run already are adopted before orphans are removed.
    const running = await this.#deps.runtime.listPods().catch(() => [] as ObservedPod[]);
    for (const p of running) this.#snapshot.set(p.uid, p);
    await this.#daemonSets.initialSync(running);
    // The desired set is complete now, so whatever Docker holds beyond it is an orphan.
    await this.#relist(true);
    void this.#followEvents();
    this.#relistTimer = this.#deps.clock.setInterval(() => void this.#relist(false), this.#deps.config.resyncPeriodMs);
    // Housekeeping at the relist's cadence: one readdir and one volume list, a safety net for
    // what a killed agent left (the normal removal path cleans up at once).
    void this.#housekeeping.scan();
    this.#housekeepingTimer = this.#deps.clock.setInterval(() => void this.#housekeeping.scan(), this.#deps.config.resyncPeriodMs);
    this.#firstSync = this.#workers.idle().then(() => {
      this.#synced = true;
      this.#log.info({ pods: this.#desired.size }, 'initial sync done');
    });
  }

  /** Temp files of atomic writes a killed agent left behind (state files, rewritten manifests). */
  async #removeStaleTempFiles(): Promise<void> {
    const { stateDir, manifestDir } = this.#deps.config;
    for (const dir of [stateDir, join(stateDir, DAEMONSETS_DIR), manifestDir]) {
      const removed = await this.#deps.hostFs.removeStaleTempFiles(dir);
      if (removed.length > 0) this.#log.info({ files: removed }, 'removed temp files an interrupted write left behind');
    }
  }

  /** Resolves after the first full sync (every pod had its first pass). */
  async waitForFirstSync(): Promise<void> {
    await this.#firstSync;
  }

  /** Stops watching and syncing. Containers keep running: a restarted agent adopts them. */
  async stop(): Promise<void> {
    this.#abort.abort(new Error('agent stopping'));
    this.#relistTimer?.cancel();
    this.#housekeepingTimer?.cancel();
    this.#daemonSets.stop();
    this.#prober.stop();
    await this.#deps.source.stop();
    await this.#workers.stop();
  }

  /** Waits until no pass runs or is queued (tests and benchmarks). */
  async idle(): Promise<void> {
    await this.#workers.idle();
  }

  #onSourceUpdates(updates: readonly SourceUpdate[]): void {
    const now = new Date(this.#deps.clock.now());
    for (const u of updates) {
      const keyText = formatObjectKey(u.key);
      // One object that cannot be applied (e.g. its conversion to a static pod throws) must not
      // stop the rest of the batch, which may be the initial listing: it is logged, and what ran
      // before stays as it was, as for an invalid file.
      try {
        if (u.key.kind === 'DaemonSet') {
          if (u.op === 'REMOVE') this.#daemonSets.remove(u.key);
          else if (u.object.kind === 'DaemonSet') this.#daemonSets.upsert(u.object);
          continue;
        }
        const oldUid = this.#uidByKey.get(keyText);
        if (u.op === 'REMOVE') {
          this.#uidByKey.delete(keyText);
          if (oldUid) {
            this.#desired.delete(oldUid);
            this.#rejected.delete(oldUid);
            this.#log.info({ object: keyText, uid: oldUid }, 'pod removed from manifests');
            this.#workers.enqueue(oldUid);
          }
          continue;
        }
        if (u.object.kind !== 'Pod') continue;
        const prev = oldUid ? this.#desired.get(oldUid) : undefined;
        const seen = prev?.pod.metadata?.annotations?.['kubernetes.io/config.seen'];
        const desired = toStaticPod(u.object.object, { nodeName: this.#deps.config.nodeName, file: u.object.file, seenAt: now });
        const pod = seen && oldUid === desired.uid ? withSeen(desired, seen) : desired;
        if (oldUid && oldUid !== pod.uid) {
          this.#desired.delete(oldUid);
          this.#workers.enqueue(oldUid);
          this.#log.info({ object: keyText, oldUid, uid: pod.uid }, 'pod identity changed; replacing the whole pod');
        }
        this.#uidByKey.set(keyText, pod.uid);
        this.#desired.set(pod.uid, pod);
        this.#admit(pod);
        if (!prev || oldUid !== pod.uid) this.#log.info({ pod: `${pod.namespace}/${pod.name}`, uid: pod.uid, file: u.object.file }, 'pod added');
        else this.#log.info({ pod: `${pod.namespace}/${pod.name}`, uid: pod.uid, file: u.object.file }, 'pod updated');
        if (this.#runtimeHealthy) this.#workers.enqueue(pod.uid);
      } catch (err) {
        const file = u.op === 'REMOVE' ? undefined : u.object.file;
        this.#log.error({ object: keyText, op: u.op, file, err: errorMessage(err) }, 'manifest object could not be applied; its previous version stays');
      }
    }
  }

  async #waitForRuntime(): Promise<void> {
    let delay = 500;
    for (;;) {
      try {
        await this.#deps.runtime.ping();
        const v = await this.#deps.runtime.version();
        this.#runtimeHealthy = true;
        this.#log.info({ docker: v.version, api: v.apiVersion }, 'docker engine connected');
        return;
      } catch (err) {
        this.#log.warn({ err: errorMessage(err), retryInMs: delay }, 'docker engine unavailable; retrying');
        try {
          await this.#deps.clock.sleep(delay, this.#abort.signal);
        } catch {
          return;
        }
        delay = Math.min(delay * 2, 10_000);
      }
    }
  }

  async #relist(initial: boolean): Promise<void> {
    let pods: ObservedPod[];
    try {
      pods = await this.#deps.runtime.listPods();
      if (!this.#runtimeHealthy) this.#log.info({}, 'docker engine reachable again');
      this.#runtimeHealthy = true;
    } catch (err) {
      if (this.#runtimeHealthy) this.#log.warn({ err: errorMessage(err) }, 'docker relist failed');
      this.#runtimeHealthy = false;
      return;
    }
    const next = new Map(pods.map((p) => [p.uid, p] as const));
    const changed = initial ? [...next.keys()] : diffPods(this.#snapshot, next);
    this.#snapshot = next;
    const toSync = new Set(changed);
    // Desired pods with nothing in Docker (e.g. everything was removed behind our back).
    for (const uid of this.#desired.keys()) if (initial || !next.has(uid)) toSync.add(uid);
    if (initial) {
      const orphans = [...next.keys()].filter((uid) => !this.#desired.has(uid));
      if (orphans.length > 0) this.#log.info({ orphans: orphans.length }, 'removing containers of pods no longer in the manifests');
      const adopted = [...next.keys()].filter((uid) => this.#desired.has(uid));
      if (adopted.length > 0) this.#log.info({ pods: adopted.length }, 'adopting running pods');
    }
    for (const uid of toSync) this.#workers.enqueue(uid);
    this.#updateGauges();
  }

  async #followEvents(): Promise<void> {
    try {
      for await (const ev of this.#deps.runtime.events(this.#abort.signal)) {
        if (ev.type === 'container') {
          this.#workers.enqueue(ev.podUid);
        } else if (ev.type === 'disconnected') {
          if (this.#runtimeHealthy) this.#log.warn({ err: ev.error }, 'docker events stream lost; reconnecting');
          this.#runtimeHealthy = false;
        } else {
          this.#runtimeHealthy = true;
          this.#log.info({}, 'docker events stream reconnected; relisting');
          await this.#relist(true);
        }
      }
    } catch (err) {
      if (!this.#abort.signal.aborted) this.#log.error({ err: errorMessage(err) }, 'docker events stream ended');
    }
  }

  #memoryOf(uid: string): PodMemory {
    let m = this.#memory.get(uid);
    if (!m) {
      m = { backoff: new Map(), startFailures: new Map(), blockedStreak: 0, waiting: new Map() };
      this.#memory.set(uid, m);
    }
    return m;
  }

  async #observe(uid: string): Promise<ObservedPod | undefined> {
    const pods = await this.#deps.runtime.listPods({ podUid: uid });
    const pod = pods.find((p) => p.uid === uid);
    if (pod) this.#snapshot.set(uid, pod);
    else this.#snapshot.delete(uid);
    return pod;
  }

  async #syncPod(uid: string): Promise<{ requeueAt?: number }> {
    const mem = this.#memoryOf(uid);
    const { clock } = this.#deps;
    for (let round = 0; round < MAX_ROUNDS_PER_PASS; round++) {
      // A pod admission rejected is not run: whatever it had is stopped.
      const desired = this.#rejected.has(uid) ? undefined : this.#desired.get(uid);
      const observed = await this.#observe(uid);
      if (desired && (!observed || observed.sandboxes.length === 0) && this.#startGated(desired, mem)) {
        return { requeueAt: clock.monotonic() + 1000 };
      }
      // Probe workers follow every observation, so a replaced container is never judged by
      // its predecessor's failed probe.
      if (desired) this.#prober.syncPod(desired, observed);
      else this.#prober.removePod(uid);
      this.#logTransitions(desired, mem.lastObserved, observed);
      mem.lastObserved = observed;
      if (!desired && !observed) {
        if (!this.#desired.has(uid)) await this.#housekeeping.removeIfOrphaned(uid);
        this.#memory.delete(uid);
        this.#workers.forget(uid);
        return {};
      }
      // Every delay here is on the monotonic clock (a wall-clock step must not stall back-off).
      const now = clock.monotonic();
      mem.exitTimes = trackExitTimes(mem.exitTimes, observed, { wall: clock.now(), monotonic: now });
      const plan = computePodActions(desired, observed, {
        now,
        exitedAt: mem.exitTimes,
        backoff: mem.backoff,
        backoffPolicy: this.#backoffPolicy,
        startFailures: mem.startFailures,
        unhealthy: this.#prober.unhealthy(uid, observed),
      });
      const work = plan.actions.filter((a) => a.type !== 'backoff');
      mem.waiting = waitingReasons(desired, plan.actions, mem.startFailures);
      if (work.length === 0) {
        for (const a of plan.actions) {
          if (a.type === 'backoff' && desired && !isImageSpecFailure(mem.startFailures.get(a.container)?.reason)) recordBackOff(this.#deps.events, desired, a.container);
        }
        mem.blockedStreak = 0;
        if (desired && observed && !mem.startRecorded && allAppsRunning(desired, observed)) {
          mem.startRecorded = true;
          const seen = Date.parse(desired.pod.metadata?.annotations?.['kubernetes.io/config.seen'] ?? '');
          if (Number.isFinite(seen)) this.#metrics?.podStartDuration.observe(Math.max(0, clock.now() - seen) / 1000);
          this.#log.info({ pod: `${desired.namespace}/${desired.name}`, uid: desired.uid }, 'pod running');
        }
        this.#updateGauges();
        return { requeueAt: plan.requeueAt };
      }
      const result = await executePlan(desired, observed, plan, {
        runtime: this.#deps.runtime,
        hostFs: this.#deps.hostFs,
        subPaths: this.#deps.subPaths,
        translate: this.#deps.translate,
        events: this.#deps.events,
        logger: this.#deps.logger,
        now: () => clock.monotonic(),
        clock,
      });
      for (const s of result.started) {
        mem.startFailures.delete(s.container);
        const replaced = s.replaced;
        // A crash restart advances CrashLoopBackOff; a definition change does not.
        if (replaced && replaced.state === 'exited' && replaced.specHash === s.specHash) {
          const key = backoffKey(s.container, s.specHash);
          mem.backoff.set(key, nextBackoff(mem.backoff.get(key), mem.exitTimes.get(replaced.id) ?? now, clock.monotonic(), this.#backoffPolicy));
          if (desired) this.#metrics?.containerRestarts.inc({ namespace: desired.namespace, pod: desired.name, container: s.container });
        }
      }
      for (const [name, failure] of result.startFailures) {
        mem.startFailures.set(name, failure);
        // A failed start (image pull, config error) backs off like a crash: 10 s, 20 s, 40 s...
        const container = findContainer(desired, name);
        if (container) {
          const key = backoffKey(name, containerSpecHash(container));
          mem.backoff.set(key, nextBackoff(mem.backoff.get(key), failure.at, failure.at, this.#backoffPolicy));
        }
      }
      if (result.blocked) {
        mem.blockedStreak++;
        const delay = Math.min(1000 * 2 ** Math.min(mem.blockedStreak - 1, 6), 60_000);
        return { requeueAt: clock.monotonic() + delay };
      }
      mem.blockedStreak = 0;
    }
    // Still work to do: go round again after other pods had their turn.
    return { requeueAt: clock.monotonic() };
  }

  /**
   * nodelet.io/start-after-daemonsets: before its sandbox exists, the pod waits until every
   * other DaemonSet's pod on this host is Ready. Logs and records an event when the list changes.
   */
  #startGated(desired: DesiredPod, mem: PodMemory): boolean {
    const waiting = this.#daemonSets.startAfterWaitingFor(desired);
    if (!waiting || waiting.length === 0) {
      if (mem.gateWaiting) this.#log.info({ pod: `${desired.namespace}/${desired.name}` }, 'every DaemonSet pod is Ready; starting');
      mem.gateWaiting = undefined;
      return false;
    }
    const text = waiting.join(', ');
    if (mem.gateWaiting !== text) {
      mem.gateWaiting = text;
      const message = `Waiting for DaemonSet pods to be Ready before starting: ${text}`;
      this.#log.info({ pod: `${desired.namespace}/${desired.name}`, waitingFor: waiting }, message);
      this.#deps.events.record(involvedPod(desired), 'Normal', 'WaitingForDaemonSets', message);
    }
    return true;
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

  #onPassError(uid: string, err: unknown): void {
    const mem = this.#memoryOf(uid);
    const message = errorMessage(err);
    const retryable = err instanceof RuntimeError ? err.retryable : !isNodeletError(err);
    if (retryable && !this.#runtimeHealthy) return; // one line for the outage is enough
    if (mem.lastError !== message) {
      mem.lastError = message;
      this.#log.warn({ uid, err: message }, 'pod sync failed; retrying');
    }
  }
}

function allAppsRunning(desired: DesiredPod, observed: ObservedPod): boolean {
  const names = desired.pod.spec?.containers.map((c) => c.name) ?? [];
  return names.length > 0 && names.every((n) => observed.containers.some((c) => c.name === n && c.state === 'running'));
}

/** What status shows for containers that are not running: back-off, or the last start failure. */
function waitingReasons(
  desired: DesiredPod | undefined,
  actions: readonly PodAction[],
  startFailures: ReadonlyMap<string, StartFailure>,
): Map<string, { reason: string; message: string }> {
  const out = new Map<string, { reason: string; message: string }>();
  for (const [name, f] of startFailures) out.set(name, { reason: f.reason, message: f.message });
  for (const a of actions) {
    if (a.type !== 'backoff') continue;
    const failure = startFailures.get(a.container);
    // A config error (a refused subPath, a missing env source) stays what the container waits
    // on between retries, as with kubelet: its reason cache keeps the error until the next
    // attempt, and its doBackOff never says CrashLoopBackOff for a container that never ran.
    if (failure?.reason === 'CreateContainerConfigError') continue;
    if (isImageSpecFailure(failure?.reason)) continue; // InvalidImageName, ErrImageNeverPull as they are
    if (failure && (failure.reason === 'ErrImagePull' || failure.reason === 'ImagePullBackOff')) {
      const image = findContainer(desired, a.container)?.image ?? '';
      out.set(a.container, { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` });
    } else {
      out.set(a.container, { reason: 'CrashLoopBackOff', message: a.message });
    }
  }
  return out;
}

function withSeen(pod: DesiredPod, seen: string): DesiredPod {
  const annotations = { ...(pod.pod.metadata?.annotations ?? {}), 'kubernetes.io/config.seen': seen };
  return { ...pod, pod: { ...pod.pod, metadata: { ...pod.pod.metadata, annotations } } };
}
