// The DaemonSet controller's per-node decisions for the one node nodelet runs on: the manage
// loop (podsShouldBeOnNode) and the rolling update (update.go rollingUpdate), newest upstream
// semantics, plus nodelet's opt-in auto-rollback. Input is what exists for the DaemonSet on
// this node; output is actions for the caller to carry out, after which it plans again.
//
// - RollingUpdate, maxSurge 0: an available old pod is deleted (within maxUnavailable), and the
//   replacement is created only once the old pod is completely gone.
// - RollingUpdate, maxSurge > 0: the new pod starts beside the old one, and the old one is
//   deleted once the new one has been Ready for minReadySeconds (at once if the old one is not
//   Ready).
// - OnDelete: pods are only created where none exists; old pods stay until deleted.
// - A new template that never becomes available (crash loop, missing image) simply stalls.
// Pure.
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import { isInBackoffSince, nextBackoff, type BackoffPolicy } from '../sync/backoff.js';
import type { Eligibility } from '../node/eligibility.js';
import { daemonPodIdentity, nextDaemonPodOrdinal } from './expand.js';

/** One pod of the DaemonSet on this node, as the caller observes it. */
export interface DaemonPodState {
  readonly uid: string;
  readonly name: string;
  readonly namespace?: string;
  /** controller-revision-hash label. */
  readonly hash?: string;
  /** pod-template-generation label. */
  readonly templateGeneration?: string;
  /** metadata.creationTimestamp, ms. */
  readonly createdAt: number;
  readonly phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  /** Ready condition True. */
  readonly ready: boolean;
  /** Ready condition lastTransitionTime, ms (required for availability when minReadySeconds > 0). */
  readonly readySince?: number;
  /** Deletion requested; containers may still be stopping (preStop, grace period). */
  readonly terminating: boolean;
}

/** flowcontrol.Backoff entry of failedPodsBackoff (1 s doubling to 15 min) for this DaemonSet on this node. */
export interface BackoffState {
  readonly delayMs: number;
  readonly lastUpdate: number;
}

/** nodelet auto-rollback bookkeeping, kept by the caller across passes (and restarts). */
export interface RolloutProgress {
  /** The current revision's hash. */
  readonly hash: string;
  /** Since when the current revision has been current with the pod wanted on this node, ms. */
  readonly since: number;
  /** The last revision that was fully rolled out (updated and available). */
  readonly lastComplete?: string;
}

export interface RolloutInput {
  /** Defaulted DaemonSet. */
  readonly ds: DaemonSet;
  readonly dsUid: string;
  readonly nodeName: string;
  readonly current: { readonly revision: number; readonly hash: string };
  /** The DaemonSet's templateGeneration (IsPodUpdated also accepts a matching pod-template-generation label). */
  readonly templateGeneration?: number;
  readonly eligibility: Eligibility;
  readonly pods: readonly DaemonPodState[];
  readonly now: number;
  readonly failedPodBackoff?: BackoffState;
  /** Auto-rollback only: progress record and the stored history (for revision numbers). */
  readonly progress?: RolloutProgress;
  readonly history?: readonly { readonly revision: number; readonly hash: string }[];
  /** A new pod takes an ordinal from here up (DaemonSetState.nextPodOrdinal): names are never reused. */
  readonly minOrdinal?: number;
}

export type DeleteReason =
  | 'FailedDaemonPod'
  | 'SucceededDaemonPod'
  | 'ExcessPod'
  | 'NotEligible'
  | 'OldPodNotReady'
  | 'Replaced'
  | 'RollingUpdate';

export type RolloutAction =
  | { readonly kind: 'createPod'; readonly revision: number; readonly hash: string; readonly ordinal: number; readonly uid: string; readonly surge: boolean }
  | { readonly kind: 'deletePod'; readonly uid: string; readonly name: string; readonly reason: DeleteReason; readonly message: string }
  /** Plan again at `until` (ms) even if nothing else happens. */
  | { readonly kind: 'wait'; readonly until: number; readonly reason: string }
  /** Rewrite the manifest's template to revision `toRevision` (nodelet.io/auto-rollback). */
  | { readonly kind: 'rollback'; readonly toRevision: number; readonly toHash: string; readonly fromRevision: number; readonly message: string };

export interface RolloutEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

export interface RolloutPlan {
  readonly actions: readonly RolloutAction[];
  /** Events on the DaemonSet. */
  readonly events: readonly RolloutEvent[];
  readonly warnings: readonly string[];
  /** The failed-pod backoff to store when a Failed pod is being deleted. */
  readonly failedPodBackoff?: BackoffState;
}

