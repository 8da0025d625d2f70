// The one port through which the sync loop touches containers. It speaks nodelet's own types
// (ContainerSpec in, ObservedPod out), so the planner and workers never see dockerode, and a
// deterministic in-memory runtime can stand in for Docker in unit tests.
import type { Duplex } from 'node:stream';
import { RuntimeError } from '../core/errors.js';
import type { ContainerSpec, ObservedContainer, ObservedPod } from '../core/runtime-types.js';

export type ImagePullPolicy = 'Always' | 'IfNotPresent' | 'Never';

export interface EnsureImageHooks {
  readonly onPullStart?: () => void;
  readonly onProgress?: (line: string) => void;
}

export interface EnsureImageResult {
  readonly pulled: boolean;
  readonly imageId: string;
  /** The pull itself, without the wait for a pull slot (the kubelet's pullDuration). */
  readonly pullMs?: number;
  /** The image's size as the engine reports it (the Pulled event's "Image size"). */
  readonly sizeBytes?: number;
  /** The image's `Config.User`, from the same inspect (spares imageUser's second read). */
  readonly user?: string;
}

export interface PodRuntime {
  ping(signal?: AbortSignal): Promise<void>;
  version(): Promise<{ version: string; apiVersion: string }>;
  /**
   * Every container carrying io.nodelet.managed=true and io.nodelet.node=<node>, any state,
   * grouped by pod UID. One list call; inspect only containers that are new or whose state
   * changed since the last call, so an idle relist costs ~1 request. `podUid` narrows the
   * list to one pod (the worker's re-observe after acting).
   */
  listPods(filter?: { podUid?: string }): Promise<ObservedPod[]>;
  inspectContainer(id: string): Promise<ObservedContainer | undefined>;
  /**
   * 'IfNotPresent' pulls only when absent; 'Never' fails with ErrImageNeverPull when absent;
   * 'Always' pulls. onPullStart runs once a pull is decided (before any wait for a pull slot:
   * the kubelet's Pulling event), progress lines go to onProgress. Errors are ImagePullError
   * (code NLT_IMAGE_PULL) with a kubelet `reason`. Concurrent pulls of one image are coalesced.
   */
  ensureImage(image: string, policy: ImagePullPolicy, hooks?: EnsureImageHooks): Promise<EnsureImageResult>;
  /**
   * The image's `Config.User` ('' when it names nobody), read at each container start as the
   * kubelet's getImageUser reads ImageStatus, for runAsNonRoot and runAsGroup. `imageId` is
   * what ensureImage returned.
   */
  imageUser(imageId: string): Promise<string>;
  /**
   * create + start; returns the container ID. A name conflict with a dead leftover of ours is
   * resolved by removing it. Failures are ContainerRunError ('CreateContainerError' before the
   * container exists, 'RunContainerError' when it exists but did not start).
   */
  runContainer(spec: ContainerSpec, ctx: { sandboxId?: string }): Promise<string>;
  /** docker stop -t grace (SIGTERM, then SIGKILL); 'not running'/'not found' are not errors. */
  stopContainer(id: string, graceSeconds: number): Promise<void>;
  /** Force, with anonymous volumes; not-found is fine. */
  removeContainer(id: string): Promise<void>;
  /** Runs `cmd` in the container; ExecTimeoutError when it outlives timeoutMs. */
  exec(id: string, cmd: readonly string[], opts: { timeoutMs: number; signal?: AbortSignal }): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  /** Local driver, type=tmpfs (emptyDir medium Memory); idempotent. */
  createMemoryVolume(name: string, sizeBytes: number | undefined, labels: Record<string, string>): Promise<void>;
  /** Not-found is fine. */
  removeVolume(name: string): Promise<void>;
  /** Names of volumes matching a Docker label filter ("key" or "key=value"). */
  listVolumes(labelFilter: string): Promise<string[]>;
  /**
   * Container lifecycle events of our containers for this node, with pod UID from labels.
   * Reconnects forever with capped backoff (1 s → 30 s) when the engine goes away, emitting
   * { type: 'disconnected' } and { type: 'reconnected' } so the caller relists. Ends when the
   * signal aborts.
   */
  events(signal: AbortSignal): AsyncIterable<RuntimeEvent>;
}

