// The pod status kubelet would report, computed from what Docker holds. Pure: the same
// inputs give the same status. Follows k/k pkg/kubelet/kubelet_pods.go (generateAPIPodStatus,
// convertToAPIContainerStatuses, getPhase), pkg/kubelet/status/generate.go (conditions),
// pkg/kubelet/prober/prober_manager.go (started/ready) and cri-dockerd's container_status.go
// (terminated reasons, image IDs). Timestamps are written as the API writes metav1.Time:
// RFC 3339, UTC, whole seconds.
import type { Container, ContainerStateTerminated, ContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import { apiTime } from '../core/time-format.js';
import type { DesiredPod } from '../core/types.js';
import { newestInstanceFirst, type ObservedContainer, type ObservedPod } from '../core/runtime-types.js';
import { isSidecar, shouldContainerBeRestarted } from '../core/containers.js';
import { podQosClass } from './qos.js';

export interface StatusInput {
  readonly desired: DesiredPod;
  readonly observed?: ObservedPod;
  readonly now: number;
  /**
   * Why a container is not running right now, from the last sync (kubelet's reason cache):
   * CrashLoopBackOff / ErrImagePull / ImagePullBackOff / ErrImageNeverPull /
   * CreateContainerConfigError / RunContainerError, with message.
   */
  readonly waiting: ReadonlyMap<string, { reason: string; message: string }>;
  /** Probe state per container name (absent → no probe: started = running, ready = running). */
  readonly probes: ReadonlyMap<string, { started?: boolean; ready?: boolean }>;
  readonly hostIPs: readonly string[];
  /** Pod IPs for non-hostNetwork pods ([] when the pod network is none). */
  readonly podIPs: readonly string[];
  /** Previous status, to keep lastTransitionTime of unchanged conditions and never leave a terminal phase. */
  readonly previous?: PodStatus;
  /** Termination messages read by the agent, keyed by container id. */
  readonly terminationMessages?: ReadonlyMap<string, string>;
}

// Container state reasons kubelet writes itself (kubelet_pods.go, kubecontainer).
const POD_INITIALIZING = 'PodInitializing';
const CONTAINER_CREATING = 'ContainerCreating';
const CONTAINER_STATUS_UNKNOWN = 'ContainerStatusUnknown';

// Condition reasons (pkg/kubelet/status/generate.go).
const UNKNOWN_CONTAINER_STATUSES = 'UnknownContainerStatuses';
const POD_COMPLETED = 'PodCompleted';
const POD_FAILED = 'PodFailed';
const CONTAINERS_NOT_READY = 'ContainersNotReady';
const CONTAINERS_NOT_INITIALIZED = 'ContainersNotInitialized';
const READINESS_GATES_NOT_READY = 'ReadinessGatesNotReady';

/** Condition types the kubelet owns and regenerates on every sync (kubetypes.PodConditionByKubelet). */
const KUBELET_CONDITIONS: ReadonlySet<string> = new Set(['PodScheduled', 'Ready', 'Initialized', 'ContainersReady', 'PodReadyToStartContainers']);

type Phase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/** The status kubelet would compute for `desired`, given what Docker holds. */
export function generatePodStatus(input: StatusInput): PodStatus {
  const pod = input.desired.pod;
  const spec = pod.spec ?? { containers: [] };
  const runtime = indexRuntime(input.observed);
  const ctx: BuildContext = { input, pod, runtime, hasInitContainers: (spec.initContainers ?? []).length > 0 };

  const initStatuses = buildStatuses(spec.initContainers ?? [], true, ctx);
  const appStatuses = buildStatuses(spec.containers, false, ctx);
  const all = [...appStatuses, ...initStatuses];

  const previous = input.previous;
  let phase = getPhase(pod, all, runtime.appCreatedInCurrentSandbox);
  // Pods never leave a terminal phase (the three-way merge in generateAPIPodStatus).
  if (phase !== 'Failed' && phase !== 'Succeeded' && (previous?.phase === 'Failed' || previous?.phase === 'Succeeded')) {
    phase = previous.phase;
  }

  const statusesForConditions = [...initStatuses, ...appStatuses];
  const conditions = withTransitionTimes(
    [
      ...(pod.status?.conditions ?? []).filter((c) => !KUBELET_CONDITIONS.has(c.type)),
      ...(previous?.conditions ?? []).filter((c) => c.type === 'DisruptionTarget'),
      readyToStartContainersCondition(runtime),
      initializedCondition(pod, statusesForConditions, phase),
      readyCondition(pod, statusesForConditions, phase),
      containersReadyCondition(pod, statusesForConditions, phase),
      { type: 'PodScheduled', status: 'True' },
    ],
    previous,
    input.now,
  );

  const status: PodStatus = { phase, conditions };
  if (previous && previous.phase === phase) {
    // The reason and message belong to the phase: kept while it does not change.
    if (previous.message) status.message = previous.message;
    if (previous.reason) status.reason = previous.reason;
  }
  const hostIPs = input.hostIPs.slice(0, 2);
  if (hostIPs[0] !== undefined) {
    status.hostIP = hostIPs[0];
    status.hostIPs = hostIPs.map((ip) => ({ ip }));
  }
  const podIPs = (spec.hostNetwork ? hostIPs : input.podIPs).slice(0, 2);
  if (podIPs[0] !== undefined) {
    status.podIP = podIPs[0];
    status.podIPs = podIPs.map((ip) => ({ ip }));
  }
  status.startTime = previous?.startTime ?? apiTime(runtime.firstSandboxCreatedAt ?? input.now);
  if (initStatuses.length > 0) status.initContainerStatuses = initStatuses;
  if (appStatuses.length > 0) status.containerStatuses = appStatuses;
  status.qosClass = podQosClass(spec);
  return status;
}

/**
 * `desired.pod` with its status. A static pod has no API server to stamp
 * metadata.creationTimestamp; the time kubelet first saw it (kubernetes.io/config.seen) stands in.
 */
export function podWithStatus(input: StatusInput): Pod {
  return withPodStatus(input.desired.pod, generatePodStatus(input));
}

/** `pod` with `status` (a stored one, or one just generated) and a creationTimestamp. */
export function withPodStatus(pod: Pod, status: PodStatus): Pod {
  const metadata = { ...(pod.metadata ?? {}) };
  if (!metadata.creationTimestamp) {
    const seen = Date.parse(metadata.annotations?.['kubernetes.io/config.seen'] ?? '');
    const at = Number.isNaN(seen) ? status.startTime : apiTime(seen);
    if (at) metadata.creationTimestamp = at;
  }
  return { ...pod, metadata, status };
}

/** metav1.Time as JSON: RFC 3339 in UTC, truncated to the second. */
// ---------------------------------------------------------------------------------------------
// What Docker holds, arranged the way the status needs it.

interface Instances {
  /** Instances in the newest sandbox, newest first: they give the state. */
  readonly current: readonly ObservedContainer[];
  /** Instances of earlier sandboxes, newest first: they can only give lastState. */
  readonly older: readonly ObservedContainer[];
}

interface RuntimeIndex {
  readonly sandbox?: ObservedContainer;
  readonly firstSandboxCreatedAt?: number;
  readonly byName: ReadonlyMap<string, Instances>;
  /** A regular container exists in the newest sandbox (HasAnyActiveRegularContainerStarted). */
  readonly appCreatedInCurrentSandbox: boolean;
}

function indexRuntime(observed: ObservedPod | undefined): RuntimeIndex {
  const sandboxes = [...(observed?.sandboxes ?? [])].sort(newestInstanceFirst);
  const sandbox = sandboxes[0];
  const firstSandboxCreatedAt = sandboxes.length > 0 ? Math.min(...sandboxes.map((s) => s.createdAt)) : undefined;
  const containers = [...(observed?.containers ?? [])].filter((c) => c.role !== 'sandbox').sort(newestInstanceFirst);
  const byName = new Map<string, { current: ObservedContainer[]; older: ObservedContainer[] }>();
  let appCreatedInCurrentSandbox = false;
  for (const c of containers) {
    const entry = byName.get(c.name) ?? { current: [], older: [] };
    byName.set(c.name, entry);
    const inCurrent = sandbox !== undefined && sameId(c.sandboxId, sandbox.id);
    (inCurrent ? entry.current : entry.older).push(c);
    if (inCurrent && c.role === 'app') appCreatedInCurrentSandbox = true;
  }
  return {
    ...(sandbox ? { sandbox } : {}),
    ...(firstSandboxCreatedAt !== undefined ? { firstSandboxCreatedAt } : {}),
    byName,
    appCreatedInCurrentSandbox,
  };
}

/** Docker IDs may be stored full or abbreviated (12+ hex digits). */
function sameId(a: string, b: string): boolean {
  if (!a || !b) return false;
  if (a === b) return true;
  return Math.min(a.length, b.length) >= 12 && (a.startsWith(b) || b.startsWith(a));
}

// ---------------------------------------------------------------------------------------------
// Container statuses (convertToAPIContainerStatuses).

interface BuildContext {
  readonly input: StatusInput;
  readonly pod: Pod;
  readonly runtime: RuntimeIndex;
  readonly hasInitContainers: boolean;
}

function buildStatuses(containers: readonly Container[], isInit: boolean, ctx: BuildContext): ContainerStatus[] {
  const { input, pod, runtime } = ctx;
  const previousList = (isInit ? input.previous?.initContainerStatuses : input.previous?.containerStatuses) ?? [];
  const previous = new Map(previousList.map((s) => [s.name, s]));
  const defaultReason = ctx.hasInitContainers ? POD_INITIALIZING : CONTAINER_CREATING;
  const deleting = Boolean(pod.metadata?.deletionTimestamp);
  const statuses = new Map<string, ContainerStatus>();

  for (const c of containers) {
    const instances = instancesOf(runtime, c.name, isInit);
    const old = previous.get(c.name);
    let status: ContainerStatus = { name: c.name, state: { waiting: { reason: defaultReason } }, lastState: {}, ready: false, restartCount: 0, image: c.image ?? '', imageID: '' };
    if (old) {
      if (old.state?.terminated) status = structuredClone(old);
      else status = { ...status, restartCount: old.restartCount, lastState: structuredClone(old.lastState ?? {}) };
    }

    const newest = instances.current[0];
    if (newest) {
      status = convertInstance(newest, c, old, input.terminationMessages);
      const second = instances.current[1] ?? instances.older[0];
      if (second) status.lastState = convertInstance(second, c, old, input.terminationMessages).state ?? {};
    } else if (instances.older[0]) {
      // The sandbox was replaced and this container has not been created in the new one yet.
      const last = instances.older[0];
      status = { ...status, state: { waiting: { reason: defaultReason } }, lastState: convertInstance(last, c, old, input.terminationMessages).state ?? {}, restartCount: last.restartCount };
    } else if (old?.state?.running && status.state?.waiting?.reason === defaultReason && !status.lastState?.terminated) {
      // It was running and Docker no longer has it: it terminated, we do not know how.
      status.lastState = { terminated: { exitCode: 137, reason: CONTAINER_STATUS_UNKNOWN, message: 'The container could not be located when the pod was deleted.  The container used to be Running' } };
      if (!deleting) status.restartCount += 1;
    }

    if (isInit && !newest && instances.older.length === 0 && runtime.appCreatedInCurrentSandbox && !isSidecar(c) && status.state?.waiting) {
      // Its container was removed after the pod got past initialization.
      status.state = {
        terminated: { exitCode: 0, reason: 'Completed', message: 'Unable to get init container status from container runtime and pod has been initialized, treat it as exited normally' },
      };
    } else {
      applyReasonCache(status, c, newest, isInit, ctx);
    }
    applyProbes(status, c, isInit, input.probes);
    statuses.set(c.name, ordered(status));
  }

  const list = containers.map((c) => statuses.get(c.name)).filter((s): s is ContainerStatus => s !== undefined);
  return isInit ? list : list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function instancesOf(runtime: RuntimeIndex, name: string, isInit: boolean): Instances {
  const entry = runtime.byName.get(name);
  const fits = (c: ObservedContainer): boolean => (isInit ? c.role === 'init' || c.role === 'sidecar' : c.role === 'app');
  return { current: (entry?.current ?? []).filter(fits), older: (entry?.older ?? []).filter(fits) };
}

/** A container that will be (re)started shows why it is not running yet, when the last sync said. */
function applyReasonCache(status: ContainerStatus, c: Container, newest: ObservedContainer | undefined, isInit: boolean, ctx: BuildContext): void {
  if (isInit && newest?.state === 'exited' && newest.exitCode === 0 && newest.finishedAt !== undefined) return;
  if (ctx.pod.metadata?.deletionTimestamp || !shouldContainerBeRestarted(c, ctx.pod.spec?.restartPolicy, newest)) return;
  const cached = ctx.input.waiting.get(c.name);
  if (!cached) return;
  if (status.state?.terminated) status.lastState = status.state;
  status.state = { waiting: { reason: cached.reason, message: cached.message } };
}


/** One Docker instance as a container status (convertContainerStatus + cri-dockerd ContainerStatus). */
function convertInstance(
  oc: ObservedContainer,
  c: Container,
  old: ContainerStatus | undefined,
  terminationMessages: ReadonlyMap<string, string> | undefined,
): ContainerStatus {
  const containerID = `docker://${oc.id}`;
  const status: ContainerStatus = {
    name: c.name,
    state: {},
    lastState: {},
    ready: false,
    restartCount: oc.restartCount,
    image: c.image ?? oc.image,
    imageID: imageID(oc.imageId),
    containerID,
  };
  switch (oc.state) {
    case 'running':
      status.state = { running: { startedAt: apiTime(oc.startedAt ?? oc.createdAt) } };
      break;
    case 'created':
      status.state = { waiting: {} };
      break;
    case 'exited': {
      const terminated = terminatedState(oc, containerID, terminationMessages?.get(oc.id));
      status.state = terminated ? { terminated } : { waiting: {} };
      break;
    }
    case 'unknown':
      if (old?.state?.running) {
        // It was running; Docker cannot tell what happened to it.
        status.state = { terminated: { exitCode: 137, reason: CONTAINER_STATUS_UNKNOWN, message: 'The container could not be located when the pod was terminated' } };
        status.restartCount = old.restartCount + 1;
      } else {
        status.state = { waiting: {} };
      }
      break;
  }
  return status;
}

/**
 * cri-dockerd: a container that ran has a FinishedAt (OOMKilled / Completed / Error); one whose
 * start failed has none but an exit code (ContainerCannotRun, started = finished = created);
 * neither means it was only created. The termination message follows Docker's error after ": ".
 */
function terminatedState(oc: ObservedContainer, containerID: string, terminationMessage: string | undefined): ContainerStateTerminated | undefined {
  const exitCode = oc.exitCode ?? 0;
  const ran = oc.finishedAt !== undefined;
  if (!ran && exitCode === 0) return undefined;
  const reason = !ran ? 'ContainerCannotRun' : oc.oomKilled ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error';
  const message = [oc.error ?? '', terminationMessage ?? ''].filter((s) => s !== '').join(': ');
  const startedAt = ran ? oc.startedAt : oc.createdAt;
  const finishedAt = ran ? oc.finishedAt : oc.createdAt;
  return {
    exitCode,
    reason,
    ...(message ? { message } : {}),
    ...(startedAt !== undefined ? { startedAt: apiTime(startedAt) } : {}),
    ...(finishedAt !== undefined ? { finishedAt: apiTime(finishedAt) } : {}),
    containerID,
  };
}

/** cri-dockerd's toPullableImageID: `docker-pullable://<repo digest>`, else `docker://<image id>`. */
function imageID(imageId: string | undefined): string {
  if (!imageId) return '';
  if (imageId.startsWith('docker://') || imageId.startsWith('docker-pullable://')) return imageId;
  return imageId.includes('@') ? `docker-pullable://${imageId}` : `docker://${imageId}`;
}

/**
 * prober_manager UpdatePodStatus: started once running and the startup probe (if any) passed;
 * ready when started, running and the readiness probe (if any) passed. A regular init
 * container is ready when it exited 0.
 */
function applyProbes(status: ContainerStatus, c: Container, isInit: boolean, probes: StatusInput['probes']): void {
  const probe = probes.get(c.name);
  const running = status.state?.running !== undefined;
  const started = running && (probe?.started ?? !c.startupProbe);
  status.started = started;
  if (isInit && !isSidecar(c)) {
    if (status.state?.terminated?.exitCode === 0) status.ready = true;
    return;
  }
  if (!started) return;
  status.ready = running && (probe?.ready ?? !c.readinessProbe);
}

/** Field order as the API serializes a ContainerStatus. */
function ordered(s: ContainerStatus): ContainerStatus {
  return {
    name: s.name,
    state: s.state ?? {},
    lastState: s.lastState ?? {},
    ready: s.ready,
    restartCount: s.restartCount,
    image: s.image,
    imageID: s.imageID,
    ...(s.containerID ? { containerID: s.containerID } : {}),
    ...(s.started !== undefined ? { started: s.started } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Phase (getPhase, without the alpha ContainerRestartRules gate).

function getPhase(pod: Pod, statuses: readonly ContainerStatus[], podHasInitialized: boolean): Phase {
  const spec = pod.spec ?? { containers: [] };
  const byName = new Map(statuses.map((s) => [s.name, s]));
  let pendingRestartableInit = 0;
  let pendingRegularInit = 0;
  let failedInitialization = 0;

  for (const c of spec.initContainers ?? []) {
    if (isSidecar(c)) continue;
    const state = byName.get(c.name)?.state;
    const last = byName.get(c.name)?.lastState;
    if (!state) pendingRegularInit++;
    else if (state.running) pendingRegularInit++;
    else if (state.terminated) {
      if (state.terminated.exitCode !== 0) failedInitialization++;
    } else if (state.waiting) {
      if (last?.terminated) {
        if (last.terminated.exitCode !== 0) failedInitialization++;
      } else pendingRegularInit++;
    } else pendingRegularInit++;
  }

  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;

  for (const c of spec.initContainers ?? []) {
    if (!isSidecar(c)) continue;
    const status = byName.get(c.name);
    const state = status?.state;
    if (!status) unknown++;
    else if (state?.running) {
      if (status.started !== true) pendingRestartableInit++;
      running++;
    } else if (state?.terminated) {
      // Terminated sidecars do not decide the phase.
    } else if (state?.waiting) {
      if (!status.lastState?.terminated) {
        pendingRestartableInit++;
        waiting++;
      }
    } else {
      pendingRestartableInit++;
      unknown++;
    }
  }

  for (const c of spec.containers) {
    const status = byName.get(c.name);
    const state = status?.state;
    if (!status) unknown++;
    else if (state?.running) running++;
    else if (state?.terminated) {
      stopped++;
      if (state.terminated.exitCode === 0) succeeded++;
    } else if (state?.waiting) {
      if (status.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }

  const restartPolicy = spec.restartPolicy ?? 'Always';
  if (failedInitialization > 0 && restartPolicy === 'Never') return 'Failed';
  if (pendingRegularInit > 0 || (pendingRestartableInit > 0 && !podHasInitialized) || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    // A static pod never gets the terminal phase of a torn-down pod (k/k #116484).
    if (restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

// ---------------------------------------------------------------------------------------------
// Conditions (pkg/kubelet/status/generate.go).

/** True when no new sandbox is needed: the newest sandbox exists and runs. */
function readyToStartContainersCondition(runtime: RuntimeIndex): PodCondition {
  return { type: 'PodReadyToStartContainers', status: runtime.sandbox?.state === 'running' ? 'True' : 'False' };
}

function initializedCondition(pod: Pod, statuses: readonly ContainerStatus[], phase: Phase): PodCondition {
  const spec = pod.spec ?? { containers: [] };
  const inits = spec.initContainers ?? [];
  if (statuses.length === 0 && inits.length > 0) return { type: 'Initialized', status: 'False', reason: UNKNOWN_CONTAINER_STATUSES };
  const byName = new Map(statuses.map((s) => [s.name, s]));
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const c of inits) {
    const s = byName.get(c.name);
    if (!s) unknown.push(c.name);
    else if (isSidecar(c) ? s.started !== true : !s.ready) incomplete.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) return { type: 'Initialized', status: 'True', reason: POD_COMPLETED };
  if (hasAnyRegularContainerStarted(pod, statuses)) return { type: 'Initialized', status: 'True' };
  const messages: string[] = [];
  if (unknown.length > 0) messages.push(`containers with unknown status: ${goList(unknown)}`);
  if (incomplete.length > 0) messages.push(`containers with incomplete status: ${goList(incomplete)}`);
  if (messages.length > 0) return { type: 'Initialized', status: 'False', reason: CONTAINERS_NOT_INITIALIZED, message: messages.join(', ') };
  return { type: 'Initialized', status: 'True' };
}

function hasAnyRegularContainerStarted(pod: Pod, statuses: readonly ContainerStatus[]): boolean {
  const names = new Set((pod.spec?.containers ?? []).map((c) => c.name));
  return statuses.some((s) => names.has(s.name) && (s.state?.running !== undefined || s.state?.terminated !== undefined));
}

function containersReadyCondition(pod: Pod, statuses: readonly ContainerStatus[], phase: Phase): PodCondition {
  if (statuses.length === 0) return { type: 'ContainersReady', status: 'False', reason: UNKNOWN_CONTAINER_STATUSES };
  const spec = pod.spec ?? { containers: [] };
  const byName = new Map(statuses.map((s) => [s.name, s]));
  const unknown: string[] = [];
  const unready: string[] = [];
  const considered = [...(spec.initContainers ?? []).filter(isSidecar), ...spec.containers];
  for (const c of considered) {
    const s = byName.get(c.name);
    if (!s) unknown.push(c.name);
    else if (!s.ready) unready.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) return { type: 'ContainersReady', status: 'False', reason: POD_COMPLETED };
  if (phase === 'Failed') return { type: 'ContainersReady', status: 'False', reason: POD_FAILED };
  const messages: string[] = [];
  if (unknown.length > 0) messages.push(`containers with unknown status: ${goList(unknown)}`);
  if (unready.length > 0) messages.push(`containers with unready status: ${goList(unready)}`);
  if (messages.length > 0) return { type: 'ContainersReady', status: 'False', reason: CONTAINERS_NOT_READY, message: messages.join(', ') };
  return { type: 'ContainersReady', status: 'True' };
}

function readyCondition(pod: Pod, statuses: readonly ContainerStatus[], phase: Phase): PodCondition {
  const containersReady = containersReadyCondition(pod, statuses, phase);
  if (containersReady.status !== 'True') {
    return {
      type: 'Ready',
      status: containersReady.status,
      ...(containersReady.reason ? { reason: containersReady.reason } : {}),
      ...(containersReady.message ? { message: containersReady.message } : {}),
    };
  }
  const conditions = pod.status?.conditions ?? [];
  const messages: string[] = [];
  for (const gate of pod.spec?.readinessGates ?? []) {
    const c = conditions.find((x) => x.type === gate.conditionType);
    if (!c) messages.push(`corresponding condition of pod readiness gate ${JSON.stringify(gate.conditionType)} does not exist.`);
    else if (c.status !== 'True') messages.push(`the status of pod readiness gate ${JSON.stringify(gate.conditionType)} is not "True", but ${c.status}`);
  }
  if (messages.length > 0) return { type: 'Ready', status: 'False', reason: READINESS_GATES_NOT_READY, message: messages.join(', ') };
  return { type: 'Ready', status: 'True' };
}

/** The status manager keeps lastTransitionTime while a condition's status does not change. */
function withTransitionTimes(conditions: readonly PodCondition[], previous: PodStatus | undefined, now: number): PodCondition[] {
  return conditions.map((c) => {
    if (!KUBELET_CONDITIONS.has(c.type)) return c;
    const old = previous?.conditions?.find((p) => p.type === c.type);
    const lastTransitionTime = old && old.status === c.status && old.lastTransitionTime ? old.lastTransitionTime : apiTime(now);
    return {
      type: c.type,
      status: c.status,
      lastTransitionTime,
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.message ? { message: c.message } : {}),
    };
  });
}

/** Go's %s of a []string: `[a b c]`. */
function goList(names: readonly string[]): string {
  return `[${names.join(' ')}]`;
}
