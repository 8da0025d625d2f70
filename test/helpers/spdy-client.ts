// A minimal SPDY/3 *client* for tests, speaking to agent/streaming's server the way spdystream
// does: SYN_STREAM with zlib-compressed (real deflate, dictionary, sync flush) header blocks in one
// context across frames, DATA with FIN, RST_STREAM, PING. Built on the production frame codec,
// with node:zlib on both header directions so that the server's stored blocks are checked by a
// real inflater.
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { constants, createDeflate, createInflate } from 'node:zlib';
import { encodeFrame, FLAG_FIN, FrameDecoder, type SpdyFrame } from '../../agent/streaming/spdy-frames.js';
import { decodeHeaderBlock, encodeHeaderBlock, type SpdyHeaders } from '../../agent/streaming/spdy-headers.js';
import { SPDY3_DICTIONARY } from '../../agent/streaming/spdy-dictionary.js';

export interface ClientStream {
  readonly id: number;
  readonly chunks: Buffer[];
  /** Resolves with the reply's headers, rejects when the server resets the stream instead. */
  readonly replied: Promise<SpdyHeaders>;
  /** Resolves when the server's FIN arrived (or the stream was reset: `reset` tells). */
  readonly ended: Promise<void>;
  reset: number | undefined;
  text(): string;
}

interface Pending {
  stream: ClientStream;
  resolveReply: (h: SpdyHeaders) => void;
  rejectReply: (e: Error) => void;
  resolveEnd: () => void;
}

/** Runs `fn` over a zlib stream and collects what it emits up to a sync flush. */
export function flushThrough(z: ReturnType<typeof createDeflate> | ReturnType<typeof createInflate>, input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const onData = (c: Buffer): void => void out.push(c);
    z.on('data', onData);
    z.once('error', reject);
    z.write(input);
    z.flush(constants.Z_SYNC_FLUSH, () => {
      z.off('data', onData);
      z.off('error', reject);
      resolve(Buffer.concat(out));
    });
  });
}

export class SpdyTestClient {
  readonly socket: Socket;
  readonly frames: SpdyFrame[] = [];
  readonly #decoder = new FrameDecoder();
  readonly #deflate = createDeflate({ dictionary: SPDY3_DICTIONARY });
  readonly #inflate = createInflate({ dictionary: SPDY3_DICTIONARY });
  readonly #streams = new Map<number, Pending>();
  readonly #pings = new Map<number, () => void>();
  #nextId = 1;
  #queue: Promise<void> = Promise.resolve();
  #sendQueue: Promise<void> = Promise.resolve();
  readonly closed: Promise<void>;

  constructor(socket: Socket, head: Buffer) {
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (c: Buffer) => this.#onData(c));
    socket.on('error', () => undefined);
    if (head.length > 0) this.#onData(head);
  }

  #onData(chunk: Buffer): void {
    for (const frame of this.#decoder.push(chunk)) {
      this.#queue = this.#queue.then(() => this.#handle(frame));
    }
  }

  async #handle(frame: SpdyFrame): Promise<void> {
    this.frames.push(frame);
    if (frame.kind === 'synReply') {
      const headers = decodeHeaderBlock(await flushThrough(this.#inflate, frame.headerBlock));
      this.#streams.get(frame.streamId)?.resolveReply(headers);
    } else if (frame.kind === 'data') {
      const p = this.#streams.get(frame.streamId);
      if (!p) return;
      if (frame.data.length > 0) p.stream.chunks.push(frame.data);
      if (frame.flags & FLAG_FIN) p.resolveEnd();
    } else if (frame.kind === 'rstStream') {
      const p = this.#streams.get(frame.streamId);
      if (!p) return;
      p.stream.reset = frame.status;
      p.rejectReply(new Error(`stream ${frame.streamId} reset (${frame.status})`));
      p.resolveEnd();
    } else if (frame.kind === 'ping') {
      this.#pings.get(frame.id)?.();
    }
  }

  /** Opens a stream; headers are compressed in this client's one deflate context, in order. */
  open(headers: Record<string, string>, opts: { fin?: boolean } = {}): ClientStream {
    const id = this.#nextId;
    this.#nextId += 2;
    let resolveReply: (h: SpdyHeaders) => void = () => undefined;
    let rejectReply: (e: Error) => void = () => undefined;
    let resolveEnd: () => void = () => undefined;
    const replied = new Promise<SpdyHeaders>((res, rej) => {
      resolveReply = res;
      rejectReply = rej;
    });
    replied.catch(() => undefined);
    const ended = new Promise<void>((res) => {
      resolveEnd = res;
    });
    const stream: ClientStream = { id, chunks: [], replied, ended, reset: undefined, text: () => Buffer.concat(stream.chunks).toString('utf8') };
    this.#streams.set(id, { stream, resolveReply, rejectReply, resolveEnd });
    const raw = encodeHeaderBlock(Object.entries(headers).map(([k, v]) => [k, [v]] as const));
    this.#send(async () => encodeFrame({ kind: 'synStream', streamId: id, associatedId: 0, priority: 0, flags: opts.fin ? FLAG_FIN : 0, headerBlock: await flushThrough(this.#deflate, raw) }));
    return stream;
  }

  write(id: number, data: Buffer | string, fin = false): void {
    this.#send(() => Promise.resolve(encodeFrame({ kind: 'data', streamId: id, flags: fin ? FLAG_FIN : 0, data: Buffer.from(data) })));
  }

  rst(id: number, status = 5): void {
    this.#send(() => Promise.resolve(encodeFrame({ kind: 'rstStream', streamId: id, status })));
  }

  raw(frame: Buffer): void {
    this.#send(() => Promise.resolve(frame));
  }

  ping(id: number): Promise<void> {
    const echoed = new Promise<void>((resolve) => this.#pings.set(id, resolve));
    this.#send(() => Promise.resolve(encodeFrame({ kind: 'ping', id })));
    return echoed;
  }

  /** Frames go out in call order even though header compression is asynchronous. */
  #send(make: () => Promise<Buffer>): void {
    this.#sendQueue = this.#sendQueue.then(async () => {
      const frame = await make();
      if (!this.socket.destroyed) this.socket.write(frame);
    });
  }

  close(): void {
    this.socket.end();
  }
}

export interface UpgradeAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly client?: SpdyTestClient;
}

/** POSTs an upgrade request to `port` and returns the 101's SPDY client, or the refusal. */
export function upgradeRequest(port: number, path: string, headers: Record<string, string | string[]>): Promise<UpgradeAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers });
    req.on('upgrade', (res, socket, head) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '', client: new SpdyTestClient(socket, head) }));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}
