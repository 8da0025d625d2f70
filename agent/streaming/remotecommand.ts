// remotecommand (exec and attach) over SPDY, as the CRI streaming server serves it
// (cri-streaming remotecommand/httpstream.go, exec.go, attach.go; spec §3.5): one SPDY stream per
// channel, told apart by the `streamtype` header; the session starts once the expected streams
// have been answered; the command's outcome goes on the error stream (v4: a JSON status with the
// exit code; v1–v3: the error text, nothing on success); then the server closes the streams it
// writes and waits for the client to close the connection, so no output still in flight is lost.
import type { Duplex, Readable, Writable } from 'node:stream';
import { SpdyServerSession, type SpdyStream } from './spdy-session.js';
import { REMOTECOMMAND_PROTOCOLS, spdyHandshake, type RawHeaders } from './upgrade.js';

export const STREAM_TYPE_HEADER = 'streamtype';
export const STREAM_TYPES = { error: 'error', stdin: 'stdin', stdout: 'stdout', stderr: 'stderr', resize: 'resize' } as const;

/** DefaultStreamCreationTimeout. */
export const STREAM_CREATION_TIMEOUT_MS = 30_000;
/** cri-streaming finishTimeout: how long the server waits for the client to close after the status. */
export const FINISH_TIMEOUT_MS = 15 * 60_000;

export interface RemoteCommandOptions {
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly tty: boolean;
}

export interface TerminalSize {
  readonly width: number;
  readonly height: number;
}

/** How the command ended, as the error stream reports it. */
export type CommandOutcome =
  | { readonly kind: 'success' }
  /** `message` is the runtime's error text, e.g. cri-dockerd's `command 'sh' exited with 3`. */
  | { readonly kind: 'exit'; readonly code: number; readonly message: string }
  /** Anything else; reported as an InternalError `error executing command in container: …` (exec) or `error attaching to container: …` (attach). */
  | { readonly kind: 'error'; readonly message: string };

/** What the command's runner gets once the client's streams are there. */
export interface RemoteCommandContext {
  readonly protocol: string;
  readonly stdin?: Readable;
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  readonly tty: boolean;
  /** Terminal sizes from the resize stream; the latest size seen so far is replayed to a new listener. */
  onResize(listener: (size: TerminalSize) => void): void;
  /** The latest terminal size received, if any yet (to create a TTY at the right size). */
  size(): TerminalSize | undefined;
  /** The client went away: stop the command's I/O. */
  readonly aborted: AbortSignal;
}

export interface ServeRemoteCommandOptions {
  readonly idleTimeoutMs?: number;
  readonly streamCreationTimeoutMs?: number;
  readonly finishTimeoutMs?: number;
  /** `exec` or `attach`: the InternalError prefix differs. */
  readonly kind: 'exec' | 'attach';
  readonly log?: (level: 'info' | 'warn', msg: string, fields?: Record<string, unknown>) => void;
}

/** 1 (error) + stdin? + stdout? + stderr? + resize (tty, v3 and later). */
export function expectedStreamCount(opts: RemoteCommandOptions, protocol: string): number {
  const resize = opts.tty && (protocol === 'v4.channel.k8s.io' || protocol === 'v3.channel.k8s.io');
  return 1 + Number(opts.stdin) + Number(opts.stdout) + Number(opts.stderr) + Number(resize);
}

interface StreamStatus {
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: { reason: string; message: string }[] };
  code?: number;
}

/** The status object cri-streaming writes (ServeExec / ServeAttach, newInternalError). */
export function outcomeStatus(outcome: CommandOutcome, kind: 'exec' | 'attach'): StreamStatus {
  switch (outcome.kind) {
    case 'success':
      return { status: 'Success' };
    case 'exit':
      return {
        status: 'Failure',
        message: `command terminated with non-zero exit code: ${outcome.message}`,
        reason: 'NonZeroExitCode',
        details: { causes: [{ reason: 'ExitCode', message: String(outcome.code) }] },
      };
    case 'error': {
      const prefix = kind === 'exec' ? 'error executing command in container' : 'error attaching to container';
      return { status: 'Failure', message: `Internal error occurred: ${prefix}: ${outcome.message}`, reason: 'InternalError', code: 500 };
    }
  }
}

