// The reporter against FakeApiServer (a test double that follows kube-apiserver's rules for
// the calls nodelet makes), over real TLS with a node client certificate, driven by a
// stepping fake clock so kubelet's timings (10 s status checks, 5 min reports, 10 s lease
// renewals with 4 % jitter) are checked exactly.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { reporterFixture, staticPod, type ReporterFixture } from '../../fake-apiserver/harness.js';
import { FakeApiServer } from '../../fake-apiserver/fake-apiserver.js';
import type { JsonObject } from '../../fake-apiserver/patch.js';
import { proxiedReporterFixture } from '../../helpers/proxied-reporter.js';
import type { ApiProxy } from '../../helpers/api-proxy.js';

/** An outage of the API server (the proxy and the fake behind it). */
function down(f: Fixture): Promise<void> {
  return f.proxy ? f.proxy.pause() : f.fake.pause();
}
function up(f: Fixture): Promise<void> {
  return f.proxy ? f.proxy.resume() : f.fake.resume();
}

let fixtures: Fixture[] = [];
afterEach(async () => {
  await Promise.all(fixtures.map((f) => f.stop()));
  fixtures = [];
});

type Fixture = ReporterFixture & { readonly proxy?: ApiProxy };

/** Behind ApiProxy ($setElementOrder, pod watch) unless the test brings its own fake. */
async function fixture(opts?: Parameters<typeof reporterFixture>[0]): Promise<Fixture> {
  const f: Fixture = opts?.fake ? await reporterFixture(opts) : await proxiedReporterFixture(opts);
  fixtures.push(f);
  return f;
}

function obj(v: unknown): JsonObject {
  return v as JsonObject;
}

function conditions(node: JsonObject | undefined): Record<string, { status: string; reason: string }> {
  const list = (obj(node?.status).conditions ?? []) as unknown as { type: string; status: string; reason: string }[];
  return Object.fromEntries(list.map((c) => [c.type, { status: c.status, reason: c.reason }]));
}

/** Real-time waits (watch events arrive over the network): generous for a loaded CI machine. */
const WAIT = { timeout: 15_000, interval: 50 };

const NODE_STATUS = '/api/v1/nodes/node-a/status';
const LEASE = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-a';

