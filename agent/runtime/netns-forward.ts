// A TCP connection to 127.0.0.1:<port> inside a pod's network namespace, copied to and from a
// stream: what cri-dockerd's portForward does with `nsenter -t <pid> -n socat - TCP4:localhost:<port>`.
// Node cannot setns(2) itself, so the same binary that runs nodelet is started under nsenter as a
// ten-line relay between its stdin/stdout and the socket (no socat needed on the host; nsenter is
// util-linux, on every Debian/Ubuntu). A host-network pod's port is the host's: a plain connect.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';

/** The relay run inside the namespace (CommonJS, `node -e`): argv[1] is the port. */
const RELAY = [
  "const s = require('net').connect(Number(process.argv[1]), '127.0.0.1');",
  "s.on('error', (e) => { process.stderr.write(e.message); process.exit(1); });",
  "s.on('close', () => process.exit(0));",
  'process.stdin.pipe(s);',
  's.pipe(process.stdout);',
].join('\n');

/** Copies `stream` to `sink` and back without ending `stream` (its owner closes it). */
function splice(stream: Duplex, toSink: NodeJS.WritableStream, fromSink: NodeJS.ReadableStream): void {
  stream.pipe(toSink);
  fromSink.pipe(stream, { end: false });
}

/** Connects to 127.0.0.1:`port` in the network namespace of process `pid` and relays `stream` until either side ends. */
export function forwardInNetns(pid: number, port: number, stream: Duplex, nsenter = 'nsenter'): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(nsenter, ['--target', String(pid), '--net', '--', process.execPath, '-e', RELAY, String(port)], {
      stdio: ['pipe', 'pipe', 'pipe'],
      // The relay needs nothing from our environment (and must not inherit NODE_OPTIONS loaders).
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      if (stderr.length < 4096) stderr += text;
    });
    child.stdin.on('error', () => undefined); // EPIPE once the relay is gone: its exit says why
    splice(stream, child.stdin, child.stdout);
    const stop = (): void => {
      if (child.exitCode === null) child.kill('SIGKILL');
    };
    stream.once('close', stop);
    child.once('error', (err) => reject(new Error(`failed to run nsenter: ${err.message}`)));
    child.once('close', (code, signal) => {
      stream.off('close', stop);
      stream.unpipe(child.stdin);
      if (code === 0 || stream.destroyed) resolve();
      else reject(new Error(`${signal ? `signal: ${signal}` : `exit status ${String(code)}`}${stderr ? `: ${stderr.trim()}` : ''}`));
    });
  });
}

/** A host-network pod: its localhost is the host's. */
export function forwardOnHost(port: number, stream: Duplex): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let failed = false;
    socket.once('error', (err) => {
      failed = true;
      reject(err);
    });
    socket.once('connect', () => splice(stream, socket, socket));
    stream.once('close', () => socket.destroy());
    socket.once('close', () => {
      stream.unpipe(socket);
      if (!failed) resolve();
    });
  });
}
