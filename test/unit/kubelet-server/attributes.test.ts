// The kubelet's request → SubjectAccessReview mapping (auth.go GetRequestAttributes with
// KubeletFineGrainedAuthz), the verb of each method, and InstallAuthFilter's failure bodies.
import { describe, expect, it } from 'vitest';
import { authorizationErrorBody, forbiddenBody, requestAttributes, subresourcesFor, verbFor } from '../../../agent/kubelet-server/attributes.js';

describe('path → nodes/<subresource>', () => {
  it.each([
    ['/stats', ['stats']],
    ['/stats/summary', ['stats']],
    ['/metrics', ['metrics']],
    ['/metrics/resource', ['metrics']],
    ['/metrics/cadvisor', ['metrics']],
    ['/metrics/probes', ['metrics']],
    ['/logs', ['log']],
    ['/logs/syslog', ['log']],
    ['/checkpoint/ns/p/c', ['checkpoint']],
    ['/pods', ['pods', 'proxy']],
    ['/pods/', ['pods', 'proxy']],
    ['/runningpods/', ['pods', 'proxy']],
    ['/healthz', ['healthz', 'proxy']],
    ['/healthz/syncloop', ['healthz', 'proxy']],
    ['/configz', ['configz', 'proxy']],
    ['/statusz', ['statusz', 'proxy']],
    ['/exec/ns/p/c', ['proxy']],
    ['/attach/ns/p/c', ['proxy']],
    ['/portForward/ns/p', ['proxy']],
    ['/run/ns/p/c', ['proxy']],
    ['/containerLogs/ns/p/c', ['proxy']],
    ['/debug/pprof/', ['proxy']],
    ['/flagz', ['proxy']],
    // isSubpath: a prefix only counts when followed by '/'.
    ['/statsx', ['proxy']],
    ['/metricsfoo', ['proxy']],
    ['/podsx', ['proxy']],
  ])('%s → %j', (path, subresources) => {
    expect(subresourcesFor(path)).toEqual(subresources);
  });

  it('every attribute set names nodes/<node> with the path; only the subresource varies', () => {
    expect(requestAttributes('n1', 'GET', '/pods')).toEqual([
      { verb: 'get', resource: 'nodes', subresource: 'pods', name: 'n1', path: '/pods' },
      { verb: 'get', resource: 'nodes', subresource: 'proxy', name: 'n1', path: '/pods' },
    ]);
  });
});

describe('verbs', () => {
  it.each([
    ['POST', 'create'],
    ['GET', 'get'],
    ['PUT', 'update'],
    ['PATCH', 'patch'],
    ['DELETE', 'delete'],
    ['HEAD', ''],
    ['OPTIONS', ''],
    [undefined, ''],
  ])('%s → %j', (method, verb) => {
    expect(verbFor(method)).toBe(verb);
  });
});

describe('failure bodies', () => {
  it('403 lists every subresource tried, as Go prints a slice, with a newline', () => {
    expect(forbiddenBody('jane', requestAttributes('n1', 'GET', '/healthz'))).toBe('Forbidden (user=jane, verb=get, resource=nodes, subresource(s)=[healthz proxy])\n');
    expect(forbiddenBody('system:anonymous', requestAttributes('n1', 'POST', '/exec/a/b/c'))).toBe('Forbidden (user=system:anonymous, verb=create, resource=nodes, subresource(s)=[proxy])\n');
  });

  it('500 names the attribute set whose review failed', () => {
    const [attr] = requestAttributes('n1', 'GET', '/stats/summary');
    expect(attr && authorizationErrorBody('jane', attr)).toBe('Authorization error (user=jane, verb=get, resource=nodes, subresource=stats)');
  });
});
