// Optional reporting to a Kubernetes API server: the Node and its status, the node Lease,
// mirror pods for every pod nodelet runs, and events. Local pods never depend on it: the
// reporter only reads the agent's in-memory views, and everything it does is its own I/O on
// its own timers. Each of the four tasks (lease, node, mirror pods, events) runs its own loop
// with its own retries, as the kubelet's lease controller, node status loop, status manager
// and event recorder do: no task waits behind another's request or back-off. A failure backs
// off only the task that saw it, with the kubelet's caps: the Lease retries 200 ms doubling to
// 7 s (the lease controller's backoffEnsureLease), so it is renewed within about 7 s of the
// API server's return; node status, mirror pods and events retry from 1 s doubling to 10 s
// (their 10 s sync periods). A request the server refuses for its own reasons (403, 422...)
// backs off only the task or the pod concerned.
import type { ContainerImage, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { monotonicToWall, type Clock } from '../core/clock.js';
import type { Logger } from '../log/logger.js';
import type { InvolvedObject, NodeletEvent } from '../events/event-store.js';
import { nodeRef } from '../node/node-events.js';
import { CONFIG_HASH_ANNOTATION } from '../manifest/identity.js';
import { errorMessage } from '../core/errors.js';
import { Backoff, type BackoffPolicy, DEFAULT_BACKOFF, LEASE_BACKOFF } from './backoff.js';
import { HttpsKubeTransport, isServerUnavailable, KubeClient, KubeUnreachableError, type KubeRequest, type KubeTransport, type WatchEvent, type WatchHandle } from './kube-client.js';
import { DEFAULT_LEASE_TIMING, LeaseHeartbeat, type LeaseTiming } from './lease.js';
import { DEFAULT_MIRROR_TIMING, MirrorSync, type MirrorSyncTiming } from './mirror-sync.js';
import { DEFAULT_NODE_SYNC_TIMING, NodeSync, type NodeSyncTiming } from './node-sync.js';
import type { NodeFacts, NodeHealth } from '../node/node-status.js';
import type { NodePluginState } from '../plugins/node-plugins.js';
import { EventSink } from './events-sink.js';
import { apiTime } from '../core/time-format.js';
import type { ReportingState } from './reporting-state.js';

/** The agent as the reporter sees it (agent.ts's Agent satisfies it). */
export interface ReporterAgentView {
  /** v1 Pods nodelet runs, with the status it computed. */
  pods(): Pod[];
  readonly runtimeHealthy: boolean;
  /** Until the first sync, the desired set is incomplete: mirrors are left alone. */
  readonly synced: boolean;
}

export interface ReporterTiming {
  readonly node: NodeSyncTiming;
  readonly lease: LeaseTiming;
  readonly mirror: MirrorSyncTiming;
  /** Retries of the node, mirror-pod and event tasks. */
  readonly backoff: BackoffPolicy;
  /** Retries of the Lease: backoffEnsureLease's 200 ms doubling to 7 s. */
  readonly leaseBackoff: BackoffPolicy;
  readonly requestTimeoutMs: number;
  readonly eventBatch: number;
  readonly maxPendingEvents: number;
}

export const DEFAULT_REPORTER_TIMING: ReporterTiming = {
  node: DEFAULT_NODE_SYNC_TIMING,
  lease: DEFAULT_LEASE_TIMING,
  mirror: DEFAULT_MIRROR_TIMING,
  backoff: DEFAULT_BACKOFF,
  leaseBackoff: LEASE_BACKOFF,
  requestTimeoutMs: 10_000,
  eventBatch: 25,
  maxPendingEvents: 1000,
};

export interface ReporterDeps {
  readonly kubeconfigPath: string;
  readonly nodeName: string;
  readonly agent: ReporterAgentView;
  /**
   * The agent's event store: what it holds already (recorded since the agent started, before
   * the reporter existed) is sent first, then every new event; Node events are recorded in it.
   */
  readonly events: {
    subscribe(listener: (e: NodeletEvent) => void): () => void;
    list?(): NodeletEvent[];
    record?(involvedObject: InvolvedObject, type: 'Normal' | 'Warning', reason: string, message: string): unknown;
  };
  readonly nodeFacts: () => NodeFacts;
  /** Memory/disk/PID pressure; all false when not given. */
  readonly nodePressure?: () => Omit<NodeHealth, 'runtimeReady'>;
  /** Configured node labels and taints (kubelet's automatic labels are added here). */
  readonly nodeLabels: () => Readonly<Record<string, string>>;
  readonly nodeTaints: () => readonly Taint[];
  /** Registered CSI drivers and device plugin resources: the nodeid annotation, CSINode, capacity. */
  readonly nodePlugins?: () => NodePluginState;
  /** status.images, from the engine's image list (nodeImages). */
  readonly nodeImages?: () => Promise<readonly ContainerImage[]>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly random?: () => number;
  readonly timing?: Partial<ReporterTiming>;
  /** Tests only: a transport instead of the kubeconfig's. */
  readonly transport?: KubeTransport;
}

export interface Reporter {
  reportingState(): ReportingState;
  /** Stops timers and any request in flight; never touches what the API server holds. */
  stop(): Promise<void>;
  /** Resolves when no run is in progress (tests drive a fake clock with it). */
  settled(): Promise<void>;
  /** Tests and diagnostics: the Node's uid once registered. */
  nodeUid(): string | undefined;
  /** Checks the Node now, not at the next 10 s tick (graceful shutdown began or was cancelled). */
  syncNodeStatusNow(): void;
}

interface Task {
  readonly name: string;
  nextDue(): number;
  run(): Promise<void>;
  readonly backoff: Backoff;
  timer?: { cancel(): void };
  running?: Promise<void>;
  /** Its last failure was "no API server" (not a refusal of its own request). */
  serverDown?: boolean;
}

/**
 * Watches every request for "the API server answered": a success, or a refusal that is about
 * the request (404, 409, 422...). Either ends an outage; only successes count as lastSuccess.
 */
class ObservedTransport implements KubeTransport {
  readonly #inner: KubeTransport;
  readonly #onAnswer: (ok: boolean) => void;

  constructor(inner: KubeTransport, onAnswer: (ok: boolean) => void) {
    this.#inner = inner;
    this.#onAnswer = onAnswer;
  }

  get server(): string {
    return this.#inner.server;
  }

  async request<T>(req: KubeRequest): Promise<T> {
    try {
      const out = await this.#inner.request<T>(req);
      this.#onAnswer(true);
      return out;
    } catch (err) {
      if (!isServerUnavailable(err)) this.#onAnswer(false);
      throw err;
    }
  }

  watch<T>(req: KubeRequest, onEvent: (e: WatchEvent<T>) => void): WatchHandle {
    if (!this.#inner.watch) throw new KubeUnreachableError('this transport cannot watch');
    let answered = false;
    return this.#inner.watch<T>(req, (e) => {
      if (!answered) {
        answered = true;
        this.#onAnswer(true);
      }
      onEvent(e);
    });
  }

  close(): void {
    this.#inner.close();
  }
}

