// Carries out a PodPlan through the runtime and host-filesystem ports. Each action is one
// step of kubelet's SyncPod; the first failure that blocks the rest (a volume that cannot be
// set up) ends the pass, while a container that fails to start is recorded so the planner
// backs it off and the other containers still start. Lifecycle hooks run here as in kubelet's
// kuberuntime_container.go: postStart right after a start (blocking the next start; a failure
// kills the container, PostStartHookError), preStop before every stop, within the grace period.
import type { Container } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../log/logger.js';
import type { DesiredPod } from '../core/types.js';
import { newestInstanceFirst, type ContainerSpec, type KillReason, type MountSpec, type ObservedContainer, type ObservedPod, type PodAction, type PodPlan } from '../core/runtime-types.js';
import { dirname } from 'node:path';
import type { PodRuntime } from '../runtime/pod-runtime.js';
import type { HostFs } from '../host/host-fs.js';
import type { SubPather } from '../host/subpath.js';
import type { PodLogsPort } from '../podlogs/pod-logs.js';
import { subPathFailureMessage } from '../translate/subpath.js';
import { involvedPod, type EventStore, type InvolvedObject } from '../events/event-store.js';
import { LABELS } from '../core/labels.js';
import { errorMessage } from '../core/errors.js';
import { stopTimeoutSeconds, toContainerSpec } from '../translate/container-spec.js';
import { toSandboxSpec } from '../translate/sandbox-spec.js';
import type { PodCgroupsPort } from '../qos/cgroups.js';
import type { TranslateContext } from '../translate/context.js';
import { SANDBOX_STOP_TIMEOUT_SECONDS } from '../translate/sandbox-spec.js';
import { planVolumes, podDir, podsBase, TERMINATION_LOG_MODE } from '../translate/volumes.js';
import { containerSpecHash } from '../translate/spec-hash.js';
import { systemClock, type Clock } from '../core/clock.js';
import { MINIMUM_GRACE_PERIOD_SECONDS, preStopFromLabels } from '../core/termination.js';
import { runLifecycleHandler, runPreStopHook, type HookDeps, type HookTarget } from '../lifecycle/hooks.js';
import { defaultPodHost, formatPod } from '../probe/target.js';
import { podIPsOf, sandboxNeedsIP } from '../core/pod-ips.js';
import { isImagePullFailure } from './plan.js';
import { pulledMessage } from '../images/pull-messages.js';

export interface ExecuteDeps {
  readonly runtime: PodRuntime;
  readonly hostFs: HostFs;
  /** Binds subPath mounts safely before each container start (host/subpath.ts). */
  readonly subPaths: SubPather;
  readonly translate: TranslateContext;
  readonly events: EventStore;
  readonly logger: Logger;
  /** Monotonic milliseconds (clock.monotonic()): start-failure times and hook durations only. */
  readonly now: () => number;
  /** Sleeps of `sleep` lifecycle hooks; the system clock when not given. */
  readonly clock?: Pick<Clock, 'sleep'>;
  /** The pod's IPs when known, for httpGet hooks without a host (hostNetwork pods use the node's). */
  readonly podIPs?: (podUid: string) => readonly string[];
  /**
   * Cancels the pass (a newer spec, or the pod is terminating): no further action starts, and
   * waits (image pulls, postStart hooks) stop. A Docker call already sent may finish, and a kill
   * under way completes: its preStop hook is bounded by the grace period, not by this signal.
   */
  readonly signal?: AbortSignal;
  /** The pod's earlier failed starts: a back-off after a failed pull says so, not "restarting failed container". */
  readonly startFailures?: ReadonlyMap<string, { readonly reason: string }>;
  /** The pod's log directory goes with its last cleanup, as the kubelet's log GC removes it. */
  readonly podLogs?: Pick<PodLogsPort, 'removePod'>;
  /** The pod's QoS cgroup (qos/cgroups.ts): made before the sandbox and each container, removed with the pod. */
  readonly podCgroups?: PodCgroupsPort;
}

export interface StartFailure {
  readonly reason: string;
  readonly message: string;
  /** ExecuteDeps.now() of the failure: the start of its back-off window. */
  readonly at: number;
}

