// SPDY/3 header blocks (§2.6.10): a count and length-prefixed name/value pairs (32-bit lengths,
// names lowercase, several values of one name joined by NUL), zlib-compressed with the SPDY/3
// dictionary in one compression context per direction that lives as long as the session.
//
// Outgoing blocks are written as zlib *stored* (uncompressed) deflate blocks: a valid continuation
// of the context that any inflater (Go's compress/zlib in spdystream included) reads, produced
// synchronously and in a few lines. Our only outgoing blocks are SYN_REPLYs with no headers, so
// compression would save nothing. Incoming blocks are inflated with node:zlib, which is
// asynchronous: the session feeds them one at a time, in frame order.
import { constants, createInflate, type Inflate } from 'node:zlib';
import { SPDY3_DICTIONARY } from './spdy-dictionary.js';

/** Header names (lowercase) to their values, in the order received. */
export type SpdyHeaders = ReadonlyMap<string, readonly string[]>;

export function encodeHeaderBlock(headers: Iterable<readonly [string, readonly string[]]>): Buffer {
  const parts: Buffer[] = [];
  let count = 0;
  const lengthPrefixed = (text: string): void => {
    const bytes = Buffer.from(text, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length, 0);
    parts.push(len, bytes);
  };
  for (const [name, values] of headers) {
    lengthPrefixed(name.toLowerCase());
    lengthPrefixed(values.join('\0'));
    count++;
  }
  const head = Buffer.alloc(4);
  head.writeUInt32BE(count, 0);
  return Buffer.concat([head, ...parts]);
}

export function decodeHeaderBlock(raw: Buffer): SpdyHeaders {
  const headers = new Map<string, string[]>();
  if (raw.length === 0) return headers;
  let offset = 0;
  const take = (): string => {
    if (raw.length - offset < 4) throw new Error('header block truncated');
    const len = raw.readUInt32BE(offset);
    offset += 4;
    if (raw.length - offset < len) throw new Error('header block truncated');
    const text = raw.toString('utf8', offset, offset + len);
    offset += len;
    return text;
  };
  if (raw.length < 4) throw new Error('header block truncated');
  const count = raw.readUInt32BE(0);
  offset = 4;
  for (let i = 0; i < count; i++) {
    const name = take().toLowerCase();
    const values = take().split('\0');
    headers.set(name, [...(headers.get(name) ?? []), ...values]);
  }
  return headers;
}

/** The first value of a header, as Go's http.Header.Get gives it ('' when absent). */
export function headerValue(headers: SpdyHeaders, name: string): string {
  return headers.get(name.toLowerCase())?.[0] ?? '';
}

function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < data.length; i += 3800) {
    const end = Math.min(i + 3800, data.length);
    for (let j = i; j < end; j++) {
      a += data[j] ?? 0;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

const STORED_BLOCK_MAX = 0xffff;
const SYNC_FLUSH_MARKER = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);

/** The compressing side of one direction: stored deflate blocks after a zlib header naming the dictionary. */
export class HeaderDeflater {
  #started = false;

  compress(raw: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (!this.#started) {
      this.#started = true;
      // CMF 0x78 (deflate, 32K window), FLG 0xbb (FDICT set; 0x78bb is a multiple of 31), DICTID.
      const header = Buffer.alloc(6);
      header.writeUInt16BE(0x78bb, 0);
      header.writeUInt32BE(adler32(SPDY3_DICTIONARY), 2);
      parts.push(header);
    }
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < raw.length; offset += STORED_BLOCK_MAX) chunks.push(raw.subarray(offset, offset + STORED_BLOCK_MAX));
    for (const chunk of chunks) {
      // BFINAL=0, BTYPE=00 (stored), byte-aligned LEN and its one's complement, then the bytes.
      const block = Buffer.alloc(5);
      block.writeUInt16LE(chunk.length, 1);
      block.writeUInt16LE(~chunk.length & 0xffff, 3);
      parts.push(block, chunk);
    }
    // The empty stored block a Z_SYNC_FLUSH ends with. Go's flate reader hands out what it has
    // decoded only when it meets this marker; without it, it reads on for the next block, hits
    // the end of the frame and keeps that error for every later frame (spdystream then never
    // sees the SYN_REPLY).
    parts.push(SYNC_FLUSH_MARKER);
    return Buffer.concat(parts);
  }
}

/** An inflated header block larger than this ends the session (the kubelet's MaxHeaderBytes is 1 MiB). */
export const MAX_HEADER_BLOCK_BYTES = 1024 * 1024;

/** The decompressing side of one direction; `inflate` calls must not overlap (the session queues them). */
export class HeaderInflater {
  readonly #zlib: Inflate = createInflate({ dictionary: SPDY3_DICTIONARY });
  #out: Buffer[] = [];
  #outBytes = 0;
  #failed: Error | undefined;
  #pending: { resolve: (out: Buffer) => void; reject: (err: Error) => void } | undefined;

  constructor() {
    this.#zlib.on('data', (chunk: Buffer) => {
      this.#outBytes += chunk.length;
      // A few compressed bytes can inflate to a lot: stop before holding it all.
      if (this.#outBytes > MAX_HEADER_BLOCK_BYTES) this.#fail(new Error(`header block larger than ${MAX_HEADER_BLOCK_BYTES} bytes`));
      else this.#out.push(chunk);
    });
    this.#zlib.on('error', (err: Error) => this.#fail(err));
  }

  #fail(err: Error): void {
    if (this.#failed) return;
    this.#failed = err;
    this.#out = [];
    this.#zlib.destroy();
    this.#pending?.reject(err);
    this.#pending = undefined;
  }

  inflate(block: Buffer): Promise<Buffer> {
    if (this.#failed) return Promise.reject(this.#failed);
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#zlib.write(block);
      // Every block ends with a sync flush at the sender, so all of its bytes come out here.
      this.#zlib.flush(constants.Z_SYNC_FLUSH, () => {
        const pending = this.#pending;
        this.#pending = undefined;
        const out = Buffer.concat(this.#out);
        this.#out = [];
        this.#outBytes = 0;
        pending?.resolve(out);
      });
    });
  }

  close(): void {
    this.#zlib.destroy();
  }
}
