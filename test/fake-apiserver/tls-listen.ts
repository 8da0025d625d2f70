// The HTTPS listener of the fake API server and of the proxy in front of it: client certificates
// required (the API server's x509 authentication), 127.0.0.1, open sockets tracked so that an
// outage can cut them.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TestPki } from './pki.js';

export async function listenMutualTls(
  pki: TestPki,
  port: number,
  sockets: Set<Socket>,
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ server: https.Server; port: number }> {
  const server = https.createServer({ key: pki.server.key, cert: pki.server.cert, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true }, handle);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  return { server, port: addr && typeof addr === 'object' ? addr.port : port };
}
