import { describe, expect, it } from 'vitest';
import { canonicalHeaderKey, PORTFORWARD_PROTOCOLS, REMOTECOMMAND_PROTOCOLS, spdyHandshake } from '../../../agent/streaming/upgrade.js';

const UPGRADE = ['Connection', 'Upgrade', 'Upgrade', 'SPDY/3.1'];

describe('SPDY upgrade handshake (httpstream.Handshake + spdy responseUpgrader)', () => {
  it('negotiates the first client protocol the server supports: client-go offers v5..v1, v4 wins', () => {
    const r = spdyHandshake([...UPGRADE, 'X-Stream-Protocol-Version', 'v5.channel.k8s.io', 'X-Stream-Protocol-Version', 'v4.channel.k8s.io', 'X-Stream-Protocol-Version', 'v3.channel.k8s.io'], REMOTECOMMAND_PROTOCOLS);
    expect(r.ok && r.protocol).toBe('v4.channel.k8s.io');
    expect(r.response).toBe('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n');
  });

  it('reads comma-separated values too, in client order', () => {
    const r = spdyHandshake([...UPGRADE, 'x-stream-protocol-version', ' v2.channel.k8s.io , v4.channel.k8s.io'], REMOTECOMMAND_PROTOCOLS);
    expect(r.ok && r.protocol).toBe('v2.channel.k8s.io');
  });

  it('answers 400 when the protocol header is missing, counting the request headers (Host excluded)', () => {
    const r = spdyHandshake(['Host', 'x', ...UPGRADE, 'Content-Length', '0'], REMOTECOMMAND_PROTOCOLS);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.status).toBe(400);
    expect(r.message).toBe('unable to upgrade: header X-Stream-Protocol-Version does not exist in request with 3 headers');
    expect(r.response).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(r.response).toContain('Content-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n');
    expect(r.response.endsWith(`\r\n\r\n${r.message}\n`)).toBe(true);
  });

  it('answers 403 with one X-Accepted-Stream-Protocol-Versions per server protocol when nothing matches', () => {
    const r = spdyHandshake([...UPGRADE, 'X-Stream-Protocol-Version', 'v5.channel.k8s.io,bogus'], REMOTECOMMAND_PROTOCOLS);
    if (r.ok) throw new Error('negotiated');
    expect(r.status).toBe(403);
    expect(r.message).toBe(
      'unable to upgrade: unable to negotiate protocol: client supports [v5.channel.k8s.io bogus], server accepts [v4.channel.k8s.io v3.channel.k8s.io v2.channel.k8s.io channel.k8s.io]',
    );
    expect(r.response.match(/X-Accepted-Stream-Protocol-Versions: [^\r]+/g)).toEqual(REMOTECOMMAND_PROTOCOLS.map((p) => `X-Accepted-Stream-Protocol-Versions: ${p}`));
  });

  it('answers 400 "missing upgrade headers" with the headers as Go prints them, once the protocol is agreed', () => {
    const r = spdyHandshake(['Connection', 'keep-alive', 'X-Stream-Protocol-Version', 'portforward.k8s.io'], PORTFORWARD_PROTOCOLS);
    if (r.ok) throw new Error('upgraded');
    expect(r.status).toBe(400);
    expect(r.message).toBe('unable to upgrade: missing upgrade headers in request: http.Header{"Connection":[]string{"keep-alive"}, "X-Stream-Protocol-Version":[]string{"portforward.k8s.io"}}');
    expect(r.response).toContain('X-Stream-Protocol-Version: portforward.k8s.io\r\n');
  });

  it('canonicalises header names as Go does', () => {
    expect(canonicalHeaderKey('x-stream-PROTOCOL-version')).toBe('X-Stream-Protocol-Version');
  });
});
