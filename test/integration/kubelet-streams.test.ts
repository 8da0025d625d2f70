// kubectl exec / port-forward through the REAL kube-apiserver (v1.37.2, test/go/kube) to
// nodelet's KubeletStreams (agent/kubelet-server/streams.ts) over a real agent's pods on the real
// Docker Engine, for what the real endpoint cannot show: a bare node:https listener (serving cert
// from the rig's CA, no authn) routes /exec, /attach and /portForward upgrades straight to
// KubeletStreams and records the headers the API server sends (the protocol it picks), and an
// API Pod may name a container the agent does not run. The everyday kubectl behaviours (exec exit
// code, -i, -it in a pty, attach, port-forward) run through the real agent's endpoint in
// kubelet-endpoint-e2e.test.ts. A Node
// object (InternalIP 127.0.0.1, daemonEndpoints.kubeletEndpoint.Port = the listener) and a Pod
// bound to it are made with admin kubectl; the agent's pods run on a bridge network of the test's
// own inside 198.18.0.0/15 (one pod on the host network).
import { createHash } from 'node:crypto';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerFromEnv, makeTestAgent, waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { buildKubeBinaries, freePort, startKubeCluster, type KubeCluster } from '../helpers/kube-cluster.js';
import { kubectlRun, kubectlUntil as watchKubectl, stopKubectl as stop, type KubectlRun } from '../helpers/kubectl-run.js';
import { busyboxSh, hostNetworkPod } from '../helpers/pod-fixtures.js';
import { createTestNetwork, type TestNetwork } from '../helpers/test-network.js';
import { issueServingCert } from '../fake-apiserver/pki.js';
import { AgentApiBackend } from '../../agent/api-backend.js';
import { DockerRuntime } from '../../agent/runtime/docker/docker-runtime.js';
import { DISABLED_REPORTING } from '../../agent/mirror/reporting-state.js';
import type { HostFacts } from '../../agent/node/host-facts.js';
import { createKubeletStreams } from '../../agent/kubelet-server/streams.js';
import type { KubeletStreams } from '../../agent/kubelet-server/ports.js';
import { TEST_IMAGES } from '../helpers/docker-engine.js';

const BUILD_TIMEOUT_MS = 60 * 60_000;
const suffix = `${process.pid}-${Date.now().toString(36)}`;
const nodeName = `streams-${suffix}`;
const NS = 'default';
const WEB_PORT = 8080;

let cluster: KubeCluster;
let agent: TestAgent;
let network: TestNetwork;
let listener: Server;
let hostPort: number;
/** The upgrade requests that reached the "kubelet": path and the headers that pick the protocol. */
const seen: { path: string; method: string; upgrade: string | undefined; connection: string | undefined; protocols: string[] }[] = [];

/** The static pods' names as the agent (and the API server, for mirror pods) knows them. */
const shell = `shell-${nodeName}`;
const web = `web-${nodeName}`;
const hostweb = `hostweb-${nodeName}`;

function route(streams: KubeletStreams, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const url = new URL(req.url ?? '/', 'https://kubelet');
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const q = url.searchParams;
  const flags = { stdin: q.get('input') === '1', stdout: q.get('output') === '1', stderr: q.get('error') === '1' && q.get('tty') !== '1', tty: q.get('tty') === '1' };
  const [kind, namespace = '', pod = ''] = parts;
  const rest = parts.slice(3);
  const container = rest.length === 2 ? (rest[1] ?? '') : (rest[0] ?? '');
  const uid = rest.length === 2 ? { uid: rest[0] ?? '' } : {};
  if (kind === 'exec') streams.exec({ namespace, pod, container, ...uid, ...flags, command: q.getAll('command') }, req, socket, head);
  else if (kind === 'attach') streams.attach({ namespace, pod, container, ...uid, ...flags }, req, socket, head);
  else if (kind === 'portForward') streams.portForward({ namespace, pod, ...(rest[0] ? { uid: rest[0] } : {}), ports: q.getAll('port').map(Number) }, req, socket, head);
  else socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
}

const kubectl = (args: readonly string[], input?: string): Promise<KubectlRun> => kubectlRun(cluster, args, input);
const kubectlUntil = (args: readonly string[], match: RegExp): ReturnType<typeof watchKubectl> => watchKubectl(cluster, args, match);

