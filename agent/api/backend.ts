// What the agent offers to the local API. The API server only ever talks to this port, so it can
// be exercised against an in-memory implementation, and the agent decides where each view comes
// from (status cache, event store, manifest source, Docker).
import type { Duplex } from 'node:stream';
import type { CsiNode } from '../plugins/registration.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { DaemonSetRevision } from '../daemonset/revisions.js';
import type { DaemonSetEditRequest } from '../daemonset/controller.js';
import type { FileStatus } from '../core/types.js';
import type { ObservedPod } from '../core/runtime-types.js';
import type { NodeletEvent } from '../events/event-store.js';

export interface LogOptions {
  readonly container: string;
  readonly follow: boolean;
  readonly previous: boolean;
  readonly tailLines?: number;
  readonly sinceSeconds?: number;
  /** RFC3339 (PodLogOptions.sinceTime): lines older than this are skipped. */
  readonly sinceTime?: string;
  /** Stop after this many bytes of output; the last line may be cut (PodLogOptions.limitBytes). */
  readonly limitBytes?: number;
  readonly timestamps: boolean;
}

export interface ExecOptions {
  readonly container: string;
  readonly command: readonly string[];
  readonly stdin: boolean;
  readonly tty: boolean;
  /** The TTY's size at creation, when the client already sent one (Docker ConsoleSize). */
  readonly consoleSize?: { readonly cols: number; readonly rows: number };
}

/** A started exec (docker exec create + start, hijacked). */
export interface ExecSession {
  /**
   * The hijacked connection: writes go to the process's stdin, ending it closes stdin. Reads are
   * the raw terminal output when the exec has a TTY, Docker's multiplexed frames otherwise (the
   * API server demultiplexes them).
   */
  readonly stream: NodeJS.ReadWriteStream;
  resize(cols: number, rows: number): Promise<void>;
  /** The process's exit code, asked once the stream has ended. */
  exitCode(): Promise<number>;
}

export interface AttachOptions {
  readonly container: string;
  readonly stdin: boolean;
}

/** A started attach (docker attach, hijacked). */
export interface AttachSession {
  /** Writes go to the container's stdin; reads are its output from now on. */
  readonly stream: NodeJS.ReadWriteStream;
  /** Docker's multiplexed frames (the container has no TTY) or raw terminal output. */
  readonly multiplexed: boolean;
  resize(cols: number, rows: number): Promise<void>;
}

export interface ApiBackend {
  nodeName(): string;
  /** v1 Pods with status, as kubectl would receive them. */
  listPods(): Pod[];
  listEvents(): NodeletEvent[];
  /** v1 Node: labels, taints, conditions, nodeInfo. */
  node(): Node;
  /** The node's CSINode (registered CSI drivers); absent in backends without plugin registration. */
  csiNode?(): CsiNode;
  manifests(): FileStatus[];
  /** What Docker holds of each pod (containers, their PIDs): the stats of the kubelet endpoint read it. */
  observedPods?(): ObservedPod[];
  /**
   * The container's log stream as Docker gives it: multiplexed frames unless the container has a
   * TTY (the API server demultiplexes by the pod spec's `tty`). The pod and the container have
   * been checked by the API server; throws ApiError(404/400) for what only the backend can know
   * (no previous instance, the container never started). Aborting `signal` ends a follow.
   */
  logs(namespace: string, pod: string, opts: LogOptions, signal: AbortSignal): Promise<NodeJS.ReadableStream>;
  exec(namespace: string, pod: string, opts: ExecOptions): Promise<ExecSession>;
  /** kubectl attach through the kubelet endpoint; absent in backends without it. */
  attach?(namespace: string, pod: string, opts: AttachOptions): Promise<AttachSession>;
  /**
   * kubectl port-forward through the kubelet endpoint: relays `stream` to 127.0.0.1:`port` in
   * the pod's network namespace until the connection is over; rejects with why it failed.
   */
  portForward?(namespace: string, pod: string, port: number, stream: Duplex): Promise<void>;
  deletePod(namespace: string, pod: string): Promise<void>;
  /** First sync done and Docker reachable. */
  ready(): boolean;
  healthy(): { ok: boolean; reason?: string };
  // DaemonSets and node edits (optional: a backend without them answers 404).
  /** apps/v1 DaemonSets with generation and status. */
  listDaemonSets?(): DaemonSet[];
  listControllerRevisions?(): ControllerRevision[];
  /** The stored revisions of one DaemonSet; ApiError(404) when there is no such DaemonSet. */
  daemonSetRevisions?(namespace: string, name: string): DaemonSetRevision[];
  /** rollout undo|restart, set image: rewrites the manifest; resolves with kubectl's message. */
  editDaemonSet?(namespace: string, name: string, request: DaemonSetEditRequest, changeCause?: string): Promise<string>;
  /** label node / taint node: ApiError(400) with kubectl's message when refused. */
  labelNode?(specs: readonly string[], overwrite: boolean): Promise<{ message: string; notices: readonly string[] }>;
  taintNode?(specs: readonly string[], overwrite: boolean): Promise<{ message: string }>;
}

/** An error the API returns to the client as a Kubernetes Status with this HTTP code. */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
    this.name = 'ApiError';
  }
}
