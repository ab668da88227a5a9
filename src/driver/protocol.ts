/**
 * The ubimoe runner protocol, version 1 (docs/protocol.md; C++ side: hls/runner/ubimoe_protocol.h).
 * Frame = 16-byte header | body | CRC-32 of header and body. All integers little-endian.
 * This module only encodes and decodes; it never trusts a byte it has not checked: every
 * malformed input ends in a ProtocolError, never in another exception or a wrong value.
 */
import * as zlib from 'node:zlib';

export const PROTOCOL_VERSION = 1;
export const HEADER_BYTES = 16;
export const TRAILER_BYTES = 4;
export const HASH_BYTES = 64;
export const HELLO_BODY_BYTES = 8 + HASH_BYTES + 9 * 4;
export const REQUEST_HEAD_BYTES = 24;
export const RESPONSE_HEAD_BYTES = 40;
export const MAX_ERROR_MESSAGE = 1024;
export const NO_REQUEST = 0xffffffff;
const MAGIC = Buffer.from('UBMF', 'ascii');

export const FrameType = { hello: 1, request: 2, response: 3, error: 4, shutdown: 5 } as const;
export const InputKind = { image: 1, tokens: 2 } as const;
export const DTYPE_FLOAT32 = 1;
export const BACKENDS: Record<number, string> = { 1: 'csim', 2: 'xrt' };

/** Error codes of error frames (same numbers as the C++ header). */
export const ErrorCode = {
  BAD_MAGIC: 1,
  BAD_VERSION: 2,
  BAD_CHECKSUM: 3,
  TRUNCATED: 4,
  BAD_TYPE: 5,
  BAD_LENGTH: 6,
  BAD_SHAPE: 7,
  BAD_TASK: 8,
  BAD_VALUE: 9,
  BAD_DTYPE: 10,
  WEIGHTS: 11,
  DEVICE: 12,
  FORWARD: 13,
  USAGE: 14,
  IO: 15,
} as const;
export type ErrorCodeName = keyof typeof ErrorCode;

export function errorCodeName(code: number): string {
  for (const [name, value] of Object.entries(ErrorCode)) if (value === code) return name;
  return `UNKNOWN(${code})`;
}

/** Exit statuses of a runner, for messages. */
export const RUNNER_EXIT: Record<number, string> = {
  0: 'ok',
  2: 'usage error',
  3: 'protocol error',
  4: 'weights refused',
  5: 'no device',
};

export interface ModelShape {
  channels: number;
  height: number;
  width: number;
  tokens: number;
  dim: number;
  moeBlocks: number;
  topK: number;
  tasks: number;
}

export interface HelloFrame {
  type: 'hello';
  version: number;
  backend: string;
  designHash: string;
  model: ModelShape;
  maxInFlight: number;
}

export interface RequestFrame {
  type: 'request';
  id: number;
  task: number;
  kind: 'image' | 'tokens';
  dims: [number, number, number];
  data: Float32Array;
}

export interface ResponseFrame {
  type: 'response';
  id: number;
  status: number;
  tokens: number;
  dim: number;
  moeBlocks: number;
  topK: number;
  deviceCycles: bigint; // 0 = unknown
  deviceNs: bigint; // 0 = unknown
  output: Float32Array; // [tokens, dim]
  experts: Int32Array; // [moeBlocks, tokens, topK]
}

export interface ErrorFrame {
  type: 'error';
  id: number; // NO_REQUEST when not tied to a request
  code: number;
  codeName: string;
  message: string;
}

export interface ShutdownFrame {
  type: 'shutdown';
}

export type Frame = HelloFrame | RequestFrame | ResponseFrame | ErrorFrame | ShutdownFrame;

/** A byte stream that is not a valid frame sequence. `code` is one of ErrorCode. */
export class ProtocolError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