/** What goes on the error stream: v4 the JSON status; v1–v3 the message of a failure, nothing on success. */
export function encodeStatus(protocol: string, status: StreamStatus): Buffer | undefined {
  if (protocol === 'v4.channel.k8s.io') return Buffer.from(JSON.stringify(status));
  if (status.status === 'Success') return undefined;
  return Buffer.from(status.message ?? '');
}

/**
 * The resize stream's JSON objects, back to back (Go's json.Decoder over the stream): field names
 * match case-insensitively as in encoding/json; the first malformed value ends the decoding.
 */
export class ResizeDecoder {
  #text = '';
  #failed = false;

  get failed(): boolean {
    return this.#failed;
  }

  push(chunk: string): TerminalSize[] {
    if (this.#failed) return [];
    this.#text += chunk;
    const sizes: TerminalSize[] = [];
    for (;;) {
      const start = this.#text.search(/\S/);
      if (start < 0) {
        this.#text = '';
        return sizes;
      }
      const end = objectEnd(this.#text, start);
      if (end === undefined) {
        this.#text = this.#text.slice(start);
        return sizes;
      }
      const size = parseSize(this.#text.slice(start, end));
      this.#text = this.#text.slice(end);
      if (size === undefined) {
        this.#failed = true;
        return sizes;
      }
      sizes.push(size);
    }
  }
}

/** Index just past the JSON value starting at `start` if it is complete; -1 sentinel avoided by undefined. */
function objectEnd(text: string, start: number): number | undefined {
  if (text[start] !== '{') return start + 1; // not an object: let parseSize reject it
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return undefined;
}

function parseSize(json: string): TerminalSize | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  let width = 0;
  let height = 0;
  for (const [key, v] of Object.entries(value)) {
    const k = key.toLowerCase();
    if (k !== 'width' && k !== 'height') continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff) return undefined; // uint16
    if (k === 'width') width = v;
    else height = v;
  }
  return { width, height };
}

/** Writes the handshake's refusal, or answers 101 and returns the SPDY session and protocol. */
function upgrade(rawHeaders: RawHeaders, socket: Duplex, head: Buffer, protocols: readonly string[], onStream: (s: SpdyStream) => string | undefined, onReplied: (s: SpdyStream) => void, opts: { idleTimeoutMs?: number; log?: ServeRemoteCommandOptions['log'] }): { session: SpdyServerSession; protocol: string } | undefined {
  const shake = spdyHandshake(rawHeaders, protocols);
  if (!shake.ok) {
    opts.log?.('info', 'streaming upgrade refused', { status: shake.status, message: shake.message });
    socket.end(shake.response);
    return undefined;
  }
  socket.write(shake.response);
  const session = new SpdyServerSession(socket, head, {
    ...(opts.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: opts.idleTimeoutMs }),
    onStream,
    onReplied,
    onProblem: (message) => opts.log?.('warn', message),
  });
  return { session, protocol: shake.protocol };
}

export { upgrade as spdyUpgrade };

/**
 * Serves one exec or attach: handshake, streams, `run`, status, close. `run` gets the client's
 * streams and resolves with how the command ended; it must not end stdout/stderr itself (this
 * does, after the status, as the kubelet's finish does).
 */
