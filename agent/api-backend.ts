// The agent's side of the local API: views built from the agent's state, and the log/exec
// streams through the Docker adapter. The API server (api/server.ts) only sees this port.
import type { Node, NodeCondition, Pod } from 'kubernetes-types/core/v1.js';
import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { DaemonSetEditRequest } from './daemonset/controller.js';
import type { DaemonSetRevision } from './daemonset/revisions.js';
import { toNodeObject } from './node/node-model.js';
import { nodeStatusWith } from './node/node-status.js';
import { reportingAnnotations, type ReportingState } from './mirror/reporting-state.js';
import type { HostFacts } from './node/host-facts.js';
import type { Duplex } from 'node:stream';
import { ApiError, type ApiBackend, type AttachOptions, type AttachSession, type ExecOptions, type ExecSession, type LogOptions } from './api/backend.js';
import type { Agent } from './agent.js';
import type { EventStore, NodeletEvent } from './events/event-store.js';
import type { ContainerStreams } from './runtime/pod-runtime.js';
import type { FileStatus } from './core/types.js';
import type { ObservedContainer, ObservedPod } from './core/runtime-types.js';
import { apiTime, parseRfc3339 } from './core/time-format.js';
import { NO_PLUGINS, withPlugins, type NodePluginState } from './plugins/node-plugins.js';
import { csiNodeObject, type CsiNode } from './plugins/registration.js';
import { notFoundMessage } from './api/kube-status.js';

export interface BackendDeps {
  readonly agent: Agent;
  readonly events: EventStore;
  readonly streams: ContainerStreams;
  readonly nodeName: string;
  readonly version: string;
  /** What the host is (the same facts the API server reporter sends). */
  readonly host: HostFacts;
  /** Whether and how the Node is reported to an API server. */
  readonly reporting: () => ReportingState;
  /** The node's conditions as the node status tick stored them (node/node-conditions.ts). */
  readonly nodeConditions: () => readonly NodeCondition[];
  readonly startedAt: number;
  /** Registered CSI drivers and device plugin resources (plugins/plugin-manager.ts). */
  readonly plugins?: () => NodePluginState;
}

export class AgentApiBackend implements ApiBackend {
  readonly #d: BackendDeps;

  constructor(deps: BackendDeps) {
    this.#d = deps;
  }

  nodeName(): string {
    return this.#d.nodeName;
  }

  listPods(): Pod[] {
    return this.#d.agent.pods();
  }

  listEvents(): NodeletEvent[] {
    return this.#d.events.list();
  }

  manifests(): FileStatus[] {
    return this.#d.agent.fileStatuses();
  }

  observedPods(): ObservedPod[] {
    return this.#d.agent.observedPods();
  }

