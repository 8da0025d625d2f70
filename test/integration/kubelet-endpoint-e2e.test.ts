// The kubelet endpoint end to end (issue 16): a REAL nodelet agent reports to the REAL
// kube-apiserver (test/helpers/kube-cluster.ts) with its own kubelet endpoint on, configured as a
// real cluster's kubelet is: x509 client certificates of the cluster CA (the API server's
// kubelet-client certificate), bearer tokens through TokenReview, authorization through
// SubjectAccessReview (mode Webhook), and a serving certificate signed by the cluster CA. No
// stand-in listener, no admin-made Node or Pod: the Node and the mirror pods are the agent's.
//
// Through real kubectl: exec (exit code, stdin, a pty with a resize), attach, port-forward, and
// `kubectl top node|pod` through the REAL metrics-server, which scrapes the endpoint with its
// ServiceAccount token (TokenReview) under the ClusterRole system:metrics-server (nodes/metrics,
// SubjectAccessReview) and verifies the serving certificate with --kubelet-certificate-authority.
// (kubectl logs, -f and --previous through the same endpoint: kubelet-server.test.ts.)
//
// The endpoint and the node's InternalIP are the gateway of a Docker network of the test's own in
// 198.18.0.0/15, where the pods run too: the API server refuses nodes/proxy to a loopback node.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { dockerFromEnv, makeTestAgent, waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { buildKubeBinaries, freePort, startKubeCluster, type KubeCluster } from '../helpers/kube-cluster.js';
import { kubectlInPty, kubectlRun, kubectlUntil, stopKubectl } from '../helpers/kubectl-run.js';
import { aggregationFlags, buildMetricsServer, metricsServerIdentity, startMetricsServer, type MetricsServer } from '../helpers/metrics-server.js';
import { busyboxSh } from '../helpers/pod-fixtures.js';
import { createTestNetwork, type TestNetwork } from '../helpers/test-network.js';
import { issueServingCert } from '../fake-apiserver/pki.js';
import { httpsRequest, type HttpsAnswer } from '../helpers/https-request.js';

const BUILD_TIMEOUT_MS = 60 * 60_000;
const nodeName = `e2e-${process.pid}-${Date.now().toString(36)}`;
const NS = 'default';
const WEB_PORT = 8080;
const shell = `shell-${nodeName}`;
const web = `web-${nodeName}`;
const burn = `burn-${nodeName}`;
const mem = `mem-${nodeName}`;

let cluster: KubeCluster;
let network: TestNetwork;
let agent: TestAgent;
let metricsServer: MetricsServer | undefined;
let msKubeconfig: string;
let port: number;
const shown: string[] = [];

function pod(name: string, containers: string): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  terminationGracePeriodSeconds: 1
  containers:
