// PodRuntime on the Docker Engine API through dockerode: the only module that talks to
// dockerd. Lowering ContainerSpec to create options (create-options.ts) and decoding inspect
// JSON (from-inspect.ts) are pure and live beside it; this file does the requests, counts
// them, caches inspects for cheap relists and turns engine errors into RuntimeErrors.
import { readFile, statfs } from 'node:fs/promises';
import { PassThrough, Readable, type Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { RuntimeError, errorMessage, type ErrorCode } from '../../core/errors.js';
import { LABELS, fromIdentityLabels } from '../../core/labels.js';
import type { ContainerSpec, ObservedContainer, ObservedPod } from '../../core/runtime-types.js';
import {
  ContainerRunError,
  ExecTimeoutError,
  ImagePullError,
  type EnsureImageHooks,
  type EnsureImageResult,
  type ImagePullPolicy,
  type PodRuntime,
  type ContainerStreams,
  type RuntimeEvent,
} from '../pod-runtime.js';
import { localhostSeccompPath, toCreateOptions } from './create-options.js';
import { dockerEvents } from './events.js';
import { fromInspect, groupPods, listCacheKey, type InspectJson } from './from-inspect.js';
import { applyDefaultImageTag } from './image-ref.js';
import { jsonLines } from './json-lines.js';
import { forwardInNetns, forwardOnHost } from '../netns-forward.js';
import { goPathError } from '../../host/host-fs.js';
import type { CredentialLookup } from '../../images/credentials.js';
import type { ImageStore } from '../../images/image-gc.js';
import type { ListedImage } from '../../images/image-gc-policy.js';
import { repositoryOf, type RegistryAuth } from '../../images/keyring.js';
import { createPullLimiter, type PullLimiter } from '../../images/pull-limiter.js';
import type { PodLogs } from '../../podlogs/pod-logs.js';
import { withContainerLog, type ContainerLogSettings } from './log-options.js';
import { LOG_PATH_LABEL } from '../../podlogs/log-paths.js';

export interface DockerRuntimeOptions {
  readonly docker: Docker;
  readonly nodeName: string;
  readonly logger?: { debug(obj: object, msg?: string): void };
  /** Wraps every Docker API request (main.ts passes the metrics' timer and error counter). */
  readonly observe?: DockerCallObserver;
  /** The node's registry credentials for an image's repository, tried in order (none: anonymous). */
  readonly credentials?: CredentialLookup;
  /** serializeImagePulls / maxParallelImagePulls; default: one pull at a time, as the kubelet. */
  readonly pullLimiter?: PullLimiter;
  /**
   * The kubelet's log layout (/var/log/pods, /var/log/containers, the logpath label) and its
   * containerLogMaxSize/MaxFiles as json-file options; without it Docker's defaults apply.
   */
  readonly containerLogs?: { readonly podLogs: PodLogs; readonly settings: ContainerLogSettings };
}

/**
 * Runs one Docker API request `call` of kind `operation` and returns what it returns (or
 * throws what it throws): the seam through which the agent's metrics time and count requests
 * without the runtime knowing the metrics.
 */
export type DockerCallObserver = <T>(operation: DockerCall, call: () => Promise<T>) => Promise<T>;

/** Docker API requests the runtime makes, one counter each (metrics, idle-cost benchmark). */
export const DOCKER_CALLS = [
  'ping',
  'version',
  'containerList',
  'containerInspect',
  'containerCreate',
  'containerStart',
  'containerStop',
  'containerRemove',
  'imageInspect',
  'imagePull',
  'execCreate',
  'execStart',
  'execInspect',
  'volumeCreate',
  'volumeRemove',
  'volumeList',
  'events',
  'containerLogs',
  'execResize',
  'imageList',
  'imageRemove',
  'info',
  'containerAttach',
  'containerResize',
] as const;
export type DockerCall = (typeof DOCKER_CALLS)[number];

export interface DockerRuntimeStats {
  readonly calls: Readonly<Record<DockerCall, number>>;
  readonly total: number;
}

/** At most this many inspects run at once during a relist. */
const INSPECT_CONCURRENCY = 8;
/** Per stream; an exec (probe) producing more is truncated (kubelet keeps 10 KiB of probe output). */
const EXEC_OUTPUT_LIMIT = 64 * 1024;

interface CachedContainer {
  readonly key: string;
  readonly observed: ObservedContainer;
}

interface PullInFlight {
  readonly done: Promise<number>;
  readonly listeners: Set<(line: string) => void>;
}

export class DockerRuntime implements PodRuntime, ContainerStreams, ImageStore {
  readonly #docker: Docker;
  readonly #nodeName: string;
  readonly #logger: DockerRuntimeOptions['logger'];
  readonly #observe: DockerCallObserver | undefined;
  readonly #containerLogs: DockerRuntimeOptions['containerLogs'];
  readonly #calls: Record<DockerCall, number> = Object.fromEntries(DOCKER_CALLS.map((c) => [c, 0])) as Record<DockerCall, number>;
  /** Inspected containers by ID, valid while the list entry's cache key is unchanged. */
  readonly #inspected = new Map<string, CachedContainer>();
  readonly #pulls = new Map<string, PullInFlight>();
  readonly #credentials: CredentialLookup | undefined;
  readonly #pullLimiter: PullLimiter;

  constructor(opts: DockerRuntimeOptions) {
    this.#docker = opts.docker;
    this.#credentials = opts.credentials;
    this.#pullLimiter = opts.pullLimiter ?? createPullLimiter(1);
    this.#nodeName = opts.nodeName;
    this.#logger = opts.logger;
    this.#observe = opts.observe;
    this.#containerLogs = opts.containerLogs;
  }

  stats(): DockerRuntimeStats {
    const calls = { ...this.#calls };
    return { calls, total: Object.values(calls).reduce((a, b) => a + b, 0) };
  }

  async ping(signal?: AbortSignal): Promise<void> {
    const ping = this.#docker.ping.bind(this.#docker) as unknown as (opts: { abortSignal?: AbortSignal }) => Promise<unknown>;
    await this.#request('ping', 'ping the docker engine', () => ping(signal ? { abortSignal: signal } : {}));
  }

  async version(): Promise<{ version: string; apiVersion: string }> {
    const v = await this.#request('version', 'read the docker engine version', () => this.#docker.version());
    return { version: v.Version, apiVersion: v.ApiVersion };
  }

  /** docker info's CgroupDriver ('cgroupfs' when empty, as cri-dockerd reads it) and CgroupVersion. */
  async cgroupInfo(): Promise<{ driver: 'cgroupfs' | 'systemd'; version: 1 | 2 }> {
    const info = (await this.#request('info', 'read the docker engine info', () => this.#docker.info())) as { CgroupDriver?: string; CgroupVersion?: string };
    return { driver: info.CgroupDriver === 'systemd' ? 'systemd' : 'cgroupfs', version: info.CgroupVersion === '2' ? 2 : 1 };
  }

  async listPods(filter: { podUid?: string } = {}): Promise<ObservedPod[]> {
    const labels = [`${LABELS.managed}=true`, `${LABELS.node}=${this.#nodeName}`];
    if (filter.podUid !== undefined) labels.push(`${LABELS.podUid}=${filter.podUid}`);
    const entries = await this.#request('containerList', 'list containers', () =>
      this.#docker.listContainers({ all: true, filters: { label: labels } }),
    );
    const seen = new Set<string>();
    const observed = await mapLimit(entries, INSPECT_CONCURRENCY, async (entry) => {
      seen.add(entry.Id);
      if (!fromIdentityLabels(entry.Labels ?? {})) return undefined;
      const key = listCacheKey(entry);
      const cached = this.#inspected.get(entry.Id);
      if (cached?.key === key) return cached.observed;
      const fresh = await this.#inspect(entry.Id);
      if (fresh) this.#inspected.set(entry.Id, { key, observed: fresh });
      else this.#inspected.delete(entry.Id);
      return fresh;
    });
    for (const [id, cached] of this.#inspected) {
      const inScope = filter.podUid === undefined || cached.observed.podUid === filter.podUid;
      if (inScope && !seen.has(id)) this.#inspected.delete(id);
    }
    return groupPods(observed.filter((c): c is ObservedContainer => c !== undefined));
  }

  async inspectContainer(id: string): Promise<ObservedContainer | undefined> {
    return this.#inspect(id);
  }

  async ensureImage(image: string, policy: ImagePullPolicy, hooks: EnsureImageHooks = {}): Promise<EnsureImageResult> {
    const ref = applyDefaultImageTag(image);
    if (!ref.ok) throw new ImagePullError('InvalidImageName', image, ref.message, { retryable: false });
    const present = policy === 'Always' ? undefined : await this.#imageInfo(ref.image);
    if (present !== undefined) return { pulled: false, imageId: present.id, sizeBytes: present.size, user: present.user };
    if (policy === 'Never') {
      throw new ImagePullError('ErrImageNeverPull', image, `Container image "${image}" is not present with pull policy of Never`, { retryable: false });
    }
    hooks.onPullStart?.();
    const pullMs = await this.#pullCoalesced(ref.image, image, hooks.onProgress);
    const pulled = await this.#imageInfo(ref.image);
    if (pulled === undefined) {
      throw new ImagePullError('ErrImagePull', image, `image ${ref.image} is not present after a successful pull`, { retryable: true });
    }
    return { pulled: true, imageId: pulled.id, pullMs, sizeBytes: pulled.size, user: pulled.user };
  }

  async imageUser(imageId: string): Promise<string> {
    const info = await this.#request('imageInspect', `inspect image ${imageId}`, () => this.#docker.getImage(imageId).inspect());
    return info.Config.User ?? '';
  }

  async runContainer(spec: ContainerSpec, ctx: { sandboxId?: string }): Promise<string> {
    const options = await this.#withLogs(spec, await createOptions(spec, ctx));
    let container: Docker.Container;
    try {
      container = await this.#create(options);
    } catch (e) {
      if (statusOf(e) !== 409 || !(await this.#removeDeadNamesake(spec.dockerName))) throw createError(e);
      this.#logger?.debug({ name: spec.dockerName }, 'removed a dead container holding the name; creating again');
      try {
        container = await this.#create(options);
      } catch (again) {
        throw createError(again);
      }
    }
    try {
      await this.#call('containerStart', () => container.start());
    } catch (e) {
      await this.#linkLogs(container.id, options.Labels ?? {});
      if (isConnectionError(e)) throw toRuntimeError(`start container ${container.id}`, e);
      throw new ContainerRunError('RunContainerError', `failed to start container ${JSON.stringify(container.id)}: Error response from daemon: ${dockerMessage(e)}`, {
        retryable: isRetryable(e),
        containerId: container.id,
        cause: e,
      });
    } finally {
      this.#inspected.delete(container.id);
    }
    await this.#linkLogs(container.id, options.Labels ?? {});
    return container.id;
  }

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    try {
      await this.#call('containerStop', () => this.#docker.getContainer(id).stop({ t: Math.max(0, Math.floor(graceSeconds)) }));
    } catch (e) {
      const status = statusOf(e);
      if (status === 304 || status === 404) return; // already stopped, or gone
      throw toRuntimeError(`stop container ${id}`, e);
    } finally {
      this.#inspected.delete(id);
    }
  }

  async removeContainer(id: string): Promise<void> {
    await this.#unlinkLogs(id);
    this.#inspected.delete(id);
    try {
      await this.#call('containerRemove', () => this.#docker.getContainer(id).remove({ force: true, v: true }));
    } catch (e) {
      const status = statusOf(e);
      if (status === 404) return;
      if (status === 409 && /already in progress/i.test(dockerMessage(e))) return;
      throw toRuntimeError(`remove container ${id}`, e);
    }
  }

  async exec(id: string, cmd: readonly string[], opts: { timeoutMs: number; signal?: AbortSignal }): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const exec = await this.#request('execCreate', `exec in container ${id}`, () =>
      this.#docker.getContainer(id).exec({ Cmd: [...cmd], AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false }),
    );
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    let output: { stdout: string; stderr: string };
    try {
      const stream = await this.#request('execStart', `exec in container ${id}`, () =>
        exec.start({ hijack: true, stdin: false, abortSignal: signal }),
      );
      output = await this.#collectExecOutput(stream as unknown as Readable, signal);
    } catch (e) {
      if (timeout.aborted) throw new ExecTimeoutError(`command ${JSON.stringify(cmd.join(' '))} timed out`, opts.timeoutMs);
      if (opts.signal?.aborted) throw abortError(opts.signal);
      throw e;
    }
    // The stream ends when the process exits; Docker may take a moment to record the code.
    for (let attempt = 0; ; attempt++) {
      const info = await this.#request('execInspect', `inspect exec in container ${id}`, () => exec.inspect());
      if (!info.Running && info.ExitCode !== null) return { exitCode: info.ExitCode, ...output };
      if (attempt >= 50) throw new RuntimeError(`exec in container ${id} ended without an exit code`, { retryable: true });
      await sleep(20);
    }
  }

  async createMemoryVolume(name: string, sizeBytes: number | undefined, labels: Record<string, string>): Promise<void> {
    const options: Docker.VolumeCreateOptions = {
      Name: name,
      Driver: 'local',
      // tmpfs mounts get mode 1777 by default, which matches emptyDir's world-writable 0777 intent.
      DriverOpts: { type: 'tmpfs', device: 'tmpfs', ...(sizeBytes !== undefined ? { o: `size=${Math.floor(sizeBytes)}` } : {}) },
      Labels: { ...labels },
    };
    await this.#request('volumeCreate', `create volume ${name}`, () => this.#docker.createVolume(options));
  }

  async removeVolume(name: string): Promise<void> {
    try {
      await this.#call('volumeRemove', () => this.#docker.getVolume(name).remove());
    } catch (e) {
      if (statusOf(e) === 404) return;
      throw toRuntimeError(`remove volume ${name}`, e);
    }
  }

  async listVolumes(labelFilter: string): Promise<string[]> {
    const res = await this.#request('volumeList', 'list volumes', () => this.#docker.listVolumes({ filters: { label: [labelFilter] } }));
    return (res.Volumes ?? []).map((v) => v.Name).sort();
  }

  async *events(signal: AbortSignal): AsyncGenerator<RuntimeEvent, void, undefined> {
    const stream = dockerEvents({
      docker: this.#docker,
      nodeName: this.#nodeName,
      signal,
      request: (open) => this.#call('events', open),
      ...(this.#logger ? { logger: this.#logger } : {}),
    });
    for await (const event of stream) {
      // An event may be a change the list's status text does not show (a restart in place).
      if (event.type === 'container') this.#inspected.delete(event.containerId);
      else this.#inspected.clear();
      yield event;
    }
  }

  async containerLogs(id: string, opts: { follow: boolean; tail?: number; sinceNanos?: bigint; timestamps: boolean }, signal: AbortSignal): Promise<NodeJS.ReadableStream> {
    const c = this.#docker.getContainer(id);
    // dockerode types `since` as a number; Docker parses it as text, and a fraction must carry all nine digits.
    const since = (opts.sinceNanos === undefined ? 0 : dockerTimestamp(opts.sinceNanos)) as number;
    const base = { stdout: true, stderr: true, timestamps: opts.timestamps, ...(opts.tail === undefined ? {} : { tail: opts.tail }), since, abortSignal: signal };
    if (opts.follow) return this.#request('containerLogs', `logs of container ${id}`, () => c.logs({ ...base, follow: true }));
    const buf: Buffer = await this.#request('containerLogs', `logs of container ${id}`, () => c.logs({ ...base, follow: false }));
    return Readable.from([buf]);
  }

  async execSession(id: string, opts: { cmd: readonly string[]; stdin: boolean; tty: boolean; consoleSize?: { cols: number; rows: number } }): Promise<{ stream: NodeJS.ReadWriteStream; resize(cols: number, rows: number): Promise<void>; exitCode(): Promise<number> }> {
    // ConsoleSize [rows, cols] (API 1.42+): the TTY starts at the client's size, before the first resize could land.
    const size = opts.tty && opts.consoleSize ? { ConsoleSize: [opts.consoleSize.rows, opts.consoleSize.cols] as [number, number] } : {};
    const exec = await this.#request('execCreate', `exec in container ${id}`, () =>
      this.#docker.getContainer(id).exec({ Cmd: [...opts.cmd], AttachStdin: opts.stdin, AttachStdout: true, AttachStderr: true, Tty: opts.tty, ...size }),
    );
    const stream = await this.#request('execStart', `exec in container ${id}`, () => exec.start({ hijack: true, stdin: opts.stdin, Tty: opts.tty }));
    return {
      stream: stream as unknown as NodeJS.ReadWriteStream,
      resize: async (cols, rows) => {
        await this.#call('execResize', () => exec.resize({ w: cols, h: rows })).catch(() => undefined);
      },
      exitCode: async () => {
        // The output can end a moment before Docker records the exit: ask again while it still says Running.
        for (let attempt = 0; ; attempt++) {
          const info = await this.#request('execInspect', `exec in container ${id}`, () => exec.inspect());
          if (!info.Running || attempt >= 20) return info.ExitCode ?? 0;
          await sleep(50);
        }
      },
    };
  }

  async attachSession(id: string, opts: { stdin: boolean }): Promise<{ stream: NodeJS.ReadWriteStream; multiplexed: boolean; resize(cols: number, rows: number): Promise<void> }> {
    const c = this.#docker.getContainer(id);
    const info = await this.#request('containerInspect', `attach to container ${id}`, () => c.inspect());
    const stream = await this.#request('containerAttach', `attach to container ${id}`, () =>
      c.attach({ stream: true, stdin: opts.stdin && info.Config.OpenStdin, stdout: true, stderr: true, hijack: true }),
    );
    return {
      stream,
      multiplexed: !info.Config.Tty,
      resize: async (cols, rows) => {
        await this.#call('containerResize', () => c.resize({ w: cols, h: rows })).catch(() => undefined);
      },
    };
  }

  /** cri-dockerd portForward: the sandbox must be running; its network namespace is entered through its PID. */
  async portForward(sandboxId: string, port: number, stream: Duplex): Promise<void> {
    const info = await this.#request('containerInspect', `inspect sandbox ${sandboxId}`, () => this.#docker.getContainer(sandboxId).inspect());
    if (!info.State.Running) throw new Error(`container not running (${info.Id})`);
    if (info.HostConfig.NetworkMode === 'host') return forwardOnHost(port, stream);
    return forwardInNetns(info.State.Pid, port, stream);
  }

  // --- images (the garbage collector's ImageStore) -------------------------------------------

  async listImages(): Promise<ListedImage[]> {
    const images = await this.#request('imageList', 'list images', () => this.#docker.listImages({ all: false }));
    return images.map((i) => ({
      id: i.Id,
      sizeBytes: i.Size,
      repoTags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>'),
      repoDigests: (i.RepoDigests ?? []).filter((d) => !d.startsWith('<none>@')),
    }));
  }

  async imagesInUse(): Promise<Set<string>> {
    // Every container, any state, whoever made it: an image a container needs is never removed.
    const containers = await this.#request('containerList', 'list containers', () => this.#docker.listContainers({ all: true }));
    return new Set(containers.map((c) => c.ImageID));
  }

  /** The filesystem of the engine's data root (cri-dockerd's ImageFsInfo reports the Docker root dir). */
  async imageFsStats(): Promise<{ capacity: number; available: number }> {
    const info = (await this.#request('info', 'read the docker engine info', () => this.#docker.info())) as { DockerRootDir?: string };
    const root = info.DockerRootDir || '/var/lib/docker';
    const s = await statfs(root);
    return { capacity: s.blocks * s.bsize, available: s.bavail * s.bsize };
  }

  /** cri-dockerd RemoveImage: each tag, then the image ID; already gone is fine. */
  async removeImage(image: ListedImage): Promise<void> {
    for (const ref of [...image.repoTags, image.id]) {
      try {
        await this.#call('imageRemove', () => this.#docker.getImage(ref).remove({ noprune: false }));
      } catch (e) {
        if (statusOf(e) === 404) continue;
        throw toRuntimeError(`remove image ${ref}`, e);
      }
    }
  }

  // --- internals -------------------------------------------------------------------------

  /** Log directory made, logpath label and json-file options added (kubelet + cri-dockerd create). */
  async #withLogs(spec: ContainerSpec, options: Docker.ContainerCreateOptions): Promise<Docker.ContainerCreateOptions> {
    if (!this.#containerLogs) return options;
    let logPath: string | undefined;
    try {
      logPath = await this.#containerLogs.podLogs.prepare(spec.labels);
    } catch (e) {
      throw new ContainerRunError('CreateContainerError', errorMessage(e), { retryable: true, cause: e });
    }
    return withContainerLog(options, this.#containerLogs.settings, logPath);
  }

  /** cri-dockerd createContainerLogSymlink plus the kubelet's legacy link, after the start. */
  async #linkLogs(id: string, labels: Readonly<Record<string, string>>): Promise<void> {
    if (!this.#containerLogs || labels[LOG_PATH_LABEL] === undefined) return;
    const started = performance.now();
    let dockerLogPath: string | undefined;
    try {
      const info = await this.#call('containerInspect', () => this.#docker.getContainer(id).inspect());
      dockerLogPath = info.LogPath || undefined;
    } catch (e) {
      this.#logger?.debug({ id, err: errorMessage(e) }, 'cannot read the container log path');
      return;
    }
    const linkMs = await this.#containerLogs.podLogs.link(id, labels, dockerLogPath);
    const round = (ms: number): number => Math.round(ms * 100) / 100;
    // One line per start: the cost (the inspect for Docker's LogPath plus the two links).
    this.#logger?.debug({ id: id.slice(0, 12), path: labels[LOG_PATH_LABEL], ms: round(performance.now() - started), linkMs: round(linkMs) }, 'container log linked');
  }

  /** Before a remove: the container's log links go first, while its labels can be read. */
  async #unlinkLogs(id: string): Promise<void> {
    if (!this.#containerLogs) return;
    let labels = this.#inspected.get(id)?.observed.labels;
    if (!labels) {
      try {
        labels = (await this.#call('containerInspect', () => this.#docker.getContainer(id).inspect())).Config.Labels ?? {};
      } catch {
        return; // gone, or the engine is away: the remove below reports it, and GC collects the links
      }
    }
    await this.#containerLogs.podLogs.unlink(id, labels);
  }

  /** Every Docker API request goes through here: counted (stats) and observed (metrics). */
  #call<T>(call: DockerCall, fn: () => Promise<T>): Promise<T> {
    this.#calls[call]++;
    return this.#observe ? this.#observe(call, fn) : fn();
  }

  /** A request whose engine errors become RuntimeErrors (aborts pass through). */
  async #request<T>(call: DockerCall, what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await this.#call(call, fn);
    } catch (e) {
      if (isAbortError(e)) throw e;
      throw toRuntimeError(what, e);
    }
  }

  async #inspect(id: string): Promise<ObservedContainer | undefined> {
    try {
      const info = await this.#call('containerInspect', () => this.#docker.getContainer(id).inspect());
      return this.#ours(info);
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw toRuntimeError(`inspect container ${id}`, e);
    }
  }

  /** Decoded only when it is nodelet's and this node's (another agent may share the engine). */
  #ours(info: InspectJson): ObservedContainer | undefined {
    const observed = fromInspect(info);
    if (!observed || observed.labels[LABELS.node] !== this.#nodeName) return undefined;
    return observed;
  }

  async #create(options: Docker.ContainerCreateOptions): Promise<Docker.Container> {
    return this.#call('containerCreate', () => this.#docker.createContainer(options));
  }

  /**
   * After a name conflict: removes the container holding `name` when it is a dead leftover of
   * ours (cri-dockerd does the same for a container that is not running). Returns whether it
   * did, so the create can be retried.
   */
  async #removeDeadNamesake(name: string): Promise<boolean> {
    let info: Docker.ContainerInspectInfo;
    try {
      info = await this.#call('containerInspect', () => this.#docker.getContainer(name).inspect());
    } catch (e) {
      return statusOf(e) === 404; // it went away meanwhile: just try again
    }
    const observed = this.#ours(info);
    if (!observed || info.State.Running) return false;
    await this.removeContainer(info.Id);
    return true;
  }

  async #imageInfo(image: string): Promise<{ id: string; size: number; user: string } | undefined> {
    try {
      const info = await this.#call('imageInspect', () => this.#docker.getImage(image).inspect());
      return { id: info.Id, size: info.Size, user: info.Config.User ?? '' };
    } catch (e) {
      const status = statusOf(e);
      if (status === 404) return undefined;
      if (status === 400) throw new ImagePullError('InvalidImageName', image, dockerMessage(e), { retryable: false, cause: e });
      throw toRuntimeError(`inspect image ${image}`, e);
    }
  }

  /** Pulls of one reference share one pull; resolves with its duration (ms, without the slot wait). */
  async #pullCoalesced(ref: string, image: string, onProgress?: (line: string) => void): Promise<number> {
    let inFlight = this.#pulls.get(ref);
    if (!inFlight) {
      const listeners = new Set<(line: string) => void>();
      const done = this.#pullLimiter
        .run(() => this.#pullWithCredentials(ref, image, (line) => {
          for (const listener of listeners) listener(line);
        }))
        .finally(() => this.#pulls.delete(ref));
      inFlight = { done, listeners };
      this.#pulls.set(ref, inFlight);
    }
    if (onProgress) inFlight.listeners.add(onProgress);
    try {
      return await inFlight.done;
    } finally {
      if (onProgress) inFlight.listeners.delete(onProgress);
    }
  }

  /**
   * kuberuntime_image.go PullImage: anonymous when the keyring has nothing for the image,
   * else each matching credential in turn until one pull succeeds; all failed → their
   * errors aggregated as utilerrors.NewAggregate prints them.
   */
  async #pullWithCredentials(ref: string, image: string, progress: (line: string) => void): Promise<number> {
    const started = performance.now();
    const creds = this.#credentials ? await this.#credentials(repositoryOf(ref)) : [];
    if (creds.length === 0) {
      await this.#pull(ref, image, undefined, progress);
      return this.#pullDone(ref, started);
    }
    const failures: ImagePullError[] = [];
    for (const cred of creds) {
      try {
        this.#logger?.debug({ image: ref, authSource: `${cred.origin.source} ${cred.origin.key}` }, 'pulling with credentials');
        await this.#pull(ref, image, cred.auth, progress);
        return this.#pullDone(ref, started);
      } catch (e) {
        if (!(e instanceof ImagePullError)) throw e;
        failures.push(e);
      }
    }
    const messages = [...new Set(failures.map((f) => f.message))];
    const message = messages.length === 1 ? (messages[0] ?? '') : `[${messages.join(', ')}]`;
    throw new ImagePullError('ErrImagePull', image, message, { retryable: true, cause: failures[0] });
  }

  /** Logged while the pull still holds its slot: the line that marks where a serialized pull ends. */
  #pullDone(ref: string, started: number): number {
    const ms = performance.now() - started;
    this.#logger?.debug({ image: ref, pullMs: Math.round(ms) }, 'image pull finished');
    return ms;
  }

  async #pull(ref: string, image: string, auth: RegistryAuth | undefined, progress: (line: string) => void): Promise<void> {
    this.#logger?.debug({ image: ref, authenticated: auth !== undefined }, 'pulling image');
    let stream: Readable;
    try {
      // dockerode sends `authconfig` base64-encoded in X-Registry-Auth, as cri-dockerd does.
      const create = this.#docker.createImage.bind(this.#docker) as (auth: RegistryAuth | undefined, opts: { fromImage: string }) => Promise<unknown>;
      stream = (await this.#call('imagePull', () => (auth ? create({ ...auth }, { fromImage: ref }) : this.#docker.createImage({ fromImage: ref })))) as unknown as Readable;
    } catch (e) {
      if (isConnectionError(e)) throw toRuntimeError(`pull image ${ref}`, e);
      throw new ImagePullError('ErrImagePull', image, `Error response from daemon: ${dockerMessage(e)}`, { retryable: true, cause: e });
    }
    let failure: string | undefined;
    try {
      for await (const message of jsonLines(stream)) {
        const line = progressLine(message);
        if (line.error) failure = line.error;
        else if (line.text) progress(line.text);
      }
    } catch (e) {
      throw new ImagePullError('ErrImagePull', image, `image pull interrupted: ${errorMessage(e)}`, { retryable: true, cause: e });
    }
    if (failure !== undefined) throw new ImagePullError('ErrImagePull', image, failure, { retryable: true });
  }

  async #collectExecOutput(stream: Readable, signal: AbortSignal): Promise<{ stdout: string; stderr: string }> {
    const stdout = new LimitedSink(EXEC_OUTPUT_LIMIT);
    const stderr = new LimitedSink(EXEC_OUTPUT_LIMIT);
    const outStream = new PassThrough();
    const errStream = new PassThrough();
    outStream.on('data', (chunk: Buffer) => stdout.push(chunk));
    errStream.on('data', (chunk: Buffer) => stderr.push(chunk));
    this.#docker.modem.demuxStream(stream, outStream, errStream);
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        stream.destroy();
        reject(abortError(signal));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      const finish = (err?: Error): void => {
        signal.removeEventListener('abort', onAbort);
        if (err && !signal.aborted) reject(err);
        else resolve();
      };
      stream.once('end', () => finish());
      stream.once('close', () => finish());
      stream.once('error', (err) => finish(err));
    });
    return { stdout: stdout.text(), stderr: stderr.text() };
  }
}

