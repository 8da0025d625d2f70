// The real agent, on the real Docker Engine, reporting to a REAL kube-apiserver (v1.37.2, built
// from k8s.io/kubernetes by test/go/build.sh; etcd beside it) with the Node authorizer and
// NodeRestriction on, as system:node:<name> — what docs/api-server.md promises, checked
// against the real thing instead of FakeApiServer. kubectl (same build) plays the admin.
//
// Tests named "kubelet parity (issue 15 item N): ..." assert the kubelet's behaviour where
// nodelet's reporting still differs; they are `it.fails` until the reporting changes land, so
// the suite stays green today and turns red (flip them to `it`) once nodelet matches.
//
// First run on a bare machine: beforeAll builds kube-apiserver, etcd and kubectl (minutes on 2
// cores; cached in /var/cache/nodelet-test-go afterwards).
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Event, Node, Pod } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { makeTestAgent, waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { busyboxSh, execAction, hostNetworkPod, probe } from '../helpers/pod-fixtures.js';
import { buildKubeBinaries, startKubeCluster, type KubeCluster } from '../helpers/kube-cluster.js';
import { TEST_FACTS } from '../fake-apiserver/harness.js';
import { HttpsKubeTransport, type KubeRequest, type KubeTransport } from '../../agent/mirror/kube-client.js';
import { startReporter } from '../../agent/mirror/reporter.js';
import { EventStore } from '../../agent/events/event-store.js';
import { createLogger } from '../../agent/log/logger.js';
import { systemClock } from '../../agent/core/clock.js';

const BUILD_TIMEOUT_MS = 60 * 60_000;
const OUTAGE_MS = Number(process.env.NODELET_KUBE_OUTAGE_MS ?? 60_000);
const suffix = `${process.pid}-${Date.now().toString(36)}`;
/**
 * Kubelet-parity tests that still fail on today's reporting (found by these tests and the fleet
 * bench, not fixed yet) run as `it.fails`. With NODELET_KUBE_PARITY=strict they run as plain
 * `it`, to show each one's real failure; flip one to `it` when its fix lands.
 */
const parity = process.env.NODELET_KUBE_PARITY === 'strict' ? it : it.fails;

let cluster: KubeCluster;
const agents: TestAgent[] = [];

beforeAll(async () => {
  await buildKubeBinaries();
  cluster = await startKubeCluster();
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.cleanup()));
  await cluster?.stop();
}, 120_000);

async function agentOn(nodeName: string, file: Record<string, unknown> = {}): Promise<TestAgent> {
  const kubeconfig = await cluster.nodeKubeconfig(nodeName);
  const t = await makeTestAgent({ nodeName, flags: { kubeconfig }, file });
  agents.push(t);
  return t;
}

const getNode = (name: string): Promise<Node> => cluster.kubectlJson<Node>(['get', 'node', name]);
const getPod = (ns: string, name: string): Promise<Pod | undefined> => cluster.kubectlJson<Pod>(['get', 'pod', '-n', ns, name]).catch(() => undefined);
const getLease = (name: string): Promise<Lease> => cluster.kubectlJson<Lease>(['get', 'lease', '-n', 'kube-node-lease', name]);
async function eventsFor(ns: string, field: string): Promise<Event[]> {
  return (await cluster.kubectlJson<{ items: Event[] }>(['get', 'events', '-n', ns, '--field-selector', field])).items;
}
const condition = (pod: Pod | Node | undefined, type: string): { status?: string; reason?: string; message?: string } | undefined =>
  (pod?.status?.conditions as { type: string; status?: string; reason?: string; message?: string }[] | undefined)?.find((c) => c.type === type);

/** A host-network busybox pod that sleeps (pod-fixtures' manifest builders). */
const POD = (name: string): string => hostNetworkPod(name, 1, busyboxSh('main', 'sleep 3600'));

