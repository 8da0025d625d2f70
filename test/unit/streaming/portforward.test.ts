import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { requestIdOf, servePortForward, validatePortForwardStream, type PortForwarder } from '../../../agent/streaming/portforward.js';
import { upgradeRequest, type SpdyTestClient } from '../../helpers/spdy-client.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const headers = (h: Record<string, string>): Map<string, string[]> => new Map(Object.entries(h).map(([k, v]) => [k, [v]]));

describe('port-forward stream headers (httpStreamReceived)', () => {
  it.each([
    [{ streamtype: 'data' }, '"port" header is required'],
    [{ port: 'x', streamtype: 'data' }, 'unable to parse "x" as a port: strconv.ParseUint: parsing "x": invalid syntax'],
    [{ port: '70000', streamtype: 'data' }, 'unable to parse "70000" as a port: strconv.ParseUint: parsing "70000": value out of range'],
    [{ port: '0', streamtype: 'data' }, 'port "0" must be > 0'],
    [{ port: '80' }, '"streamtype" header is required'],
    [{ port: '80', streamtype: 'stdout' }, 'invalid stream type "stdout"'],
    [{ port: '80', streamtype: 'error' }, undefined],
  ])('%j → %s', (h, message) => {
    expect(validatePortForwardStream(headers(h))).toBe(message);
  });

  it('pairs by requestid, or by stream id for old clients (error id, data id - 2)', () => {
    expect(requestIdOf(9, headers({ requestid: '4', streamtype: 'data' }))).toBe('4');
    expect(requestIdOf(1, headers({ streamtype: 'error' }))).toBe('1');
    expect(requestIdOf(3, headers({ streamtype: 'data' }))).toBe('1');
  });
});

async function serve(forward: PortForwarder): Promise<{ port: number; logs: string[]; done: Promise<void>[] }> {
  const logs: string[] = [];
  const done: Promise<void>[] = [];
  const server = createServer();
  server.on('upgrade', (req, socket, head) => done.push(servePortForward(req.rawHeaders, socket, head, forward, { pod: 'web', uid: '', log: (_l, m) => logs.push(m) })));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, logs, done };
}

async function connect(port: number): Promise<SpdyTestClient> {
  const answer = await upgradeRequest(port, '/portForward/ns/web', { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'portforward.k8s.io' });
  expect(answer.status).toBe(101);
  if (!answer.client) throw new Error('no client');
  return answer.client;
}

/** A forwarder that answers each connection with "port <n>: <what it read>" once the client half-closes. */
const echo: PortForwarder = (port: number, data: Duplex) =>
  new Promise((resolve) => {
    const chunks: Buffer[] = [];
    data.on('data', (c: Buffer) => chunks.push(c));
    data.once('end', () => data.write(`port ${port}: ${Buffer.concat(chunks).toString()}`, () => resolve()));
  });

describe('port-forward over SPDY (loopback)', () => {
  it('forwards each complete error+data pair, several at once, and closes both streams after', async () => {
    const srv = await serve(echo);
    const c = await connect(srv.port);
    const e1 = c.open({ streamtype: 'error', port: '8080', requestid: '0' });
    const e2 = c.open({ streamtype: 'error', port: '9090', requestid: '1' });
    const d2 = c.open({ streamtype: 'data', port: '9090', requestid: '1' });
    const d1 = c.open({ streamtype: 'data', port: '8080', requestid: '0' });
    await Promise.all([e1.replied, e2.replied, d1.replied, d2.replied]);
    c.write(d1.id, 'one', true);
    c.write(d2.id, 'two', true);
    await Promise.all([d1.ended, d2.ended, e1.ended, e2.ended]);
    expect(d1.text()).toBe('port 8080: one');
    expect(d2.text()).toBe('port 9090: two');
    expect(e1.text()).toBe('');
    c.close();
    await Promise.all(srv.done);
  });

  it('writes "error forwarding port …" on the error stream and resets both when the forwarder fails', async () => {
    const srv = await serve(() => Promise.reject(new Error('exit status 1: connect ECONNREFUSED 127.0.0.1:81')));
    const c = await connect(srv.port);
    const err = c.open({ streamtype: 'error', port: '81', requestid: '7' });
    const data = c.open({ streamtype: 'data', port: '81', requestid: '7' });
    await Promise.all([err.ended, data.ended]);
    expect(err.text()).toBe('error forwarding port 81 to pod web, uid : exit status 1: connect ECONNREFUSED 127.0.0.1:81');
    expect(err.reset).toBe(5);
    expect(data.reset).toBe(5);
    c.close();
    await Promise.all(srv.done);
  });

  it('refuses a stream with bad headers with RST_STREAM and keeps the connection', async () => {
    const srv = await serve(echo);
    const c = await connect(srv.port);
    const bad = c.open({ streamtype: 'data', port: 'http', requestid: '0' });
    await expect(bad.replied).rejects.toThrow(/reset/);
    expect(srv.logs).toContain('Stream rejected: unable to parse "http" as a port: strconv.ParseUint: parsing "http": invalid syntax');
    const e = c.open({ streamtype: 'error', port: '80', requestid: '1' });
    const d = c.open({ streamtype: 'data', port: '80', requestid: '1' });
    c.write(d.id, 'x', true);
    await d.ended;
    expect(d.text()).toBe('port 80: x');
    await e.ended;
    c.close();
    await Promise.all(srv.done);
  });

  it('reports a second data stream for the same request on its error stream', async () => {
    const srv = await serve(echo);
    const c = await connect(srv.port);
    const e = c.open({ streamtype: 'error', port: '80', requestid: '3' });
    const d = c.open({ streamtype: 'data', port: '80', requestid: '3' });
    await Promise.all([e.replied, d.replied]);
    const again = c.open({ streamtype: 'data', port: '80', requestid: '3' });
    await again.replied;
    c.write(d.id, 'z', true);
    await Promise.all([e.ended, d.ended]);
    expect(d.text()).toBe('port 80: z');
    c.close();
    await Promise.all(srv.done);
  });
});