describe('node registration and status', () => {
  it('registers the Node with labels, taints, addresses, capacity, allocatable, nodeInfo and conditions', async () => {
    const f = await fixture();
    f.labels = { 'node-role.example.com/edge': 'true', 'node.kubernetes.io/exclude-from-external-load-balancers': '' };
    f.taints = [{ key: 'dedicated', value: 'edge', effect: 'NoSchedule' }];
    await f.advance(0);
    const node = f.fake.get('nodes', undefined, 'node-a');
    expect(node).toBeDefined();
    const m = obj(node?.metadata);
    expect(m.labels).toEqual({
      'beta.kubernetes.io/arch': 'amd64',
      'beta.kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      // One hostname: the label equals the Hostname address.
      'kubernetes.io/hostname': 'host-a',
      'kubernetes.io/os': 'linux',
      'node-role.example.com/edge': 'true',
      'node.kubernetes.io/exclude-from-external-load-balancers': '',
    });
    expect(obj(node?.spec).taints).toEqual([{ key: 'dedicated', value: 'edge', effect: 'NoSchedule' }]);
    const status = obj(node?.status);
    expect(status.addresses).toEqual([
      { type: 'InternalIP', address: '10.0.0.5' },
      { type: 'InternalIP', address: '10.0.0.6' },
      { type: 'Hostname', address: 'host-a' },
    ]);
    expect(status.capacity).toEqual({ cpu: '4', memory: '8388608Ki', pods: '110', 'ephemeral-storage': '104857600Ki' });
    expect(status.allocatable).toEqual({ cpu: '4', memory: '8286208Ki', pods: '110', 'ephemeral-storage': '96636764000' });
    expect(status.nodeInfo).toMatchObject({
      kubeletVersion: 'nodelet/v0.1.0',
      containerRuntimeVersion: 'docker://28.2.2',
      operatingSystem: 'linux',
      architecture: 'amd64',
      kernelVersion: '6.8.0-test',
      osImage: 'Test Linux 1.0',
    });
    expect(conditions(node)).toEqual({
      MemoryPressure: { status: 'False', reason: 'KubeletHasSufficientMemory' },
      DiskPressure: { status: 'False', reason: 'KubeletHasNoDiskPressure' },
      PIDPressure: { status: 'False', reason: 'KubeletHasSufficientPID' },
      Ready: { status: 'True', reason: 'KubeletReady' },
    });
    expect(f.reporter.nodeUid()).toBe(m.uid);
    expect(f.reporter.reportingState()).toMatchObject({ enabled: true, server: f.proxy?.url ?? f.fake.url, lastSuccess: '2026-01-01T00:00:00Z' });
    expect(f.reporter.reportingState().lastError).toBeUndefined();
  });

  it('leaves out labels NodeRestriction forbids a node, and says so once', async () => {
    const f = await fixture();
    f.labels = { 'node-role.kubernetes.io/control-plane': '', 'example.com/ok': 'yes' };
    await f.advance(0);
    const labels = obj(obj(f.fake.get('nodes', undefined, 'node-a')?.metadata).labels);
    expect(labels['example.com/ok']).toBe('yes');
    expect(labels).not.toHaveProperty('node-role.kubernetes.io/control-plane');
    await f.advance(30_000);
    expect(f.logs.filter((l) => String(l.msg).startsWith('node labels left out')).map((l) => l.labels)).toEqual([['node-role.kubernetes.io/control-plane']]);
  });

  it('patches status only when it changed, and otherwise every 5 minutes', async () => {
    const f = await fixture();
    await f.advance(0);
    expect(f.fake.requestsTo('POST', '/api/v1/nodes')).toHaveLength(1);
    expect(f.fake.requestsTo('PATCH', NODE_STATUS)).toHaveLength(0);

    // Nothing changes: checks every 10 s, no PATCH for 5 minutes.
    await f.advance(299_000);
    expect(f.fake.requestsTo('PATCH', NODE_STATUS)).toHaveLength(0);
    await f.advance(1_000);
    const first = f.fake.requestsTo('PATCH', NODE_STATUS);
    expect(first.map((r) => r.at - Date.UTC(2026, 0, 1))).toEqual([300_000]);
    expect(first[0]?.contentType).toBe('application/strategic-merge-patch+json');

    // Docker goes away: Ready flips at the next 10 s check.
    await f.advance(5_000);
    f.agent.runtimeHealthy = false;
    await f.advance(4_999);
    expect(f.fake.requestsTo('PATCH', NODE_STATUS)).toHaveLength(1);
    await f.advance(1);
    expect(f.fake.requestsTo('PATCH', NODE_STATUS).map((r) => r.at - Date.UTC(2026, 0, 1))).toEqual([300_000, 310_000]);
    const node = f.fake.get('nodes', undefined, 'node-a');
    expect(conditions(node).Ready).toEqual({ status: 'False', reason: 'KubeletNotReady' });
    const ready = (obj(node?.status).conditions as unknown as { type: string; message: string; lastTransitionTime: string }[]).find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ message: 'container runtime is down', lastTransitionTime: '2026-01-01T00:05:10Z' });
    // Addresses were replaced, not merged by type (two InternalIPs survive).
    expect((obj(node?.status).addresses as unknown[]).length).toBe(3);

    // Docker is back, a new version: one PATCH with both changes.
    f.agent.runtimeHealthy = true;
    f.facts = { ...f.facts, containerRuntimeVersion: 'docker://29.0.0' };
    await f.advance(10_000);
    expect(f.fake.requestsTo('PATCH', NODE_STATUS)).toHaveLength(3);
    expect(obj(f.fake.get('nodes', undefined, 'node-a')?.status).nodeInfo).toMatchObject({ containerRuntimeVersion: 'docker://29.0.0' });
    expect(conditions(f.fake.get('nodes', undefined, 'node-a')).Ready).toEqual({ status: 'True', reason: 'KubeletReady' });
    // ... and then quiet again until 5 minutes after that report.
    await f.advance(290_000);
    expect(f.fake.requestsTo('PATCH', NODE_STATUS)).toHaveLength(3);
    await f.advance(10_000);
    expect(f.fake.requestsTo('PATCH', NODE_STATUS)).toHaveLength(4);
    // Every check read the Node first, as kubelet's tryUpdateNodeStatus does.
    expect(f.fake.requestsTo('GET', '/api/v1/nodes/node-a').length).toBeGreaterThanOrEqual(60);
  });

  it('patches at once when someone else changed a condition it owns (the node controller after an outage)', async () => {
    const f = await fixture();
    await f.advance(10_000);
    expect(f.fake.requestsTo('PATCH', NODE_STATUS)).toHaveLength(0);
    // The node lifecycle controller marks the node unknown when the lease was not renewed.
    f.fake.modify('nodes', undefined, 'node-a', (n) => {
      const conds = obj(n.status).conditions as unknown as { type: string; status: string; reason: string }[];
      for (const c of conds) Object.assign(c, { status: 'Unknown', reason: 'NodeStatusUnknown' });
    });
    await f.advance(10_000);
    expect(f.fake.requestsTo('PATCH', NODE_STATUS)).toHaveLength(1);
    expect(conditions(f.fake.get('nodes', undefined, 'node-a')).Ready).toEqual({ status: 'True', reason: 'KubeletReady' });
  });

  it('syncs the node status at once when asked (a node shutdown began), not at the next 10 s check', async () => {
    const f = await fixture();
    await f.advance(2_000);
    expect(f.fake.requestsTo('PATCH', NODE_STATUS)).toHaveLength(0);
    f.agent.runtimeHealthy = false;
    f.reporter.syncNodeStatusNow();
    await f.advance(0);
    expect(f.fake.requestsTo('PATCH', NODE_STATUS).map((r) => r.at - Date.UTC(2026, 0, 1))).toEqual([2_000]);
    expect(conditions(f.fake.get('nodes', undefined, 'node-a')).Ready).toEqual({ status: 'False', reason: 'KubeletNotReady' });
  });

  it('adopts an existing Node (AlreadyExists), reconciles its labels and reports status', async () => {
    const fake = await FakeApiServer.start();
    const f0 = await fixture({ fake, nodeName: 'node-a' });
    await f0.advance(0);
    await f0.stop();
    fixtures = fixtures.filter((x) => x !== f0);
    fake.modify('nodes', undefined, 'node-a', (n) => {
      obj(n.metadata).labels = { ...obj(obj(n.metadata).labels), 'example.com/added-by-admin': 'x', 'kubernetes.io/hostname': 'stale' };
    });
    const uid = obj(fake.get('nodes', undefined, 'node-a')?.metadata).uid;
    const f = await fixture({ fake, nodeName: 'node-a' });
    await f.advance(0);
    expect(f.reporter.nodeUid()).toBe(uid);
    const labels = obj(obj(fake.get('nodes', undefined, 'node-a')?.metadata).labels);
    expect(labels['kubernetes.io/hostname']).toBe('host-a');
    expect(labels['example.com/added-by-admin']).toBe('x');
    expect(fake.requestsTo('PATCH', '/api/v1/nodes/node-a').map((r) => r.contentType)).toEqual(['application/merge-patch+json']);
    expect(fake.requestsTo('PATCH', NODE_STATUS).length).toBe(1);
    await fake.close();
  });

  it('registers again after the Node was deleted; mirror pods follow the new Node uid', async () => {
    const f = await fixture();
    f.agent.podList = [staticPod('web', 'node-a')];
    await f.advance(1_000);
    const firstUid = f.reporter.nodeUid();
    expect(f.fake.list('pods')).toHaveLength(1);
    // An admin deletes the Node; the garbage collector removes what it owned.
    f.fake.delete('nodes', undefined, 'node-a');
    expect(f.fake.list('pods')).toHaveLength(0);
    await f.advance(30_000);
    expect(f.reporter.nodeUid()).toBeDefined();
    expect(f.reporter.nodeUid()).not.toBe(firstUid);
    const mirrors = f.fake.list('pods');
    expect(mirrors).toHaveLength(1);
    expect(obj(mirrors[0]?.metadata).ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: 'node-a', uid: f.reporter.nodeUid(), controller: true }]);
  });
});