/** Streams for the CLI (logs, exec -it); kept apart from PodRuntime, which the sync loop uses. */
export interface ContainerStreams {
  /**
   * Docker's log stream: multiplexed frames unless the container has a TTY. `sinceNanos`: only
   * lines from this time on (epoch nanoseconds; Docker takes `<seconds>.<nanoseconds>`).
   */
  containerLogs(id: string, opts: { follow: boolean; tail?: number; sinceNanos?: bigint; timestamps: boolean }, signal: AbortSignal): Promise<NodeJS.ReadableStream>;
  /** An interactive exec: the hijacked stream, resize, and the exit code once it ended. */
  execSession(id: string, opts: { cmd: readonly string[]; stdin: boolean; tty: boolean; consoleSize?: { cols: number; rows: number } }): Promise<{
    stream: NodeJS.ReadWriteStream;
    resize(cols: number, rows: number): Promise<void>;
    exitCode(): Promise<number>;
  }>;
  /**
   * docker attach, hijacked: writes go to the container's stdin (when it has one), reads are its
   * output from now on, multiplexed unless the container has a TTY (`multiplexed` says which).
   */
  attachSession(id: string, opts: { stdin: boolean }): Promise<{ stream: NodeJS.ReadWriteStream; multiplexed: boolean; resize(cols: number, rows: number): Promise<void> }>;
  /**
   * Copies `stream` to and from 127.0.0.1:`port` inside the sandbox's network namespace (the
   * host's for a host-network sandbox) until the connection is over; rejects with the reason the
   * connection failed (cri-dockerd's portForward).
   */
  portForward(sandboxId: string, port: number, stream: Duplex): Promise<void>;
}

export type ContainerEventAction = 'start' | 'die' | 'oom' | 'destroy' | 'create';

export type RuntimeEvent =
  | { type: 'container'; action: ContainerEventAction; podUid: string; containerId: string; at: number }
  | { type: 'disconnected'; error: string }
  | { type: 'reconnected' };

/** kubelet's waiting reasons for image problems (pkg/kubelet/images/types.go). */
export type ImagePullReason = 'ErrImagePull' | 'ErrImageNeverPull' | 'InvalidImageName';

/** An image could not be made present; `message` is the kubelet-worded waiting message. */
export class ImagePullError extends RuntimeError {
  readonly reason: ImagePullReason;
  readonly image: string;
  constructor(reason: ImagePullReason, image: string, message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, { retryable: options.retryable, code: 'NLT_IMAGE_PULL', cause: options.cause });
    this.name = 'ImagePullError';
    this.reason = reason;
    this.image = image;
  }
}

/** kubelet's sync errors for a container that could not be created or started. */
export type ContainerRunReason = 'CreateContainerError' | 'RunContainerError';

export class ContainerRunError extends RuntimeError {
  readonly reason: ContainerRunReason;
  /** Set for RunContainerError: the created container that failed to start (left in place). */
  readonly containerId?: string;
  constructor(reason: ContainerRunReason, message: string, options: { retryable: boolean; containerId?: string; cause?: unknown }) {
    super(message, { retryable: options.retryable, cause: options.cause });
    this.name = 'ContainerRunError';
    this.reason = reason;
    this.containerId = options.containerId;
  }
}

/** An exec outlived its timeout (the process may still run: Docker cannot kill an exec). */
export class ExecTimeoutError extends RuntimeError {
  readonly timeoutMs: number;
  constructor(message: string, timeoutMs: number) {
    super(message, { retryable: false });
    this.name = 'ExecTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}