${containers}`;
}

/** The bearer token of a kubeconfig written by metricsServerIdentity. */
async function tokenOf(kubeconfig: string): Promise<string> {
  return (JSON.parse(await readFile(kubeconfig, 'utf8')) as { users: { user: { token: string } }[] }).users[0]?.user.token ?? '';
}

/** GET on the endpoint with a bearer token, its certificate verified against the cluster CA. */
function getWithToken(path: string, token: string): Promise<HttpsAnswer> {
  return httpsRequest({ host: network.gateway, port, path, ca: cluster.pki.ca.cert, headers: { Authorization: `Bearer ${token}` } });
}

beforeAll(async () => {
  const [, msBinary, flags] = await Promise.all([buildKubeBinaries(), buildMetricsServer(), aggregationFlags()]);
  cluster = await startKubeCluster({ apiserverFlags: flags });
  network = await createTestNetwork(dockerFromEnv(), 'e2e');
  port = await freePort();
  const serving = await issueServingCert(cluster.pki, `kubelet-${nodeName}`, nodeName, [`DNS:${nodeName}`, `IP:${network.gateway}`]);
  agent = await makeTestAgent({
    nodeName,
    flags: { kubeconfig: await cluster.nodeKubeconfig(nodeName), enableServer: true, address: network.gateway, port, nodeIP: network.gateway, podNetwork: network.name, tlsCertFile: serving.certPath, tlsPrivateKeyFile: serving.keyPath },
    // As a kubeadm node's KubeletConfiguration has it.
    file: {
      authentication: { x509: { clientCAFile: cluster.pki.ca.certPath }, webhook: { enabled: true }, anonymous: { enabled: false } },
      authorization: { mode: 'Webhook' },
    },
  });
  await agent.write('shell.yaml', pod('shell', busyboxSh('main', 'sleep 3600') + busyboxSh('talker', 'while read l; do echo got-$l; done; sleep 3600', '    stdin: true')));
  await agent.write('web.yaml', pod('web', busyboxSh('srv', `mkdir -p /www && echo hello-from-pod > /www/index.html && exec httpd -f -p 127.0.0.1:${WEB_PORT} -h /www`)));
  await agent.write('burn.yaml', pod('burn', busyboxSh('burn', 'while :; do :; done', '    resources: { limits: { cpu: 200m } }')));
  await agent.write('mem.yaml', pod('mem', busyboxSh('mem', 'dd if=/dev/zero of=/dev/shm/fill bs=1M count=40 && exec sleep 3600')));
  // metrics-server starts scraping while the streaming cases run (it needs two scrapes for a rate).
  msKubeconfig = await metricsServerIdentity(cluster);
  metricsServer = await startMetricsServer(cluster, { binary: msBinary, kubeconfig: msKubeconfig, kubeletCaFile: cluster.pki.ca.certPath });
  // The mirror pods, as the agent reports them, all running.
  await waitUntil(async () => {
    const list = await cluster.kubectlJson<{ items: Pod[] }>(['get', 'pods', '-n', NS, `--field-selector=spec.nodeName=${nodeName}`]);
    const running = list.items.filter((p) => (p.status?.containerStatuses ?? []).length > 0 && (p.status?.containerStatuses ?? []).every((s) => s.state?.running));
    return running.length === 4;
  }, 'the four mirror pods running', 120_000, 500);
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  if (shown.length) console.info(shown.join('\n'));
  await metricsServer?.stop();
  await agent?.cleanup();
  await network?.remove().catch(() => undefined);
  await cluster?.stop();
}, 120_000);

describe('kubectl through the real kube-apiserver to the real agent\'s kubelet endpoint', () => {
  it('exec: stdout, stderr, and exit code 3 as kubectl\'s exit code', async () => {
    const r = await kubectlRun(cluster, ['exec', shell, '-c', 'main', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    shown.push(`$ kubectl exec ${shell} -c main -- sh -c 'echo out; echo err >&2; exit 3'\n${r.stdout}${r.stderr}(exit ${String(r.code)})`);
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toContain('err\n');
    expect(r.stderr).toContain('command terminated with exit code 3');
    expect(r.code).toBe(3);
  });

  it('exec -i: stdin reaches the command and its EOF ends it', async () => {
    const r = await kubectlRun(cluster, ['exec', '-i', shell, '-c', 'main', '--', 'sh', '-c', 'tr a-z A-Z; echo done'], 'hello\nworld\n');
    shown.push(`$ printf 'hello\\nworld\\n' | kubectl exec -i ${shell} -c main -- sh -c 'tr a-z A-Z; echo done'\n${r.stdout}(exit ${String(r.code)})`);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('HELLO\nWORLD\ndone\n');
  });

  it('exec -it in a pty: the terminal size arrives, a resize follows, the exit code is kept', async () => {
    // The container polls its own terminal: it waits for the client's size, prints it, waits for it to change, prints the new one.
    const script = 'until [ "$(stty size 2>/dev/null)" = "30 100" ]; do sleep 0.1; done; echo first $(stty size); while [ "$(stty size)" = "30 100" ]; do sleep 0.1; done; stty size; exit 7';
    const r = await kubectlInPty(cluster, ['exec', '-it', shell, '-c', 'main', '--', 'sh', '-c', script]);
    shown.push(`$ kubectl exec -it ${shell} -c main -- sh -c '<wait for 30x100, then a resize>; exit 7'   (in a pty)\n${r.stdout.replace(/\r/g, '')}(exit ${String(r.code)})`);
    expect(r.stdout).toMatch(/first 30 100\r?\n50 120\r?\n/);
    expect(r.code).toBe(7);
  });

  it('attach -i: input reaches the running container and its output comes back', async () => {
    const session = kubectlUntil(cluster, ['attach', '-i', shell, '-c', 'talker'], /got-ping/);
    session.child.stdin?.write('ping\n');
    await session.matched;
    await stopKubectl(session.child);
    shown.push(`$ echo ping | kubectl attach -i ${shell} -c talker\n${session.output()}`);
  });

  it('port-forward: HTTP through the tunnel to 127.0.0.1:8080 inside a bridge-network pod, several connections', async () => {
    const pf = kubectlUntil(cluster, ['port-forward', `pod/${web}`, `:${WEB_PORT}`], /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/);
    const m = await pf.matched;
    try {
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`http://127.0.0.1:${Number(m[1])}/index.html`, { headers: { connection: 'close' } });
        expect(await res.text()).toBe('hello-from-pod\n');
      }
    } finally {
      await stopKubectl(pf.child);
    }
    shown.push(`$ kubectl port-forward pod/${web} :${WEB_PORT} & curl http://127.0.0.1:${m[1]}/index.html (x3)\n${pf.output()}hello-from-pod`);
  });
});

