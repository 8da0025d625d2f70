// The server side of a SPDY/3.1 session over an upgraded connection, behaving as moby/spdystream
// does for a kubelet: the client (the API server) opens every stream with SYN_STREAM, the server
// accepts with an empty SYN_REPLY or refuses with RST_STREAM CANCEL; FIN half-closes; PINGs from
// the client are echoed; SETTINGS and WINDOW_UPDATE are read and ignored and never sent (no flow
// control: spdystream has none, and a sender that waited for window updates would stall after
// 64 KiB). Backpressure is TCP's: a stream whose reader is full pauses the socket.
//
// Why not a library: node-spdy / spdy-transport (spdy 4.0.2, spdy-transport 3.0.0 on npm: the
// only SPDY/3.1 stack there, seen as unmaintained) is built for HTTP-over-SPDY with push streams,
// enforces SPDY/3.1 flow-control windows (a sender that waits for WINDOW_UPDATE stalls after
// 64 KiB against spdystream, which never sends one) and pulls in readable-stream@3, debug,
// hpack.js, obuf and wbuf. What a kubelet needs is the nine frame types here and in spdy-frames.ts.
import { Duplex } from 'node:stream';
import { encodeFrame, FLAG_FIN, FLAG_UNIDIRECTIONAL, FrameDecoder, GOAWAY_STATUS, RST_STATUS, type SpdyFrame } from './spdy-frames.js';
import { decodeHeaderBlock, encodeHeaderBlock, HeaderDeflater, HeaderInflater, type SpdyHeaders } from './spdy-headers.js';

/** Data is sent in frames of at most this size (what Go's io.Copy hands spdystream at a time). */
const DATA_CHUNK = 32 * 1024;

/** kubelet streamingConnectionIdleTimeout default. */
export const DEFAULT_IDLE_TIMEOUT_MS = 4 * 60 * 60 * 1000;

export interface SpdySessionOptions {
  /** No frame either way for this long closes the session (spdystream SetIdleTimeout). */
  readonly idleTimeoutMs?: number;
  /**
   * Called for each new client stream before it is answered: return undefined to accept it
   * (SYN_REPLY) or a reason to refuse it (RST_STREAM), as httpstream's NewStreamHandler does.
   */
  readonly onStream: (stream: SpdyStream) => string | undefined;
  /** After an accepted stream's SYN_REPLY is written (httpstream's replySent). */
  readonly onReplied?: (stream: SpdyStream) => void;
  /** A refused stream or a protocol problem, for the log. */
  readonly onProblem?: (message: string) => void;
}

/** One SPDY stream as a Duplex: reads are the client's DATA, writes become our DATA, end() sends FIN. */
export class SpdyStream extends Duplex {
  readonly id: number;
  readonly headers: SpdyHeaders;
  readonly #session: SpdyServerSession;
  #wasReset = false;

  constructor(session: SpdyServerSession, id: number, headers: SpdyHeaders) {
    super({ allowHalfOpen: true });
    this.#session = session;
    this.id = id;
    this.headers = headers;
  }

  /** The first value of a header ('' when absent), like Go's http.Header.Get. */
  header(name: string): string {
    return this.headers.get(name.toLowerCase())?.[0] ?? '';
  }

  /** Whether either side reset the stream. */
  get wasReset(): boolean {
    return this.#wasReset;
  }

  /** RST_STREAM CANCEL: both directions end now, unread and unsent data is dropped. */
  reset(): void {
    if (this.#wasReset) return;
    this.#wasReset = true;
    this.#session.sendReset(this.id, RST_STATUS.cancel);
    this.destroy();
  }

  /** @internal the client reset the stream. */
  remoteReset(): void {
    this.#wasReset = true;
    this.destroy();
  }

  override _read(): void {
    this.#session.resumeReading(this);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#wasReset) {
      callback();
      return;
    }
    this.#session.sendData(this.id, chunk, false, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.#wasReset) callback();
    else this.#session.sendData(this.id, Buffer.alloc(0), true, callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Torn down before our FIN went out: tell the client, or it would wait for the stream forever.
    if (!this.#wasReset && !this.writableFinished) {
      this.#wasReset = true;
      this.#session.sendReset(this.id, RST_STATUS.cancel);
    }
    this.#session.forget(this);
    callback(error);
  }
}

