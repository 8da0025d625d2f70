// FakeApiServer is a test double; these tests pin the kube-apiserver rules it follows, so
// the reporter's tests cannot pass against a fake that accepts anything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:https';
import { FakeApiServer } from '../../fake-apiserver/fake-apiserver.js';
import { applyMergePatch, applyStrategicMergePatch, type Json, type JsonObject } from '../../fake-apiserver/patch.js';
import { createForeignCa, issueClientCert, type CertPair } from '../../fake-apiserver/pki.js';

let fake: FakeApiServer;
let n1: CertPair;
let n2: CertPair;
let admin: CertPair;
let nodeUid = '';

interface Answer {
  status: number;
  body: JsonObject;
}

function call(cert: CertPair | undefined, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      `${fake.url}${path}`,
      { method, ca: fake.pki.ca.cert, ...(cert ? { cert: cert.cert, key: cert.key } : {}), headers: data ? { 'Content-Type': contentType, 'Content-Length': data.length } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as JsonObject }));
      },
    );
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

function mirrorPod(name: string, over: { annotations?: Record<string, string>; nodeName?: string; owners?: unknown[]; spec?: Record<string, unknown> } = {}): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      annotations: over.annotations ?? { 'kubernetes.io/config.mirror': 'h1' },
      ownerReferences: (over.owners ?? [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: nodeUid, controller: true }]) as Json,
    },
    spec: { nodeName: over.nodeName ?? 'n1', containers: [{ name: 'c', image: 'busybox' }], ...(over.spec ?? {}) } as Json,
  };
}

