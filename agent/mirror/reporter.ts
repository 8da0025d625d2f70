// Optional reporting to a Kubernetes API server: the Node and its status, the node Lease,
// mirror pods for every pod nodelet runs, and events. Local pods never depend on it: the
// reporter only reads the agent's in-memory views, and everything it does is its own I/O on
// its own timers. One loop runs the four tasks in priority order (lease, node, mirror pods,
// events), one request at a time. When the API server is unreachable, answers 5xx/429/401 or
// the kubeconfig cannot be used, all reporting pauses with capped exponential backoff
// (1 s → 60 s, jitter) and catches up when the server answers again: the lease is renewed,
// status that changed meanwhile is patched, mirrors are listed again and fixed, queued
// events are sent. A request the server refuses for its own reasons (403, 422...) backs off
// only the task or the pod concerned.
import type { Pod, Taint } from 'kubernetes-types/core/v1.js';
import { monotonicToWall, type Clock } from '../core/clock.js';
import type { Logger } from '../log/logger.js';
import type { NodeletEvent } from '../events/event-store.js';
import { errorMessage } from '../core/errors.js';
import { Backoff, type BackoffPolicy, DEFAULT_BACKOFF } from './backoff.js';
import { HttpsKubeTransport, isServerUnavailable, KubeClient, type KubeRequest, type KubeTransport } from './kube-client.js';
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
  readonly backoff: BackoffPolicy;
  readonly requestTimeoutMs: number;
  readonly eventBatch: number;
  readonly maxPendingEvents: number;
}

export const DEFAULT_REPORTER_TIMING: ReporterTiming = {
  node: DEFAULT_NODE_SYNC_TIMING,
  lease: DEFAULT_LEASE_TIMING,
  mirror: DEFAULT_MIRROR_TIMING,
  backoff: DEFAULT_BACKOFF,
  requestTimeoutMs: 10_000,
  eventBatch: 25,
  maxPendingEvents: 1000,
};

export interface ReporterDeps {
  readonly kubeconfigPath: string;
  readonly nodeName: string;
  readonly agent: ReporterAgentView;
  readonly events: { subscribe(listener: (e: NodeletEvent) => void): () => void };
  readonly nodeFacts: () => NodeFacts;
  /** Memory/disk/PID pressure; all false when not given. */
  readonly nodePressure?: () => Omit<NodeHealth, 'runtimeReady'>;
  /** Configured node labels and taints (kubelet's automatic labels are added here). */
  readonly nodeLabels: () => Readonly<Record<string, string>>;
  readonly nodeTaints: () => readonly Taint[];
  /** Registered CSI drivers and device plugin resources: the nodeid annotation, CSINode, capacity. */
  readonly nodePlugins?: () => NodePluginState;
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
}

interface Task {
  readonly name: string;
  nextDue(): number;
  run(): Promise<void>;
  readonly backoff: Backoff;
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

  close(): void {
    this.#inner.close();
  }
}

