// FakeApiServer stays for the fast tests; this checks it against the real kube-apiserver. The
// reporter runs a scripted scenario against the fake (registration, lease renewals, a mirror
// pod, its status changes, events and a repeat, an admin's graceful delete of the mirror, the
// node going NotReady, the pod's removal), and every request it made is recorded (method,
// path, query, content type, body, status). The same log is then replayed, in order, against
// a real kube-apiserver with the node's own client certificate (system:node:<name>), and each
// request must get the same status code from both.
//
// Replay rewrites only what the servers assign: uids and resourceVersions the fake handed out
// are mapped to the real server's (learnt from the paired answers), so preconditions and
// optimistic concurrency mean the same on both sides.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reporterFixture, staticPod, type ReporterFixture } from '../fake-apiserver/harness.js';
import type { Json, JsonObject } from '../fake-apiserver/patch.js';
import type { RecordedRequest } from '../fake-apiserver/fake-apiserver.js';
import { involvedPod } from '../../agent/events/event-store.js';
import { buildKubeBinaries, startKubeCluster, type KubeCluster } from '../helpers/kube-cluster.js';

let cluster: KubeCluster;
beforeAll(async () => {
  await buildKubeBinaries();
  cluster = await startKubeCluster();
}, 60 * 60_000);
afterAll(async () => cluster?.stop(), 60_000);

/** An admin action taken between two recorded requests, done the same way on both servers. */
interface AdminStep {
  readonly before: number;
  readonly describe: string;
  readonly real: () => Promise<{ status: number }>;
}

/** The scripted scenario against the fake; returns its request log and the admin steps. */
async function recordScenario(nodeName: string): Promise<{ log: RecordedRequest[]; admin: AdminStep[] }> {
  const fx: ReporterFixture = await reporterFixture({ nodeName });
  const admin: AdminStep[] = [];
  const web = `web-${nodeName}`;
  try {
    fx.agent.podList = [staticPod('web', nodeName)];
    await fx.advance(0);
    for (let i = 0; i < 3; i++) await fx.advance(1000);
    const ref = involvedPod({ namespace: 'default', name: web, uid: `uid-${web}` }, 'main');
    fx.events.record(ref, 'Normal', 'Started', 'Started container main');
    await fx.advance(1000);
    fx.events.record(ref, 'Normal', 'Started', 'Started container main'); // count 2: a PATCH
    await fx.advance(1000);
    fx.agent.podList = [staticPod('web', nodeName, { ready: false, restartCount: 1 })];
    await fx.advance(2000);
    admin.push({
      before: fx.fake.requests.length,
      describe: `kubectl delete pod ${web} (graceful, 30 s)`,
      real: () => cluster.request('DELETE', `/api/v1/namespaces/default/pods/${web}`, { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 30 }),
    });
    fx.fake.delete('pods', 'default', web, 30);
    for (let i = 0; i < 12; i++) await fx.advance(1000);
    // Refusals: a pod referencing a Secret (NodeRestriction: 403), a pod in a namespace the
    // cluster lacks (404), and a Lease another writer changed (409 on the stale PUT).
    const secretPod = staticPod('secret', nodeName);
    secretPod.spec = { ...secretPod.spec!, volumes: [{ name: 's', secret: { secretName: 'creds' } }] };
    const lostPod = staticPod('lost', nodeName);
    lostPod.metadata = { ...lostPod.metadata, namespace: `missing-${nodeName}` };
    fx.agent.podList = [staticPod('web', nodeName, { ready: false, restartCount: 1 }), secretPod, lostPod];
    for (let i = 0; i < 3; i++) await fx.advance(1000);
    admin.push({
      before: fx.fake.requests.length,
      describe: 'another writer changes the Lease (kubectl patch)',
      real: () => cluster.request('PATCH', `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${nodeName}`, { metadata: { labels: { touched: 'yes' } } }, { contentType: 'application/merge-patch+json' }),
    });
    fx.fake.modify('leases', 'kube-node-lease', nodeName, (l) => {
      (l.metadata as JsonObject).labels = { touched: 'yes' };
    });
    await fx.advance(10_000);
    fx.agent.podList = [staticPod('web', nodeName, { ready: false, restartCount: 1 })];
    fx.agent.runtimeHealthy = false;
    await fx.advance(10_000);
    fx.agent.podList = [];
    for (let i = 0; i < 3; i++) await fx.advance(1000);
    await fx.advance(10_000);
    return { log: [...fx.fake.requests], admin };
  } finally {
    await fx.stop();
  }
}

/** metadata identity → (uid, resourceVersion) of every object in an answer (one object or a list). */
function objectsOf(answer: Json | undefined): Map<string, { uid?: string; rv?: string }> {
  const out = new Map<string, { uid?: string; rv?: string }>();
  const add = (o: Json | undefined): void => {
    if (!o || typeof o !== 'object' || Array.isArray(o)) return;
    const m = o.metadata;
    if (!m || typeof m !== 'object' || Array.isArray(m) || typeof m.name !== 'string') return;
    out.set(`${String(o.kind ?? '')}/${String(m.namespace ?? '')}/${m.name}`, { uid: typeof m.uid === 'string' ? m.uid : undefined, rv: typeof m.resourceVersion === 'string' ? m.resourceVersion : undefined });
  };
  if (answer && typeof answer === 'object' && !Array.isArray(answer) && Array.isArray(answer.items)) {
    const kind = String(answer.kind ?? '').replace(/List$/, '');
    for (const item of answer.items) if (item && typeof item === 'object' && !Array.isArray(item)) add({ kind, ...item });
  } else add(answer);
  return out;
}

