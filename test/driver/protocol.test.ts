import { describe, expect, test } from '@jest/globals';
import {
  ErrorCode,
  FrameDecoder,
  NO_REQUEST,
  ProtocolError,
  crc32,
  encodeError,
  encodeFrame,
  encodeHello,
  encodeRequest,
  encodeResponse,
  encodeShutdown,
  type Frame,
  type ModelShape,
} from '../../src/driver/protocol.js';

const model: ModelShape = {
  channels: 3,
  height: 4,
  width: 4,
  tokens: 3,
  dim: 2,
  moeBlocks: 1,
  topK: 2,
  tasks: 2,
};

function cat(parts: Buffer[]): Buffer {
  return Buffer.concat(parts);
}

/** A small deterministic PRNG (xorshift32) so fuzz failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

function sampleFrames(): Buffer[] {
  return [
    cat(encodeHello({ backend: 'csim', designHash: 'ab'.repeat(32), model, maxInFlight: 2 })),
    cat(
      encodeRequest({
        id: 7,
        task: 1,
        kind: 'image',
        dims: [3, 4, 4],
        data: new Float32Array(48).map((_, i) => i / 7),
      }),
    ),
    cat(
      encodeResponse({
        id: 7,
        status: 0,
        tokens: 3,
        dim: 2,
        moeBlocks: 1,
        topK: 2,
        deviceCycles: 123n,
        deviceNs: 456n,
        output: Float32Array.from([1, 2, 3, 4, 5, 6]),
        experts: Int32Array.from([0, 1, 2, 3, 1, 0]),
      }),
    ),
    cat(encodeError(9, ErrorCode.BAD_TASK, 'task 5 out of range')),
    cat(encodeShutdown()),
  ];
}

describe('crc32', () => {
  test('matches the IEEE check value and is incremental', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    const a = Buffer.from('hello ');
    const b = Buffer.from('world');
    expect(crc32(b, crc32(a))).toBe(crc32(Buffer.concat([a, b])));
    // empty parts leave the CRC alone (zlib would reset it for a NULL buffer)
    expect(crc32(Buffer.from(new Int32Array(0).buffer), 1234)).toBe(1234);
  });

  test('a dense model response (no expert choices) round-trips', () => {
    const frame = cat(
      encodeResponse({
        id: 3,
        status: 0,
        tokens: 1,
        dim: 2,
        moeBlocks: 0,
        topK: 0,
        deviceCycles: 0n,
        deviceNs: 0n,
        output: Float32Array.from([1, 2]),
        experts: new Int32Array(0),
      }),
    );
    const [f] = new FrameDecoder(1 << 10).push(frame);
    expect(f).toMatchObject({ type: 'response', id: 3, moeBlocks: 0 });
  });
});

describe('frame round trip', () => {
  test('every frame type decodes to what was encoded', () => {
    const dec = new FrameDecoder(1 << 20);
    const frames = dec.push(Buffer.concat(sampleFrames()));
    expect(frames.map((f) => f.type)).toEqual(['hello', 'request', 'response', 'error', 'shutdown']);
    const [hello, req, resp, err] = frames as [
      Extract<Frame, { type: 'hello' }>,
      Extract<Frame, { type: 'request' }>,
      Extract<Frame, { type: 'response' }>,
      Extract<Frame, { type: 'error' }>,
    ];
    expect(hello).toMatchObject({
      backend: 'csim',
      designHash: 'ab'.repeat(32),
      model,
      maxInFlight: 2,
      version: 1,
    });
    expect(req).toMatchObject({ id: 7, task: 1, kind: 'image', dims: [3, 4, 4] });
    expect(Array.from(req.data.subarray(0, 3))).toEqual([0, Math.fround(1 / 7), Math.fround(2 / 7)]);
    expect(resp.deviceCycles).toBe(123n);
    expect(Array.from(resp.output)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(resp.experts)).toEqual([0, 1, 2, 3, 1, 0]);
    expect(err).toMatchObject({
      id: 9,
      code: ErrorCode.BAD_TASK,
      codeName: 'BAD_TASK',
      message: 'task 5 out of range',
    });
    expect(dec.pending).toBe(0);
    expect(() => dec.end()).not.toThrow();
  });

  test('frames split at every byte boundary decode the same', () => {
    const all = Buffer.concat(sampleFrames());
    for (let cut = 1; cut < all.length; cut += 7) {
      const dec = new FrameDecoder(1 << 20);
      const frames = [...dec.push(all.subarray(0, cut)), ...dec.push(all.subarray(cut))];
      expect(frames).toHaveLength(5);
    }
    // one byte at a time
    const dec = new FrameDecoder(1 << 20);
    let n = 0;
    for (let i = 0; i < all.length; i++) n += dec.push(all.subarray(i, i + 1)).length;
    expect(n).toBe(5);
  });

  test('an unaligned chunk still yields correct floats', () => {
    const frame = cat(
      encodeRequest({
        id: 1,
        task: 0,
        kind: 'tokens',
        dims: [3, 2, 1],
        data: Float32Array.from([1.5, -2, 3, 4, 5, 6]),
      }),
    );
    const padded = Buffer.alloc(frame.length + 1);
    frame.copy(padded, 1);
    const [f] = new FrameDecoder(1 << 20).push(padded.subarray(1));
    expect(Array.from((f as Extract<Frame, { type: 'request' }>).data)).toEqual([1.5, -2, 3, 4, 5, 6]);
  });
});

describe('malformed input', () => {
  const codeOf = (bytes: Buffer, maxBody = 1 << 20): number | 'ok' => {
    try {
      const dec = new FrameDecoder(maxBody);
      dec.push(bytes);
      dec.end();
      return 'ok';
    } catch (err) {
      expect(err).toBeInstanceOf(ProtocolError);
      return (err as ProtocolError).code;
    }
  };
  const req = () =>
    cat(encodeRequest({ id: 1, task: 0, kind: 'tokens', dims: [3, 2, 1], data: new Float32Array(6) }));

  test('each kind of damage has its error code', () => {
    const badMagic = req();
    badMagic[0] = 0x58;
    expect(codeOf(badMagic)).toBe(ErrorCode.BAD_MAGIC);
    const badVersion = req();
    badVersion[4] = 2;
    expect(codeOf(badVersion)).toBe(ErrorCode.BAD_VERSION);
    const flipped = req();
    flipped[30] ^= 1;
    expect(codeOf(flipped)).toBe(ErrorCode.BAD_CHECKSUM);
    expect(codeOf(req().subarray(0, 20))).toBe(ErrorCode.TRUNCATED);
    expect(codeOf(req(), 10)).toBe(ErrorCode.BAD_LENGTH);
    expect(codeOf(cat(encodeError(NO_REQUEST, 1, '')).subarray(0, 3))).toBe(ErrorCode.TRUNCATED);
  });

  test('a checksummed frame whose body contradicts its type is refused', () => {
    const body = Buffer.alloc(40); // a response head announcing 3×2 tokens but carrying none
    body.writeUInt32LE(3, 4);
    body.writeUInt32LE(2, 8);
    expect(codeOf(cat(encodeFrame(3, 0, [body])))).toBe(ErrorCode.BAD_LENGTH);
    expect(codeOf(cat(encodeFrame(99, 0, [])))).toBe(ErrorCode.BAD_TYPE);
    expect(codeOf(cat(encodeFrame(1, 0, [Buffer.alloc(5)])))).toBe(ErrorCode.BAD_LENGTH);
  });

  test('a dead decoder stays dead', () => {
    const dec = new FrameDecoder();
    expect(() => dec.push(Buffer.from('garbage!'))).toThrow(ProtocolError);
    expect(() => dec.push(req())).toThrow(ProtocolError);
  });

  test('fuzz: random bytes, truncations and bit flips only ever give frames or a ProtocolError', () => {
    const rand = rng(12345);
    const valid = Buffer.concat(sampleFrames());
    let frames = 0;
    let errors = 0;
    for (let iter = 0; iter < 3000; iter++) {
      let bytes: Buffer;
      const mode = iter % 4;
      if (mode === 0)
        bytes = Buffer.from(Array.from({ length: Math.floor(rand() * 200) }, () => Math.floor(rand() * 256)));
      else if (mode === 1) bytes = valid.subarray(0, Math.floor(rand() * valid.length));
      else {
        bytes = Buffer.from(valid);
        const flips = 1 + Math.floor(rand() * 4);
        for (let k = 0; k < flips; k++)
          bytes[Math.floor(rand() * bytes.length)] ^= 1 << Math.floor(rand() * 8);
        if (mode === 3) {
          // keep the header valid but re-checksum, so body parsing itself is fuzzed
          bytes = resign(bytes);
        }
      }
      const dec = new FrameDecoder(1 << 16);
      try {
        // feed in random chunk sizes
        let at = 0;
        while (at < bytes.length) {
          const n = 1 + Math.floor(rand() * 64);
          frames += dec.push(bytes.subarray(at, at + n)).length;
          at += n;
        }
        dec.end();
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        errors++;
      }
    }
    expect(frames).toBeGreaterThan(0);
    expect(errors).toBeGreaterThan(0);
  });
});

// Recomputes the checksum of each frame in a (possibly damaged) buffer whose headers still parse,
// so the fuzzer reaches the body decoders.
function resign(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  let at = 0;
  while (at + 16 <= out.length) {
    const len = out.readUInt32LE(at + 12);
    const end = at + 16 + len;
    if (end + 4 > out.length) break;
    out.writeUInt32LE(crc32(out.subarray(at, end)), end);
    at = end + 4;
  }
  return out;
}