export class SpdyServerSession {
  readonly #socket: Duplex;
  readonly #opts: SpdySessionOptions;
  readonly #decoder = new FrameDecoder();
  readonly #deflater = new HeaderDeflater();
  readonly #inflater = new HeaderInflater();
  readonly #streams = new Map<number, SpdyStream>();
  readonly #pausedBy = new Set<SpdyStream>();
  readonly #drainWaiters: (() => void)[] = [];
  #queue: Promise<void> = Promise.resolve();
  #lastStreamId = 0;
  #goneAway = false;
  #closed = false;
  #idleTimer: NodeJS.Timeout | undefined;
  readonly #closedPromise: Promise<void>;
  #resolveClosed: () => void = () => undefined;

  constructor(socket: Duplex, head: Buffer, opts: SpdySessionOptions) {
    this.#socket = socket;
    this.#opts = opts;
    this.#closedPromise = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => {
      for (const wake of this.#drainWaiters.splice(0)) wake();
    });
    socket.on('error', () => this.#teardown());
    socket.on('end', () => this.#teardown());
    socket.on('close', () => this.#teardown());
    this.#touch();
    if (head.length > 0) this.#onData(head);
  }

  /** Resolves once the connection is gone (either side closed it, or the idle timeout). */
  get closed(): Promise<void> {
    return this.#closedPromise;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** httpstream Connection.Close: resets the open streams, says GOAWAY and ends the connection. */
  close(): void {
    if (this.#closed) return;
    for (const stream of [...this.#streams.values()]) stream.reset();
    this.#write(encodeFrame({ kind: 'goAway', lastGoodStreamId: this.#lastStreamId, status: GOAWAY_STATUS.ok }));
    this.#socket.end();
    this.#teardown();
  }

  /** @internal */
  sendData(streamId: number, data: Buffer, fin: boolean, callback: (error?: Error | null) => void): void {
    if (this.#closed) {
      callback();
      return;
    }
    let ok = true;
    if (data.length === 0) ok = this.#write(encodeFrame({ kind: 'data', streamId, flags: fin ? FLAG_FIN : 0, data }));
    for (let offset = 0; offset < data.length; offset += DATA_CHUNK) {
      const last = offset + DATA_CHUNK >= data.length;
      ok = this.#write(encodeFrame({ kind: 'data', streamId, flags: fin && last ? FLAG_FIN : 0, data: data.subarray(offset, offset + DATA_CHUNK) }));
    }
    if (ok) callback();
    else this.#drainWaiters.push(() => callback());
  }

  /** @internal */
  sendReset(streamId: number, status: number): void {
    if (!this.#closed) this.#write(encodeFrame({ kind: 'rstStream', streamId, status }));
  }

  /** @internal a stream's reader wants more. */
  resumeReading(stream: SpdyStream): void {
    if (this.#pausedBy.delete(stream) && this.#pausedBy.size === 0) this.#socket.resume();
  }

  /** @internal */
  forget(stream: SpdyStream): void {
    this.#streams.delete(stream.id);
    this.resumeReading(stream);
  }

  #write(frame: Buffer): boolean {
    this.#touch();
    return this.#socket.write(frame);
  }

  #touch(): void {
    if (this.#idleTimer) this.#idleTimer.refresh();
    else {
      this.#idleTimer = setTimeout(() => {
        this.#opts.onProblem?.('streaming connection idle timeout');
        this.close();
      }, this.#opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
      this.#idleTimer.unref();
    }
  }

  #onData(chunk: Buffer): void {
    this.#touch();
    let frames: SpdyFrame[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (err) {
      this.#protocolFailure(err);
      return;
    }
    for (const frame of frames) {
      // Header blocks inflate asynchronously; everything after one waits for it, so order is kept.
      this.#queue = this.#queue.then(() => this.#handle(frame)).catch((err: unknown) => this.#protocolFailure(err));
    }
  }

  #protocolFailure(err: unknown): void {
    this.#opts.onProblem?.(`SPDY protocol error: ${err instanceof Error ? err.message : String(err)}`);
    this.#socket.destroy();
    this.#teardown();
  }

  async #handle(frame: SpdyFrame): Promise<void> {
    if (this.#closed) return;
    switch (frame.kind) {
      case 'synStream':
        await this.#onSynStream(frame.streamId, frame.flags, frame.headerBlock);
        return;
      case 'headers':
        // Headers after the SYN_STREAM carry nothing a kubelet reads; the block is inflated to keep the context in step.
        await this.#inflater.inflate(frame.headerBlock);
        if (frame.flags & FLAG_FIN) this.#streams.get(frame.streamId)?.push(null);
        return;
      case 'synReply':
        // A server never opens streams, so there is nothing to reply to; keep the context in step.
        await this.#inflater.inflate(frame.headerBlock);
        return;
      case 'data': {
        const stream = this.#streams.get(frame.streamId);
        if (!stream) return; // gone already, as spdystream drops it
        if (frame.data.length > 0 && !stream.push(frame.data)) {
          this.#pausedBy.add(stream);
          this.#socket.pause();
        }
        if (frame.flags & FLAG_FIN) stream.push(null);
        return;
      }
      case 'rstStream':
        this.#streams.get(frame.streamId)?.remoteReset();
        return;
      case 'ping':
        // Odd ids are the client's; even ones would answer our own pings, and we send none.
        if (frame.id % 2 === 1) this.#write(encodeFrame({ kind: 'ping', id: frame.id }));
        return;
      case 'goAway':
        this.#goneAway = true;
        return;
      case 'settings':
      case 'windowUpdate':
      case 'unknown':
        return;
    }
  }

  async #onSynStream(streamId: number, flags: number, headerBlock: Buffer): Promise<void> {
    const raw = await this.#inflater.inflate(headerBlock);
    if (this.#goneAway) {
      this.sendReset(streamId, RST_STATUS.refusedStream);
      return;
    }
    // Client streams are odd and increasing (spdystream validateStreamId).
    if (streamId % 2 === 0 || streamId <= this.#lastStreamId) {
      this.#opts.onProblem?.(`invalid stream id ${streamId}`);
      this.sendReset(streamId, RST_STATUS.protocolError);
      return;
    }
    this.#lastStreamId = streamId;
    const stream = new SpdyStream(this, streamId, decodeHeaderBlock(raw));
    stream.on('error', () => undefined); // a stream torn down with the session is not an error of its user
    this.#streams.set(streamId, stream);
    if (flags & FLAG_FIN) stream.push(null);
    const refused = this.#opts.onStream(stream);
    if (refused !== undefined) {
      this.#opts.onProblem?.(`Stream rejected: ${refused}`);
      stream.reset();
      return;
    }
    this.#write(encodeFrame({ kind: 'synReply', streamId, flags: 0, headerBlock: this.#deflater.compress(encodeHeaderBlock([])) }));
    if (flags & FLAG_UNIDIRECTIONAL) stream.end();
    this.#opts.onReplied?.(stream);
  }

  #teardown(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    for (const stream of [...this.#streams.values()]) stream.destroy();
    this.#streams.clear();
    for (const wake of this.#drainWaiters.splice(0)) wake();
    this.#inflater.close();
    if (!this.#socket.destroyed) this.#socket.end();
    this.#resolveClosed();
  }
}
