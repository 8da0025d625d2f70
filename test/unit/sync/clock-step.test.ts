// Issue 12 item 5: CrashLoopBackOff follows the monotonic clock. A real Agent runs on the
// FakeClock against an in-memory runtime whose container exits as soon as it starts; the wall
// clock is stepped back (and forward) an hour in the middle of back-off windows, and the
// restarts must still come exactly 0 s, 10 s, 20 s, 40 s, 80 s apart (kubelet: the first crash
// restarts at once, then the window doubles).
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Agent, type ManifestSourcePort } from '../../../agent/agent.js';
import { resolveConfig } from '../../../agent/config/config.js';
import { createLogger } from '../../../agent/log/logger.js';
import { EventStore } from '../../../agent/events/event-store.js';
import { NodeHostFs } from '../../../agent/runtime/host-fs.js';
import { NodeSubPather } from '../../../agent/runtime/subpath.js';
import type { SourceUpdate } from '../../../agent/core/types.js';
import { FakeClock, flushMicrotasks } from '../../helpers/fake-clock.js';
import { FakeRuntime } from '../../helpers/fake-runtime.js';

const HOUR = 3_600_000;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function crashLoop(): Promise<{ clock: FakeClock; runtime: FakeRuntime; advance: (ms: number) => Promise<void> }> {
  const clock = new FakeClock();
  const runtime = new FakeRuntime({ clock, exits: () => 1 });
  const root = await mkdtemp(join(tmpdir(), 'nodelet-clock-'));
  const nodeName = 'clock-step';
  const config = resolveConfig({
    flags: { manifestDir: join(root, 'manifests'), stateDir: join(root, 'state'), nodeName, apiSocket: join(root, 'api.sock'), podNetwork: 'none', resyncPeriod: '10s' },
    env: {},
    hostname: nodeName,
  });
  let emit: ((updates: readonly SourceUpdate[]) => void) | undefined;
  const source: ManifestSourcePort = {
    ready: Promise.resolve(),
    onUpdate: (listener) => {
      emit = listener;
      return () => undefined;
    },
    start: async () => undefined,
    stop: async () => undefined,
    fileStatuses: () => [],
    objects: () => [],
  };
  const agent = new Agent({
    config,
    runtime,
    hostFs: new NodeHostFs(),
    subPaths: new NodeSubPather(),
    source,
    clock,
    logger: createLogger({ level: 'silent' }),
    events: new EventStore({ clock, source: 'test' }),
    translate: { nodeName, hostIPs: ['127.0.0.1'], podIPs: [], stateDir: config.stateDir, podNetwork: 'none', podInfraImage: 'pause', nodeAllocatable: { cpuMilli: 1000, memoryBytes: 2 ** 30 } },
  });
  cleanups.push(async () => {
    await agent.stop();
    await rm(root, { recursive: true, force: true });
  });
  await agent.start();
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'crash', namespace: 'default' },
    spec: { containers: [{ name: 'app', image: 'busybox:1.37', command: ['false'] }] },
  };
  const key = { kind: 'Pod' as const, namespace: 'default', name: 'crash' };
  emit?.([{ op: 'ADD', key, object: { kind: 'Pod', key, file: join(root, 'manifests', 'crash.yaml'), document: 0, object: pod } }]);
  // Timers fire only once the agent's passes (real file I/O for the pod directory) are done.
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 3; i++) {
      await flushMicrotasks();
      await agent.idle();
    }
  };
  await clock.advance(0, settle);
  return { clock, runtime, advance: (ms) => clock.advance(ms, settle) };
}

function gaps(runtime: FakeRuntime): number[] {
  const at = runtime.starts.map((s) => s.at);
  return at.slice(1).map((t, i) => t - (at[i] ?? 0));
}

describe('CrashLoopBackOff across wall-clock steps', () => {
  it('restarts 0 s, 10 s, 20 s, 40 s, 80 s apart without a step', async () => {
    const { runtime, advance } = await crashLoop();
    await advance(151_000);
    expect(gaps(runtime)).toEqual([0, 10_000, 20_000, 40_000, 80_000]);
  });

  it('keeps the windows exact when the wall clock steps back an hour inside one, then forward', async () => {
    const { clock, runtime, advance } = await crashLoop();
    await advance(15_000); // inside the 20 s window that opened at 10 s
    clock.stepWall(-HOUR);
    await advance(20_000); // 35 s: inside the 40 s window that opened at 30 s
    clock.stepWall(-HOUR);
    await advance(40_000); // 75 s: inside the 80 s window that opened at 70 s
    clock.stepWall(2 * HOUR + HOUR); // and an hour ahead of where it started
    await advance(76_000);
    expect(gaps(runtime)).toEqual([0, 10_000, 20_000, 40_000, 80_000]);
  });

  it('does not restart early after a forward step either', async () => {
    const { clock, runtime, advance } = await crashLoop();
    await advance(12_000);
    clock.stepWall(HOUR);
    await advance(139_000);
    expect(gaps(runtime)).toEqual([0, 10_000, 20_000, 40_000, 80_000]);
  });
});