beforeAll(async () => {
  fake = await FakeApiServer.start();
  n1 = await issueClientCert(fake.pki, 'n1', 'system:node:n1', ['system:nodes']);
  n2 = await issueClientCert(fake.pki, 'n2', 'system:node:n2', ['system:nodes']);
  admin = await issueClientCert(fake.pki, 'admin', 'admin', ['system:masters']);
  const created = await call(n1, 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' } }, spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] }, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
  expect(created.status).toBe(201);
  nodeUid = String((created.body.metadata as JsonObject).uid);
});

afterAll(async () => {
  await fake.close();
});

describe('TLS and identity', () => {
  it('refuses a connection without a client certificate, or with one from another CA', async () => {
    await expect(call(undefined, 'GET', '/api/v1/nodes/n1')).rejects.toThrow();
    const foreign = await createForeignCa(fake.pki);
    const stranger = await issueClientCert(fake.pki, 'stranger', 'system:node:n1', ['system:nodes'], foreign);
    await expect(call(stranger, 'GET', '/api/v1/nodes/n1')).rejects.toThrow();
  });

  it('forbids a user that is neither a node nor an admin', async () => {
    const nobody = await issueClientCert(fake.pki, 'nobody', 'jane', ['devs']);
    const r = await call(nobody, 'GET', '/api/v1/nodes/n1');
    expect(r.status).toBe(403);
    expect(r.body.message).toBe('nodes "n1" is forbidden: User "jane" cannot get resource "nodes" in API group "" at the cluster scope');
  });
});

describe('Status bodies', () => {
  it('404 NotFound', async () => {
    const r = await call(n1, 'GET', '/api/v1/namespaces/default/pods/nope');
    expect(r).toEqual({ status: 404, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "nope" not found', reason: 'NotFound', details: { name: 'nope', kind: 'pods' }, code: 404 } });
    const lease = await call(n1, 'GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n9');
    expect(lease.body).toMatchObject({ message: 'leases.coordination.k8s.io "n9" not found', details: { name: 'n9', group: 'coordination.k8s.io', kind: 'leases' } });
  });

  it('409 AlreadyExists on create of an existing name', async () => {
    const r = await call(n1, 'POST', '/api/v1/nodes', { metadata: { name: 'n1' } });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ reason: 'AlreadyExists', message: 'nodes "n1" already exists', code: 409 });
  });

  it('422 Invalid with causes', async () => {
    const r = await call(n1, 'POST', '/api/v1/namespaces/default/pods', mirrorPod('bad', { spec: { containers: [] } }));
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ reason: 'Invalid', message: 'Pod "bad" is invalid: spec.containers: Required value', details: { name: 'bad', kind: 'Pod', causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers' }] } });
    const eph = await call(n1, 'POST', '/api/v1/namespaces/default/pods', mirrorPod('eph', { spec: { ephemeralContainers: [{ name: 'd', image: 'busybox' }] } }));
    expect(eph.body.message).toBe('Pod "eph" is invalid: spec.ephemeralContainers: Forbidden: cannot be set on create');
  });

  it('404 for a namespace that does not exist', async () => {
    const pod = mirrorPod('p');
    (pod.metadata as JsonObject).namespace = 'ghost';
    const r = await call(n1, 'POST', '/api/v1/namespaces/ghost/pods', pod);
    expect(r.body).toMatchObject({ code: 404, message: 'namespaces "ghost" not found' });
  });

  it('refuses what it does not implement instead of accepting it', async () => {
    expect((await call(n1, 'PATCH', '/api/v1/nodes/n1', [{ op: 'add', path: '/x', value: 1 }], 'application/json-patch+json')).status).toBe(415);
    expect((await call(n1, 'GET', '/api/v1/nodes?watch=1')).status).toBe(400);
    expect((await call(n1, 'GET', '/api/v1/configmaps')).status).toBe(404);
    const directive = await call(n1, 'PATCH', '/api/v1/nodes/n1/status', { status: { $setElementOrder: [] } }, 'application/strategic-merge-patch+json');
    expect(directive.status).toBe(400);
    expect(directive.body.message).toMatch(/does not implement the strategic merge directive "\$setElementOrder"/);
  });
});

describe('optimistic concurrency', () => {
  it('PUT with a stale resourceVersion is a 409 Conflict; without one a lease update is invalid', async () => {
    const created = await call(n1, 'POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', { metadata: { name: 'n1' }, spec: { holderIdentity: 'n1', leaseDurationSeconds: 40 } });
    expect(created.status).toBe(201);
    const lease = created.body;
    const renewed = { ...lease, spec: { ...(lease.spec as JsonObject), renewTime: '2026-01-01T00:00:10.000000Z' } };
    const first = await call(n1, 'PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1', renewed);
    expect(first.status).toBe(200);
    const stale = await call(n1, 'PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1', { ...renewed, spec: { ...(renewed.spec as JsonObject), renewTime: '2026-01-01T00:00:20.000000Z' } });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({
      reason: 'Conflict',
      message: 'Operation cannot be fulfilled on leases.coordination.k8s.io "n1": the object has been modified; please apply your changes to the latest version and try again',
    });
    const noRv = { ...lease, metadata: { name: 'n1', namespace: 'kube-node-lease' } };
    const unconditional = await call(n1, 'PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1', noRv);
    expect(unconditional.status).toBe(422);
    expect(unconditional.body.message).toBe('Lease.coordination.k8s.io "n1" is invalid: metadata.resourceVersion: Invalid value: 0: must be specified for an update');
  });

  it('PATCH carrying a stale resourceVersion is a 409; one carrying another uid is a 422', async () => {
    const node = await call(n1, 'GET', '/api/v1/nodes/n1');
    const rv = String((node.body.metadata as JsonObject).resourceVersion);
    const ok = await call(n1, 'PATCH', '/api/v1/nodes/n1', { metadata: { resourceVersion: rv, labels: { 'example.com/a': '1' } } }, 'application/merge-patch+json');
    expect(ok.status).toBe(200);
    const stale = await call(n1, 'PATCH', '/api/v1/nodes/n1', { metadata: { resourceVersion: rv, labels: { 'example.com/a': '2' } } }, 'application/merge-patch+json');
    expect(stale.status).toBe(409);
    const uid = await call(n1, 'PATCH', '/api/v1/nodes/n1/status', { metadata: { uid: 'other' }, status: {} }, 'application/strategic-merge-patch+json');
    expect(uid.status).toBe(422);
    expect(uid.body.message).toBe('Node "n1" is invalid: metadata.uid: Invalid value: "other": field is immutable');
  });

  it('a no-op patch does not bump resourceVersion; a change does', async () => {
    const before = String(((await call(n1, 'GET', '/api/v1/nodes/n1')).body.metadata as JsonObject).resourceVersion);
    const same = await call(n1, 'PATCH', '/api/v1/nodes/n1', { metadata: { labels: { 'kubernetes.io/hostname': 'n1' } } }, 'application/merge-patch+json');
    expect((same.body.metadata as JsonObject).resourceVersion).toBe(before);
    const changed = await call(n1, 'PATCH', '/api/v1/nodes/n1', { metadata: { labels: { 'example.com/b': 'x' } } }, 'application/merge-patch+json');
    expect(Number((changed.body.metadata as JsonObject).resourceVersion)).toBeGreaterThan(Number(before));
  });
});

describe('NodeRestriction for mirror pods', () => {
  const forbiddenCases: [string, () => JsonObject, string | (() => string)][] = [
    ['no mirror annotation', () => mirrorPod('a1', { annotations: {} }), 'pod does not have "kubernetes.io/config.mirror" annotation, node "n1" can only create mirror pods'],
    ['another node', () => mirrorPod('a2', { nodeName: 'n2' }), 'node "n1" can only create pods with spec.nodeName set to itself'],
    ['no owner', () => mirrorPod('a3', { owners: [] }), 'node "n1" can only create pods with an owner reference set to itself'],
    ['two owners', () => mirrorPod('a4', { owners: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: nodeUid, controller: true }, { apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'x', controller: true }] }), 'node "n1" can only create pods with a single owner reference set to itself'],
    ['owner is another kind', () => mirrorPod('a5', { owners: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'd', uid: 'x', controller: true }] }), 'node "n1" can only create pods with an owner reference set to itself'],
    ['not controller', () => mirrorPod('a6', { owners: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: nodeUid }] }), 'node "n1" can only create pods with a controller owner reference set to itself'],
    ['blockOwnerDeletion', () => mirrorPod('a7', { owners: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: nodeUid, controller: true, blockOwnerDeletion: true }] }), 'node "n1" must not set blockOwnerDeletion on an owner reference'],
    ['wrong node uid', () => mirrorPod('a8', { owners: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'stale', controller: true }] }), () => `node n1 UID mismatch: expected stale got ${nodeUid}`],
    ['service account', () => mirrorPod('a9', { spec: { serviceAccountName: 'default' } }), 'a mirror pod may not reference service accounts'],
    ['secret volume', () => mirrorPod('a10', { spec: { volumes: [{ name: 'v', secret: { secretName: 's' } }] } }), 'a mirror pod may not reference secrets'],
    ['secret env', () => mirrorPod('a11', { spec: { containers: [{ name: 'c', image: 'b', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }] } }), 'a mirror pod may not reference secrets'],
    ['configmap envFrom', () => mirrorPod('a12', { spec: { containers: [{ name: 'c', image: 'b', envFrom: [{ configMapRef: { name: 'cm' } }] }] } }), 'node "n1" can not create pods that reference configmaps'],
    ['projected trust bundle', () => mirrorPod('a13', { spec: { volumes: [{ name: 'v', projected: { sources: [{ clusterTrustBundle: { name: 'b', path: 'p' } }] } }] } }), 'node "n1" can not create pods that reference clustertrustbundles'],
    ['pvc', () => mirrorPod('a14', { spec: { volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'c' } }] } }), 'node "n1" can not create pods that reference persistentvolumeclaims'],
  ];
  it.each(forbiddenCases)('%s → 403', async (_name, pod, why) => {
    const p = pod();
    const r = await call(n1, 'POST', '/api/v1/namespaces/default/pods', p);
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ reason: 'Forbidden', message: `pods "${String((p.metadata as JsonObject).name)}" is forbidden: ${typeof why === 'function' ? why() : why}`, details: { kind: 'pods' } });
  });

  it('accepts a proper mirror pod, assigns its own uid and resets status', async () => {
    const p = mirrorPod('good');
    (p.metadata as JsonObject).uid = 'static-uid';
    p.status = { phase: 'Running' };
    const r = await call(n1, 'POST', '/api/v1/namespaces/default/pods', p);
    expect(r.status).toBe(201);
    expect((r.body.metadata as JsonObject).uid).not.toBe('static-uid');
    expect(r.body.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
  });

  it('pod status: own pods only, no label changes, conditions merge by type, uid precondition', async () => {
    const created = await call(n1, 'POST', '/api/v1/namespaces/default/pods', mirrorPod('st'));
    const uid = String((created.body.metadata as JsonObject).uid);
    const smp = 'application/strategic-merge-patch+json';
    const path = '/api/v1/namespaces/default/pods/st/status';
    expect((await call(n2, 'PATCH', path, { status: { phase: 'Running' } }, smp)).body.message).toBe('pods "st" is forbidden: node "n2" can only update pod status for pods with spec.nodeName set to itself');
    expect((await call(n1, 'PATCH', path, { metadata: { labels: { x: 'y' } }, status: {} }, smp)).body.message).toBe('pods "st" is forbidden: node "n1" cannot update labels through pod status');
    await call(admin, 'PATCH', path, { status: { conditions: [{ type: 'example.com/Gate', status: 'True' }] } }, smp);
    const ok = await call(n1, 'PATCH', path, { metadata: { uid }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }, smp);
    expect(ok.status).toBe(200);
    expect((ok.body.status as JsonObject).conditions).toEqual([{ type: 'example.com/Gate', status: 'True' }, { type: 'Ready', status: 'True' }]);
    expect((ok.body.status as JsonObject).qosClass).toBe('BestEffort');
    const wrongUid = await call(n1, 'PATCH', path, { metadata: { uid: 'old-mirror' }, status: { phase: 'Failed' } }, smp);
    expect(wrongUid.status).toBe(422);
    const mirrorChange = await call(admin, 'PATCH', path, { metadata: { annotations: { 'kubernetes.io/config.mirror': 'h2' } } }, smp);
    expect(mirrorChange.body.message).toBe('Pod "st" is invalid: metadata.annotations[kubernetes.io/config.mirror]: Forbidden: may not remove or update mirror pod annotation');
    expect((await call(n1, 'PATCH', '/api/v1/namespaces/default/pods/st', { metadata: { labels: { a: 'b' } } }, smp)).body.message).toBe(
      'pods "st" is forbidden: unexpected operation "UPDATE", node "n1" can only create and delete mirror pods',
    );
  });

  it('pod list: a node lists only its own pods', async () => {
    const all = await call(n1, 'GET', '/api/v1/pods');
    expect(all.status).toBe(403);
    expect(all.body.message).toBe('pods is forbidden: User "system:node:n1" cannot list resource "pods" in API group "" at the cluster scope: can only list/watch pods with spec.nodeName field selector');
    expect((await call(n1, 'GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn2')).status).toBe(403);
    const own = await call(n1, 'GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn1');
    expect(own.status).toBe(200);
    expect(own.body.kind).toBe('PodList');
    expect((own.body.items as JsonObject[]).every((p) => (p.spec as JsonObject).nodeName === 'n1')).toBe(true);
    expect((await call(n1, 'GET', '/api/v1/pods?fieldSelector=status.phase%3DRunning')).body.message).toBe('field label not supported: status.phase');
  });

  it('delete: preconditions, own pods only, graceful unless grace 0', async () => {
    const created = await call(n1, 'POST', '/api/v1/namespaces/default/pods', mirrorPod('del'));
    const uid = String((created.body.metadata as JsonObject).uid);
    const path = '/api/v1/namespaces/default/pods/del';
    const wrong = await call(n1, 'DELETE', path, { gracePeriodSeconds: 0, preconditions: { uid: 'x' } });
    expect(wrong.status).toBe(409);
    expect(wrong.body.message).toBe(`Operation cannot be fulfilled on pods "del": the UID in the precondition (x) does not match the UID in record (${uid}). The object might have been deleted and then recreated`);
    expect((await call(n2, 'DELETE', path, { gracePeriodSeconds: 0 })).body.message).toBe('pods "del" is forbidden: node "n2" can only delete pods with spec.nodeName set to itself');
    const graceful = await call(admin, 'DELETE', path);
    expect((graceful.body.metadata as JsonObject).deletionGracePeriodSeconds).toBe(30);
    expect(fake.get('pods', 'default', 'del')).toBeDefined();
    expect((await call(n1, 'DELETE', path, { gracePeriodSeconds: 0, preconditions: { uid } })).status).toBe(200);
    expect(fake.get('pods', 'default', 'del')).toBeUndefined();
  });
});

