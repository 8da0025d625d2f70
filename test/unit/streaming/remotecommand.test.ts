import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeStatus, expectedStreamCount, outcomeStatus, ResizeDecoder, serveRemoteCommand, type CommandOutcome, type RemoteCommandContext, type RemoteCommandOptions, type TerminalSize } from '../../../agent/streaming/remotecommand.js';
import { encodeFrame } from '../../../agent/streaming/spdy-frames.js';
import { upgradeRequest, type SpdyTestClient } from '../../helpers/spdy-client.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

interface Served {
  port: number;
  logs: string[];
  done: Promise<void>[];
}

/** An HTTP server whose upgrades are served by serveRemoteCommand with `run`. */
async function serve(opts: RemoteCommandOptions, run: (ctx: RemoteCommandContext) => Promise<CommandOutcome>, extra: { streamCreationTimeoutMs?: number; idleTimeoutMs?: number } = {}): Promise<Served> {
  const logs: string[] = [];
  const done: Promise<void>[] = [];
  const server = createServer();
  server.on('upgrade', (req, socket, head) => {
    done.push(serveRemoteCommand(req.rawHeaders, socket, head, opts, run, { kind: 'exec', ...extra, log: (_l, msg) => logs.push(msg) }));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, logs, done };
}

async function connect(port: number, protocols = 'v4.channel.k8s.io'): Promise<SpdyTestClient> {
  const answer = await upgradeRequest(port, '/exec', { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': protocols });
  expect(answer.status).toBe(101);
  expect(answer.headers['x-stream-protocol-version']).toBe(protocols.split(',')[0]);
  if (!answer.client) throw new Error('no client');
  return answer.client;
}

describe('remotecommand pure parts', () => {
  it('expects error + requested streams, and resize only with a tty on v3 and later', () => {
    const all = { stdin: true, stdout: true, stderr: false, tty: true };
    expect(expectedStreamCount(all, 'v4.channel.k8s.io')).toBe(4);
    expect(expectedStreamCount(all, 'v3.channel.k8s.io')).toBe(4);
    expect(expectedStreamCount(all, 'v2.channel.k8s.io')).toBe(3);
    expect(expectedStreamCount({ stdin: false, stdout: true, stderr: true, tty: false }, 'v4.channel.k8s.io')).toBe(3);
  });

  it('v4 statuses: Success, NonZeroExitCode with the ExitCode cause, InternalError 500', () => {
    const v4 = (o: CommandOutcome, kind: 'exec' | 'attach' = 'exec'): unknown => JSON.parse(encodeStatus('v4.channel.k8s.io', outcomeStatus(o, kind))?.toString() ?? 'null');
    expect(v4({ kind: 'success' })).toEqual({ status: 'Success' });
    expect(v4({ kind: 'exit', code: 3, message: "command 'sh -c exit 3' exited with 3" })).toEqual({
      status: 'Failure',
      message: "command terminated with non-zero exit code: command 'sh -c exit 3' exited with 3",
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
    expect(v4({ kind: 'error', message: 'boom' })).toEqual({ status: 'Failure', message: 'Internal error occurred: error executing command in container: boom', reason: 'InternalError', code: 500 });
    expect(v4({ kind: 'error', message: 'boom' }, 'attach')).toMatchObject({ message: 'Internal error occurred: error attaching to container: boom' });
  });

  it('v1-v3 write the failure text and nothing on success', () => {
    expect(encodeStatus('v3.channel.k8s.io', outcomeStatus({ kind: 'success' }, 'exec'))).toBeUndefined();
    expect(encodeStatus('v2.channel.k8s.io', outcomeStatus({ kind: 'error', message: 'x' }, 'exec'))?.toString()).toBe('Internal error occurred: error executing command in container: x');
  });

  it('decodes back-to-back resize objects split anywhere, field names case-insensitively; stops at garbage', () => {
    const d = new ResizeDecoder();
    expect(d.push('{"Width":80,')).toEqual([]);
    expect(d.push('"Height":24}{"width":100,"height":')).toEqual([{ width: 80, height: 24 }]);
    expect(d.push('50}\n {"Width":1,"Height":2,"Other":"}"}')).toEqual([
      { width: 100, height: 50 },
      { width: 1, height: 2 },
    ]);
    expect(d.push('{"Width":70000}')).toEqual([]);
    expect(d.failed).toBe(true);
    expect(d.push('{"Width":1,"Height":1}')).toEqual([]);
  });
});

describe('remotecommand over SPDY (loopback)', () => {
  it('starts the command only once every expected stream is replied, then reports a v4 exit code and closes the output streams', async () => {
    let started = 0;
    const srv = await serve({ stdin: true, stdout: true, stderr: true, tty: false }, async (ctx) => {
      started++;
      const input: Buffer[] = [];
      for await (const chunk of ctx.stdin ?? []) input.push(chunk as Buffer);
      ctx.stdout?.write(`out:${Buffer.concat(input).toString()}`);
      ctx.stderr?.write('err');
      return { kind: 'exit', code: 3, message: "command 'sh' exited with 3" };
    });
    const c = await connect(srv.port, 'v4.channel.k8s.io');
    const error = c.open({ streamType: 'error' });
    await error.replied;
    const stdin = c.open({ streamType: 'stdin' });
    const stdout = c.open({ streamType: 'stdout' });
    await Promise.all([stdin.replied, stdout.replied]);
    await c.ping(1); // the server has handled every frame so far
    expect(started).toBe(0);
    const stderr = c.open({ streamType: 'stderr' });
    await stderr.replied;
    c.write(stdin.id, 'hello ');
    c.write(stdin.id, 'world', true);
    await Promise.all([stdout.ended, stderr.ended, error.ended]);
    expect(started).toBe(1);
    expect(stdout.text()).toBe('out:hello world');
    expect(stderr.text()).toBe('err');
    expect(JSON.parse(error.text())).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } });
    // stdin is reset once the command is over (input after it is dropped)
    await stdin.ended;
    expect(stdin.reset).toBe(5);
    // the server waits for the client to close the connection
    expect(c.socket.destroyed).toBe(false);
    c.close();
    await Promise.all(srv.done);
  });

  it('passes terminal sizes from the resize stream with a tty, replaying the latest one', async () => {
    const sizes: TerminalSize[] = [];
    let resolveTwo: () => void = () => undefined;
    const two = new Promise<void>((r) => (resolveTwo = r));
    const srv = await serve({ stdin: false, stdout: true, stderr: false, tty: true }, async (ctx) => {
      ctx.onResize((s) => {
        sizes.push(s);
        if (sizes.length === 2) resolveTwo();
      });
      await two;
      ctx.stdout?.write('ok');
      return { kind: 'success' };
    });
    const c = await connect(srv.port);
    const error = c.open({ streamtype: 'error' });
    const stdout = c.open({ streamtype: 'stdout' });
    const resize = c.open({ streamtype: 'resize' });
    await Promise.all([error.replied, stdout.replied, resize.replied]);
    c.write(resize.id, '{"Width":80,"Heig');
    c.write(resize.id, 'ht":24}{"Width":120,"Height":40}');
    await Promise.all([stdout.ended, error.ended]);
    expect(sizes).toEqual([
      { width: 80, height: 24 },
      { width: 120, height: 40 },
    ]);
    expect(JSON.parse(error.text())).toEqual({ status: 'Success' });
    c.close();
    await Promise.all(srv.done);
  });

  it('v3 reports a failure as plain text; the session ignores SETTINGS and WINDOW_UPDATE and answers PING', async () => {
    const srv = await serve({ stdin: false, stdout: true, stderr: false, tty: false }, () => Promise.resolve({ kind: 'error', message: 'no such container' }));
    const c = await connect(srv.port, 'v3.channel.k8s.io');
    c.raw(encodeFrame({ kind: 'settings', flags: 0, entries: [{ flags: 0, id: 7, value: 1 }] }));
    c.raw(encodeFrame({ kind: 'windowUpdate', streamId: 0, delta: 1 }));
    await c.ping(7);
    const error = c.open({ streamtype: 'error' });
    const stdout = c.open({ streamtype: 'stdout' });
    await Promise.all([error.ended, stdout.ended]);
    expect(error.text()).toBe('Internal error occurred: error executing command in container: no such container');
    expect(srv.logs).toContain('exec failed');
    c.close();
    await Promise.all(srv.done);
  });

  it('gives up after the stream-creation timeout: "timed out waiting for client to create streams"', async () => {
    let ran = false;
    const srv = await serve({ stdin: true, stdout: true, stderr: false, tty: false }, () => {
      ran = true;
      return Promise.resolve({ kind: 'success' });
    }, { streamCreationTimeoutMs: 200 });
    const c = await connect(srv.port);
    c.open({ streamtype: 'error' });
    await c.closed;
    await Promise.all(srv.done);
    expect(ran).toBe(false);
    expect(srv.logs).toContain('timed out waiting for client to create streams');
  });

  it('closes a session on which nothing moves for the idle timeout (streamingConnectionIdleTimeout)', async () => {
    let resolveRan: () => void = () => undefined;
    const ran = new Promise<void>((r) => (resolveRan = r));
    const srv = await serve({ stdin: true, stdout: true, stderr: false, tty: false }, async (ctx) => {
      resolveRan();
      await new Promise((r) => ctx.aborted.addEventListener('abort', r));
      return { kind: 'success' };
    }, { idleTimeoutMs: 300 });
    const c = await connect(srv.port);
    for (const type of ['error', 'stdin', 'stdout']) c.open({ streamtype: type });
    await ran;
    const quietFrom = Date.now();
    await c.closed;
    expect(Date.now() - quietFrom).toBeGreaterThanOrEqual(250);
    expect(srv.logs).toContain('streaming connection idle timeout');
    await Promise.all(srv.done);
  });

  it('delivers 3 MB of output intact to a client that never sends WINDOW_UPDATE', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    const srv = await serve({ stdin: false, stdout: true, stderr: false, tty: false }, async (ctx) => {
      await new Promise<void>((r) => ctx.stdout?.write(big, () => r()));
      return { kind: 'success' };
    });
    const c = await connect(srv.port);
    const error = c.open({ streamtype: 'error' });
    const stdout = c.open({ streamtype: 'stdout' });
    await Promise.all([stdout.ended, error.ended]);
    expect(Buffer.concat(stdout.chunks).equals(big)).toBe(true);
    expect(c.frames.some((f) => f.kind === 'windowUpdate' || f.kind === 'settings')).toBe(false);
    c.close();
    await Promise.all(srv.done);
  });

  it('refuses an upgrade without an agreeable protocol with 403 and never runs the command', async () => {
    const srv = await serve({ stdin: false, stdout: true, stderr: false, tty: false }, () => Promise.reject(new Error('ran')));
    const answer = await upgradeRequest(srv.port, '/exec', { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v5.channel.k8s.io' });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatch(/^unable to upgrade: unable to negotiate protocol: client supports \[v5.channel.k8s.io\]/);
  });
});
