// Issue 14, "a real log consumer that no one here wrote": the OpenTelemetry Collector's filelog
// receiver with its `container` parser reads nodelet's /var/log/pods and /var/log/containers
// across a container restart and several Docker log rotations.
//
// Why this consumer: it is the log shipper whose upstream parser is written against the
// kubelet's layout itself (the `container` operator takes namespace, pod, UID, container name
// and restart count from the /var/log/pods/<ns>_<pod>_<uid>/<container>/<n>.log path, and
// detects the Docker json-file format on its own), it builds from its Go modules with the
// machine's Go (test/go/otelcol: the upstream filelog receiver and file exporter, nothing of
// ours but the 50-line main that the collector's builder would generate), and it runs on the
// host with no network: the file exporter writes OTLP JSON lines this test reads, and the
// collector's own metrics listener is off. Debian packages neither fluentd nor fluent-bit.
//
// The collector is built by test/go/build.sh (cached outside the checkout by the hash of
// go.mod/go.sum). Measured on this 2-core machine, shared with other builds: 3 min 34 s with
// empty Go module and build caches (335 MB of modules downloaded), 2 min 10 s with the modules
// already downloaded, 0 s once cached.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { busyboxSh, containersOf, hostNetworkPod, useTestAgents } from '../helpers/pod-fixtures.js';
import { LABELS } from '../../agent/core/labels.js';

const run = promisify(execFile);
const agent = useTestAgents();
const REPO = join(import.meta.dirname, '..', '..');

let collectorBin = '';

beforeAll(async () => {
  const started = Date.now();
  const { stdout } = await run('bash', [join(REPO, 'test', 'go', 'build.sh'), 'otelcol', '.', 'otelcol-test'], { maxBuffer: 1 << 24, timeout: 20 * 60_000 });
  collectorBin = stdout.trim();
  console.log(`otelcol: ${collectorBin} ready in ${Date.now() - started} ms`);
}, 20 * 60_000);

interface Exported {
  readonly body: string;
  readonly resource: Record<string, string>;
  readonly attributes: Record<string, string>;
}

type OtlpValue = { stringValue?: string; intValue?: string | number };
type OtlpAttr = { key: string; value: OtlpValue };

function attrs(list: OtlpAttr[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of list ?? []) out[a.key] = String(a.value.stringValue ?? a.value.intValue ?? '');
  return out;
}

/** The file exporter's OTLP JSON lines, flattened to one entry per log record. */
async function exported(path: string): Promise<Exported[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const out: Exported[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const req = JSON.parse(line) as { resourceLogs?: { resource?: { attributes?: OtlpAttr[] }; scopeLogs?: { logRecords?: { body?: OtlpValue; attributes?: OtlpAttr[] }[] }[] }[] };
    for (const rl of req.resourceLogs ?? []) {
      for (const sl of rl.scopeLogs ?? []) {
        for (const r of sl.logRecords ?? []) out.push({ body: String(r.body?.stringValue ?? '').replace(/\n$/, ''), resource: attrs(rl.resource?.attributes), attributes: attrs(r.attributes) });
      }
    }
  }
  return out;
}

function collectorConfig(a: TestAgent, out: string): string {
  return `receivers:
  file_log/pods:
    include: [ "${a.config.podLogsDir}/*/*/*.log" ]
    include_file_path: true
    start_at: beginning
    poll_interval: 100ms
    operators:
      - type: container
        add_metadata_from_filepath: true
  file_log/containers:
    include: [ "${a.config.containerLogsDir}/*.log" ]
    include_file_path: true
    start_at: beginning
    poll_interval: 100ms
    operators:
      - type: container
        add_metadata_from_filepath: false
exporters:
  file:
    path: ${out}
    flush_interval: 100ms
service:
  telemetry:
    metrics:
      level: none
    logs:
      level: info
  pipelines:
    logs:
      receivers: [file_log/pods, file_log/containers]
      exporters: [file]
`;
}

let collector: ChildProcess | undefined;
afterAll(() => {
  collector?.kill('SIGTERM');
});

