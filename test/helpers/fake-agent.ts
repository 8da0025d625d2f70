// A real Agent on the FakeClock and the in-memory FakePodRuntime (fake-pod-runtime.ts), fed by a
// manifest source the test drives: unit tests of the agent's own code (pod workers, status
// manager, DaemonSet controller) without Docker, deterministic to the millisecond.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, type ManifestSourcePort } from '../../agent/agent.js';
import { resolveConfig } from '../../agent/config/config.js';
import { createLogger } from '../../agent/log/logger.js';
import { EventStore } from '../../agent/events/event-store.js';
import { NodeHostFs } from '../../agent/host/host-fs.js';
import { NodeSubPather } from '../../agent/host/subpath.js';
import type { ManifestObject, SourceUpdate } from '../../agent/core/types.js';
import { parseManifestFile } from '../../agent/manifest/parse-file.js';
import { FakeClock, flushMicrotasks } from './fake-clock.js';
import { FakePodRuntime, type FakeRuntimeOptions } from './fake-pod-runtime.js';
import type { LogindPort } from '../../agent/shutdown/logind.js';

export interface FakeAgent {
  readonly agent: Agent;
  readonly clock: FakeClock;
  readonly runtime: FakePodRuntime;
  readonly events: EventStore;
  readonly root: string;
  /** Hands the agent source updates, as the file source would. */
  emit(updates: readonly SourceUpdate[]): void;
  /**
   * Writes `yaml` to `file` (under the manifest dir) and hands the agent an ADD or UPDATE of
   * every object in it, decoded, validated and defaulted as the file source would.
   */
  apply(yaml: string, file?: string): Promise<void>;
  /** What the file watcher would do after someone rewrote `file`: apply its current text. */
  reread(file?: string): Promise<void>;
  readonly manifestFile: string;
  /** Moves the fake clock, letting the agent's passes (real file I/O included) finish at each timer. */
  advance(ms: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startFakeAgent(opts: {
  nodeName: string;
  exits?: FakeRuntimeOptions['exits'];
  resyncPeriod?: string;
  /** Config-file keys (e.g. shutdownGracePeriod). */
  configFile?: Record<string, unknown>;
  /** A fake logind: graceful node shutdown is wired. */
  logind?: LogindPort;
}): Promise<FakeAgent> {
  const clock = new FakeClock();
  const runtime = new FakePodRuntime({ clock, ...(opts.exits ? { exits: opts.exits } : {}) });
  const root = await mkdtemp(join(tmpdir(), 'nodelet-fake-'));
  const nodeName = opts.nodeName;
  const config = resolveConfig({
    flags: { manifestDir: join(root, 'manifests'), stateDir: join(root, 'state'), nodeName, apiSocket: join(root, 'api.sock'), podNetwork: 'none', resyncPeriod: opts.resyncPeriod ?? '10s' },
    env: {},
    ...(opts.configFile ? { file: opts.configFile } : {}),
    hostname: nodeName,
  });
  let listener: ((updates: readonly SourceUpdate[]) => void) | undefined;
  const source: ManifestSourcePort = {
    ready: Promise.resolve(),
    onUpdate: (l) => {
      listener = l;
      return () => undefined;
    },
    start: async () => undefined,
    stop: async () => undefined,
    fileStatuses: () => [],
    objects: () => [],
  };
  const events = new EventStore({ clock, source: 'test' });
  const agent = new Agent({
    config,
    runtime,
    hostFs: new NodeHostFs(),
    subPaths: new NodeSubPather(),
    source,
    clock,
    logger: createLogger({ level: 'silent' }),
    events,
    translate: { nodeName, hostIPs: ['127.0.0.1'], podIPs: [], stateDir: config.stateDir, podNetwork: 'none', podInfraImage: 'pause', nodeAllocatable: { cpuMilli: 1000, memoryBytes: 2 ** 30 } },
    ...(opts.logind ? { logind: opts.logind } : {}),
  });
  await agent.start();
  // Timers fire only once the agent's passes (real file I/O for the pod directory) are done.
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 3; i++) {
      await flushMicrotasks();
      await agent.idle();
      await agent.daemonSets.idle();
    }
  };
  const seen = new Set<string>();
  const emit = (updates: readonly SourceUpdate[]): void => listener?.(updates);
  const manifestFile = join(config.manifestDir, 'm.yaml');
  const apply = async (yaml: string, file = manifestFile): Promise<void> => {
    await mkdir(config.manifestDir, { recursive: true });
    await writeFile(file, yaml);
    const parsed = parseManifestFile(yaml, file);
    const objects: readonly ManifestObject[] = parsed.objects;
    if (objects.length === 0) throw new Error(`no objects in the manifest: ${JSON.stringify(parsed.errors)}`);
    emit(
      objects.map((object) => {
        const key = `${object.key.kind}/${object.key.namespace}/${object.key.name}`;
        const op = seen.has(key) ? 'UPDATE' : 'ADD';
        seen.add(key);
        return { op, key: object.key, object } as SourceUpdate;
      }),
    );
    await clock.advance(0, settle);
  };
  return {
    agent,
    clock,
    runtime,
    events,
    root,
    emit,
    manifestFile,
    apply,
    reread: async (file = manifestFile) => apply(await readFile(file, 'utf8'), file),
    advance: (ms) => clock.advance(ms, settle),
    stop: async () => {
      await agent.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}
