// The executor and the pod's IPs (issue 14 item 2), on the in-memory runtime: the sandbox's IPs
// are read once after its start and reach the app containers' env (POD_IP, status.podIPs); a
// sandbox that got no IP on a pod network is stopped and the pass ends with the kubelet's
// sandbox failure instead of starting containers in a pod without a network.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerSpec, ObservedContainer, PodPlan } from '../../../agent/core/runtime-types.js';
import { systemClock } from '../../../agent/core/clock.js';
import { EventStore } from '../../../agent/events/event-store.js';
import { createLogger } from '../../../agent/log/logger.js';
import { NodeHostFs } from '../../../agent/host/host-fs.js';
import { NodeSubPather } from '../../../agent/host/subpath.js';
import { executePlan, type ExecuteDeps } from '../../../agent/sync/execute.js';
import { FakePodRuntime } from '../../helpers/fake-pod-runtime.js';
import { container, desiredPod } from '../../helpers/builders.js';

/** The fake runtime, with a network that gives sandboxes `ips` (none: an engine without the network). */
class NetworkedRuntime extends FakePodRuntime {
  readonly specs: ContainerSpec[] = [];
  readonly stopped: string[] = [];
  inspects = 0;
  constructor(readonly ips: string[]) {
    super({ clock: systemClock });
  }
  override async runContainer(spec: ContainerSpec, ctx: { sandboxId?: string }): Promise<string> {
    this.specs.push(spec);
    return super.runContainer(spec, ctx);
  }
  override async inspectContainer(id: string): Promise<ObservedContainer | undefined> {
    this.inspects++;
    const c = await super.inspectContainer(id);
    return c && { ...c, networkMode: 'pods', ips: this.ips };
  }
  override async stopContainer(id: string): Promise<void> {
    this.stopped.push(id);
    return super.stopContainer(id);
  }
}

const pod = desiredPod({
  containers: [container('app', { env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }, { name: 'POD_IPS', valueFrom: { fieldRef: { fieldPath: 'status.podIPs' } } }] })],
});
const plan: PodPlan = { uid: pod.uid, actions: [{ type: 'createSandbox', attempt: 0 }, { type: 'startContainer', container: 'app', role: 'app', restartCount: 0 }] };

let events: EventStore;
const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((r) => rm(r, { recursive: true, force: true })));
});

async function deps(runtime: FakePodRuntime, podNetwork: string): Promise<ExecuteDeps> {
  events = new EventStore({ clock: systemClock, source: 'test' });
  const root = await mkdtemp(join(tmpdir(), 'nodelet-exec-ip-'));
  roots.push(root);
  return {
    runtime,
    hostFs: new NodeHostFs(),
    subPaths: new NodeSubPather(),
    translate: {
      nodeName: 'node1',
      hostIPs: ['127.0.0.1'],
      podIPs: [],
      stateDir: join(root, 'state'),
      podNetwork,
      podInfraImage: 'pause',
      nodeAllocatable: { cpuMilli: 1000, memoryBytes: 1 << 30 },
    },
    events,
    logger: createLogger({ level: 'silent' }),
    now: () => Date.now(),
  };
}

describe('createSandbox and the pod IP', () => {
  it('the new sandbox’s IPs are in the app container’s env, from one inspect', async () => {
    const runtime = new NetworkedRuntime(['198.18.3.7', 'fd00::7']);
    const result = await executePlan(pod, undefined, plan, await deps(runtime, 'pods'));
    expect(result.blocked).toBeUndefined();
    expect(result.started.map((s) => s.container)).toEqual(['app']);
    const app = runtime.specs.find((s) => s.labels['io.kubernetes.container.name'] === 'app');
    expect(app?.env).toEqual(expect.arrayContaining(['POD_IP=198.18.3.7', 'POD_IPS=198.18.3.7,fd00::7']));
    expect(runtime.inspects).toBe(1);
  });

  it('a sandbox the network gave no IP: stopped, FailedCreatePodSandBox, no container started', async () => {
    const runtime = new NetworkedRuntime([]);
    const result = await executePlan(pod, undefined, plan, await deps(runtime, 'bridge'));
    expect(result.started).toEqual([]);
    expect(result.blocked?.reason).toBe('CreatePodSandboxError');
    expect(result.blocked?.message).toMatch(/^Failed to create pod sandbox: failed to set up sandbox container "fake\d+" network for pod "web-node1": Docker network "bridge" gave the sandbox no IP address$/);
    expect(runtime.stopped).toHaveLength(1);
    expect(events.list((e) => e.reason === 'FailedCreatePodSandBox').map((e) => [e.type, e.message])).toEqual([['Warning', result.blocked?.message]]);
  });

  it('network none: no inspect, no IP, containers start (loopback only, on purpose)', async () => {
    const runtime = new NetworkedRuntime([]);
    const result = await executePlan(pod, undefined, plan, await deps(runtime, 'none'));
    expect(result.started.map((s) => s.container)).toEqual(['app']);
    expect(runtime.inspects).toBe(0);
    const app = runtime.specs.find((s) => s.labels['io.kubernetes.container.name'] === 'app');
    expect(app?.env).toEqual(expect.arrayContaining(['POD_IP=']));
  });
});