describe('NodeRestriction for nodes and leases', () => {
  it('a node modifies only itself, may not change taints, may not set kubernetes.io labels outside the kubelet set', async () => {
    expect((await call(admin, 'POST', '/api/v1/nodes', { metadata: { name: 'n3' } })).status).toBe(201);
    expect((await call(n1, 'PATCH', '/api/v1/nodes/n3', { metadata: { labels: { a: 'b' } } }, 'application/merge-patch+json')).body.message).toBe('nodes "n3" is forbidden: node "n1" is not allowed to modify node "n3"');
    expect((await call(n1, 'PATCH', '/api/v1/nodes/n1', { spec: { taints: [] } }, 'application/merge-patch+json')).body.message).toBe('nodes "n1" is forbidden: node "n1" is not allowed to modify taints');
    expect((await call(n1, 'PATCH', '/api/v1/nodes/n1', { metadata: { labels: { 'node-role.kubernetes.io/master': '' } } }, 'application/merge-patch+json')).body.message).toBe(
      'nodes "n1" is forbidden: is not allowed to modify labels: node-role.kubernetes.io/master',
    );
    const create = await call(n2, 'POST', '/api/v1/nodes', { metadata: { name: 'n2', labels: { 'kubernetes.io/role': 'x', 'k8s.io/y': 'z', 'topology.kubernetes.io/zone': 'a' } } });
    expect(create.body.message).toBe('nodes "n2" is forbidden: node "n2" is not allowed to set the following labels: k8s.io/y, kubernetes.io/role');
  });

  it('leases only in kube-node-lease and only its own', async () => {
    const other = await call(n1, 'POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', { metadata: { name: 'n1' }, spec: {} });
    expect(other.body.message).toBe('leases.coordination.k8s.io "n1" is forbidden: can only access leases in the "kube-node-lease" system namespace');
    const notMine = await call(n1, 'POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', { metadata: { name: 'n2' }, spec: {} });
    expect(notMine.body.message).toBe('leases.coordination.k8s.io "n2" is forbidden: can only access node lease with the same name as the requesting node');
  });

  it('deleting a Node removes what it owns', async () => {
    await call(n2, 'POST', '/api/v1/nodes', { metadata: { name: 'n2' } });
    const n2Uid = String(((await call(n2, 'GET', '/api/v1/nodes/n2')).body.metadata as JsonObject).uid);
    const p = mirrorPod('owned-by-n2', { nodeName: 'n2', owners: [{ apiVersion: 'v1', kind: 'Node', name: 'n2', uid: n2Uid, controller: true }] });
    expect((await call(n2, 'POST', '/api/v1/namespaces/default/pods', p)).status).toBe(201);
    expect((await call(admin, 'DELETE', '/api/v1/nodes/n2')).body).toMatchObject({ kind: 'Status', status: 'Success' });
    expect(fake.get('pods', 'default', 'owned-by-n2')).toBeUndefined();
  });
});

