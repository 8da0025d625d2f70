// `npm run bench:fleet`: N nodelet reporters against one REAL kube-apiserver (etcd beside it,
// both on loopback; test/helpers/kube-cluster.ts), each its own node identity
// (system:node:<name>, its own TLS client), measuring what an idle fleet costs the API server:
// requests per node per minute, server-side latency, and CPU — beside the kubelet's own load.
//
// The reporters are nodelet's real reporter (agent/mirror/reporter.ts) in one process, each fed
// a fixed set of running pods instead of Docker (the reporter only reads the agent's views), so
// 2 cores hold many nodes. Requests are counted twice: by the API server's audit log (policy:
// Metadata for group system:nodes, nothing else), which gives the server-side latency
// (requestReceived → ResponseComplete), and by a counting transport in each reporter.
//
// Knobs: BENCH_FLEET_NODES (default 100), BENCH_FLEET_PODS (pods per node, default 3),
// BENCH_FLEET_SECONDS (measured window, default 120), BENCH_FLEET_SETTLE_SECONDS (default 30),
// BENCH_FLEET_RESULTS (output file, default bench/RESULTS-fleet.md).
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { staticPod } from '../test/fake-apiserver/harness.js';
import { systemClock } from '../agent/core/clock.js';
import { EventStore } from '../agent/events/event-store.js';
import { createLogger } from '../agent/log/logger.js';
import { HttpsKubeTransport, type KubeRequest, type KubeTransport, type WatchEvent, type WatchHandle } from '../agent/mirror/kube-client.js';
import { startReporter, type Reporter } from '../agent/mirror/reporter.js';
import type { NodeFacts } from '../agent/node/node-status.js';
import { buildKubeBinaries, startKubeCluster, type BuildTiming } from '../test/helpers/kube-cluster.js';
import { sleep } from './fleet.js';

const NODES = Number(process.env.BENCH_FLEET_NODES ?? 100);
const PODS = Number(process.env.BENCH_FLEET_PODS ?? 3);
const SECONDS = Number(process.env.BENCH_FLEET_SECONDS ?? 120);
const SETTLE_SECONDS = Number(process.env.BENCH_FLEET_SETTLE_SECONDS ?? 30);
const OUT = process.env.BENCH_FLEET_RESULTS ?? fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../bench/RESULTS-fleet.md' : './RESULTS-fleet.md', import.meta.url));

