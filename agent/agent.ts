// The agent: manifests in, containers out. It owns the desired-pod map and composes the rest:
// one serial worker per pod UID with its lifecycle (sync/pod-workers.ts: syncing → terminating
// → terminated), one pass of a pod (sync/pod-sync.ts: observe → plan → execute → observe),
// the per-pod memory (sync/pod-memory.ts), the Docker events stream and the periodic relist.
// All I/O goes through the ports it is given; main.ts builds the real ones.
import type { Logger } from './log/logger.js';
import type { Clock } from './core/clock.js';
import type { AgentConfig } from './config/config.js';
import type { DesiredPod, FileStatus, ManifestObject, SourceUpdate } from './core/types.js';
import { formatObjectKey } from './core/types.js';
import type { ObservedPod } from './core/runtime-types.js';
import type { PodRuntime } from './runtime/pod-runtime.js';
import type { HostFs } from './host/host-fs.js';
import type { SubPather } from './host/subpath.js';
import { involvedPod, type EventStore } from './events/event-store.js';
import type { TranslateContext } from './translate/context.js';
import { errorMessage, isNodeletError, RuntimeError } from './core/errors.js';
import { backoffDelay } from './core/backoff.js';
import { PodWorkers, type PodIdentity, type PodLifecycle, type LifecycleInfo } from './sync/pod-workers.js';
import type { BackoffPolicy } from './sync/backoff.js';
import { PodMemoryStore, type PodMemory } from './sync/pod-memory.js';
import { PodSync } from './sync/pod-sync.js';
import { Housekeeping } from './lifecycle/housekeeping.js';
import type { PodLogsPort } from './podlogs/pod-logs.js';
import { diffPods } from './sync/relist.js';
import { CONFIG_HASH_ANNOTATION, legacyStaticPodUid, toStaticPod } from './manifest/identity.js';
import { adoptsLegacyPod, withRuntimeUid } from './sync/adoption.js';
import { containerSpecHash } from './translate/spec-hash.js';
import { apiTime } from './core/time-format.js';
import { StatusManager } from './status/status-manager.js';
import type { NodeletMetrics } from './api/metrics.js';
import { ProbeManager } from './probe/prober.js';
import type { ProbeMetrics } from './probe/probe-metrics.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS } from './manifest/defaults.js';
import { DaemonSetController } from './daemonset/controller.js';
import { DAEMONSETS_DIR, DaemonSetStateStore } from './daemonset/revision-store.js';
import { join } from 'node:path';
import { NodeStore } from './node/node-store.js';
import { admissionOrder, StaticPodAdmission } from './node/admission.js';
import type { PodCgroupsPort } from './qos/cgroups.js';
import { podQos, podQosClass } from './qos/qos-class.js';
import { podRequests, quantityMilli } from './qos/pod-resources.js';
import type { NodeIdentity } from './node/node-model.js';
import { NodeIdentityManager } from './node/node-identity.js';
import { podIPsOf } from './core/pod-ips.js';
import { nodeRef } from './node/node-events.js';
import { ShutdownManager } from './shutdown/manager.js';
import { ShutdownPods } from './shutdown/pod-gate.js';
import type { LogindPort } from './shutdown/logind.js';
import { NODE_SHUTDOWN_NOT_ADMITTED_MESSAGE, NODE_SHUTDOWN_NOT_ADMITTED_REASON } from './shutdown/pod-status.js';
import type { EvictionPod } from './eviction/pods.js';
import type { Eviction, EvictionHost } from './eviction/manager.js';
import { evictedView } from './eviction/evicted-status.js';

