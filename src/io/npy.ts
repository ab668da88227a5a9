/**
 * NumPy .npy files (format versions 1.0-3.0), C order only.
 * Reads float32, float16 (converted to float32), uint8 and int32 (expert choices); writes float32 (format 1.0), atomically.
 * Any malformed file is a UserError naming the file and what is wrong.
 */
import { UserError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { f16ToF32, LITTLE_ENDIAN_HOST } from './halffloat.js';
import { readUserFile } from '../util/readfile.js';

export type NpyDtype = 'float32' | 'float16' | 'uint8' | 'int32';

export interface NpyArray {
  shape: number[];
  dtype: NpyDtype;
  /** float32 and float16 files -> Float32Array; uint8 -> Uint8Array; int32 -> Int32Array. */
  data: Float32Array | Uint8Array | Int32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/** descr string -> (dtype, bytes per element, little-endian?) */
const DESCRS: Record<string, { dtype: NpyDtype; size: number; little: boolean }> = {
  '<f4': { dtype: 'float32', size: 4, little: true },
  '>f4': { dtype: 'float32', size: 4, little: false },
  '<f2': { dtype: 'float16', size: 2, little: true },
  '>f2': { dtype: 'float16', size: 2, little: false },
  '|u1': { dtype: 'uint8', size: 1, little: true },
  '<u1': { dtype: 'uint8', size: 1, little: true },
  '>u1': { dtype: 'uint8', size: 1, little: true },
  '<i4': { dtype: 'int32', size: 4, little: true },
  '>i4': { dtype: 'int32', size: 4, little: false },
};

/** Parses .npy bytes; `what` (the file name) starts every error message. */
export function decodeNpy(bytes: Uint8Array, what: string): NpyArray {
  const bad = (msg: string) => new UserError(`${what}: not a valid .npy file: ${msg}`);
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b))
    throw bad('bad magic (expected \\x93NUMPY)');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw bad('truncated header');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else throw bad(`unsupported format version ${major}.${bytes[7]}`);
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length)
    throw bad(`header length ${headerLen} runs past the end of the file (truncated?)`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(headerStart, dataStart),
  );

  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (
    !header.trimStart().startsWith('{') ||
    descr === undefined ||
    fortran === undefined ||
    shapeText === undefined
  )
    throw bad(
      `header is not a dict with descr, fortran_order and shape: ${JSON.stringify(header.trim().slice(0, 120))}`,
    );
  if (fortran === 'True')
    throw new UserError(
      `${what}: Fortran-order arrays are not supported; save it in C order (np.ascontiguousarray)`,
    );
  const kind = DESCRS[descr];
  if (!kind) throw new UserError(`${what}: dtype '${descr}' is not supported (float32, float16, uint8 or int32)`);
  const dims = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (!dims.every((s) => /^\d+L?$/.test(s)))
    throw bad(`shape (${shapeText}) is not a tuple of non-negative integers`);
  const shape = dims.map((s) => parseInt(s, 10));
  const count = shape.reduce((a, b) => a * b, 1);
  const want = count * kind.size;
  const have = bytes.length - dataStart;
  if (have !== want)
    throw bad(
      `shape (${shape.join(', ')}) of ${descr} needs ${want} data bytes, the file has ${have}${have < want ? ' (truncated?)' : ''}`,
    );

  const at = bytes.byteOffset + dataStart;
  if (kind.dtype === 'uint8')
    return { shape, dtype: 'uint8', data: new Uint8Array(bytes.subarray(dataStart)) };
  const dv = new DataView(bytes.buffer, at, want);
  if (kind.dtype === 'int32') {
    const ints = new Int32Array(count);
    for (let i = 0; i < count; i++) ints[i] = dv.getInt32(4 * i, kind.little);
    return { shape, dtype: 'int32', data: ints };
  }
  const data = new Float32Array(count);
  if (kind.dtype === 'float32') {
    if (kind.little && LITTLE_ENDIAN_HOST && at % 4 === 0)
      data.set(new Float32Array(bytes.buffer, at, count));
    else for (let i = 0; i < count; i++) data[i] = dv.getFloat32(4 * i, kind.little);
  } else {
    for (let i = 0; i < count; i++) data[i] = f16ToF32(dv.getUint16(2 * i, kind.little));
  }
  return { shape, dtype: kind.dtype, data };
}

/** Reads a .npy file (float32, float16 -> Float32Array; uint8; int32). */
export function readNpy(path: string): NpyArray {
  return decodeNpy(readUserFile(path), path);
}

/**
 * Reads a .npy file as float32 (uint8 values are converted as they are, 0..255, not rescaled).
 * `expectShape` (optional) checks the shape; `null` entries match any size, e.g. `[null, 3, 32, 32]`.
 */
export function readNpyFloat32(
  path: string,
  expectShape?: ReadonlyArray<number | null>,
): { shape: number[]; data: Float32Array } {
  const arr = readNpy(path);
  if (expectShape) {
    const ok =
      arr.shape.length === expectShape.length &&
      expectShape.every((d, i) => d === null || d === arr.shape[i]);
    if (!ok)
      throw new UserError(
        `${path}: shape (${arr.shape.join(', ')}) does not match the expected (${expectShape.map((d) => (d === null ? 'any' : d)).join(', ')})`,
      );
  }
  return {
    shape: arr.shape,
    data: arr.data instanceof Float32Array ? arr.data : Float32Array.from(arr.data),
  };
}

/** .npy (format 1.0, little-endian float32, C order) bytes of an array. */
export function encodeNpy(shape: readonly number[], data: Float32Array): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length)
    throw new Error(`encodeNpy: shape (${shape.join(', ')}) needs ${count} values, got ${data.length}`);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0))
    throw new Error(`encodeNpy: bad shape (${shape.join(', ')})`);
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${tuple}, }`;
  // magic(6) + version(2) + length(2) + header, padded with spaces and ending in \n, to a multiple of 64
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.length * 4);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  dv.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  if (LITTLE_ENDIAN_HOST) out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  else for (let i = 0; i < data.length; i++) dv.setFloat32(total + 4 * i, data[i], true);
  return out;
}

/** Writes a float32 array as .npy, atomically (temp file + rename). */
export function writeNpy(path: string, shape: readonly number[], data: Float32Array): void {
  writeFileAtomic(path, encodeNpy(shape, data));
}