describe('node lease', () => {
  it('creates the lease, then renews it every 10 s plus up to 4 % jitter, duration 40', async () => {
    const randoms = [0, 1, 0.25, 0.999, 0.5];
    let i = 0;
    const f = await fixture({ random: () => randoms[i++ % randoms.length] ?? 0 });
    await f.advance(0);
    expect(f.fake.requestsTo('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases')).toHaveLength(1);
    const lease = f.fake.get('leases', 'kube-node-lease', 'node-a');
    expect(obj(lease?.spec)).toMatchObject({ holderIdentity: 'node-a', leaseDurationSeconds: 40, renewTime: '2026-01-01T00:00:00.000000Z' });
    await f.advance(60_000);
    const puts = f.fake.requestsTo('PUT', LEASE);
    const times = [Date.UTC(2026, 0, 1), ...puts.map((r) => r.at)];
    const gaps = times.slice(1).map((t, k) => t - (times[k] ?? 0));
    expect(gaps.length).toBeGreaterThanOrEqual(5);
    for (const g of gaps) {
      expect(g).toBeGreaterThanOrEqual(10_000);
      expect(g).toBeLessThanOrEqual(10_400);
    }
    // The random draws map onto the jitter: 0 → 10 s, 1 → 10.4 s, 0.25 → 10.1 s.
    expect(gaps.slice(0, 3)).toEqual([10_000, 10_400, 10_100]);
    const renewed = f.fake.get('leases', 'kube-node-lease', 'node-a');
    expect(obj(renewed?.spec).renewTime).toBe(new Date(times.at(-1) ?? 0).toISOString().replace('Z', '000Z'));
    // Owner reference to the Node once its uid is known.
    expect(obj(renewed?.metadata).ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: 'node-a', uid: f.reporter.nodeUid() }]);
  });

  it('renews with real jitter within bounds', async () => {
    const f = await fixture({ random: Math.random });
    await f.advance(200_000);
    const times = [Date.UTC(2026, 0, 1), ...f.fake.requestsTo('PUT', LEASE).map((r) => r.at)];
    expect(times.length).toBeGreaterThan(18);
    for (let k = 1; k < times.length; k++) {
      const gap = (times[k] ?? 0) - (times[k - 1] ?? 0);
      expect(gap).toBeGreaterThanOrEqual(10_000);
      expect(gap).toBeLessThanOrEqual(10_400);
    }
  });

  it('a 409 on a stale lease update is retried after a fresh GET', async () => {
    const f = await fixture();
    await f.advance(10_500);
    expect(f.fake.requestsTo('PUT', LEASE).map((r) => r.status)).toEqual([200]);
    // Someone else writes the lease: nodelet's cached resourceVersion is now stale.
    f.fake.modify('leases', 'kube-node-lease', 'node-a', (l) => {
      obj(l.spec).holderIdentity = 'someone-else';
    });
    const before = f.fake.requests.length;
    await f.advance(10_000);
    const calls = f.fake.requests.slice(before).filter((r) => r.path === LEASE).map((r) => `${r.method} ${r.status}`);
    expect(calls).toEqual(['PUT 409', 'GET 200', 'PUT 200']);
    const conflictBody = f.fake.requests.slice(before).find((r) => r.status === 409);
    expect(conflictBody).toBeDefined();
    expect(obj(f.fake.get('leases', 'kube-node-lease', 'node-a')?.spec).holderIdentity).toBe('node-a');
    expect(f.reporter.reportingState().lastError).toBeUndefined();
  });
});

