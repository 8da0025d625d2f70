// Issue 12 item 3: one manifest object the agent cannot turn into a pod (its conversion throws)
// must not stop the rest of the batch, which at start is the whole initial listing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Agent, type ManifestSourcePort } from '../../../agent/agent.js';
import { resolveConfig } from '../../../agent/config/config.js';
import type { ManifestObject, SourceUpdate } from '../../../agent/core/types.js';
import { EventStore } from '../../../agent/events/event-store.js';
import type { PodRuntime } from '../../../agent/runtime/pod-runtime.js';
import { NodeHostFs } from '../../../agent/host/host-fs.js';
import { NodeSubPather } from '../../../agent/host/subpath.js';
import { sinkLogger } from '../../helpers/log-sink.js';
import { waitUntil } from '../../helpers/agent-harness.js';
import { FakeClock } from '../../helpers/fake-clock.js';

function pod(name: string, annotations: Record<string, unknown> = {}): ManifestObject {
  return {
    kind: 'Pod',
    key: { kind: 'Pod', namespace: 'default', name },
    file: `/m/${name}.yaml`,
    document: 0,
    object: { apiVersion: 'v1', kind: 'Pod', metadata: { name, annotations: annotations as Record<string, string> }, spec: { containers: [{ name: 'c', image: 'busybox:1.37' }] } },
  };
}

/** Emits one batch on start, and swallows listener errors as the file source does. */
function fakeSource(batch: readonly SourceUpdate[]): ManifestSourcePort {
  const listeners: ((u: readonly SourceUpdate[]) => void)[] = [];
  return {
    ready: Promise.resolve(),
    onUpdate: (l) => {
      listeners.push(l);
      return () => undefined;
    },
    start: () => {
      for (const l of listeners) {
        try {
          l(batch);
        } catch {
          // the file source logs 'manifest source listener failed'
        }
      }
      return Promise.resolve();
    },
    stop: () => Promise.resolve(),
    fileStatuses: () => [],
    objects: () => [],
  };
}

describe('Agent: manifest updates', () => {
  it('applies the other objects of a batch when one cannot be converted to a static pod', async () => {
    const { logger, lines: logs } = sinkLogger();
    const clock = new FakeClock();
    // No engine: every runtime call fails, so start() waits for Docker; the batch is handled before.
    const runtime = new Proxy({}, { get: () => () => Promise.reject(new Error('no engine in this test')) }) as PodRuntime;
    const root = await mkdtemp(join(tmpdir(), 'nodelet-unit-agent-'));
    const config = resolveConfig({ flags: { nodeName: 'unit-node', stateDir: join(root, 'state'), manifestDir: join(root, 'm') }, env: {}, hostname: 'unit-node' });
    // A BigInt makes the pod's hash (canonical JSON) throw, as a 2 GB alias expansion once did.
    const poisoned = pod('poisoned', { big: 1n });
    const batch: SourceUpdate[] = [
      { op: 'ADD', key: poisoned.key, object: poisoned },
      { op: 'ADD', key: pod('web').key, object: pod('web') },
    ];
    const agent = new Agent({
      config,
      runtime,
      hostFs: new NodeHostFs(),
      subPaths: new NodeSubPather(),
      source: fakeSource(batch),
      clock,
      logger,
      events: new EventStore({ clock, source: 'test' }),
      translate: { nodeName: 'unit-node', hostIPs: ['127.0.0.1'], podIPs: [], stateDir: join(root, 'state'), podNetwork: 'none', podInfraImage: 'pause', nodeAllocatable: { cpuMilli: 1000, memoryBytes: 2 ** 30 } },
    });
    void agent.start();
    try {
      // The batch is handled once start() reached the source; then it waits for the engine.
      await waitUntil(async () => logs.some((l) => l.msg === 'docker engine unavailable; retrying'), 'the agent to wait for the engine', 10_000, 10);
      expect(agent.desiredPods().map((p) => p.name)).toEqual(['web-unit-node']);
      expect(logs).toContainEqual(
        expect.objectContaining({ msg: 'manifest object could not be applied; its previous version stays', object: 'Pod/default/poisoned', file: '/m/poisoned.yaml' }),
      );
    } finally {
      await agent.stop();
      await rm(root, { recursive: true, force: true });
    }
  });
});
