// SPDY/3 framing (draft-mbelshe-httpbis-spdy-00 §2.2), the subset moby/spdystream speaks: the
// API server proxies `kubectl exec|attach|port-forward` to a kubelet over SPDY/3.1 (spec §3.2).
// Pure: encoding and an incremental decoder; header blocks stay compressed here (spdy-headers.ts).
//
//   control frame: |1| version(15)=3 | type(16) | flags(8) | length(24) | data
//   data frame:    |0| stream id(31)             | flags(8) | length(24) | data

export const SPDY_VERSION = 3;

export const FRAME_TYPE = {
  synStream: 1,
  synReply: 2,
  rstStream: 3,
  settings: 4,
  ping: 6,
  goAway: 7,
  headers: 8,
  windowUpdate: 9,
} as const;

export const FLAG_FIN = 0x01;
/** SYN_STREAM only: the sender will not receive on this stream. */
export const FLAG_UNIDIRECTIONAL = 0x02;

/** RST_STREAM status codes (§2.6.2). */
export const RST_STATUS = {
  protocolError: 1,
  invalidStream: 2,
  refusedStream: 3,
  unsupportedVersion: 4,
  cancel: 5,
  internalError: 6,
  flowControlError: 7,
} as const;

/** GOAWAY status codes (§2.6.6). */
export const GOAWAY_STATUS = { ok: 0, protocolError: 1, internalError: 2 } as const;

const HEADER_BYTES = 8;
/** The 24-bit length field's limit. */
export const MAX_FRAME_PAYLOAD = 0xffffff;
const STREAM_ID_MASK = 0x7fffffff;

export type SpdyFrame =
  | { readonly kind: 'data'; readonly streamId: number; readonly flags: number; readonly data: Buffer }
  | { readonly kind: 'synStream'; readonly streamId: number; readonly associatedId: number; readonly priority: number; readonly flags: number; readonly headerBlock: Buffer }
  | { readonly kind: 'synReply'; readonly streamId: number; readonly flags: number; readonly headerBlock: Buffer }
  | { readonly kind: 'headers'; readonly streamId: number; readonly flags: number; readonly headerBlock: Buffer }
  | { readonly kind: 'rstStream'; readonly streamId: number; readonly status: number }
  | { readonly kind: 'settings'; readonly flags: number; readonly entries: readonly { readonly flags: number; readonly id: number; readonly value: number }[] }
  | { readonly kind: 'ping'; readonly id: number }
  | { readonly kind: 'goAway'; readonly lastGoodStreamId: number; readonly status: number }
  | { readonly kind: 'windowUpdate'; readonly streamId: number; readonly delta: number }
  /** A control frame of a type this code does not know, or of another SPDY version (ignored, as spdystream does). */
  | { readonly kind: 'unknown'; readonly type: number; readonly version: number; readonly flags: number };

/** The peer broke the framing: the session cannot go on (spdystream closes the connection too). */
export class SpdyProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpdyProtocolError';
  }
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME_PAYLOAD) throw new RangeError(`SPDY control frame too large: ${payload.length} bytes`);
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  header.writeUInt16BE(type, 2);
  header.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  return Buffer.concat([header, payload]);
}

