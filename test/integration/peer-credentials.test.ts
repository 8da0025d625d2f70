// SO_PEERCRED through the helper: the kernel's pid/uid/gid of a unix socket's client, the
// next helper when one is missing, an explicit reason when none works, and what a lookup costs.
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPeerLookup, PEERCRED_HELPERS } from '../../agent/api/peer-credentials.js';

let dir: string;
let socketPath: string;
let server: Server;
let accepted: Socket[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nodelet-peercred-'));
  chmodSync(dir, 0o755);
  socketPath = join(dir, 's.sock');
  accepted = [];
  server = createServer((s) => accepted.push(s));
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  chmodSync(socketPath, 0o777);
});

afterEach(async () => {
  for (const s of accepted) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/** A client that connects as uid/gid 65534, stays until stdin closes; resolves with its pid and the accepted socket. */
async function nobodyClient(): Promise<{ pid: number; socket: Socket; done: () => void }> {
  const script = `const s=require('net').connect(${JSON.stringify(socketPath)});s.on('connect',()=>console.log(process.pid));process.stdin.on('end',()=>process.exit(0));process.stdin.resume()`;
  const child = execFile('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', process.execPath, '-e', script]);
  const pid = await new Promise<number>((resolve) => child.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  const socket = await waitForAccepted(1);
  return { pid, socket, done: () => child.stdin?.end() };
}

async function waitForAccepted(n: number): Promise<Socket> {
  while (accepted.length < n) await new Promise((r) => setTimeout(r, 5));
  return accepted[n - 1] as Socket;
}

describe('createPeerLookup', () => {
  it("reads the client's pid, uid and gid from the kernel, once per connection", async () => {
    const client = await nobodyClient();
    const lookup = createPeerLookup();
    const first = lookup(client.socket);
    expect(await first).toEqual({ known: true, pid: client.pid, uid: 65534, gid: 65534 });
    expect(lookup(client.socket)).toBe(first);
    client.done();
  });

  it('each helper alone gives the same answer (perl, python3)', async () => {
    const client = await nobodyClient();
    for (const helper of PEERCRED_HELPERS) {
      expect(await createPeerLookup({ helpers: [helper] })(client.socket)).toEqual({ known: true, pid: client.pid, uid: 65534, gid: 65534 });
    }
    client.done();
  });

  it('goes on to the next helper when one is not installed', async () => {
    const client = await nobodyClient();
    const lookup = createPeerLookup({ helpers: [['nodelet-no-such-helper'], ...PEERCRED_HELPERS] });
    expect(await lookup(client.socket)).toMatchObject({ known: true, uid: 65534 });
    client.done();
  });

  it('says why when no helper can read the credentials, or the connection is gone', async () => {
    const client = await nobodyClient();
    const none = await createPeerLookup({ helpers: [['nodelet-no-such-helper']] })(client.socket);
    expect(none).toEqual({ known: false, reason: 'cannot read SO_PEERCRED: nodelet-no-such-helper: spawn nodelet-no-such-helper ENOENT' });
    const broken = await createPeerLookup({ helpers: [['sh', '-c', 'echo nope >&2; exit 3']] })(client.socket);
    expect(broken).toEqual({ known: false, reason: 'cannot read SO_PEERCRED: sh exited with 3: nope' });
    client.socket.destroy();
    expect(await createPeerLookup()(client.socket)).toEqual({ known: false, reason: 'the connection closed before its credentials were read' });
    client.done();
  });

  it('costs a few milliseconds per connection', async () => {
    const client = await nobodyClient();
    const rounds = 10;
    const start = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) expect((await createPeerLookup()(client.socket)).known).toBe(true);
    const ms = Number(process.hrtime.bigint() - start) / 1e6 / rounds;
    console.log(`[peer-credentials] ${ms.toFixed(1)} ms per SO_PEERCRED lookup (${PEERCRED_HELPERS[0]?.[0]})`);
    expect(ms).toBeLessThan(500);
    client.done();
  });
});
