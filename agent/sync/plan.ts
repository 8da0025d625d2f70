// The pure planner: kubelet's computePodActions (kuberuntime_manager.go) without its side
// effects. It compares one desired pod with what Docker holds for its UID and returns the
// ordered actions of one SyncPod pass; the executor (sync/execute.ts) carries them out.
//
// Semantics (kubelet's, on a single host):
//  1. No desired pod (removed, orphan): if anything of the pod still runs, killPod(PodRemoved,
//     grace from the containers' labels or 30 s) then cleanupPod; if nothing runs, cleanupPod
//     alone. Nothing observed: no actions.
//  2. Sandbox: the latest sandbox (highest attempt, then newest createdAt) must be running and
//     be the only running one, with an IP unless its network is host or none. Otherwise
//     killPod(SandboxChanged) of what runs, prepareVolumes, createSandbox(attempt = highest + 1,
//     or 0) and start from the first init container (or all app containers when there are
//     none) in the same pass. As upstream, the sandbox is
//     NOT re-created when restartPolicy is Never and the pod already ran containers, nor when
//     the pod has completed (no app container left to start, init done).
//     Only instances whose sandboxId is the current sandbox belong to the current incarnation;
//     a live instance joined to an older sandbox is killed.
//  3. Init containers (init-containers.ts): one regular init container at a time, in order,
//     each until it exits 0; once an app container exists in the current sandbox, init is
//     done. A failed init container under Never fails the pod: killPod(PodFailed), nothing
//     more, ever (the dead sandbox is not re-created, see 2). Under Always/OnFailure it is
//     restarted with back-off. Sidecars (restartPolicy Always) start in order, the next init
//     container starts once the sidecar runs, and they restart whenever they exit.
//  4. App containers once initialised: ShouldContainerBeRestarted (never started: yes;
//     running: no; created/unknown: yes, killing the stuck instance first; exited: Never no,
//     OnFailure + exit 0 no, else yes) subject to CrashLoopBackOff, keyed by name + expected
//     hash, measured from the exit of the latest exited instance (ctx.exitedAt, else its
//     finishedAt). A container with no instance in the current sandbox is judged on its
//     newest instance in older sandboxes.
//  5. Definition change: a running container whose hash differs from containerSpecHash of
//     its spec is killed (SpecChanged, `Container <name> definition changed, will be
//     restarted`) and started in the same plan without back-off. A live container that is not
//     in the spec any more is killed and removed.
//  6. ctx.unhealthy (liveness/startup probe failure): killContainer(LivenessProbe|StartupProbe,
//     probe's terminationGracePeriodSeconds or the pod's), restarted unless restartPolicy Never,
//     subject to CrashLoopBackOff measured from the kill (the worker advances the entry).
//  7. Completion: no app container running and none to start (Never/OnFailure, all
//     terminated for good) → killPod(PodCompleted) stops sidecars and the sandbox; exited
//     containers stay for status; later passes start nothing.
//  8. restartCount of a start = highest restartCount of that name + 1, or 0: attempt numbers
//     (and so Docker names) never go backwards.
//  9. Garbage: per container name keep the newest instance and the newest exited one (state and
//     lastState, `logs --previous`); remove other dead instances, and dead sandboxes other than
//     the latest (it carries the attempt number).
// 10. requeueAt = the earliest back-off expiry, so the worker wakes without an event.
// Start failures (ctx.startFailures: image pull, config, run errors) back off like crashes,
// measured from the failure time, with at least the initial window.
// Grace periods: terminationGracePeriodSeconds (default 30), never below kubelet's 2 s.
import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import type { DesiredPod } from '../core/types.js';
import { newestInstanceFirst, type ContainerRole, type KillReason, type ObservedContainer, type ObservedPod, type PodAction, type PodPlan } from '../core/runtime-types.js';
import { LABELS } from '../core/labels.js';
import { exitedForGood, isSidecar, shouldContainerBeRestarted } from '../core/containers.js';
import { sandboxLacksIP } from '../core/pod-ips.js';
import { DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS } from '../manifest/defaults.js';
import { MINIMUM_GRACE_PERIOD_SECONDS } from '../core/termination.js';
import { formatPod } from '../probe/target.js';
import { containerSpecHash } from '../translate/spec-hash.js';
import { formatGoDuration } from '../core/go-duration.js';
import { isInBackoffSince, type BackoffEntry, type BackoffPolicy } from './backoff.js';
import { computeInitActions, type ContainerKill, type ProbeFailure } from './init-containers.js';

