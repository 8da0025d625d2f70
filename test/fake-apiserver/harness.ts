// Test scaffolding around the reporter and the fake API server: a fake clock whose advance()
// lets the reporter's real HTTPS requests finish before time moves on, a stand-in
// for the agent's views, captured logs, and host facts that do not depend on the machine.
import { Writable } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { EventStore } from '../../agent/events/event-store.js';
import { createLogger, type Logger } from '../../agent/log/logger.js';
import type { NodeFacts } from '../../agent/node/node-status.js';
import { startReporter, type Reporter, type ReporterDeps, type ReporterTiming } from '../../agent/mirror/reporter.js';
import { FakeApiServer, type KubeconfigOptions } from './fake-apiserver.js';
import { FakeClock } from '../helpers/fake-clock.js';

/** The agent views the reporter reads, set directly by the test. */
export class FakeAgentView {
  podList: Pod[] = [];
  runtimeHealthy = true;
  synced = true;
  pods(): Pod[] {
    return structuredClone(this.podList);
  }
}

export const TEST_FACTS: NodeFacts = {
  hostname: 'host-a',
  internalIPs: ['10.0.0.5', '10.0.0.6'],
  cpuCount: 4,
  memoryBytes: 8 * 1024 * 1024 * 1024,
  ephemeralStorageBytes: 100 * 1024 * 1024 * 1024,
  maxPods: 110,
  kernelVersion: '6.8.0-test',
  osImage: 'Test Linux 1.0',
  operatingSystem: 'linux',
  architecture: 'amd64',
  containerRuntimeVersion: 'docker://28.2.2',
  kubeletVersion: 'nodelet/v0.1.0',
  machineID: 'm-123',
  systemUUID: 'u-123',
  bootID: 'b-123',
};

export interface ReporterFixture {
  readonly fake: FakeApiServer;
  readonly clock: FakeClock;
  readonly agent: FakeAgentView;
  readonly events: EventStore;
  readonly logs: Record<string, unknown>[];
  readonly logText: () => string;
  readonly kubeconfigPath: string;
  facts: NodeFacts;
  labels: Record<string, string>;
  taints: { key: string; value?: string; effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' }[];
  reporter: Reporter;
  /** Moves the clock, letting every due reporter run finish at its due time. */
  advance(ms: number): Promise<void>;
  stop(): Promise<void>;
}

export interface FixtureOptions {
  readonly nodeName?: string;
  readonly kubeconfig?: Partial<KubeconfigOptions>;
  readonly random?: () => number;
  readonly timing?: Partial<ReporterTiming>;
  readonly fake?: FakeApiServer;
  /** Overrides for the reporter deps (e.g. a kubeconfig path that does not exist). */
  readonly deps?: Partial<ReporterDeps>;
}

export function captureLogger(): { logger: Logger; logs: Record<string, unknown>[]; raw: string[] } {
  const logs: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        raw.push(line);
        logs.push(JSON.parse(line) as Record<string, unknown>);
      }
      cb();
    },
  });
  return { logger: createLogger({ level: 'debug', stream: sink }), logs, raw };
}

export async function reporterFixture(opts: FixtureOptions = {}): Promise<ReporterFixture> {
  const nodeName = opts.nodeName ?? 'node-a';
  const clock = new FakeClock();
  const fake = opts.fake ?? (await FakeApiServer.start({ now: () => clock.now() }));
  const { path } = await fake.writeKubeconfig({ nodeName, ...(opts.kubeconfig ?? {}) });
  const agent = new FakeAgentView();
  const events = new EventStore({ clock, source: `nodelet, ${nodeName}` });
  const { logger, logs, raw } = captureLogger();
  const fx: ReporterFixture = {
    fake,
    clock,
    agent,
    events,
    logs,
    logText: () => raw.join('\n'),
    kubeconfigPath: path,
    facts: TEST_FACTS,
    labels: {},
    taints: [],
    reporter: undefined as unknown as Reporter,
    advance: (ms) => clock.advance(ms, () => fx.reporter.settled()),
    stop: async () => {
      await fx.reporter.stop();
      if (!opts.fake) await fake.close();
    },
  };
  fx.reporter = startReporter({
    kubeconfigPath: path,
    nodeName,
    agent,
    events,
    nodeFacts: () => fx.facts,
    nodeLabels: () => fx.labels,
    nodeTaints: () => fx.taints,
    clock,
    logger,
    random: opts.random ?? (() => 0.5),
    timing: opts.timing,
    ...(opts.deps ?? {}),
  });
  return fx;
}

/** A static pod as the agent shows it: identity annotations, spec.nodeName, status. */
export function staticPod(name: string, nodeName: string, opts: { hash?: string; phase?: string; restartCount?: number; ready?: boolean; labels?: Record<string, string> } = {}): Pod {
  const full = `${name}-${nodeName}`;
  const ready = opts.ready ?? true;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: full,
      namespace: 'default',
      uid: `uid-${full}`,
      labels: opts.labels ?? { app: name },
      annotations: {
        'kubernetes.io/config.hash': opts.hash ?? `hash-${full}-1`,
        'kubernetes.io/config.source': 'file',
        'kubernetes.io/config.seen': '2026-01-01T00:00:00.000000000Z',
      },
    },
    spec: {
      nodeName,
      containers: [{ name: 'main', image: 'busybox:1.37', command: ['sh', '-c', 'sleep 3600'] }],
      restartPolicy: 'Always',
      tolerations: [{ operator: 'Exists', effect: 'NoExecute' }],
    },
    status: {
      phase: opts.phase ?? 'Running',
      hostIP: '10.0.0.5',
      hostIPs: [{ ip: '10.0.0.5' }],
      startTime: '2026-01-01T00:00:00Z',
      qosClass: 'BestEffort',
      conditions: [
        { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: '2026-01-01T00:00:01Z' },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' },
      ],
      containerStatuses: [
        {
          name: 'main',
          image: 'busybox:1.37',
          imageID: 'docker://sha256:abc',
          ready,
          restartCount: opts.restartCount ?? 0,
          started: ready,
          state: ready ? { running: { startedAt: '2026-01-01T00:00:01Z' } } : { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=main' } },
        },
      ],
    },
  };
}
