/**
 * The safetensors container format: an 8-byte little-endian header length, a JSON header
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: {..} }`, then the raw
 * little-endian tensor bytes (offsets are relative to the end of the header).
 * This module only knows the format; which tensors a model needs is checkpoint.ts's job.
 */
import { UserError } from '../util/errors.js';
import { shapeSize } from './tensor.js';
import { f16ToF32, bf16ToF32, LITTLE_ENDIAN_HOST } from '../io/halffloat.js';

/** Bytes per element of every safetensors dtype (so offsets of any tensor can be checked). */
const DTYPE_BYTES: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  U16: 2,
  I16: 2,
  F16: 2,
  BF16: 2,
  U32: 4,
  I32: 4,
  F32: 4,
  U64: 8,
  I64: 8,
  F64: 8,
};

/** The float dtypes ubimoe converts to float32. */
export const FLOAT_DTYPES = ['F32', 'F16', 'BF16'] as const;
export type FloatDtype = (typeof FLOAT_DTYPES)[number];

/** One entry of a parsed header; `begin`/`end` are absolute byte offsets into the file. */
export interface SafetensorsEntry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsFile {
  entries: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
  bytes: Uint8Array;
}

/** Largest header we accept (the reference implementation uses the same 100 MB bound). */
const MAX_HEADER_BYTES = 100_000_000;

/**
 * Parses and validates a whole safetensors file held in memory: header length, JSON, every
 * entry's dtype/shape/offsets (inside the data area, size = elements × dtype size, no overlaps).
 * Any violation is a UserError starting with `what` (usually the file path).
 */
export function parseSafetensors(bytes: Uint8Array, what: string): SafetensorsFile {
  const bad = (msg: string) => new UserError(`${what}: not a valid safetensors file: ${msg}`);
  if (bytes.length < 8) throw bad(`file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > MAX_HEADER_BYTES) throw bad(`header length ${headerLen} is implausibly large`);
  if (8 + headerLen > bytes.length)
    throw bad(`header length ${headerLen} runs past the end of the file (${bytes.length} bytes; truncated?)`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch {
    throw bad('header is not valid UTF-8 JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw bad('header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const entries = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
        throw bad('__metadata__ is not an object');
      metadata = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v)]));
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) throw bad(`tensor '${name}': entry is not an object`);
    if (typeof e.dtype !== 'string') throw bad(`tensor '${name}': missing dtype`);
    const size = DTYPE_BYTES[e.dtype];
    if (size === undefined) throw bad(`tensor '${name}': unknown dtype '${e.dtype}'`);
    const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
    if (!Array.isArray(e.shape) || !e.shape.every(isCount))
      throw bad(`tensor '${name}': shape is not a list of non-negative integers`);
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isCount))
      throw bad(`tensor '${name}': data_offsets is not [begin, end]`);
    const [b, en] = offs as number[];
    const shape = e.shape as number[];
    if (b > en || en > dataLen)
      throw bad(
        `tensor '${name}': data_offsets [${b}, ${en}] lie outside the ${dataLen}-byte data area (truncated?)`,
      );
    const want = shapeSize(shape) * size;
    if (en - b !== want)
      throw bad(
        `tensor '${name}': data_offsets span ${en - b} bytes but ${e.dtype} ${JSON.stringify(shape)} needs ${want}`,
      );
    entries.set(name, { name, dtype: e.dtype, shape, begin: dataStart + b, end: dataStart + en });
  }
  const sorted = [...entries.values()].filter((e) => e.end > e.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i].begin < sorted[i - 1].end)
      throw bad(`tensors '${sorted[i - 1].name}' and '${sorted[i].name}' overlap`);
  return { entries, metadata, bytes };
}

/** Converts one F32/F16/BF16 entry to a fresh Float32Array (little-endian data, any alignment). */
export function decodeFloat(file: SafetensorsFile, entry: SafetensorsEntry): Float32Array {
  const n = shapeSize(entry.shape);
  const { bytes } = file;
  const view = new DataView(bytes.buffer, bytes.byteOffset + entry.begin, entry.end - entry.begin);
  const out = new Float32Array(n);
  switch (entry.dtype) {
    case 'F32':
      if (LITTLE_ENDIAN_HOST && (bytes.byteOffset + entry.begin) % 4 === 0)
        out.set(new Float32Array(bytes.buffer, bytes.byteOffset + entry.begin, n));
      else for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      break;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = f16ToF32(view.getUint16(2 * i, true));
      break;
    case 'BF16':
      for (let i = 0; i < n; i++) out[i] = bf16ToF32(view.getUint16(2 * i, true));
      break;
    default:
      throw new UserError(
        `tensor '${entry.name}' has dtype ${entry.dtype}; only F32, F16 and BF16 are accepted`,
      );
  }
  return out;
}

/** A tensor to write: raw little-endian bytes of the given dtype. */
export interface RawTensor {
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

/**
 * Serialises tensors (in the given order) into safetensors bytes. The header is padded with
 * spaces to a multiple of 8 so every tensor starts 8-byte aligned when its predecessors are.
 */
export function encodeSafetensors(
  tensors: Map<string, RawTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // pad with spaces (valid JSON whitespace) so the data area starts 8-byte aligned
  const headerBytes = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
  headerBytes.set(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    out.set(t.bytes, pos);
    pos += t.bytes.length;
  }
  return out;
}

/** Little-endian F32 bytes of a Float32Array (a copy). */
export function f32Bytes(data: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN_HOST)
    return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i], true);
  return out;
}
