// The real agent, on the real Docker Engine, reporting to FakeApiServer (a test double that
// follows kube-apiserver's rules for the calls nodelet makes) over TLS with a node client
// certificate. The scenario: the API server goes away while a pod crashes and
// restarts locally; nothing local is affected, and afterwards the mirror status matches.
//
// Outage length: 60 s, the number (NODELET_MIRROR_OUTAGE_MS overrides it for quick local
// runs). The Lease's retries cap at 7 s, so it must be renewed within 10 s of the server's return.
// The fake sits behind ApiProxy (test/helpers/api-proxy.ts), which adds what kube-apiserver does
// and the fake refuses: $setElementOrder in status patches, and the node's pod watch.
import { afterEach, describe, expect, it } from 'vitest';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { makeTestAgent, podContainers, waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { FakeApiServer } from '../fake-apiserver/fake-apiserver.js';
import { ApiProxy } from '../helpers/api-proxy.js';
import type { JsonObject } from '../fake-apiserver/patch.js';
import type { Reporter } from '../../agent/mirror/reporter.js';
import { LABELS } from '../../agent/core/labels.js';

const OUTAGE_MS = Number(process.env.NODELET_MIRROR_OUTAGE_MS ?? 60_000);

let agents: TestAgent[] = [];
let proxies: ApiProxy[] = [];
afterEach(async () => {
  await Promise.all(agents.map((a) => a.cleanup()));
  await Promise.all(proxies.map((p) => p.close()));
  agents = [];
  proxies = [];
});

/** The fake API server behind ApiProxy; `proxy.pause()` is the outage. */
async function apiServer(): Promise<{ fake: FakeApiServer; proxy: ApiProxy }> {
  const fake = await FakeApiServer.start();
  const proxy = await ApiProxy.start(fake);
  proxies.push(proxy);
  return { fake, proxy };
}

function reporterOf(t: TestAgent): Reporter {
  const reporter = t.running.reporter;
  if (!reporter) throw new Error('startAgent did not start the API server reporter although kubeconfig is set (RunningAgent.reporter)');
  return reporter;
}

/** What must agree between the agent's own view of a pod and its mirror. */
function projection(status: unknown): unknown {
  const s = (status ?? {}) as NonNullable<Pod['status']>;
  return {
    phase: s.phase,
    containers: (s.containerStatuses ?? []).map((c) => ({
      name: c.name,
      restartCount: c.restartCount,
      ready: c.ready,
      state: Object.keys(c.state ?? {})[0],
      reason: c.state?.waiting?.reason ?? c.state?.terminated?.reason,
      lastExit: c.lastState?.terminated?.exitCode,
    })),
    ready: (s.conditions ?? []).find((c) => c.type === 'Ready')?.status,
  };
}

function localPod(t: TestAgent, name: string): Pod | undefined {
  return t.running.agent.pods().find((p) => p.metadata?.name === name);
}

describe('reporting to an API server (FakeApiServer)', () => {
  it(
    `survives a ${OUTAGE_MS / 1000} s API server outage while a pod crash-loops; afterwards the mirror status matches`,
    async () => {
      const { fake, proxy } = await apiServer();
      const nodeName = `it-mirror-${process.pid}-${Date.now().toString(36)}`;
      const { path: kubeconfig, client } = await proxy.writeKubeconfig({ nodeName, token: 'integration-token-5b1e9d' });
      const t = await makeTestAgent({ nodeName, flags: { kubeconfig }, file: { crashLoopBackOff: { initial: '1s', max: '2s' } } });
      agents.push(t);
      const reporter = reporterOf(t);
      await t.write(
        'steady.yaml',
        `apiVersion: v1
kind: Pod
metadata: { name: steady, labels: { app: steady } }
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox:1.37
    command: ["sleep", "3600"]
`,
      );
      await t.write(
        'crasher.yaml',
        `apiVersion: v1
kind: Pod
metadata: { name: crasher }
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox:1.37
    command: ["sh", "-c", "sleep 1; exit 3"]
`,
      );
      const steadyName = `steady-${nodeName}`;
      const crasherName = `crasher-${nodeName}`;

      // Registration, lease, mirrors with the Node as controller owner.
      const node = await waitUntil(async () => fake.get('nodes', undefined, nodeName), 'Node registered', 30_000);
      const nodeUid = String((node.metadata as JsonObject).uid);
      await waitUntil(async () => fake.get('leases', 'kube-node-lease', nodeName), 'Lease created', 30_000);
      const steadyMirror = await waitUntil(async () => {
        const m = fake.get('pods', 'default', steadyName);
        return m && (m.status as JsonObject | undefined)?.phase === 'Running' ? m : undefined;
      }, 'steady mirror Running', 60_000);
      expect((steadyMirror.metadata as JsonObject).ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUid, controller: true }]);
      expect(((steadyMirror.metadata as JsonObject).annotations as JsonObject)['kubernetes.io/config.mirror']).toBe(
        (localPod(t, steadyName)?.metadata?.annotations ?? {})['kubernetes.io/config.hash'],
      );
      await waitUntil(async () => {
        const m = fake.get('pods', 'default', crasherName);
        const restarts = ((m?.status as Pod['status'])?.containerStatuses ?? [])[0]?.restartCount ?? 0;
        return restarts >= 1;
      }, 'crasher mirror shows a restart', 60_000);
      const steadyBefore = (await podContainers(t.docker, nodeName, steadyName)).filter((c) => c.Labels[LABELS.containerName] === 'main').map((c) => c.Id);
      expect(steadyBefore).toHaveLength(1);

      // The outage.
      const restartsAtStart = localPod(t, crasherName)?.status?.containerStatuses?.[0]?.restartCount ?? 0;
      await proxy.pause();
      const outageStart = Date.now();
      await waitUntil(async () => reporter.reportingState().backoffUntil !== undefined, 'reporter backing off', OUTAGE_MS + 15_000);
      const remaining = OUTAGE_MS - (Date.now() - outageStart);
      if (remaining > 0) await new Promise((r) => setTimeout(r, remaining));
      const during = reporter.reportingState();
      expect(during.lastError).toMatch(/cannot reach https:\/\/127\.0\.0\.1:\d+/);
      expect(Date.parse(during.lastErrorAt ?? '')).toBeGreaterThan(Date.parse(during.lastSuccess ?? ''));
      // Nothing local was affected: the crasher kept restarting, the steady container never moved.
      const restartsAtEnd = localPod(t, crasherName)?.status?.containerStatuses?.[0]?.restartCount ?? 0;
      expect(restartsAtEnd).toBeGreaterThan(restartsAtStart);
      const steadyNow = (await podContainers(t.docker, nodeName, steadyName)).filter((c) => c.Labels[LABELS.containerName] === 'main');
      expect(steadyNow.map((c) => c.Id)).toEqual(steadyBefore);
      expect(steadyNow[0]?.State).toBe('running');
      expect(t.running.agent.runtimeHealthy).toBe(true);

      // Back: reporting catches up, and the mirror says what the agent says.
      await proxy.resume();
      const resumedAt = Date.now();
      const renewed = await waitUntil(
        async () => {
          const lease = fake.get('leases', 'kube-node-lease', nodeName);
          const at = Date.parse(String((lease?.spec as JsonObject | undefined)?.renewTime));
          return at >= resumedAt ? at : undefined;
        },
        'lease renewed after the outage',
        30_000,
        50,
      );
      console.log(`lease renewed ${renewed - resumedAt} ms after the API server came back from a ${OUTAGE_MS / 1000} s outage`);
      expect(renewed - resumedAt).toBeLessThanOrEqual(10_000);
      await waitUntil(
        async () => {
          const mirror = fake.get('pods', 'default', crasherName);
          const local = localPod(t, crasherName);
          const mirrorRestarts = ((mirror?.status as Pod['status'])?.containerStatuses ?? [])[0]?.restartCount ?? 0;
          return mirrorRestarts >= restartsAtEnd && JSON.stringify(projection(mirror?.status)) === JSON.stringify(projection(local?.status));
        },
        'crasher mirror status equal to the local status',
        75_000,
        200,
      );
      expect(JSON.stringify(projection(fake.get('pods', 'default', steadyName)?.status))).toBe(JSON.stringify(projection(localPod(t, steadyName)?.status)));
      const after = reporter.reportingState();
      expect(after.backoffUntil).toBeUndefined();
      expect(Date.parse(after.lastSuccess ?? '')).toBeGreaterThanOrEqual(Date.parse(after.lastErrorAt ?? ''));
      expect(fake.get('nodes', undefined, nodeName)).toBeDefined();

      // Credentials went over the wire and never into the log.
      expect(fake.requests.every((r) => r.authorization === 'Bearer integration-token-5b1e9d' && r.user === `system:node:${nodeName}`)).toBe(true);
      const logText = JSON.stringify(t.logs);
      const keyBody = client.key.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
      expect(logText).not.toContain('integration-token-5b1e9d');
      expect(logText).not.toContain(keyBody.slice(0, 40));
      expect(logText).not.toContain(Buffer.from(client.key).toString('base64').slice(0, 40));
      expect(t.logs.some((l) => l.msg === 'API server unavailable; local pods are not affected, each reporting task retries on its own')).toBe(true);
    },
    OUTAGE_MS + 240_000,
  );

  it('deleting the pod manifest deletes its mirror; kubectl-deleting a mirror brings it back', async () => {
    const { fake, proxy } = await apiServer();
    const nodeName = `it-mirror2-${process.pid}-${Date.now().toString(36)}`;
    const { path: kubeconfig } = await proxy.writeKubeconfig({ nodeName });
    const t = await makeTestAgent({ nodeName, flags: { kubeconfig } });
    agents.push(t);
    reporterOf(t);
    await t.write('web.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: { name: web }\nspec:\n  hostNetwork: true\n  terminationGracePeriodSeconds: 1\n  containers:\n  - { name: main, image: busybox:1.37, command: ["sleep", "3600"] }\n');
    const name = `web-${nodeName}`;
    const first = await waitUntil(async () => fake.get('pods', 'default', name), 'mirror created', 60_000);
    fake.delete('pods', 'default', name);
    const second = await waitUntil(async () => {
      const m = fake.get('pods', 'default', name);
      // Created, then its status written (the API server resets status on create).
      return m && !(m.metadata as JsonObject).deletionTimestamp && (m.metadata as JsonObject).uid !== (first.metadata as JsonObject).uid && (m.status as JsonObject).phase === 'Running' ? m : undefined;
    }, 'mirror recreated with its status', 30_000);
    expect((second.metadata as JsonObject).ownerReferences).toEqual((first.metadata as JsonObject).ownerReferences);

    // kubectl describe pod: events whose involvedObject.uid is the mirror's config.mirror,
    // from kubelet/<node>, the first Pulled included (recorded before the mirror existed).
    const mirrorUid = ((second.metadata as JsonObject).annotations as JsonObject)['kubernetes.io/config.mirror'];
    const described = await waitUntil(async () => {
      const evs = fake.list('events', 'default').filter((e) => (e.involvedObject as JsonObject).uid === mirrorUid && (e.involvedObject as JsonObject).name === name);
      return evs.some((e) => e.reason === 'Pulled') && evs.some((e) => e.reason === 'Started') ? evs : undefined;
    }, 'pod events under the mirror annotation', 30_000);
    for (const e of described) expect(e.source).toEqual({ component: 'kubelet', host: nodeName });
    // The kubelet's Node events, one hostname, a semver kubeletVersion, status.images.
    const nodeReasons = await waitUntil(async () => {
      const r = fake.list('events', 'default').filter((e) => (e.involvedObject as JsonObject).kind === 'Node').map((e) => e.reason);
      return ['Starting', 'NodeAllocatableEnforced', 'NodeHasSufficientMemory', 'NodeHasSufficientPID', 'NodeReady'].every((x) => r.includes(x)) ? r : undefined;
    }, 'Node events', 30_000);
    expect(nodeReasons).toContain('NodeHasNoDiskPressure');
    const node = await waitUntil(async () => {
      const n = fake.get('nodes', undefined, nodeName);
      return ((n?.status as JsonObject | undefined)?.images as JsonObject[] | undefined)?.length ? n : undefined;
    }, 'status.images', 30_000);
    const status = node.status as { images: { names: string[]; sizeBytes: number }[]; addresses: { type: string; address: string }[]; nodeInfo: { kubeletVersion: string } };
    expect(status.images.some((i) => i.names.includes('busybox:1.37') && i.sizeBytes > 0)).toBe(true);
    expect(status.nodeInfo.kubeletVersion).toMatch(/^v1\.37\.0\+nodelet\.\d+\.\d+\.\d+/);
    expect(((node.metadata as JsonObject).labels as JsonObject)['kubernetes.io/hostname']).toBe(status.addresses.find((a) => a.type === 'Hostname')?.address);
    await t.remove('web.yaml');
    await waitUntil(async () => fake.get('pods', 'default', name) === undefined, 'mirror deleted', 30_000);
  }, 180_000);

  it('a terminating pod shows Terminating on its mirror (deletionTimestamp), which is deleted once the containers are gone', async () => {
    const { fake, proxy } = await apiServer();
    const nodeName = `it-mirror3-${process.pid}-${Date.now().toString(36)}`;
    const { path: kubeconfig } = await proxy.writeKubeconfig({ nodeName });
    const t = await makeTestAgent({ nodeName, flags: { kubeconfig } });
    agents.push(t);
    reporterOf(t);
    // The container ignores SIGTERM, so the pod terminates for its whole 4 s grace period.
    await t.write('slow.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: { name: slow }\nspec:\n  hostNetwork: true\n  terminationGracePeriodSeconds: 4\n  containers:\n  - { name: main, image: busybox:1.37, command: ["sh", "-c", "trap \'\' TERM; while true; do sleep 1; done"] }\n');
    const name = `slow-${nodeName}`;
    await waitUntil(async () => ((fake.get('pods', 'default', name)?.status as JsonObject | undefined)?.phase === 'Running' ? true : undefined), 'mirror Running', 60_000);
    await t.remove('slow.yaml');
    const marked = await waitUntil(async () => {
      const m = fake.get('pods', 'default', name);
      return m && (m.metadata as JsonObject).deletionTimestamp ? m : undefined;
    }, 'mirror marked terminating', 30_000);
    expect((marked.metadata as JsonObject).deletionGracePeriodSeconds).toBe(4);
    // While the mirror shows Terminating, the pod's container still runs.
    expect((await podContainers(t.docker, nodeName, name)).some((c) => c.State === 'running')).toBe(true);
    await waitUntil(async () => (fake.get('pods', 'default', name) === undefined ? true : undefined), 'mirror deleted', 60_000);
    expect((await podContainers(t.docker, nodeName, name)).filter((c) => c.State === 'running')).toEqual([]);
  }, 180_000);
});
