/**
 * The default per-request timeout: scaled from the design's estimated work, generous enough that
 * only a runner that is really stuck trips it (override with --timeout / timeoutMs).
 */
import type { ModelDims } from '../model/config.js';
import type { Project } from './project.js';

/** Multiply-accumulates of one image's forward pass (the work csim does, roughly). */
export function macsPerImage(d: ModelDims): number {
  const N = d.numTokens;
  const D = d.D;
  let macs = d.numPatches * d.patchInputs * D;
  for (const moe of d.moeBlocks) {
    macs += N * D * 3 * D + 2 * N * N * D + N * D * D; // qkv, scores and A·V, projection
    macs += moe ? N * D * d.experts + d.topK * 2 * N * D * d.expertHidden : 2 * N * D * d.mlpHidden;
  }
  return macs;
}

// csim runs bit-accurate fixed-point arithmetic: assume a slow 50 M MAC/s (a sanitizer build or a
// busy machine), then allow 10× that on top; never less than 30 s (csim) / 10 s (device).
const CSIM_MACS_PER_SECOND = 50e6;
const DEVICE_MACS_PER_SECOND = 5e9;
const SAFETY = 10;

export function defaultTimeoutMs(project: Project, backend: 'csim' | 'xrt'): number {
  const macs = macsPerImage(project.design.dims);
  if (backend === 'csim') return Math.max(30_000, Math.round((SAFETY * 1000 * macs) / CSIM_MACS_PER_SECOND));
  return Math.max(10_000, Math.round((SAFETY * 1000 * macs) / DEVICE_MACS_PER_SECOND));
}