export interface ExecuteResult {
  /** Containers started in this pass, with the exited instance they replace (if any). */
  readonly started: readonly { readonly container: string; readonly specHash: string; readonly replaced?: ObservedContainer }[];
  readonly startFailures: ReadonlyMap<string, StartFailure>;
  /** A failure that stopped the pass (e.g. FailedMount); the worker retries later. */
  readonly blocked?: { readonly reason: string; readonly message: string };
  /** deps.signal aborted: the remaining actions were not carried out. */
  readonly aborted?: boolean;
}

/**
 * kubelet's BackOff event, recorded on every pass that leaves the container waiting. After a
 * failed pull it is EnsureImageExists' (Normal `Back-off pulling image "x"`, then the start's
 * Warning `Error: ImagePullBackOff`), else the crash loop's.
 */
export function recordBackOff(events: EventStore, pod: { namespace: string; name: string; uid: string }, container: string, failure?: { reason: string; image: string }): void {
  if (failure && isImagePullFailure(failure.reason)) {
    events.record(involvedPod(pod, container), 'Normal', 'BackOff', `Back-off pulling image ${JSON.stringify(failure.image)}`);
    events.record(involvedPod(pod, container), 'Warning', 'Failed', 'Error: ImagePullBackOff');
    return;
  }
  events.record(involvedPod(pod, container), 'Warning', 'BackOff', `Back-off restarting failed container ${container} in pod ${formatPod(pod)}`);
}

/**
 * Start failures whose reason status keeps while the retry waits (kubelet reports what
 * EnsureImageExists returned: nothing ran, so it is no CrashLoopBackOff and no BackOff event).
 */
export function isImageSpecFailure(reason: string | undefined): boolean {
  return reason === 'InvalidImageName' || reason === 'ErrImageNeverPull';
}

/** The init or app container `name` of the pod's spec. */
export function findContainer(desired: DesiredPod | undefined, name: string): Container | undefined {
  const spec = desired?.pod.spec;
  return spec?.initContainers?.find((c) => c.name === name) ?? spec?.containers.find((c) => c.name === name);
}

function latestInstance(observed: ObservedPod | undefined, name: string): ObservedContainer | undefined {
  return observed?.containers.filter((c) => c.name === name).sort(newestInstanceFirst)[0];
}

function isLive(c: ObservedContainer): boolean {
  return c.state === 'running' || c.state === 'created' || c.state === 'unknown';
}