describe('reporting to a real kube-apiserver (Node authorizer + NodeRestriction)', () => {
  const nodeName = `kube-it-${suffix}`;
  const web = `web-${nodeName}`;
  let t: TestAgent;

  beforeAll(async () => {
    t = await agentOn(nodeName);
    await t.write('web.yaml', POD('web'));
  }, 60_000);

  it('registers the Node, Ready with the kubelet reason; kubectl get nodes shows it', async () => {
    const node = await waitUntil(async () => {
      const n = await getNode(nodeName).catch(() => undefined);
      return condition(n, 'Ready')?.status === 'True' ? n : undefined;
    }, 'Node Ready', 60_000, 500);
    expect(condition(node, 'Ready')).toMatchObject({ status: 'True', reason: 'KubeletReady' });
    for (const type of ['MemoryPressure', 'DiskPressure', 'PIDPressure']) expect(condition(node, type)?.status).toBe('False');
    expect(node.metadata?.labels?.['kubernetes.io/os']).toBe('linux');
    const table = await cluster.kubectl(['get', 'nodes', nodeName]);
    expect(table).toMatch(new RegExp(`^NAME\\s+STATUS\\s+ROLES\\s+AGE\\s+VERSION\\n${nodeName}\\s+Ready\\s+<none>\\s+\\S+\\s+\\S+\\n$`));
  });

  it('keeps the Lease renewed: holder = node, 40 s, owner = the Node, renewTime advances', async () => {
    const first = await waitUntil(async () => getLease(nodeName).catch(() => undefined), 'Lease created', 60_000, 500);
    const node = await getNode(nodeName);
    expect(first.spec?.holderIdentity).toBe(nodeName);
    expect(first.spec?.leaseDurationSeconds).toBe(40);
    const renewed = await waitUntil(async () => {
      const l = await getLease(nodeName);
      return l.spec?.renewTime !== first.spec?.renewTime ? l : undefined;
    }, 'Lease renewed', 25_000, 500);
    expect(Date.parse(String(renewed.spec?.renewTime)) - Date.parse(String(first.spec?.renewTime))).toBeGreaterThanOrEqual(9_000);
    expect(renewed.metadata?.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: node.metadata?.uid }]);
  }, 60_000);

  // Found by these tests, not in the list: nodelet POSTs the Lease before the Node, so
  // the Lease is created without the owner reference (added at the first renewal, 10 s later).
  // Skipped, not it.fails: the Lease and Node tasks start together, so which is created first
  // is a race (a fresh-clone CI run saw the Node win). Open until the Lease waits for its owner.
  it.skip('kubelet parity (found here; issue 15 "Lease"): the Lease is created after the Node, with the Node owner reference from the start', async () => {
    const other = `kube-it-lease-${suffix}`;
    await agentOn(other);
    // Polled from before the first request, so the Lease as created is what is seen first.
    const first = await waitUntil(async () => getLease(other).catch(() => undefined), 'Lease created', 60_000, 50);
    expect(first.metadata?.ownerReferences?.map((o) => `${o.kind}/${o.name}`)).toEqual([`Node/${other}`]);
  }, 90_000);

  it('creates a mirror pod for the static pod (Running, config.mirror = the pod hash, owned by the Node); kubectl get pods shows it', async () => {
    const mirror = await waitUntil(async () => {
      const p = await getPod('default', web);
      return p?.status?.phase === 'Running' ? p : undefined;
    }, 'mirror Running', 90_000, 500);
    const local = t.running.agent.pods().find((p) => p.metadata?.name === web);
    expect(mirror.metadata?.annotations?.['kubernetes.io/config.mirror']).toBe(local?.metadata?.annotations?.['kubernetes.io/config.hash']);
    const node = await getNode(nodeName);
    expect(mirror.metadata?.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: node.metadata?.uid, controller: true }]);
    expect(mirror.spec?.nodeName).toBe(nodeName);
    const table = await cluster.kubectl(['get', 'pods', '-A', '--field-selector', `spec.nodeName=${nodeName}`]);
    expect(table).toMatch(new RegExp(`\\ndefault\\s+${web}\\s+1/1\\s+Running\\s+0\\s+`));
  }, 120_000);

  it('posts the pod events (Pulled, Created, Started) to the API server', async () => {
    const events = await waitUntil(async () => {
      const es = await eventsFor('default', `involvedObject.name=${web}`);
      return es.some((e) => e.reason === 'Started') ? es : undefined;
    }, 'Started event', 60_000, 500);
    expect(events.map((e) => e.reason)).toEqual(expect.arrayContaining(['Created', 'Started']));
    expect(events.find((e) => e.reason === 'Started')).toMatchObject({ type: 'Normal', message: 'Started container main', involvedObject: { kind: 'Pod', namespace: 'default', name: web }, source: { host: nodeName } });
  }, 90_000);

  it('kubectl delete pod of a mirror: it is recreated (new UID) and the pod keeps running', async () => {
    const before = await waitUntil(async () => getPod('default', web), 'mirror', 60_000, 500);
    await cluster.kubectl(['delete', 'pod', '-n', 'default', web, '--wait=false']);
    const after = await waitUntil(async () => {
      const p = await getPod('default', web);
      return p && p.metadata?.uid !== before.metadata?.uid && !p.metadata?.deletionTimestamp && p.status?.phase === 'Running' ? p : undefined;
    }, 'mirror recreated', 60_000, 500);
    expect(after.metadata?.annotations?.['kubernetes.io/config.mirror']).toBe(before.metadata?.annotations?.['kubernetes.io/config.mirror']);
    expect(t.running.agent.pods().find((p) => p.metadata?.name === web)?.status?.phase).toBe('Running');
  }, 90_000);

  it('a DaemonSet pod gets a mirror like a static pod (docs/api-server.md: "manifest Pods and DaemonSet pods")', async () => {
    await t.write(
      'ds.yaml',
      `apiVersion: apps/v1
kind: DaemonSet
metadata: { name: kube-it-ds }
spec:
  selector: { matchLabels: { app: kube-it-ds } }
  template:
    metadata: { labels: { app: kube-it-ds } }
    spec:
      hostNetwork: true
      terminationGracePeriodSeconds: 1
      containers:
      - { name: main, image: "busybox:1.37", command: ["sleep", "3600"] }
`,
    );
    const mirror = await waitUntil(async () => {
      const list = await cluster.kubectlJson<{ items: Pod[] }>(['get', 'pods', '-n', 'default', '-l', 'app=kube-it-ds', '--field-selector', `spec.nodeName=${nodeName}`]);
      const p = list.items[0];
      return p?.status?.phase === 'Running' ? p : undefined;
    }, 'DaemonSet pod mirror Running', 90_000, 500);
    expect(mirror.metadata?.name).toMatch(/^kube-it-ds-[a-z0-9]{5}$/);
    expect(mirror.metadata?.annotations?.['kubernetes.io/config.mirror']).toBeTruthy();
    expect(mirror.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'Node', name: nodeName, controller: true })]);
    await t.remove('ds.yaml');
    await waitUntil(async () => (await cluster.kubectlJson<{ items: Pod[] }>(['get', 'pods', '-n', 'default', '-l', 'app=kube-it-ds'])).items.length === 0, 'DaemonSet mirror deleted', 60_000, 500);
  }, 180_000);

  it('a pod in a namespace the cluster lacks runs locally, its mirror is refused (last error), and appears once the namespace exists', async () => {
    const ns = `kube-it-missing-${suffix}`;
    await t.write('lost.yaml', POD('lost').replace('metadata: { name: lost }', `metadata: { name: lost, namespace: ${ns} }`));
    const lost = `lost-${nodeName}`;
    await waitUntil(async () => t.running.agent.pods().find((p) => p.metadata?.name === lost)?.status?.phase === 'Running', 'pod running locally', 60_000, 500);
    const state = await waitUntil(async () => {
      const s = t.running.reporter?.reportingState();
      return s?.lastError?.includes(lost) ? s : undefined;
    }, 'mirror refusal recorded', 60_000, 500);
    expect(state.lastError).toMatch(new RegExp(`namespaces "${ns}" not found`));
    expect(await getPod(ns, lost)).toBeUndefined();
    await cluster.kubectl(['create', 'namespace', ns]);
    await waitUntil(async () => (await getPod(ns, lost))?.status?.phase === 'Running', 'mirror created after the namespace', 90_000, 1000);
    await t.remove('lost.yaml');
  }, 240_000);

  // ---- kubelet parity: these assert the kubelet's behaviour; it.fails until issue 15's reporting work lands ----

  it('kubelet parity (issue 15 item 1): kubectl describe pod shows the mirror pod\'s events (config.mirror = UID = config.hash)', async () => {
    await waitUntil(async () => (await eventsFor('default', `involvedObject.name=${web}`)).some((e) => e.reason === 'Started'), 'Started event', 60_000, 500);
    const local = t.running.agent.pods().find((p) => p.metadata?.name === web);
    expect(local?.metadata?.uid).toBe(local?.metadata?.annotations?.['kubernetes.io/config.hash']);
    const text = await cluster.kubectl(['describe', 'pod', '-n', 'default', web]);
    expect(text).not.toMatch(/Events:\s+<none>/);
    expect(text).toMatch(/Normal\s+Started\s+.*Started container main/);
  }, 90_000);

  it('kubelet parity (issue 15 item 2): no stale reason/message on Ready after a NotReady → Ready transition', async () => {
    await t.write('slow.yaml', hostNetworkPod('slow', 1, busyboxSh('main', 'sleep 8; touch /tmp/ready; sleep 3600', probe('readinessProbe', execAction(['test', '-f', '/tmp/ready']), 3))));
    const slow = `slow-${nodeName}`;
    await waitUntil(async () => condition(await getPod('default', slow), 'Ready')?.reason === 'ContainersNotReady', 'mirror NotReady (ContainersNotReady)', 60_000, 300);
    const ready = await waitUntil(async () => {
      const p = await getPod('default', slow);
      return condition(p, 'Ready')?.status === 'True' ? p : undefined;
    }, 'mirror Ready', 60_000, 500);
    for (const type of ['Ready', 'ContainersReady']) {
      expect(condition(ready, type)?.reason, `${type}.reason`).toBeUndefined();
      expect(condition(ready, type)?.message, `${type}.message`).toBeUndefined();
    }
  }, 150_000);

  it('kubelet parity (issue 15 item 3): Node events (Starting, NodeHasSufficientMemory/NoDiskPressure/SufficientPID, NodeReady) with source.component kubelet', async () => {
    const events = await waitUntil(async () => {
      const es = await eventsFor('default', `involvedObject.kind=Node,involvedObject.name=${nodeName}`);
      return es.some((e) => e.reason === 'NodeReady') ? es : undefined;
    }, 'Node events', 20_000, 500);
    expect(events.map((e) => e.reason)).toEqual(expect.arrayContaining(['Starting', 'NodeHasSufficientMemory', 'NodeHasNoDiskPressure', 'NodeHasSufficientPID', 'NodeReady']));
    for (const e of events) expect(e.source?.component).toBe('kubelet');
  }, 60_000);

  it('kubelet parity (issue 15 item 3): pod events carry source.component kubelet (kubectl filters on it)', async () => {
    const es = await eventsFor('default', `involvedObject.name=${web},source=kubelet`);
    expect(es.map((e) => e.reason)).toContain('Started');
  }, 30_000);

  // Skipped, not it.fails: today the result is a race (the agent's first pod events vs the
  // reporter's start after agent.start() and a dynamic import), so it passes or fails by timing.
  it('kubelet parity (issue 15 item 3): events recorded before the reporter starts (a manifest present at start: its first Pulled) reach the API server', async () => {
    // The agent starts its reporter after its first sync, so a pod already in the manifest
    // directory gets its Pulled/Created/Started events before anyone listens.
    const early = `kube-it-early-${suffix}`;
    const root = await mkdtemp(join(tmpdir(), 'nodelet-it-'));
    await mkdir(join(root, 'manifests'));
    await writeFile(join(root, 'manifests', 'early.yaml'), POD('early'));
    const kubeconfig = await cluster.nodeKubeconfig(early);
    const a = await makeTestAgent({ nodeName: early, root, flags: { kubeconfig } });
    agents.push(a);
    const pod = `early-${early}`;
    await waitUntil(async () => (await getPod('default', pod))?.status?.phase === 'Running', 'early mirror Running', 90_000, 500);
    const es = await waitUntil(async () => {
      const list = await eventsFor('default', `involvedObject.name=${pod}`);
      return list.some((e) => e.reason === 'Started') ? list : undefined;
    }, 'Started event of the early pod', 20_000, 500);
    expect(es.map((e) => e.reason)).toEqual(expect.arrayContaining(['Pulled', 'Created', 'Started']));
  }, 150_000);

  it('kubelet parity (issue 15 item 5): kubeletVersion is a semver the cluster parses (kubectl shows vX.Y.Z…)', async () => {
    const node = await getNode(nodeName);
    expect(node.status?.nodeInfo?.kubeletVersion).toMatch(/^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/);
  });

  it('kubelet parity (issue 15 item 5): status.images lists the node\'s images (busybox:1.37 among them)', async () => {
    const node = await getNode(nodeName);
    const names = (node.status?.images ?? []).flatMap((i) => i.names ?? []);
    expect(names.some((n) => n.includes('busybox:1.37') || n.includes('busybox@sha256:'))).toBe(true);
  });

  it('kubelet parity (issue 15 item 5): one hostname — the kubernetes.io/hostname label equals the Hostname address', async () => {
    const node = await getNode(nodeName);
    const address = node.status?.addresses?.find((a) => a.type === 'Hostname')?.address;
    expect(address).toBeDefined();
    expect(node.metadata?.labels?.['kubernetes.io/hostname']).toBe(address);
  });

  // Found here, not in the list: kube-apiserver's TaintNodesByCondition admission adds
  // node.kubernetes.io/not-ready:NoSchedule to every new Node (the node-lifecycle controller
  // removes it later), and today's reporter warns that the registered taints differ from its
  // own. The kubelet never compares control-plane taints; nodelet should ignore them too.
  parity('kubelet parity (found here): no "node taints differ" warning for the control plane\'s node.kubernetes.io/not-ready taint', async () => {
    const node = await getNode(nodeName);
    expect(node.spec?.taints?.map((x) => x.key)).toContain('node.kubernetes.io/not-ready');
    expect(t.logs.filter((l) => String(l.msg).startsWith('node taints differ')).map((l) => l.registered)).toEqual([]);
  });

  // cAdvisor reads the DMI product UUID; machines without one (this VM kind) report none, as a kubelet would.
  it.skipIf(!existsSync('/sys/class/dmi/id/product_uuid'))('kubelet parity (issue 15 item 5): systemUUID is the DMI product UUID', async () => {
    const node = await getNode(nodeName);
    expect(node.status?.nodeInfo?.systemUUID).toBe(readFileSync('/sys/class/dmi/id/product_uuid', 'utf8').trim().toLowerCase());
  });
});

