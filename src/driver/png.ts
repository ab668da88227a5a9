/**
 * PNG frames -> model input images (MODEL.md, "Data files"): decoded with pngjs (pure JS),
 * resized to the model's H×W by bilinear interpolation, scaled to [0,1], normalised per channel
 * with the model's mean/std. Output: float32 [C, H, W].
 */
import { PNG } from 'pngjs';
import { normalisation, type ModelConfig } from '../model/config.js';
import { UserError, describeError } from '../util/errors.js';
import { readUserFile } from '../util/readfile.js';

export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array; // RGBA, 8 bits per channel, row-major
}

export function decodePng(bytes: Uint8Array, what: string): RgbaImage {
  try {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    if (!png.width || !png.height) throw new Error('empty image');
    return { width: png.width, height: png.height, data: png.data };
  } catch (err) {
    throw new UserError(`${what}: not a decodable PNG: ${describeError(err)}`);
  }
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

export function readPngImage(path: string, model: ModelConfig): Float32Array {
  return imageToInput(decodePng(readUserFile(path), path), model, path);
}