export async function executePlan(desired: DesiredPod | undefined, observed: ObservedPod | undefined, plan: PodPlan, deps: ExecuteDeps): Promise<ExecuteResult> {
  const started: { container: string; specHash: string; replaced?: ObservedContainer }[] = [];
  const startFailures = new Map<string, StartFailure>();
  const podRef = desired ?? (observed ? { uid: observed.uid, name: observed.name, namespace: observed.namespace } : undefined);
  if (!podRef) return { started, startFailures };
  const log = deps.logger.child({ pod: `${podRef.namespace}/${podRef.name}`, uid: podRef.uid });
  const involved = (container?: string, role?: string): InvolvedObject => involvedPod(podRef, container, role);
  let sandboxId = observed?.sandboxes.filter((s) => s.state === 'running').sort(newestInstanceFirst)[0]?.id;
  // The pod's IPs as this pass goes: the running sandbox's, none after a kill, the new one's
  // after createSandbox. App containers' env (POD_IP) and hooks without a host read them.
  let podIPs = podIPsOf(observed);
  const withIPs = (): ExecuteDeps => ({ ...deps, translate: { ...deps.translate, podIPs }, podIPs: () => podIPs });
  // The kubelet's EnsureExists of the pod cgroup: once per pass, before anything is created.
  let cgroupParent: Promise<string | undefined> | undefined;
  const podCgroup = (pod: DesiredPod): Promise<string | undefined> => (cgroupParent ??= deps.podCgroups?.ensurePod(pod.pod, pod.uid) ?? Promise.resolve(undefined));

  for (const action of plan.actions) {
    if (deps.signal?.aborted) {
      log.info({ reason: errorMessage(deps.signal.reason) }, 'pod sync cancelled');
      return { started, startFailures, aborted: true };
    }
    switch (action.type) {
      case 'killPod':
        await killPod(desired, observed, action, withIPs(), log, involved);
        if (action.reason !== 'PodCompleted' && action.reason !== 'PodFailed') {
          sandboxId = undefined;
          podIPs = [];
        }
        break;
      case 'prepareVolumes': {
        if (!desired) break;
        const blocked = await prepareVolumes(desired, deps);
        if (blocked) {
          deps.events.record(involved(), 'Warning', 'FailedMount', blocked.message);
          log.warn({ reason: 'FailedMount', err: blocked.message }, 'volume setup failed');
          return { started, startFailures, blocked };
        }
        break;
      }
      case 'createSandbox': {
        if (!desired) break;
        try {
          await deps.runtime.ensureImage(deps.translate.podInfraImage, 'IfNotPresent');
          const parent = await podCgroup(desired);
          const sandbox = { ...toSandboxSpec(desired, action.attempt, deps.translate), ...(parent !== undefined ? { cgroupParent: parent } : {}) };
          const id = await deps.runtime.runContainer(sandbox, {});
          podIPs = await sandboxIPs(id, sandbox, desired, deps);
          sandboxId = id;
          log.info({ sandbox: id.slice(0, 12), attempt: action.attempt, podIPs }, 'sandbox started');
        } catch (err) {
          const message = `Failed to create pod sandbox: ${errorMessage(err)}`;
          deps.events.record(involved(), 'Warning', 'FailedCreatePodSandBox', message);
          log.warn({ err: errorMessage(err) }, 'sandbox creation failed');
          return { started, startFailures, blocked: { reason: 'CreatePodSandboxError', message } };
        }
        break;
      }
      case 'startContainer': {
        if (!desired) break;
        const container = findContainer(desired, action.container);
        if (!container) break;
        if (!sandboxId) {
          startFailures.set(action.container, { reason: 'CreateContainerError', message: 'pod sandbox is not running', at: deps.now() });
          break;
        }
        const parent = await podCgroup(desired);
        const failure = await startContainer(desired, container, action, sandboxId, withIPs(), log, involved, parent);
        if (failure === 'aborted') continue;
        if (failure) startFailures.set(action.container, failure);
        else started.push({ container: action.container, specHash: containerSpecHash(container), replaced: latestInstance(observed, action.container) });
        break;
      }
      case 'killContainer': {
        const c = observed?.containers.find((x) => x.id === action.containerId);
        const explained = action.reason === 'SpecChanged' || action.reason === 'LivenessProbe' || action.reason === 'StartupProbe';
        deps.events.record(involved(action.container, c?.role), 'Normal', 'Killing', explained ? action.message : `Stopping container ${action.container}`);
        const instance = c ?? { id: action.containerId, name: action.container, role: 'app' as const, state: 'unknown' as const, labels: {} };
        const spec = findContainer(desired, action.container);
        await stopWithPreStop(podRef, desired, instance, action.graceSeconds, configuredGrace(desired, spec, action.reason), withIPs(), log, involved);
        log.info({ container: action.container, reason: action.reason }, 'container killed');
        break;
      }
      case 'removeContainers':
        await Promise.all(action.containerIds.map((id) => deps.runtime.removeContainer(id)));
        break;
      case 'cleanupPod':
        await cleanupPod(podRef.uid, observed, deps);
        await deps.podLogs?.removePod(podRef);
        log.info({}, 'pod cleaned up');
        break;
      case 'backoff': {
        const reason = deps.startFailures?.get(action.container)?.reason;
        if (isImageSpecFailure(reason)) break;
        recordBackOff(deps.events, podRef, action.container, reason === undefined ? undefined : { reason, image: findContainer(desired, action.container)?.image ?? '' });
        break;
      }
    }
  }
  return { started, startFailures };
}

/**
 * The IPs of the sandbox `id` just started, read once with one inspect (cri-dockerd's
 * PodSandboxStatus after RunPodSandbox). A sandbox on a network that gave it no address is
 * stopped and the start fails as cri-dockerd's network setup failure does: the kubelet's
 * FailedCreatePodSandBox, and a new sandbox after the back-off. Host and none need no read.
 */
