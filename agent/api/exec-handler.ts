// POST .../exec with `Connection: Upgrade, Upgrade: nodelet-exec`: after the checks, the server
// answers 101 and the connection carries frames both ways (stream-frames.ts): stdout/stderr and
// finally the exit code from the server; stdin, end of stdin and terminal resizes from the
// client. Errors before the upgrade are ordinary HTTP responses with a Status body.
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorMessage } from '../core/errors.js';
import { ApiError, type ExecSession } from './backend.js';
import { toStatus, type HandlerDeps } from './handlers.js';
import { EXEC_PROTOCOL, findPod, matchRoute, parseExecQuery, ROUTE_METHODS, UNKNOWN_PATH_MESSAGE, type RouteMatch } from './routes.js';
import { admit } from './access-guard.js';
import { decodeResizePayload, encodeExitFrame, encodeFrame, FRAME, FrameDecoder } from './stream-frames.js';

/** What Docker reports when it cannot tell an exec's exit code (and `sh` uses for "cannot execute"). */
const UNKNOWN_EXIT_CODE = 126;

function writeRawError(socket: Duplex, err: unknown): void {
  const status = toStatus(err);
  const body = JSON.stringify(status);
  socket.end(
    `HTTP/1.1 ${status.code} ${STATUS_CODES[status.code] ?? 'Error'}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export interface UpgradeTracker {
  add(socket: Duplex): void;
  delete(socket: Duplex): void;
}

export function createUpgradeHandler(deps: HandlerDeps, tracker: UpgradeTracker): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    socket.on('error', () => undefined); // a client vanishing mid-session is not our error
    tracker.add(socket);
    socket.once('close', () => tracker.delete(socket));
    void startExec(deps, req, socket, head).catch((err: unknown) => {
      if (toStatus(err).code >= 500) deps.logger?.error({ err, url: req.url }, 'exec failed');
      writeRawError(socket, err);
    });
  };
}

async function startExec(deps: HandlerDeps, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://nodelet');
  const match = matchRoute(url.pathname);
  const trail = await admit(deps.access, deps.logger, req, url, match);
  try {
    await upgradeToExec(deps, req, socket, head, url, match);
    trail?.finish(socket.destroyed ? 0 : 101);
  } catch (err) {
    trail?.finish(toStatus(err).code);
    throw err;
  }
}

async function upgradeToExec(deps: HandlerDeps, req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, match: RouteMatch | undefined): Promise<void> {
  if (match === undefined) throw new ApiError(404, UNKNOWN_PATH_MESSAGE);
  if (match.route !== 'exec') throw new ApiError(400, `upgrade is only supported on the exec subresource`);
  if (!ROUTE_METHODS.exec.includes(req.method ?? '')) throw new ApiError(405, 'the server does not allow this method on the requested resource');
  const protocol = (req.headers.upgrade ?? '').toLowerCase();
  if (protocol !== EXEC_PROTOCOL) throw new ApiError(400, `unsupported upgrade protocol "${protocol}", expected "${EXEC_PROTOCOL}"`);
  const pod = findPod(deps.backend.listPods(), match.namespace, match.name);
  const opts = parseExecQuery(url.searchParams, pod);
  const session = await deps.backend.exec(match.namespace, match.name, opts);
  if (socket.destroyed) {
    session.stream.end();
    return;
  }
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${EXEC_PROTOCOL}\r\n\r\n`);
  bridge(session, socket, head, opts);
}

function bridge(session: ExecSession, socket: Duplex, head: Buffer, opts: { stdin: boolean; tty: boolean }): void {
  const { stream } = session;
  let finished = false;

  const fromClient = new FrameDecoder();
  const onClientData = (chunk: Buffer): void => {
    for (const frame of fromClient.push(chunk)) {
      if (frame.type === FRAME.stdin && opts.stdin) stream.write(frame.payload);
      else if (frame.type === FRAME.stdinEnd && opts.stdin) stream.end();
      else if (frame.type === FRAME.resize) {
        const size = decodeResizePayload(frame.payload);
        if (size !== undefined && opts.tty) void session.resize(size.cols, size.rows).catch(() => undefined);
      }
    }
  };
  if (head.length > 0) onClientData(head);
  socket.on('data', onClientData);
  socket.once('close', () => {
    // The client left: stop the process's I/O; Docker cannot kill an exec, the process sees EOF/EPIPE.
    if (!finished) destroy(stream);
  });

  const fromDocker = opts.tty ? undefined : new FrameDecoder();
  const send = (frame: Buffer): void => {
    if (!socket.write(frame)) {
      stream.pause();
      socket.once('drain', () => stream.resume());
    }
  };
  stream.on('data', (chunk: Buffer | string) => {
    const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    if (fromDocker === undefined) {
      send(encodeFrame(FRAME.stdout, data));
      return;
    }
    for (const frame of fromDocker.push(data)) {
      if (frame.type === FRAME.stdout || frame.type === FRAME.stderr) send(encodeFrame(frame.type, frame.payload));
    }
  });

  const finish = (streamError?: unknown): void => {
    if (finished) return;
    finished = true;
    if (socket.destroyed) return;
    if (streamError !== undefined) socket.write(encodeFrame(FRAME.error, Buffer.from(errorMessage(streamError))));
    void session.exitCode().then(
      (code) => socket.end(encodeExitFrame(code)),
      (err: unknown) => {
        if (streamError === undefined) socket.write(encodeFrame(FRAME.error, Buffer.from(errorMessage(err))));
        socket.end(encodeExitFrame(UNKNOWN_EXIT_CODE));
      },
    );
  };
  stream.once('end', () => finish());
  stream.once('close', () => finish());
  stream.once('error', (err: unknown) => finish(err));
}

function destroy(stream: NodeJS.ReadWriteStream): void {
  const destroyable = stream as NodeJS.ReadWriteStream & { destroy?: () => void };
  if (destroyable.destroy !== undefined) destroyable.destroy();
  else stream.end();
}