/** The API-server Pod for one of the agent's pods, bound to our node and marked Running. */
async function registerPod(name: string, containers: { name: string; stdin?: boolean; tty?: boolean }[]): Promise<void> {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: { nodeName, containers: containers.map((c) => ({ name: c.name, image: TEST_IMAGES.busybox, ...(c.stdin ? { stdin: true } : {}), ...(c.tty ? { tty: true } : {}) })) },
  };
  await cluster.kubectl(['create', '-f', '-'], { input: JSON.stringify(pod) });
  const status = { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } };
  const res = await cluster.request('PATCH', `/api/v1/namespaces/${NS}/pods/${name}/status`, status, { contentType: 'application/merge-patch+json' });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  await buildKubeBinaries();
  cluster = await startKubeCluster();
  network = await createTestNetwork(dockerFromEnv(), 'streams');
  agent = await makeTestAgent({ nodeName, flags: { podNetwork: network.name } });
  hostPort = await freePort();
  await agent.write(
    'shell.yaml',
    `apiVersion: v1
kind: Pod
metadata: { name: shell }
spec:
  terminationGracePeriodSeconds: 1
  containers:
${busyboxSh('main', 'sleep 3600')}`,
  );
  await agent.write(
    'web.yaml',
    `apiVersion: v1
kind: Pod
metadata: { name: web }
spec:
  terminationGracePeriodSeconds: 1
  containers:
${busyboxSh('srv', `mkdir -p /www && echo hello-from-pod > /www/index.html && exec httpd -f -p 127.0.0.1:${WEB_PORT} -h /www`)}`,
  );
  await agent.write('hostweb.yaml', hostNetworkPod('hostweb', 1, busyboxSh('srv', `mkdir -p /tmp/www && echo hello-from-host-pod > /tmp/www/index.html && exec httpd -f -p 127.0.0.1:${hostPort} -h /tmp/www`)));

  const runtime = new DockerRuntime({ docker: agent.docker, nodeName });
  const backend = new AgentApiBackend({
    agent: agent.running.agent,
    events: agent.running.events,
    streams: runtime,
    nodeName,
    version: 'test',
    host: {} as HostFacts, // node() is not called by the streams
    reporting: () => DISABLED_REPORTING,
    nodeConditions: () => [],
    startedAt: Date.now(),
  });
  await waitUntil(
    () => Promise.resolve(backend.listPods().filter((p) => [shell, web, hostweb].includes(p.metadata?.name ?? '') && (p.status?.containerStatuses ?? []).length > 0 && (p.status?.containerStatuses ?? []).every((s) => s.state?.running)).length === 3),
    'the three pods running',
    90_000,
  );
  const streams = createKubeletStreams({ backend, logger: agent.running.logger.child({ component: 'kubelet-streams' }) });
  const serving = await issueServingCert(cluster.pki, `kubelet-${suffix}`, nodeName, ['IP:127.0.0.1']);
  listener = createHttpsServer({ cert: serving.cert, key: serving.key, ca: cluster.pki.ca.cert, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    res.writeHead(404).end();
  });
  listener.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const raw = req.rawHeaders;
    const protocols: string[] = [];
    for (let i = 0; i < raw.length; i += 2) if (raw[i]?.toLowerCase() === 'x-stream-protocol-version') protocols.push(raw[i + 1] ?? '');
    seen.push({ path: (req.url ?? '').split('?')[0] ?? '', method: req.method ?? '', upgrade: req.headers.upgrade, connection: req.headers.connection, protocols });
    route(streams, req, socket, head);
  });
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  const port = (listener.address() as AddressInfo).port;

  await cluster.kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName } }) });
  const nodeStatus = { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: nodeName }], daemonEndpoints: { kubeletEndpoint: { Port: port } } } };
  const patched = await cluster.request('PATCH', `/api/v1/nodes/${nodeName}/status`, nodeStatus, { contentType: 'application/merge-patch+json' });
  expect(patched.status).toBe(200);
  // No controller-manager in the rig: the ServiceAccount admission needs the namespace's default account.
  await cluster.kubectl(['create', 'serviceaccount', 'default', '-n', NS]).catch((err: unknown) => {
    if (!/AlreadyExists/.test(String(err))) throw err;
  });
  // `ghost` is in the API's Pod but not in the agent's: the API server lets the exec through and the kubelet answers.
  await registerPod(shell, [{ name: 'main' }, { name: 'ghost' }]);
  await registerPod(web, [{ name: 'srv' }]);
  await registerPod(hostweb, [{ name: 'srv' }]);
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  listener?.close();
  await agent?.cleanup();
  await network?.remove().catch(() => undefined);
  await cluster?.stop();
}, 120_000);

