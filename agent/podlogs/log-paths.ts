// Where container logs live on a kubelet node, as the kubelet (pkg/kubelet/kuberuntime
// helpers.go, legacy.go) and cri-dockerd (core/container_create.go) lay them out on Docker:
//   <podLogsDir>/<namespace>_<pod>_<uid>/<container>/<restartCount>.log  -> Docker's json-file log
//   <containerLogsDir>/<pod>_<namespace>_<container>-<containerID>.log  -> the per-pod path above
// Log shippers (fluentd, fluent-bit, promtail, the OpenTelemetry filelog receiver) find pods'
// logs by these names alone, so they are reproduced exactly. Pure: no I/O here.
import { join } from 'node:path';

/** KubeletConfiguration podLogsDir default (DefaultPodLogsDir). */
export const DEFAULT_POD_LOGS_DIR = '/var/log/pods';
/** kubelet's legacyContainerLogsDir (not configurable upstream; configurable here for tests). */
export const DEFAULT_CONTAINER_LOGS_DIR = '/var/log/containers';
/** The Docker label in which cri-dockerd records the kubelet's log path (core/docker_service.go). */
export const LOG_PATH_LABEL = 'io.kubernetes.container.logpath';
/** ext4's limit for one name; legacy.go cuts the link's name to fit it. */
const MAX_FILE_NAME_LENGTH = 255;
const LEGACY_SUFFIX = '.log';

/** BuildPodLogsDirectory: `<podLogsDir>/<namespace>_<podName>_<podUID>`. */
export function podLogsDirectory(podLogsDir: string, namespace: string, podName: string, podUid: string): string {
  return join(podLogsDir, [namespace, podName, podUid].join('_'));
}

/** BuildContainerLogsDirectory: the pod's log directory plus the container's name. */
export function containerLogsDirectory(podLogsDir: string, namespace: string, podName: string, podUid: string, container: string): string {
  return join(podLogsDirectory(podLogsDir, namespace, podName, podUid), container);
}

/** buildContainerLogsPath joined to the pod directory: `.../<container>/<restartCount>.log`. */
export function containerLogPath(podLogsDir: string, namespace: string, podName: string, podUid: string, container: string, restartCount: number): string {
  return join(containerLogsDirectory(podLogsDir, namespace, podName, podUid, container), `${restartCount}.log`);
}

/**
 * legacyLogSymlink / logSymlink: `<dir>/<pod>_<namespace>_<container>-<id>.log`, the part before
 * `.log` cut so that the whole name is at most 255 bytes.
 */
export function legacyLogSymlink(containerLogsDir: string, containerId: string, container: string, podName: string, namespace: string): string {
  let name = `${podName}_${namespace}_${container}-${containerId}`;
  const room = MAX_FILE_NAME_LENGTH - LEGACY_SUFFIX.length;
  if (Buffer.byteLength(name) > room) name = Buffer.from(name).subarray(0, room).toString('utf8');
  return join(containerLogsDir, name + LEGACY_SUFFIX);
}

/** parsePodUIDFromLogsDirectory: the last `_` field (also the old `<podUID>` layout). */
export function podUidFromLogsDirectory(name: string): string {
  const parts = name.split('_');
  return parts[parts.length - 1] ?? name;
}

/**
 * getContainerIDFromLegacyLogSymlink: the text after the last `-`, before `.log`; a name cut to
 * 255 bytes leaves a prefix of the ID, used if at least 6 characters remain.
 */
export function containerIdFromLegacySymlink(name: string): string | undefined {
  if (!name.endsWith(LEGACY_SUFFIX)) return undefined;
  const id = name.slice(name.lastIndexOf('-') + 1, -LEGACY_SUFFIX.length);
  return id.length >= 6 ? id : undefined;
}

/** A pod log directory's name, taken apart; undefined for names that are not one. */
export function parsePodLogsDirectory(name: string): { namespace: string; podName: string; uid: string } | undefined {
  const parts = name.split('_');
  if (parts.length !== 3 || parts.some((p) => p === '')) return undefined;
  const [namespace, podName, uid] = parts as [string, string, string];
  return { namespace, podName, uid };
}

/** What the log garbage collection sees of one pod log directory. */
export interface PodLogDirView {
  readonly name: string;
  /** Some file in it still resolves (a live or kept container's log). */
  readonly hasLiveLogs: boolean;
}

/**
 * kubelet's evictPodLogsDirectories, part (a): the pod log directories to remove. A directory
 * goes when its pod is not in use (neither desired, nor in Docker, nor being worked on) and no
 * log in it resolves any more: the second condition keeps directories of pods that another
 * agent sharing the host runs, whose links still point at live Docker logs.
 */
export function podLogDirsToRemove(dirs: readonly PodLogDirView[], inUse: (uid: string) => boolean): string[] {
  return dirs
    .filter((d) => parsePodLogsDirectory(d.name) !== undefined && !inUse(podUidFromLogsDirectory(d.name)) && !d.hasLiveLogs)
    .map((d) => d.name)
    .sort();
}

/** What the log garbage collection sees of one entry of the container logs directory. */
export interface LegacyLinkView {
  readonly name: string;
  readonly isSymlink: boolean;
  /** stat (following the links) succeeds. */
  readonly targetExists: boolean;
}

/**
 * evictPodLogsDirectories, part (b): `*.log` links whose target is gone, except those of a
 * container still running (Docker renames the file when it rotates: the link may dangle for a
 * moment then). `isRunning` gets the ID or, for a cut name, its prefix.
 */
export function legacyLinksToRemove(links: readonly LegacyLinkView[], isRunning: (containerIdOrPrefix: string) => boolean): string[] {
  return links
    .filter((l) => l.isSymlink && l.name.endsWith(LEGACY_SUFFIX) && !l.targetExists)
    .filter((l) => {
      const id = containerIdFromLegacySymlink(l.name);
      return id === undefined || !isRunning(id);
    })
    .map((l) => l.name)
    .sort();
}
