// What the integration tests that run pods share: pod manifests (host network, busybox
// containers running a shell script), the wiring of a pod driven straight through the executor,
// and the agents a test starts, with their containers looked up by pod and container name.
import { afterEach } from 'vitest';
import type Docker from 'dockerode';
import { LABELS } from '../../agent/core/labels.js';
import type { DesiredPod } from '../../agent/core/types.js';
import type { EventStore } from '../../agent/events/event-store.js';
import type { Logger } from '../../agent/log/logger.js';
import { toStaticPod } from '../../agent/manifest/identity.js';
import { parseManifestFile } from '../../agent/manifest/parse-file.js';
import { NodeHostFs } from '../../agent/host/host-fs.js';
import { NodeSubPather } from '../../agent/host/subpath.js';
import type { PodRuntime } from '../../agent/runtime/pod-runtime.js';
import type { ExecuteDeps } from '../../agent/sync/execute.js';
import { makeTestAgent, podContainers, type TestAgent, type TestAgentOptions } from './agent-harness.js';
import { TEST_IMAGES } from './docker-engine.js';
import { readFileSync } from 'node:fs';
import { oomScoreFloor } from '../../agent/qos/oom-score.js';

// --- manifests -------------------------------------------------------------------------------

/**
 * A v1 Pod on the host network. `containers` are list items (busyboxSh); `volumes`, when given,
 * the items under `volumes:`.
 */
export function hostNetworkPod(name: string, grace: number, containers: string, volumes = ''): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: ${grace}
${volumes ? `  volumes:\n${volumes}` : ''}  containers:
${containers}`;
}

/** A busybox container item running `sh -c script`; `more` are further fields, indented by 4. */
export function busyboxSh(name: string, script: string, ...more: string[]): string {
  return `${[`  - name: ${name}`, `    image: ${TEST_IMAGES.busybox}`, `    command: ["sh", "-c", "${script}"]`, ...more].join('\n')}\n`;
}

/** An exec action, `exec: { command: [...] }`, in flow style. */
export function execAction(argv: readonly string[]): string {
  return `exec: { command: [${argv.map((a) => `"${a}"`).join(', ')}] }`;
}

/** A lifecycle hook field whose handler runs `argv`. */
export function execHook(hook: 'postStart' | 'preStop', argv: readonly string[]): string {
  return `    lifecycle:\n      ${hook}:\n        ${execAction(argv)}`;
}

/** A probe field polling every second; `handler` is its action (execAction or an httpGet). */
export function probe(kind: 'livenessProbe' | 'readinessProbe' | 'startupProbe', handler: string, failureThreshold: number): string {
  return `    ${kind}:\n      ${handler}\n      periodSeconds: 1\n      failureThreshold: ${failureThreshold}`;
}

// --- a pod through the executor --------------------------------------------------------------

/** The one Pod of a manifest text, as the file source would hand it over for `nodeName`. */
export function desiredPodFromYaml(yaml: string, nodeName: string): DesiredPod {
  const parsed = parseManifestFile(yaml, '/manifests/test.yaml');
  if (parsed.errors.length > 0) throw new Error(parsed.errors.map((e) => e.message).join('\n'));
  const object = parsed.objects[0];
  if (object?.kind !== 'Pod') throw new Error('not a Pod');
  return toStaticPod(object.object, { nodeName, file: '/manifests/test.yaml', seenAt: new Date() });
}

export interface ExecuteDepsOptions {
  readonly runtime: PodRuntime;
  readonly nodeName: string;
  readonly stateDir: string;
  readonly events: EventStore;
  readonly logger: Logger;
}

/** The executor's dependencies for a host-network pod on 127.0.0.1 with the test pause image. */
export function executeDeps(opts: ExecuteDepsOptions): ExecuteDeps {
  return {
    runtime: opts.runtime,
    hostFs: new NodeHostFs(),
    subPaths: new NodeSubPather(),
    translate: {
      nodeName: opts.nodeName,
      hostIPs: ['127.0.0.1'],
      podIPs: [],
      stateDir: opts.stateDir,
      podNetwork: 'none',
      podInfraImage: TEST_IMAGES.pause,
      nodeAllocatable: { cpuMilli: 1000, memoryBytes: 1 << 30 },
      // As main.ts does: without CAP_SYS_RESOURCE (this CI VM) Docker refuses negative OOM scores.
      ...hostOomScoreFloor(),
    },
    events: opts.events,
    logger: opts.logger,
    now: () => Date.now(),
  };
}

// --- agents ----------------------------------------------------------------------------------

/**
 * Registers an afterEach that cleans up every agent the returned function started during the
 * test; the function starts one (with `defaults` unless given options).
 */
export function useTestAgents(defaults: TestAgentOptions = {}): (opts?: TestAgentOptions) => Promise<TestAgent> {
  let agents: TestAgent[] = [];
  afterEach(async () => {
    await Promise.all(agents.map((a) => a.cleanup()));
    agents = [];
  });
  return async (opts = defaults) => {
    const a = await makeTestAgent(opts);
    agents.push(a);
    return a;
  };
}

/** The Docker containers (newest first) of container `container` of pod `pod` (its manifest name) run by `a`. */
export async function containersOf(a: TestAgent, pod: string, container: string): Promise<Docker.ContainerInfo[]> {
  return (await podContainers(a.docker, a.config.nodeName, `${pod}-${a.config.nodeName}`)).filter((c) => c.Labels[LABELS.containerName] === container);
}

/** The OOM score floor main.ts applies on a host without CAP_SYS_RESOURCE (the sandbox's −998 would fail there). */
function hostOomScoreFloor(): { minOomScoreAdj?: number } {
  const floor = oomScoreFloor(readFileSync('/proc/self/status', 'utf8'), readFileSync('/proc/self/oom_score_adj', 'utf8'));
  return floor === undefined ? {} : { minOomScoreAdj: floor };
}