  node(): Node {
    // Labels and taints: automatic, config, then `nodelet label|taint node` (the agent's node identity).
    // The status is built as the reporter builds the one it sends to an API server; the conditions
    // are the stored ones, so their transition times are those of the changes, not of this read.
    const node = toNodeObject(this.#d.agent.nodeIdentity(), {
      creationTimestamp: apiTime(this.#d.startedAt),
      annotations: reportingAnnotations(this.#d.reporting()),
      status: nodeStatusWith(this.#d.host.facts(), [...this.#d.nodeConditions()]),
    });
    return withPlugins(node, this.#d.plugins?.() ?? NO_PLUGINS);
  }

  /** The node's CSINode, as the kubelet's nodeinfomanager would keep it in a cluster. */
  csiNode(): CsiNode {
    return csiNodeObject(this.#d.nodeName, this.#d.plugins?.().csiDrivers ?? []);
  }

  listDaemonSets(): DaemonSet[] {
    return this.#d.agent.daemonSets.daemonSets();
  }

  listControllerRevisions(): ControllerRevision[] {
    return this.#d.agent.daemonSets.controllerRevisions();
  }

  daemonSetRevisions(namespace: string, name: string): DaemonSetRevision[] {
    const revs = this.#d.agent.daemonSets.revisions(namespace, name);
    if (!revs) throw new ApiError(404, notFoundMessage('daemonsets.apps', name));
    return revs;
  }

  async editDaemonSet(namespace: string, name: string, request: DaemonSetEditRequest, changeCause?: string): Promise<string> {
    const out = await this.#d.agent.daemonSets.edit(namespace, name, request, changeCause);
    if (!out.ok) throw new ApiError(out.notFound ? 404 : 400, out.error);
    return out.message;
  }

  async labelNode(specs: readonly string[], overwrite: boolean): Promise<{ message: string; notices: readonly string[] }> {
    const out = await this.#d.agent.node.label(specs, overwrite);
    if (!out.ok) throw new ApiError(400, out.error);
    return { message: out.message, notices: out.notices };
  }

  async taintNode(specs: readonly string[], overwrite: boolean): Promise<{ message: string }> {
    const out = await this.#d.agent.node.taint(specs, overwrite);
    if (!out.ok) throw new ApiError(400, out.error);
    return { message: out.message };
  }

  async logs(namespace: string, pod: string, opts: LogOptions, signal: AbortSignal): Promise<NodeJS.ReadableStream> {
    const c = this.#container(namespace, pod, opts.container, opts.previous);
    const sinceNanos = logsSince(opts, Date.now());
    return this.#d.streams.containerLogs(c.id, { follow: opts.follow && !opts.previous, tail: opts.tailLines, ...(sinceNanos === undefined ? {} : { sinceNanos }), timestamps: opts.timestamps }, signal);
  }

  async exec(namespace: string, pod: string, opts: ExecOptions): Promise<ExecSession> {
    const c = this.#container(namespace, pod, opts.container, false);
    if (c.state !== 'running') throw new ApiError(400, `container ${opts.container} is not running`);
    const session = await this.#d.streams.execSession(c.id, { cmd: opts.command, stdin: opts.stdin, tty: opts.tty, ...(opts.consoleSize ? { consoleSize: opts.consoleSize } : {}) });
    return session;
  }

  async attach(namespace: string, pod: string, opts: AttachOptions): Promise<AttachSession> {
    const c = this.#container(namespace, pod, opts.container, false);
    if (c.state !== 'running') throw new ApiError(400, `container ${opts.container} is not running`);
    return this.#d.streams.attachSession(c.id, { stdin: opts.stdin });
  }

  /** cri-dockerd PortForward: through the pod's running sandbox. */
  async portForward(namespace: string, pod: string, port: number, stream: Duplex): Promise<void> {
    const uid = this.#uid(namespace, pod);
    const sandboxes = this.#d.agent.observedPod(uid)?.sandboxes ?? [];
    const sandbox = sandboxes.find((s) => s.state === 'running') ?? sandboxes[0];
    if (!sandbox) throw new Error(`pod sandbox of ${namespace}/${pod} not found`);
    await this.#d.streams.portForward(sandbox.id, port, stream);
  }

  async deletePod(namespace: string, pod: string): Promise<void> {
    const uid = this.#uid(namespace, pod);
    await this.#d.agent.restartPod(uid);
  }

  ready(): boolean {
    return this.#d.agent.synced && this.#d.agent.runtimeHealthy;
  }

  healthy(): { ok: boolean; reason?: string } {
    return this.#d.agent.runtimeHealthy ? { ok: true } : { ok: false, reason: 'Docker Engine unreachable' };
  }

  #uid(namespace: string, name: string): string {
    const pod = this.#d.agent.desiredPods().find((d) => d.namespace === namespace && d.name === name);
    if (!pod) throw new ApiError(404, notFoundMessage('pods', name));
    return pod.uid;
  }

  /** Which container instance logs/exec address, with kubelet's rules (validateContainerLogStatus). */
  #container(namespace: string, pod: string, container: string, previous: boolean): ObservedContainer {
    const uid = this.#uid(namespace, pod);
    const view = this.#d.agent.pod(uid);
    const statuses = [...(view?.status?.initContainerStatuses ?? []), ...(view?.status?.containerStatuses ?? [])];
    const status = statuses.find((s) => s.name === container);
    const last = status?.lastState?.terminated?.containerID;
    let id: string | undefined;
    if (previous) {
      if (!last) throw new ApiError(400, `previous terminated container "${container}" in pod "${pod}" not found`);
      id = last;
    } else {
      id = status?.state?.running ? status.containerID : (status?.state?.terminated?.containerID ?? last);
      const waiting = status?.state?.waiting;
      if (!id && waiting) {
        const why =
          waiting.reason === 'ErrImagePull' ? "image can't be pulled" : waiting.reason === 'ImagePullBackOff' ? 'trying and failing to pull image' : waiting.reason;
        throw new ApiError(400, `container "${container}" in pod "${pod}" is waiting to start: ${why}`);
      }
    }
    const bare = id?.replace(/^docker:\/\//, '');
    const observed = this.#d.agent.observedPod(uid)?.containers.find((c) => c.id === bare);
    if (!observed) throw new ApiError(400, `container "${container}" in pod "${pod}" is waiting to start: ContainerCreating`);
    return observed;
  }
}

/** kubelet newLogOptions: since = now - sinceSeconds or sinceTime, the later one when both are set (epoch ns). */
export function logsSince(opts: Pick<LogOptions, 'sinceSeconds' | 'sinceTime'>, nowMs: number): bigint | undefined {
  const fromSeconds = opts.sinceSeconds === undefined ? undefined : BigInt(nowMs - opts.sinceSeconds * 1000) * 1_000_000n;
  const fromTime = opts.sinceTime === undefined ? undefined : parseRfc3339(opts.sinceTime);
  if (fromSeconds === undefined) return fromTime;
  if (fromTime === undefined) return fromSeconds;
  return fromSeconds > fromTime ? fromSeconds : fromTime;
}
