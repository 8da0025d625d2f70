// The pure parts of the API's access control and audit: which requests are reads, the
// SO_PEERCRED helper's output, the read-only socket's refusal, and the audit line's fields.
import { describe, expect, it } from 'vitest';
import { auditRecord, parsePeerCredentials, readOnlyRefusal, requestKind } from '../../../agent/api/audit.js';
import { ApiError } from '../../../agent/api/backend.js';
import { matchRoute, ROUTE_METHODS, type RouteName } from '../../../agent/api/routes.js';

describe('requestKind', () => {
  it('only GETs of routes other than exec are reads', () => {
    expect(requestKind('GET', 'pods')).toBe('read');
    expect(requestKind('GET', 'log')).toBe('read');
    expect(requestKind('GET', 'node')).toBe('read');
    expect(requestKind('GET', 'manifests')).toBe('read');
    expect(requestKind('GET', 'events')).toBe('read');
    expect(requestKind('DELETE', 'pod')).toBe('write');
    expect(requestKind('POST', 'nodeLabels')).toBe('write');
    expect(requestKind('POST', 'nodeTaints')).toBe('write');
    expect(requestKind('POST', 'daemonsetEdit')).toBe('write');
    expect(requestKind('POST', 'exec')).toBe('exec');
    expect(requestKind('GET', 'exec')).toBe('exec');
    // An unknown path: what the method says (the router answers 404 or 405 afterwards).
    expect(requestKind('PUT', undefined)).toBe('write');
    expect(requestKind('GET', undefined)).toBe('read');
  });

  it('every method a route accepts other than GET is audited, and every route that changes something has one', () => {
    for (const [route, methods] of Object.entries(ROUTE_METHODS) as [RouteName, readonly string[]][]) {
      for (const method of methods) expect(requestKind(method, route) === 'read').toBe(method === 'GET' && route !== 'exec');
    }
    const changing: RouteName[] = ['pod', 'exec', 'daemonsetEdit', 'nodeLabels', 'nodeTaints'];
    for (const route of changing) expect(ROUTE_METHODS[route].some((m) => requestKind(m, route) !== 'read')).toBe(true);
  });
});

describe('parsePeerCredentials', () => {
  it('reads "PID UID GID"', () => {
    expect(parsePeerCredentials('4242 1000 100\n')).toEqual({ known: true, pid: 4242, uid: 1000, gid: 100 });
  });

  it('says why when the output is not credentials or there is no peer', () => {
    expect(parsePeerCredentials('')).toEqual({ known: false, reason: 'unexpected SO_PEERCRED output ""' });
    expect(parsePeerCredentials('Can\'t locate Socket.pm')).toMatchObject({ known: false });
    expect(parsePeerCredentials('0 65534 65534')).toEqual({ known: false, reason: 'the connection has no peer process (SO_PEERCRED pid 0)' });
  });
});

describe('readOnlyRefusal', () => {
  it('is a 403 that names the admin socket', () => {
    const err = readOnlyRefusal('write', 'DELETE', '/api/v1/namespaces/default/pods/web', '/run/nodelet/nodelet.sock');
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(403);
    expect(err.message).toBe(
      'forbidden: this is the read-only API socket, which serves get, describe, logs and events only; DELETE /api/v1/namespaces/default/pods/web needs the admin socket /run/nodelet/nodelet.sock (root or the group apiSocketGroup)',
    );
    expect(readOnlyRefusal('exec', 'POST', '/x', '/a.sock').message).toContain('exec into a pod needs the admin socket /a.sock');
  });
});

describe('auditRecord', () => {
  const caller = { known: true as const, pid: 77, uid: 1000, gid: 1001 };

  it('an exec: the caller, the pod, the container and the command', () => {
    const path = '/api/v1/namespaces/kube-system/pods/etcd-node1/exec';
    const query = new URLSearchParams('container=etcd&command=sh&command=-c&command=id&stdin=true&tty=true');
    expect(auditRecord({ socket: 'admin', kind: 'exec', caller, method: 'POST', path, match: matchRoute(path), query, details: {}, status: 101 })).toEqual({
      audit: true,
      socket: 'admin',
      kind: 'exec',
      caller: { uid: 1000, gid: 1001, pid: 77 },
      method: 'POST',
      path,
      pod: 'kube-system/etcd-node1',
      container: 'etcd',
      command: ['sh', '-c', 'id'],
      stdin: true,
      tty: true,
      status: 101,
    });
  });

  it('a DaemonSet edit: the DaemonSet and what the handler noted', () => {
    const path = '/apis/nodelet.io/v1/namespaces/default/daemonsets/agent/edit';
    const details = { request: { action: 'setImage', images: [{ container: 'main', image: 'busybox:1.37' }] } };
    expect(auditRecord({ socket: 'admin', kind: 'write', caller, method: 'POST', path, match: matchRoute(path), query: new URLSearchParams(), details, status: 200 })).toMatchObject({
      daemonset: 'default/agent',
      request: details.request,
      status: 200,
    });
  });

  it('an unknown caller is logged with the reason, never left out', () => {
    const rec = auditRecord({ socket: 'read-only', kind: 'write', caller: { known: false, reason: 'cannot read SO_PEERCRED: perl: spawn perl ENOENT' }, method: 'POST', path: '/api/v1/node/taints', match: matchRoute('/api/v1/node/taints'), query: new URLSearchParams(), details: {}, status: 403 });
    expect(rec.caller).toEqual({ unknown: 'cannot read SO_PEERCRED: perl: spawn perl ENOENT' });
    expect(rec).toMatchObject({ socket: 'read-only', status: 403 });
  });
});
