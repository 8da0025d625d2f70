// A deterministic in-memory PodRuntime for unit tests of the agent with a FakeClock: containers
// live in a map, identity comes from the same labels Docker would carry, times are the fake
// clock's wall readings (as Docker's would be), and `exits` decides which app containers exit
// as soon as they start (a crash loop). Events go to whoever follows them, like Docker's.
import type { ContainerSpec, ObservedContainer, ObservedPod } from '../../agent/core/runtime-types.js';
import type { ContainerEventAction, ImagePullPolicy, PodRuntime, RuntimeEvent } from '../../agent/runtime/pod-runtime.js';
import { fromIdentityLabels } from '../../agent/core/labels.js';
import type { Clock } from '../../agent/core/clock.js';

export interface FakeRuntimeOptions {
  readonly clock: Clock;
  /** Exit code of a container that exits right after starting; undefined keeps it running. */
  readonly exits?: (spec: ContainerSpec) => number | undefined;
  /** The image's `Config.User`; '' (root) when not given. */
  readonly imageUser?: string;
}

export class FakePodRuntime implements PodRuntime {
  readonly #opts: FakeRuntimeOptions;
  readonly #containers = new Map<string, ObservedContainer>();
  readonly #volumes = new Map<string, Record<string, string>>();
  readonly #listeners = new Set<(ev: RuntimeEvent) => void>();
  #seq = 0;
  /** Every start of a non-sandbox container: name and the clock's monotonic reading. */
  readonly starts: { readonly container: string; readonly at: number }[] = [];

  constructor(opts: FakeRuntimeOptions) {
    this.#opts = opts;
  }

  async ping(): Promise<void> {}

  async version(): Promise<{ version: string; apiVersion: string }> {
    return { version: 'fake', apiVersion: '1.43' };
  }

  async listPods(filter?: { podUid?: string }): Promise<ObservedPod[]> {
    const pods = new Map<string, { uid: string; name: string; namespace: string; sandboxes: ObservedContainer[]; containers: ObservedContainer[] }>();
    for (const c of this.#containers.values()) {
      if (filter?.podUid !== undefined && c.podUid !== filter.podUid) continue;
      let pod = pods.get(c.podUid);
      if (!pod) {
        pod = { uid: c.podUid, name: c.podName, namespace: c.podNamespace, sandboxes: [], containers: [] };
        pods.set(c.podUid, pod);
      }
      (c.role === 'sandbox' ? pod.sandboxes : pod.containers).push(c);
    }
    return [...pods.values()];
  }

  async inspectContainer(id: string): Promise<ObservedContainer | undefined> {
    return this.#containers.get(id);
  }

  async ensureImage(_image: string, _policy: ImagePullPolicy): Promise<{ pulled: boolean; imageId: string }> {
    return { pulled: false, imageId: 'sha256:fake' };
  }

  async imageUser(): Promise<string> {
    return this.#opts.imageUser ?? '';
  }

  async runContainer(spec: ContainerSpec, ctx: { sandboxId?: string }): Promise<string> {
    const identity = fromIdentityLabels(spec.labels);
    if (!identity) throw new Error('fake runtime: container without identity labels');
    const id = `fake${String(++this.#seq).padStart(8, '0')}`;
    const now = this.#opts.clock.now();
    const exitCode = identity.role === 'sandbox' ? undefined : this.#opts.exits?.(spec);
    this.#containers.set(id, {
      id,
      name: identity.container,
      role: identity.role,
      podUid: identity.podUid,
      podName: identity.podName,
      podNamespace: identity.podNamespace,
      sandboxId: ctx.sandboxId ?? '',
      state: exitCode === undefined ? 'running' : 'exited',
      specHash: identity.specHash,
      restartCount: identity.restartCount,
      image: spec.image,
      ...(exitCode === undefined ? {} : { exitCode, finishedAt: now }),
      createdAt: now,
      startedAt: now,
      labels: { ...spec.labels },
    });
    if (identity.role !== 'sandbox') this.starts.push({ container: identity.container, at: this.#opts.clock.monotonic() });
    this.#emit(identity.podUid, id, 'start');
    if (exitCode !== undefined) this.#emit(identity.podUid, id, 'die');
    return id;
  }

  async stopContainer(id: string): Promise<void> {
    const c = this.#containers.get(id);
    if (!c || c.state === 'exited') return;
    this.#containers.set(id, { ...c, state: 'exited', exitCode: 137, finishedAt: this.#opts.clock.now() });
    this.#emit(c.podUid, id, 'die');
  }

  async removeContainer(id: string): Promise<void> {
    const c = this.#containers.get(id);
    this.#containers.delete(id);
    if (c) this.#emit(c.podUid, id, 'destroy');
  }

  async exec(): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    return { exitCode: 0, stdout: '', stderr: '' };
  }

  async createMemoryVolume(name: string, _size: number | undefined, labels: Record<string, string>): Promise<void> {
    this.#volumes.set(name, labels);
  }

  async removeVolume(name: string): Promise<void> {
    this.#volumes.delete(name);
  }

  async listVolumes(labelFilter: string): Promise<string[]> {
    const [key, value] = labelFilter.split('=', 2) as [string, string | undefined];
    return [...this.#volumes].filter(([, l]) => key in l && (value === undefined || l[key] === value)).map(([n]) => n);
  }

  async *events(signal: AbortSignal): AsyncIterable<RuntimeEvent> {
    const queue: RuntimeEvent[] = [];
    let wake: (() => void) | undefined;
    const listener = (ev: RuntimeEvent): void => {
      queue.push(ev);
      wake?.();
    };
    this.#listeners.add(listener);
    const onAbort = (): void => wake?.();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal.aborted) {
        const ev = queue.shift();
        if (ev) yield ev;
        else await new Promise<void>((r) => (wake = r));
      }
    } finally {
      this.#listeners.delete(listener);
      signal.removeEventListener('abort', onAbort);
    }
  }

  #emit(podUid: string, containerId: string, action: ContainerEventAction): void {
    for (const l of this.#listeners) l({ type: 'container', action, podUid, containerId, at: this.#opts.clock.now() });
  }
}
