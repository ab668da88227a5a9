import type { ModelConfig } from '../model/config.js';
import { normalisation } from '../model/config.js';
import { Rng } from '../model/prng.js';

/**
 * Deterministic synthetic "photos" for the demo: smooth colour gradients with a few soft discs,
 * in [0,1] like a decoded frame, then normalised with the model's mean/std. Image-like statistics
 * (correlated neighbours) exercise the kernels more realistically than white noise.
 */
export function demoImages(cfg: ModelConfig, count: number, seed: number): Float32Array {
  const { in_chans: C, img_h: H, img_w: W } = cfg;
  const { mean, std } = normalisation(cfg);
  const out = new Float32Array(count * C * H * W);
  for (let b = 0; b < count; b++) {
    const rng = new Rng(seed, 1000 + b);
    const tint = Array.from({ length: C }, () => rng.uniform());
    const slope = Array.from({ length: C }, () => rng.uniform() - 0.5);
    const discs = Array.from({ length: 4 }, () => ({
      y: rng.uniform() * H,
      x: rng.uniform() * W,
      r: (0.08 + 0.2 * rng.uniform()) * Math.min(H, W),
      colour: Array.from({ length: C }, () => rng.uniform()),
    }));
    for (let c = 0; c < C; c++) {
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          let v = tint[c] * 0.6 + slope[c] * ((x / W + y / H) * 0.5);
          for (const d of discs) {
            const dist2 = ((y - d.y) ** 2 + (x - d.x) ** 2) / (d.r * d.r);
            v += (d.colour[c] - v) * Math.exp(-dist2 * dist2);
          }
          v = Math.min(1, Math.max(0, v));
          out[((b * C + c) * H + y) * W + x] = (v - mean[c]) / std[c];
        }
      }
    }
  }
  return out;
}