const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  userGroups: ["system:nodes"]
- level: None
`;

/** The kubelet's idle load per node and minute (kubelet >= 1.27, defaults): see the table's notes. */
const KUBELET = { leasePuts: 6, statusPatches: 0.2, total: 6.2, legacyTotal: 12.2 };

interface Sample {
  readonly at: number;
  readonly verb: string;
  readonly resource: string;
  readonly ms: number;
  readonly code: number;
}

/** Counts and times each request a reporter makes (client side). */
class CountingTransport implements KubeTransport {
  constructor(readonly inner: KubeTransport, readonly samples: Sample[]) {}
  get server(): string {
    return this.inner.server;
  }
  async request<T>(req: KubeRequest): Promise<T> {
    const started = performance.now();
    let code = 200;
    try {
      return await this.inner.request<T>(req);
    } catch (err) {
      code = typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 0;
      throw err;
    } finally {
      this.samples.push({ at: Date.now(), verb: req.method, resource: resourceOf(req.path), ms: performance.now() - started, code });
    }
  }
  /** The reporter's pod watch goes through as it is (counted once, when it opens). */
  watch<T>(req: KubeRequest, onEvent: (e: WatchEvent<T>) => void): WatchHandle {
    if (!this.inner.watch) throw new Error('the inner transport cannot watch');
    this.samples.push({ at: Date.now(), verb: 'WATCH', resource: resourceOf(req.path), ms: 0, code: 200 });
    return this.inner.watch<T>(req, onEvent);
  }
  close(): void {
    this.inner.close();
  }
}

/** `/api/v1/namespaces/default/pods/x/status` → `pods/status`; `/api/v1/pods` → `pods`. */
function resourceOf(path: string): string {
  const parts = path.split('?')[0]?.split('/').filter(Boolean) ?? [];
  const rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  const r = rest[0] === 'namespaces' && rest.length > 2 ? rest.slice(2) : rest;
  return r.length >= 3 ? `${r[0]}/${r[2]}` : (r[0] ?? path);
}

function facts(i: number): NodeFacts {
  return {
    hostname: `fleet-${i}`,
    internalIPs: [`10.${Math.floor(i / 250)}.${i % 250}.10`],
    cpuCount: 4,
    // A real host's figures (MemTotal in kB, a filesystem's size), not round GiB: with round
    // figures the API server stores the quantities in another canonical form ("8Gi" for
    // "8388608Ki") and today's reporter, comparing strings, PATCHes the status every 10 s.
    memoryBytes: 16_318_412 * 1024,
    ephemeralStorageBytes: 102_687_672 * 1024,
    maxPods: 110,
    kernelVersion: release(),
    osImage: 'Debian GNU/Linux 12 (bookworm)',
    operatingSystem: 'linux',
    architecture: 'amd64',
    containerRuntimeVersion: 'docker://28.2.2',
    kubeletVersion: 'nodelet/v0.1.0',
    machineID: `m${i}`,
    systemUUID: '',
    bootID: `b${i}`,
  };
}

function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0) : 0;
}

interface AuditEvent {
  readonly stage: string;
  readonly verb: string;
  readonly user: { readonly username: string };
  readonly objectRef?: { readonly resource?: string; readonly subresource?: string };
  readonly responseStatus?: { readonly code?: number };
  readonly requestReceivedTimestamp: string;
  readonly stageTimestamp: string;
}

function readAudit(path: string, from: number, to: number): AuditEvent[] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEvent)
    .filter((e) => e.stage === 'ResponseComplete' && e.user.username.startsWith('system:node:'))
    .filter((e) => {
      const t = Date.parse(e.requestReceivedTimestamp);
      return t >= from && t < to;
    });
}

async function main(): Promise<void> {
  const timings: BuildTiming[] = [];
  const buildStarted = Date.now();
  await buildKubeBinaries(timings);
  const buildMs = Date.now() - buildStarted;
  const auditDir = await mkdtemp(join(tmpdir(), 'nodelet-fleet-audit-'));
  const auditPath = join(auditDir, 'audit.log');
  await writeFile(join(auditDir, 'policy.yaml'), AUDIT_POLICY);
  const cluster = await startKubeCluster({
    apiserverFlags: [`--audit-policy-file=${join(auditDir, 'policy.yaml')}`, `--audit-log-path=${auditPath}`, '--audit-log-mode=batch', '--audit-log-batch-max-wait=1s', '--audit-log-format=json'],
  });
  const samples: Sample[] = [];
  const reporters: Reporter[] = [];
  // Warnings go to stderr, so stdout stays the result JSON.
  const logger = createLogger({ level: 'warn', stream: process.stderr });
  const selfCpu0 = process.cpuUsage();
  try {
    console.error(`fleet: starting ${NODES} reporters with ${PODS} pods each against ${cluster.url}`);
    for (let i = 0; i < NODES; i++) {
      const nodeName = `fleet-${i}`;
      const kubeconfigPath = await cluster.nodeKubeconfig(nodeName);
      const pods = Array.from({ length: PODS }, (_, j) => staticPod(`app${j}`, nodeName));
      reporters.push(
        startReporter({
          kubeconfigPath,
          nodeName,
          agent: { pods: () => structuredClone(pods), runtimeHealthy: true, synced: true },
          events: new EventStore({ clock: systemClock, source: `nodelet, ${nodeName}` }),
          nodeFacts: () => facts(i),
          nodeLabels: () => ({}),
          nodeTaints: () => [],
          clock: systemClock,
          logger,
          transport: new CountingTransport(new HttpsKubeTransport({ kubeconfigPath, timeoutMs: 10_000 }), samples),
        }),
      );
    }
    await sleep(SETTLE_SECONDS * 1000);
    const mirrors = (await cluster.kubectlJson<{ items: Pod[] }>(['get', 'pods', '-n', 'default'])).items.length;
    const from = Date.now();
    const apiCpu0 = cpuSeconds(cluster.apiserverPid);
    const self0 = process.cpuUsage(selfCpu0);
    await sleep(SECONDS * 1000);
    const to = Date.now();
    const apiCpu = cpuSeconds(cluster.apiserverPid) - apiCpu0;
    const self1 = process.cpuUsage(selfCpu0);
    const reporterCpu = (self1.user + self1.system - self0.user - self0.system) / 1e6;
    await sleep(2500); // the audit batch flushes every second
    const audit = readAudit(auditPath, from, to);
    const window = samples.filter((s) => s.at >= from && s.at < to);
    const minutes = (to - from) / 60_000;
    const perNodeMin = (n: number): number => n / NODES / minutes;
    const byKind = new Map<string, number>();
    for (const e of audit) {
      const k = `${e.verb} ${e.objectRef?.resource ?? '?'}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''}`;
      byKind.set(k, (byKind.get(k) ?? 0) + 1);
    }
    // Audit timestamps carry microseconds; Date.parse keeps milliseconds, so use the raw fraction.
    const micro = (s: string): number => Date.parse(s) * 1000 + Number((/\.(\d{6})/.exec(s)?.[1] ?? '000000').slice(3));
    const serverUs = audit.map((e) => micro(e.stageTimestamp) - micro(e.requestReceivedTimestamp));
    const clientMs = window.map((s) => s.ms);
    const errors = window.filter((s) => s.code >= 400 || s.code === 0).length;
    const result = {
      nodes: NODES,
      podsPerNode: PODS,
      mirrors,
      seconds: (to - from) / 1000,
      auditRequests: audit.length,
      clientRequests: window.length,
      perNodePerMinAudit: perNodeMin(audit.length),
      perNodePerMinClient: perNodeMin(window.length),
      byKind: [...byKind.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => ({ kind: k, perNodePerMin: perNodeMin(n), total: n })),
      serverLatencyMs: { p50: pct(serverUs, 50) / 1000, p99: pct(serverUs, 99) / 1000, max: pct(serverUs, 100) / 1000 },
      clientLatencyMs: { p50: pct(clientMs, 50), p99: pct(clientMs, 99), max: pct(clientMs, 100) },
      errors,
      apiserverCpuPct: (apiCpu / ((to - from) / 1000)) * 100,
      reporterCpuPct: (reporterCpu / ((to - from) / 1000)) * 100,
      reporterRssMB: process.memoryUsage().rss / 1e6,
      buildMs,
      buildTimings: timings,
    };
    await writeFile(OUT, render(result));
    console.log(JSON.stringify(result, null, 2));
    console.error(`fleet: wrote ${OUT}`);
  } finally {
    await Promise.all(reporters.map((r) => r.stop()));
    await cluster.stop();
    await rm(auditDir, { recursive: true, force: true });
  }
}

type Result = {
  nodes: number;
  podsPerNode: number;
  mirrors: number;
  seconds: number;
  auditRequests: number;
  clientRequests: number;
  perNodePerMinAudit: number;
  perNodePerMinClient: number;
  byKind: { kind: string; perNodePerMin: number; total: number }[];
  serverLatencyMs: { p50: number; p99: number; max: number };
  clientLatencyMs: { p50: number; p99: number; max: number };
  errors: number;
  apiserverCpuPct: number;
  reporterCpuPct: number;
  reporterRssMB: number;
  buildMs: number;
  buildTimings: BuildTiming[];
};

function render(r: Result): string {
  const f = (n: number, d = 1): string => n.toFixed(d);
  const per1000 = (perMin: number): string => `${f((perMin * 1000) / 60, 0)} req/s`;
  return `# nodelet fleet benchmark: reporting load on a real kube-apiserver

