// The kubelet endpoint (issue 16, server part) against a REAL kube-apiserver (v1.37.2 built from
// k8s.io/kubernetes; Node authorizer, RBAC) with a REAL nodelet agent reporting to it with its
// endpoint on: kubectl logs (tail, since, limit-bytes, -f, --previous) and nodes/proxy go
// through the API server to nodelet; authentication and authorization are checked with direct
// HTTPS requests; the serving certificate is requested through the kubernetes.io/kubelet-serving
// signer, approved with kubectl and issued by a real kube-controller-manager (csrsigning).
//
// The endpoint and the node's InternalIP (--node-ip) are the gateway address of a Docker network
// the test creates in 198.18.0.0/15: a 1.37 API server refuses nodes/proxy to a loopback node
// address (pkg/registry/core/node/strategy.go isProxyableHostname: `address not allowed`;
// pods/log to a node at 127.0.0.1 does work).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { connect, type PeerCertificate } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { dockerFromEnv, makeTestAgent, waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { busyboxSh, hostNetworkPod } from '../helpers/pod-fixtures.js';
import { buildKubeBinaries, freePort, startKubeCluster, type KubeCluster } from '../helpers/kube-cluster.js';
import { createTestNetwork, type TestNetwork } from '../helpers/test-network.js';
import { createForeignCa, issueClientCert, type CertPair } from '../fake-apiserver/pki.js';
import { httpsRequest, type HttpsAnswer } from '../helpers/https-request.js';

const run = promisify(execFile);
const BUILD_TIMEOUT_MS = 60 * 60_000;
const suffix = `${process.pid}-${Date.now().toString(36)}`;
const GO_DIR = fileURLToPath(new URL('../go/', import.meta.url));

let cluster: KubeCluster;
const agents: TestAgent[] = [];
const docker = dockerFromEnv();
let network: TestNetwork | undefined;
/** The host's address on the test's Docker network (its bridge gateway): global unicast, local. */
let hostIp: string;

beforeAll(async () => {
  await buildKubeBinaries();
  cluster = await startKubeCluster();
  network = await createTestNetwork(docker, 'kserver');
  hostIp = network.gateway;
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.cleanup()));
  await cluster?.stop();
  await network?.remove().catch(() => undefined);
}, 120_000);

/** An agent reporting as system:node:<name>, its kubelet endpoint on <hostIp>:<port> (--node-ip <hostIp>). */
async function agentWithEndpoint(nodeName: string, port: number, file: Record<string, unknown> = {}): Promise<TestAgent> {
  const kubeconfig = await cluster.nodeKubeconfig(nodeName);
  const t = await makeTestAgent({
    nodeName,
    flags: { kubeconfig, enableServer: true, address: hostIp, port, nodeIP: hostIp, clientCaFile: cluster.pki.ca.certPath },
    file: { crashLoopBackOff: { initial: '1s', max: '2s' }, ...file },
  });
  agents.push(t);
  return t;
}

type Answer = HttpsAnswer;

/** One HTTPS request straight to the kubelet endpoint (its certificate is not checked here). */
function direct(port: number, path: string, opts: { cert?: CertPair; token?: string; method?: string } = {}): Promise<Answer> {
  return httpsRequest({ host: hostIp, port, path, method: opts.method ?? 'GET', rejectUnauthorized: false, ...(opts.cert ? { cert: opts.cert.cert, key: opts.cert.key } : {}), headers: opts.token ? { Authorization: `Bearer ${opts.token}` } : {} });
}

/** The certificate the endpoint serves. */
function servedCertificate(port: number): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: hostIp, port, rejectUnauthorized: false }, () => {
      const cert = s.getPeerCertificate();
      s.end();
      resolve(cert);
    });
    s.on('error', reject);
  });
}

const MAIN = 'for i in 1 2 3 4 5; do echo line-$i; done; i=0; while true; do i=$((i+1)); echo tick-$i; sleep 1; done';
const CRASH = 'echo run-$(cat /proc/sys/kernel/random/uuid); sleep 2; exit 1';