describe('idle reporting cost on the real kube-apiserver', () => {
  // Found by bench:fleet, not in the list: the API server stores quantities in their
  // canonical form ("8Gi" for "8388608Ki"), and today's reporter compares the strings, so with
  // round figures (a host with exactly 8 GiB, a 100 GiB disk) it PATCHes an unchanged status on
  // every 10 s check. The kubelet compares resource.Quantity values (nodeStatusHasChanged).
  it('kubelet parity (found here; issue 15 item 5 "18 requests per minute"): an unchanged status with round quantities is not PATCHed every 10 s', async () => {
    const nodeName = `kube-it-round-${suffix}`;
    const kubeconfigPath = await cluster.nodeKubeconfig(nodeName);
    const patches: number[] = [];
    const inner = new HttpsKubeTransport({ kubeconfigPath, timeoutMs: 10_000 });
    const transport: KubeTransport = {
      server: inner.server,
      request: <T>(req: KubeRequest): Promise<T> => {
        if (req.method === 'PATCH' && req.path === `/api/v1/nodes/${nodeName}/status`) patches.push(Date.now());
        return inner.request<T>(req);
      },
      close: () => inner.close(),
    };
    const reporter = startReporter({
      kubeconfigPath,
      nodeName,
      agent: { pods: () => [], runtimeHealthy: true, synced: true },
      events: new EventStore({ clock: systemClock, source: `nodelet, ${nodeName}` }),
      nodeFacts: () => ({ ...TEST_FACTS, hostname: nodeName, memoryBytes: 8 * 2 ** 30, ephemeralStorageBytes: 100 * 2 ** 30 }),
      nodeLabels: () => ({}),
      nodeTaints: () => [],
      clock: systemClock,
      logger: createLogger({ level: 'silent' }),
      transport,
    });
    try {
      await waitUntil(async () => getNode(nodeName).catch(() => undefined), 'Node registered', 30_000, 500);
      const from = Date.now();
      await new Promise((r) => setTimeout(r, 32_000)); // three 10 s status checks
      expect(patches.filter((t) => t >= from)).toEqual([]);
    } finally {
      await reporter.stop();
    }
  }, 90_000);
});

