// A real Kubernetes control plane for tests and benchmarks: etcd and kube-apiserver built from
// the official Go modules (test/go/kube, by test/go/build.sh, cached outside the checkout) and
// run on 127.0.0.1 free ports with a throw-away PKI, the Node authorizer and NodeRestriction on,
// as a kubeadm control plane has them. No controller-manager and no scheduler run: no
// garbage collection, no node-lifecycle taints, no default ServiceAccount per namespace.
//
// Everything stays on loopback. stop() ends both processes (by their own pids) and removes the
// temp dir. Readiness is GET /readyz with the admin certificate, polled, never a fixed sleep.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createWriteStream, type WriteStream } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createSigningKey, createTestPki, issueClientCert, issueServingCert, type CertPair, type TestPki } from '../fake-apiserver/pki.js';

const run = promisify(execFile);
/** The repository's test/go; this file is test/helpers (tests) or dist/test/helpers (benchmarks). */
const GO_DIR = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../test/go/' : '../go/', import.meta.url));

export interface KubeBinaries {
  readonly kubeApiserver: string;
  readonly kubectl: string;
  readonly etcd: string;
}

/** What one test/go/build.sh call took (cached: the binary was already there). */
export interface BuildTiming {
  readonly name: string;
  readonly ms: number;
}

const TOOLS = [
  { key: 'kubeApiserver', pkg: 'k8s.io/kubernetes/cmd/kube-apiserver', name: 'kube-apiserver' },
  { key: 'etcd', pkg: 'go.etcd.io/etcd/server/v3', name: 'etcd' },
  { key: 'kubectl', pkg: 'k8s.io/kubernetes/cmd/kubectl', name: 'kubectl' },
] as const;

let built: Promise<KubeBinaries> | undefined;

/**
 * Builds (or finds cached) kube-apiserver, etcd and kubectl. A cold build on 2 cores takes
 * minutes (see README, Tests); callers give their hook a long timeout. One build per process.
 */
export function buildKubeBinaries(timings?: BuildTiming[]): Promise<KubeBinaries> {
  built ??= (async () => {
    const out: Record<string, string> = {};
    for (const t of TOOLS) {
      const started = Date.now();
      const { stdout } = await run('bash', [join(GO_DIR, 'build.sh'), 'kube', t.pkg, t.name], { maxBuffer: 16 * 1024 * 1024, timeout: 60 * 60_000 });
      out[t.key] = stdout.trim();
      timings?.push({ name: t.name, ms: Date.now() - started });
    }
    return out as unknown as KubeBinaries;
  })();
  return built;
}

/** A free TCP port on 127.0.0.1 (bound once, then released for the child to take). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface KubeClusterOptions {
  /** Extra kube-apiserver flags (e.g. --audit-log-path=...). */
  readonly apiserverFlags?: readonly string[];
  /** Where the children's output goes; default a file in the cluster dir. */
  readonly logDir?: string;
}

export interface KubeCluster {
  readonly dir: string;
  readonly url: string;
  readonly pki: TestPki;
  readonly binaries: KubeBinaries;
  /** kubeconfig of CN=admin, O=system:masters. */
  readonly adminKubeconfig: string;
  /** A kubeconfig for system:node:<name> in system:nodes, as a kubeadm node has. */
  nodeKubeconfig(nodeName: string): Promise<string>;
  /** kubectl with the admin kubeconfig; rejects with its stderr on a non-zero exit. */
  kubectl(args: readonly string[], opts?: { input?: string; kubeconfig?: string }): Promise<string>;
  /** kubectl ... -o json, parsed. */
  kubectlJson<T = unknown>(args: readonly string[]): Promise<T>;
  /** One HTTPS request with a kubeconfig's client certificate (admin by default). */
  request(method: string, path: string, body?: unknown, opts?: { contentType?: string; cert?: CertPair }): Promise<{ status: number; body: unknown }>;
  /** Stops kube-apiserver only (an outage); etcd and the data stay. */
  stopApiserver(): Promise<void>;
  /** Starts kube-apiserver again on the same port and waits for /readyz. */
  startApiserver(): Promise<void>;
  readonly admin: CertPair;
  /** The client certificate of a node kubeconfig written by nodeKubeconfig. */
  nodeCert(nodeName: string): CertPair | undefined;
  readonly apiserverPid: number | undefined;
  stop(): Promise<void>;
}

function kubeconfigJson(server: string, ca: string, user: string, client: CertPair): string {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster: { server, 'certificate-authority-data': b64(ca) } }],
      users: [{ name: user, user: { 'client-certificate-data': b64(client.cert), 'client-key-data': b64(client.key) } }],
      contexts: [{ name: 'test', context: { cluster: 'test', user } }],
      'current-context': 'test',
    },
    null,
    2,
  );
}

