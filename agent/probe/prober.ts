// The probe manager: kubelet's prober_manager.go + worker.go for the containers nodelet runs.
// One worker per pod UID, container name, probe type and container ID: it waits
// initialDelaySeconds from the container's StartedAt, probes every periodSeconds (each run
// bounded by timeoutSeconds), and turns runs into results with the thresholds of
// thresholds.ts. A new container ID gets fresh workers (initial results: readiness Failure,
// liveness Success, startup Unknown); a container that stops running loses its workers.
//
// The agent asks three things: which containers failed liveness/startup (the planner kills
// and restarts them), started/ready per container (pod status), and it is told through
// onChange when either changes, so it re-syncs the pod.
import type { Container } from 'kubernetes-types/core/v1.js';
import { wallToMonotonic, type Clock } from '../core/clock.js';
import type { DesiredPod } from '../core/types.js';
import { newestInstanceFirst, type ContainerRole, type ObservedContainer, type ObservedPod } from '../core/runtime-types.js';
import { involvedPod, type EventStore } from '../events/event-store.js';
import type { Logger } from '../log/logger.js';
import type { PodRuntime } from '../runtime/pod-runtime.js';
import { errorMessage } from '../core/errors.js';
import { isSidecar } from '../core/containers.js';
import {
  PROBE_TYPES,
  applyVerdict,
  containerReady,
  containerStarted,
  initialDelayElapsed,
  initialJitterMs,
  initialThresholdState,
  mayProbe,
  probeOf,
  probeTiming,
  probeTypeLabel,
  type ProbeResult,
  type ProbeTiming,
  type ProbeType,
  type ProbeVerdict,
  type ThresholdState,
} from './thresholds.js';
import { defaultPodHost, formatPod, NO_POD_IP_MESSAGE, resolveContainerPort, type ProbeOutcome } from './target.js';
import { expandCommandOnlyStatic, runExecProbe } from './runners/exec.js';
import { buildHttpGetRequest, runHttpProbe, unbuildableOutcome } from './runners/http.js';
import { runTcpProbe } from './runners/tcp.js';
import { runGrpcProbe } from './runners/grpc.js';
import type { ProbeRun } from './probe-metrics.js';

export type UnhealthyReason = 'LivenessProbe' | 'StartupProbe';

export interface ProbeManagerDeps {
  readonly runtime: Pick<PodRuntime, 'exec'>;
  readonly clock: Clock;
  readonly events: EventStore;
  readonly logger: Logger;
  /** Node IPs: the address of hostNetwork pods. */
  readonly hostIPs: readonly string[];
  /** Readiness/started flipped, or liveness/startup failed: re-sync the pod. */
  readonly onChange: (podUid: string) => void;
  /** The pod's IPs when known (pods on a Docker network); without it such pods have no address. */
  readonly podIPs?: (podUid: string) => readonly string[];
  /** Every probe run, for metrics (nodelet_probe_results_total). */
  readonly onResult?: (type: ProbeType, result: 'success' | 'failure' | 'unknown') => void;
  /** Every probe run that did not error, with its pod and duration (probe-metrics.ts, /metrics/probes). */
  readonly onProbe?: (run: ProbeRun) => void;
  /**
   * A container's probe of one type is gone (pod removed, probe or container no longer there):
   * its metric series go, as the kubelet deletes them when a worker exits. A restart keeps them.
   */
  readonly onProbeRemoved?: (probe: Omit<ProbeRun, 'result' | 'durationSeconds'>) => void;
  /** For the start-up jitter; tests pass a constant. */
  readonly random?: () => number;
}

/** kubelet prober.go maxProbeRetries: an errored run is tried again this many times in all. */
const MAX_PROBE_ATTEMPTS = 3;

interface RunningInstance {
  readonly id: string;
  readonly startedAt: number;
}

interface ProbedContainer {
  readonly container: Container;
  readonly role: Exclude<ContainerRole, 'sandbox'>;
}

interface PodEntry {
  desired: DesiredPod;
  /** Newest running instance per container name, as of the last syncPod. */
  running: Map<string, RunningInstance>;
  /** `${container}/${type}` → worker of the running instance. */
  readonly workers: Map<string, ProbeWorker>;
}

/** App containers and sidecars (init containers with restartPolicy Always): the ones that may have probes. */
function probedContainers(desired: DesiredPod): ProbedContainer[] {
  const spec = desired.pod.spec;
  const sidecars = (spec?.initContainers ?? []).filter(isSidecar).map((container) => ({ container, role: 'sidecar' as const }));
  const apps = (spec?.containers ?? []).map((container) => ({ container, role: 'app' as const }));
  return [...sidecars, ...apps];
}

