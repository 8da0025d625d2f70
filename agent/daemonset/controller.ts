// The DaemonSet controller of the one node nodelet runs on. It judges eligibility against the
// node identity it is given (node/node-identity.ts owns labels and taints) and drives the pure stages (revisions, eligibility, rollout planner,
// status) and carries out their actions through the agent: a daemon pod to run is put in the
// agent's desired map (the normal pod workers run it), a pod to stop is taken out of it (the
// worker kills it with preStop and grace). Revisions and bookkeeping are persisted in the state
// dir (revision-store.ts); rollbacks and CLI edits rewrite the manifest file, and the file
// watcher brings the change back in, so the file stays the single source of truth.
import { readFile, stat } from 'node:fs/promises';
import type { DaemonSet, DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { wallToMonotonic, type Clock } from '../core/clock.js';
import type { DesiredPod, ManifestObject, ObjectKey } from '../core/types.js';
import { formatObjectKey } from '../core/types.js';
import type { ObservedPod } from '../core/runtime-types.js';
import { errorMessage } from '../core/errors.js';
import { backoffDelay } from '../core/backoff.js';
import type { Logger } from '../log/logger.js';
import type { EventStore, InvolvedObject } from '../events/event-store.js';
import type { HostFs } from '../host/host-fs.js';
import { apiTime } from '../core/time-format.js';
import type { NodeIdentityView } from '../node/node-identity.js';
import { nodeShouldRunDaemonPod, type Eligibility } from '../node/eligibility.js';
import { expandDaemonPod, findDaemonPodOrdinal } from './expand.js';
import {
  computeRevisions,
  findRevision,
  observeGeneration,
  REVISION_HASH_LABEL,
  TEMPLATE_GENERATION_LABEL,
  toControllerRevision,
  withGeneration,
  type DaemonSetRevision,
} from './revisions.js';
import { newDaemonSetState, type DaemonSetState, type DaemonSetStateStore } from './revision-store.js';
import { planRollout, rolloutComplete, trackRolloutProgress, type DaemonPodState } from './rollout.js';
import { computeDaemonSetStatus } from './status.js';
import { changeCauseEdit, formatRFC3339Local, restartEdit, rewriteDaemonSetManifest, type ManifestEdit } from './manifest-rewrite.js';
import { imageUpdatedMessage, planUndo, restartedMessage } from './rollout-messages.js';

/** A Pod or DaemonSet with this annotation starts only once every other DaemonSet's pod here is Ready. */
export const START_AFTER_DAEMONSETS_ANNOTATION = 'nodelet.io/start-after-daemonsets';

/** What the controller needs from the agent. */
export interface DaemonSetHost {
  /** Run this pod (add or replace it in the desired map and enqueue its worker). */
  setDesired(pod: DesiredPod): void;
  /** Stop this pod (drop it from the desired map; its worker kills it with preStop and grace). */
  removeDesired(uid: string): void;
  /** The pod with kubelet-style status, while it is desired. */
  podView(uid: string): Pod | undefined;
  /** What Docker holds for the pod, as last observed. */
  observed(uid: string): ObservedPod | undefined;
}

export interface DaemonSetControllerDeps {
  readonly host: DaemonSetHost;
  readonly store: DaemonSetStateStore;
  /** The node's name, labels and taints (asked on every pass; nodeChanged() says when they change). */
  readonly node: NodeIdentityView;
  readonly hostFs: Pick<HostFs, 'writeFileAtomic'>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly events: EventStore;
}

interface DaemonPodRecord {
  readonly desired: DesiredPod;
  readonly createdAt: number;
  /** The identity ordinal (expand.ts) the pod was built with. */
  readonly ordinal: number;
  terminating: boolean;
  /** The Ready condition's lastTransitionTime, converted to monotonic time once when first seen. */
  readySince?: { readonly transition: string; readonly monotonic: number };
}

interface Entry {
  readonly key: string;
  object: Extract<ManifestObject, { kind: 'DaemonSet' }>;
  state?: DaemonSetState;
  readonly pods: Map<string, DaemonPodRecord>;
  view?: DaemonSet;
  eligibility?: Eligibility;
  timer?: { cancel(): void };
  wakeAt?: number;
  readonly warned: Set<string>;
  /** The failing sync: its error (logged once) and how many times in a row it failed. */
  failure?: { readonly message: string; readonly failures: number };
}

/** A failing sync (e.g. its state cannot be saved: a full disk) is retried after 2 s, 4 s, ... 60 s. */
export const SYNC_RETRY_INITIAL_MS = 2000;
export const SYNC_RETRY_MAX_MS = 60_000;

/** What `rollout undo|restart` and `set image` ask for; the controller edits the manifest. */
export type DaemonSetEditRequest =
  | { readonly action: 'undo'; readonly toRevision: number }
  | { readonly action: 'restart' }
  | { readonly action: 'setImage'; readonly images: readonly { readonly container: string; readonly image: string }[] };

export type EditOutcome = { readonly ok: true; readonly message: string } | { readonly ok: false; readonly error: string; readonly notFound?: boolean };

/** How long an edit waits for the file watcher to bring the rewritten manifest back. */
const EDIT_OBSERVE_TIMEOUT_MS = 5000;

export class DaemonSetController {
  readonly #d: DaemonSetControllerDeps;
  readonly #log: Logger;
  readonly #entries = new Map<string, Entry>();
  /** Daemon pod uid → DaemonSet key. */
  readonly #owners = new Map<string, string>();
  readonly #dirty = new Set<string>();
  #running?: Promise<void>;
  #ready = false;
  #stopped = false;

  constructor(deps: DaemonSetControllerDeps) {
    this.#d = deps;
    this.#log = deps.logger.child({ component: 'daemonset' });
  }

  /** The node's labels or taints changed: every DaemonSet is judged again. */
  nodeChanged(): void {
    for (const key of this.#entries.keys()) this.#kick(key);
  }

  // --- manifest source ----------------------------------------------------------------------

  upsert(object: Extract<ManifestObject, { kind: 'DaemonSet' }>): void {
    const key = formatObjectKey(object.key);
    const entry = this.#entries.get(key);
    if (entry) entry.object = object;
    else this.#entries.set(key, { key, object, pods: new Map(), warned: new Set() });
    this.#log.info({ daemonset: `${object.key.namespace}/${object.key.name}`, file: object.file }, entry ? 'daemonset updated' : 'daemonset added');
    this.#kick(key);
  }

  /** The DaemonSet left the manifests: its pods stop and its history is deleted. */
  remove(key: ObjectKey): void {
    const k = formatObjectKey(key);
    const entry = this.#entries.get(k);
    if (!entry) return;
    this.#entries.delete(k);
    entry.timer?.cancel();
    for (const uid of entry.pods.keys()) {
      this.#owners.delete(uid);
      this.#d.host.removeDesired(uid);
    }
    this.#log.info({ daemonset: `${key.namespace}/${key.name}`, pods: entry.pods.size }, 'daemonset removed; stopping its pods and deleting its history');
    void this.#d.store.remove(key.namespace, key.name).catch((err: unknown) => this.#log.error({ err: errorMessage(err) }, 'cannot delete daemonset state'));
  }

  /**
   * The first sync, before the agent removes orphans: adopts running daemon pods of the stored
   * revisions (their identity is deterministic), then plans every DaemonSet.
   */
  async initialSync(observed: readonly ObservedPod[]): Promise<void> {
    for (const entry of this.#entries.values()) {
      try {
        await this.#adopt(entry, observed);
      } catch (err) {
        this.#log.error({ daemonset: entry.key, err: errorMessage(err) }, 'cannot adopt daemon pods');
      }
    }
    this.#ready = true;
    for (const key of this.#entries.keys()) this.#dirty.add(key);
    await this.#drain();
  }

  async #adopt(entry: Entry, observed: readonly ObservedPod[]): Promise<void> {
    const ds = entry.object.object;
    const state = await this.#state(entry);
    const dsName = ds.metadata?.name ?? '';
    for (const pod of observed) {
      if (pod.namespace !== entry.object.key.namespace) continue;
      for (const rev of state.revisions) {
        const ordinal = findDaemonPodOrdinal(dsName, state.uid, this.#d.node.current().name, rev.hash, pod.uid, (state.nextPodOrdinal ?? 0) + 8);
        if (ordinal === undefined) continue;
        const created = Math.min(...[...pod.sandboxes, ...pod.containers].map((c) => c.createdAt), this.#d.clock.now());
        const desired = expandDaemonPod({ ds, dsUid: state.uid, revision: rev, node: this.#d.node.current(), file: entry.object.file, ordinal, creationTimestamp: apiTime(created) });
        entry.pods.set(desired.uid, { desired, createdAt: created, ordinal, terminating: false });
        this.#owners.set(desired.uid, entry.key);
        this.#d.host.setDesired(desired);
        this.#log.info({ pod: `${desired.namespace}/${desired.name}`, revision: rev.revision }, 'adopting running daemon pod');
        break;
      }
    }
  }

  /** A pass of this pod finished (status may have changed): re-plan its DaemonSet. */
  podChanged(uid: string): void {
    const key = this.#owners.get(uid);
    if (key) this.#kick(key);
  }

  /** `nodelet delete pod` of a daemon pod: it terminates and the controller replaces it. */
  deletePod(uid: string): boolean {
    const key = this.#owners.get(uid);
    const rec = key ? this.#entries.get(key)?.pods.get(uid) : undefined;
    if (!key || !rec) return false;
    if (!rec.terminating) {
      rec.terminating = true;
      this.#d.host.removeDesired(uid);
      this.#log.info({ pod: `${rec.desired.namespace}/${rec.desired.name}` }, 'daemon pod deleted through the API');
    }
    this.#kick(key);
    return true;
  }

  stop(): void {
    this.#stopped = true;
    for (const e of this.#entries.values()) e.timer?.cancel();
  }

  /** Resolves when no DaemonSet pass runs or is pending (tests). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  // --- views --------------------------------------------------------------------------------

  daemonSets(): DaemonSet[] {
    return [...this.#entries.values()].flatMap((e) => (e.view ? [e.view] : []));
  }

  revisions(namespace: string, name: string): DaemonSetRevision[] | undefined {
    const e = this.#entries.get(formatObjectKey({ kind: 'DaemonSet', namespace, name }));
    return e ? [...(e.state?.revisions ?? [])] : undefined;
  }

  controllerRevisions(): ReturnType<typeof toControllerRevision>[] {
    return [...this.#entries.values()].flatMap((e) => (e.state ? e.state.revisions.map((r) => toControllerRevision(r, { name: e.state?.name ?? '', uid: e.state?.uid ?? '' })) : []));
  }

  /**
   * The DaemonSets a `start-after-daemonsets` pod still waits for (their pod here is not
   * Ready), or an empty list. Only DaemonSets without the annotation that should run here count.
   */
  startAfterWaitingFor(desired: DesiredPod): string[] | undefined {
    const ownerKey = this.#owners.get(desired.uid);
    const owner = ownerKey ? this.#entries.get(ownerKey) : undefined;
    const gated = desired.pod.metadata?.annotations?.[START_AFTER_DAEMONSETS_ANNOTATION] === 'true' || owner?.object.object.metadata?.annotations?.[START_AFTER_DAEMONSETS_ANNOTATION] === 'true';
    if (!gated) return undefined;
    const waiting: string[] = [];
    for (const e of this.#entries.values()) {
      const ds = e.object.object;
      if (ds.metadata?.annotations?.[START_AFTER_DAEMONSETS_ANNOTATION] === 'true') continue;
      const eligibility = e.eligibility ?? nodeShouldRunDaemonPod(this.#d.node.current(), ds);
      if (!eligibility.shouldRun) continue;
      const ready = [...e.pods.entries()].some(([uid, p]) => !p.terminating && isReady(this.#d.host.podView(uid)));
      if (!ready) waiting.push(`${e.object.key.namespace}/${e.object.key.name}`);
    }
    return waiting;
  }

  // --- edits through the manifest -------------------------------------------------------------

  /** rollout undo|restart and set image: rewrite the DaemonSet's manifest file atomically. */
  async edit(namespace: string, name: string, request: DaemonSetEditRequest, changeCause?: string): Promise<EditOutcome> {
    const entry = this.#entries.get(formatObjectKey({ kind: 'DaemonSet', namespace, name }));
    if (!entry) return { ok: false, error: `daemonsets.apps "${name}" not found`, notFound: true };
    const edits: ManifestEdit[] = [];
    let message: string;
    if (request.action === 'undo') {
      const view = entry.view ?? entry.object.object;
      const plan = planUndo(view, entry.state?.revisions ?? [], request.toRevision);
      if (plan.kind === 'error') return { ok: false, error: plan.error };
      if (plan.kind !== 'rollback') return { ok: true, message: plan.kind === 'skipped' ? plan.message : plan.output };
      edits.push({ kind: 'replaceTemplate', template: plan.revision.template });
      message = plan.message;
    } else if (request.action === 'restart') {
      edits.push(restartEdit(formatRFC3339Local(new Date(this.#d.clock.now()))));
      message = restartedMessage(name);
    } else {
      const containers = entry.object.object.spec?.template.spec?.containers ?? [];
      const inits = entry.object.object.spec?.template.spec?.initContainers ?? [];
      for (const i of request.images) {
        if (i.container !== '*' && !containers.some((c) => c.name === i.container) && !inits.some((c) => c.name === i.container)) {
          return { ok: false, error: `unable to find container named "${i.container}"` };
        }
        edits.push({ kind: 'setImage', container: i.container, image: i.image });
      }
      message = imageUpdatedMessage(name);
    }
    if (changeCause !== undefined) edits.push(changeCauseEdit(changeCause));
    const before = entry.view?.metadata?.generation;
    const result = await this.#rewrite(entry, edits);
    if (!result.ok) return result;
    this.#log.info({ daemonset: `${namespace}/${name}`, file: entry.object.file, action: request.action }, 'manifest rewritten');
    // As the API server does, answer once the change is in force: the file watcher has brought it
    // back and the controller observed the new generation (so `rollout status` right after sees it).
    for (let waited = 0; waited < EDIT_OBSERVE_TIMEOUT_MS && entry.view?.metadata?.generation === before; waited += 50) await this.#d.clock.sleep(50);
    return { ok: true, message };
  }

  async #rewrite(entry: Entry, edits: readonly ManifestEdit[]): Promise<{ ok: true } | { ok: false; error: string }> {
    const file = entry.object.file;
    let text: string;
    let mode = 0o644;
    try {
      text = await readFile(file, 'utf8');
      mode = (await stat(file)).mode & 0o777;
    } catch (err) {
      return { ok: false, error: `cannot read ${file}: ${errorMessage(err)}` };
    }
    const out = rewriteDaemonSetManifest(text, { namespace: entry.object.key.namespace, name: entry.object.key.name }, edits);
    if (!out.ok) return out;
    if (out.changed) await this.#d.hostFs.writeFileAtomic(file, out.text, mode);
    if (!out.commentsPreserved) this.#log.warn({ file }, 'the manifest could not be edited in place; the DaemonSet document was re-serialised (comments in it are lost)');
    return { ok: true };
  }

  // --- the sync loop --------------------------------------------------------------------------

  #kick(key: string): void {
    if (this.#stopped) return;
    this.#dirty.add(key);
    if (this.#ready && !this.#running) void this.#drain();
  }

  #drain(): Promise<void> {
    if (this.#running) return this.#running;
    const run: Promise<void> = this.#loop().finally(() => {
      if (this.#running === run) this.#running = undefined;
      // Kicked while the loop was finishing.
      if (this.#dirty.size > 0 && this.#ready && !this.#stopped) void this.#drain();
    });
    this.#running = run;
    return run;
  }

  async #loop(): Promise<void> {
    while (this.#dirty.size > 0 && !this.#stopped) {
      const key = this.#dirty.values().next().value as string;
      this.#dirty.delete(key);
      const entry = this.#entries.get(key);
      if (!entry) continue;
      try {
        const again = await this.#sync(entry);
        if (entry.failure) this.#log.info({ daemonset: key, after: entry.failure.message }, 'daemonset sync recovered');
        entry.failure = undefined;
        if (again) this.#dirty.add(key);
      } catch (err) {
        this.#retryLater(entry, errorMessage(err));
      }
    }
  }

  async #state(entry: Entry): Promise<DaemonSetState> {
    if (!entry.state) {
      const ds = entry.object.object;
      entry.state = (await this.#d.store.load(entry.object.key.namespace, entry.object.key.name)) ?? newDaemonSetState(ds, this.#d.clock.now());
    }
    return entry.state;
  }

  /** Capped exponential back-off; one log line per distinct error, not one per retry. */
  #retryLater(entry: Entry, message: string): void {
    const failures = (entry.failure?.failures ?? 0) + 1;
    const retryMs = backoffDelay({ initialMs: SYNC_RETRY_INITIAL_MS, maxMs: SYNC_RETRY_MAX_MS }, failures);
    if (entry.failure?.message !== message) this.#log.error({ daemonset: entry.key, err: message, retryInMs: retryMs }, 'daemonset sync failed; retrying');
    entry.failure = { message, failures };
    this.#wake(entry, this.#d.clock.monotonic() + retryMs);
  }

  /** A pass of `entry` at monotonic time `at` (keeps the earliest). */
  #wake(entry: Entry, at: number): void {
    if (entry.wakeAt !== undefined && entry.wakeAt <= at && entry.timer) return;
    entry.timer?.cancel();
    entry.wakeAt = at;
    entry.timer = this.#d.clock.setTimeout(
      () => {
        entry.timer = undefined;
        entry.wakeAt = undefined;
        this.#kick(entry.key);
      },
      Math.max(0, at - this.#d.clock.monotonic()),
    );
  }

  /** One plan-and-act round; true when it acted (the caller plans again). */
  async #sync(entry: Entry): Promise<boolean> {
    // Deadlines (minReadySeconds, progress, failed-pod back-off) run on the monotonic clock so a
    // wall-clock step neither stalls nor skips them; wall time only for timestamps users see.
    const now = this.#d.clock.monotonic();
    const wallNow = this.#d.clock.now();
    const ds = entry.object.object;
    const dsName = ds.metadata?.name ?? '';
    const namespace = entry.object.key.namespace;
    const prev = await this.#state(entry);
    const generation = observeGeneration(prev.generation, ds);

    // Terminating pods are gone once Docker holds nothing of them.
    for (const [uid, rec] of entry.pods) {
      if (rec.terminating && !this.#d.host.observed(uid)) {
        entry.pods.delete(uid);
        this.#owners.delete(uid);
      }
    }
    const liveHashes = new Set([...entry.pods.values()].map((p) => p.desired.origin.kind === 'DaemonSet' ? p.desired.origin.templateHash : ''));
    const revisions = computeRevisions(ds, prev.revisions, liveHashes, { now: wallNow, collisionCount: prev.collisionCount, templateGeneration: generation.templateGeneration });
    const current = revisions.current;

    const eligibility = nodeShouldRunDaemonPod(this.#d.node.current(), ds);
    entry.eligibility = eligibility;
    const pods = this.#podStates(entry);
    const complete = rolloutComplete({ ds, pods, current, templateGeneration: generation.templateGeneration, now, eligibility });
    // The plan sees this pass's progress record: on the first pass of a new revision it already
    // starts the progress clock, so the auto-rollback deadline is armed at once, not at a later event.
    const progress = trackRolloutProgress(prev.progress, current.hash, { shouldRun: eligibility.shouldRun, complete }, now);
    const plan = planRollout({
      ds,
      dsUid: prev.uid,
      nodeName: this.#d.node.current().name,
      current: { revision: current.revision, hash: current.hash },
      templateGeneration: generation.templateGeneration,
      eligibility,
      pods,
      now,
      ...(prev.failedPodBackoff ? { failedPodBackoff: prev.failedPodBackoff } : {}),
      progress,
      history: revisions.history,
      minOrdinal: prev.nextPodOrdinal ?? 0,
    });
    // Ordinals of the pods this pass creates are used up before the pods exist (stored below), and
    // so are those of pods adopted from an agent that did not store them.
    const used = [...entry.pods.values()].map((p) => p.ordinal + 1);
    const created = plan.actions.flatMap((a) => (a.kind === 'createPod' ? [a.ordinal + 1] : []));
    const nextPodOrdinal = Math.max(prev.nextPodOrdinal ?? 0, ...used, ...created);
    const collisionCount = revisions.collisionCount ?? prev.collisionCount;
    const next: DaemonSetState = {
      ...prev,
      generation,
      observedGeneration: generation.generation,
      revisions: revisions.history,
      progress,
      ...(collisionCount !== undefined ? { collisionCount } : {}),
      ...(plan.failedPodBackoff ? { failedPodBackoff: plan.failedPodBackoff } : {}),
      ...(nextPodOrdinal > 0 ? { nextPodOrdinal } : {}),
    };
    // The revision is stored before any pod of it exists.
    if (JSON.stringify(next) !== JSON.stringify(prev)) await this.#d.store.save(next);
    entry.state = next;
    // Logged once stored: a save that fails (a full disk) leaves no line claiming a revision.
    if (revisions.created) this.#log.info({ daemonset: `${namespace}/${dsName}`, revision: current.revision, hash: current.hash }, 'new daemonset revision');
    else if (revisions.renumbered) this.#log.info({ daemonset: `${namespace}/${dsName}`, revision: current.revision, hash: current.hash }, 'daemonset template is an earlier revision again; renumbered');
    for (const p of revisions.pruned) this.#log.info({ daemonset: `${namespace}/${dsName}`, revision: p.revision }, 'pruned old daemonset revision');

    const involved: InvolvedObject = { kind: 'DaemonSet', namespace, name: dsName, uid: prev.uid };
    for (const w of plan.warnings) {
      if (entry.warned.has(w)) continue;
      entry.warned.add(w);
      this.#log.warn({ daemonset: `${namespace}/${dsName}` }, w);
      this.#d.events.record(involved, 'Warning', 'DaemonSetWarning', w);
    }
    for (const ev of plan.events) this.#d.events.record(involved, ev.type, ev.reason, ev.message);

    let acted = false;
    for (const a of plan.actions) {
      if (a.kind === 'createPod') {
        const desired = expandDaemonPod({ ds, dsUid: prev.uid, revision: current, node: this.#d.node.current(), file: entry.object.file, ordinal: a.ordinal, creationTimestamp: apiTime(wallNow) });
        entry.pods.set(desired.uid, { desired, createdAt: wallNow, ordinal: a.ordinal, terminating: false });
        this.#owners.set(desired.uid, entry.key);
        this.#d.host.setDesired(desired);
        this.#d.events.record(involved, 'Normal', 'SuccessfulCreate', `Created pod: ${desired.name}`);
        this.#log.info({ daemonset: `${namespace}/${dsName}`, pod: desired.name, revision: current.revision, surge: a.surge }, 'creating daemon pod');
        acted = true;
      } else if (a.kind === 'deletePod') {
        const rec = entry.pods.get(a.uid);
        if (!rec || rec.terminating) continue;
        rec.terminating = true;
        this.#d.host.removeDesired(a.uid);
        this.#d.events.record(involved, 'Normal', 'SuccessfulDelete', `Deleted pod: ${a.name}`);
        this.#log.info({ daemonset: `${namespace}/${dsName}`, pod: a.name, reason: a.reason }, `stopping daemon pod: ${a.message}`);
        acted = true;
      } else if (a.kind === 'wait') {
        this.#wake(entry, a.until);
      } else {
        const target = findRevision(revisions.history, a.toRevision);
        if (!target) continue;
        this.#log.warn({ daemonset: `${namespace}/${dsName}`, from: a.fromRevision, to: a.toRevision }, a.message);
        const result = await this.#rewrite(entry, [{ kind: 'replaceTemplate', template: target.template }]);
        if (!result.ok) this.#log.error({ daemonset: `${namespace}/${dsName}`, err: result.error }, 'auto-rollback could not rewrite the manifest');
        else this.#d.events.record(involved, 'Normal', 'RolledBack', `Rolled back to revision ${a.toRevision}`);
      }
    }

    const status = computeDaemonSetStatus({
      ds,
      eligibility,
      pods: acted ? this.#podStates(entry) : pods,
      currentHash: current.hash,
      templateGeneration: generation.templateGeneration,
      observedGeneration: generation.generation,
      ...(collisionCount !== undefined ? { collisionCount } : {}),
      now,
    });
    entry.view = this.#view(ds, next, generation, status);
    return acted;
  }

  #view(ds: DaemonSet, state: DaemonSetState, generation: ReturnType<typeof observeGeneration>, status: DaemonSetStatus): DaemonSet {
    const withGen = withGeneration(ds, generation);
    return {
      ...withGen,
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { ...withGen.metadata, namespace: state.namespace, uid: state.uid, creationTimestamp: state.createdAt },
      status,
    };
  }

  #podStates(entry: Entry): DaemonPodState[] {
    const out: DaemonPodState[] = [];
    for (const [uid, rec] of entry.pods) {
      const labels = rec.desired.pod.metadata?.labels ?? {};
      const view = rec.terminating ? undefined : this.#d.host.podView(uid);
      const ready = view?.status?.conditions?.find((c) => c.type === 'Ready');
      const readySince = ready?.status === 'True' && ready.lastTransitionTime ? this.#readySince(rec, ready.lastTransitionTime) : undefined;
      const phase = (view?.status?.phase ?? 'Pending') as DaemonPodState['phase'];
      out.push({
        uid,
        name: rec.desired.name,
        namespace: rec.desired.namespace,
        ...(labels[REVISION_HASH_LABEL] ? { hash: labels[REVISION_HASH_LABEL] } : {}),
        ...(labels[TEMPLATE_GENERATION_LABEL] ? { templateGeneration: labels[TEMPLATE_GENERATION_LABEL] } : {}),
        createdAt: rec.createdAt,
        phase: rec.terminating ? 'Running' : phase,
        ready: !rec.terminating && ready?.status === 'True',
        ...(readySince !== undefined && Number.isFinite(readySince) ? { readySince } : {}),
        terminating: rec.terminating,
      });
    }
    return out;
  }

  /**
   * The condition's wall time on the monotonic clock the rollout plans with, converted once per
   * transition (wallToMonotonic clamps it to "now"): minReadySeconds then counts from it even
   * if the wall clock is stepped back meanwhile.
   */
  #readySince(rec: DaemonPodRecord, transition: string): number | undefined {
    if (rec.readySince?.transition === transition) return rec.readySince.monotonic;
    const wall = Date.parse(transition);
    if (!Number.isFinite(wall)) return undefined;
    rec.readySince = { transition, monotonic: wallToMonotonic(this.#d.clock, wall) };
    return rec.readySince.monotonic;
  }
}

function isReady(pod: Pod | undefined): boolean {
  return pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}