describe('events', () => {
  it('creates, patches, and checks the involved object namespace', async () => {
    const e = { metadata: { name: 'p.1', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' }, reason: 'R', message: 'm', count: 1 };
    expect((await call(n1, 'POST', '/api/v1/namespaces/default/events', e)).status).toBe(201);
    const patched = await call(n1, 'PATCH', '/api/v1/namespaces/default/events/p.1', { count: 2, lastTimestamp: '2026-01-01T00:00:05Z' }, 'application/strategic-merge-patch+json');
    expect(patched.body).toMatchObject({ count: 2, lastTimestamp: '2026-01-01T00:00:05Z', reason: 'R' });
    const mismatch = await call(n1, 'POST', '/api/v1/namespaces/default/events', { ...e, metadata: { name: 'p.2' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'other' } });
    expect(mismatch.body.message).toBe('Event "p.2" is invalid: involvedObject.namespace: Invalid value: "other": does not match event.namespace');
  });
});

describe('patch formats', () => {
  it('merge patch (RFC 7386)', () => {
    expect(applyMergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { b: { c: null, e: 4 }, l: [3], z: 'x' })).toEqual({ a: 1, b: { d: 3, e: 4 }, l: [3], z: 'x' });
  });

  it('strategic merge: keyed lists merge, other lists replace, directives', () => {
    const target: Json = { status: { conditions: [{ type: 'A', status: 'True' }, { type: 'B', status: 'False' }], containerStatuses: [{ name: 'x' }], addresses: [{ type: 'InternalIP', address: '1' }] } };
    expect(applyStrategicMergePatch(target, { status: { conditions: [{ type: 'B', status: 'True' }, { type: 'C', status: 'True' }] } })).toEqual({
      status: { conditions: [{ type: 'A', status: 'True' }, { type: 'B', status: 'True' }, { type: 'C', status: 'True' }], containerStatuses: [{ name: 'x' }], addresses: [{ type: 'InternalIP', address: '1' }] },
    });
    expect(applyStrategicMergePatch(target, { status: { containerStatuses: [] } })).toMatchObject({ status: { containerStatuses: [] } });
    expect(applyStrategicMergePatch(target, { status: { conditions: [{ type: 'A', $patch: 'delete' }] } })).toMatchObject({ status: { conditions: [{ type: 'B', status: 'False' }] } });
    expect(
      applyStrategicMergePatch(target, { status: { addresses: [{ type: 'InternalIP', address: '2' }, { type: 'InternalIP', address: '3' }, { $patch: 'replace' }] } }),
    ).toMatchObject({ status: { addresses: [{ type: 'InternalIP', address: '2' }, { type: 'InternalIP', address: '3' }] } });
    expect(applyStrategicMergePatch(target, { status: { containerStatuses: null } })).toEqual({ status: { conditions: [{ type: 'A', status: 'True' }, { type: 'B', status: 'False' }], addresses: [{ type: 'InternalIP', address: '1' }] } });
    expect(() => applyStrategicMergePatch(target, { status: { conditions: [{ status: 'True' }] } })).toThrow('does not contain declared merge key: type');
    expect(() => applyStrategicMergePatch(target, { $retainKeys: ['a'] })).toThrow(/does not implement/);
    expect(() => applyStrategicMergePatch(target, { metadata: { finalizers: ['x'] } })).toThrow(/not implemented/);
  });
});
