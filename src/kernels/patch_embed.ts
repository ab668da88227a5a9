/**
 * patch_embed: pixels -> tokens. A linear over C·P·P inputs per patch on a tile_in × tile_out
 * weight tile, one patch (token) per cycle, plus the cls token and pos_embed.
 */
import type { Board } from '../board/schema.js';
import type { ModelDims } from '../model/config.js';
import { COST, LATENCY } from './costConstants.js';
import { pipelinedLoopCycles } from './latency.js';
import { formats, linearMaxShift, tileSumFx } from './cpp/formats.js';
import { perWord, wordsFor } from './cpp/layout.js';
import { gatherWriteLanes, patchBuffers } from './cpp/patch_embed.js';
import {
  addInto,
  axiPortResources,
  bufferCost,
  fifoCost,
  linearCycles,
  engineMacResources,
  portBytesPerCycle,
  weightBytesPerCycle,
  weightPortCount,
  weightTransferCycles,
  registers,
  transferCycles,
  zeroResources,
  type CallContext,
} from './costModel.js';
import { kernelShared, type PatchEmbedParams } from './params.js';
import type { CycleEstimate, ResourceEstimate, SharedParams } from './types.js';

// ---- cost model (cycles, resources): docs/cost-model.md ------------------------------------

/**
 * Cycles of one patch_embed invocation (one image), as templates/kernels/patch_embed.cpp.ejs runs
 * it: the inputs (a dataflow region: the pixels gathered into the patch array on one port while
 * the token rows, cls + pos_embed, are read on the other), then the weight-stationary linear,
 * whose drain adds the projection into the pos_embed rows (the position add costs no cycles of
 * its own), then the write of the tokens.
 */
export function cycles(
  params: PatchEmbedParams,
  dims: ModelDims,
  designShared: SharedParams,
  board: Board,
  call: CallContext = {},
): CycleEstimate {
  const shared = kernelShared(designShared, params);
  const p = shared.precision;
  const axi = shared.axiWidthBits;
  const bpc = portBytesPerCycle(board, shared, call); // the activations' port
  const wbpc = weightBytesPerCycle(board, shared, call); // the weight ports together
  const f = formats(p);
  const gather = gatherPatchCycles(dims, shared, params.tile_in, bpc);
  // position_rows: three bursts (cls, pos_embed row 0, rows 1..) from the weight ports, a word a
  // cycle, and the cls row's add
  const rowWords = wordsFor(dims.D, f.act.width, axi);
  const rowBytes = (rows: number) => (rows * rowWords * axi) / 8;
  const positions =
    2 * weightTransferCycles(rowBytes(1), rowWords, wbpc) +
    weightTransferCycles(rowBytes(dims.numPatches), dims.numPatches * rowWords, wbpc) +
    pipelinedLoopCycles(dims.D, 1, LATENCY.ELEMENTWISE_DEPTH);
  const inputs = Math.max(gather, positions);
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
    wbpc,
  );
  // the tail: the cls row and the patch rows out (two bursts)
  const write = transferCycles(rowBytes(1), bpc) + transferCycles(rowBytes(dims.numPatches), bpc);
  return {
    cycles: COST.KERNEL_START_CYCLES + inputs + linear + write,
    parts: { start: COST.KERNEL_START_CYCLES, inputs, linear, write },
  };
}

/**
 * gather_patches (patch.h): one II=1 loop over (channel, row, word × chunk), throttled by the
 * burst on the activations' port (`bpc` bytes a cycle); a chunk is gatherWriteLanes elements of
 * a word, for an engine with tile_in `tileIn` (patch_embed's, or vit_block's with patch_on_engine).
 */
export function gatherPatchCycles(dims: ModelDims, shared: SharedParams, tileIn: number, bpc: number): number {
  const axi = shared.axiWidthBits;
  const f = formats(shared.precision);
  const apw = perWord(f.act.width, axi);
  const P = dims.patchSize;
  const pixelWords = dims.inChans * dims.patchesH * P * wordsFor(dims.patchesW * P, f.act.width, axi);
  const chunks = apw / gatherWriteLanes(tileIn, P, apw);
  return Math.max(
    transferCycles((pixelWords * axi) / 8, bpc),
    COST.AXI_FIRST_BEAT_CYCLES + pipelinedLoopCycles(pixelWords * chunks, 1, LATENCY.AXI_READ_DEPTH),
  );
}

/** Resources of one patch_embed compute unit: the MACs, every on-chip array (patchBuffers), FIFOs, ports. */
export function resources(
  params: PatchEmbedParams,
  dims: ModelDims,
  designShared: SharedParams,
  board: Board,
): ResourceEstimate {
  const shared = kernelShared(designShared, params);
  const p = shared.precision;
  const { tile_in: ti, tile_out: to } = params;
  const r = zeroResources();
  // the MACs read their inputs as the linear-input class (8-bit in w8a8)
  const f = formats(p);
  addInto(r, engineMacResources(ti * to, f.linIn.width, f.patchWeight.width, tileSumFx(f.linIn, f.patchWeight, ti, linearMaxShift(f, f.patchWeight, ti)).width, board));
  for (const b of patchBuffers(params, dims, shared))
    addInto(r, bufferCost(b.widthBits, b.words, b.banks, board));
  // the weight tile and the bias chunks (the out tile computed, the one drained) in registers;
  // the drain's bias and position adders on the output tile
  addInto(r, registers(ti * to * p.patch_weight.width + 2 * to * p.bias.width));
  r.lut += 2 * to * p.activation.width;
  addInto(r, fifoCost(shared.axiWidthBits, shared.streamDepth), 2);
  // gmem_act and the weight ports
  addInto(r, axiPortResources(shared.axiWidthBits), 1 + weightPortCount(shared));
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
