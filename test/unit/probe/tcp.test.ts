// TCP probes against a real local listener started by the test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type AddressInfo } from 'node:net';
import { runTcpProbe } from '../../../agent/probe/runners/tcp.js';

let server: Server;
let port: number;
let accepted = 0;

beforeAll(async () => {
  server = createServer((socket) => {
    accepted++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('runTcpProbe', () => {
  it('succeeds when the connection opens, and closes it', async () => {
    expect(await runTcpProbe('127.0.0.1', port, 1000)).toEqual({ result: 'success', output: '' });
    await new Promise((r) => setTimeout(r, 20));
    expect(accepted).toBeGreaterThanOrEqual(1);
  });

  it('fails with the dial error when nothing listens', async () => {
    // Take a free port, then close it again, so nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const free = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    expect(await runTcpProbe('127.0.0.1', free, 1000)).toEqual({ result: 'failure', output: `dial tcp 127.0.0.1:${free}: connect: connection refused` });
  });

  it('fails within the timeout when the address does not answer', async () => {
    const started = Date.now();
    // TEST-NET-1: never routed; depending on the host's routes (and sandboxing) it times out,
    // is unreachable or is refused, but always as a failure within the timeout.
    const outcome = await runTcpProbe('192.0.2.1', 9, 300);
    expect(outcome.result).toBe('failure');
    expect(outcome.output).toMatch(/^dial tcp 192\.0\.2\.1:9: (i\/o timeout|connect: (network is unreachable|no route to host|connection refused))$/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('rejects when the caller aborts', async () => {
    const abort = new AbortController();
    const pending = runTcpProbe('192.0.2.1', 9, 5000, abort.signal);
    abort.abort(new Error('worker stopped'));
    await expect(pending).rejects.toThrow('worker stopped');
  });
});