export const AUTO_ROLLBACK_ANNOTATION = 'nodelet.io/auto-rollback';
export const PROGRESS_DEADLINE_ANNOTATION = 'nodelet.io/progress-deadline-seconds';
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;

/** failedPodsBackoff: 1 s doubling to 15 min. */
const FAILED_POD_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 15 * 60_000 };

export function planRollout(input: RolloutInput): RolloutPlan {
  const out = new PlanBuilder();
  const rollback = autoRollback(input, out);
  if (rollback) {
    out.actions.push(rollback);
    return out.build();
  }
  manage(input, out);
  // Like the controller's expectations: the rolling update runs on a settled node only.
  if (out.actions.every((a) => a.kind === 'wait') && input.ds.spec?.updateStrategy?.type !== 'OnDelete') rollingUpdate(input, out);
  availabilityWake(input, out);
  return out.build();
}

class PlanBuilder {
  readonly actions: RolloutAction[] = [];
  readonly events: RolloutEvent[] = [];
  readonly warnings: string[] = [];
  failedPodBackoff?: BackoffState;
  #wait?: { until: number; reason: string };

  wait(until: number, reason: string): void {
    if (!this.#wait || until < this.#wait.until) this.#wait = { until, reason };
  }

  build(): RolloutPlan {
    const actions = [...this.actions];
    if (this.#wait && !actions.some((a) => a.kind === 'rollback')) actions.push({ kind: 'wait', ...this.#wait });
    const plan: RolloutPlan = { actions, events: this.events, warnings: this.warnings };
    return this.failedPodBackoff ? { ...plan, failedPodBackoff: this.failedPodBackoff } : plan;
  }
}

/** podsShouldBeOnNode. */
function manage(input: RolloutInput, out: PlanBuilder): void {
  const { eligibility, now } = input;
  const pods = relevantPods(input.pods);
  const exists = pods.length > 0;
  const allowSurge = allowsSurge(input.ds);

  if (eligibility.shouldRun && !exists) {
    create(input, out, false);
    return;
  }
  if (!eligibility.shouldContinueRunning) {
    for (const p of pods) {
      if (!p.terminating) out.actions.push(del(p, 'NotEligible', `node ${input.nodeName} no longer runs this DaemonSet: ${eligibility.reason ?? 'not eligible'}`));
    }
    return;
  }

  const running: DaemonPodState[] = [];
  for (const p of pods) {
    if (p.terminating) continue;
    if (p.phase === 'Failed') {
      const b = input.failedPodBackoff;
      if (b && inBackoff(b, now)) {
        out.wait(b.lastUpdate + b.delayMs, 'failed daemon pod deletion is backing off');
        continue;
      }
      out.failedPodBackoff = nextFailedPodBackoff(b, now);
      out.events.push({
        type: 'Warning',
        reason: 'FailedDaemonPod',
        message: `Found failed daemon pod ${podRef(input, p)} on node ${input.nodeName}, will try to kill it`,
      });
      out.actions.push(del(p, 'FailedDaemonPod', 'the pod failed; a new one will be created'));
      continue;
    }
    if (p.phase === 'Succeeded') {
      out.events.push({
        type: 'Normal',
        reason: 'SucceededDaemonPod',
        message: `Found succeeded daemon pod ${podRef(input, p)} on node ${input.nodeName}, will try to delete it`,
      });
      out.actions.push(del(p, 'SucceededDaemonPod', 'the pod completed; a new one will be created'));
      continue;
    }
    running.push(p);
  }

  if (!allowSurge) {
    // Without surge at most one pod per node: keep the oldest.
    for (const p of oldestFirst(running).slice(1)) out.actions.push(del(p, 'ExcessPod', 'more than one daemon pod on the node; keeping the oldest'));
    return;
  }
  if (running.length === 0) {
    if (eligibility.shouldRun) create(input, out, false);
    return;
  }
  if (running.length === 1) return;
  // With surge: the oldest new and the oldest old pod may stay, nothing else.
  let oldestNew: DaemonPodState | undefined;
  let oldestOld: DaemonPodState | undefined;
  for (const p of oldestFirst(running)) {
    if (p.hash === input.current.hash) {
      if (!oldestNew) {
        oldestNew = p;
        continue;
      }
    } else if (!oldestOld) {
      oldestOld = p;
      continue;
    }
    out.actions.push(del(p, 'ExcessPod', 'more than one old and one new daemon pod on the node'));
  }
  if (oldestNew && oldestOld) {
    if (!oldestOld.ready) out.actions.push(del(oldestOld, 'OldPodNotReady', `the old pod is not ready; ${oldestNew.name} replaces it`));
    else if (isPodAvailable(oldestNew, minReadySeconds(input.ds), now)) out.actions.push(del(oldestOld, 'Replaced', `${oldestNew.name} is available and replaces it`));
  }
}

/** rollingUpdate, for this node only. */
function rollingUpdate(input: RolloutInput, out: PlanBuilder): void {
  const { ds, eligibility, now } = input;
  const considered = relevantPods(input.pods);
  if (considered.length === 0 && !eligibility.shouldRun) return;
  const desired = eligibility.shouldRun ? 1 : 0;
  const maxSurge = surgeCount(ds, desired);
  let maxUnavailable = unavailableCount(ds, desired);
  if (desired > 0 && maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  const found = findUpdatedPods(input, considered);
  if (!found) return; // excess pods: the manage loop cleans up first
  const { newPod, oldPod } = found;
  const minReady = minReadySeconds(ds);

  if (maxSurge === 0) {
    if (!oldPod || newPod) return;
    if (!isPodAvailable(oldPod, minReady, now)) {
      out.actions.push(del(oldPod, 'RollingUpdate', 'out of date and not available; replacing it'));
    } else if (maxUnavailable > 0) {
      out.actions.push(del(oldPod, 'RollingUpdate', `out of date; replacing it with revision ${input.current.revision}`));
    }
    return;
  }

  if (!oldPod) return;
  if (!newPod) {
    if (!isPodAvailable(oldPod, minReady, now)) {
      if (!eligibility.shouldRun) out.actions.push(del(oldPod, 'RollingUpdate', 'out of date, not available, and the node no longer matches'));
      else create(input, out, true);
      return;
    }
    if (!eligibility.shouldRun) {
      // Sunsetting node: deletable once enough pods are available elsewhere (none needed here).
      out.actions.push(del(oldPod, 'RollingUpdate', 'out of date and the node no longer matches'));
      return;
    }
    create(input, out, true); // numSurge is 0 < maxSurge on a single node
    return;
  }
  if (isPodAvailable(newPod, minReady, now)) out.actions.push(del(oldPod, 'Replaced', `${newPod.name} is available and replaces it`));
}

/** Re-plan when a ready pod turns available (minReadySeconds), as the controller requeues. */
function availabilityWake(input: RolloutInput, out: PlanBuilder): void {
  const minReady = minReadySeconds(input.ds);
  if (minReady === 0) return;
  const deleting = new Set(out.actions.flatMap((a) => (a.kind === 'deletePod' ? [a.uid] : [])));
  for (const p of relevantPods(input.pods)) {
    if (p.terminating || deleting.has(p.uid) || !p.ready || p.readySince === undefined) continue;
    const at = p.readySince + minReady * 1000 + 1;
    if (at > input.now) out.wait(at, `pod ${p.name} becomes available after minReadySeconds`);
  }
}

function create(input: RolloutInput, out: PlanBuilder, surge: boolean): void {
  const { ds, current, nodeName, dsUid } = input;
  const dsName = ds.metadata?.name ?? '';
  const existing = new Set(input.pods.map((p) => p.uid));
  const ordinal = nextDaemonPodOrdinal(dsName, dsUid, nodeName, current.hash, existing, input.minOrdinal);
  const { uid } = daemonPodIdentity(dsName, dsUid, nodeName, current.hash, ordinal);
  const isSurge = surge || input.pods.some((p) => !p.terminating);
  if (isSurge) {
    const ports = hostPortsOf(ds.spec?.template.spec);
    if (ports.length > 0) out.warnings.push(surgeHostPortWarning(ds, ports));
  }
  out.actions.push({ kind: 'createPod', revision: current.revision, hash: current.hash, ordinal, uid, surge: isSurge });
}

function del(p: DaemonPodState, reason: DeleteReason, message: string): RolloutAction {
  return { kind: 'deletePod', uid: p.uid, name: p.name, reason, message };
}

function podRef(input: RolloutInput, p: DaemonPodState): string {
  return `${p.namespace ?? input.ds.metadata?.namespace ?? 'default'}/${p.name}`;
}

/** getNodesToDaemonPods(includeDeletedTerminal=false): deleted pods that already finished do not count. */
function relevantPods(pods: readonly DaemonPodState[]): DaemonPodState[] {
  return pods.filter((p) => !(p.terminating && (p.phase === 'Failed' || p.phase === 'Succeeded')));
}

/** findUpdatedPodsOnNode: at most one new and one old non-deleted pod, else undefined. */
function findUpdatedPods(input: RolloutInput, pods: readonly DaemonPodState[]): { newPod?: DaemonPodState; oldPod?: DaemonPodState } | undefined {
  let newPod: DaemonPodState | undefined;
  let oldPod: DaemonPodState | undefined;
  for (const p of pods) {
    if (p.terminating) continue;
    if (isPodUpdated(p, input.current.hash, input.templateGeneration)) {
      if (newPod) return undefined;
      newPod = p;
    } else {
      if (oldPod) return undefined;
      oldPod = p;
    }
  }
  return { ...(newPod ? { newPod } : {}), ...(oldPod ? { oldPod } : {}) };
}

// --- auto-rollback ------------------------------------------------------------------------------

export interface AutoRollbackConfig {
  readonly enabled: boolean;
  readonly deadlineSeconds: number;
  readonly warning?: string;
}

/** nodelet.io/auto-rollback: "true" and nodelet.io/progress-deadline-seconds (default 600). */
export function autoRollbackConfig(ds: DaemonSet): AutoRollbackConfig {
  const annotations = ds.metadata?.annotations ?? {};
  const enabled = annotations[AUTO_ROLLBACK_ANNOTATION] === 'true';
  const raw = annotations[PROGRESS_DEADLINE_ANNOTATION];
  if (raw === undefined) return { enabled, deadlineSeconds: DEFAULT_PROGRESS_DEADLINE_SECONDS };
  if (!/^\d+$/.test(raw) || Number(raw) <= 0) {
    return {
      enabled,
      deadlineSeconds: DEFAULT_PROGRESS_DEADLINE_SECONDS,
      warning: `annotation ${PROGRESS_DEADLINE_ANNOTATION}: ${JSON.stringify(raw)} is not a positive number of seconds; using ${DEFAULT_PROGRESS_DEADLINE_SECONDS}`,
    };
  }
  return { enabled, deadlineSeconds: Number(raw) };
}

function autoRollback(input: RolloutInput, out: PlanBuilder): RolloutAction | undefined {
  const config = autoRollbackConfig(input.ds);
  if (config.warning) out.warnings.push(config.warning);
  if (!config.enabled || input.ds.spec?.updateStrategy?.type === 'OnDelete') return undefined;
  const progress = input.progress;
  if (!progress || progress.hash !== input.current.hash || !input.eligibility.shouldRun) return undefined;
  if (!progress.lastComplete || progress.lastComplete === input.current.hash) return undefined;
  const target = (input.history ?? []).find((h) => h.hash === progress.lastComplete);
  if (!target) return undefined;
  if (rolloutComplete(input)) return undefined;
  const deadline = progress.since + config.deadlineSeconds * 1000;
  if (input.now < deadline) {
    out.wait(deadline, 'progress deadline');
    return undefined;
  }
  const dsName = input.ds.metadata?.name ?? '';
  const message = `revision ${input.current.revision} of daemon set "${dsName}" did not become available within ${config.deadlineSeconds}s; rolling back to revision ${target.revision}`;
  out.events.push({ type: 'Warning', reason: 'ProgressDeadlineExceeded', message });
  return { kind: 'rollback', toRevision: target.revision, toHash: target.hash, fromRevision: input.current.revision, message };
}

/** The current revision runs here and is available (what `rollout status` waits for, on this node). */
export function rolloutComplete(input: Pick<RolloutInput, 'ds' | 'pods' | 'current' | 'templateGeneration' | 'now' | 'eligibility'>): boolean {
  if (!input.eligibility.shouldRun) return true;
  const oldest = oldestFirst(input.pods.filter((p) => !(p.terminating && (p.phase === 'Failed' || p.phase === 'Succeeded'))))[0];
  return (
    oldest !== undefined &&
    isPodUpdated(oldest, input.current.hash, input.templateGeneration) &&
    isPodAvailable(oldest, minReadySeconds(input.ds), input.now)
  );
}

/**
 * The progress record after this pass: restarts the clock when the current revision changes or
 * while the node does not want the pod, and remembers the last fully rolled-out revision.
 */
export function trackRolloutProgress(
  prev: RolloutProgress | undefined,
  currentHash: string,
  state: { readonly shouldRun: boolean; readonly complete: boolean },
  now: number,
): RolloutProgress {
  const lastComplete = state.shouldRun && state.complete ? currentHash : prev?.lastComplete;
  const since = !prev || prev.hash !== currentHash || !state.shouldRun ? now : prev.since;
  return lastComplete ? { hash: currentHash, since, lastComplete } : { hash: currentHash, since };
}

// --- helpers shared with status ---------------------------------------------------------------

/** IsPodUpdated: the hash label matches, or the pod-template-generation label equals templateGeneration. */
export function isPodUpdated(pod: Pick<DaemonPodState, 'hash' | 'templateGeneration'>, hash: string, templateGeneration?: number): boolean {
  const templateMatches = templateGeneration !== undefined && pod.templateGeneration === String(templateGeneration);
  const hashMatches = hash.length > 0 && pod.hash === hash;
  return hashMatches || templateMatches;
}

/** podutil.IsPodAvailable: Ready, and Ready since strictly more than minReadySeconds. */
export function isPodAvailable(pod: Pick<DaemonPodState, 'ready' | 'readySince'>, minReadySeconds: number, now: number): boolean {
  if (!pod.ready) return false;
  if (minReadySeconds === 0) return true;
  return pod.readySince !== undefined && pod.readySince + minReadySeconds * 1000 < now;
}

/** podByCreationTimestampAndPhase (every pod here is scheduled): oldest first, then by name. */
export function oldestFirst<T extends Pick<DaemonPodState, 'createdAt' | 'name'>>(pods: readonly T[]): T[] {
  return [...pods].sort((a, b) => a.createdAt - b.createdAt || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function minReadySeconds(ds: DaemonSet): number {
  return ds.spec?.minReadySeconds ?? 0;
}

/** intstr.GetScaledValueFromIntOrPercent(v, total, roundUp=true); an unparsable value counts 0. */
export function scaledValue(value: number | string | undefined, total: number): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) return 0;
  return Math.ceil((Number(m[1]) * total) / 100);
}

/** util.SurgeCount: 0 unless RollingUpdate. */
export function surgeCount(ds: DaemonSet, numberToSchedule: number): number {
  const strategy = ds.spec?.updateStrategy;
  if (strategy?.type !== 'RollingUpdate' || !strategy.rollingUpdate) return 0;
  return scaledValue(strategy.rollingUpdate.maxSurge, numberToSchedule);
}

/** util.UnavailableCount: 0 unless RollingUpdate. */
export function unavailableCount(ds: DaemonSet, numberToSchedule: number): number {
  const strategy = ds.spec?.updateStrategy;
  if (strategy?.type !== 'RollingUpdate' || !strategy.rollingUpdate) return 0;
  return scaledValue(strategy.rollingUpdate.maxUnavailable, numberToSchedule);
}

/** util.AllowsSurge. */
export function allowsSurge(ds: DaemonSet): boolean {
  return surgeCount(ds, 1) > 0;
}

/** flowcontrol.Backoff.IsInBackOffSinceUpdate: inside the window opened at the last update. */
export function inBackoff(b: BackoffState, now: number): boolean {
  return isInBackoffSince(b, b.lastUpdate, now, FAILED_POD_BACKOFF);
}

/** flowcontrol.Backoff.Next: 1 s, doubling to 15 min; an entry idle for 2×max starts over. */
export function nextFailedPodBackoff(prev: BackoffState | undefined, now: number): BackoffState {
  return nextBackoff(prev, now, now, FAILED_POD_BACKOFF);
}

/** Host ports the template binds: explicit hostPorts, or every container port under hostNetwork. */
export function hostPortsOf(spec: PodSpec | undefined): string[] {
  if (!spec) return [];
  const out: string[] = [];
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    for (const p of c.ports ?? []) {
      const port = p.hostPort ?? (spec.hostNetwork ? p.containerPort : 0);
      if (port > 0) out.push(`${port}/${p.protocol ?? 'TCP'}`);
    }
  }
  return [...new Set(out)];
}

function surgeHostPortWarning(ds: DaemonSet, ports: readonly string[]): string {
  const ref = `${ds.metadata?.namespace ?? 'default'}/${ds.metadata?.name ?? ''}`;
  return (
    `DaemonSet ${ref}: maxSurge starts the new pod while the old one still runs, but both need host port(s) ${ports.join(', ')}; ` +
    'the new pod cannot bind them and the rollout will not finish (kubernetes/kubernetes#106417). Use maxSurge: 0 (maxUnavailable: 1) for this DaemonSet.'
  );
}
