// Port-forward over SPDY (cri-streaming portforward/httpstream.go; spec §3.7): per forwarded
// connection the client opens an `error` and a `data` stream carrying `port` and `requestid`
// headers; a complete pair is handed to the forwarder, whose failure is written to the error
// stream as `error forwarding port %d to pod %s, uid %v: %v` before both streams are reset.
import type { Duplex } from 'node:stream';
import type { SpdyStream } from './spdy-session.js';
import type { SpdyHeaders } from './spdy-headers.js';
import { headerValue } from './spdy-headers.js';
import { spdyUpgrade, STREAM_CREATION_TIMEOUT_MS } from './remotecommand.js';
import { PORTFORWARD_PROTOCOLS, type RawHeaders } from './upgrade.js';

export const PORT_HEADER = 'port';
export const REQUEST_ID_HEADER = 'requestid';
const STREAM_TYPE = 'streamtype';

/** Go's strconv.ParseUint(s, 10, 16) errors, as `%v` prints them. */
function parseUint16(text: string): { value: number } | { error: string } {
  if (!/^[0-9]+$/.test(text)) return { error: `strconv.ParseUint: parsing ${JSON.stringify(text)}: invalid syntax` };
  const value = Number(text);
  if (value > 0xffff) return { error: `strconv.ParseUint: parsing ${JSON.stringify(text)}: value out of range` };
  return { value };
}

/** httpStreamReceived: why a new stream is refused, or undefined when its headers are valid. */
export function validatePortForwardStream(headers: SpdyHeaders): string | undefined {
  const portText = headerValue(headers, PORT_HEADER);
  if (portText === '') return `"${PORT_HEADER}" header is required`;
  const port = parseUint16(portText);
  if ('error' in port) return `unable to parse ${JSON.stringify(portText)} as a port: ${port.error}`;
  if (port.value < 1) return `port ${JSON.stringify(portText)} must be > 0`;
  const type = headerValue(headers, STREAM_TYPE);
  if (type === '') return `"${STREAM_TYPE}" header is required`;
  if (type !== 'error' && type !== 'data') return `invalid stream type ${JSON.stringify(type)}`;
  return undefined;
}

/** The pair a stream belongs to; clients without `requestID`: error stream id, data stream id − 2. */
export function requestIdOf(streamId: number, headers: SpdyHeaders): string {
  const id = headerValue(headers, REQUEST_ID_HEADER);
  if (id !== '') return id;
  return headerValue(headers, STREAM_TYPE) === 'error' ? String(streamId) : String(streamId - 2);
}

/** Connects `data` to the pod's port; resolves when the connection is over, rejects with the reason it failed. */
export type PortForwarder = (port: number, data: Duplex) => Promise<void>;

export interface ServePortForwardOptions {
  /** What the error message names as the pod (the CRI streaming server names the sandbox). */
  readonly pod: string;
  readonly uid: string;
  readonly idleTimeoutMs?: number;
  readonly streamCreationTimeoutMs?: number;
  readonly log?: (level: 'info' | 'warn', msg: string, fields?: Record<string, unknown>) => void;
}

interface Pair {
  readonly requestId: string;
  data?: SpdyStream;
  error?: SpdyStream;
  timer?: NodeJS.Timeout;
}

/** Serves one port-forward connection until the client closes it. */
export async function servePortForward(rawHeaders: RawHeaders, socket: Duplex, head: Buffer, forward: PortForwarder, options: ServePortForwardOptions): Promise<void> {
  const pairs = new Map<string, Pair>();
  let connSeq = 0;
  const conn = `nodelet-${process.pid}-${Date.now().toString(36)}`;
  const printError = (pair: Pair, message: string): void => {
    if (pair.error && !pair.error.wasReset && !pair.error.writableEnded) pair.error.write(message);
  };
  const run = async (pair: Pair, data: SpdyStream, error: SpdyStream): Promise<void> => {
    const port = Number(data.header(PORT_HEADER));
    error.resume(); // the client never writes on it; keep the connection flowing
    try {
      await forward(port, data);
      if (!data.wasReset && !data.writableEnded) data.end();
      if (!error.wasReset && !error.writableEnded) error.end();
    } catch (err) {
      const msg = `error forwarding port ${port} to pod ${options.pod}, uid ${options.uid}: ${err instanceof Error ? err.message : String(err)}`;
      options.log?.('warn', msg);
      printError(pair, msg);
      data.reset();
      error.reset();
    }
  };
  const up = spdyUpgrade(
    rawHeaders,
    socket,
    head,
    PORTFORWARD_PROTOCOLS,
    (stream) => validatePortForwardStream(stream.headers),
    (stream) => {
      const requestId = requestIdOf(stream.id, stream.headers);
      let pair = pairs.get(requestId);
      if (!pair) {
        const created: Pair = { requestId };
        pair = created;
        pairs.set(requestId, created);
        created.timer = setTimeout(() => {
          const msg = `(conn=${conn}, request=${requestId}) timed out waiting for streams`;
          options.log?.('warn', msg);
          printError(created, msg);
          pairs.delete(requestId);
        }, options.streamCreationTimeoutMs ?? STREAM_CREATION_TIMEOUT_MS);
      }
      const type = stream.header(STREAM_TYPE);
      if ((type === 'error' && pair.error) || (type === 'data' && pair.data)) {
        const msg = `error processing stream for request ${requestId}: ${type} stream already assigned`;
        options.log?.('warn', msg);
        printError(pair, msg);
        return;
      }
      if (type === 'error') pair.error = stream;
      else pair.data = stream;
      if (pair.data && pair.error) {
        clearTimeout(pair.timer);
        pairs.delete(requestId);
        connSeq++;
        void run(pair, pair.data, pair.error);
      }
    },
    options,
  );
  if (up === undefined) return;
  await up.session.closed;
  for (const pair of pairs.values()) clearTimeout(pair.timer);
  options.log?.('info', 'port-forward connection closed', { forwarded: connSeq });
}