describe('mirror pods', () => {
  async function withPod(): Promise<{ f: Fixture; pod: Pod }> {
    const f = await fixture();
    const pod = staticPod('web', 'node-a');
    f.agent.podList = [pod];
    await f.advance(0);
    return { f, pod };
  }

  it('creates a mirror pod with the mirror annotation, a controller owner reference to the Node, and its status', async () => {
    const { f } = await withPod();
    const mirror = f.fake.get('pods', 'default', 'web-node-a');
    expect(mirror).toBeDefined();
    const m = obj(mirror?.metadata);
    expect(obj(m.annotations)['kubernetes.io/config.mirror']).toBe('hash-web-node-a-1');
    expect(obj(m.annotations)['kubernetes.io/config.hash']).toBe('hash-web-node-a-1');
    expect(m.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: 'node-a', uid: f.reporter.nodeUid(), controller: true }]);
    expect(m.uid).not.toBe('uid-web-node-a');
    expect(m.labels).toEqual({ app: 'web' });
    expect(obj(mirror?.spec).nodeName).toBe('node-a');
    expect(obj(mirror?.status)).toMatchObject({ phase: 'Running', hostIP: '10.0.0.5' });
    const patch = f.fake.requestsTo('PATCH', '/api/v1/namespaces/default/pods/web-node-a/status')[0];
    expect(patch?.contentType).toBe('application/strategic-merge-patch+json');
    expect(obj(obj(patch?.body).metadata).uid).toBe(m.uid);
  });

  it('patches pods/status when the status changes, not otherwise', async () => {
    const { f } = await withPod();
    const statusPatches = (): number => f.fake.requestsTo('PATCH', '/api/v1/namespaces/default/pods/web-node-a/status').length;
    expect(statusPatches()).toBe(1);
    await f.advance(30_000);
    expect(statusPatches()).toBe(1);
    f.agent.podList = [staticPod('web', 'node-a', { ready: false, restartCount: 3 })];
    await f.advance(1_000);
    expect(statusPatches()).toBe(2);
    const status = obj(f.fake.get('pods', 'default', 'web-node-a')?.status);
    expect((status.containerStatuses as unknown as { restartCount: number; state: unknown }[])[0]).toMatchObject({ restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } });
    expect((status.conditions as unknown as { type: string; status: string }[]).find((c) => c.type === 'Ready')?.status).toBe('False');
    await f.advance(10_000);
    expect(statusPatches()).toBe(2);
  });

  it('a status transition leaves no stale reason or message (two-way strategic merge diff with $setElementOrder)', async () => {
    const f = await fixture();
    const base = staticPod('web', 'node-a', { ready: false });
    const conds = base.status?.conditions ?? [];
    const notReady: Pod = { ...base, status: { ...base.status, conditions: conds.map((c) => (c.type === 'Ready' ? { ...c, reason: 'ContainersNotReady', message: 'containers with unready status: [main]' } : c)) } };
    f.agent.podList = [notReady];
    await f.advance(0);
    const ready = (): JsonObject | undefined => ((obj(f.fake.get('pods', 'default', 'web-node-a')?.status).conditions ?? []) as unknown as JsonObject[]).find((c) => c.type === 'Ready');
    expect(ready()).toMatchObject({ status: 'False', reason: 'ContainersNotReady' });
    f.agent.podList = [staticPod('web', 'node-a', { ready: true })];
    await f.advance(1_000);
    expect(ready()?.status).toBe('True');
    expect(ready()?.reason).toBeUndefined();
    expect(ready()?.message).toBeUndefined();
    const last = f.proxy?.setElementOrderPatches.at(-1)?.body as JsonObject | undefined;
    expect(obj(last?.status)['$setElementOrder/conditions']).toEqual([{ type: 'Ready' }, { type: 'PodScheduled' }]);
    expect(obj(last?.metadata).uid).toBe(obj(f.fake.get('pods', 'default', 'web-node-a')?.metadata).uid);
  });

  it('deletes the mirror of a pod nodelet no longer runs', async () => {
    const { f } = await withPod();
    f.agent.podList = [];
    await f.advance(1_000);
    expect(f.fake.get('pods', 'default', 'web-node-a')).toBeUndefined();
    const del = f.fake.requestsTo('DELETE', '/api/v1/namespaces/default/pods/web-node-a')[0];
    expect(obj(del?.body)).toMatchObject({ gracePeriodSeconds: 0, preconditions: { uid: expect.any(String) } });
  });

  it('recreates a mirror deleted with kubectl (graceful) and one removed at once', async () => {
    const { f } = await withPod();
    const firstUid = obj(f.fake.get('pods', 'default', 'web-node-a')?.metadata).uid;
    // kubectl delete pod: the API server only marks it (deletionTimestamp); nodelet deletes it for good and recreates it.
    f.fake.delete('pods', 'default', 'web-node-a');
    expect(obj(f.fake.get('pods', 'default', 'web-node-a')?.metadata).deletionTimestamp).toBeDefined();
    // The watch event arrives in real time; the fake clock moves a poll at a time meanwhile.
    await vi.waitFor(async () => {
      await f.advance(1_000);
      expect(obj(f.fake.get('pods', 'default', 'web-node-a')?.metadata).uid).not.toBe(firstUid);
    }, WAIT);
    const second = f.fake.get('pods', 'default', 'web-node-a');
    expect(obj(second?.metadata).deletionTimestamp).toBeUndefined();
    expect(obj(second?.metadata).uid).not.toBe(firstUid);
    expect(obj(second?.status).phase).toBe('Running');
    const del = f.fake.requestsTo('DELETE', '/api/v1/namespaces/default/pods/web-node-a').at(-1);
    expect(obj(del?.body)).toMatchObject({ gracePeriodSeconds: 0, preconditions: { uid: firstUid } });

    // kubectl delete --grace-period=0 --force: gone at once; back within the resync period. The
    // proxy's watch polls the fake, so it must have seen the new mirror before it can report it gone.
    await vi.waitFor(() => expect(f.proxy?.watchEvents.some((e) => e.uid === obj(second?.metadata).uid)).toBe(true), WAIT);
    f.fake.delete('pods', 'default', 'web-node-a', 0);
    expect(f.fake.get('pods', 'default', 'web-node-a')).toBeUndefined();
    await vi.waitFor(async () => {
      await f.advance(1_000);
      expect(f.fake.get('pods', 'default', 'web-node-a')).toBeDefined();
    }, WAIT);
    const third = f.fake.get('pods', 'default', 'web-node-a');
    expect(third).toBeDefined();
    expect(obj(third?.metadata).uid).not.toBe(obj(second?.metadata).uid);
  });

  it('replaces a mirror whose hash is stale (the manifest changed)', async () => {
    const { f } = await withPod();
    const firstUid = obj(f.fake.get('pods', 'default', 'web-node-a')?.metadata).uid;
    f.agent.podList = [staticPod('web', 'node-a', { hash: 'hash-web-node-a-2' })];
    await f.advance(1_000);
    const mirror = f.fake.get('pods', 'default', 'web-node-a');
    expect(obj(obj(mirror?.metadata).annotations)['kubernetes.io/config.mirror']).toBe('hash-web-node-a-2');
    expect(obj(mirror?.metadata).uid).not.toBe(firstUid);
  });

  it('leaves mirrors alone until the agent has finished its first sync', async () => {
    const f = await fixture();
    f.agent.synced = false;
    await f.advance(20_000);
    expect(f.fake.requestsTo('GET', '/api/v1/pods')).toHaveLength(0);
    f.agent.synced = true;
    f.agent.podList = [staticPod('web', 'node-a')];
    await f.advance(1_000);
    expect(f.fake.get('pods', 'default', 'web-node-a')).toBeDefined();
  });

  it('a pod the API server refuses to mirror backs off alone and shows in the reporting state', async () => {
    const f = await fixture();
    const bad = staticPod('bad', 'node-a');
    bad.spec = { ...bad.spec, containers: bad.spec?.containers ?? [], volumes: [{ name: 's', secret: { secretName: 'x' } }] };
    f.agent.podList = [bad, staticPod('good', 'node-a')];
    await f.advance(0);
    expect(f.fake.get('pods', 'default', 'good-node-a')).toBeDefined();
    expect(f.fake.get('pods', 'default', 'bad-node-a')).toBeUndefined();
    expect(f.reporter.reportingState().lastError).toBe('mirror pod default/bad-node-a: pods "bad-node-a" is forbidden: a mirror pod may not reference secrets');
    const attempts = (): number => f.fake.requestsTo('POST', '/api/v1/namespaces/default/pods').filter((r) => obj(obj(r.body).metadata).name === 'bad-node-a').length;
    expect(attempts()).toBe(1);
    await f.advance(9_000);
    expect(attempts()).toBe(1);
    await f.advance(1_000);
    expect(attempts()).toBe(2);
  });
});