async function sandboxIPs(id: string, sandbox: ContainerSpec, desired: DesiredPod, deps: ExecuteDeps): Promise<string[]> {
  const network = sandbox.namespaces.network;
  if (network.mode !== 'network' || !sandboxNeedsIP(network.name)) return [];
  const ips = [...((await deps.runtime.inspectContainer(id))?.ips ?? [])];
  if (ips.length > 0) return ips;
  await deps.runtime.stopContainer(id, SANDBOX_STOP_TIMEOUT_SECONDS);
  throw new Error(`failed to set up sandbox container ${JSON.stringify(id)} network for pod ${JSON.stringify(desired.name)}: Docker network ${JSON.stringify(network.name)} gave the sandbox no IP address`);
}

async function startContainer(
  desired: DesiredPod,
  container: Container,
  action: Extract<PodAction, { type: 'startContainer' }>,
  sandboxId: string,
  deps: ExecuteDeps,
  log: Logger,
  involved: (c?: string, role?: string) => InvolvedObject,
  cgroupParent?: string,
): Promise<StartFailure | 'aborted' | undefined> {
  const ref = involved(container.name, action.role);
  const image = container.image ?? '';
  const policy = container.imagePullPolicy === 'Always' || container.imagePullPolicy === 'Never' ? container.imagePullPolicy : 'IfNotPresent';
  let imageId = '';
  let imageUserOfPull: string | undefined;
  try {
    // image_manager.go: Pulling before the pull (and before any wait for a pull slot), Pulled
    // with the pull's own time and the time since Pulling, or "already present".
    let pullingAt: number | undefined;
    const pull = deps.runtime.ensureImage(image, policy, {
      onPullStart: () => {
        pullingAt = deps.now();
        deps.events.record(ref, 'Normal', 'Pulling', `Pulling image ${JSON.stringify(image)}`);
      },
      onProgress: (line) => log.debug({ image, progress: line }, 'image pull progress'),
    });
    // The pull goes on in dockerd (and is shared with other pulls of the image); only the wait stops.
    const result = await untilAborted(pull, deps.signal);
    if (result === 'aborted') return 'aborted';
    if (result.pulled) {
      const message = pulledMessage(image, result.pullMs ?? 0, deps.now() - (pullingAt ?? deps.now()), result.sizeBytes ?? 0);
      deps.events.record(ref, 'Normal', 'Pulled', message);
      log.info({ container: container.name, image, pullMs: Math.round(result.pullMs ?? 0), sizeBytes: result.sizeBytes }, 'image pulled');
    } else if (action.restartCount === 0) deps.events.record(ref, 'Normal', 'Pulled', `Container image ${JSON.stringify(image)} already present on machine`);
    imageId = result.imageId;
    imageUserOfPull = result.user;
  } catch (err) {
    const reason = (err as { reason?: string }).reason ?? 'ErrImagePull';
    const message = errorMessage(err);
    // image_manager.go EnsureImageExists: an unparsable name is InspectFailed (message "Failed to
    // apply default image tag ..."), Never with no image ErrImageNeverPull, a pull Failed.
    if (reason === 'InvalidImageName') deps.events.record(ref, 'Warning', 'InspectFailed', message);
    else if (reason === 'ErrImageNeverPull') deps.events.record(ref, 'Warning', 'ErrImageNeverPull', message);
    else deps.events.record(ref, 'Warning', 'Failed', `Failed to pull image "${image}": ${message}`);
    deps.events.record(ref, 'Warning', 'Failed', `Error: ${reason}`);
    log.warn({ container: container.name, image, reason, err: message }, 'image not available');
    return { reason, message, at: deps.now() };
  }
  // kubelet generateContainerConfig reads the image's user (getImageUser) for runAsNonRoot; a
  // failed read is a CreateContainerConfigError like the check's own refusal.
  const imageUser = imageUserOfPull !== undefined ? ({ ok: true, user: imageUserOfPull } as const) : await readImageUser(deps.runtime, imageId);
  const translated = imageUser.ok
    ? toContainerSpec(desired, container, action.role, action.restartCount, deps.translate, { imageUser: imageUser.user })
    : ({ ok: false, reason: 'CreateContainerConfigError', message: imageUser.message } as const);
  if (!translated.ok) {
    deps.events.record(ref, 'Warning', 'Failed', `Error: ${translated.message}`);
    log.warn({ container: container.name, reason: translated.reason, err: translated.message }, 'container config failed');
    return { reason: translated.reason, message: translated.message, at: deps.now() };
  }
  const subPathFailure = await prepareSubPathMounts(translated.spec.mounts, deps.subPaths, log);
  if (subPathFailure) {
    deps.events.record(ref, 'Warning', 'Failed', `Error: ${subPathFailure.message}`);
    return { ...subPathFailure, at: deps.now() };
  }
  try {
    await ensureMountSources(translated.spec, deps.hostFs);
    const spec = cgroupParent !== undefined ? { ...translated.spec, cgroupParent } : translated.spec;
    const id = await deps.runtime.runContainer(spec, { sandboxId });
    deps.events.record(ref, 'Normal', 'Created', `Created container ${container.name}`);
    deps.events.record(ref, 'Normal', 'Started', `Started container ${container.name}`);
    log.info({ container: container.name, role: action.role, restartCount: action.restartCount, id: id.slice(0, 12) }, 'container started');
    // A cancelled postStart leaves a started container: the pass ends at the next action.
    const post = await runPostStart(desired, container, { id, name: container.name, role: action.role, state: 'running', labels: {} }, deps, log, involved);
    return post === 'aborted' ? undefined : post;
  } catch (err) {
    const message = errorMessage(err);
    deps.events.record(ref, 'Warning', 'Failed', `Error: ${message}`);
    log.warn({ container: container.name, err: message }, 'container start failed');
    return { reason: 'RunContainerError', message, at: deps.now() };
  }
}