// ---- CRC-32 (IEEE, as zlib): native where Node has it (>= 20.15), a table otherwise ----
let table: Uint32Array | undefined;
function crc32Js(data: Uint8Array, crc: number): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
const nativeCrc = (zlib as unknown as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;
/** Incremental CRC-32: crc32(b, crc32(a)) === crc32(a ++ b). */
export function crc32(data: Uint8Array, crc = 0): number {
  // an empty view of an empty ArrayBuffer reaches zlib as a NULL pointer, for which zlib returns 0
  if (data.byteLength === 0) return crc >>> 0;
  return nativeCrc ? nativeCrc(data, crc) : crc32Js(data, crc);
}

function bytesOf(a: Float32Array | Int32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * Encodes a frame as a list of buffers (header, body parts, trailer) so large payloads are
 * written without being copied; `Buffer.concat` the list for one buffer.
 */
export function encodeFrame(type: number, id: number, parts: Uint8Array[]): Buffer[] {
  const bodyBytes = parts.reduce((s, p) => s + p.byteLength, 0);
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt8(PROTOCOL_VERSION, 4);
  header.writeUInt8(type, 5);
  header.writeUInt32LE(id >>> 0, 8);
  header.writeUInt32LE(bodyBytes, 12);
  let crc = crc32(header);
  for (const p of parts) crc = crc32(p, crc);
  const trailer = Buffer.alloc(TRAILER_BYTES);
  trailer.writeUInt32LE(crc >>> 0, 0);
  return [header, ...parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)), trailer];
}

export function encodeRequest(r: Omit<RequestFrame, 'type'>): Buffer[] {
  const head = Buffer.alloc(REQUEST_HEAD_BYTES);
  head.writeUInt32LE(r.task, 0);
  head.writeUInt32LE(InputKind[r.kind], 4);
  r.dims.forEach((d, i) => head.writeUInt32LE(d, 8 + 4 * i));
  head.writeUInt32LE(DTYPE_FLOAT32, 20);
  return encodeFrame(FrameType.request, r.id, [head, bytesOf(r.data)]);
}

export function encodeShutdown(): Buffer[] {
  return encodeFrame(FrameType.shutdown, NO_REQUEST, []);
}

export function encodeHello(h: Omit<HelloFrame, 'type' | 'version'>): Buffer[] {
  const body = Buffer.alloc(HELLO_BODY_BYTES);
  body.writeUInt16LE(PROTOCOL_VERSION, 0);
  const backendCode = Number(Object.entries(BACKENDS).find(([, n]) => n === h.backend)?.[0] ?? 0);
  body.writeUInt16LE(backendCode, 2);
  body.write(h.designHash.slice(0, HASH_BYTES), 8, 'ascii');
  const m = h.model;
  [m.channels, m.height, m.width, m.tokens, m.dim, m.moeBlocks, m.topK, m.tasks, h.maxInFlight].forEach(
    (v, i) => body.writeUInt32LE(v, 8 + HASH_BYTES + 4 * i),
  );
  return encodeFrame(FrameType.hello, NO_REQUEST, [body]);
}

export function encodeResponse(r: Omit<ResponseFrame, 'type'>): Buffer[] {
  const head = Buffer.alloc(RESPONSE_HEAD_BYTES);
  [r.status, r.tokens, r.dim, r.moeBlocks, r.topK].forEach((v, i) => head.writeUInt32LE(v, 4 * i));
  head.writeBigUInt64LE(r.deviceCycles, 24);
  head.writeBigUInt64LE(r.deviceNs, 32);
  return encodeFrame(FrameType.response, r.id, [head, bytesOf(r.output), bytesOf(r.experts)]);
}

export function encodeError(id: number, code: number, message: string): Buffer[] {
  const msg = Buffer.from(message, 'utf8').subarray(0, MAX_ERROR_MESSAGE);
  const head = Buffer.alloc(4);
  head.writeUInt32LE(code, 0);
  return encodeFrame(FrameType.error, id, [head, msg]);
}

// ---- decoding ----

function copyFloats(body: Buffer, offset: number, count: number): Float32Array {
  const out = new Float32Array(count);
  new Uint8Array(out.buffer).set(body.subarray(offset, offset + 4 * count));
  return out;
}
function copyInts(body: Buffer, offset: number, count: number): Int32Array {
  const out = new Int32Array(count);
  new Uint8Array(out.buffer).set(body.subarray(offset, offset + 4 * count));
  return out;
}

function fail(code: number, message: string): never {
  throw new ProtocolError(code, message);
}

