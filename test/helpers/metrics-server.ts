// The real metrics-server (test/go/metrics-server, built by test/go/build.sh) behind the
// aggregation layer of a test's kube-apiserver (kube-cluster.ts), for `kubectl top`.
//
// metrics-server runs on the host and is reached through an ExternalName Service (`localhost`):
// Endpoints refuse loopback addresses, and the aggregator sends to an ExternalName's name when
// aggregator routing is off. It authenticates its callers with the admin kubeconfig; towards the
// API server and the kubelets it is whoever its --kubeconfig says (e.g. its ServiceAccount token,
// as in a real cluster, from metricsServerIdentity).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestPki, issueClientCert } from '../fake-apiserver/pki.js';
import { freePort, type KubeCluster } from './kube-cluster.js';

const run = promisify(execFile);
const GO_DIR = fileURLToPath(new URL('../go/', import.meta.url));

export async function buildMetricsServer(): Promise<string> {
  const { stdout } = await run(join(GO_DIR, 'build.sh'), ['metrics-server', 'sigs.k8s.io/metrics-server/cmd/metrics-server', 'metrics-server'], { maxBuffer: 16 * 1024 * 1024, timeout: 20 * 60_000 });
  return stdout.trim();
}

/** kube-apiserver flags of the aggregation layer (requestheader front proxy), with a PKI of their own. */
export async function aggregationFlags(): Promise<string[]> {
  const front = await createTestPki(undefined, 'front-proxy-ca');
  const proxyClient = await issueClientCert(front, 'front-proxy-client', 'front-proxy-client', []);
  return [
    `--requestheader-client-ca-file=${front.ca.certPath}`,
    '--requestheader-allowed-names=front-proxy-client',
    '--requestheader-username-headers=X-Remote-User',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    `--proxy-client-cert-file=${proxyClient.certPath}`,
    `--proxy-client-key-file=${proxyClient.keyPath}`,
  ];
}

/**
 * The ServiceAccount kube-system/metrics-server with the official manifest's ClusterRole
 * system:metrics-server (nodes/metrics get; pods and nodes get/list/watch), and a kubeconfig
 * with its token: what metrics-server uses towards the API server and the kubelets.
 */
export async function metricsServerIdentity(cluster: KubeCluster): Promise<string> {
  const rbac = { apiVersion: 'v1', kind: 'List', items: [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'metrics-server', namespace: 'kube-system' } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'system:metrics-server' }, rules: [
      { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] },
    ] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'system:metrics-server' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:metrics-server' },
      subjects: [{ kind: 'ServiceAccount', name: 'metrics-server', namespace: 'kube-system' }] },
  ] };
  await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(rbac) });
  const token = (await cluster.kubectl(['create', 'token', '-n', 'kube-system', 'metrics-server', '--duration=2h'])).trim();
  const path = join(cluster.dir, 'metrics-server.kubeconfig');
  await writeFile(path, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'ms',
    clusters: [{ name: 'test', cluster: { server: cluster.url, 'certificate-authority-data': Buffer.from(cluster.pki.ca.cert).toString('base64') } }],
    users: [{ name: 'metrics-server', user: { token } }],
    contexts: [{ name: 'ms', context: { cluster: 'test', user: 'metrics-server' } }],
  }), { mode: 0o600 });
  return path;
}

export interface MetricsServer {
  readonly dir: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts metrics-server (kubelets at their InternalIP and daemonEndpoints port) and registers
 * v1beta1.metrics.k8s.io. `kubeletCaFile` verifies the kubelets' serving certificates; without
 * it, --kubelet-insecure-tls.
 */
export async function startMetricsServer(cluster: KubeCluster, opts: { readonly binary: string; readonly kubeconfig: string; readonly kubeletCaFile?: string }): Promise<MetricsServer> {
  const msPort = await freePort();
  const dir = join(cluster.dir, 'metrics-server');
  await mkdir(dir, { recursive: true });
  const log = createWriteStream(join(dir, 'metrics-server.log'));
  const child = spawn(opts.binary, [
    `--secure-port=${msPort}`, '--bind-address=127.0.0.1', `--cert-dir=${dir}`,
    `--kubeconfig=${opts.kubeconfig}`, `--authentication-kubeconfig=${cluster.adminKubeconfig}`, `--authorization-kubeconfig=${cluster.adminKubeconfig}`,
    opts.kubeletCaFile ? `--kubelet-certificate-authority=${opts.kubeletCaFile}` : '--kubelet-insecure-tls',
    '--kubelet-use-node-status-port', '--kubelet-preferred-address-types=InternalIP',
    '--metric-resolution=15s', '-v=2',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  await cluster.kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'metrics-server', namespace: 'kube-system' }, spec: { type: 'ExternalName', externalName: 'localhost', ports: [{ name: 'https', port: msPort, protocol: 'TCP' }] } },
      { apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name: 'v1beta1.metrics.k8s.io' }, spec: {
        service: { name: 'metrics-server', namespace: 'kube-system', port: msPort }, group: 'metrics.k8s.io', version: 'v1beta1',
        insecureSkipTLSVerify: true, groupPriorityMinimum: 100, versionPriority: 100,
      } },
    ] }),
  });
  return {
    dir,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      log.end();
    },
  };
}
