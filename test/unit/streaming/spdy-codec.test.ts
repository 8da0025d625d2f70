import { describe, expect, it } from 'vitest';
import { createDeflate, createInflate } from 'node:zlib';
import { encodeFrame, FLAG_FIN, FrameDecoder, type SpdyFrame } from '../../../agent/streaming/spdy-frames.js';
import { decodeHeaderBlock, encodeHeaderBlock, HeaderDeflater, HeaderInflater } from '../../../agent/streaming/spdy-headers.js';
import { SPDY3_DICTIONARY } from '../../../agent/streaming/spdy-dictionary.js';
import { flushThrough } from '../../helpers/spdy-client.js';

function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

describe('SPDY/3 dictionary', () => {
  it('is the 1423-byte spec dictionary (Adler-32 0xe3c6a7c2, the DICTID spdystream checks)', () => {
    expect(SPDY3_DICTIONARY.length).toBe(1423);
    expect(adler32(SPDY3_DICTIONARY)).toBe(0xe3c6a7c2);
    expect(SPDY3_DICTIONARY.subarray(0, 11).toString('latin1')).toBe('\0\0\0\x07options');
  });
});

describe('SPDY/3 frame codec', () => {
  const frames: Exclude<SpdyFrame, { kind: 'unknown' }>[] = [
    { kind: 'synStream', streamId: 5, associatedId: 0, priority: 3, flags: FLAG_FIN, headerBlock: Buffer.from([1, 2, 3]) },
    { kind: 'synReply', streamId: 5, flags: 0, headerBlock: Buffer.from([9]) },
    { kind: 'headers', streamId: 7, flags: FLAG_FIN, headerBlock: Buffer.alloc(0) },
    { kind: 'rstStream', streamId: 9, status: 5 },
    { kind: 'settings', flags: 1, entries: [{ flags: 0, id: 7, value: 65536 }, { flags: 1, id: 4, value: 100 }] },
    { kind: 'ping', id: 0xfffffffd },
    { kind: 'goAway', lastGoodStreamId: 11, status: 0 },
    { kind: 'windowUpdate', streamId: 3, delta: 0x7fffffff },
    { kind: 'data', streamId: 0x7ffffffd, flags: FLAG_FIN, data: Buffer.from('hello') },
    { kind: 'data', streamId: 1, flags: 0, data: Buffer.alloc(70_000, 7) },
  ];

  it('round-trips every frame type, fed in pieces of any size', () => {
    const wire = Buffer.concat(frames.map((f) => encodeFrame(f)));
    const decoder = new FrameDecoder();
    const out: SpdyFrame[] = [];
    // one byte at a time through the small frames, then larger pieces
    for (let i = 0; i < wire.length; i += i < 200 ? 1 : 4099) out.push(...decoder.push(wire.subarray(i, i < 200 ? i + 1 : i + 4099)));
    expect(out).toEqual(frames);
  });

  it('writes the SPDY/3 control header: C bit, version 3, type, flags, 24-bit length', () => {
    const ping = encodeFrame({ kind: 'ping', id: 1 });
    expect([...ping]).toEqual([0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 1]);
    const data = encodeFrame({ kind: 'data', streamId: 3, flags: FLAG_FIN, data: Buffer.from('x') });
    expect([...data]).toEqual([0, 0, 0, 3, 0x01, 0, 0, 1, 0x78]);
  });

  it('treats another SPDY version and unknown types as ignorable frames', () => {
    const v2 = Buffer.from([0x80, 0x02, 0x00, 0x06, 0, 0, 0, 4, 0, 0, 0, 1]);
    const unknown = Buffer.from([0x80, 0x03, 0x00, 0x0a, 0, 0, 0, 0]);
    expect(new FrameDecoder().push(Buffer.concat([v2, unknown]))).toEqual([
      { kind: 'unknown', type: 6, version: 2, flags: 0 },
      { kind: 'unknown', type: 10, version: 3, flags: 0 },
    ]);
  });

  it('refuses truncated control payloads', () => {
    const shortRst = Buffer.from([0x80, 0x03, 0x00, 0x03, 0, 0, 0, 4, 0, 0, 0, 1]);
    expect(() => new FrameDecoder().push(shortRst)).toThrow(/RST_STREAM frame too short/);
  });
});

describe('SPDY/3 header blocks', () => {
  it('encodes names lowercase with 32-bit lengths and joins repeated values with NUL', () => {
    const raw = encodeHeaderBlock([['StreamType', ['error']], ['x', ['a', 'b']]]);
    expect(raw.readUInt32BE(0)).toBe(2);
    expect(decodeHeaderBlock(raw)).toEqual(
      new Map([
        ['streamtype', ['error']],
        ['x', ['a', 'b']],
      ]),
    );
  });

  it('our stored-block deflater continues one zlib context that a real inflater (with the dictionary) reads across frames', async () => {
    const deflater = new HeaderDeflater();
    const inflate = createInflate({ dictionary: SPDY3_DICTIONARY });
    const blocks = [encodeHeaderBlock([]), encodeHeaderBlock([['streamtype', ['stdout']]]), encodeHeaderBlock([['big', ['v'.repeat(70_000)]]])];
    for (const raw of blocks) {
      const compressed = deflater.compress(raw);
      // ends as a sync flush does: Go's flate reader stops there instead of reading past the frame
      expect(compressed.subarray(-5).toString('hex')).toBe('000000ffff');
      expect(await flushThrough(inflate, compressed)).toEqual(raw);
    }
    const first = new HeaderDeflater().compress(Buffer.alloc(0));
    expect(first.subarray(0, 6).toString('hex')).toBe('78bbe3c6a7c2'); // zlib header with FDICT and the dictionary's id
  });

  it('inflates blocks a real deflater (dictionary, sync flush) wrote in one context over several frames', async () => {
    const deflate = createDeflate({ dictionary: SPDY3_DICTIONARY, level: 9 });
    const inflater = new HeaderInflater();
    const headers = [
      [['streamtype', ['error']]],
      [['streamtype', ['stdin']]],
      [['streamtype', ['data']], ['port', ['8080']], ['requestid', ['0']]],
      [['streamtype', ['data']], ['port', ['8080']], ['requestid', ['1']]],
    ] as const;
    for (const h of headers) {
      const compressed = await flushThrough(deflate, encodeHeaderBlock(h));
      expect(decodeHeaderBlock(await inflater.inflate(compressed))).toEqual(new Map(h.map(([k, v]) => [k, [...v]])));
    }
    inflater.close();
  });

  it('refuses a header block that inflates past 1 MiB (a small compressed block cannot make the agent hold more)', async () => {
    const deflate = createDeflate({ dictionary: SPDY3_DICTIONARY, level: 9 });
    const bomb = await flushThrough(deflate, encodeHeaderBlock([['x', ['a'.repeat(2 * 1024 * 1024)]]]));
    expect(bomb.length).toBeLessThan(10_000);
    await expect(new HeaderInflater().inflate(bomb)).rejects.toThrow(/header block larger than 1048576 bytes/);
  });

  it('rejects a block that is not in the context (corrupt data)', async () => {
    const inflater = new HeaderInflater();
    await expect(inflater.inflate(Buffer.from([0x78, 0xbb, 1, 2, 3, 4, 5, 6]))).rejects.toThrow();
  });
});