/** Decodes one checked frame body by type; any inconsistency is a ProtocolError. */
export function decodeBody(type: number, id: number, body: Buffer): Frame {
  switch (type) {
    case FrameType.hello: {
      if (body.length !== HELLO_BODY_BYTES)
        fail(ErrorCode.BAD_LENGTH, `hello body of ${body.length} bytes (expected ${HELLO_BODY_BYTES})`);
      const version = body.readUInt16LE(0);
      if (version !== PROTOCOL_VERSION)
        fail(
          ErrorCode.BAD_VERSION,
          `runner speaks protocol version ${version}, this driver ${PROTOCOL_VERSION}`,
        );
      const rawHash = body.subarray(8, 8 + HASH_BYTES);
      const end = rawHash.indexOf(0);
      const designHash = rawHash.subarray(0, end < 0 ? HASH_BYTES : end).toString('latin1');
      const f = (i: number) => body.readUInt32LE(8 + HASH_BYTES + 4 * i);
      return {
        type: 'hello',
        version,
        backend: BACKENDS[body.readUInt16LE(2)] ?? `unknown(${body.readUInt16LE(2)})`,
        designHash,
        model: {
          channels: f(0),
          height: f(1),
          width: f(2),
          tokens: f(3),
          dim: f(4),
          moeBlocks: f(5),
          topK: f(6),
          tasks: f(7),
        },
        maxInFlight: f(8),
      };
    }
    case FrameType.request: {
      if (body.length < REQUEST_HEAD_BYTES)
        fail(ErrorCode.BAD_LENGTH, `request body of ${body.length} bytes is too short`);
      const kindCode = body.readUInt32LE(4);
      const kind =
        kindCode === InputKind.image ? 'image' : kindCode === InputKind.tokens ? 'tokens' : undefined;
      if (!kind) fail(ErrorCode.BAD_SHAPE, `request kind ${kindCode} unknown`);
      if (body.readUInt32LE(20) !== DTYPE_FLOAT32)
        fail(ErrorCode.BAD_DTYPE, `request dtype ${body.readUInt32LE(20)} unknown`);
      const dims: [number, number, number] = [
        body.readUInt32LE(8),
        body.readUInt32LE(12),
        body.readUInt32LE(16),
      ];
      const count = dims[0] * dims[1] * dims[2];
      if (body.length !== REQUEST_HEAD_BYTES + 4 * count)
        fail(
          ErrorCode.BAD_LENGTH,
          `request body of ${body.length} bytes does not hold ${count} float32 values`,
        );
      return {
        type: 'request',
        id,
        task: body.readUInt32LE(0),
        kind,
        dims,
        data: copyFloats(body, REQUEST_HEAD_BYTES, count),
      };
    }
    case FrameType.response: {
      if (body.length < RESPONSE_HEAD_BYTES)
        fail(ErrorCode.BAD_LENGTH, `response body of ${body.length} bytes is too short`);
      const [status, tokens, dim, moeBlocks, topK] = [0, 1, 2, 3, 4].map((i) => body.readUInt32LE(4 * i));
      const outCount = tokens * dim;
      const expertCount = moeBlocks * tokens * topK;
      if (body.length !== RESPONSE_HEAD_BYTES + 4 * (outCount + expertCount))
        fail(
          ErrorCode.BAD_LENGTH,
          `response body of ${body.length} bytes does not match its shape [${tokens},${dim}] + experts [${moeBlocks},${tokens},${topK}]`,
        );
      return {
        type: 'response',
        id,
        status,
        tokens,
        dim,
        moeBlocks,
        topK,
        deviceCycles: body.readBigUInt64LE(24),
        deviceNs: body.readBigUInt64LE(32),
        output: copyFloats(body, RESPONSE_HEAD_BYTES, outCount),
        experts: copyInts(body, RESPONSE_HEAD_BYTES + 4 * outCount, expertCount),
      };
    }
    case FrameType.error: {
      if (body.length < 4 || body.length > 4 + MAX_ERROR_MESSAGE)
        fail(
          ErrorCode.BAD_LENGTH,
          `error body of ${body.length} bytes (expected 4..${4 + MAX_ERROR_MESSAGE})`,
        );
      const code = body.readUInt32LE(0);
      return {
        type: 'error',
        id,
        code,
        codeName: errorCodeName(code),
        message: body.subarray(4).toString('utf8'),
      };
    }
    case FrameType.shutdown:
      if (body.length !== 0) fail(ErrorCode.BAD_LENGTH, `shutdown body of ${body.length} bytes (expected 0)`);
      return { type: 'shutdown' };
    default:
      return fail(ErrorCode.BAD_TYPE, `unknown frame type ${type}`);
  }
}