export type { ProbeFailure } from './init-containers.js';

export interface PlanContext {
  /** The agent passes clock.monotonic(): back-off windows must not follow wall-clock steps. */
  readonly now: number;
  /**
   * Exit times by container ID on the same clock as `now` (sync/exit-times.ts). An exited
   * instance not in it is measured from its finishedAt, which is only right when `now` is
   * wall time too (tests that need no clock steps).
   */
  readonly exitedAt?: ReadonlyMap<string, number>;
  /** Back-off entries of this pod keyed by backoffKey(containerName, specHash); the worker owns the map. */
  readonly backoff: ReadonlyMap<string, BackoffEntry>;
  readonly backoffPolicy: BackoffPolicy;
  /** The image pull back-off (kubelet: 10 s doubling to 300 s, per pod and image); backoffPolicy when not given. */
  readonly imagePullBackoffPolicy?: BackoffPolicy;
  /** Containers whose start failed in an earlier pass (image pull, config error), with the time. */
  readonly startFailures?: ReadonlyMap<string, { readonly reason: string; readonly at: number }>;
  /** Probe results (issue 4): containers whose liveness or startup probe failed → kill and restart. */
  readonly unhealthy?: ReadonlyMap<string, ProbeFailure>;
  /** A pod that is not desired is killed with this grace period (eviction's override), not its own. */
  readonly killGraceSeconds?: number;
}

export function backoffKey(containerName: string, specHash: string): string {
  return `${containerName}/${specHash}`;
}

/** The kubelet keys its image pull back-off by pod UID and image; the map is already per pod. */
export function imagePullBackoffKey(image: string): string {
  return `image\u0000${image}`;
}

/** Start failures the kubelet's image back-off (not the crash-loop one) spaces out. */
export function isImagePullFailure(reason: string | undefined): boolean {
  return reason === 'ErrImagePull' || reason === 'ImagePullBackOff' || reason === 'RegistryUnavailable';
}

/** The back-off entry key and policy a failed start of `container` is spaced out by. */
export function startFailureBackoff(container: { name: string; image?: string }, specHash: string, reason: string | undefined, policies: { crash: BackoffPolicy; image?: BackoffPolicy }): { key: string; policy: BackoffPolicy } {
  if (isImagePullFailure(reason)) return { key: imagePullBackoffKey(container.image ?? ''), policy: policies.image ?? policies.crash };
  return { key: backoffKey(container.name, specHash), policy: policies.crash };
}

export function computePodActions(desired: DesiredPod | undefined, observed: ObservedPod | undefined, ctx: PlanContext): PodPlan {
  if (!desired) return planRemovedPod(observed, ctx.killGraceSeconds);
  return new PodPlanner(desired, observed, ctx).plan();
}

// ---------------------------------------------------------------------------------------------
// Observed instances

function isRunning(c: ObservedContainer): boolean {
  // Unknown may well be running: kill it rather than leave it behind.
  return c.state === 'running' || c.state === 'unknown';
}

function isDead(c: ObservedContainer): boolean {
  return c.state === 'exited' || c.state === 'created';
}

function groupByName(containers: readonly ObservedContainer[]): Map<string, ObservedContainer[]> {
  const byName = new Map<string, ObservedContainer[]>();
  for (const c of [...containers].sort(newestInstanceFirst)) {
    const list = byName.get(c.name);
    if (list) list.push(c);
    else byName.set(c.name, [c]);
  }
  return byName;
}

function clampGrace(seconds: number | undefined): number {
  return Math.max(MINIMUM_GRACE_PERIOD_SECONDS, seconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS);
}

// ---------------------------------------------------------------------------------------------
// 1. Removed / orphaned pod