/** Waiting for the Docker engine at start-up: 0.5 s doubling to 10 s. */
const RUNTIME_WAIT = { initialMs: 500, maxMs: 10_000 } as const;

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
  /** Safe subPath binds at each container start (host/subpath.ts). */
  readonly subPaths: SubPather;
  readonly source: ManifestSourcePort;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly events: EventStore;
  readonly translate: TranslateContext;
  /** Persisted node label/taint overlay and DaemonSet state (default: in config.stateDir). */
  readonly nodeStore?: NodeStore;
  readonly daemonSetStore?: DaemonSetStateStore;
  /** The kubelet's /var/log/pods and /var/log/containers (podlogs/pod-logs.ts); none: not kept. */
  readonly podLogs?: PodLogsPort;
  /** process.platform / process.arch for the automatic node labels (tests may override). */
  readonly platform?: string;
  readonly arch?: string;
  /** systemd-logind for graceful node shutdown (shutdown/logind.ts); none: the feature is off. */
  readonly logind?: LogindPort;
  /** The node started or stopped shutting down: its Ready condition changes now. */
  readonly onNodeShutdown?: (shuttingDown: boolean) => void;
  /** The pods' QoS cgroups (qos/cgroups.ts); none: containers stay in Docker's default parent. */
  readonly podCgroups?: PodCgroupsPort & { podUids?(): Promise<string[]> };
  /** The node's allocatable (qos/allocatable.ts); none: no resource admission. */
  readonly allocatable?: () => ReadonlyMap<string, bigint>;
}

export class Agent {
  readonly #deps: AgentDeps;
  readonly #log: Logger;
  readonly #workers: PodWorkers;
  readonly #desired = new Map<string, DesiredPod>();
  readonly #uidByKey = new Map<string, string>();
  /** The UID an older nodelet gave each manifest Pod (adoption of what it started: sync/adoption.ts). */
  readonly #legacyUidByKey = new Map<string, string>();
  readonly #memory = new PodMemoryStore();
  readonly #podSync: PodSync;
  /** The last spec of each UID whose worker terminates: `get pods` shows it as Terminating. */
  readonly #terminatingSpecs = new Map<string, DesiredPod>();
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
  /** The kubelet's /metrics/probes counters (optional: only when the kubelet endpoint serves them). */
  #probeMetrics?: ProbeMetrics;
  readonly #prober: ProbeManager;
  readonly #daemonSets: DaemonSetController;
  readonly #node: NodeIdentityManager;
  readonly #housekeeping: Housekeeping;
  #housekeepingTimer?: { cancel(): void };
  /** Manifest pods kubelet admission rejected on this node (they show as Failed and do not run). */
  readonly #admission: StaticPodAdmission;
  /** Graceful node shutdown (shutdown/): the manager decides, the agent kills; what it did to pods. */
  readonly #shutdown?: ShutdownManager;
  readonly #shutdownPods = new ShutdownPods();
  /** Waiters for a UID's worker to report it terminated (the shutdown's kills). */
  readonly #terminatedWaiters = new Map<string, (() => void)[]>();
  /** Pods the eviction manager evicted: Failed/Evicted, killed, not started again (by UID). */
  readonly #evicted = new Map<string, { readonly eviction: Eviction; readonly at: number }>();