describe('real kube-apiserver outage', () => {
  it(`kubelet parity (issue 15 item 4): after a ${OUTAGE_MS / 1000} s API server outage the Lease is renewed within 10 s`, async () => {
    const nodeName = `kube-it-outage-${suffix}`;
    const a = await agentOn(nodeName);
    await waitUntil(async () => getLease(nodeName).catch(() => undefined), 'Lease created', 60_000, 500);
    await cluster.stopApiserver();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    // Fairness to both designs: if nodelet's next retry is due within the next 15 s, the outage
    // lasts until just after it, so a lucky retry phase cannot hide a long back-off (a kubelet's
    // Lease retries, capped at 7 s, still renew within 10 s of the return).
    for (let i = 0; i < 3; i++) {
      const until = Date.parse(a.running.reporter?.reportingState().backoffUntil ?? '');
      if (!(until > Date.now() && until - Date.now() < 15_000)) break;
      await new Promise((r) => setTimeout(r, until - Date.now() + 1500));
    }
    await cluster.startApiserver();
    const back = Date.now();
    const renewed = await waitUntil(async () => {
      const l = await getLease(nodeName);
      return Date.parse(String(l.spec?.renewTime)) >= back - 1000 ? l : undefined;
    }, 'Lease renewed after the outage', 90_000, 250);
    expect(Date.parse(String(renewed.spec?.renewTime)) - back).toBeLessThanOrEqual(10_000);
  }, OUTAGE_MS + 240_000);
});