function planRemovedPod(observed: ObservedPod | undefined, graceOverride?: number): PodPlan {
  const uid = observed?.uid ?? '';
  if (!observed || (observed.containers.length === 0 && observed.sandboxes.length === 0)) return { uid, actions: [] };
  const all = [...observed.containers, ...observed.sandboxes];
  const actions: PodAction[] = [];
  if (all.some(isRunning)) {
    actions.push({ type: 'killPod', reason: 'PodRemoved', message: 'Pod is no longer desired; stopping it', graceSeconds: graceOverride === undefined ? graceFromLabels(all) : clampGrace(graceOverride) });
  }
  actions.push({ type: 'cleanupPod' });
  return { uid, actions };
}

/** The pod's terminationGracePeriodSeconds as recorded on its containers when they were created. */
function graceFromLabels(containers: readonly ObservedContainer[]): number {
  let grace: number | undefined;
  for (const c of containers) {
    const raw = c.labels[LABELS.terminationGracePeriod];
    if (raw === undefined || !/^\d+$/.test(raw)) continue;
    grace = Math.max(grace ?? 0, Number(raw));
  }
  return clampGrace(grace);
}

// ---------------------------------------------------------------------------------------------
// 2-10. Desired pod

interface PlannedKill {
  readonly kill: ContainerKill;
  readonly grace: number;
  /** Remove it once stopped (it is not in the spec any more). */
  readonly remove?: boolean;
}

interface StartRequest {
  readonly container: Container;
  readonly role: Exclude<ContainerRole, 'sandbox'>;
  /** Instances whose last exit counts for CrashLoopBackOff (init: current sandbox only). */
  readonly history: readonly ObservedContainer[];
  /** A definition change is not a crash: no back-off. */
  readonly definitionChanged?: boolean;
  /** Restarted right after a liveness/startup kill in this plan: backed off like any exit. */
  readonly probeKill?: boolean;
}

class PodPlanner {
  readonly #desired: DesiredPod;
  readonly #observed: ObservedPod | undefined;
  readonly #ctx: PlanContext;
  readonly #spec: PodSpec | undefined;
  readonly #restartPolicy: string;
  readonly #grace: number;
  readonly #sandboxes: readonly ObservedContainer[];
  readonly #byName: Map<string, ObservedContainer[]>;
  readonly #actions: PodAction[] = [];
  /** IDs of live containers killed by this plan that may also be removed (not in the spec). */
  readonly #removeAfterKill: string[] = [];
  #requeueAt: number | undefined;

  constructor(desired: DesiredPod, observed: ObservedPod | undefined, ctx: PlanContext) {
    this.#desired = desired;
    this.#observed = observed;
    this.#ctx = ctx;
    this.#spec = desired.pod.spec;
    this.#restartPolicy = this.#spec?.restartPolicy ?? 'Always';
    this.#grace = clampGrace(this.#spec?.terminationGracePeriodSeconds);
    this.#sandboxes = [...(observed?.sandboxes ?? [])].sort(newestInstanceFirst);
    this.#byName = groupByName(observed?.containers ?? []);
  }

  plan(): PodPlan {
    const latest = this.#sandboxes[0];
    const runningSandboxes = this.#sandboxes.filter((s) => s.state === 'running');
    // PodSandboxChanged: a running sandbox whose network gave it no IP ("Sandbox for pod has no
    // IP address. Need to start a new one"), e.g. an adopted one whose network went away.
    if (!latest || latest.state !== 'running' || runningSandboxes.length > 1 || sandboxLacksIP(latest)) this.#planNewSandbox();
    else this.#planInSandbox(latest);
    this.#collectGarbage();
    const plan: PodPlan = { uid: this.#desired.uid, actions: this.#actions };
    return this.#requeueAt === undefined ? plan : { ...plan, requeueAt: this.#requeueAt };
  }

  get #appContainers(): readonly Container[] {
    return this.#spec?.containers ?? [];
  }