/** Replaces the fake's uids/resourceVersions (in fields of those names) with the real server's. */
function rewrite(v: Json | undefined, map: Map<string, string>): Json | undefined {
  if (Array.isArray(v)) return v.map((x) => rewrite(x, map) ?? null);
  if (!v || typeof v !== 'object') return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) out[k] = (k === 'uid' || k === 'resourceVersion') && typeof x === 'string' ? (map.get(x) ?? x) : (rewrite(x, map) ?? null);
  return out;
}

describe('FakeApiServer checked against the real kube-apiserver', () => {
  it('every request of a scripted reporter scenario gets the same status code from both', async () => {
    const nodeName = `replay-${process.pid}-${Date.now().toString(36)}`;
    const { log, admin } = await recordScenario(nodeName);
    expect(log.length).toBeGreaterThan(15);
    // The scenario covered what nodelet does (a guard against a script that silently stopped early).
    const kinds = new Set(log.map((r) => `${r.method} ${r.path.replace(nodeName, '<node>').replace(/\/events\/[^/]+$/, '/events/<name>')}`));
    for (const k of ['POST /api/v1/nodes', 'PATCH /api/v1/nodes/<node>/status', 'POST /apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', 'PUT /apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/<node>', 'GET /api/v1/pods', 'POST /api/v1/namespaces/default/pods', 'PATCH /api/v1/namespaces/default/pods/web-<node>/status', 'DELETE /api/v1/namespaces/default/pods/web-<node>', 'POST /api/v1/namespaces/default/events', 'PATCH /api/v1/namespaces/default/events/<name>']) {
      expect([...kinds], k).toContain(k);
    }

    await cluster.nodeKubeconfig(nodeName);
    const cert = cluster.nodeCert(nodeName);
    const map = new Map<string, string>();
    const rows: { i: number; request: string; fake: number; real: number; realMessage?: string; fakeMessage?: string; realReason?: string; fakeReason?: string }[] = [];
    for (const [i, r] of log.entries()) {
      for (const a of admin.filter((s) => s.before === i)) {
        const res = await a.real();
        expect(res.status, a.describe).toBeLessThan(300);
      }
      // A watch is a stream the fake does not serve (the reporter then lists every resync period;
      // test/helpers/api-proxy.ts serves it for the reporter tests); kube-apiserver.test.ts checks
      // the reporter's watch on the real server.
      if (r.query.watch === 'true' || r.query.watch === '1') continue;
      const query = new URLSearchParams(Object.entries(r.query).map(([k, v]): [string, string] => [k, k === 'resourceVersion' ? (map.get(v) ?? v) : v])).toString();
      const real = await cluster.request(r.method, `${r.path}${query ? `?${query}` : ''}`, rewrite(r.body, map), { ...(r.contentType ? { contentType: r.contentType } : {}), ...(cert ? { cert } : {}) });
      const fakeObjects = objectsOf(r.response);
      const realObjects = objectsOf(real.body as Json);
      for (const [key, f] of fakeObjects) {
        const got = realObjects.get(key);
        if (f.uid && got?.uid) map.set(f.uid, got.uid);
        if (f.rv && got?.rv) map.set(f.rv, got.rv);
      }
      const field = (b: unknown, k: 'message' | 'reason'): string | undefined => (b && typeof b === 'object' && k in b ? String((b as Record<string, unknown>)[k]) : undefined);
      rows.push({ i, request: `${r.method} ${r.path}${query ? `?${query}` : ''}`, fake: r.status, real: real.status, realMessage: field(real.body, 'message'), fakeMessage: field(r.response, 'message'), realReason: field(real.body, 'reason'), fakeReason: field(r.response, 'reason') });
    }
    const differences = rows.filter((x) => x.fake !== x.real);
    // The table is the evidence when this fails (and in the report when it passes).
    console.log(rows.map((x) => `${x.i}\t${x.fake}\t${x.real}\t${x.request}${x.fake >= 300 || x.real >= 300 ? `\n\t fake: ${x.fakeReason ?? ''}: ${x.fakeMessage ?? ''}\n\t real: ${x.realReason ?? ''}: ${x.realMessage ?? ''}` : ''}`).join('\n'));
    expect(differences).toEqual([]);
    // Refusals also carry the same Status reason (Forbidden, NotFound, Conflict...) and message.
    expect(rows.filter((x) => x.fake >= 300).map((x) => [x.i, x.fakeReason, x.fakeMessage])).toEqual(rows.filter((x) => x.real >= 300).map((x) => [x.i, x.realReason, x.realMessage]));
    expect(rows.filter((x) => x.real >= 400).length).toBeGreaterThanOrEqual(3);
  }, 180_000);
});