describe('kubectl top through the real metrics-server scraping the real endpoint', () => {
  it('metrics-server\'s ServiceAccount token: TokenReview authenticates it, SubjectAccessReview allows nodes/metrics and nothing more', async () => {
    const token = await tokenOf(msKubeconfig);
    const resource = await getWithToken('/metrics/resource', token);
    expect(resource.status).toBe(200);
    expect(resource.body).toContain('node_cpu_usage_seconds_total');
    expect(await getWithToken('/pods', token)).toEqual({ status: 403, body: 'Forbidden (user=system:serviceaccount:kube-system:metrics-server, verb=get, resource=nodes, subresource(s)=[pods proxy])\n' });
  });

  it('kubectl top node and kubectl top pod show the agent\'s figures', async () => {
    let last = '';
    const topNode = await waitUntil(async () => {
      if (metricsServer?.process.exitCode !== null) throw new Error(`metrics-server exited; see ${metricsServer?.dir}/metrics-server.log`);
      const out = await cluster.kubectl(['top', 'node', nodeName]);
      last = out;
      const [, cpu = '', , memory = ''] = out.trim().split('\n')[1]?.trim().split(/\s+/) ?? [];
      return parseInt(cpu, 10) > 0 && parseInt(memory, 10) > 0 ? out : undefined;
    }, 'kubectl top node with figures', 120_000, 1000).catch((err: unknown) => {
      throw new Error(`${String(err)}; last output:\n${last}; see ${metricsServer?.dir}/metrics-server.log`);
    });
    shown.push(`$ kubectl top node ${nodeName}\n${topNode}`);
    const topPods = await waitUntil(async () => {
      const out = await cluster.kubectl(['top', 'pod', '-n', NS, '--containers']);
      const rows = out.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
      const b = rows.find((r) => r[0] === burn);
      const m = rows.find((r) => r[0] === mem);
      return b && m && parseInt(b[2] ?? '', 10) > 0 && parseInt(m[3] ?? '', 10) >= 40 ? out : undefined;
    }, 'kubectl top pod with the burn and mem pods', 120_000, 1000);
    shown.push(`$ kubectl top pod -n ${NS} --containers\n${topPods}`);
  }, 300_000);

  it('the summary through nodes/proxy: the agent\'s pods, with eth0 counters for the bridge-network pods', async () => {
    const raw = JSON.parse(await cluster.kubectl(['get', '--raw', `/api/v1/nodes/${nodeName}/proxy/stats/summary`])) as { node: { nodeName: string }; pods: { podRef: { name: string }; network?: { name?: string } }[] };
    expect(raw.node.nodeName).toBe(nodeName);
    expect(raw.pods.map((p) => p.podRef.name).sort()).toEqual([burn, mem, shell, web].sort());
    expect(raw.pods.every((p) => p.network?.name === 'eth0')).toBe(true);
  });
});