async function readImageUser(runtime: PodRuntime, imageId: string): Promise<{ ok: true; user: string } | { ok: false; message: string }> {
  try {
    return { ok: true, user: await runtime.imageUser(imageId) };
  } catch (err) {
    return { ok: false, message: errorMessage(err) };
  }
}

type KillTarget = Pick<ObservedContainer, 'id' | 'name' | 'role' | 'state' | 'labels'>;

function hookDeps(deps: ExecuteDeps): HookDeps & { now: () => number } {
  const clock = deps.clock ?? systemClock;
  return { runtime: deps.runtime, sleep: (ms, signal) => clock.sleep(ms, signal), now: deps.now };
}

/** Where an httpGet hook without a host goes; a pod we no longer have the spec of has only its known IPs. */
function hookHost(desired: DesiredPod | undefined, uid: string, deps: ExecuteDeps): string | undefined {
  const podIPs = deps.podIPs?.(uid) ?? deps.translate.podIPs;
  return desired ? defaultPodHost(desired.pod, deps.translate.hostIPs, podIPs) : podIPs[0];
}

/**
 * The grace period kubelet's setTerminationGracePeriod would pick before the 2 s floor: the
 * probe's own for a probe kill, else the pod's. A preStop hook only runs when it is above 0.
 */
function configuredGrace(desired: DesiredPod | undefined, spec: Container | undefined, reason: KillReason): number | undefined {
  if (!desired) return undefined;
  const probe = reason === 'LivenessProbe' ? spec?.livenessProbe : reason === 'StartupProbe' ? spec?.startupProbe : undefined;
  return probe?.terminationGracePeriodSeconds ?? desired.pod.spec?.terminationGracePeriodSeconds;
}

/**
 * kubelet killContainer after its Killing event: the preStop hook (from the spec, or from the
 * container's labels when the pod is gone) runs within the grace period, its time comes off the
 * grace, and docker stop gets what is left, never under 2 s.
 */
async function stopWithPreStop(
  podRef: { uid: string; name: string; namespace: string },
  desired: DesiredPod | undefined,
  instance: KillTarget,
  graceSeconds: number,
  configured: number | undefined,
  deps: ExecuteDeps,
  log: Logger,
  involved: (c?: string, role?: string) => InvolvedObject,
): Promise<void> {
  let grace = Math.max(MINIMUM_GRACE_PERIOD_SECONDS, graceSeconds);
  const spec = findContainer(desired, instance.name);
  const restored = spec ? undefined : preStopFromLabels(instance.labels);
  const handler = spec ? spec.lifecycle?.preStop : restored?.handler;
  if (handler && instance.state === 'running' && (configured ?? grace) > 0) {
    const target: HookTarget = {
      pod: podRef,
      container: spec ?? { name: instance.name, ports: restored?.ports },
      containerId: instance.id,
      podHost: hookHost(desired, podRef.uid, deps),
    };
    const { remainingGraceSeconds, result } = await runPreStopHook(handler, target, hookDeps(deps), grace);
    if (!result.ok && result.timedOut) {
      log.info({ container: instance.name, gracePeriod: grace }, 'preStop hook not completed in grace period');
    } else if (!result.ok) {
      // As kubelet: the event does not carry the hook's output, which may hold secrets.
      deps.events.record(involved(instance.name, instance.role), 'Warning', 'FailedPreStopHook', 'PreStopHook failed');
      log.warn({ container: instance.name, err: result.message }, 'preStop hook failed');
    }
    grace = remainingGraceSeconds;
  }
  await deps.runtime.stopContainer(instance.id, grace);
}

