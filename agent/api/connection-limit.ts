// Bounds what clients of an API socket can hold: at most `maxConnections` open connections
// (more are accepted and closed at once by Node, so they cost no descriptor), and a connection
// with no request in flight is closed after `idleTimeoutMs` without traffic. Without this,
// 20,000 idle connections took every descriptor of the agent, which then failed to read
// manifests (EMFILE). A log follow or an exec session is never idle-closed: the request (or
// the upgraded stream) is in flight for as long as it lasts. Reaching the cap is logged once,
// and once more when the connections fall below it again (with how many were refused).
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../log/logger.js';

export interface ConnectionLimits {
  readonly maxConnections: number;
  readonly idleTimeoutMs: number;
}

export function limitConnections(server: Server, limits: ConnectionLimits, socketPath: string, logger: Logger | undefined): void {
  server.maxConnections = limits.maxConnections;
  // http.Server arms socket.setTimeout(server.timeout) on every connection and calls the
  // 'timeout' listener below; with a listener present it destroys nothing by itself.
  server.timeout = limits.idleTimeoutMs;
  const inFlight = new Map<Socket, number>();
  let open = 0;
  let refused = 0;
  let capped = false;

  server.on('connection', (socket: Socket) => {
    open++;
    socket.once('close', () => {
      open--;
      inFlight.delete(socket);
      if (capped && open < limits.maxConnections) {
        capped = false;
        logger?.info({ socket: socketPath, maxConnections: limits.maxConnections, refused }, 'API connections below the limit again');
        refused = 0;
      }
    });
  });
  server.on('drop', () => {
    refused++;
    if (capped) return;
    capped = true;
    logger?.warn({ socket: socketPath, maxConnections: limits.maxConnections }, 'API connection limit reached: new connections are refused until some close (apiMaxConnections)');
  });
  server.on('request', (req: { socket: Socket }, res: { once(event: 'close', fn: () => void): unknown }) => {
    const { socket } = req;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const left = (inFlight.get(socket) ?? 1) - 1;
      if (left > 0) inFlight.set(socket, left);
      else inFlight.delete(socket);
    });
  });
  // An upgraded (exec) connection leaves the HTTP server: no idle timeout for it.
  server.on('upgrade', (_req: unknown, socket: Socket) => socket.setTimeout(0));
  server.on('timeout', (socket: Socket) => {
    if (!inFlight.has(socket)) socket.destroy();
  });
}