describe('kubectl through the real kube-apiserver to KubeletStreams', () => {
  it('the protocol: kubectl speaks websockets (v5) to the API server, which reaches the kubelet over SPDY/3.1 (v4; portforward.k8s.io)', async () => {
    const verbose = await kubectl(['-v=8', 'exec', shell, '-c', 'main', '--', 'true']);
    expect(verbose.code).toBe(0);
    const last = seen.filter((s) => s.path.startsWith('/exec/')).at(-1);
    console.log('exec request at the kubelet:', JSON.stringify(last));
    expect(last?.upgrade).toBe('SPDY/3.1');
    expect(last?.protocols.join(',')).toContain('v4.channel.k8s.io');
    const upgradeLines = verbose.stderr.split('\n').filter((l) => /Request Headers|Upgrade|Sec-Websocket-Protocol|X-Stream-Protocol-Version|websocket/i.test(l));
    console.log('kubectl -> kube-apiserver (exec):', upgradeLines.map((l) => l.replace(/^.*\] /, '')).join(' | '));
    expect(upgradeLines.join('\n')).toMatch(/Upgrade: websocket/);
    expect(upgradeLines.join('\n')).toMatch(/Sec-Websocket-Protocol: v5\.channel\.k8s\.io/);
    const pf = kubectlUntil(['port-forward', `pod/${web}`, `:${WEB_PORT}`], /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/);
    const m = await pf.matched;
    try {
      const res = await fetch(`http://127.0.0.1:${Number(m[1])}/index.html`, { headers: { connection: 'close' } });
      expect(await res.text()).toBe('hello-from-pod\n');
    } finally {
      await stop(pf.child);
    }
    const forward = seen.filter((s) => s.path.startsWith('/portForward/')).at(-1);
    console.log('port-forward request at the kubelet:', JSON.stringify(forward));
    expect(forward?.upgrade).toBe('SPDY/3.1');
    expect(forward?.protocols).toContain('portforward.k8s.io');
  });

  it('port-forward to a host-network pod reaches the host\'s 127.0.0.1', async () => {
    const pf = kubectlUntil(['port-forward', `pod/${hostweb}`, `:${hostPort}`], /Forwarding from 127\.0\.0\.1:(\d+) ->/);
    const m = await pf.matched;
    try {
      const res = await fetch(`http://127.0.0.1:${Number(m[1])}/index.html`, { headers: { connection: 'close' } });
      expect(await res.text()).toBe('hello-from-host-pod\n');
    } finally {
      await stop(pf.child);
    }
  });

  it('port-forward to a closed port: kubectl reports the kubelet\'s "error forwarding port" message', async () => {
    const pf = kubectlUntil(['port-forward', `pod/${web}`, ':9'], /Forwarding from 127\.0\.0\.1:(\d+) -> 9/);
    const m = await pf.matched;
    try {
      await fetch(`http://127.0.0.1:${Number(m[1])}/`).catch(() => undefined);
      await waitUntil(() => Promise.resolve(/error forwarding port 9 to pod/.test(pf.output())), 'kubectl to print the error', 30_000);
      expect(pf.output()).toMatch(new RegExp(`error forwarding port 9 to pod ${web}, uid : exit status 1: connect ECONNREFUSED 127\\.0\\.0\\.1:9`));
    } finally {
      await stop(pf.child);
    }
  });

  it('exec of a container the node does not run: the kubelet\'s 500 "container not found", before any upgrade', async () => {
    const before = seen.length;
    const r = await kubectl(['exec', shell, '-c', 'ghost', '--', 'true']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unable to upgrade connection: container not found ("ghost")');
    expect(seen.slice(before).map((s) => s.path)).toEqual([`/exec/${NS}/${shell}/ghost`]);
  });

  it('large output: 10 MB through exec arrives intact (no flow-control stall)', async () => {
    const r = await kubectl(['exec', shell, '-c', 'main', '--', 'seq', '1', '1500000']);
    expect(r.code).toBe(0);
    let expected = '';
    const hash = createHash('sha256');
    for (let i = 1; i <= 1_500_000; i++) expected += `${i}\n`;
    hash.update(expected);
    expect(r.stdout.length).toBe(expected.length);
    expect(createHash('sha256').update(r.stdout).digest('hex')).toBe(hash.digest('hex'));
    const rtt = await kubectl(['exec', shell, '-c', 'main', '--', 'true']);
    expect(rtt.code).toBe(0);
    console.log(`figures: ${(expected.length / 1e6).toFixed(1)} MB exec output in ${r.ms.toFixed(0)} ms (${(expected.length / 1e6 / (r.ms / 1000)).toFixed(1)} MB/s, kubectl start included); kubectl exec true round trip ${rtt.ms.toFixed(0)} ms`);
  });
});
