// Pure: Docker's container JSON (inspect and list) → nodelet's ObservedContainer / ObservedPod.
// Identity comes only from labels (core/labels.ts); state follows cri-dockerd's
// container_status.go, which decides from the inspect fields rather than the status word.
import { fromIdentityLabels } from '../../core/labels.js';
import { newestInstanceFirst, type ObservedContainer, type ObservedPod, type ObservedState } from '../../core/runtime-types.js';
import { networkIPs, type NetworkSettingsJson } from './network-ips.js';

/** The part of GET /containers/{id}/json that nodelet reads (dockerode's ContainerInspectInfo fits). */
export interface InspectJson {
  readonly Id: string;
  readonly Created: string;
  readonly Image: string;
  readonly State: {
    readonly Status: string;
    readonly Running: boolean;
    readonly OOMKilled: boolean;
    readonly ExitCode: number;
    readonly Error: string;
    readonly StartedAt: string;
    readonly FinishedAt: string;
    readonly Pid?: number;
  };
  readonly Config: { readonly Image: string; readonly Labels: Readonly<Record<string, string>> | null };
  readonly HostConfig?: { readonly NetworkMode?: string };
  readonly NetworkSettings?: NetworkSettingsJson;
}

/** The part of one GET /containers/json entry that nodelet reads (dockerode's ContainerInfo fits). */
export interface ListEntryJson {
  readonly Id: string;
  readonly State: string;
  readonly Status: string;
  readonly Labels: Readonly<Record<string, string>> | null;
}

/**
 * Decodes one inspected container; undefined when it is not one of nodelet's (labels missing
 * or incomplete), so foreign containers on a shared engine are ignored.
 */
export function fromInspect(info: InspectJson): ObservedContainer | undefined {
  const labels = info.Config.Labels ?? {};
  const identity = fromIdentityLabels(labels);
  if (!identity) return undefined;
  const state = observedState(info.State);
  const startedAt = parseDockerTime(info.State.StartedAt);
  const finishedAt = parseDockerTime(info.State.FinishedAt);
  const ended = state === 'exited';
  return {
    id: info.Id,
    name: identity.container,
    role: identity.role,
    podUid: identity.podUid,
    podName: identity.podName,
    podNamespace: identity.podNamespace,
    sandboxId: identity.sandboxId ?? '',
    state,
    specHash: identity.specHash,
    restartCount: identity.restartCount,
    image: info.Config.Image,
    ...(info.Image ? { imageId: info.Image } : {}),
    ...(ended ? { exitCode: info.State.ExitCode, oomKilled: info.State.OOMKilled } : {}),
    ...(info.State.Error ? { error: info.State.Error } : {}),
    createdAt: parseDockerTime(info.Created) ?? 0,
    ...(startedAt !== undefined ? { startedAt } : {}),
    ...(finishedAt !== undefined ? { finishedAt } : {}),
    ...(state === 'running' && info.State.Pid ? { pid: info.State.Pid } : {}),
    labels: { ...labels },
    ...(info.HostConfig?.NetworkMode !== undefined ? { networkMode: info.HostConfig.NetworkMode, ips: networkIPs(info.HostConfig.NetworkMode, info.NetworkSettings) } : {}),
  };
}

/**
 * cri-dockerd's mapping: running (which includes paused and restarting, both Running=true in
 * Docker) → running; finished → exited; a container whose start failed (still "created" but
 * with an exit code or error, kubelet's ContainerCannotRun) → exited; never started → created;
 * anything else (dead or being removed before it ever ran) → unknown.
 */
export function observedState(state: InspectJson['State']): ObservedState {
  if (state.Running) return 'running';
  if (parseDockerTime(state.FinishedAt) !== undefined) return 'exited';
  if (state.ExitCode !== 0 || state.Error) return 'exited';
  if (state.Status === 'created') return 'created';
  return 'unknown';
}

const DOCKER_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/;

/** Docker's RFC 3339 nano timestamps → ms since epoch; Go's zero time (0001-01-01…) = unset. */
export function parseDockerTime(value: string | undefined): number | undefined {
  if (!value || value.startsWith('0001-01-01')) return undefined;
  const m = DOCKER_TIME.exec(value);
  if (!m) return undefined;
  const millis = (m[2] ?? '').padEnd(3, '0').slice(0, 3);
  const ms = Date.parse(`${m[1]}.${millis}${m[3]}`);
  return Number.isNaN(ms) ? undefined : ms;
}

// go-units HumanDuration phrases inside Docker's Status ("Up 5 seconds", "Exited (1) 2 hours ago").
const HUMAN_DURATION = /\s*(?:Less than a second|About an? (?:minute|hour)|\d+ (?:second|minute|hour|day|week|month|year)s?)(?: ago)?/g;

/**
 * What must change for a listed container to need a new inspect: its state and status with
 * the ageing "N seconds ago" part removed (which would otherwise change on every relist). Exit
 * code, pause and health stay in. A restart in place (running → running) is not visible here;
 * the runtime drops cached entries when an event names the container.
 */
export function listCacheKey(entry: ListEntryJson): string {
  return `${entry.Id}|${entry.State}|${entry.Status.replace(HUMAN_DURATION, '').trim()}`;
}

/**
 * Groups observed containers by pod UID. Within a pod, sandboxes and containers are sorted
 * newest first (creation time, then restart count); pods are ordered by namespace, name, UID.
 * The pod's name and namespace come from its newest container.
 */
export function groupPods(containers: readonly ObservedContainer[]): ObservedPod[] {
  const byUid = new Map<string, ObservedContainer[]>();
  for (const c of containers) {
    const list = byUid.get(c.podUid);
    if (list) list.push(c);
    else byUid.set(c.podUid, [c]);
  }
  const pods: ObservedPod[] = [];
  for (const [uid, list] of byUid) {
    const sorted = [...list].sort(newestInstanceFirst);
    const newest = sorted[0];
    if (!newest) continue;
    pods.push({
      uid,
      name: newest.podName,
      namespace: newest.podNamespace,
      sandboxes: sorted.filter((c) => c.role === 'sandbox'),
      containers: sorted.filter((c) => c.role !== 'sandbox'),
    });
  }
  return pods.sort((a, b) => compare(a.namespace, b.namespace) || compare(a.name, b.name) || compare(a.uid, b.uid));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