export function serveRemoteCommand(rawHeaders: RawHeaders, socket: Duplex, head: Buffer, opts: RemoteCommandOptions, run: (ctx: RemoteCommandContext) => Promise<CommandOutcome>, options: ServeRemoteCommandOptions): Promise<void> {
  const streams = new Map<string, SpdyStream>();
  let replied = 0;
  let expected = Number.POSITIVE_INFINITY;
  let allThere: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    allThere = resolve;
  });
  const up = upgrade(
    rawHeaders,
    socket,
    head,
    REMOTECOMMAND_PROTOCOLS,
    (stream) => {
      const type = stream.header(STREAM_TYPE_HEADER);
      if (Object.values(STREAM_TYPES).includes(type as never) && !(type === STREAM_TYPES.resize && !opts.tty)) streams.set(type, stream);
      else {
        options.log?.('warn', `unexpected stream type: ${JSON.stringify(type)}`);
        stream.resume(); // nobody reads it: its data must not hold up the connection
      }
      return undefined; // accepted either way, as the kubelet's stream handler never refuses
    },
    () => {
      replied++;
      if (replied >= expected) allThere();
    },
    options,
  );
  if (up === undefined) return Promise.resolve();
  const { session, protocol } = up;
  expected = expectedStreamCount(opts, protocol);
  if (replied >= expected) allThere();
  return (async () => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.streamCreationTimeoutMs ?? STREAM_CREATION_TIMEOUT_MS);
    });
    const got = await Promise.race([ready.then(() => 'ready' as const), timedOut, session.closed.then(() => 'closed' as const)]);
    clearTimeout(timer);
    if (got !== 'ready') {
      if (got === 'timeout') options.log?.('warn', 'timed out waiting for client to create streams');
      session.close();
      return;
    }
    const errorStream = streams.get(STREAM_TYPES.error);
    // v1 kept a 1.0.x quirk: the error stream is reset as soon as the streams are set up.
    if (protocol === 'channel.k8s.io') errorStream?.reset();
    await runSession(session, protocol, streams, opts, run, options);
  })();
}

async function runSession(session: SpdyServerSession, protocol: string, streams: Map<string, SpdyStream>, opts: RemoteCommandOptions, run: (ctx: RemoteCommandContext) => Promise<CommandOutcome>, options: ServeRemoteCommandOptions): Promise<void> {
  const aborter = new AbortController();
  void session.closed.then(() => aborter.abort());
  let lastSize: TerminalSize | undefined;
  const listeners: ((size: TerminalSize) => void)[] = [];
  const resize = streams.get(STREAM_TYPES.resize);
  if (resize) {
    const decoder = new ResizeDecoder();
    resize.setEncoding('utf8');
    resize.on('data', (text: string) => {
      for (const size of decoder.push(text)) {
        lastSize = size;
        for (const l of listeners) l(size);
      }
    });
  }
  const stdin = opts.stdin ? streams.get(STREAM_TYPES.stdin) : undefined;
  const stdout = opts.stdout ? streams.get(STREAM_TYPES.stdout) : undefined;
  const stderr = opts.stderr && !opts.tty ? streams.get(STREAM_TYPES.stderr) : undefined;
  for (const s of streams.values()) if (s !== stdin && s !== resize && s.readableFlowing !== true) s.resume(); // client→server bytes nobody reads
  const ctx: RemoteCommandContext = {
    protocol,
    ...(stdin ? { stdin } : {}),
    ...(stdout ? { stdout } : {}),
    ...(stderr ? { stderr } : {}),
    tty: opts.tty,
    onResize(listener) {
      listeners.push(listener);
      if (lastSize) listener(lastSize);
    },
    size: () => lastSize,
    aborted: aborter.signal,
  };
  let outcome: CommandOutcome;
  try {
    outcome = await run(ctx);
  } catch (err) {
    outcome = { kind: 'error', message: err instanceof Error ? err.message : String(err) };
  }
  if (outcome.kind === 'error') options.log?.('warn', `${options.kind} failed`, { error: outcome.message });
  await finish(session, protocol, streams, outcome, options);
}

/** cri-streaming connectionContext.finish: stop input, status, close the output streams, wait for the client to close. */
async function finish(session: SpdyServerSession, protocol: string, streams: Map<string, SpdyStream>, outcome: CommandOutcome, options: ServeRemoteCommandOptions): Promise<void> {
  if (session.isClosed) return;
  streams.get(STREAM_TYPES.stdin)?.reset();
  streams.get(STREAM_TYPES.resize)?.reset();
  const errorStream = streams.get(STREAM_TYPES.error);
  const status = encodeStatus(protocol, outcomeStatus(outcome, options.kind));
  if (errorStream && !errorStream.wasReset && status) errorStream.write(status);
  for (const type of [STREAM_TYPES.stdout, STREAM_TYPES.stderr, STREAM_TYPES.error]) {
    const s = streams.get(type);
    if (s && !s.wasReset && !s.writableEnded) s.end();
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([session.closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, options.finishTimeoutMs ?? FINISH_TIMEOUT_MS)))]);
  clearTimeout(timer);
  session.close();
}