class ApiReporter implements Reporter {
  readonly #d: ReporterDeps;
  readonly #log: Logger;
  readonly #timing: ReporterTiming;
  readonly #random: () => number;
  readonly #backoff: Backoff;
  readonly #tasks: Task[];
  readonly #node: NodeSync;
  readonly #events: EventSink;
  readonly #unsubscribe: () => void;
  #client?: KubeClient;
  #server: string;
  #timer?: { cancel(): void };
  #running?: Promise<void>;
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
    this.#backoff = new Backoff(this.#timing.backoff, this.#random);
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
    });
    const lease = new LeaseHeartbeat({ client, nodeName: deps.nodeName, owner: () => this.#node.owner(), now, monotonic, random: this.#random, timing: this.#timing.lease });
    const mirrors = new MirrorSync({
      client,
      nodeName: deps.nodeName,
      owner: () => this.#node.owner(),
      pods: () => (deps.agent.synced ? deps.agent.pods() : undefined),
      now: monotonic,
      timing: this.#timing.mirror,
      problem,
      info: (message, details) => this.#log.info(details, message),
    });
    this.#events = new EventSink({ client, nodeName: deps.nodeName, maxPending: this.#timing.maxPendingEvents, batch: this.#timing.eventBatch, problem, wake: () => this.#schedule() });
    const taskBackoff = (): Backoff => new Backoff(this.#timing.backoff, this.#random);
    this.#tasks = [
      { name: 'lease', nextDue: () => lease.nextDue(), run: () => lease.run(), backoff: taskBackoff() },
      { name: 'node', nextDue: () => this.#node.nextDue(), run: () => this.#node.run(), backoff: taskBackoff() },
      { name: 'mirror-pods', nextDue: () => mirrors.nextDue(), run: () => mirrors.run(), backoff: taskBackoff() },
      { name: 'events', nextDue: () => this.#events.nextDue(), run: () => this.#events.run(), backoff: taskBackoff() },
    ];
    this.#unsubscribe = deps.events.subscribe((e) => this.#events.offer(e));
  }

  start(): void {
    this.#log.info({ kubeconfig: this.#d.kubeconfigPath, node: this.#d.nodeName }, 'reporting to the API server; local pods do not depend on it');
    this.#schedule();
  }

  nodeUid(): string | undefined {
    return this.#node.owner()?.uid;
  }

  reportingState(): ReportingState {
    const until = this.#backoff.until;
    return {
      enabled: true,
      server: this.#server,
      ...(this.#lastSuccess !== undefined ? { lastSuccess: apiTime(this.#lastSuccess) } : {}),
      ...(this.#lastError !== undefined ? { lastError: this.#lastError } : {}),
      ...(this.#lastErrorAt !== undefined ? { lastErrorAt: apiTime(this.#lastErrorAt) } : {}),
      ...(until > this.#d.clock.monotonic() ? { backoffUntil: apiTime(monotonicToWall(this.#d.clock, until)) } : {}),
    };
  }

  async settled(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#unsubscribe();
    this.#client?.close();
    await this.#running?.catch(() => undefined);
  }

  #due(task: Task): number {
    return Math.max(task.nextDue(), task.backoff.until, this.#backoff.until);
  }

  #schedule(): void {
    if (this.#stopped || this.#running) return;
    const next = Math.min(...this.#tasks.map((t) => this.#due(t)));
    this.#timer?.cancel();
    this.#timer = undefined;
    if (next === Number.POSITIVE_INFINITY) return;
    this.#timer = this.#d.clock.setTimeout(() => this.#tick(), Math.max(0, next - this.#d.clock.monotonic()));
  }

  #tick(): void {
    if (this.#stopped || this.#running) return;
    this.#running = this.#runDue()
      .catch((err: unknown) => this.#log.error({ err: errorMessage(err) }, 'reporter run failed'))
      .finally(() => {
        this.#running = undefined;
        this.#schedule();
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

  async #runDue(): Promise<void> {
    if (!this.#ensureClient()) return;
    for (const task of this.#tasks) {
      if (this.#stopped) return;
      if (this.#due(task) > this.#d.clock.monotonic()) continue;
      try {
        await task.run();
        task.backoff.success();
      } catch (err) {
        if (this.#stopped) return;
        if (isServerUnavailable(err)) {
          this.#serverFailed(err);
          return;
        }
        // The server answered (or the task failed on its own): only this task backs off.
        const until = task.backoff.failure(this.#d.clock.monotonic());
        this.#recordError(errorMessage(err));
        this.#log.warn({ task: task.name, err: errorMessage(err), retryInMs: until - this.#d.clock.monotonic() }, 'reporting task failed');
      }
    }
  }

  #recordError(message: string): void {
    this.#lastError = message;
    this.#lastErrorAt = this.#d.clock.now();
  }

  #serverFailed(err: unknown): void {
    const now = this.#d.clock.monotonic();
    const until = this.#backoff.failure(now);
    const message = errorMessage(err);
    this.#recordError(message);
    if (this.#downSince === undefined) {
      this.#downSince = now;
      this.#log.warn({ err: message, retryInMs: until - now }, 'API server unavailable; reporting paused, local pods are not affected');
    } else {
      this.#log.debug({ err: message, retryInMs: until - now, failures: this.#backoff.failures }, 'API server still unavailable');
    }
  }

  #serverBack(): void {
    if (this.#backoff.failures === 0) return;
    const downForMs = this.#downSince === undefined ? undefined : this.#d.clock.monotonic() - this.#downSince;
    this.#backoff.success();
    this.#downSince = undefined;
    this.#log.info({ downForMs }, 'API server answering again; catching up');
  }
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