function runningInstances(observed: ObservedPod | undefined): Map<string, RunningInstance> {
  const newest = new Map<string, ObservedContainer>();
  for (const c of observed?.containers ?? []) {
    if (c.state !== 'running') continue;
    const seen = newest.get(c.name);
    if (!seen || newestInstanceFirst(c, seen) < 0) newest.set(c.name, c);
  }
  return new Map([...newest].map(([name, c]) => [name, { id: c.id, startedAt: c.startedAt ?? c.createdAt }] as const));
}

function workerKey(container: string, type: ProbeType): string {
  return `${container}/${type}`;
}

export class ProbeManager {
  readonly #deps: ProbeManagerDeps;
  readonly #log: Logger;
  readonly #pods = new Map<string, PodEntry>();
  readonly #startedAt: number;
  #stopped = false;

  constructor(deps: ProbeManagerDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'prober' });
    this.#startedAt = deps.clock.monotonic();
  }

  /** After every pod pass: workers for running containers with probes; others stopped. */
  syncPod(desired: DesiredPod, observed: ObservedPod | undefined): void {
    if (this.#stopped) return;
    let entry = this.#pods.get(desired.uid);
    if (!entry) {
      entry = { desired, running: new Map(), workers: new Map() };
      this.#pods.set(desired.uid, entry);
    }
    entry.desired = desired;
    entry.running = runningInstances(observed);
    const wanted = new Set<string>();
    for (const { container, role } of probedContainers(desired)) {
      const instance = entry.running.get(container.name);
      if (!instance) continue;
      for (const type of PROBE_TYPES) {
        const probe = probeOf(container, type);
        if (!probe) continue;
        const key = workerKey(container.name, type);
        wanted.add(key);
        const existing = entry.workers.get(key);
        if (existing && existing.containerId === instance.id) continue;
        existing?.stop();
        const worker = new ProbeWorker(this.#workerHost, { pod: desired, container, role, type, timing: probeTiming(probe), instance });
        entry.workers.set(key, worker);
        worker.start();
      }
    }
    for (const [key, worker] of entry.workers) {
      if (wanted.has(key)) continue;
      worker.stop();
      entry.workers.delete(key);
      this.#removed(desired, worker);
    }
  }

  removePod(uid: string): void {
    const entry = this.#pods.get(uid);
    if (!entry) return;
    for (const worker of entry.workers.values()) {
      worker.stop();
      this.#removed(entry.desired, worker);
    }
    this.#pods.delete(uid);
  }

  #removed(pod: DesiredPod, worker: ProbeWorker): void {
    this.#deps.onProbeRemoved?.({ namespace: pod.namespace, pod: pod.name, podUid: pod.uid, container: worker.containerName, type: worker.type });
  }

  /**
   * Containers whose liveness or startup probe failed (cleared when syncPod sees a new container
   * ID). With `observed`, only failures of the instances running there count, so a plan made
   * before syncPod caught up never kills the replacement of a container it already restarted.
   */
  unhealthy(uid: string, observed?: ObservedPod): ReadonlyMap<string, UnhealthyReason> {
    const out = new Map<string, UnhealthyReason>();
    const entry = this.#pods.get(uid);
    if (!entry) return out;
    const current = observed ? runningInstances(observed) : undefined;
    for (const w of entry.workers.values()) {
      if (w.result !== 'Failure') continue;
      if (current && current.get(w.containerName)?.id !== w.containerId) continue;
      if (w.type === 'liveness') out.set(w.containerName, 'LivenessProbe');
      else if (w.type === 'startup' && !out.has(w.containerName)) out.set(w.containerName, 'StartupProbe');
    }
    return out;
  }

  /** started/ready per app container and sidecar, as prober_manager UpdatePodStatus computes them. */
  states(uid: string): ReadonlyMap<string, { started: boolean; ready: boolean }> {
    const out = new Map<string, { started: boolean; ready: boolean }>();
    const entry = this.#pods.get(uid);
    if (!entry) return out;
    for (const { container } of probedContainers(entry.desired)) {
      const running = entry.running.has(container.name);
      const view = {
        running,
        startup: container.startupProbe ? (entry.workers.get(workerKey(container.name, 'startup'))?.result ?? 'Unknown') : undefined,
        readiness: container.readinessProbe ? (entry.workers.get(workerKey(container.name, 'readiness'))?.result ?? 'Failure') : undefined,
      };
      out.set(container.name, { started: containerStarted(view), ready: containerReady(view) });
    }
    return out;
  }

  stop(): void {
    this.#stopped = true;
    for (const uid of [...this.#pods.keys()]) this.removePod(uid);
  }

  readonly #workerHost: WorkerHost = {
    deps: () => this.#deps,
    log: () => this.#log,
    managerStartedAt: () => this.#startedAt,
    isStarted: (uid, container, containerId) => {
      const startup = this.#pods.get(uid)?.workers.get(workerKey(container, 'startup'));
      if (!startup || startup.containerId !== containerId) return true;
      return startup.result === 'Success';
    },
    defaultHost: (pod) => defaultPodHost(pod.pod, this.#deps.hostIPs, this.#deps.podIPs?.(pod.uid) ?? []),
    changed: (worker) => {
      const entry = this.#pods.get(worker.podUid);
      if (!entry || entry.workers.get(workerKey(worker.containerName, worker.type)) !== worker) return;
      // prober_manager UpdatePodStatus triggers the readiness probe as soon as the container started.
      if (worker.type === 'startup' && worker.result === 'Success') entry.workers.get(workerKey(worker.containerName, 'readiness'))?.trigger();
      this.#deps.onChange(worker.podUid);
    },
  };
}

interface WorkerHost {
  deps(): ProbeManagerDeps;
  log(): Logger;
  managerStartedAt(): number;
  isStarted(uid: string, container: string, containerId: string): boolean;
  defaultHost(pod: DesiredPod): string | undefined;
  changed(worker: ProbeWorker): void;
}

interface WorkerSpec {
  readonly pod: DesiredPod;
  readonly container: Container;
  readonly role: Exclude<ContainerRole, 'sandbox'>;
  readonly type: ProbeType;
  readonly timing: ProbeTiming;
  readonly instance: RunningInstance;
}

class ProbeWorker {
  readonly #host: WorkerHost;
  readonly #spec: WorkerSpec;
  readonly #log: Logger;
  readonly #abort = new AbortController();
  #state: ThresholdState;
  #wake?: AbortController;
  #triggered = false;
  /**
   * The container's start (Docker's wall-clock startedAt) on the monotonic clock, converted
   * once: initialDelaySeconds then counts from it even if the wall clock is stepped back.
   */
  readonly #startedAt: number;

  constructor(host: WorkerHost, spec: WorkerSpec) {
    this.#host = host;
    this.#spec = spec;
    this.#startedAt = wallToMonotonic(host.deps().clock, spec.instance.startedAt);
    this.#state = initialThresholdState(spec.type);
    this.#log = host.log().child({ pod: `${spec.pod.namespace}/${spec.pod.name}`, uid: spec.pod.uid, container: spec.container.name, probe: spec.type });
  }

  get type(): ProbeType {
    return this.#spec.type;
  }

  get podUid(): string {
    return this.#spec.pod.uid;
  }

  get containerName(): string {
    return this.#spec.container.name;
  }

  get containerId(): string {
    return this.#spec.instance.id;
  }

  get result(): ProbeResult {
    return this.#state.result;
  }

  start(): void {
    void this.#run().catch((err: unknown) => {
      if (!this.#abort.signal.aborted) this.#log.error({ err: errorMessage(err) }, 'probe worker stopped unexpectedly');
    });
  }

  stop(): void {
    this.#abort.abort(new Error('probe worker stopped'));
  }

  /** Probe now rather than at the next period (kubelet's manualTriggerCh, one pending at most). */
  trigger(): void {
    this.#triggered = true;
    this.#wake?.abort();
  }

  async #run(): Promise<void> {
    const { clock, random } = this.#host.deps();
    const jitter = initialJitterMs(this.#host.managerStartedAt(), clock.monotonic(), this.#spec.timing.periodMs, (random ?? Math.random)());
    if (jitter > 0) await this.#wait(jitter);
    while (!this.#abort.signal.aborted) {
      const begun = clock.monotonic();
      await this.#doProbe();
      if (this.#abort.signal.aborted) return;
      await this.#wait(Math.max(0, this.#spec.timing.periodMs - (clock.monotonic() - begun)));
    }
  }

  async #wait(ms: number): Promise<void> {
    if (this.#triggered) {
      this.#triggered = false;
      return;
    }
    const wake = new AbortController();
    this.#wake = wake;
    try {
      await this.#host.deps().clock.sleep(ms, AbortSignal.any([this.#abort.signal, wake.signal]));
    } catch {
      // stopped or triggered: the loop looks at which
    } finally {
      this.#wake = undefined;
      this.#triggered = false;
    }
  }

  /** worker.go doProbe for a running container. */
  async #doProbe(): Promise<void> {
    const { pod, container, type, timing, instance } = this.#spec;
    if (this.#state.onHold) return;
    const { clock } = this.#host.deps();
    if (!initialDelayElapsed(this.#startedAt, clock.monotonic(), timing.initialDelaySeconds)) return;
    if (!mayProbe(type, this.#host.isStarted(pod.uid, container.name, instance.id))) return;
    let outcome: ProbeOutcome = { result: 'unknown', output: '', error: 'not run' };
    const began = clock.monotonic();
    for (let attempt = 0; attempt < MAX_PROBE_ATTEMPTS; attempt++) {
      outcome = await this.#runHandler();
      if (outcome.error === undefined) break;
    }
    if (this.#abort.signal.aborted) return;
    this.#record(outcome, (clock.monotonic() - began) / 1000);
  }

  /** prober.go runProbe; throws only when the worker is stopped. */
  async #runHandler(): Promise<ProbeOutcome> {
    const { pod, container, type, timing, instance } = this.#spec;
    const probe = probeOf(container, type);
    const signal = this.#abort.signal;
    const { runtime } = this.#host.deps();
    try {
      if (probe?.exec) {
        const command = expandCommandOnlyStatic(probe.exec.command ?? [], container.env);
        return await runExecProbe(runtime, instance.id, command, timing.timeoutMs, signal);
      }
      if (probe?.httpGet) {
        const built = buildHttpGetRequest(probe.httpGet, container, this.#host.defaultHost(pod), 'probe');
        if (!built.ok) return unbuildableOutcome(built);
        return await runHttpProbe(built.request, timing.timeoutMs, signal);
      }
      if (probe?.tcpSocket) {
        const port = resolveContainerPort(probe.tcpSocket.port, container);
        if (!port.ok) return { result: 'unknown', output: '', error: port.error };
        const host = probe.tcpSocket.host || this.#host.defaultHost(pod);
        if (!host) return { result: 'failure', output: NO_POD_IP_MESSAGE };
        return await runTcpProbe(host, port.port, timing.timeoutMs, signal);
      }
      if (probe?.grpc) {
        const host = this.#host.defaultHost(pod);
        if (!host) return { result: 'failure', output: NO_POD_IP_MESSAGE };
        return await runGrpcProbe(host, probe.grpc.port, probe.grpc.service ?? '', timing.timeoutMs, signal);
      }
      return { result: 'unknown', output: '', error: `missing probe handler for ${formatPod(pod)}:${container.name}` };
    } catch (err) {
      if (signal.aborted) throw err;
      return { result: 'unknown', output: '', error: errorMessage(err) };
    }
  }

  /** prober.go probe() (events) + worker.go (thresholds). */
  #record(outcome: ProbeOutcome, durationSeconds: number): void {
    const { pod, container, role, type, timing } = this.#spec;
    const { events, onResult, onProbe } = this.#host.deps();
    const ref = involvedPod(pod, container.name, role);
    const label = probeTypeLabel(type);
    if (outcome.error !== undefined) {
      onResult?.(type, 'unknown');
      events.record(ref, 'Warning', 'Unhealthy', `${label} probe errored and resulted in ${outcome.result} state: ${outcome.error}`);
      this.#log.debug({ err: outcome.error }, 'probe errored');
      return;
    }
    let verdict: ProbeVerdict;
    switch (outcome.result) {
      case 'success':
        verdict = 'Success';
        break;
      case 'warning':
        events.record(ref, 'Warning', 'ProbeWarning', `${label} probe warning: ${outcome.output}`);
        verdict = 'Success';
        break;
      case 'failure':
        events.record(ref, 'Warning', 'Unhealthy', `${label} probe failed: ${outcome.output}`);
        this.#log.debug({ output: outcome.output }, 'probe failed');
        verdict = 'Failure';
        break;
      case 'unknown':
        verdict = 'Failure';
        break;
    }
    onResult?.(type, verdict === 'Success' ? 'success' : outcome.result === 'unknown' ? 'unknown' : 'failure');
    const result = verdict === 'Success' ? 'successful' : outcome.result === 'unknown' ? 'unknown' : 'failed';
    onProbe?.({ namespace: pod.namespace, pod: pod.name, podUid: pod.uid, container: container.name, type, result, durationSeconds });
    const before = this.#state.result;
    this.#state = applyVerdict(this.#state, verdict, type, timing);
    if (this.#state.result === before) return;
    if (this.#state.onHold) this.#log.info({ failures: timing.failureThreshold }, `${type} probe failed; the container will be killed`);
    else this.#log.info({ result: this.#state.result }, `${type} probe result changed`);
    this.#host.changed(this);
  }
}
