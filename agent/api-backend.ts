// The agent's side of the local API: views built from the agent's state, and the log/exec
// streams through the Docker adapter. The API server (api/server.ts) only sees this port.
import { arch, cpus, release, totalmem, hostname } from 'node:os';
import type { Node, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { ApiError, type ApiBackend, type ExecOptions, type ExecSession, type LogOptions } from './api/backend.js';
import type { Agent } from './agent.js';
import type { EventStore, NodeletEvent } from './events/event-store.js';
import type { ContainerStreams } from './runtime/pod-runtime.js';
import type { FileStatus } from './core/types.js';
import type { ObservedContainer } from './core/runtime-types.js';

export interface BackendDeps {
  readonly agent: Agent;
  readonly events: EventStore;
  readonly streams: ContainerStreams;
  readonly nodeName: string;
  readonly version: string;
  readonly hostIPs: readonly string[];
  readonly dockerVersion: () => string | undefined;
  readonly startedAt: number;
  /** Node labels and taints (issue 5 makes them editable). */
  readonly nodeLabels: () => Readonly<Record<string, string>>;
  readonly nodeTaints: () => Taint[];
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

  node(): Node {
    const ready = this.#d.agent.runtimeHealthy;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const created = new Date(this.#d.startedAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: this.#d.nodeName,
        creationTimestamp: created,
        labels: {
          'kubernetes.io/hostname': this.#d.nodeName,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': goArch(arch()),
          ...this.#d.nodeLabels(),
        },
      },
      spec: { taints: this.#d.nodeTaints() },
      status: {
        addresses: [...this.#d.hostIPs.map((a) => ({ type: 'InternalIP', address: a })), { type: 'Hostname', address: hostname() }],
        capacity: { cpu: String(cpus().length), memory: `${Math.floor(totalmem() / 1024)}Ki`, pods: '110' },
        allocatable: { cpu: String(cpus().length), memory: `${Math.floor(totalmem() / 1024)}Ki`, pods: '110' },
        conditions: [
          {
            type: 'Ready',
            status: ready ? 'True' : 'False',
            reason: ready ? 'KubeletReady' : 'ContainerRuntimeUnavailable',
            message: ready ? 'nodelet is posting ready status' : 'container runtime (Docker) is not reachable',
            lastHeartbeatTime: now,
          },
        ],
        nodeInfo: {
          architecture: goArch(arch()),
          operatingSystem: 'linux',
          kernelVersion: release(),
          osImage: 'Linux',
          containerRuntimeVersion: `docker://${this.#d.dockerVersion() ?? 'unknown'}`,
          kubeletVersion: `nodelet/v${this.#d.version}`,
          kubeProxyVersion: '',
          bootID: '',
          machineID: '',
          systemUUID: '',
        },
      },
    };
  }

  async logs(namespace: string, pod: string, opts: LogOptions, signal: AbortSignal): Promise<NodeJS.ReadableStream> {
    const c = this.#container(namespace, pod, opts.container, opts.previous);
    return this.#d.streams.containerLogs(c.id, { follow: opts.follow && !opts.previous, tail: opts.tailLines, since: opts.sinceSeconds === undefined ? undefined : Math.floor(Date.now() / 1000) - opts.sinceSeconds, timestamps: opts.timestamps }, signal);
  }

  async exec(namespace: string, pod: string, opts: ExecOptions): Promise<ExecSession> {
    const c = this.#container(namespace, pod, opts.container, false);
    if (c.state !== 'running') throw new ApiError(400, `container ${opts.container} is not running`);
    const session = await this.#d.streams.execSession(c.id, { cmd: opts.command, stdin: opts.stdin, tty: opts.tty });
    return session;
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
    if (!pod) throw new ApiError(404, `pods "${name}" not found`);
    return pod.uid;
  }

  /** Which container instance logs/exec address, with kubelet's rules (validateContainerLogStatus). */
  #container(namespace: string, pod: string, container: string, previous: boolean): ObservedContainer {
    const uid = this.#uid(namespace, pod);
    const view = this.#d.agent.pods().find((p) => p.metadata?.uid === uid);
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

function goArch(nodeArch: string): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[nodeArch] ?? nodeArch;
}