describe('API server outage', () => {
  it('each task retries on its own during a 60 s outage; the Lease is renewed within 10 s of the return (lease back-off capped at 7 s)', async () => {
    const f = await fixture();
    f.agent.podList = [staticPod('web', 'node-a')];
    await f.advance(0);
    await down(f);
    f.agent.podList = [staticPod('web', 'node-a', { ready: false, restartCount: 1 })];
    const before = f.fake.requests.length;
    await f.advance(60_000);
    const state = f.reporter.reportingState();
    expect(state.lastError).toMatch(/cannot reach https:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    expect(state.lastErrorAt).toBeDefined();
    expect(state.backoffUntil).toBeDefined();
    expect(state.lastSuccess).toBe('2026-01-01T00:00:00Z');
    const warnings = f.logs.filter((l) => l.msg === 'API server unavailable; local pods are not affected, each reporting task retries on its own');
    expect(warnings).toHaveLength(1);
    const retries = (task: string): unknown[] => f.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('API server') && l.task === task).map((l) => l.retryInMs);
    // backoffEnsureLease: 200 ms doubling, capped at 7 s, no jitter.
    expect(retries('lease').slice(0, 8)).toEqual([200, 400, 800, 1600, 3200, 6400, 7000, 7000]);
    // Node status: 1 s doubling, capped at its 10 s period (+ up to 10 % jitter; random is 0.5).
    expect(retries('node').slice(0, 5)).toEqual([1050, 2100, 4200, 8400, 10_500]);
    expect(f.fake.requests.length).toBe(before);

    await up(f);
    const back = f.clock.now();
    await f.advance(10_000);
    const lease = obj(f.fake.get('leases', 'kube-node-lease', 'node-a')?.spec);
    const renewedAfterMs = Date.parse(String(lease.renewTime)) - back;
    expect(renewedAfterMs).toBeGreaterThanOrEqual(0);
    expect(renewedAfterMs).toBeLessThanOrEqual(7000);
    const after = f.reporter.reportingState();
    expect(after.backoffUntil).toBeUndefined();
    expect(Date.parse(after.lastSuccess ?? '')).toBeGreaterThan(Date.parse(after.lastErrorAt ?? ''));
    const status = obj(f.fake.get('pods', 'default', 'web-node-a')?.status);
    expect((status.containerStatuses as unknown as { restartCount: number }[])[0]?.restartCount).toBe(1);
    expect(f.logs.some((l) => l.msg === 'API server answering again; catching up')).toBe(true);
    console.log(`lease renewed ${renewedAfterMs} ms after the API server came back from a 60 s outage`);
  });

  it('a slow API server times out like an absent one', async () => {
    const f = await fixture({ timing: { requestTimeoutMs: 200 } });
    f.fake.intercept(() => ({ delayMs: 1_000 }));
    await f.advance(0);
    expect(f.reporter.reportingState().lastError).toMatch(/no answer from https:\/\/127\.0\.0\.1:\d+ within 200 ms/);
    f.fake.intercept(undefined);
    await f.advance(5_000);
    expect(f.fake.get('nodes', undefined, 'node-a')).toBeDefined();
  });

  it('5xx answers back off too; a missing kubeconfig is retried, never thrown', async () => {
    const f = await fixture({ deps: { kubeconfigPath: '/nonexistent/kubeconfig' } });
    await f.advance(0);
    expect(f.reporter.reportingState()).toMatchObject({ enabled: true, server: '' });
    expect(f.reporter.reportingState().lastError).toMatch(/^cannot load kubeconfig \/nonexistent\/kubeconfig: /);
    const g = await fixture({ nodeName: 'node-b' });
    g.fake.intercept(() => ({ status: 503, message: 'etcd is sick', reason: 'ServiceUnavailable' }));
    await g.advance(0);
    expect(g.reporter.reportingState()).toMatchObject({ lastError: 'etcd is sick' });
    expect(g.reporter.reportingState().backoffUntil).toBeDefined();
    g.fake.intercept(undefined);
    await g.advance(3_000);
    expect(g.fake.get('nodes', undefined, 'node-b')).toBeDefined();
  });
});

