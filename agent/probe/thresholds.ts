// The arithmetic of kubelet's probe workers (pkg/kubelet/prober/worker.go, prober_manager.go
// UpdatePodStatus, results/results_manager.go) as pure functions over explicit state, so the
// rules are table-tested without timers or containers. prober.ts runs the loops around them.
import type { Probe } from 'kubernetes-types/core/v1.js';

export const PROBE_TYPES = ['startup', 'readiness', 'liveness'] as const;
export type ProbeType = (typeof PROBE_TYPES)[number];

/** results.Result: what the manager holds per container and probe type. */
export type ProbeResult = 'Success' | 'Failure' | 'Unknown';

/** What one probe run concluded once errors were set aside (kubelet drops errored runs). */
export type ProbeVerdict = 'Success' | 'Failure';

/** kubelet's probeType.String(), the word that starts every probe event message. */
export function probeTypeLabel(type: ProbeType): 'Liveness' | 'Readiness' | 'Startup' {
  if (type === 'liveness') return 'Liveness';
  if (type === 'readiness') return 'Readiness';
  return 'Startup';
}

/** The probe of `type` on a container, if it has one. */
export function probeOf(container: { livenessProbe?: Probe; readinessProbe?: Probe; startupProbe?: Probe }, type: ProbeType): Probe | undefined {
  if (type === 'liveness') return container.livenessProbe;
  if (type === 'readiness') return container.readinessProbe;
  return container.startupProbe;
}

export interface ProbeTiming {
  readonly initialDelaySeconds: number;
  readonly periodMs: number;
  readonly timeoutMs: number;
  readonly successThreshold: number;
  readonly failureThreshold: number;
}

/** v1 defaulting (already applied to manifests) repeated here so a bare Probe still works. */
export const PROBE_DEFAULTS = { periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 } as const;

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? Math.floor(value) : fallback;
}

export function probeTiming(probe: Probe): ProbeTiming {
  return {
    initialDelaySeconds: Math.max(0, Math.floor(probe.initialDelaySeconds ?? 0)),
    periodMs: positive(probe.periodSeconds, PROBE_DEFAULTS.periodSeconds) * 1000,
    timeoutMs: positive(probe.timeoutSeconds, PROBE_DEFAULTS.timeoutSeconds) * 1000,
    successThreshold: positive(probe.successThreshold, PROBE_DEFAULTS.successThreshold),
    failureThreshold: positive(probe.failureThreshold, PROBE_DEFAULTS.failureThreshold),
  };
}

/** worker.go newWorker: readiness starts failed, liveness healthy, startup unknown. */
export function initialResult(type: ProbeType): ProbeResult {
  if (type === 'readiness') return 'Failure';
  if (type === 'liveness') return 'Success';
  return 'Unknown';
}

export interface ThresholdState {
  /** The result the manager reports. */
  readonly result: ProbeResult;
  /** The verdict of the last run and how many runs in a row gave it. */
  readonly lastVerdict?: ProbeVerdict;
  readonly run: number;
  /** A liveness/startup failure was reported: no more probing until a new container ID. */
  readonly onHold: boolean;
}

export function initialThresholdState(type: ProbeType): ThresholdState {
  return { result: initialResult(type), run: 0, onHold: false };
}

/**
 * worker.go doProbe after a run: the reported result flips only after failureThreshold
 * failures or successThreshold successes in a row; a reported liveness/startup failure puts
 * the worker on hold (the container is about to be restarted).
 */
export function applyVerdict(state: ThresholdState, verdict: ProbeVerdict, type: ProbeType, timing: Pick<ProbeTiming, 'successThreshold' | 'failureThreshold'>): ThresholdState {
  const run = state.lastVerdict === verdict ? state.run + 1 : 1;
  const threshold = verdict === 'Failure' ? timing.failureThreshold : timing.successThreshold;
  if (run < threshold) return { ...state, lastVerdict: verdict, run };
  if (verdict === 'Failure' && (type === 'liveness' || type === 'startup')) {
    return { result: 'Failure', lastVerdict: verdict, run: 0, onHold: true };
  }
  return { result: verdict, lastVerdict: verdict, run, onHold: state.onHold };
}

/** worker.go: `int32(time.Since(StartedAt).Seconds()) < InitialDelaySeconds` means not yet (whole seconds, truncated). */
export function initialDelayElapsed(startedAt: number, now: number, initialDelaySeconds: number): boolean {
  return Math.trunc((now - startedAt) / 1000) >= initialDelaySeconds;
}

/**
 * The startup probe gates the other two: until the container has started only the startup
 * probe runs, and once it has, the startup probe stops probing.
 */
export function mayProbe(type: ProbeType, started: boolean): boolean {
  return type === 'startup' ? !started : started;
}

/**
 * worker.go run(): right after the agent started, a worker waits a random part of its period
 * first, so a restart does not fire every probe on the host at once.
 */
export function initialJitterMs(managerStartedAt: number, now: number, periodMs: number, random: number): number {
  return periodMs > now - managerStartedAt ? Math.floor(random * periodMs) : 0;
}

export interface ContainerProbeView {
  readonly running: boolean;
  /** Result of the startup probe for the running instance; undefined = no startup probe. */
  readonly startup?: ProbeResult;
  /** Result of the readiness probe for the running instance; undefined = no readiness probe. */
  readonly readiness?: ProbeResult;
}

/** prober_manager UpdatePodStatus: started = running and (no startup probe or it succeeded). */
export function containerStarted(view: ContainerProbeView): boolean {
  return view.running && (view.startup === undefined || view.startup === 'Success');
}

/** ready = started and (no readiness probe or it succeeded). */
export function containerReady(view: ContainerProbeView): boolean {
  return containerStarted(view) && (view.readiness === undefined || view.readiness === 'Success');
}