  constructor(deps: AgentDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'agent' });
    this.#status = new StatusManager(deps.clock);
    const allocatable = deps.allocatable;
    this.#admission = new StaticPodAdmission({
      logger: this.#log,
      events: deps.events,
      ...(allocatable ? { resources: { allocatable, activePods: () => this.#activePods() } } : {}),
    });
    this.#backoffPolicy = { initialMs: deps.config.crashLoopBackOff.initialMs, maxMs: deps.config.crashLoopBackOff.maxMs };
    this.#workers = new PodWorkers({
      parallelism: deps.config.parallelism,
      clock: deps.clock,
      sync: async (uid, work) => {
        try {
          return await this.#podSync.run(uid, work);
        } finally {
          this.#recordStatus(uid);
          // A daemon pod's pass may have changed what its DaemonSet decides (Ready, gone).
          this.#daemonSets.podChanged(uid);
        }
      },
      onError: (uid, err) => this.#onPassError(uid, err),
      errorBackoffMs: 1000,
      onLifecycle: (uid, state, info) => this.#onLifecycle(uid, state, info),
    });
    this.#prober = new ProbeManager({
      runtime: deps.runtime,
      clock: deps.clock,
      events: deps.events,
      logger: deps.logger,
      hostIPs: deps.translate.hostIPs,
      // The newest running sandbox's IPs, read when Docker was last asked about it (no request here).
      podIPs: (uid) => podIPsOf(this.#snapshot.get(uid)),
      onChange: (uid) => {
        // A probe result is the status manager's other writer: readiness changes now, at the result.
        this.#status.setProbeStates(uid, this.#prober.states(uid));
        this.#nudge(uid);
      },
      onResult: (type, result) => this.#metrics?.probeResults.inc({ probe_type: type, result }),
      onProbe: (run) => this.#probeMetrics?.record(run),
      onProbeRemoved: (probe) => this.#probeMetrics?.remove(probe),
    });
    this.#housekeeping = this.#newHousekeeping(deps);
    this.#podSync = this.#newPodSync(deps);
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
          this.#admit(pod);
          if (this.#runtimeHealthy) this.#workers.update(pod.uid, identityOf(pod));
        },
        removeDesired: (uid) => {
          const last = this.#desired.get(uid);
          this.#desired.delete(uid);
          this.#terminate(uid, last);
        },
        podView: (uid) => {
          const d = this.#desired.get(uid);
          // The API's view: a pod admission rejected shows Failed, which the controller replaces.
          return d ? this.#apiView(d) : undefined;
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
    if (deps.logind) this.#shutdown = this.#newShutdownManager(deps, deps.logind);
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
      podsBases: [deps.translate.rootDir ?? deps.config.stateDir, deps.config.stateDir],
      nodeName: deps.config.nodeName,
      hostFs: deps.hostFs,
      runtime: deps.runtime,
      logger: deps.logger,
      inUse: (uid) => this.#desired.has(uid) || this.#snapshot.has(uid) || this.#workers.has(uid),
      enqueue: (uid) => this.#nudge(uid),
    });
  }

  // The agent's side of graceful node shutdown: the pods, the kill with a grace period through
  // the pod's worker (preStop hooks, SIGTERM, SIGKILL), the node's Ready condition and events.
  #newShutdownManager(deps: AgentDeps, logind: LogindPort): ShutdownManager {
    return new ShutdownManager({
      config: deps.config.shutdown,
      logind,
      clock: deps.clock,
      logger: deps.logger,
      host: {
        pods: () =>
          [...this.#desired.values()]
            .filter((d) => !this.#admission.isRejected(d.uid) && !this.#shutdownPods.isKilled(d.uid))
            .map((d) => ({
              uid: d.uid,
              name: `${d.namespace}/${d.name}`,
              ...(d.pod.spec?.priority === undefined ? {} : { priority: d.pod.spec.priority }),
              terminationGracePeriodSeconds: d.pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
            })),
        killPod: (uid, grace) => this.#killForShutdown(uid, grace),
        shuttingDownChanged: (shuttingDown) => {
          if (shuttingDown) this.#shutdownPods.begin(this.#desired.keys());
          else for (const uid of this.#shutdownPods.cancel()) this.#nudge(uid);
          deps.onNodeShutdown?.(shuttingDown);
        },
        nodeEvent: (type, reason, message) => deps.events.record(nodeRef(deps.config.nodeName), type, reason, message),
      },
    });
  }

  async #killForShutdown(uid: string, gracePeriodSeconds: number): Promise<void> {
    const desired = this.#desired.get(uid);
    if (!desired) return;
    this.#shutdownPods.killed(uid, this.#deps.clock.now());
    this.#terminatingSpecs.set(uid, desired);
    const done = new Promise<void>((resolve) => this.#terminatedWaiters.set(uid, [...(this.#terminatedWaiters.get(uid) ?? []), resolve]));
    this.#workers.terminate(uid, identityOf(desired), { gracePeriodSeconds });
    await done;
  }

  /** A desired pod the node shutdown killed, or one that came after the shutdown began. */
  #shutdownBlocks(uid: string): boolean {
    const desired = this.#desired.get(uid);
    if (!desired) return false;
    return this.#shutdownPods.blocks(uid, () => {
      this.#log.warn({ pod: `${desired.namespace}/${desired.name}`, reason: NODE_SHUTDOWN_NOT_ADMITTED_REASON }, `pod rejected: ${NODE_SHUTDOWN_NOT_ADMITTED_MESSAGE}`);
      this.#deps.events.record(involvedPod(desired), 'Warning', NODE_SHUTDOWN_NOT_ADMITTED_REASON, NODE_SHUTDOWN_NOT_ADMITTED_MESSAGE);
    });
  }

  /** ShutdownStatus(): `node is shutting down` while it does (the Ready condition's message). */
  shutdownStatus(): string | undefined {
    return this.#shutdown?.status();
  }

  /** The node shutdown manager, when configured (tests await its work). */
  get shutdownManager(): ShutdownManager | undefined {
    return this.#shutdown;
  }

  #newPodSync(deps: AgentDeps): PodSync {
    return new PodSync({
      runtime: deps.runtime,
      hostFs: deps.hostFs,
      subPaths: deps.subPaths,
      translate: deps.translate,
      events: deps.events,
      logger: deps.logger,
      clock: deps.clock,
      backoffPolicy: this.#backoffPolicy,
      imagePullBackoffPolicy: { ...deps.config.images.imagePullBackOff },
      memory: this.#memory,
      prober: this.#prober,
      // A pod admission rejected is not run: whatever it had is stopped.
      desired: (uid) => (this.#admission.isRejected(uid) || this.#evicted.has(uid) || this.#shutdownBlocks(uid) ? undefined : this.#desired.get(uid)),
      // The node shutdown's grace period for a pod it kills (the group's, capped by the pod's).
      terminationGrace: (uid) => this.#workers.info(uid)?.gracePeriodSeconds,
      graceOverride: (uid) => this.#evicted.get(uid)?.eviction.gracePeriodSeconds,
      isDesired: (uid) => this.#desired.has(uid),
      observe: (uid) => this.#observe(uid),
      startGated: (desired, mem) => this.#startGated(desired, mem),
      removeIfOrphaned: (uid) => this.#housekeeping.removeIfOrphaned(uid),
      ...(deps.podLogs ? { podLogs: deps.podLogs } : {}),
      ...(deps.podCgroups ? { podCgroups: deps.podCgroups } : {}),
      metrics: () => this.#metrics,
      updateGauges: () => this.#updateGauges(),
    });
  }

  /**
   * A pass of `uid` is wanted (a container event, a probe result, the relist): a desired pod
   * gets a syncing worker, anything else a terminating one (an orphan of an earlier run).
   */
  #nudge(uid: string): void {
    if (this.#workers.has(uid)) {
      this.#workers.enqueue(uid);
      return;
    }
    const desired = this.#desired.get(uid);
    if (desired) {
      this.#workers.update(uid, identityOf(desired));
      return;
    }
    this.#terminate(uid, undefined);
  }

  /** The worker of `uid` terminates: preStop, grace period, sidecar order; then it is gone. */
  #terminate(uid: string, last: DesiredPod | undefined): void {
    const observed = this.#snapshot.get(uid);
    if (last) this.#terminatingSpecs.set(uid, last);
    // An orphan's name comes from its containers' labels; it is taken for a static pod, so a
    // static pod of that name waits for it (DaemonSet pod names never collide).
    const identity: PodIdentity = last ? identityOf(last) : { fullName: observed ? `${observed.namespace}/${observed.name}` : '', isStatic: true };
    this.#workers.terminate(uid, identity);
  }

  #onLifecycle(uid: string, state: PodLifecycle, info: LifecycleInfo): void {
    const pod = this.#terminatingSpecs.get(uid) ?? this.#desired.get(uid);
    const name = pod ? `${pod.namespace}/${pod.name}` : undefined;
    if (state === 'terminating') this.#log.info({ pod: name, uid }, 'pod terminating');
    else if (state === 'terminated') {
      if (pod && this.#shutdownPods.isKilled(uid)) this.#shutdownPods.terminated(uid, this.#podView(pod));
      for (const resolve of this.#terminatedWaiters.get(uid) ?? []) resolve();
      this.#terminatedWaiters.delete(uid);
      this.#terminatingSpecs.delete(uid);
      this.#evicted.delete(uid);
      this.#memory.delete(uid);
      // Gone, or about to start afresh (delete pod of a static pod): no status carries over.
      this.#status.removePod(uid);
      // Its resources are free: pods rejected for lack of them are judged again.
      this.#retryRejected();
      this.#log.info({ pod: name, uid, seconds: info.terminatingSince === undefined ? undefined : (this.#deps.clock.now() - info.terminatingSince) / 1000 }, 'pod terminated');
    } else this.#log.info({ pod: name, uid }, 'pod starting again after its termination');
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

  /** kubelet's admission of a manifest Pod (node/admission.ts); re-run whenever node labels change. */
  #admit(desired: DesiredPod): boolean {
    return this.#admission.admit(desired, this.#node.current());
  }

  #admitAll(): void {
    for (const d of [...this.#desired.values()].sort(admissionOrder)) if (this.#admit(d) && this.#runtimeHealthy) this.#nudge(d.uid);
  }

  /** Pods rejected for resources (OutOf*), judged again in admission order once resources may be free. */
  #retryRejected(): void {
    for (const d of this.#admission.rejectedForResources(this.#desired)) if (this.#admit(d) && this.#runtimeHealthy) this.#nudge(d.uid);
  }

  /**
   * The pods that hold node resources (the kubelet's active pods): desired and admitted, not
   * Succeeded or Failed, and those whose worker still terminates.
   */
  *#activePods(): Iterable<DesiredPod> {
    for (const d of this.#desired.values()) {
      if (this.#admission.isRejected(d.uid)) continue;
      const phase = this.#status.podStatus(d.uid)?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      yield d;
    }
    for (const d of this.#terminatingSpecs.values()) if (!this.#desired.has(d.uid)) yield d;
  }

  /** Σ cpu requests (millicores) of the Burstable pods that hold resources: the burstable cgroup's shares. */
  burstableCpuMilli(): number {
    let milli = 0n;
    for (const d of this.#activePods()) if (podQos(d.pod) === 'Burstable') milli += quantityMilli(podRequests(d.pod).get('cpu') ?? 0n);
    return Number(milli);
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

  /** prober_probe_total and prober_probe_duration_seconds for /metrics/probes (optional). */
  attachProbeMetrics(metrics: ProbeMetrics): void {
    this.#probeMetrics = metrics;
  }

  /** What Docker holds of each pod the agent runs or still terminates (for stats: containers, PIDs). */
  observedPods(): ObservedPod[] {
    return [...this.#snapshot.values()];
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

  /**
   * v1 Pods with kubelet-style status, for the local API: the desired pods, then the pods whose
   * worker still terminates (with deletionTimestamp, so `get pods` shows Terminating and the
   * mirror reporter deletes their mirror only once they are gone).
   */
  pods(): Pod[] {
    const terminating = [...this.#terminatingSpecs.values()].filter((d) => !this.#desired.has(d.uid)).map((d) => this.#podView(d));
    return [...[...this.#desired.values()].map((d) => this.#apiView(d)), ...terminating];
  }

  #apiView(d: DesiredPod): Pod {
    const shutdown = this.#shutdownPods.view(d.uid, d.pod);
    if (shutdown) return shutdown;
    const rejected = this.#admission.rejection(d.uid);
    if (!rejected) return this.#podView(d);
    const seen = d.pod.metadata?.annotations?.['kubernetes.io/config.seen'];
    return {
      ...d.pod,
      metadata: { ...d.pod.metadata, ...(seen && Number.isFinite(Date.parse(seen)) ? { creationTimestamp: apiTime(Date.parse(seen)) } : {}) },
      status: { phase: 'Failed', reason: rejected.reason, message: `Pod was rejected: ${rejected.message}`, qosClass: podQosClass(d.pod.spec) },
    };
  }

  /** One pod with its stored status, by UID (logs and exec look at one pod, not all). */
  pod(uid: string): Pod | undefined {
    const d = this.#desired.get(uid);
    if (d) return this.#apiView(d);
    const terminating = this.#terminatingSpecs.get(uid);
    return terminating ? this.#podView(terminating) : undefined;
  }

  /**
   * `nodelet delete pod`: a DaemonSet pod is deleted for good (its DaemonSet creates the
   * replacement); a static pod is terminated through its worker (preStop hooks, grace period,
   * sidecar order, containers removed) and then started afresh, restart counts from 0.
   */
  async restartPod(uid: string): Promise<boolean> {
    if (this.#daemonSets.deletePod(uid)) return true;
    const desired = this.#desired.get(uid);
    if (!desired) return false;
    this.#log.info({ pod: `${desired.namespace}/${desired.name}`, uid }, 'pod deleted through the API; terminating it, then starting it again');
    this.#terminatingSpecs.set(uid, desired);
    this.#workers.restart(uid, identityOf(desired));
    return true;
  }

  /** kubectl shows Terminating while metadata.deletionTimestamp is set (printers/pods.ts). */
  #withDeletion(desired: DesiredPod): DesiredPod {
    if (this.#workers.lifecycle(desired.uid) !== 'terminating') return desired;
    const info = this.#workers.info(desired.uid);
    const since = info?.terminatingSince ?? this.#deps.clock.now();
    const grace = info?.gracePeriodSeconds ?? desired.pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
    const metadata = { ...desired.pod.metadata, deletionTimestamp: apiTime(since + grace * 1000), deletionGracePeriodSeconds: grace };
    return { ...desired, pod: { ...desired.pod, metadata } };
  }

  /** The pod with its stored status (and deletionTimestamp while it terminates): a read, never a write. */
  #podView(spec: DesiredPod): Pod {
    const view = this.#status.podView(this.#withDeletion(spec));
    const evicted = this.#evicted.get(spec.uid);
    return evicted ? evictedView(view, evicted.eviction, evicted.at) : view;
  }

  /**
   * What the eviction manager calls back into: the active pods (admitted, not evicted, not
   * terminating), the eviction itself (the pod is marked Failed/Evicted and its pass kills it
   * with the override), and whether anything of a pod still runs.
   */
  evictionHost(): EvictionHost {
    return {
      activePods: () => {
        const out: EvictionPod[] = [];
        for (const d of this.#desired.values()) {
          if (this.#admission.isRejected(d.uid) || this.#evicted.has(d.uid) || this.#workers.lifecycle(d.uid) === 'terminating') continue;
          out.push({ uid: d.uid, namespace: d.namespace, name: d.name, pod: d.pod, isStatic: d.origin.kind === 'Pod' });
        }
        return out;
      },
      evictPod: (pod, eviction) => {
        const d = this.#desired.get(pod.uid);
        if (!d) return false;
        this.#evicted.set(pod.uid, { eviction, at: this.#deps.clock.now() });
        this.#log.info({ pod: `${pod.namespace}/${pod.name}`, uid: pod.uid, gracePeriodSeconds: eviction.gracePeriodSeconds }, 'pod evicted; killing it');
        // update(): a pass in flight is cancelled, so the kill starts now.
        this.#workers.update(pod.uid, identityOf(d));
        return true;
      },
      podCleanedUp: (uid) => !(this.#snapshot.get(uid)?.containers.some((c) => c.state === 'running' || c.state === 'unknown') ?? false),
    };
  }

  /** The eviction manager's admit handler, run before the predicate handler for every pod. */
  setPressureAdmission(admit: (pod: EvictionPod) => { readonly admit: true } | { readonly admit: false; readonly reason: string; readonly message: string }): void {
    this.#admission.setBefore((d) => {
      const r = admit({ uid: d.uid, namespace: d.namespace, name: d.name, pod: d.pod, isStatic: d.origin.kind === 'Pod' });
      return r.admit ? undefined : r;
    });
  }

  /**
   * The pass's observation to the status manager (the sync is one of its two writers). A pod
   * whose worker terminates keeps being written until it has terminated (#onLifecycle).
   */
  #recordStatus(uid: string): void {
    const desired = this.#admission.isRejected(uid) ? undefined : (this.#desired.get(uid) ?? this.#terminatingSpecs.get(uid));
    if (!desired) {
      this.#status.removePod(uid);
      return;
    }
    const hostIPs = this.#deps.translate.hostIPs;
    this.#status.setPodStatus({
      desired,
      observed: this.#snapshot.get(uid),
      waiting: this.#memory.of(uid).waiting,
      probes: this.#prober.states(uid),
      hostIPs,
      podIPs: desired.pod.spec?.hostNetwork === true ? hostIPs : podIPsOf(this.#snapshot.get(uid)),
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
    this.#adoptLegacyPods(running);
    await this.#daemonSets.initialSync(running);
    // The desired set is complete now, so whatever Docker holds beyond it is an orphan.
    await this.#relist(true);
    void this.#followEvents();
    this.#relistTimer = this.#deps.clock.setInterval(() => void this.#relist(false), this.#deps.config.resyncPeriodMs);
    // Housekeeping at the relist's cadence: one readdir and one volume list, a safety net for
    // what a killed agent left (the normal removal path cleans up at once).
    void this.#housekeeping.scan().then(() => this.#collectLogs()).then(() => this.#sweepCgroups());
    this.#housekeepingTimer = this.#deps.clock.setInterval(() => void this.#housekeeping.scan().then(() => this.#collectLogs()).then(() => this.#sweepCgroups()), this.#deps.config.resyncPeriodMs);
    this.#firstSync = this.#workers.idle().then(() => {
      this.#synced = true;
      this.#log.info({ pods: this.#desired.size }, 'initial sync done');
    });
    // The logind lock once the pods it protects run (the kubelet starts its manager at start-up).
    void this.#shutdown?.start();
  }

  /**
   * Static pods an older nodelet started under its own UID scheme keep running under that UID
   * (sync/adoption.ts): before the first relist, which would take them for orphans.
   */
  #adoptLegacyPods(running: readonly ObservedPod[]): void {
    for (const [key, uid] of this.#uidByKey) {
      const desired = this.#desired.get(uid);
      const legacy = this.#legacyUidByKey.get(key);
      if (!desired || !legacy || !adoptsLegacyPod(desired, legacy, running, containerSpecHash)) continue;
      const adopted = withRuntimeUid(desired, legacy);
      this.#desired.delete(uid);
      this.#admission.forget(uid);
      this.#desired.set(legacy, adopted);
      this.#uidByKey.set(key, legacy);
      this.#admit(adopted);
      this.#log.info({ pod: `${desired.namespace}/${desired.name}`, uid: legacy, configHash: uid }, 'adopted the running pod an older nodelet started under its previous UID');
    }
  }

  /**
   * The kubelet's log GC (evictPodLogsDirectories) beside housekeeping: log directories of pods
   * that are neither desired, nor in Docker, nor being worked on, and dangling log links.
   */
  async #collectLogs(): Promise<void> {
    const running = new Set<string>();
    for (const p of this.#snapshot.values()) for (const c of p.containers) if (c.state === 'running') running.add(c.id);
    const inUse = (uid: string): boolean => this.#desired.has(uid) || this.#snapshot.has(uid) || this.#workers.has(uid);
    await this.#deps.podLogs?.collect(inUse, (id) => running.has(id) || [...running].some((r) => r.startsWith(id))).catch((err: unknown) => this.#log.warn({ err: errorMessage(err) }, 'container log collection failed'));
  }

  /**
   * The kubelet's cleanupOrphanedPodCgroups: pod cgroups of pods that are neither desired, nor in
   * Docker, nor being worked on (a removal that failed, a pod removed while the agent was down).
   * Only pods of this node's own pods' UIDs are ever created, but other agents on the host (tests
   * with their own cgroupRoot) never share this hierarchy.
   */
  async #sweepCgroups(): Promise<void> {
    const cgroups = this.#deps.podCgroups;
    if (!cgroups?.podUids) return;
    const uids = await cgroups.podUids().catch(() => [] as string[]);
    for (const uid of uids) {
      if (this.#desired.has(uid) || this.#snapshot.has(uid) || this.#workers.has(uid)) continue;
      await cgroups.removePod(uid).catch((err: unknown) => this.#log.warn({ uid, err: errorMessage(err) }, 'orphaned pod cgroup not removed'));
    }
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
    this.#shutdown?.stop();
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
    // Admitted after the batch, in admission order (critical pods first), then synced.
    const admitted: DesiredPod[] = [];
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
          this.#legacyUidByKey.delete(keyText);
          if (oldUid) {
            const last = this.#desired.get(oldUid);
            this.#desired.delete(oldUid);
            this.#admission.forget(oldUid);
            this.#shutdownPods.forget(oldUid);
            this.#log.info({ object: keyText, uid: oldUid }, 'pod removed from manifests');
            this.#terminate(oldUid, last);
          }
          continue;
        }
        if (u.object.kind !== 'Pod') continue;
        const prev = oldUid ? this.#desired.get(oldUid) : undefined;
        const seen = prev?.pod.metadata?.annotations?.['kubernetes.io/config.seen'];
        this.#legacyUidByKey.set(keyText, legacyStaticPodUid(u.object.object, this.#deps.config.nodeName));
        const computed = toStaticPod(u.object.object, { nodeName: this.#deps.config.nodeName, file: u.object.file, seenAt: now });
        // Same content as the pod in force (same config hash): it keeps its runtime UID, which
        // differs from the hash only for a pod adopted from an older nodelet.
        const desired = prev && oldUid && configHash(prev) === configHash(computed) ? withRuntimeUid(computed, oldUid) : computed;
        const pod = seen && oldUid === desired.uid ? withSeen(desired, seen) : desired;
        if (oldUid && oldUid !== pod.uid) {
          // The old UID terminates first; the new one waits for it (same full name).
          this.#desired.delete(oldUid);
          this.#admission.forget(oldUid);
          this.#terminate(oldUid, prev);
          this.#log.info({ object: keyText, oldUid, uid: pod.uid }, 'pod identity changed; replacing the whole pod');
        }
        this.#uidByKey.set(keyText, pod.uid);
        this.#desired.set(pod.uid, pod);
        if (!prev || oldUid !== pod.uid) this.#log.info({ pod: `${pod.namespace}/${pod.name}`, uid: pod.uid, file: u.object.file }, 'pod added');
        else this.#log.info({ pod: `${pod.namespace}/${pod.name}`, uid: pod.uid, file: u.object.file }, 'pod updated');
        admitted.push(pod);
      } catch (err) {
        const file = u.op === 'REMOVE' ? undefined : u.object.file;
        this.#log.error({ object: keyText, op: u.op, file, err: errorMessage(err) }, 'manifest object could not be applied; its previous version stays');
      }
    }
    for (const pod of admitted.sort(admissionOrder)) {
      if (this.#desired.get(pod.uid) !== pod) continue;
      this.#admit(pod);
      if (this.#runtimeHealthy) this.#workers.update(pod.uid, identityOf(pod));
    }
  }

  async #waitForRuntime(): Promise<void> {
    let failures = 0;
    for (;;) {
      try {
        await this.#deps.runtime.ping();
        const v = await this.#deps.runtime.version();
        this.#runtimeHealthy = true;
        this.#log.info({ docker: v.version, api: v.apiVersion }, 'docker engine connected');
        return;
      } catch (err) {
        const delay = backoffDelay(RUNTIME_WAIT, ++failures);
        this.#log.warn({ err: errorMessage(err), retryInMs: delay }, 'docker engine unavailable; retrying');
        try {
          await this.#deps.clock.sleep(delay, this.#abort.signal);
        } catch {
          return;
        }
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
    // Again here (idempotent): the listing in start() may have failed and returned nothing.
    if (initial) this.#adoptLegacyPods(pods);
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
      // The first relist is an observation like a pass's: adopted pods get their status from it
      // now, instead of showing Pending until their worker's first pass (a restarted agent
      // reports its running pods at once, as before the status manager).
      for (const uid of adopted) this.#recordStatus(uid);
    }
    // Pods no longer desired first: their workers terminate, and a static pod that replaces one
    // of them waits for it rather than starting beside it.
    const ordered = [...toSync].sort((a, b) => Number(this.#desired.has(a)) - Number(this.#desired.has(b)));
    for (const uid of ordered) this.#nudge(uid);
    // A pod that Succeeded or Failed holds nothing any more (the relist sees it first).
    this.#retryRejected();
    this.#updateGauges();
  }

  async #followEvents(): Promise<void> {
    try {
      for await (const ev of this.#deps.runtime.events(this.#abort.signal)) {
        if (ev.type === 'container') {
          this.#nudge(ev.podUid);
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

  async #observe(uid: string): Promise<ObservedPod | undefined> {
    const pods = await this.#deps.runtime.listPods({ podUid: uid });
    const pod = pods.find((p) => p.uid === uid);
    if (pod) this.#snapshot.set(uid, pod);
    else this.#snapshot.delete(uid);
    return pod;
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

  #onPassError(uid: string, err: unknown): void {
    const mem = this.#memory.of(uid);
    const message = errorMessage(err);
    const retryable = err instanceof RuntimeError ? err.retryable : !isNodeletError(err);
    if (retryable && !this.#runtimeHealthy) return; // one line for the outage is enough
    if (mem.lastError !== message) {
      mem.lastError = message;
      this.#log.warn({ uid, err: message }, 'pod sync failed; retrying');
    }
  }
}

function identityOf(pod: DesiredPod): PodIdentity {
  return { fullName: `${pod.namespace}/${pod.name}`, isStatic: pod.origin.kind === 'Pod' };
}

function withSeen(pod: DesiredPod, seen: string): DesiredPod {
  const annotations = { ...(pod.pod.metadata?.annotations ?? {}), 'kubernetes.io/config.seen': seen };
  return { ...pod, pod: { ...pod.pod, metadata: { ...pod.pod.metadata, annotations } } };
}

function configHash(d: DesiredPod): string | undefined {
  return d.pod.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];
}