function u32(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

/** Encodes one frame; a SYN_STREAM/SYN_REPLY/HEADERS carries an already compressed header block. */
export function encodeFrame(frame: Exclude<SpdyFrame, { kind: 'unknown' }>): Buffer {
  switch (frame.kind) {
    case 'data': {
      if (frame.data.length > MAX_FRAME_PAYLOAD) throw new RangeError(`SPDY data frame too large: ${frame.data.length} bytes`);
      const header = Buffer.alloc(HEADER_BYTES);
      header.writeUInt32BE(frame.streamId & STREAM_ID_MASK, 0);
      header.writeUInt32BE(((frame.flags & 0xff) << 24) | frame.data.length, 4);
      return Buffer.concat([header, frame.data]);
    }
    case 'synStream': {
      const fixed = Buffer.alloc(10);
      fixed.writeUInt32BE(frame.streamId & STREAM_ID_MASK, 0);
      fixed.writeUInt32BE(frame.associatedId & STREAM_ID_MASK, 4);
      fixed.writeUInt8((frame.priority & 0x7) << 5, 8);
      return controlFrame(FRAME_TYPE.synStream, frame.flags, Buffer.concat([fixed, frame.headerBlock]));
    }
    case 'synReply':
      return controlFrame(FRAME_TYPE.synReply, frame.flags, Buffer.concat([u32(frame.streamId & STREAM_ID_MASK), frame.headerBlock]));
    case 'headers':
      return controlFrame(FRAME_TYPE.headers, frame.flags, Buffer.concat([u32(frame.streamId & STREAM_ID_MASK), frame.headerBlock]));
    case 'rstStream':
      return controlFrame(FRAME_TYPE.rstStream, 0, u32(frame.streamId & STREAM_ID_MASK, frame.status));
    case 'settings': {
      const body = Buffer.alloc(4 + frame.entries.length * 8);
      body.writeUInt32BE(frame.entries.length, 0);
      frame.entries.forEach((e, i) => {
        body.writeUInt32BE((((e.flags & 0xff) << 24) | (e.id & 0xffffff)) >>> 0, 4 + i * 8);
        body.writeUInt32BE(e.value >>> 0, 8 + i * 8);
      });
      return controlFrame(FRAME_TYPE.settings, frame.flags, body);
    }
    case 'ping':
      return controlFrame(FRAME_TYPE.ping, 0, u32(frame.id));
    case 'goAway':
      return controlFrame(FRAME_TYPE.goAway, 0, u32(frame.lastGoodStreamId & STREAM_ID_MASK, frame.status));
    case 'windowUpdate':
      return controlFrame(FRAME_TYPE.windowUpdate, 0, u32(frame.streamId & STREAM_ID_MASK, frame.delta & STREAM_ID_MASK));
  }
}

function needs(payload: Buffer, bytes: number, what: string): void {
  if (payload.length < bytes) throw new SpdyProtocolError(`${what} frame too short: ${payload.length} bytes`);
}

function decodeControl(type: number, version: number, flags: number, payload: Buffer): SpdyFrame {
  if (version !== SPDY_VERSION) return { kind: 'unknown', type, version, flags };
  switch (type) {
    case FRAME_TYPE.synStream:
      needs(payload, 10, 'SYN_STREAM');
      return {
        kind: 'synStream',
        streamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
        associatedId: payload.readUInt32BE(4) & STREAM_ID_MASK,
        priority: payload.readUInt8(8) >> 5,
        flags,
        headerBlock: payload.subarray(10),
      };
    case FRAME_TYPE.synReply:
      needs(payload, 4, 'SYN_REPLY');
      return { kind: 'synReply', streamId: payload.readUInt32BE(0) & STREAM_ID_MASK, flags, headerBlock: payload.subarray(4) };
    case FRAME_TYPE.headers:
      needs(payload, 4, 'HEADERS');
      return { kind: 'headers', streamId: payload.readUInt32BE(0) & STREAM_ID_MASK, flags, headerBlock: payload.subarray(4) };
    case FRAME_TYPE.rstStream:
      needs(payload, 8, 'RST_STREAM');
      return { kind: 'rstStream', streamId: payload.readUInt32BE(0) & STREAM_ID_MASK, status: payload.readUInt32BE(4) };
    case FRAME_TYPE.settings: {
      needs(payload, 4, 'SETTINGS');
      const count = payload.readUInt32BE(0);
      needs(payload, 4 + count * 8, 'SETTINGS');
      const entries = Array.from({ length: count }, (_, i) => {
        const word = payload.readUInt32BE(4 + i * 8);
        return { flags: word >>> 24, id: word & 0xffffff, value: payload.readUInt32BE(8 + i * 8) };
      });
      return { kind: 'settings', flags, entries };
    }
    case FRAME_TYPE.ping:
      needs(payload, 4, 'PING');
      return { kind: 'ping', id: payload.readUInt32BE(0) };
    case FRAME_TYPE.goAway:
      needs(payload, 8, 'GOAWAY');
      return { kind: 'goAway', lastGoodStreamId: payload.readUInt32BE(0) & STREAM_ID_MASK, status: payload.readUInt32BE(4) };
    case FRAME_TYPE.windowUpdate:
      needs(payload, 8, 'WINDOW_UPDATE');
      return { kind: 'windowUpdate', streamId: payload.readUInt32BE(0) & STREAM_ID_MASK, delta: payload.readUInt32BE(4) & STREAM_ID_MASK };
    default:
      return { kind: 'unknown', type, version, flags };
  }
}

/** Incremental decoder: feed the socket's chunks, get whole frames back in order. */
export class FrameDecoder {
  #buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): SpdyFrame[] {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    const frames: SpdyFrame[] = [];
    let offset = 0;
    while (this.#buffered.length - offset >= HEADER_BYTES) {
      const word0 = this.#buffered.readUInt32BE(offset);
      const word1 = this.#buffered.readUInt32BE(offset + 4);
      const length = word1 & 0xffffff;
      const end = offset + HEADER_BYTES + length;
      if (end > this.#buffered.length) break;
      // Copied out: a frame's payload may outlive the buffer it arrived in (queued stream data).
      const payload = Buffer.from(this.#buffered.subarray(offset + HEADER_BYTES, end));
      const flags = word1 >>> 24;
      if (word0 & 0x80000000) frames.push(decodeControl(word0 & 0xffff, (word0 >>> 16) & 0x7fff, flags, payload));
      else frames.push({ kind: 'data', streamId: word0 & STREAM_ID_MASK, flags, data: payload });
      offset = end;
    }
    this.#buffered = this.#buffered.subarray(offset);
    return frames;
  }
}