/**
 * Incremental decoder for a byte stream (a runner's stdout): push chunks, get whole frames.
 * `maxBody` bounds what it will buffer for one frame; a larger announced body is refused at once.
 * After a ProtocolError the decoder is dead (the stream cannot be resynchronised).
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private dead: ProtocolError | undefined;

  constructor(public maxBody = HELLO_BODY_BYTES + MAX_ERROR_MESSAGE) {}

  /** Bytes received but not yet part of a whole frame. */
  get pending(): number {
    return this.buffered;
  }

  push(chunk: Uint8Array): Frame[] {
    if (this.dead) throw this.dead;
    if (chunk.length) {
      this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.buffered += chunk.length;
    }
    const frames: Frame[] = [];
    try {
      for (;;) {
        const f = this.next();
        if (!f) break;
        frames.push(f);
      }
    } catch (err) {
      this.dead = err instanceof ProtocolError ? err : new ProtocolError(ErrorCode.IO, String(err));
      this.chunks = [];
      this.buffered = 0;
      throw this.dead;
    }
    return frames;
  }

  /** The stream ended: an unfinished frame is a truncation. */
  end(): void {
    if (this.dead) throw this.dead;
    if (this.buffered > 0)
      throw (this.dead = new ProtocolError(
        ErrorCode.TRUNCATED,
        `stream ended inside a frame (${this.buffered} bytes pending)`,
      ));
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const c = this.chunks[0];
        const k = Math.min(c.length, n - filled);
        c.copy(out, filled, 0, k);
        filled += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.buffered -= n;
    return out;
  }

  private peekHeader(): Buffer {
    const first = this.chunks[0];
    if (first.length >= HEADER_BYTES) return first.subarray(0, HEADER_BYTES);
    const h = Buffer.allocUnsafe(HEADER_BYTES);
    let filled = 0;
    for (const c of this.chunks) {
      const k = Math.min(c.length, HEADER_BYTES - filled);
      c.copy(h, filled, 0, k);
      filled += k;
      if (filled === HEADER_BYTES) break;
    }
    return h;
  }

  private next(): Frame | undefined {
    if (this.buffered < HEADER_BYTES) {
      // check the magic as soon as its bytes are here, so garbage fails fast
      if (this.buffered > 0) {
        const have = Buffer.concat(this.chunks).subarray(0, Math.min(4, this.buffered));
        if (!MAGIC.subarray(0, have.length).equals(have))
          fail(ErrorCode.BAD_MAGIC, 'bad frame magic (expected "UBMF")');
      }
      return undefined;
    }
    const header = this.peekHeader();
    if (!header.subarray(0, 4).equals(MAGIC)) fail(ErrorCode.BAD_MAGIC, 'bad frame magic (expected "UBMF")');
    if (header[4] !== PROTOCOL_VERSION)
      fail(ErrorCode.BAD_VERSION, `frame of protocol version ${header[4]} (expected ${PROTOCOL_VERSION})`);
    if (header.readUInt16LE(6) !== 0) fail(ErrorCode.BAD_TYPE, 'reserved header bytes are not zero');
    const type = header[5];
    const id = header.readUInt32LE(8);
    const bodyBytes = header.readUInt32LE(12);
    if (bodyBytes > this.maxBody)
      fail(ErrorCode.BAD_LENGTH, `frame body of ${bodyBytes} bytes exceeds the limit of ${this.maxBody}`);
    const total = HEADER_BYTES + bodyBytes + TRAILER_BYTES;
    if (this.buffered < total) return undefined;
    const frame = this.take(total);
    const body = frame.subarray(HEADER_BYTES, HEADER_BYTES + bodyBytes);
    const crc = crc32(frame.subarray(0, HEADER_BYTES + bodyBytes));
    if (crc !== frame.readUInt32LE(HEADER_BYTES + bodyBytes))
      fail(ErrorCode.BAD_CHECKSUM, `frame checksum mismatch (type ${type}, request ${id})`);
    return decodeBody(type, id, body);
  }
}

/** Largest response body for a model shape (output tokens + expert choices). */
export function maxResponseBody(m: ModelShape): number {
  return RESPONSE_HEAD_BYTES + 4 * (m.tokens * m.dim + m.moeBlocks * m.tokens * m.topK);
}
