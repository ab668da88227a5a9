/**
 * patch_embed: pixels -> tokens. A linear over C·P·P inputs per patch on a tile_in × tile_out
 * weight tile, one patch (token) per cycle, plus the cls token and pos_embed.
 */
import type { Board } from '../board/schema.js';
import type { ModelDims } from '../model/config.js';
import { COST, LATENCY } from './costConstants.js';
import { pipelinedLoopCycles } from './latency.js';
import { formats } from './cpp/formats.js';
import {
  addInto,
  axiPortResources,
  bufferCost,
  fifoCost,
  linearCycles,
  macResources,
  portBytesPerCycle,
  registers,
  transferCycles,
  zeroResources,
  type CallContext,
} from './costModel.js';
import type { PatchEmbedParams } from './params.js';
import type { CycleEstimate, ResourceEstimate, SharedParams } from './types.js';

// ---- cost model (cycles, resources): docs/cost-model.md ------------------------------------

/**
 * Cycles of one patch_embed invocation (one image): the image is read into the on-chip pixel
 * buffer (the linear's inputs), then the weight-stationary linear runs (its weight tiles stream
 * in), then the tail: cls + pos_embed in, the position add, the tokens out (one after another, as
 * the kernel runs them; the model overlapped the tail with the linear before the timed C-simulation).
 */
export function cycles(
  params: PatchEmbedParams,
  dims: ModelDims,
  shared: SharedParams,
  board: Board,
  call: CallContext = {},
): CycleEstimate {
  const p = shared.precision;
  const bpc = portBytesPerCycle(board, shared, call);
  const readPixels = transferCycles((dims.numPatches * dims.patchInputs * p.activation.width) / 8, bpc);
  const linear = linearCycles(
    {
      tokens: dims.numPatches,
      inDim: dims.patchInputs,
      outDim: dims.D,
      tileIn: params.tile_in,
      tileOut: params.tile_out,
      lanes: 1,
    },
    { ...shared, precision: { ...p, weight: p.patch_weight } },
    bpc,
  );
  // the tail, after the linear (templates/kernels/patch_embed.cpp.ejs, stage "tail"): cls and
  // pos_embed read (two read_rows bursts), the position add (one element per cycle), the tokens out
  const rowBytes = (rows: number) => (rows * dims.D * p.activation.width) / 8;
  const tail =
    transferCycles(rowBytes(1), bpc) +
    transferCycles(rowBytes(dims.numTokens), bpc) +
    pipelinedLoopCycles(dims.numTokens * dims.D, 1, LATENCY.ELEMENTWISE_DEPTH) +
    transferCycles(rowBytes(dims.numTokens), bpc);
  return {
    cycles: COST.KERNEL_START_CYCLES + readPixels + linear + tail,
    parts: { start: COST.KERNEL_START_CYCLES, read_pixels: readPixels, linear, tail },
  };
}

/** Resources of one patch_embed compute unit. */
export function resources(
  params: PatchEmbedParams,
  dims: ModelDims,
  shared: SharedParams,
  board: Board,
): ResourceEstimate {
  const p = shared.precision;
  const { tile_in: ti, tile_out: to } = params;
  const r = zeroResources();
  // the MACs read their inputs as the linear-input class (8-bit in w8a8)
  addInto(r, macResources(ti * to, formats(p).linIn.width, p.patch_weight.width, board));
  // pixel buffer: every patch's C·P·P inputs, tile_in of them read per cycle
  addInto(r, bufferCost(p.activation.width, dims.numPatches * dims.patchInputs, ti, board));
  // double-buffered weight tile, accumulators, bias + pos_embed adders on the output tile
  addInto(r, registers(2 * ti * to * p.patch_weight.width + to * p.accum.width));
  r.lut += 2 * to * p.activation.width;
  addInto(r, fifoCost(shared.axiWidthBits, shared.streamDepth), 2);
  addInto(r, axiPortResources(shared.axiWidthBits), 2);
  r.lut += COST.LUT_PER_KERNEL;
  r.ff += COST.FF_PER_KERNEL;
  return r;
}

/** Bytes of patch_embed weights (conv, bias; cls and pos_embed at activation width) streamed per invocation. */
export function weightBytes(dims: ModelDims, shared: SharedParams): number {
  const p = shared.precision;
  return (
    (dims.D * dims.patchInputs * p.patch_weight.width +
      dims.D * p.bias.width +
      (dims.numTokens + 1) * dims.D * p.activation.width) /
    8
  );
}

// ---- generator side: validation, C++ config structs, weight layout, AXI bundles (src/kernels/cpp/patch_embed.ts)
export { validate, templateContext, weightLayout, axiBundles } from './cpp/patch_embed.js';
