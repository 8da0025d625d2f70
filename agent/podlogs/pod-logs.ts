// The host side of the kubelet's log layout on Docker (see log-paths.ts): creates a container's
// log directory before it is created, links <restart>.log to Docker's json-file log and
// /var/log/containers/<...>.log to that after the start (cri-dockerd createContainerLogSymlink
// and the kubelet's legacy symlink, in that order), removes both before the container is
// removed (cri-dockerd RemoveContainer: "docker will remove container log after container is
// removed"), removes a pod's log directory with the pod, and collects what a killed agent
// or removed pods left (the kubelet's evictPodLogsDirectories). A thin I/O adapter: the
// decisions are the pure functions of log-paths.ts.
import { lstat, mkdir, readdir, rm, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import { LABELS } from '../core/labels.js';
import { errnoCode, errorMessage } from '../core/errors.js';
import {
  LOG_PATH_LABEL,
  containerLogPath,
  containerLogsDirectory,
  legacyLinksToRemove,
  legacyLogSymlink,
  podLogDirsToRemove,
  podLogsDirectory,
  type LegacyLinkView,
  type PodLogDirView,
} from './log-paths.js';

export interface PodLogsOptions {
  /** KubeletConfiguration podLogsDir (default /var/log/pods). */
  readonly podLogsDir: string;
  /** The legacy symlink directory (default /var/log/containers). */
  readonly containerLogsDir: string;
  readonly logger?: Logger;
}

/** The pod's identity, as a container's labels carry it. */
export interface PodLogRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** What the sync loop and the agent use: the pod-level removal and the collection. */
export interface PodLogsPort {
  removePod(pod: PodLogRef): Promise<void>;
  collect(inUse: (uid: string) => boolean, isRunning: (containerId: string) => boolean): Promise<void>;
}

const DIR_MODE = 0o755;

export class PodLogs implements PodLogsPort {
  readonly podLogsDir: string;
  readonly containerLogsDir: string;
  readonly #log: Logger | undefined;

  constructor(opts: PodLogsOptions) {
    this.podLogsDir = opts.podLogsDir;
    this.containerLogsDir = opts.containerLogsDir;
    this.#log = opts.logger;
  }

  /**
   * Before CreateContainer (kubelet generateContainerConfig, createPodSandbox): makes the
   * container's log directory (the pod's for the sandbox) and returns the log path for the
   * logpath label; undefined for the sandbox, which has no log path. Throws the kubelet's
   * message when the directory cannot be made.
   */
  async prepare(labels: Readonly<Record<string, string>>): Promise<string | undefined> {
    const id = identity(labels);
    if (!id) return undefined;
    if (id.role === 'sandbox') {
      await mkdir(podLogsDirectory(this.podLogsDir, id.namespace, id.name, id.uid), { recursive: true, mode: DIR_MODE });
      return undefined;
    }
    try {
      await mkdir(containerLogsDirectory(this.podLogsDir, id.namespace, id.name, id.uid, id.container), { recursive: true, mode: DIR_MODE });
    } catch (e) {
      throw new Error(`create container log directory for container ${id.container} failed: ${errorMessage(e)}`, { cause: e });
    }
    return containerLogPath(this.podLogsDir, id.namespace, id.name, id.uid, id.container, id.restartCount);
  }

  /**
   * After StartContainer, also when the start failed (as cri-dockerd): <restart>.log becomes a
   * link to Docker's log file (whatever was there goes), then the legacy link is made if the
   * chain resolves. Failures are logged only: the container runs, as the kubelet's own legacy
   * link failure ("Failed to create legacy symbolic link") does not stop it. Returns the time
   * it took (ms), for the start's log line.
   */
  async link(containerId: string, labels: Readonly<Record<string, string>>, dockerLogPath: string | undefined): Promise<number> {
    const started = performance.now();
    const id = identity(labels);
    const logPath = labels[LOG_PATH_LABEL];
    if (!id || id.role === 'sandbox' || !logPath || !dockerLogPath) return 0;
    try {
      await rm(logPath, { force: true });
      await symlink(dockerLogPath, logPath);
    } catch (e) {
      this.#log?.warn({ container: id.container, path: logPath, target: dockerLogPath, err: errorMessage(e) }, 'failed to create symbolic link to the container log file');
      return performance.now() - started;
    }
    const legacy = legacyLogSymlink(this.containerLogsDir, containerId, id.container, id.name, id.namespace);
    try {
      // Docker creates the json file when it starts logging: a container that never started
      // has none, and the kubelet then makes no legacy link (no dangling link to collect).
      if (await exists(logPath)) {
        await mkdir(this.containerLogsDir, { recursive: true, mode: DIR_MODE });
        await rm(legacy, { force: true });
        await symlink(logPath, legacy);
      }
    } catch (e) {
      this.#log?.warn({ container: id.container, path: legacy, err: errorMessage(e) }, 'Failed to create legacy symbolic link');
    }
    return performance.now() - started;
  }

  /** Before RemoveContainer: the container's <restart>.log link and its legacy link. */
  async unlink(containerId: string, labels: Readonly<Record<string, string>>): Promise<void> {
    const id = identity(labels);
    if (!id || id.role === 'sandbox') return;
    const logPath = labels[LOG_PATH_LABEL];
    const legacy = legacyLogSymlink(this.containerLogsDir, containerId, id.container, id.name, id.namespace);
    for (const path of logPath ? [logPath, legacy] : [legacy]) {
      await rm(path, { force: true }).catch((e: unknown) => this.#log?.warn({ path, err: errorMessage(e) }, 'failed to remove a container log link'));
    }
  }

  /** With the pod's last cleanup: its whole log directory (links only; Docker owns the files). */
  async removePod(pod: PodLogRef): Promise<void> {
    const dir = podLogsDirectory(this.podLogsDir, pod.namespace, pod.name, pod.uid);
    if (!(await lstat(dir).catch(() => undefined))) return;
    await rm(dir, { recursive: true, force: true });
    this.#log?.info({ pod: `${pod.namespace}/${pod.name}`, uid: pod.uid, path: dir }, 'removed the pod log directory');
  }

  /**
   * The kubelet's evictPodLogsDirectories, at start and every housekeeping period: pod log
   * directories of pods no longer in use whose logs are gone, and legacy links whose target is
   * gone (unless their container is still running).
   */
  async collect(inUse: (uid: string) => boolean, isRunning: (containerId: string) => boolean): Promise<void> {
    const dirs = await this.#podDirViews();
    for (const name of podLogDirsToRemove(dirs, inUse)) {
      const path = join(this.podLogsDir, name);
      await rm(path, { recursive: true, force: true });
      this.#log?.info({ path }, 'removed the log directory of a pod that no longer exists');
    }
    const links = await this.#legacyLinkViews();
    for (const name of legacyLinksToRemove(links, isRunning)) {
      const path = join(this.containerLogsDir, name);
      await rm(path, { force: true });
      this.#log?.info({ path }, 'removed a dangling container log link');
    }
  }

  async #podDirViews(): Promise<PodLogDirView[]> {
    const views: PodLogDirView[] = [];
    for (const entry of await readDir(this.podLogsDir)) {
      if (!entry.isDirectory()) continue;
      const podDir = join(this.podLogsDir, entry.name);
      let hasLiveLogs = false;
      for (const container of await readDir(podDir)) {
        if (!container.isDirectory()) continue;
        for (const file of await readDir(join(podDir, container.name))) {
          if (await exists(join(podDir, container.name, file.name))) hasLiveLogs = true;
        }
      }
      views.push({ name: entry.name, hasLiveLogs });
    }
    return views;
  }

  async #legacyLinkViews(): Promise<LegacyLinkView[]> {
    const views: LegacyLinkView[] = [];
    for (const entry of await readDir(this.containerLogsDir)) {
      views.push({ name: entry.name, isSymlink: entry.isSymbolicLink(), targetExists: await exists(join(this.containerLogsDir, entry.name)) });
    }
    return views;
  }
}

interface LogIdentity extends PodLogRef {
  readonly container: string;
  readonly role: string;
  readonly restartCount: number;
}

/** The pod and container a container's labels name; undefined when they do not. */
function identity(labels: Readonly<Record<string, string>>): LogIdentity | undefined {
  const namespace = labels[LABELS.podNamespace];
  const name = labels[LABELS.podName];
  const uid = labels[LABELS.podUid];
  const container = labels[LABELS.containerName];
  const role = labels[LABELS.role] ?? '';
  if (!namespace || !name || !uid || !container) return undefined;
  const restartCount = Number.parseInt(labels[LABELS.restartCount] ?? '0', 10);
  return { namespace, name, uid, container, role, restartCount: Number.isFinite(restartCount) && restartCount >= 0 ? restartCount : 0 };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function readDir(path: string): Promise<import('node:fs').Dirent[]> {
  return readdir(path, { withFileTypes: true }).catch((e: unknown) => {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return [];
    throw e;
  });
}
