/**
 * PNG frames -> model input images (docs/model.md, "Data files"): decoded with pngjs (pure JS),
 * resized to the model's H×W by bilinear interpolation, scaled to [0,1], normalised per channel
 * with the model's mean/std. Output: float32 [C, H, W].
 */
import { PNG } from 'pngjs';
import { inflateSync } from 'node:zlib';
import { normalisation, type ModelConfig } from '../model/config.js';
import { UserError, describeError } from '../util/errors.js';
import { readUserFile } from '../util/readfile.js';

export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array; // RGBA, 8 bits per channel, row-major
}

export function decodePng(bytes: Uint8Array, what: string): RgbaImage {
  // pngjs's own messages do not say what is wrong ("read requests waitng on finished stream" for
  // any truncation, "unrecognised content at end of stream" for a bad signature or checksum), so
  // the chunk structure is checked first and its fault named; pngjs then decodes a sound file.
  const fault = pngStructureFault(bytes);
  if (fault) throw new UserError(`${what}: not a readable PNG (${fault})`);
  try {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    if (!png.width || !png.height) throw new Error('empty image');
    return { width: png.width, height: png.height, data: png.data };
  } catch (err) {
    throw new UserError(`${what}: not a readable PNG (${decodeFault(err)})`);
  }
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

let crcTable: Uint32Array | undefined;
function crc32(bytes: Uint8Array, start: number, end: number): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * What is wrong with a PNG's container, in a few words, or undefined when it is sound: the
 * signature, every chunk's length and CRC, IHDR first, IDAT present, IEND reached.
 */
export function pngStructureFault(b: Uint8Array): string | undefined {
  if (b.length === 0) return 'empty file';
  if (b.length < 8 || SIGNATURE.some((v, i) => b[i] !== v)) return 'no PNG signature: not a PNG file';
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let at = 8;
  let first = true;
  let idat = false;
  let header: Uint8Array | undefined;
  const data: Uint8Array[] = [];
  while (at < b.length) {
    if (at + 8 > b.length) return `truncated: ${b.length} bytes, cut inside a chunk header at byte ${at}`;
    const len = view.getUint32(at);
    const type = String.fromCharCode(b[at + 4], b[at + 5], b[at + 6], b[at + 7]);
    if (!/^[A-Za-z]{4}$/.test(type)) return `corrupted: no valid chunk header at byte ${at}`;
    if (at + 12 + len > b.length)
      return `truncated: ${b.length} bytes, the ${type} chunk at byte ${at} needs ${at + 12 + len}`;
    if (crc32(b, at + 4, at + 8 + len) !== view.getUint32(at + 8 + len))
      return `corrupted: the ${type} chunk at byte ${at} fails its CRC check`;
    if (first) {
      if (type !== 'IHDR') return `the first chunk is ${type}, not IHDR`;
      header = b.subarray(at + 8, at + 8 + len);
      const bad = headerFault(header);
      if (bad) return bad;
    }
    first = false;
    if (type === 'IDAT') {
      idat = true;
      data.push(b.subarray(at + 8, at + 8 + len));
    }
    if (type === 'IEND') return idat ? imageDataFault(header!, data) : 'no image data (no IDAT chunk)';
    at += 12 + len;
  }
  return `truncated: ${b.length} bytes, no IEND chunk`;
}

/** Samples per pixel of each colour type (grey, RGB, palette, grey+alpha, RGBA). */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/**
 * The IDAT stream must inflate (zlib) to at least the filtered scanlines the header promises:
 * pngjs's synchronous reader does not reliably reject bad compressed data (it may return an image
 * of zeros), so this is checked here, the same way every time.
 */
function imageDataFault(h: Uint8Array, parts: Uint8Array[]): string | undefined {
  const v = new DataView(h.buffer, h.byteOffset, h.byteLength);
  const [w, ht, depth, colour, interlace] = [v.getUint32(0), v.getUint32(4), h[8], h[9], h[12]];
  const rowBytes = (cw: number) => Math.ceil((cw * CHANNELS[colour] * depth) / 8);
  // Adam7: seven passes over sub-images; a pass with no pixels has no scanlines
  const passes =
    interlace === 1
      ? [
          [0, 0, 8, 8],
          [4, 0, 8, 8],
          [0, 4, 4, 8],
          [2, 0, 4, 4],
          [0, 2, 2, 4],
          [1, 0, 2, 2],
          [0, 1, 1, 2],
        ]
      : [[0, 0, 1, 1]];
  let need = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((w - x0) / dx);
    const ph = Math.ceil((ht - y0) / dy);
    if (pw > 0 && ph > 0) need += ph * (1 + rowBytes(pw));
  }
  let got: number;
  try {
    got = inflateSync(Buffer.concat(parts)).length;
  } catch {
    return 'its compressed image data is corrupt or too short';
  }
  return got < need ? 'its compressed image data is corrupt or too short' : undefined;
}

