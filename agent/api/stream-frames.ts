// Framing of multiplexed byte streams. Docker multiplexes a non-TTY container's stdout and
// stderr with an 8-byte header per frame: [stream, 0, 0, 0, size uint32 big-endian]. The exec
// protocol of the local API reuses that header, adding frame types for what an interactive
// session needs besides bytes: the exit code, terminal resizes, and the end of stdin. One decoder
// serves both. Pure: no I/O, no streams.

export const FRAME = {
  stdin: 0,
  stdout: 1,
  stderr: 2,
  /** server → client: the exec failed after the upgrade; payload is a UTF-8 message. */
  error: 3,
  /** server → client, last frame: payload is the exit code, int32 big-endian. */
  exit: 4,
  /** client → server: payload is cols, rows as uint16 big-endian. */
  resize: 5,
  /** client → server: stdin reached its end; no payload. */
  stdinEnd: 6,
} as const;

export const FRAME_HEADER_BYTES = 8;

export interface Frame {
  readonly type: number;
  readonly payload: Buffer;
}

export function encodeFrame(type: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

export function encodeExitFrame(code: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeInt32BE(code, 0);
  return encodeFrame(FRAME.exit, payload);
}

export function decodeExitPayload(payload: Buffer): number | undefined {
  return payload.length === 4 ? payload.readInt32BE(0) : undefined;
}

export function encodeResizeFrame(cols: number, rows: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt16BE(clampU16(cols), 0);
  payload.writeUInt16BE(clampU16(rows), 2);
  return encodeFrame(FRAME.resize, payload);
}

export function decodeResizePayload(payload: Buffer): { cols: number; rows: number } | undefined {
  if (payload.length !== 4) return undefined;
  return { cols: payload.readUInt16BE(0), rows: payload.readUInt16BE(2) };
}

function clampU16(n: number): number {
  return Math.max(0, Math.min(0xffff, Math.trunc(n)));
}

/** Incremental decoder: feed chunks as they arrive, get whole frames back. */
export class FrameDecoder {
  #buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    const frames: Frame[] = [];
    let offset = 0;
    while (this.#buffered.length - offset >= FRAME_HEADER_BYTES) {
      const size = this.#buffered.readUInt32BE(offset + 4);
      const end = offset + FRAME_HEADER_BYTES + size;
      if (end > this.#buffered.length) break;
      frames.push({ type: this.#buffered.readUInt8(offset), payload: this.#buffered.subarray(offset + FRAME_HEADER_BYTES, end) });
      offset = end;
    }
    this.#buffered = this.#buffered.subarray(offset);
    return frames;
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get pending(): number {
    return this.#buffered.length;
  }
}