describe('kubelet endpoint through a real kube-apiserver', () => {
  const nodeName = `kserver-${suffix}`;
  const pod = `logs-${nodeName}`;
  let port: number;
  let t: TestAgent;
  const kubectl = (args: readonly string[]): Promise<string> => cluster.kubectl(args);

  beforeAll(async () => {
    port = await freePort();
    t = await agentWithEndpoint(nodeName, port);
    await t.write('logs.yaml', hostNetworkPod('logs', 1, busyboxSh('main', MAIN) + busyboxSh('crash', CRASH)));
    // The mirror pod exists and main has printed its first ticks.
    await waitUntil(async () => (await kubectl(['logs', '-n', 'default', pod, '-c', 'main']).catch(() => '')).includes('tick-2'), 'logs through the API server', 120_000, 500);
  }, 180_000);

  it('advertises the port in status.daemonEndpoints, with the InternalIP of --node-ip', async () => {
    const node = await cluster.kubectlJson<Node>(['get', 'node', nodeName]);
    expect(node.status?.daemonEndpoints?.kubeletEndpoint?.Port).toBe(port);
    expect(node.status?.addresses?.filter((a) => a.type === 'InternalIP').map((a) => a.address)).toEqual([hostIp]);
    expect(t.running.kubeletPort).toBe(port);
  });

  it('kubectl logs: the whole log, --tail, --limit-bytes, --since-time', async () => {
    const all = await kubectl(['logs', '-n', 'default', pod, '-c', 'main']);
    expect(all.startsWith('line-1\nline-2\nline-3\nline-4\nline-5\ntick-1\n')).toBe(true);
    const tail = await kubectl(['logs', '-n', 'default', pod, '-c', 'main', '--tail=2']);
    expect(tail.split('\n').filter(Boolean)).toHaveLength(2);
    expect(tail).toMatch(/^tick-\d+\ntick-\d+\n$/);
    expect(await kubectl(['logs', '-n', 'default', pod, '-c', 'main', '--limit-bytes=9'])).toBe('line-1\nli');
    // --since-time now: only lines written from now on (the ticks), never the first lines.
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const since = await waitUntil(async () => {
      const out = await kubectl(['logs', '-n', 'default', pod, '-c', 'main', `--since-time=${now}`]);
      return out.includes('tick-') ? out : undefined;
    }, 'a tick after --since-time', 20_000, 500);
    expect(since).not.toContain('line-1');
    expect(await kubectl(['logs', '-n', 'default', pod, '-c', 'main', '--since=1h'])).toContain('line-1\n');
  }, 60_000);

  it('kubectl logs -f streams new lines as they are written', async () => {
    const child: ChildProcess = spawn(cluster.binaries.kubectl, [`--kubeconfig=${cluster.adminKubeconfig}`, 'logs', '-f', '-n', 'default', pod, '-c', 'main', '--tail=1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    try {
      const first = await waitUntil(async () => /tick-(\d+)/.exec(out)?.[1], 'first followed line', 20_000, 100);
      const later = await waitUntil(async () => {
        const ticks = [...out.matchAll(/tick-(\d+)/g)].map((m) => Number(m[1]));
        return ticks.some((n) => n >= Number(first) + 2) ? ticks : undefined;
      }, 'new lines while following', 20_000, 100);
      expect(later[0]).toBe(Number(first));
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGTERM');
    }
  }, 60_000);

  it('kubectl logs --previous shows the instance before the restart', async () => {
    await waitUntil(async () => {
      const p = await cluster.kubectlJson<Pod>(['get', 'pod', '-n', 'default', pod]);
      return (p.status?.containerStatuses?.find((c) => c.name === 'crash')?.restartCount ?? 0) >= 1 || undefined;
    }, 'crash restarted', 60_000, 500);
    const previous = await waitUntil(async () => (await kubectl(['logs', '-n', 'default', pod, '-c', 'crash', '--previous']).catch(() => '')) || undefined, 'previous logs', 30_000, 500);
    expect(previous).toMatch(/^run-[0-9a-f-]{36}\n$/);
    const current = await waitUntil(async () => (await kubectl(['logs', '-n', 'default', pod, '-c', 'crash']).catch(() => '')) || undefined, 'current logs', 30_000, 500);
    expect(current).toMatch(/^run-[0-9a-f-]{36}\n$/);
    expect(current).not.toBe(previous);
  }, 120_000);

  it('kubectl get --raw nodes/<n>/proxy/healthz and /pods', async () => {
    expect(await kubectl(['get', '--raw', `/api/v1/nodes/${nodeName}/proxy/healthz`])).toBe('ok');
    const list = JSON.parse(await kubectl(['get', '--raw', `/api/v1/nodes/${nodeName}/proxy/pods`])) as { kind: string; apiVersion: string; items: Pod[] };
    expect(list.kind).toBe('PodList');
    expect(list.apiVersion).toBe('v1');
    expect(list.items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`)).toEqual([`default/${pod}`]);
    const verbose = await kubectl(['get', '--raw', `/api/v1/nodes/${nodeName}/proxy/healthz?verbose`]);
    expect(verbose).toBe('[+]ping ok\n[+]log ok\n[+]syncloop ok\nhealthz check passed\n');
  });

  it('containerLogs errors: unknown pod and container (404), bad query (400/422), as the kubelet words them', async () => {
    const admin = cluster.admin;
    expect(await direct(port, `/containerLogs/default/nope/main`, { cert: admin })).toEqual({ status: 404, body: 'pod "nope" does not exist' });
    expect(await direct(port, `/containerLogs/default/${pod}/nope`, { cert: admin })).toEqual({ status: 404, body: `container "nope" not found in pod "${pod}"` });
    expect(await direct(port, `/containerLogs/default/${pod}/main?tailLines=x`, { cert: admin })).toEqual({ status: 400, body: '{"message": "Unable to decode query."}' });
    expect(await direct(port, `/containerLogs/default/${pod}/main?limitBytes=0`, { cert: admin })).toEqual({ status: 422, body: '{"message": "Invalid request."}' });
    expect(await direct(port, '/nothing-here', { cert: admin })).toEqual({ status: 404, body: '404 page not found\n' });
    expect(await direct(port, '/pods', { cert: admin, method: 'POST' })).toMatchObject({ status: 405, body: 'Method Not Allowed' });
  });

  describe('authentication and authorization (direct HTTPS)', () => {
    it('no certificate and no token: 401 Unauthorized, /healthz included', async () => {
      for (const path of ['/healthz', '/pods', `/containerLogs/default/${pod}/main`, '/metrics']) expect(await direct(port, path)).toEqual({ status: 401, body: 'Unauthorized' });
    });

    it('a certificate from another CA: 401', async () => {
      const foreign = await createForeignCa(cluster.pki);
      const cert = await issueClientCert(cluster.pki, `mallory-${suffix}`, 'system:masters-wannabe', ['system:masters'], foreign);
      expect(await direct(port, '/pods', { cert })).toEqual({ status: 401, body: 'Unauthorized' });
    });

    it('a token TokenReview rejects: 401', async () => {
      expect(await direct(port, '/healthz', { token: 'not-a-real-token' })).toEqual({ status: 401, body: 'Unauthorized' });
    });

    it('a valid ServiceAccount token that SubjectAccessReview denies: 403 with the kubelet body; after an RBAC grant: 200', async () => {
      const sa = `kserver-sa-${suffix}`;
      await kubectl(['create', 'serviceaccount', '-n', 'default', sa]);
      const token = (await kubectl(['create', 'token', '-n', 'default', sa])).trim();
      expect(await direct(port, '/pods', { token })).toEqual({ status: 403, body: `Forbidden (user=system:serviceaccount:default:${sa}, verb=get, resource=nodes, subresource(s)=[pods proxy])\n` });
      expect(await direct(port, '/stats/summary', { token, method: 'POST' })).toEqual({ status: 403, body: `Forbidden (user=system:serviceaccount:default:${sa}, verb=create, resource=nodes, subresource(s)=[stats])\n` });
      await kubectl(['create', 'clusterrole', `${sa}-pods`, '--verb=get', '--resource=nodes/pods']);
      await kubectl(['create', 'clusterrolebinding', `${sa}-pods`, `--clusterrole=${sa}-pods`, `--serviceaccount=default:${sa}`]);
      // The denial is cached 30 s (cacheUnauthorizedTTL), as the kubelet caches it.
      const ok = await waitUntil(async () => {
        const r = await direct(port, '/pods', { token });
        return r.status === 200 ? r : undefined;
      }, 'allowed after the grant', 60_000, 1000);
      expect(JSON.parse(ok.body)).toMatchObject({ kind: 'PodList', apiVersion: 'v1' });
      // nodes/pods does not reach /healthz (healthz, then proxy).
      expect(await direct(port, '/healthz', { token })).toEqual({ status: 403, body: `Forbidden (user=system:serviceaccount:default:${sa}, verb=get, resource=nodes, subresource(s)=[healthz proxy])\n` });
    }, 90_000);

    it('a client certificate of the cluster CA: user = CN, groups = O (system:masters may do anything)', async () => {
      const jane = await issueClientCert(cluster.pki, `jane-${suffix}`, 'jane', ['devs']);
      expect(await direct(port, '/healthz', { cert: jane })).toEqual({ status: 403, body: 'Forbidden (user=jane, verb=get, resource=nodes, subresource(s)=[healthz proxy])\n' });
      expect(await direct(port, '/healthz', { cert: cluster.admin })).toEqual({ status: 200, body: 'ok' });
    });

    it('the self-signed serving certificate is in <cert-dir>/kubelet.crt', async () => {
      const served = await servedCertificate(port);
      expect(served.subject.CN).toMatch(new RegExp(`^${nodeName}@\\d+$`));
      const onDisk = await readFile(join(t.stateDir, 'pki', 'kubelet.crt'), 'utf8');
      expect(onDisk).toContain('BEGIN CERTIFICATE');
      expect((await stat(join(t.stateDir, 'pki', 'kubelet.key'))).mode & 0o777).toBe(0o600);
    });
  });
});

describe('serving certificate through the kubernetes.io/kubelet-serving signer', () => {
  let kcm: ChildProcess | undefined;

  afterAll(async () => {
    if (kcm && kcm.exitCode === null) {
      const exited = new Promise((r) => kcm?.once('exit', r));
      kcm.kill('SIGTERM');
      await exited;
    }
  });

  it('requests a CSR (CN system:node:<n>, O system:nodes, SANs), waits for approval, serves the issued certificate', async () => {
    const { stdout } = await run('bash', [join(GO_DIR, 'build.sh'), 'kube-controller-manager', 'k8s.io/kubernetes/cmd/kube-controller-manager', 'kube-controller-manager'], { maxBuffer: 16 * 1024 * 1024, timeout: BUILD_TIMEOUT_MS });
    const log = createWriteStream(join(cluster.dir, 'kube-controller-manager.log'), { flags: 'a' });
    kcm = spawn(stdout.trim(), [
      `--kubeconfig=${cluster.adminKubeconfig}`, '--controllers=csrsigning', '--leader-elect=false', '--use-service-account-credentials=false',
      `--cluster-signing-cert-file=${cluster.pki.ca.certPath}`, `--cluster-signing-key-file=${cluster.pki.ca.keyPath}`,
      '--bind-address=127.0.0.1', `--secure-port=${await freePort()}`, `--authentication-kubeconfig=${cluster.adminKubeconfig}`, `--authorization-kubeconfig=${cluster.adminKubeconfig}`,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    kcm.stdout?.pipe(log);
    kcm.stderr?.pipe(log);
    const nodeName = `kserver-csr-${suffix}`;
    const port = await freePort();
    const t = await agentWithEndpoint(nodeName, port, { serverTLSBootstrap: true });
    interface Csr { metadata: { name: string }; spec: { username: string; signerName: string; usages: string[] }; status?: { certificate?: string } }
    const csr = await waitUntil(async () => {
      const list = await cluster.kubectlJson<{ items: Csr[] }>(['get', 'csr']);
      return list.items.find((c) => c.spec.username === `system:node:${nodeName}` && c.spec.signerName === 'kubernetes.io/kubelet-serving');
    }, 'the kubelet-serving CSR', 60_000, 500);
    expect(csr.spec.usages).toEqual(['digital signature', 'server auth']);
    // Not served before the approval (nothing to serve with).
    expect(t.running.kubeletPort).toBeUndefined();
    await cluster.kubectl(['certificate', 'approve', csr.metadata.name]);
    const served = await waitUntil(async () => (t.running.kubeletPort === port ? servedCertificate(port) : undefined), 'the endpoint serving the issued certificate', 60_000, 200);
    expect(served.subject.CN).toBe(`system:node:${nodeName}`);
    expect(served.subject.O).toBe('system:nodes');
    expect(served.issuer.CN).toBe('nodelet-test-ca');
    expect(served.subjectaltname).toBe(`DNS:${nodeName}, IP Address:${hostIp}`);
    const current = await readFile(join(t.stateDir, 'pki', 'kubelet-server-current.pem'), 'utf8');
    expect(current).toContain('BEGIN CERTIFICATE');
    expect(current).toContain('PRIVATE KEY');
    // The API server reaches it (it does not verify kubelet certificates without --kubelet-certificate-authority).
    expect(await cluster.kubectl(['get', '--raw', `/api/v1/nodes/${nodeName}/proxy/healthz`])).toBe('ok');
  }, BUILD_TIMEOUT_MS);
});
