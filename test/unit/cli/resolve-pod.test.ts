import { describe, expect, it } from 'vitest';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { chooseContainer, resolvePod } from '../../../agent/cli/resolve-pod.js';

function pod(name: string, opts: { namespace?: string; node?: string; containers?: string[]; init?: string[]; ephemeral?: string[]; annotations?: Record<string, string> } = {}): Pod {
  return {
    metadata: { name, namespace: opts.namespace ?? 'default', ...(opts.annotations ? { annotations: opts.annotations } : {}) },
    spec: {
      nodeName: opts.node ?? 'node1',
      containers: (opts.containers ?? ['app']).map((n) => ({ name: n })),
      ...(opts.init ? { initContainers: opts.init.map((n) => ({ name: n })) } : {}),
      ...(opts.ephemeral ? { ephemeralContainers: opts.ephemeral.map((n) => ({ name: n })) } : {}),
    },
  };
}

describe('resolvePod', () => {
  const pods = [pod('web-node1'), pod('webhook-node1'), pod('web'), pod('db-node1'), pod('api-node1', { namespace: 'system' }), pod('cache-node2', { node: 'node2' })];

  it.each([
    ['exact name first', 'default', 'web', 'web'],
    ['exact full name', 'default', 'web-node1', 'web-node1'],
    ['the node suffix', 'default', 'db', 'db-node1'],
    ['the suffix of the pod’s own node', 'default', 'cache', 'cache-node2'],
    ['a unique prefix', 'default', 'webh', 'webhook-node1'],
    ['in the given namespace', 'system', 'api', 'api-node1'],
  ])('finds by %s', (_what, namespace, name, expected) => {
    const r = resolvePod(pods, namespace, name);
    expect(r.ok && r.pod.metadata?.name).toBe(expected);
  });

  it('says not found as the API server does', () => {
    expect(resolvePod(pods, 'default', 'nope')).toEqual({ ok: false, reason: 'NotFound', message: 'pods "nope" not found' });
    expect(resolvePod(pods, 'default', 'api')).toEqual({ ok: false, reason: 'NotFound', message: 'pods "api" not found' });
    expect(resolvePod(pods, 'default', '')).toMatchObject({ ok: false, reason: 'NotFound' });
  });

  it('refuses an ambiguous prefix, naming the candidates', () => {
    expect(resolvePod([pod('web-node1'), pod('webhook-node1')], 'default', 'we')).toEqual({
      ok: false,
      reason: 'Ambiguous',
      message: 'pod name "we" is ambiguous in namespace "default": web-node1, webhook-node1',
      candidates: ['web-node1', 'webhook-node1'],
    });
  });
});

describe('chooseContainer', () => {
  it('passes a requested name through (the agent checks it)', () => {
    expect(chooseContainer(pod('p', { containers: ['a'] }), 'zzz')).toEqual({ ok: true, container: 'zzz' });
  });

  it('takes the only container silently', () => {
    expect(chooseContainer(pod('p'), undefined)).toEqual({ ok: true, container: 'app' });
  });

  it('takes the first of several, with kubectl’s notice listing all of them', () => {
    expect(chooseContainer(pod('p', { containers: ['a', 'b'], init: ['i'], ephemeral: ['dbg'] }), undefined)).toEqual({
      ok: true,
      container: 'a',
      notice: 'Defaulted container "a" out of: a, b, dbg (ephem), i (init)',
    });
    expect(chooseContainer(pod('p', { containers: ['a'], init: ['i'] }), '')).toMatchObject({ container: 'a', notice: 'Defaulted container "a" out of: a, i (init)' });
  });

  it('honours kubectl.kubernetes.io/default-container when it names a container', () => {
    const annotated = (name: string): Pod => pod('p', { containers: ['a', 'b'], init: ['i'], annotations: { 'kubectl.kubernetes.io/default-container': name } });
    expect(chooseContainer(annotated('b'), undefined)).toEqual({ ok: true, container: 'b' });
    expect(chooseContainer(annotated('i'), undefined)).toEqual({ ok: true, container: 'i' });
    expect(chooseContainer(annotated('gone'), undefined)).toMatchObject({ container: 'a', notice: 'Defaulted container "a" out of: a, b, i (init)' });
  });

  it('fails for a pod without containers', () => {
    expect(chooseContainer(pod('p', { containers: [] }), undefined)).toEqual({ ok: false, message: 'pod default/p does not have any containers' });
  });
});
