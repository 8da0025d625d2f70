// The kubelet's delegating authenticator and webhook authorizer: token results cached 2 m both
// ways, SubjectAccessReview decisions cached 5 m (allow) / 30 s (deny), the WebSocket-protocol
// token form, system:authenticated, anonymous only when on and only without credentials, and
// the webhook retry back-off. Time is the FakeClock.
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { Authenticator, bearerToken, SarAuthorizer, subjectAccessReview, TtlCache, withWebhookRetry, type ReviewClient } from '../../../agent/kubelet-server/auth.js';
import { requestAttributes } from '../../../agent/kubelet-server/attributes.js';
import { rotationDeadline } from '../../../agent/kubelet-server/serving-cert.js';
import { FakeClock } from '../../helpers/fake-clock.js';

function req(headers: Record<string, string> = {}): IncomingMessage {
  return { headers, socket: {} } as unknown as IncomingMessage;
}

function reviews(tokens: Record<string, string>, allowed: (user: string, sub: string) => boolean): ReviewClient & { calls: { token: number; sar: number } } {
  const calls = { token: 0, sar: 0 };
  return {
    calls,
    tokenReview: async (body) => {
      calls.token++;
      const token = (body as { spec: { token: string } }).spec.token;
      const user = tokens[token];
      return user ? { status: { authenticated: true, user: { username: user, groups: ['devs'] } } } : { status: { authenticated: false } };
    },
    subjectAccessReview: async (body) => {
      calls.sar++;
      const spec = (body as { spec: { user: string; resourceAttributes: { subresource: string } } }).spec;
      return { status: { allowed: allowed(spec.user, spec.resourceAttributes.subresource) } };
    },
  };
}

const never = (): boolean => false;

describe('TtlCache', () => {
  it('expires each entry after its own TTL on the monotonic clock', async () => {
    const clock = new FakeClock();
    const c = new TtlCache<string>(clock);
    c.set('a', 'x', 1000);
    c.set('b', 'y', 5000);
    await clock.advance(999);
    expect(c.get('a')).toBe('x');
    await clock.advance(1);
    expect(c.get('a')).toBeUndefined();
    expect(c.get('b')).toBe('y');
  });
});

describe('Authenticator', () => {
  it('bearer token through TokenReview; groups get system:authenticated; the result is cached 2 m, then asked again', async () => {
    const clock = new FakeClock();
    const r = reviews({ good: 'jane' }, never);
    const a = new Authenticator({ x509: false, reviews: r, tokenCacheTtlMs: 120_000, anonymous: false, clock, retryable: never });
    expect(await a.authenticate(req({ authorization: 'Bearer good' }))).toEqual({ ok: true, user: { name: 'jane', groups: ['devs', 'system:authenticated'] } });
    await a.authenticate(req({ authorization: 'Bearer good' }));
    expect(r.calls.token).toBe(1);
    await clock.advance(120_000);
    await a.authenticate(req({ authorization: 'Bearer good' }));
    expect(r.calls.token).toBe(2);
  });

  it('a rejected token is cached too (2 m), and is 401 even with anonymous on', async () => {
    const clock = new FakeClock();
    const r = reviews({}, never);
    const a = new Authenticator({ x509: false, reviews: r, tokenCacheTtlMs: 120_000, anonymous: true, clock, retryable: never });
    expect(await a.authenticate(req({ authorization: 'Bearer bad' }))).toEqual({ ok: false });
    await clock.advance(119_000);
    expect(await a.authenticate(req({ authorization: 'Bearer bad' }))).toEqual({ ok: false });
    expect(r.calls.token).toBe(1);
  });

  it('anonymous: system:anonymous in system:unauthenticated without credentials when on; 401 when off', async () => {
    const clock = new FakeClock();
    const on = new Authenticator({ x509: false, tokenCacheTtlMs: 1, anonymous: true, clock, retryable: never });
    const off = new Authenticator({ x509: false, tokenCacheTtlMs: 1, anonymous: false, clock, retryable: never });
    expect(await on.authenticate(req())).toEqual({ ok: true, user: { name: 'system:anonymous', groups: ['system:unauthenticated'] } });
    expect(await off.authenticate(req())).toEqual({ ok: false });
  });

  it('reads the WebSocket subprotocol token form', () => {
    const proto = `base64.binary.k8s.io, base64url.bearer.authorization.k8s.io.${Buffer.from('tok-1').toString('base64url')}`;
    expect(bearerToken(req({ upgrade: 'websocket', 'sec-websocket-protocol': proto }))).toBe('tok-1');
    expect(bearerToken(req({ 'sec-websocket-protocol': proto }))).toBeUndefined();
    expect(bearerToken(req({ authorization: 'Basic abc' }))).toBeUndefined();
  });
});

describe('SarAuthorizer', () => {
  it('sends the kubelet SubjectAccessReview', () => {
    const [attr] = requestAttributes('n1', 'GET', '/stats/summary');
    expect(attr && subjectAccessReview({ name: 'jane', uid: 'u1', groups: ['g'] }, attr)).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { resourceAttributes: { namespace: '', verb: 'get', group: '', version: 'v1', resource: 'nodes', subresource: 'stats', name: 'n1' }, user: 'jane', groups: ['g'], uid: 'u1' },
    });
  });

  it('caches allow 5 m and deny 30 s', async () => {
    const clock = new FakeClock();
    let allow = true;
    const r = reviews({}, () => allow);
    const z = new SarAuthorizer({ reviews: r, allowTtlMs: 300_000, denyTtlMs: 30_000, clock, retryable: never });
    const user = { name: 'jane', groups: [] };
    const [pods] = requestAttributes('n1', 'GET', '/pods');
    if (!pods) throw new Error('no attributes');
    expect(await z.authorize(user, pods)).toBe('allow');
    allow = false;
    await clock.advance(299_000);
    expect(await z.authorize(user, pods)).toBe('allow');
    expect(r.calls.sar).toBe(1);
    await clock.advance(1_000);
    expect(await z.authorize(user, pods)).toBe('deny');
    allow = true;
    await clock.advance(29_000);
    expect(await z.authorize(user, pods)).toBe('deny');
    await clock.advance(1_000);
    expect(await z.authorize(user, pods)).toBe('allow');
    expect(r.calls.sar).toBe(3);
  });
});

describe('webhook retry', () => {
  it('retries a retryable failure with 500 ms ×1.5 back-off, 5 attempts in all', async () => {
    const sleeps: number[] = [];
    const sleeper = { sleep: (ms: number) => (sleeps.push(ms), Promise.resolve()) };
    let calls = 0;
    const p = withWebhookRetry(async () => {
      calls++;
      throw new Error('unreachable');
    }, sleeper, () => true, () => 0);
    await expect(p).rejects.toThrow('unreachable');
    expect(calls).toBe(5);
    expect(sleeps).toEqual([500, 750, 1125, 1687.5]);
  });

  it('does not retry the server\'s considered answer', async () => {
    let calls = 0;
    await expect(withWebhookRetry(async () => { calls++; throw new Error('403'); }, new FakeClock(), () => false)).rejects.toThrow('403');
    expect(calls).toBe(1);
  });
});

describe('serving certificate rotation deadline', () => {
  it('is notBefore + 70 % to 90 % of the lifetime (certificate manager jitteryDuration)', () => {
    const day = 86_400_000;
    expect(rotationDeadline(0, 10 * day, () => 0)).toBe(7 * day);
    expect(rotationDeadline(0, 10 * day, () => 1)).toBe(9 * day);
    expect(rotationDeadline(1000, 1000 + 10 * day, () => 0.5)).toBe(1000 + 8 * day);
  });
});