describe('events', () => {
  it('creates a core/v1 Event, then aggregates repeats with a PATCH of count and lastTimestamp', async () => {
    const f = await fixture();
    await f.advance(0);
    const involved = { kind: 'Pod' as const, namespace: 'default', name: 'web-node-a', uid: 'uid-web-node-a', fieldPath: 'spec.containers{main}' };
    f.events.record(involved, 'Warning', 'BackOff', 'Back-off restarting failed container main');
    await f.advance(0);
    const podEvents = (): JsonObject[] => f.fake.list('events', 'default').filter((x) => obj(x.involvedObject).kind === 'Pod');
    const events = podEvents();
    expect(events).toHaveLength(1);
    const e = events[0] ?? {};
    expect(e).toMatchObject({
      reason: 'BackOff',
      type: 'Warning',
      count: 1,
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-node-a', uid: 'uid-web-node-a', fieldPath: 'spec.containers{main}', apiVersion: 'v1' },
      source: { component: 'kubelet', host: 'node-a' },
      reportingComponent: 'kubelet',
      reportingInstance: 'node-a',
      firstTimestamp: '2026-01-01T00:00:00Z',
    });
    expect(String(obj(e.metadata).name)).toMatch(/^web-node-a\.[0-9a-f]+$/);
    await f.advance(5_000);
    f.events.record(involved, 'Warning', 'BackOff', 'Back-off restarting failed container main');
    f.events.record(involved, 'Warning', 'BackOff', 'Back-off restarting failed container main');
    await f.advance(0);
    const after = podEvents();
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ count: 3, lastTimestamp: '2026-01-01T00:00:05Z', firstTimestamp: '2026-01-01T00:00:00Z' });
    expect(f.fake.requestsTo('PATCH', /\/events\//).map((r) => r.contentType)).toEqual(['application/strategic-merge-patch+json']);
    // Node events go to default with the node name as uid; manifest events stay local.
    f.events.record({ kind: 'Node', namespace: '', name: 'node-a' }, 'Normal', 'Starting', 'Starting kubelet.');
    f.events.record({ kind: 'Manifest', namespace: '', name: '/etc/kubernetes/manifests/x.yaml' }, 'Warning', 'Invalid', 'bad');
    await f.advance(0);
    const nodeEvent = f.fake.list('events', 'default').find((x) => x.reason === 'Starting');
    expect(nodeEvent?.involvedObject).toEqual({ apiVersion: 'v1', kind: 'Node', name: 'node-a', uid: 'node-a' });
    expect(f.fake.list('events').filter((x) => x.reason === 'Starting' || x.reason === 'BackOff' || x.reason === 'Invalid')).toHaveLength(2);
  });

  it('queues events during an outage and sends the newest count when the server is back', async () => {
    const f = await fixture();
    await f.advance(0);
    await down(f);
    const involved = { kind: 'Pod' as const, namespace: 'default', name: 'web-node-a', uid: 'u1' };
    for (let i = 0; i < 4; i++) {
      f.events.record(involved, 'Normal', 'Pulled', 'Container image "busybox:1.37" already present on machine');
      await f.advance(1_000);
    }
    const podEvents = (): JsonObject[] => f.fake.list('events').filter((x) => obj(x.involvedObject).kind === 'Pod');
    expect(podEvents()).toHaveLength(0);
    await up(f);
    await f.advance(30_000);
    const events = podEvents();
    expect(events).toHaveLength(1);
    expect(events[0]?.count).toBe(4);
  });
});