/**
 * startContainer step 4: the postStart hook, right after the start and before the next
 * container. A failure kills the container (Killing "FailedPostStartHook", with its preStop
 * hook and the pod's grace period) and is a start failure, PostStartHookError, that backs off.
 */
async function runPostStart(
  desired: DesiredPod,
  container: Container,
  instance: KillTarget,
  deps: ExecuteDeps,
  log: Logger,
  involved: (c?: string, role?: string) => InvolvedObject,
): Promise<StartFailure | 'aborted' | undefined> {
  const postStart = container.lifecycle?.postStart;
  if (!postStart) return undefined;
  const target: HookTarget = { pod: desired, container, containerId: instance.id, podHost: hookHost(desired, desired.uid, deps) };
  const hook = await runLifecycleHandler(postStart, target, hookDeps(deps), deps.signal);
  // Cancelled, not failed: the container stays as it is and the next pass decides (a newer
  // spec replaces it, a terminating pod kills it); no PostStartHookError, no back-off.
  if (!hook.ok && deps.signal?.aborted) return 'aborted';
  if (hook.ok) return undefined;
  const ref = involved(container.name, instance.role);
  deps.events.record(ref, 'Warning', 'FailedPostStartHook', 'PostStartHook failed');
  log.warn({ container: container.name, err: hook.message }, 'postStart hook failed; killing the container');
  deps.events.record(ref, 'Normal', 'Killing', 'FailedPostStartHook');
  try {
    await stopWithPreStop(desired, desired, instance, stopTimeoutSeconds(desired), desired.pod.spec?.terminationGracePeriodSeconds, deps, log, involved);
  } catch (err) {
    log.warn({ container: container.name, err: errorMessage(err) }, 'could not kill the container after its postStart hook failed');
  }
  return { reason: 'PostStartHookError', message: hook.message, at: deps.now() };
}

async function prepareVolumes(desired: DesiredPod, deps: ExecuteDeps): Promise<{ reason: string; message: string } | undefined> {
  const plan = planVolumes(desired, podsBase(deps.translate, desired.uid), deps.translate.nodeAllocatable);
  const failed = (volume: string, message: string): { reason: string; message: string } => ({
    reason: 'FailedMount',
    message: `MountVolume.SetUp failed for volume "${volume}" : ${message}`,
  });
  const first = plan.errors[0];
  if (first) return failed(first.volume, first.message);
  for (const hp of plan.hostPaths) {
    const r = await deps.hostFs.checkHostPath(hp.path, hp.type);
    if (!r.ok) return failed(hp.volume, r.message);
  }
  let current = '';
  try {
    for (const d of plan.emptyDirs) {
      current = d.volume;
      await deps.hostFs.ensureDir(d.path, 0o777);
    }
    for (const v of plan.memoryVolumes) {
      current = v.volume;
      await deps.runtime.createMemoryVolume(v.name, v.sizeBytes, { [LABELS.managed]: 'true', [LABELS.podUid]: desired.uid, [LABELS.node]: deps.translate.nodeName });
    }
    for (const d of plan.dirs) {
      current = d.volume;
      await deps.hostFs.ensureDir(d.path, d.mode);
    }
    for (const f of plan.files) {
      current = f.volume;
      await deps.hostFs.writeFileAtomic(f.path, f.content, f.mode);
    }
  } catch (err) {
    return failed(current, errorMessage(err));
  }
  return undefined;
}

/** Mount sources the spec asks to exist (termination-log files). */
async function ensureMountSources(spec: ContainerSpec, hostFs: HostFs): Promise<void> {
  for (const m of spec.mounts) {
    if (m.kind !== 'bind' || m.createIfMissing !== 'file') continue;
    await hostFs.ensureDir(dirname(m.source), 0o750);
    await hostFs.ensureFile(m.source, TERMINATION_LOG_MODE);
  }
}