describe('OpenTelemetry Collector filelog receiver (container parser) on nodelet', () => {
  it('reads every line of a pod through /var/log/pods and /var/log/containers, with the pod metadata, across rotations and a restart', async () => {
    const a = await agent({ file: { containerLogMaxSize: '4Ki', containerLogMaxFiles: 3, crashLoopBackOff: { initial: '1s', max: '2s' } } });
    const work = join(a.root, 'otel');
    await mkdir(work, { recursive: true });
    const out = join(work, 'logs.jsonl');
    const configPath = join(work, 'config.yaml');
    await writeFile(configPath, collectorConfig(a, out));
    const stderr: string[] = [];
    collector = spawn(collectorBin, ['--config', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    collector.stderr?.on('data', (c: Buffer) => stderr.push(c.toString('utf8')));
    await waitUntil(async () => stderr.join('').includes('Everything is ready') || undefined, 'the collector started', 30_000);

    // Paced lines (~100 bytes of JSON each, 25 a second): a 4 KiB rotation every ~1.5 s,
    // slow enough for a shipper that polls; each instance tags its lines with its own UUID.
    const script = 'u=$(cat /proc/sys/kernel/random/uuid); i=0; while [ $i -lt 100 ]; do echo otel-$u-$i-xxxxxxxxxxxxxxxxxx; i=$((i+1)); sleep 0.04; done; echo otel-$u-done; exec sleep 3600';
    await a.write('otel.yaml', hostNetworkPod('otel', 1, busyboxSh('app', script)));
    const podName = `otel-${a.config.nodeName}`;
    const uid = await waitUntil(async () => a.running.agent.desiredPods().find((d) => d.name === podName)?.uid, 'pod desired');

    const instances: { id: string; uuid: string; restart: string }[] = [];
    for (let restart = 0; restart < 2; restart++) {
      const c = await waitUntil(async () => (await containersOf(a, 'otel', 'app')).find((x) => x.State === 'running' && x.Labels[LABELS.restartCount] === String(restart)), `instance ${restart} running`, 60_000);
      const info = await a.docker.getContainer(c.Id).inspect();
      const done = await waitUntil(async () => /"otel-([0-9a-f-]+)-done\\n"/.exec(await readFile(info.LogPath, 'utf8').catch(() => ''))?.[1], `instance ${restart} done`, 60_000);
      // Docker rotated this instance's log at least once.
      const rotated = (await readdir(join(info.LogPath, '..'))).filter((f) => f.startsWith(`${c.Id}-json.log.`));
      expect(rotated.length).toBeGreaterThan(0);
      instances.push({ id: c.Id, uuid: done, restart: String(restart) });
      if (restart === 0) await a.docker.getContainer(c.Id).kill();
    }

    for (const inst of instances) {
      const want = [...Array.from({ length: 100 }, (_, i) => `otel-${inst.uuid}-${i}-xxxxxxxxxxxxxxxxxx`), `otel-${inst.uuid}-done`];
      const viaPods = await waitUntil(async () => {
        const got = (await exported(out)).filter((r) => r.body.startsWith(`otel-${inst.uuid}-`) && r.attributes['log.file.path']?.startsWith(a.config.podLogsDir));
        return got.length >= want.length ? got : undefined;
      }, `instance ${inst.restart}'s lines through ${a.config.podLogsDir}`, 30_000);
      expect(viaPods.map((r) => r.body)).toEqual(want);
      // The container parser's metadata, from the kubelet's path layout.
      expect(viaPods[0]?.resource).toMatchObject({
        'k8s.namespace.name': 'default',
        'k8s.pod.name': podName,
        'k8s.pod.uid': uid,
        'k8s.container.name': 'app',
        'k8s.container.restart_count': inst.restart,
      });
      expect(viaPods[0]?.attributes).toMatchObject({ 'log.iostream': 'stdout', 'log.file.path': join(a.config.podLogsDir, `default_${podName}_${uid}`, 'app', `${inst.restart}.log`) });
      const viaContainers = (await waitUntil(async () => {
        const got = (await exported(out)).filter((r) => r.body.startsWith(`otel-${inst.uuid}-`) && r.attributes['log.file.path'] === join(a.config.containerLogsDir, `${podName}_default_app-${inst.id}.log`));
        return got.length >= want.length ? got : undefined;
      }, `instance ${inst.restart}'s lines through ${a.config.containerLogsDir}`, 30_000)).map((r) => r.body);
      expect(viaContainers).toEqual(want);
    }
  }, 240_000);
});