describe('the node pods: LIST then WATCH, LIST every 10 s only as the fallback', () => {
  const podLists = (f: Fixture): number => f.fake.requestsTo('GET', '/api/v1/pods').length;

  it('watches the node pods after one LIST; a mirror deleted with kubectl is recreated from the watch event, without a LIST', async () => {
    const f = await fixture();
    f.agent.podList = [staticPod('web', 'node-a')];
    await f.advance(0);
    await vi.waitFor(() => expect(f.proxy?.watches.length).toBe(1), WAIT);
    expect(f.proxy?.watches[0]?.query).toMatchObject({ fieldSelector: 'spec.nodeName=node-a', watch: 'true' });
    const lists = podLists(f);
    await f.advance(60_000);
    expect(podLists(f)).toBe(lists);
    const uid = obj(f.fake.get('pods', 'default', 'web-node-a')?.metadata).uid;
    f.fake.delete('pods', 'default', 'web-node-a', 0);
    await vi.waitFor(async () => {
      await f.advance(1_000);
      const now = f.fake.get('pods', 'default', 'web-node-a');
      expect(now).toBeDefined();
      expect(obj(now?.metadata).uid).not.toBe(uid);
    }, WAIT);
    expect(podLists(f)).toBe(lists);
  });

  it('falls back to a LIST every 10 s when the server cannot watch (the plain fake refuses it)', async () => {
    const fake = await FakeApiServer.start();
    const f = await fixture({ fake });
    f.agent.podList = [staticPod('web', 'node-a')];
    await f.advance(0);
    await vi.waitFor(() => expect(f.logs.some((l) => l.msg === 'watch of the node pods failed; listing them every resync period until it works again')).toBe(true), WAIT);
    const lists = podLists(f);
    await f.advance(30_000);
    expect(podLists(f) - lists).toBeGreaterThanOrEqual(3);
    await fake.close();
  });

  it('idle reporting costs at most the kubelet\'s 12 requests per minute, plus the watch', async () => {
    const f = await fixture();
    f.agent.podList = [staticPod('web', 'node-a')];
    await f.advance(0);
    await vi.waitFor(() => expect(f.proxy?.watches.length).toBe(1), WAIT);
    await f.advance(60_000);
    const from = f.fake.requests.length;
    await f.advance(5 * 60_000);
    const perMinute = (f.fake.requests.length - from) / 5;
    const byKind = new Map<string, number>();
    for (const r of f.fake.requests.slice(from)) byKind.set(`${r.method} ${r.path}`, (byKind.get(`${r.method} ${r.path}`) ?? 0) + 1);
    console.log(`idle: ${perMinute} requests/minute + ${f.proxy?.watches.length ?? 0} open watch`, Object.fromEntries(byKind));
    expect(perMinute).toBeLessThanOrEqual(12.5);
    expect(f.proxy?.watches.length).toBe(1);
  });
});