/**
 * kubelet makeMounts' subPath step, at EVERY start of the container (a volume's content may
 * have changed since the last one): each subPath mount is bound from the safely opened subPath
 * onto its target (the spec's source). The first failure ends the start with kubelet's
 * message, which keeps host paths out of the pod's status; the log has the detail.
 */
export async function prepareSubPathMounts(mounts: readonly MountSpec[], subPaths: SubPather, log: Logger): Promise<{ reason: 'CreateContainerConfigError'; message: string } | undefined> {
  for (const m of mounts) {
    if (m.kind !== 'bind' || !m.subPath) continue;
    const started = performance.now();
    const r = await subPaths.prepare(m.subPath, m.source);
    const fields = { container: m.subPath.containerName, volumeMount: m.subPath.volumeName, subPath: m.subPath.subPath };
    if (!r.ok) {
      log.warn({ ...fields, step: r.step, err: r.detail }, 'subPath preparation failed');
      return { reason: 'CreateContainerConfigError', message: subPathFailureMessage(r.step, r.detail, m.subPath.volumeName, m.subPath.containerName) };
    }
    log.debug({ ...fields, target: m.source, ms: Math.round((performance.now() - started) * 100) / 100 }, 'subPath bound');
  }
  return undefined;
}

/** Resolves with the promise's value, or 'aborted' as soon as `signal` aborts (the promise runs on). */
async function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T | 'aborted'> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return 'aborted';
  }
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<'aborted'>((resolve) => {
    onAbort = () => resolve('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const winner = await Promise.race([promise, aborted]);
    if (winner === 'aborted') promise.catch(() => undefined);
    return winner;
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** App containers in parallel, then sidecars in reverse order, then whatever else, then the sandbox. */
async function killPod(
  desired: DesiredPod | undefined,
  observed: ObservedPod | undefined,
  action: Extract<PodAction, { type: 'killPod' }>,
  deps: ExecuteDeps,
  log: Logger,
  involved: (c?: string, role?: string) => InvolvedObject,
): Promise<void> {
  if (!observed) return;
  const grace = Math.max(MINIMUM_GRACE_PERIOD_SECONDS, action.graceSeconds);
  const live = observed.containers.filter(isLive);
  const podRef = desired ?? { uid: observed.uid, name: observed.name, namespace: observed.namespace };
  const configured = desired ? desired.pod.spec?.terminationGracePeriodSeconds : undefined;
  const stop = async (c: ObservedContainer): Promise<void> => {
    deps.events.record(involved(c.name, c.role), 'Normal', 'Killing', `Stopping container ${c.name}`);
    await stopWithPreStop(podRef, desired, c, grace, configured, deps, log, involved);
  };
  await Promise.all(live.filter((c) => c.role === 'app' || c.role === 'init').map(stop));
  const sidecars = live.filter((c) => c.role === 'sidecar').sort((a, b) => b.createdAt - a.createdAt);
  for (const s of sidecars) await stop(s);
  await Promise.all(observed.sandboxes.filter(isLive).map((s) => deps.runtime.stopContainer(s.id, Math.min(grace, SANDBOX_STOP_TIMEOUT_SECONDS))));
  log.info({ reason: action.reason, containers: live.length }, 'pod killed');
}

/**
 * No stop here: the planner puts killPod before cleanupPod whenever something runs, and what
 * is left (never-started containers) goes with the forced remove.
 */
async function cleanupPod(uid: string, observed: ObservedPod | undefined, deps: ExecuteDeps): Promise<void> {
  const all = [...(observed?.containers ?? []), ...(observed?.sandboxes ?? [])];
  await Promise.all(all.map((c) => deps.runtime.removeContainer(c.id)));
  for (const name of await deps.runtime.listVolumes(`${LABELS.podUid}=${uid}`)) await deps.runtime.removeVolume(name);
  await deps.hostFs.removeTree(podDir(podsBase(deps.translate, uid), uid));
  // A pod created again with this UID gets the kubelet layout under rootDir.
  deps.translate.legacyPodUids?.delete(uid);
  await deps.podCgroups?.removePod(uid);
}