  get #initContainers(): readonly Container[] {
    return this.#spec?.initContainers ?? [];
  }

  #instances(name: string): readonly ObservedContainer[] {
    return this.#byName.get(name) ?? [];
  }

  #anythingRunning(): boolean {
    return this.#sandboxes.some(isRunning) || (this.#observed?.containers ?? []).some(isRunning);
  }

  #killPod(reason: KillReason, message: string): void {
    this.#actions.push({ type: 'killPod', reason, message, graceSeconds: this.#grace });
  }

  #killContainer(kill: ContainerKill, graceSeconds = this.#grace): void {
    const { instance, reason, message } = kill;
    this.#actions.push({ type: 'killContainer', containerId: instance.id, container: instance.name, reason, message, graceSeconds: clampGrace(graceSeconds) });
  }

  // -- 2. A new sandbox ------------------------------------------------------------------------

  #planNewSandbox(): void {
    const anyRunning = this.#anythingRunning();
    const hadSandbox = this.#sandboxes.length > 0;
    const hasContainers = (this.#observed?.containers.length ?? 0) > 0;

    // kubelet: a Never pod that already ran is not brought back when its sandbox goes away.
    if (this.#restartPolicy === 'Never' && hadSandbox && hasContainers) {
      if (anyRunning) this.#killPod('SandboxChanged', 'Pod sandbox changed and restartPolicy is Never; the pod will not be restarted');
      return;
    }
    const appsToStart = this.#appContainers.filter((c) => !exitedForGood(c, this.#restartPolicy, this.#instances(c.name)[0]));
    const everCreatedApp = this.#appContainers.some((c) => this.#instances(c.name).some((i) => i.state !== 'unknown'));
    // kubelet: a completed pod (nothing left to start, init done) gets no new sandbox.
    if (appsToStart.length === 0 && everCreatedApp) {
      if (anyRunning) this.#killPod('PodCompleted', 'Stopping PodSandbox for pod, because all other containers are dead');
      return;
    }

    if (anyRunning) this.#killPod('SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
    const attempt = hadSandbox ? Math.max(...this.#sandboxes.map((s) => s.restartCount)) + 1 : 0;
    this.#actions.push({ type: 'prepareVolumes' }, { type: 'createSandbox', attempt });

    // Everything starts over in the new sandbox: init containers from the first one.
    const firstInit = this.#initContainers[0];
    if (firstInit) {
      this.#start({ container: firstInit, role: isSidecar(firstInit) ? 'sidecar' : 'init', history: [] });
      return;
    }
    for (const container of appsToStart) this.#start({ container, role: 'app', history: this.#instances(container.name) });
  }

  // -- 3-7. Inside the running sandbox ---------------------------------------------------------

  #planInSandbox(sandbox: ObservedContainer): void {
    const current = (name: string): ObservedContainer | undefined => this.#instances(name).find((i) => i.sandboxId === sandbox.id);
    const strayKills = this.#strayKills(sandbox);

    const init = computeInitActions({
      initContainers: this.#initContainers,
      current,
      appContainerCreated: this.#appContainers.some((c) => {
        const state = current(c.name)?.state;
        return state === 'created' || state === 'running' || state === 'exited';
      }),
      restartOnFailure: this.#restartPolicy !== 'Never',
      expectedHash: containerSpecHash,
      unhealthy: this.#unhealthy,
    });
    if (init.kind === 'failed') {
      this.#killPod('PodFailed', `Init container ${init.container} failed and restartPolicy is Never; the pod has failed`);
      return;
    }

    const initStarts: StartRequest[] = init.toStart.flatMap((index) => {
      const container = this.#initContainers[index];
      if (!container) return [];
      const history = this.#instances(container.name).filter((i) => i.sandboxId === sandbox.id);
      const probeKill = init.toKill.some((k) => k.instance.name === container.name && (k.reason === 'LivenessProbe' || k.reason === 'StartupProbe'));
      return [{ container, role: isSidecar(container) ? 'sidecar' : 'init', history, probeKill } satisfies StartRequest];
    });
    const initKills: PlannedKill[] = init.toKill.map((k) => ({ kill: k, grace: this.#killGrace(k) }));

    if (!init.initialized) {
      this.#emitKills([...strayKills, ...initKills]);
      for (const s of initStarts) this.#start(s);
      return;
    }

    const apps = this.#appDecisions(current);
    if (apps.keepRunning === 0 && apps.starts.length === 0) {
      // Every app container terminated for good: stop sidecars and the sandbox, start nothing.
      this.#killPod('PodCompleted', 'Stopping PodSandbox for pod, because all other containers are dead');
      return;
    }
    this.#emitKills([...strayKills, ...initKills, ...apps.kills]);
    for (const s of [...initStarts, ...apps.starts]) this.#start(s);
  }

  get #unhealthy(): ReadonlyMap<string, ProbeFailure> {
    return this.#ctx.unhealthy ?? new Map<string, ProbeFailure>();
  }

  /** Live containers that do not belong here: not in the spec (killed, then removed), or joined to an older sandbox. */
  #strayKills(sandbox: ObservedContainer): PlannedKill[] {
    const specNames = new Set([...this.#initContainers, ...this.#appContainers].map((c) => c.name));
    const kills: PlannedKill[] = [];
    for (const instance of this.#observed?.containers ?? []) {
      if (!isRunning(instance)) continue;
      if (!specNames.has(instance.name)) {
        kills.push({ kill: { instance, reason: 'SpecChanged', message: `Container ${instance.name} is no longer in the pod spec` }, grace: this.#grace, remove: true });
      } else if (instance.sandboxId !== sandbox.id) {
        kills.push({ kill: { instance, reason: 'SandboxChanged', message: `Container ${instance.name} belongs to an old pod sandbox` }, grace: this.#grace });
      }
    }
    return kills;
  }

  #emitKills(kills: readonly PlannedKill[]): void {
    for (const k of kills) {
      this.#killContainer(k.kill, k.grace);
      if (k.remove) this.#removeAfterKill.push(k.kill.instance.id);
    }
  }

  /** Probe kills use the probe's own terminationGracePeriodSeconds when it has one. */
  #killGrace(kill: ContainerKill): number {
    const container = [...this.#initContainers, ...this.#appContainers].find((c) => c.name === kill.instance.name);
    if (kill.reason === 'LivenessProbe') return clampGrace(container?.livenessProbe?.terminationGracePeriodSeconds ?? this.#grace);
    if (kill.reason === 'StartupProbe') return clampGrace(container?.startupProbe?.terminationGracePeriodSeconds ?? this.#grace);
    return this.#grace;
  }

  /** kubelet's loop over spec.containers once the pod is initialised (steps 4-6). */
  #appDecisions(current: (name: string) => ObservedContainer | undefined): {
    keepRunning: number;
    starts: StartRequest[];
    kills: PlannedKill[];
  } {
    let keepRunning = 0;
    const starts: StartRequest[] = [];
    const kills: PlannedKill[] = [];
    for (const container of this.#appContainers) {
      const history = this.#instances(container.name);
      const instance = current(container.name);

      if (!instance || instance.state !== 'running') {
        if (!this.#shouldStart(container, instance, history)) continue;
        if (instance && (instance.state === 'created' || instance.state === 'unknown')) {
          // Never leave two instances of one container behind.
          kills.push({ kill: { instance, reason: 'Unknown', message: `Container is in "${instance.state}" state, try killing it before restart` }, grace: this.#grace });
        }
        starts.push({ container, role: 'app', history });
        continue;
      }

      if (instance.specHash !== containerSpecHash(container)) {
        kills.push({ kill: { instance, reason: 'SpecChanged', message: `Container ${container.name} definition changed, will be restarted` }, grace: this.#grace });
        starts.push({ container, role: 'app', history, definitionChanged: true });
        continue;
      }
      const probe = this.#unhealthy.get(container.name);
      if (probe) {
        const restart = this.#restartPolicy !== 'Never';
        const what = probe === 'LivenessProbe' ? 'liveness' : 'startup';
        const message = `Container ${container.name} failed ${what} probe${restart ? ', will be restarted' : ''}`;
        const kill: ContainerKill = { instance, reason: probe, message };
        kills.push({ kill, grace: this.#killGrace(kill) });
        if (restart) starts.push({ container, role: 'app', history, probeKill: true });
        continue;
      }
      keepRunning++;
    }
    return { keepRunning, starts, kills };
  }

  /**
   * ShouldContainerBeRestarted on the current sandbox's instance; with none yet, the newest
   * older instance only says whether the container exited for good.
   */
  #shouldStart(container: Container, instance: ObservedContainer | undefined, history: readonly ObservedContainer[]): boolean {
    if (!instance) return !exitedForGood(container, this.#restartPolicy, history[0]);
    return shouldContainerBeRestarted(container, this.#restartPolicy, instance);
  }

  // -- Starts and CrashLoopBackOff -------------------------------------------------------------

  #start(request: StartRequest): void {
    const { container, role } = request;
    const window = this.#backoffWindow(request);
    if (window) {
      this.#actions.push({
        type: 'backoff',
        container: container.name,
        until: window.until,
        message: `back-off ${formatGoDuration(window.delayMs)} restarting failed container=${container.name} pod=${formatPod(this.#desired)}`,
      });
      this.#requeueAt = this.#requeueAt === undefined ? window.until : Math.min(this.#requeueAt, window.until);
      return;
    }
    this.#actions.push({ type: 'startContainer', container: container.name, role, restartCount: this.#nextRestartCount(container.name) });
  }

  /**
   * kubelet doBackOff: the last exit of this definition (or the last failed start) opens a
   * window of the current back-off delay. A failed start waits at least the initial delay even
   * when no crash entry exists yet, so a missing image is not retried in a tight loop.
   */
  #backoffWindow(request: StartRequest): { until: number; delayMs: number } | undefined {
    const { now, backoff, backoffPolicy } = this.#ctx;
    const hash = containerSpecHash(request.container);
    if (request.probeKill) {
      // kubelet backs off every restart of an exited container, liveness kills included: the
      // kill in this plan is the exit, now. The first kill restarts at once (no entry yet); the
      // worker then advances the entry as for a crash, so kills space out 10 s, 20 s, 40 s...
      const entry = backoff.get(backoffKey(request.container.name, hash));
      return entry && isInBackoffSince(entry, now, now, backoffPolicy) ? { until: now + entry.delayMs, delayMs: entry.delayMs } : undefined;
    }
    const lastExit = request.definitionChanged ? undefined : request.history.find((i) => i.state === 'exited');
    const crashAt = lastExit && lastExit.specHash === hash ? (this.#ctx.exitedAt?.get(lastExit.id) ?? lastExit.finishedAt ?? lastExit.startedAt ?? lastExit.createdAt) : undefined;
    const failure = this.#ctx.startFailures?.get(request.container.name);
    const failedAt = failure?.at;
    if (crashAt === undefined && failedAt === undefined) return undefined;
    const eventTime = Math.max(crashAt ?? -Infinity, failedAt ?? -Infinity);
    // A failed pull is spaced out by the image back-off, keyed by the image (kubelet's EnsureImageExists).
    const pullFailure = failedAt === eventTime && isImagePullFailure(failure?.reason);
    const { key, policy } = pullFailure
      ? startFailureBackoff(request.container, hash, failure?.reason, { crash: backoffPolicy, ...(this.#ctx.imagePullBackoffPolicy ? { image: this.#ctx.imagePullBackoffPolicy } : {}) })
      : { key: backoffKey(request.container.name, hash), policy: backoffPolicy };

    const candidates: BackoffEntry[] = [];
    const entry = backoff.get(key);
    if (entry) candidates.push(entry);
    if (failedAt === eventTime) candidates.push({ delayMs: policy.initialMs, lastUpdate: eventTime });

    let window: { until: number; delayMs: number } | undefined;
    for (const candidate of candidates) {
      if (!isInBackoffSince(candidate, eventTime, now, policy)) continue;
      const until = eventTime + candidate.delayMs;
      if (!window || until > window.until) window = { until, delayMs: candidate.delayMs };
    }
    return window;
  }

  #nextRestartCount(name: string): number {
    const counts = this.#instances(name).map((i) => i.restartCount);
    return counts.length === 0 ? 0 : Math.max(...counts) + 1;
  }

  // -- 9. Garbage ------------------------------------------------------------------------------

  #collectGarbage(): void {
    const specNames = new Set([...this.#initContainers, ...this.#appContainers].map((c) => c.name));
    const ids: string[] = [];
    for (const [name, instances] of this.#byName) {
      if (!specNames.has(name)) {
        ids.push(...instances.filter(isDead).map((i) => i.id));
        continue;
      }
      const newest = instances[0];
      const newestExited = instances.find((i) => i.state === 'exited');
      for (const i of instances) if (isDead(i) && i !== newest && i !== newestExited) ids.push(i.id);
    }
    ids.push(...this.#removeAfterKill);
    // Sandboxes last: containers joined to them go first.
    for (const s of this.#sandboxes.slice(1)) if (isDead(s)) ids.push(s.id);
    if (ids.length > 0) this.#actions.push({ type: 'removeContainers', containerIds: ids });
  }
}
