// `kubectl top` through a real cluster: the real kube-apiserver (test/helpers/kube-cluster.ts)
// with the aggregation layer, the real metrics-server (built from test/go/metrics-server), and
// nodelet's stats (agent/stats) for the pods a real agent runs on the real Docker Engine.
//
// Until the kubelet server is merged, the stats are served here by a minimal HTTPS listener
// (/metrics/resource and /stats/summary, no authentication), and the Node and its Pods are
// created with the admin kubeconfig as a reporting nodelet would (the listener's port in
// daemonEndpoints). The node's InternalIP is the gateway of a Docker bridge network of the
// test's own inside 198.18.0.0/15 (the pods run on it too): the API server refuses to proxy
// nodes/proxy to a loopback address ("address not allowed"). metrics-server runs on the host and
// is reached through an ExternalName Service (`localhost`): Endpoints refuse loopback addresses,
// and the aggregator sends to an ExternalName's name when aggregator routing is off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import https from 'node:https';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestPki, issueClientCert } from '../fake-apiserver/pki.js';
import { freePort, startKubeCluster, type KubeCluster } from '../helpers/kube-cluster.js';
import { dockerFromEnv, waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { createTestNetwork } from '../helpers/test-network.js';
import { busyboxSh, useTestAgents } from '../helpers/pod-fixtures.js';

const run = promisify(execFile);
const GO_DIR = fileURLToPath(new URL('../go/', import.meta.url));
const NS = 'top-e2e';
const agent = useTestAgents();

async function buildMetricsServer(): Promise<string> {
  const { stdout } = await run(join(GO_DIR, 'build.sh'), ['metrics-server', 'sigs.k8s.io/metrics-server/cmd/metrics-server', 'metrics-server'], { maxBuffer: 16 * 1024 * 1024, timeout: 20 * 60_000 });
  return stdout.trim();
}

function pod(name: string, script: string): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: ${NS} }
spec:
  terminationGracePeriodSeconds: 0
  containers:
