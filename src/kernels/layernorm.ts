/**
 * The cost of layernorm.h's streaming LayerNorm as msa_block (LayerNorm1) and ffn_block
 * (LayerNorm2) run it: the tokens read from the kernel's token port into the residual and
 * normalised in one dataflow region (read_layernorm). Cycles: costModel.ts layerNormCycles on the
 * plan the kernel renders (latency.ts layerNormPlan); resources: the CHUNK lanes' multipliers, the
 * rsqrt unit and the region's FIFOs.
 */
import type { Board, Resources } from '../board/schema.js';
import type { ModelDims } from '../model/config.js';
import { LAYERNORM_RSQRT_UNITS } from './cpp/blocks.js';
import { addInto, fifoCost, layerNormCycles, macResources, nonlinearUnit, zeroResources } from './costModel.js';
import { layerNormPlan, type LayerNormPlan } from './latency.js';
import type { Precision, SharedParams } from './types.js';

/** The kernel's LayerNorm plan: its tile_in lanes, its token port's words (`arrayChunk`: an array-sourced region's own CHUNK, vit_block's norm_lanes; undefined: the port's). */
export function kernelLayerNormPlan(dims: ModelDims, tileIn: number, shared: SharedParams, arrayChunk?: number): LayerNormPlan {
  const p = shared.precision;
  return layerNormPlan(dims.D, p.activation.width, p.norm.width, shared.axiWidthBits, tileIn, arrayChunk);
}

/**
 * read_layernorm over the kernel's tokens: the token port sustaining `portBytesPerCycle`, γ and β
 * through the weight ports sustaining `weightBytesPerCycle` together.
 */
export function tokenLayerNormCycles(
  dims: ModelDims,
  tileIn: number,
  shared: SharedParams,
  portBytesPerCycle: number,
  weightBytesPerCycle: number,
): number {
  const axi = shared.axiWidthBits;
  const plan = kernelLayerNormPlan(dims, tileIn, shared);
  // γ and β: one read_vector of their words each
  return layerNormCycles(
    dims.numTokens,
    plan,
    { kind: 'axi', bytesPerCycle: portBytesPerCycle, wordBytes: axi / 8 },
    { words: plan.paramWords, wordBytes: axi / 8, bytesPerCycle: weightBytesPerCycle },
  );
}

/**
 * Resources of one LayerNorm region: per chunk lane (x − mean)·1/√D and its square, the
 * normalise (· mantissa) and · γ; one rsqrt unit; the FIFOs (the reader's words, the split
 * chunks, the two row FIFOs of FIFO_DEPTH chunks, the per-row statistics).
 */
export function layerNormResources(plan: LayerNormPlan, precision: Precision, axiBits: number, board: Board): Resources {
  const A = precision.activation.width;
  const r = zeroResources();
  addInto(r, macResources(2 * plan.chunk, A, A, board));
  addInto(r, macResources(plan.chunk, A, precision.norm.width, board));
  addInto(r, nonlinearUnit('rsqrt', A, board), LAYERNORM_RSQRT_UNITS);
  const chunkBits = plan.chunk * A;
  addInto(r, fifoCost(axiBits, 2));
  addInto(r, fifoCost(chunkBits, 2));
  addInto(r, fifoCost(chunkBits, plan.fifoDepth), 2);
  addInto(r, fifoCost(A, 2)); // means
  addInto(r, fifoCost(3 * A, 2)); // statistics, scales
  addInto(r, fifoCost(2 * A + 32, 2));
  return r;
}
