// KubeletStreams (agent/kubelet-server/streams.ts) over the in-memory ApiBackend: the kubelet's
// answers before the upgrade, Docker's multiplexed output split onto stdout/stderr, the exit code
// as a v4 status, and a forwarder failure on the port-forward error stream.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createKubeletStreams } from '../../../agent/kubelet-server/streams.js';
import { FakeApiBackend, fakePod } from '../../helpers/fake-api-backend.js';
import { upgradeRequest } from '../../helpers/spdy-client.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const UPGRADE = { Connection: 'Upgrade', Upgrade: 'SPDY/3.1' };
const POD = 'web-node1';

async function listen(handle: (req: IncomingMessage, socket: Duplex, head: Buffer) => void): Promise<number> {
  const server = createServer();
  server.on('upgrade', handle);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

function backend(): FakeApiBackend {
  const b = new FakeApiBackend();
  const pod = fakePod('web', { containers: ['app', 'stopped'] });
  const stopped = pod.status?.containerStatuses?.[1];
  if (stopped) stopped.state = { terminated: { exitCode: 0 } };
  b.pods = [pod];
  return b;
}

const streamsOpts = { stdin: false, stdout: true, stderr: true, tty: false };

describe('KubeletStreams over the agent', () => {
  it('exec: Docker frames are split onto stdout and stderr; a non-zero exit is a v4 NonZeroExitCode status', async () => {
    const streams = createKubeletStreams({ backend: backend() });
    const port = await listen((req, socket, head) => streams.exec({ namespace: 'default', pod: POD, container: 'app', ...streamsOpts, command: ['fail', '3', 'broken'] }, req, socket, head));
    const answer = await upgradeRequest(port, '/exec', { ...UPGRADE, 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' });
    const c = answer.client;
    if (!c) throw new Error(`no upgrade: ${answer.status} ${answer.body}`);
    const error = c.open({ streamtype: 'error' });
    const stdout = c.open({ streamtype: 'stdout' });
    const stderr = c.open({ streamtype: 'stderr' });
    await Promise.all([error.ended, stdout.ended, stderr.ended]);
    expect(stdout.text()).toBe('');
    expect(stderr.text()).toBe('broken\n');
    expect(JSON.parse(error.text())).toEqual({
      status: 'Failure',
      message: "command terminated with non-zero exit code: command 'fail 3 broken' exited with 3",
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
    c.close();
  });

  it('exec: output on stdout and Success', async () => {
    const streams = createKubeletStreams({ backend: backend() });
    const port = await listen((req, socket, head) => streams.exec({ namespace: 'default', pod: POD, container: 'app', ...streamsOpts, command: ['echo', 'hi', 'there'] }, req, socket, head));
    const c = (await upgradeRequest(port, '/exec', { ...UPGRADE, 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' })).client;
    if (!c) throw new Error('no upgrade');
    const error = c.open({ streamtype: 'error' });
    const stdout = c.open({ streamtype: 'stdout' });
    const stderr = c.open({ streamtype: 'stderr' });
    await Promise.all([error.ended, stdout.ended, stderr.ended]);
    expect(stdout.text()).toBe('hi there\n');
    expect(JSON.parse(error.text())).toEqual({ status: 'Success' });
    c.close();
  });

  it('exec in a container that is not running: 500 `container not found ("stopped")` and no upgrade', async () => {
    const streams = createKubeletStreams({ backend: backend() });
    const port = await listen((req, socket, head) => streams.exec({ namespace: 'default', pod: POD, container: 'stopped', ...streamsOpts, command: ['true'] }, req, socket, head));
    const answer = await upgradeRequest(port, '/exec', { ...UPGRADE, 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' });
    expect(answer.status).toBe(500);
    expect(answer.body).toBe('container not found ("stopped")');
  });

  it('attach to a missing container: 500 `container c not found in pod <name>_<namespace>`', async () => {
    const streams = createKubeletStreams({ backend: backend() });
    const port = await listen((req, socket, head) => streams.attach({ namespace: 'default', pod: POD, container: 'nope', ...streamsOpts }, req, socket, head));
    const answer = await upgradeRequest(port, '/attach', { ...UPGRADE, 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' });
    expect(answer.status).toBe(500);
    expect(answer.body).toBe(`container nope not found in pod ${POD}_default`);
  });

  it('port-forward to a pod with nothing running: 500 `pod not found ("<name>_<namespace>")`', async () => {
    const b = backend();
    for (const s of b.pods[0]?.status?.containerStatuses ?? []) s.state = { waiting: { reason: 'ContainerCreating' } };
    const streams = createKubeletStreams({ backend: b });
    const port = await listen((req, socket, head) => streams.portForward({ namespace: 'default', pod: POD, ports: [] }, req, socket, head));
    const answer = await upgradeRequest(port, '/portForward', { ...UPGRADE, 'X-Stream-Protocol-Version': 'portforward.k8s.io' });
    expect(answer.status).toBe(500);
    expect(answer.body).toBe(`pod not found ("${POD}_default")`);
  });

  it('port-forward through a backend that cannot forward: the reason on the error stream, both streams reset', async () => {
    const streams = createKubeletStreams({ backend: backend() });
    const port = await listen((req, socket, head) => streams.portForward({ namespace: 'default', pod: POD, ports: [] }, req, socket, head));
    const c = (await upgradeRequest(port, '/portForward', { ...UPGRADE, 'X-Stream-Protocol-Version': 'portforward.k8s.io' })).client;
    if (!c) throw new Error('no upgrade');
    const error = c.open({ streamtype: 'error', port: '80', requestid: '0' });
    const data = c.open({ streamtype: 'data', port: '80', requestid: '0' });
    await Promise.all([error.ended, data.ended]);
    expect(error.text()).toBe(`error forwarding port 80 to pod ${POD}, uid : port-forward is not supported by this runtime`);
    expect(data.reset).toBe(5);
    c.close();
  });
});