/** Bit depths PNG allows per colour type (PNG spec, IHDR). */
const DEPTHS: Record<number, number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

function headerFault(h: Uint8Array): string | undefined {
  if (h.length !== 13) return `the IHDR chunk is ${h.length} bytes, not 13`;
  const v = new DataView(h.buffer, h.byteOffset, h.byteLength);
  const [w, ht] = [v.getUint32(0), v.getUint32(4)];
  if (w === 0 || ht === 0) return `the image is ${w}×${ht} pixels`;
  const [depth, colour, compression, filter, interlace] = [h[8], h[9], h[10], h[11], h[12]];
  if (!DEPTHS[colour]) return `unknown colour type ${colour}`;
  if (!DEPTHS[colour].includes(depth)) return `bit depth ${depth} is not allowed for colour type ${colour}`;
  if (compression !== 0 || filter !== 0 || interlace > 1)
    return `unknown compression, filter or interlace method (${compression}, ${filter}, ${interlace})`;
  return undefined;
}

/** A short reason for a decoder failure on a structurally sound PNG (bad compressed data, an unsupported format). */
function decodeFault(err: unknown): string {
  const m = describeError(err);
  if (/palette|transparen/i.test(m)) return m.replace(/^./, (c) => c.toLowerCase());
  return 'its compressed image data is corrupt or too short';
}

/**
 * Bilinear resize of one channel plane, half-pixel centres (PyTorch's
 * interpolate(mode='bilinear', align_corners=False) without antialiasing).
 */
export function resizeBilinear(
  src: Float32Array,
  sw: number,
  sh: number,
  dw: number,
  dh: number,
): Float32Array {
  const out = new Float32Array(dw * dh);
  const sx = sw / dw;
  const sy = sh / dh;
  for (let y = 0; y < dh; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), sh - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, sh - 1);
    const wy = fy - y0;
    for (let x = 0; x < dw; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), sw - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, sw - 1);
      const wx = fx - x0;
      const top = src[y0 * sw + x0] * (1 - wx) + src[y0 * sw + x1] * wx;
      const bottom = src[y1 * sw + x0] * (1 - wx) + src[y1 * sw + x1] * wx;
      out[y * dw + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}

/** An RGBA image -> a normalised model input [C, H, W] (C = 3: RGB; C = 1: luma). */
export function imageToInput(img: RgbaImage, model: ModelConfig, what: string): Float32Array {
  const C = model.in_chans;
  if (C !== 3 && C !== 1)
    throw new UserError(`${what}: PNG frames feed models with 1 or 3 input channels, this one has ${C}`);
  const { mean, std } = normalisation(model);
  const H = model.img_h;
  const W = model.img_w;
  const n = img.width * img.height;
  const out = new Float32Array(C * H * W);
  for (let c = 0; c < C; c++) {
    const plane = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const p = img.data.subarray(4 * i, 4 * i + 3);
      // ITU-R BT.601 luma for single-channel models
      plane[i] = (C === 3 ? p[c] : 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]) / 255;
    }
    const resized =
      img.width === W && img.height === H ? plane : resizeBilinear(plane, img.width, img.height, W, H);
    for (let i = 0; i < H * W; i++) out[c * H * W + i] = (resized[i] - mean[c]) / std[c];
  }
  return out;
}

/** A PNG frame as a model input, with the frame's own size (to tell the user it was resized). */
export interface PngFrame {
  data: Float32Array; // [C, H, W] of the model
  width: number; // of the file
  height: number;
}

export function readPngFrame(path: string, model: ModelConfig): PngFrame {
  const img = decodePng(readUserFile(path), path);
  return { data: imageToInput(img, model, path), width: img.width, height: img.height };
}

export function readPngImage(path: string, model: ModelConfig): Float32Array {
  return readPngFrame(path, model).data;
}