class ApiReporter implements Reporter {
  readonly #d: ReporterDeps;
  readonly #log: Logger;
  readonly #timing: ReporterTiming;
  readonly #random: () => number;
  readonly #tasks: Task[];
  readonly #node: NodeSync;
  readonly #mirrors: MirrorSync;
  readonly #events: EventSink;
  readonly #unsubscribe: () => void;
  #client?: KubeClient;
  #server: string;
  #stopped = false;
  #lastSuccess?: number;
  #lastError?: string;
  #lastErrorAt?: number;
  #downSince?: number;

  constructor(deps: ReporterDeps) {
    this.#d = deps;
    this.#log = deps.logger.child({ component: 'apiserver-reporter' });
    this.#timing = { ...DEFAULT_REPORTER_TIMING, ...(deps.timing ?? {}) };
    this.#random = deps.random ?? Math.random;
    this.#server = deps.transport?.server ?? '';
    // Wall time only for what the API server stores; every due time and back-off is monotonic.
    const now = (): number => deps.clock.now();
    const monotonic = (): number => deps.clock.monotonic();
    const client = (): KubeClient => {
      if (!this.#client) throw new Error('API client not ready');
      return this.#client;
    };
    const problem = (message: string, details: Record<string, unknown>): void => {
      this.#recordError(message);
      this.#log.warn({ ...details, err: message }, 'API server refused a request');
    };
    this.#node = new NodeSync({
      client,
      nodeName: deps.nodeName,
      facts: deps.nodeFacts,
      health: () => ({ runtimeReady: deps.agent.runtimeHealthy, memoryPressure: false, diskPressure: false, pidPressure: false, ...(deps.nodePressure?.() ?? {}) }),
      labels: deps.nodeLabels,
      taints: deps.nodeTaints,
      plugins: deps.nodePlugins,
      now,
      monotonic,
      timing: this.#timing.node,
      warn: (message, details) => this.#log.warn(details, message),
      info: (message, details) => this.#log.info(details, message),
      event: (e) => deps.events.record?.(nodeRef(deps.nodeName), e.type, e.reason, e.message),
      ...(deps.nodeImages ? { images: deps.nodeImages } : {}),
    });
    const lease = new LeaseHeartbeat({ client, nodeName: deps.nodeName, owner: () => this.#node.owner(), now, monotonic, random: this.#random, timing: this.#timing.lease });
    const mirrors = new MirrorSync({
      client,
      warn: (message, details) => this.#log.warn(details, message),
      nodeName: deps.nodeName,
      owner: () => this.#node.owner(),
      pods: () => (deps.agent.synced ? deps.agent.pods() : undefined),
      now: monotonic,
      timing: this.#timing.mirror,
      problem,
      info: (message, details) => this.#log.info(details, message),
    });
    this.#mirrors = mirrors;
    this.#events = new EventSink({ client, nodeName: deps.nodeName, maxPending: this.#timing.maxPendingEvents, batch: this.#timing.eventBatch, problem, wake: () => this.#wakeEvents(), podUids: () => podUidsForEvents(deps.agent.pods()) });
    const taskBackoff = (): Backoff => new Backoff(this.#timing.backoff, this.#random);
    this.#tasks = [
      { name: 'lease', nextDue: () => lease.nextDue(), run: () => lease.run(), backoff: new Backoff(this.#timing.leaseBackoff, this.#random) },
      { name: 'node', nextDue: () => this.#node.nextDue(), run: () => this.#node.run(), backoff: taskBackoff() },
      { name: 'mirror-pods', nextDue: () => mirrors.nextDue(), run: () => mirrors.run(), backoff: taskBackoff() },
      { name: 'events', nextDue: () => this.#events.nextDue(), run: () => this.#events.run(), backoff: taskBackoff() },
    ];
    // Events recorded before the reporter started (the first Pulled, Starting...), oldest
    // first, bounded like the rest by maxPendingEvents; then every new one.
    for (const e of deps.events.list?.() ?? []) this.#events.offer(e);
    this.#unsubscribe = deps.events.subscribe((e) => this.#events.offer(e));
  }

  start(): void {
    this.#log.info({ kubeconfig: this.#d.kubeconfigPath, node: this.#d.nodeName }, 'reporting to the API server; local pods do not depend on it');
    for (const task of this.#tasks) this.#schedule(task);
  }

  nodeUid(): string | undefined {
    return this.#node.owner()?.uid;
  }

  reportingState(): ReportingState {
    const now = this.#d.clock.monotonic();
    // The earliest retry of a task that is backing off.
    const retries = this.#tasks.map((t) => t.backoff.until).filter((u) => u > now);
    const until = retries.length > 0 ? Math.min(...retries) : 0;
    return {
      enabled: true,
      server: this.#server,
      ...(this.#lastSuccess !== undefined ? { lastSuccess: apiTime(this.#lastSuccess) } : {}),
      ...(this.#lastError !== undefined ? { lastError: this.#lastError } : {}),
      ...(this.#lastErrorAt !== undefined ? { lastErrorAt: apiTime(this.#lastErrorAt) } : {}),
      ...(until > 0 ? { backoffUntil: apiTime(monotonicToWall(this.#d.clock, until)) } : {}),
    };
  }

  async settled(): Promise<void> {
    for (;;) {
      const running = this.#tasks.map((t) => t.running).filter((r): r is Promise<void> => r !== undefined);
      if (running.length === 0) return;
      await Promise.all(running);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#mirrors.stop();
    for (const t of this.#tasks) t.timer?.cancel();
    this.#unsubscribe();
    this.#client?.close();
    await Promise.all(this.#tasks.map((t) => t.running?.catch(() => undefined)));
  }

  /**
   * Checks the Node now instead of at the next 10 s tick: a graceful shutdown began or was
   * cancelled, and the Ready condition must reach the API server at once, as the kubelet's
   * shutdown manager does (syncNodeStatus).
   */
  syncNodeStatusNow(): void {
    this.#node.checkNow();
    const node = this.#tasks.find((t) => t.name === 'node');
    if (node) this.#schedule(node);
  }

  #due(task: Task): number {
    return Math.max(task.nextDue(), task.backoff.until);
  }

  /** Each task on its own timer: one request in flight per task, none waits for another. */
  #schedule(task: Task): void {
    if (this.#stopped || task.running) return;
    const next = this.#due(task);
    task.timer?.cancel();
    task.timer = undefined;
    if (next === Number.POSITIVE_INFINITY) return;
    task.timer = this.#d.clock.setTimeout(() => this.#tick(task), Math.max(0, next - this.#d.clock.monotonic()));
  }

  #wakeEvents(): void {
    const events = this.#tasks.find((t) => t.name === 'events');
    if (events) this.#schedule(events);
  }

  #tick(task: Task): void {
    if (this.#stopped || task.running) return;
    task.running = this.#runTask(task)
      .catch((err: unknown) => this.#log.error({ task: task.name, err: errorMessage(err) }, 'reporter run failed'))
      .finally(() => {
        task.running = undefined;
        this.#schedule(task);
      });
  }

  #ensureClient(): boolean {
    if (this.#client) return true;
    try {
      const transport = this.#d.transport ?? new HttpsKubeTransport({ kubeconfigPath: this.#d.kubeconfigPath, timeoutMs: this.#timing.requestTimeoutMs });
      this.#server = transport.server;
      this.#client = new KubeClient(
        new ObservedTransport(transport, (ok) => {
          if (ok) this.#lastSuccess = this.#d.clock.now();
          this.#serverBack();
        }),
      );
      this.#log.info({ server: this.#server }, 'API server client ready');
      return true;
    } catch (err) {
      this.#serverFailed(err);
      return false;
    }
  }

  async #runTask(task: Task): Promise<void> {
    if (!this.#ensureClient()) {
      // No usable kubeconfig yet: every task waits on its own back-off and tries again.
      task.backoff.failure(this.#d.clock.monotonic());
      return;
    }
    if (this.#due(task) > this.#d.clock.monotonic()) return;
    try {
      await task.run();
      task.backoff.success();
      task.serverDown = false;
    } catch (err) {
      if (this.#stopped) return;
      const until = task.backoff.failure(this.#d.clock.monotonic());
      task.serverDown = isServerUnavailable(err);
      if (task.serverDown) {
        this.#serverFailed(err, task.name, until);
        return;
      }
      // The server answered (or the task failed on its own): only this task backs off.
      this.#recordError(errorMessage(err));
      this.#log.warn({ task: task.name, err: errorMessage(err), retryInMs: until - this.#d.clock.monotonic() }, 'reporting task failed');
    }
  }

  #recordError(message: string): void {
    this.#lastError = message;
    this.#lastErrorAt = this.#d.clock.now();
  }

  #serverFailed(err: unknown, task?: string, until?: number): void {
    const now = this.#d.clock.monotonic();
    const message = errorMessage(err);
    this.#recordError(message);
    const retryInMs = until === undefined ? undefined : until - now;
    if (this.#downSince === undefined) {
      this.#downSince = now;
      this.#log.warn({ err: message, task, retryInMs }, 'API server unavailable; local pods are not affected, each reporting task retries on its own');
    } else {
      this.#log.debug({ err: message, task, retryInMs }, 'API server still unavailable');
    }
  }

  #serverBack(): void {
    if (this.#downSince === undefined) return;
    const downForMs = this.#d.clock.monotonic() - this.#downSince;
    this.#downSince = undefined;
    this.#log.info({ downForMs }, 'API server answering again; catching up');
    // Tasks waiting on a back-off step meant for an absent server go now (the lease is
    // already on its way: its answer is what brought this). Their next run is their own.
    for (const t of this.#tasks) {
      if (!t.serverDown || t.running) continue;
      t.serverDown = false;
      t.backoff.success();
      this.#schedule(t);
    }
  }
}

/**
 * Pods whose runtime uid is not the uid their events must carry: a static pod adopted from an
 * older nodelet runs under its old uid, while the API server knows it by its config hash.
 */
function podUidsForEvents(pods: readonly Pod[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of pods) {
    const uid = p.metadata?.uid;
    const hash = p.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];
    if (uid && hash && p.metadata?.annotations?.['kubernetes.io/config.source'] === 'file' && hash !== uid) out.set(uid, hash);
  }
  return out;
}

/**
 * Starts reporting. Never throws and never blocks: an unusable kubeconfig or an absent API
 * server shows up in reportingState() and the log, and is retried with backoff.
 */
export function startReporter(deps: ReporterDeps): Reporter {
  const reporter = new ApiReporter(deps);
  reporter.start();
  return reporter;
}