/**
 * Lowers the spec, reading a Localhost seccomp profile first (as cri-dockerd does at create
 * time). Anything wrong here is the spec's fault: a non-retryable CreateContainerError.
 */
async function createOptions(spec: ContainerSpec, ctx: { sandboxId?: string }): Promise<Docker.ContainerCreateOptions> {
  const profilePath = localhostSeccompPath(spec);
  let seccompProfile: string | undefined;
  if (profilePath !== undefined) {
    try {
      seccompProfile = await readFile(profilePath, 'utf8');
    } catch (e) {
      throw new ContainerRunError('CreateContainerError', `cannot load seccomp profile ${JSON.stringify(profilePath)}: ${goPathError(e, profilePath)}`, { retryable: false, cause: e });
    }
  }
  try {
    return toCreateOptions(spec, { ...ctx, ...(seccompProfile !== undefined ? { seccompProfile } : {}) });
  } catch (e) {
    throw new ContainerRunError('CreateContainerError', errorMessage(e), { retryable: false, cause: e });
  }
}

class LimitedSink {
  readonly #chunks: Buffer[] = [];
  #size = 0;
  constructor(private readonly limit: number) {}
  push(chunk: Buffer): void {
    const room = this.limit - this.#size;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.#chunks.push(part);
    this.#size += part.length;
  }
  text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }
}