function httpsRequest(url: string, method: string, ca: string, client: CertPair, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = https.request(url, { method, ca, cert: client.cert, key: client.key, headers: { Accept: 'application/json', ...(data !== undefined ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(data) } : {}) }, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // plain text (e.g. /readyz "ok")
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    req.on('error', reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

function startChild(bin: string, args: readonly string[], log: WriteStream): ChildProcess {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  return child;
}

async function stopChild(child: ChildProcess | undefined, timeoutMs = 10_000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>, died: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = died();
    if (dead) throw new Error(`${what}: ${dead}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Builds the binaries if needed, then starts etcd and kube-apiserver and waits for /readyz. */
export async function startKubeCluster(opts: KubeClusterOptions = {}): Promise<KubeCluster> {
  const binaries = await buildKubeBinaries();
  const dir = await mkdtemp(join(tmpdir(), 'nodelet-kube-'));
  const pki = await createTestPki(dir, 'nodelet-test-ca');
  const serving = await issueServingCert(pki, 'apiserver', 'kube-apiserver', [
    'IP:127.0.0.1', 'IP:10.0.0.1', 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local',
  ]);
  const admin = await issueClientCert(pki, 'admin', 'admin', ['system:masters']);
  const kubeletClient = await issueClientCert(pki, 'apiserver-kubelet-client', 'kube-apiserver-kubelet-client', ['system:masters']);
  const sa = await createSigningKey(pki, 'sa');
  const [etcdClientPort, etcdPeerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const url = `https://127.0.0.1:${apiPort}`;
  const logDir = opts.logDir ?? dir;
  const etcdLog = createWriteStream(join(logDir, 'etcd.log'), { flags: 'a' });
  const apiLog = createWriteStream(join(logDir, 'kube-apiserver.log'), { flags: 'a' });
  const adminKubeconfig = join(dir, 'admin.kubeconfig');
  await writeFile(adminKubeconfig, kubeconfigJson(url, pki.ca.cert, 'admin', admin), { mode: 0o600 });

  const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
  const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
  const etcd = startChild(binaries.etcd, [
    `--data-dir=${join(dir, 'etcd')}`, `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=default=${peerUrl}`,
    '--unsafe-no-fsync', '--log-level=warn',
  ], etcdLog);
  const exitText = (c: ChildProcess | undefined, name: string): string | undefined =>
    c && (c.exitCode !== null || c.signalCode !== null) ? `${name} exited (${c.signalCode ?? `code ${String(c.exitCode)}`}); see ${logDir}/${name}.log` : undefined;
  const apiArgs = [
    `--etcd-servers=${etcdUrl}`, '--bind-address=127.0.0.1', `--secure-port=${apiPort}`,
    '--advertise-address=127.0.0.1', '--endpoint-reconciler-type=none',
    `--tls-cert-file=${serving.certPath}`, `--tls-private-key-file=${serving.keyPath}`, `--client-ca-file=${pki.ca.certPath}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${sa.pubPath}`, `--service-account-signing-key-file=${sa.keyPath}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    '--authorization-mode=Node,RBAC', '--enable-admission-plugins=NodeRestriction',
    `--kubelet-client-certificate=${kubeletClient.certPath}`, `--kubelet-client-key=${kubeletClient.keyPath}`,
    '--kubelet-preferred-address-types=InternalIP,Hostname',
    '--profiling=false',
    ...(opts.apiserverFlags ?? []),
  ];
  let apiserver: ChildProcess | undefined;
  const ready = async (): Promise<boolean> => (await httpsRequest(`${url}/readyz`, 'GET', pki.ca.cert, admin)).status === 200;
  const startApiserver = async (): Promise<void> => {
    apiserver = startChild(binaries.kubeApiserver, apiArgs, apiLog);
    await waitFor('kube-apiserver /readyz', 120_000, ready, () => exitText(apiserver, 'kube-apiserver') ?? exitText(etcd, 'etcd'));
  };
  const stopAll = async (): Promise<void> => {
    await stopChild(apiserver);
    await stopChild(etcd);
  };
  const onExit = (): void => {
    apiserver?.kill('SIGKILL');
    etcd.kill('SIGKILL');
  };
  process.once('exit', onExit);
  try {
    await waitFor('etcd', 30_000, async () => (await fetch(`${etcdUrl}/health`)).ok, () => exitText(etcd, 'etcd'));
    await startApiserver();
  } catch (err) {
    await stopAll();
    throw err;
  }

  const nodeCerts = new Map<string, CertPair>();
  const kubectl = async (args: readonly string[], o: { input?: string; kubeconfig?: string } = {}): Promise<string> =>
    new Promise((resolve, reject) => {
      const child = execFile(binaries.kubectl, [`--kubeconfig=${o.kubeconfig ?? adminKubeconfig}`, ...args], { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`kubectl ${args.join(' ')}: ${stderr || err.message}`));
        else resolve(stdout);
      });
      if (o.input !== undefined) child.stdin?.end(o.input);
    });
  return {
    dir,
    url,
    pki,
    binaries,
    admin,
    adminKubeconfig,
    get apiserverPid() {
      return apiserver?.pid;
    },
    async nodeKubeconfig(nodeName) {
      const cert = await issueClientCert(pki, `node-${nodeName}`, `system:node:${nodeName}`, ['system:nodes']);
      nodeCerts.set(nodeName, cert);
      const path = join(dir, `node-${nodeName}.kubeconfig`);
      await writeFile(path, kubeconfigJson(url, pki.ca.cert, `system:node:${nodeName}`, cert), { mode: 0o600 });
      return path;
    },
    nodeCert: (nodeName) => nodeCerts.get(nodeName),
    kubectl,
    async kubectlJson<T>(args: readonly string[]): Promise<T> {
      return JSON.parse(await kubectl([...args, '-o', 'json'])) as T;
    },
    request: (method, path, body, o = {}) => httpsRequest(`${url}${path}`, method, pki.ca.cert, o.cert ?? admin, body, o.contentType),
    stopApiserver: () => stopChild(apiserver),
    startApiserver,
    async stop() {
      process.removeListener('exit', onExit);
      await stopAll();
      etcdLog.end();
      apiLog.end();
      if (!process.env.NODELET_KEEP_KUBE_DIR) await rm(dir, { recursive: true, force: true });
    },
  };
}