Generated by \`npm run bench:fleet\` (bench/api-fleet.ts) on ${new Date().toISOString()}.
A benchmark, not a timed test: the figures vary with the machine's other load.

## Machine

| | |
|---|---|
| CPU | ${cpus()[0]?.model ?? 'unknown'} |
| Cores | ${cpus().length} |
| Memory | ${f(totalmem() / 2 ** 30)} GiB |
| Kernel | ${release()} |
| Node.js | ${process.version} |
| kube-apiserver / etcd | v1.37.2 / v3.7.0 (test/go/kube, loopback, Node,RBAC + NodeRestriction, audit log on) |
| Load average at the end (1/5/15 min) | ${loadavg().map((l) => l.toFixed(2)).join(' ')} |

## Setup

${r.nodes} nodes, each nodelet's real reporter (agent/mirror/reporter.ts) with its own client
certificate (system:node:fleet-N) and ${r.podsPerNode} running static pods (${r.mirrors} mirror pods in the
cluster). All reporters run in one Node.js process, fed fixed pods instead of Docker. Idle:
nothing changes during the ${f(r.seconds, 0)} s window, which starts after a ${SETTLE_SECONDS} s settle
(registration, Leases, mirror pods created).

## Figures

| Figure | nodelet | kubelet (model) | ratio |
|---|---:|---:|---:|
| Requests per node per minute (audit log) | ${f(r.perNodePerMinAudit)} | ${KUBELET.total} + watches | ${f(r.perNodePerMinAudit / KUBELET.total, 2)}x |
| Requests per node per minute (client count) | ${f(r.perNodePerMinClient)} | | |
| 1,000 such nodes | ${per1000(r.perNodePerMinAudit)} | ${per1000(KUBELET.total)} + watches | |
| API server latency, p50 / p99 / max (audit: received → complete) | ${f(r.serverLatencyMs.p50, 2)} / ${f(r.serverLatencyMs.p99, 2)} / ${f(r.serverLatencyMs.max, 2)} ms | | |
| Client latency, p50 / p99 / max (reporter's request incl. TLS) | ${f(r.clientLatencyMs.p50, 2)} / ${f(r.clientLatencyMs.p99, 2)} / ${f(r.clientLatencyMs.max, 2)} ms | | |
| Failed requests in the window | ${r.errors} | | |
| kube-apiserver CPU (of one core) | ${f(r.apiserverCpuPct)} % | | |
| ${r.nodes} reporters' CPU, one process (of one core) / RSS | ${f(r.reporterCpuPct)} % / ${f(r.reporterRssMB, 0)} MB | | |

Kubelet model (defaults, kubelet >= 1.27): the Lease is PUT every 10 s (6/min); the Node status
is computed every 10 s from the informer cache and PATCHed only on change or every 5 minutes
(0.2/min); pod status only on change (0 when idle); so ${KUBELET.total} requests/min, plus
long-running watches (its Node, its pods, services, RuntimeClasses, CSIDrivers, ...), each
re-opened every 5-10 minutes. Kubelets up to 1.26 also did a \`GET ?resourceVersion=0\` of the
Node every 10 s: ${KUBELET.legacyTotal}/min.

## Requests by kind (audit log, per node per minute)

| Verb resource | per node per minute | total in window |
|---|---:|---:|
${r.byKind.map((k) => `| ${k.kind} | ${f(k.perNodePerMin, 2)} | ${k.total} |`).join('\n')}

## Build

${r.buildTimings.map((t) => `- ${t.name}: ${f(t.ms / 1000, 1)} s`).join('\n')} (test/go/build.sh; a few ms when cached).
`;
}

await main();