${busyboxSh(name, script)}`;
}

describe('kubectl top through the real metrics-server', () => {
  let cluster: KubeCluster | undefined;
  let metricsServer: ChildProcess | undefined;
  let listener: https.Server | undefined;
  const shown: string[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  let msBinary = '';
  let front: Awaited<ReturnType<typeof createTestPki>>;
  let proxyClient: Awaited<ReturnType<typeof issueClientCert>>;

  beforeAll(async () => {
    msBinary = await buildMetricsServer();
    front = await createTestPki(undefined, 'front-proxy-ca');
    proxyClient = await issueClientCert(front, 'front-proxy-client', 'front-proxy-client', []);
    cluster = await startKubeCluster({
      apiserverFlags: [
        `--requestheader-client-ca-file=${front.ca.certPath}`,
        '--requestheader-allowed-names=front-proxy-client',
        '--requestheader-username-headers=X-Remote-User',
        '--requestheader-group-headers=X-Remote-Group',
        '--requestheader-extra-headers-prefix=X-Remote-Extra-',
        `--proxy-client-cert-file=${proxyClient.certPath}`,
        `--proxy-client-key-file=${proxyClient.keyPath}`,
      ],
    });
  }, 25 * 60_000);

  afterAll(async () => {
    if (shown.length) console.info(shown.join('\n'));
    if (metricsServer && metricsServer.exitCode === null) {
      const exited = new Promise((r) => metricsServer?.once('exit', r));
      metricsServer.kill('SIGTERM');
      await exited;
    }
    await new Promise<void>((r) => (listener ? listener.close(() => r()) : r()));
    await cluster?.stop();
  });
  // After the agent's own cleanup (useTestAgents' afterEach) has removed the pods on the network.
  afterAll(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it('shows non-zero CPU and memory for nodelet’s node and pods, and the summary through nodes/proxy', async () => {
    const k = cluster;
    if (!k) throw new Error('no cluster');
    const net = await createTestNetwork(dockerFromEnv(), 'top');
    cleanups.push(() => net.remove());
    const a: TestAgent = await agent({ flags: { podNetwork: net.name } });
    const node = a.config.nodeName;
    await a.write('burn.yaml', pod('burn', 'while :; do :; done'));
    await a.write('mem.yaml', pod('mem', 'dd if=/dev/zero of=/dev/shm/fill bs=1M count=40 && exec sleep 3600'));
    // The agent's own stats, as main.ts builds them for the kubelet server.
    const stats = a.running.kubeletStats;
    await waitUntil(async () => {
      const s = await stats.summary(true);
      return s.pods.length === 2 && s.pods.every((p) => p.containers.every((c) => (c.cpu?.usageCoreNanoSeconds ?? 0) > 0 && (c.memory?.workingSetBytes ?? 0) > 0));
    }, 'both pods running with figures', 60_000);

    // The stand-in for the kubelet server: the two paths metrics-server and nodes/proxy use here.
    const port = await freePort();
    const pki = await createTestPki(undefined, 'nodelet-serving-ca');
    listener = https.createServer({ cert: pki.server.cert, key: pki.server.key }, (req, res) => {
      const url = new URL(req.url ?? '/', 'https://localhost');
      const answer = async (): Promise<void> => {
        if (url.pathname === '/metrics/resource') {
          const m = await stats.resourceMetrics();
          res.writeHead(200, { 'Content-Type': m.contentType }).end(m.body);
        } else if (url.pathname === '/stats/summary') {
          const body = JSON.stringify(await stats.summary(url.searchParams.get('only_cpu_and_memory') === 'true'));
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
        } else res.writeHead(404).end('404 page not found\n');
      };
      answer().catch((err: unknown) => res.writeHead(500).end(`Internal Error: ${String(err)}`));
    });
    await new Promise<void>((r) => listener?.listen(port, net.gateway, () => r()));

    // The Node and the Pods as a reporting nodelet would have them.
    await k.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
        { apiVersion: 'v1', kind: 'Node', metadata: { name: node, labels: { 'kubernetes.io/hostname': node } } },
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
      ] }),
    });
    await k.kubectl(['patch', 'node', node, '--subresource=status', '--type=merge', '-p', JSON.stringify({
      status: {
        addresses: [{ type: 'InternalIP', address: net.gateway }, { type: 'Hostname', address: node }],
        daemonEndpoints: { kubeletEndpoint: { Port: port } },
        // What kubectl top divides by for its percentages.
        capacity: { cpu: String(cpus().length), memory: `${Math.floor(totalmem() / 1024)}Ki`, pods: '110' },
        allocatable: { cpu: String(cpus().length), memory: `${Math.floor(totalmem() / 1024)}Ki`, pods: '110' },
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'nodelet is posting ready status', lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }],
      },
    })]);
    // No controller-manager: the namespace's default ServiceAccount is created by hand.
    await k.kubectl(['create', 'serviceaccount', 'default', '-n', NS]);
    for (const name of ['burn', 'mem']) {
      const podName = `${name}-${node}`;
      await k.kubectl(['apply', '-f', '-'], {
        input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: podName, namespace: NS }, spec: { nodeName: node, automountServiceAccountToken: false, containers: [{ name, image: 'busybox:1.37' }] } }),
      });
      await k.kubectl(['patch', 'pod', podName, '-n', NS, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { phase: 'Running' } })]);
    }

    // metrics-server on the host, and its APIService through an ExternalName Service.
    const msPort = await freePort();
    const msDir = join(k.dir, 'metrics-server');
    await mkdir(msDir, { recursive: true });
    const log = createWriteStream(join(msDir, 'metrics-server.log'));
    metricsServer = spawn(msBinary, [
      `--secure-port=${msPort}`, '--bind-address=127.0.0.1', `--cert-dir=${msDir}`,
      `--kubeconfig=${k.adminKubeconfig}`, `--authentication-kubeconfig=${k.adminKubeconfig}`, `--authorization-kubeconfig=${k.adminKubeconfig}`,
      '--kubelet-insecure-tls', '--kubelet-use-node-status-port', '--kubelet-preferred-address-types=InternalIP',
      '--metric-resolution=15s', '-v=2',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    metricsServer.stdout?.pipe(log);
    metricsServer.stderr?.pipe(log);
    await k.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'metrics-server', namespace: 'kube-system' }, spec: { type: 'ExternalName', externalName: 'localhost', ports: [{ name: 'https', port: msPort, protocol: 'TCP' }] } },
        { apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: 'v1beta1.metrics.k8s.io' }, spec: {
          service: { name: 'metrics-server', namespace: 'kube-system', port: msPort }, group: 'metrics.k8s.io', version: 'v1beta1',
          insecureSkipTLSVerify: true, groupPriorityMinimum: 100, versionPriority: 100,
        } },
      ] }),
    });

    let lastTop = '';
    // metrics-server needs two scrapes of the node for a rate: wait on what kubectl top shows.
    const topNode = await waitUntil(async () => {
      if (metricsServer?.exitCode !== null) throw new Error(`metrics-server exited; see ${msDir}/metrics-server.log`);
      const out = await k.kubectl(['top', 'node', node]);
      const [, cpu = '', , mem = ''] = out.trim().split('\n')[1]?.trim().split(/\s+/) ?? [];
      lastTop = out;
      return parseInt(cpu, 10) > 0 && parseInt(mem, 10) > 0 ? out : undefined;
    }, 'kubectl top node with figures', 60_000, 1000).catch((err: unknown) => {
      throw new Error(`${String(err)}; last output:\n${lastTop}`);
    });
    shown.push(`$ kubectl top node ${node}\n${topNode}`);

    const topPods = await waitUntil(async () => {
      const out = await k.kubectl(['top', 'pod', '-n', NS, '--containers']);
      const rows = out.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
      const burn = rows.find((r) => r[0] === `burn-${node}`);
      const mem = rows.find((r) => r[0] === `mem-${node}`);
      return burn && mem && parseInt(burn[2] ?? '', 10) > 0 && parseInt(mem[3] ?? '', 10) >= 40 ? out : undefined;
    }, 'kubectl top pod with both pods', 120_000, 1000);
    shown.push(`$ kubectl top pod -n ${NS} --containers\n${topPods}`);

    // The API server's own path to the node: nodes/proxy with its kubelet client certificate.
    const raw = JSON.parse(await k.kubectl(['get', '--raw', `/api/v1/nodes/${node}/proxy/stats/summary`])) as { node: { nodeName: string }; pods: { podRef: { name: string }; network?: { name?: string } }[] };
    expect(raw.node.nodeName).toBe(node);
    expect(raw.pods.map((p) => p.podRef.name).sort()).toEqual([`burn-${node}`, `mem-${node}`]);
    // Pods on a bridge network have their eth0 counters (from the sandbox's netns).
    expect(raw.pods.every((p) => p.network?.name === 'eth0')).toBe(true);
    shown.push(`$ kubectl get --raw /api/v1/nodes/${node}/proxy/stats/summary → ${raw.pods.length} pods`);
  }, 300_000);
});