describe('kubelet Node events and the event envelope', () => {
  const nodeEvents = (f: Fixture): { reason: string; message: string; type: string }[] =>
    f.fake
      .list('events', 'default')
      .filter((x) => obj(x.involvedObject).kind === 'Node')
      .map((x) => ({ reason: String(x.reason), message: String(x.message), type: String(x.type) }));

  it('registration records the condition events with the kubelet messages, source kubelet/<node>', async () => {
    const f = await fixture();
    await f.advance(0);
    await f.advance(0);
    expect(nodeEvents(f)).toEqual([
      { type: 'Normal', reason: 'NodeHasSufficientMemory', message: 'Node node-a status is now: NodeHasSufficientMemory' },
      { type: 'Normal', reason: 'NodeHasNoDiskPressure', message: 'Node node-a status is now: NodeHasNoDiskPressure' },
      { type: 'Normal', reason: 'NodeHasSufficientPID', message: 'Node node-a status is now: NodeHasSufficientPID' },
      { type: 'Normal', reason: 'NodeReady', message: 'Node node-a status is now: NodeReady' },
    ]);
    for (const e of f.fake.list('events', 'default')) {
      expect(e).toMatchObject({ source: { component: 'kubelet', host: 'node-a' }, involvedObject: { kind: 'Node', name: 'node-a', uid: 'node-a' } });
    }
  });

  it('NodeNotReady and NodeReady on Ready transitions; Rebooted (Warning) when the boot id changes', async () => {
    const f = await fixture();
    await f.advance(0);
    f.agent.runtimeHealthy = false;
    await f.advance(10_000);
    f.agent.runtimeHealthy = true;
    f.facts = { ...f.facts, bootID: 'b-456' };
    await f.advance(10_000);
    await f.advance(0);
    expect(nodeEvents(f).slice(4)).toEqual([
      { type: 'Normal', reason: 'NodeNotReady', message: 'Node node-a status is now: NodeNotReady' },
      { type: 'Warning', reason: 'Rebooted', message: 'Node node-a has been rebooted, boot id: b-456' },
    ]);
    // Ready again: the same event as at registration, so the recorder bumps its count.
    expect(f.fake.list('events', 'default').find((x) => x.reason === 'NodeReady')?.count).toBe(2);
  });

  it('sends events recorded before the reporter started (the first Pulled is not lost)', async () => {
    const { EventStore } = await import('../../../agent/events/event-store.js');
    const { FakeClock } = await import('../../helpers/fake-clock.js');
    const early = new EventStore({ clock: new FakeClock(), source: 'nodelet, node-a' });
    early.record({ kind: 'Node', namespace: '', name: 'node-a', uid: 'node-a' }, 'Normal', 'Starting', 'Starting kubelet.');
    early.record({ kind: 'Pod', namespace: 'default', name: 'web-node-a', uid: 'u1', fieldPath: 'spec.containers{main}' }, 'Normal', 'Pulled', 'Container image "busybox:1.37" already present on machine');
    const f = await fixture({ deps: { events: early } });
    await f.advance(0);
    await f.advance(0);
    const reasons = f.fake.list('events', 'default').map((e) => e.reason);
    expect(reasons).toContain('Starting');
    expect(reasons).toContain('Pulled');
  });

  it('a pod adopted from an older nodelet has its events under its config hash (what kubectl describe searches)', async () => {
    const f = await fixture();
    const pod = staticPod('web', 'node-a', { hash: 'a1b2c3d4e5f60718293a4b5c6d7e8f90' });
    f.agent.podList = [pod];
    await f.advance(0);
    f.events.record({ kind: 'Pod', namespace: 'default', name: 'web-node-a', uid: 'uid-web-node-a' }, 'Normal', 'Started', 'Started container main');
    await f.advance(0);
    const e = f.fake.list('events', 'default').find((x) => x.reason === 'Started');
    expect(obj(e?.involvedObject).uid).toBe('a1b2c3d4e5f60718293a4b5c6d7e8f90');
    const mirror = f.fake.get('pods', 'default', 'web-node-a');
    expect(obj(obj(mirror?.metadata).annotations)['kubernetes.io/config.mirror']).toBe(obj(e?.involvedObject).uid);
  });
});

describe('credentials', () => {
  it('sends the bearer token and the client certificate, and never logs either', async () => {
    const token = 'tok-7f3c9a1e5d2b4c6a8e0f';
    const f = await fixture({ kubeconfig: { token } });
    f.agent.podList = [staticPod('web', 'node-a')];
    await f.advance(0);
    await down(f);
    await f.advance(15_000);
    await up(f);
    await f.advance(20_000);
    expect(f.fake.requests.every((r) => r.authorization === `Bearer ${token}`)).toBe(true);
    expect(f.fake.requests.every((r) => r.user === 'system:node:node-a')).toBe(true);
    const { readFile } = await import('node:fs/promises');
    const kubeconfig = JSON.parse(await readFile(f.kubeconfigPath, 'utf8')) as { users: { user: Record<string, string> }[] };
    const user = kubeconfig.users[0]?.user ?? {};
    const key = Buffer.from(user['client-key-data'] ?? '', 'base64').toString('utf8');
    const keyBody = key.split('\n').filter((l) => l && !l.startsWith('-----'))[0] ?? 'missing';
    const text = f.logText();
    expect(text).toContain('reporting to the API server');
    expect(text).toContain('API server unavailable');
    for (const secret of [token, user['client-key-data'] ?? 'missing', keyBody, 'PRIVATE KEY']) expect(text).not.toContain(secret);
  });

  it('takes the client certificate from an exec credential plugin', async () => {
    const f = await fixture({ kubeconfig: { viaExecPlugin: true, token: 'exec-token-123456' } });
    await f.advance(0);
    expect(f.fake.get('nodes', undefined, 'node-a')).toBeDefined();
    expect(f.fake.requests[0]).toMatchObject({ user: 'system:node:node-a', authorization: 'Bearer exec-token-123456' });
    expect(f.logText()).not.toContain('exec-token-123456');
  });

  it('a certificate from another CA is refused at the TLS handshake', async () => {
    const fake = await FakeApiServer.start();
    const { createForeignCa } = await import('../../fake-apiserver/pki.js');
    const signer = await createForeignCa(fake.pki);
    const f = await fixture({ fake, kubeconfig: { signer } });
    await f.advance(0);
    expect(fake.requests).toHaveLength(0);
    expect(f.reporter.reportingState().lastError).toMatch(/cannot reach https:\/\/127\.0\.0\.1:\d+: /);
    await fake.close();
  });
});