/** One line of Docker's pull progress: an error, or text for the caller's log. */
function progressLine(message: unknown): { error?: string; text?: string } {
  if (typeof message !== 'object' || message === null) return {};
  const m = message as { error?: unknown; errorDetail?: { message?: unknown }; status?: unknown; id?: unknown; progress?: unknown };
  if (typeof m.errorDetail?.message === 'string' && m.errorDetail.message) return { error: m.errorDetail.message };
  if (typeof m.error === 'string' && m.error) return { error: m.error };
  const parts = [m.id, m.status, m.progress].filter((p): p is string => typeof p === 'string' && p !== '');
  return parts.length > 0 ? { text: parts.join(' ') } : {};
}

/** Docker's `<seconds>.<nanoseconds>` timestamp (api/types/time ParseTimestamps reads the fraction as nanoseconds). */
export function dockerTimestamp(nanos: bigint): string {
  const seconds = nanos / 1_000_000_000n;
  return `${seconds}.${String(nanos % 1_000_000_000n).padStart(9, '0')}`;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

// --- error mapping ---------------------------------------------------------------------------

/** Socket-level failures: the engine is not there (yet); callers back off and retry. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'EACCES']);

function statusOf(e: unknown): number | undefined {
  const status = typeof e === 'object' && e !== null ? (e as { statusCode?: unknown }).statusCode : undefined;
  return typeof status === 'number' ? status : undefined;
}

function isConnectionError(e: unknown): boolean {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  return e instanceof Error && statusOf(e) === undefined && /socket hang up/i.test(e.message);
}

function isRetryable(e: unknown): boolean {
  const status = statusOf(e);
  return isConnectionError(e) || (status !== undefined && status >= 500);
}

function isAbortError(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
}

/** Docker's own message (the JSON body's `message`) rather than dockerode's "(HTTP code …)" wrapper. */
function dockerMessage(e: unknown): string {
  if (typeof e === 'object' && e !== null) {
    const json = (e as { json?: unknown }).json;
    if (typeof json === 'object' && json !== null && typeof (json as { message?: unknown }).message === 'string') {
      return (json as { message: string }).message;
    }
    if (typeof json === 'string' && json.trim()) return json.trim();
  }
  // Streamed endpoints (pull, events) leave `json` empty: unwrap "(HTTP code 500) server error - <message>".
  const message = errorMessage(e).trim();
  return /^\(HTTP code \d+\) [^]*? - ([^]*)$/.exec(message)?.[1]?.trim() || message;
}

function toRuntimeError(what: string, e: unknown): RuntimeError {
  if (e instanceof RuntimeError) return e;
  const status = statusOf(e);
  let code: ErrorCode = 'NLT_RUNTIME';
  if (isConnectionError(e)) code = 'NLT_RUNTIME_UNAVAILABLE';
  else if (status === 404) code = 'NLT_NOT_FOUND';
  return new RuntimeError(`${what}: ${dockerMessage(e)}`, { retryable: isRetryable(e), code, cause: e });
}

/** kubelet's CreateContainerError carries the runtime's error text as Docker's CLI prints it. */
function createError(e: unknown): RuntimeError {
  if (isConnectionError(e)) return toRuntimeError('create container', e);
  return new ContainerRunError('CreateContainerError', `Error response from daemon: ${dockerMessage(e)}`, { retryable: isRetryable(e), cause: e });
}
