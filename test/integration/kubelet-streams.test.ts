// kubectl exec / attach / port-forward through the REAL kube-apiserver (v1.37.2, test/go/kube)
// to nodelet's KubeletStreams (agent/kubelet-server/streams.ts) over a real agent's pods on the
// real Docker Engine. The kubelet HTTPS server is another module's: here a bare node:https
// listener (serving cert from the rig's CA, no authn) routes /exec, /attach and /portForward
// upgrades straight to KubeletStreams and records the headers the API server sends. A Node
// object (InternalIP 127.0.0.1, daemonEndpoints.kubeletEndpoint.Port = the listener) and a Pod
// bound to it are made with admin kubectl; the agent's pods run on a bridge network of the test's
// own inside 198.18.0.0/15 (one pod on the host network).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerFromEnv, makeTestAgent, waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { buildKubeBinaries, freePort, startKubeCluster, type KubeCluster } from '../helpers/kube-cluster.js';
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

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** kubectl with the admin kubeconfig; resolves with its exit code and output whatever the code. */
function kubectl(args: readonly string[], input?: string): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = execFile(cluster.binaries.kubectl, [`--kubeconfig=${cluster.adminKubeconfig}`, ...args], { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
    child.stdin?.end(input ?? '');
  });
}

/** A long-running kubectl whose output is watched for `match`. */
function kubectlUntil(args: readonly string[], match: RegExp): { child: ChildProcess; matched: Promise<RegExpMatchArray>; output: () => string } {
  const child = spawn(cluster.binaries.kubectl, [`--kubeconfig=${cluster.adminKubeconfig}`, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const matched = new Promise<RegExpMatchArray>((resolve, reject) => {
    const check = (chunk: Buffer): void => {
      out += chunk.toString();
      const m = out.match(match);
      if (m) resolve(m);
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    child.once('exit', (code) => reject(new Error(`kubectl ${args.join(' ')} exited (${String(code)}) before ${String(match)}: ${out}`)));
  });
  matched.catch(() => undefined);
  return { child, matched, output: () => out };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

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
${busyboxSh('main', 'sleep 3600')}${busyboxSh('talker', 'while read l; do echo got-$l; done; sleep 3600', '    stdin: true')}`,
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
  await registerPod(shell, [{ name: 'main' }, { name: 'talker', stdin: true }, { name: 'ghost' }]);
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
  it('exec: exit code 3 comes back as kubectl\'s exit code; the API server reached us over SPDY/3.1 (v4)', async () => {
    const r = await kubectl(['exec', shell, '-c', 'main', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toContain('err\n');
    expect(r.stderr).toContain('command terminated with exit code 3');
    expect(r.code).toBe(3);
    const last = seen.filter((s) => s.path.startsWith('/exec/')).at(-1);
    console.log('exec request at the kubelet:', JSON.stringify(last));
    expect(last?.upgrade).toBe('SPDY/3.1');
    expect(last?.protocols.join(',')).toContain('v4.channel.k8s.io');
    // And what kubectl itself sent to the API server (its request log at -v=8).
    const verbose = await kubectl(['-v=8', 'exec', shell, '-c', 'main', '--', 'true']);
    const upgradeLines = verbose.stderr.split('\n').filter((l) => /Request Headers|Upgrade|Sec-Websocket-Protocol|X-Stream-Protocol-Version|websocket/i.test(l));
    console.log('kubectl -> kube-apiserver (exec):', upgradeLines.map((l) => l.replace(/^.*\] /, '')).join(' | '));
    expect(verbose.code).toBe(0);
    expect(upgradeLines.join('\n')).toMatch(/Upgrade: websocket/);
    expect(upgradeLines.join('\n')).toMatch(/Sec-Websocket-Protocol: v5\.channel\.k8s\.io/);
  });

  it('exec -i: stdin reaches the command and its EOF ends it', async () => {
    const r = await kubectl(['exec', '-i', shell, '-c', 'main', '--', 'sh', '-c', 'tr a-z A-Z; echo done'], 'hello\nworld\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('HELLO\nWORLD\ndone\n');
  });

  it('exec -it in a pty: the terminal size arrives, a resize follows, the exit code is kept', async () => {
    // python3's pty: the child starts on a 30x100 terminal; once "30 100" is printed the test
    // resizes the pty (the kernel sends kubectl SIGWINCH) and the command waits for the new size.
    const driver = `
import fcntl, os, pty, struct, sys, termios
def size(fd, r, c): fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', r, c, 0, 0))
pid, fd = pty.fork()
if pid == 0:
    size(0, 30, 100)
    os.execv(sys.argv[1], sys.argv[1:])
out = b''
resized = False
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
    if not resized and b'30 100' in out:
        resized = True
        size(fd, 50, 120)
sys.stdout.write(out.decode(errors='replace'))
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
`;
    // The container polls its own terminal (an event wait inside the pod): it waits for the
    // client's size (Docker before API 1.42 creates the TTY at 0x0 and the first resize lands
    // just after the start), prints it, then waits for it to change and prints the new one.
    const script = 'until [ "$(stty size 2>/dev/null)" = "30 100" ]; do sleep 0.1; done; echo first $(stty size); while [ "$(stty size)" = "30 100" ]; do sleep 0.1; done; stty size; exit 7';
    const r = await new Promise<Run>((resolve) => {
      const started = performance.now();
      execFile('python3', ['-c', driver, cluster.binaries.kubectl, `--kubeconfig=${cluster.adminKubeconfig}`, 'exec', '-it', shell, '-c', 'main', '--', 'sh', '-c', script], { timeout: 60_000 }, (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? null) : 0;
        resolve({ code, stdout, stderr, ms: performance.now() - started });
      });
    });
    expect(r.stdout).toMatch(/first 30 100\r?\n50 120\r?\n/);
    expect(r.code).toBe(7);
    const last = seen.filter((s) => s.path.startsWith('/exec/')).at(-1);
    expect(last?.upgrade).toBe('SPDY/3.1');
  });

  it('attach -i: input reaches the running container and its output comes back', async () => {
    const session = kubectlUntil(['attach', '-i', shell, '-c', 'talker'], /got-ping/);
    session.child.stdin?.write('ping\n');
    await session.matched;
    await stop(session.child);
    const last = seen.filter((s) => s.path.startsWith('/attach/')).at(-1);
    console.log('attach request at the kubelet:', JSON.stringify(last));
    expect(last?.upgrade).toBe('SPDY/3.1');
  });

  it('port-forward: HTTP through the tunnel to 127.0.0.1:8080 inside a bridge-network pod; several connections on one session', async () => {
    const pf = kubectlUntil(['-v=8', 'port-forward', `pod/${web}`, `:${WEB_PORT}`], /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/);
    const m = await pf.matched;
    try {
      const local = Number(m[1]);
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`http://127.0.0.1:${local}/index.html`, { headers: { connection: 'close' } });
        expect(await res.text()).toBe('hello-from-pod\n');
      }
    } finally {
      await stop(pf.child);
    }
    const last = seen.filter((s) => s.path.startsWith('/portForward/')).at(-1);
    console.log('port-forward request at the kubelet:', JSON.stringify(last));
    console.log('kubectl -> kube-apiserver (port-forward):', pf.output().split('\n').filter((l) => /Upgrade|Sec-Websocket-Protocol|X-Stream-Protocol-Version|websocket/i.test(l)).map((l) => l.replace(/^.*\] /, '')).join(' | '));
    expect(last?.upgrade).toBe('SPDY/3.1');
    expect(last?.protocols).toContain('portforward.k8s.io');
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
