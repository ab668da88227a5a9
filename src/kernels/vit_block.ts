/**
 * vit_block, the fused block (issue 14): one call runs EVERY transformer block of the image, each
 * block msa_block's work then ffn_block's on ONE linear engine, x kept on chip (in the residual R)
 * between the halves and from block to block:
 *   (x read into R once) LayerNorm1 from R -> qkv passes beside the attention -> proj
 *   (R += y) -> LayerNorm2 from R -> dense MLP or MoE (R += y); after the last block x_out from R.
 * A block's cost is the two halves' (msa_block.ts, ffn_block.ts on the same parameters) without
 * what the fusion removes: the x_out writes and x_in reads (LayerNorms stream from R, an array, a
 * chunk a cycle) and the kernel starts, which happen once per call (callCycles); its resources
 * are one engine, the attention's and the
 * gate's units, one LayerNorm region and one set of arrays (buffers.ts vitBuffers).
 */
import type { Board } from '../board/schema.js';
import type { ModelDims } from '../model/config.js';
import { COST, LATENCY } from './costConstants.js';
import { formats } from './cpp/formats.js';
import { wordsFor } from './cpp/layout.js';
import { pipelinedLoopCycles } from './latency.js';
import {
  addInto,
  axiPortResources,
  bufferCost,
  layerNormCycles,
  linearCycles,
  nonlinearUnit,
  portBytesPerCycle,
  transferCycles,
  weightBytesPerCycle,
  weightPortCount,
  weightTransferCycles,
  zeroResources,
} from './costModel.js';
import { engineGeluUnits } from './cpp/blocks.js';
import { patchWeightsOnEngine } from './cpp/vit_block.js';
import { vitBCols, vitBuffers, vitEngineFifos } from './buffers.js';
import { engineResources } from './engineCost.js';
import * as ffn from './ffn_block.js';
import { kernelLayerNormPlan, layerNormResources } from './layernorm.js';
import * as msa from './msa_block.js';
import { gatherPatchCycles } from './patch_embed.js';
import { kernelShared, patchOnEngine, vitFfnParams, vitMsaParams, type VitParams } from './params.js';
import type { CycleEstimate, ResourceEstimate, SharedParams } from './types.js';

/** A LayerNorm streamed from the residual array (layernorm.h layernorm) on norm_lanes, γ and β through the weight ports. */
export function arrayLayerNormCycles(params: VitParams, dims: ModelDims, shared: SharedParams, weightBytesPerCycle: number): number {
  const plan = kernelLayerNormPlan(dims, params.tile_in, shared, params.norm_lanes);
  const wordBytes = shared.axiWidthBits / 8;
  return layerNormCycles(dims.numTokens, plan, { kind: 'array' }, { words: plan.paramWords, wordBytes, bytesPerCycle: weightBytesPerCycle });
}

/**
 * Cycles of one block inside a vit_block call (`call.moe` selects the MLP half's kind); the call
 * runs every block, x staying in R between them (callCycles adds what happens once per call).
 * Parts: LayerNorm1 from R (read rounded to act_t), msa_block's qkv_attention, last_head and proj
 * (without its x_out write), layernorm2 from R, ffn_block's MLP parts (fc1, fc2 | gate, experts).
 */
export function cycles(
  params: VitParams,
  dims: ModelDims,
  designShared: SharedParams,
  board: Board,
  call: ffn.FfnCall,
  // the attention half: the same in a dense and a MoE block (a caller costing both passes it once)
  att: CycleEstimate = attentionHalf(params, dims, designShared, board, call),
): CycleEstimate {
  const shared = kernelShared(designShared, params);
  // the experts' gathers read LayerNorm2's output in s (no copy) into B, max(tile_in, tile_out) a cycle
  const mlp = ffn.cycles(vitFfnParams(params), dims, shared, board, call, {
    gatherLanes: vitBCols(params),
    copyForGathers: false,
    fifos: vitEngineFifos(params, dims),
  });
  const layernorm = arrayLayerNormCycles(params, dims, shared, weightBytesPerCycle(board, shared, call));
  const parts: Record<string, number> = {
    layernorm,
    qkv_attention: att.parts.qkv_attention,
    last_head: att.parts.last_head,
    proj: att.parts.proj - tokenTransferCycles(dims, shared, board, call),
    layernorm2: layernorm,
  };
  for (const [k, v] of Object.entries(mlp.parts)) if (!['start', 'layernorm', 'write'].includes(k)) parts[k] = v;
  return { cycles: Object.values(parts).reduce((a, b) => a + b, 0), parts };
}

/**
 * The expert phase of one MoE block (`call`): the only cycles weight_fifo changes, so the search
 * caches the rest of a design's cycles across weight_fifo (search/evaluate.ts).
 */
export function expertsCycles(params: VitParams, dims: ModelDims, designShared: SharedParams, board: Board, call: ffn.FfnCall): number {
  const shared = kernelShared(designShared, params);
  const load = ffn.callExpertLoad(dims, call);
  return ffn.expertCycles(vitFfnParams(params), dims, shared, load, weightBytesPerCycle(board, shared, call), vitBCols(params), vitEngineFifos(params, dims));
}

/**
 * The image's LayerNorms (two per block, all from R on norm_lanes): the only cycles norm_lanes
 * changes, so the search caches the rest of a design's cycles across norm_lanes (search/evaluate.ts).
 */
export function normCycles(params: VitParams, dims: ModelDims, designShared: SharedParams, board: Board, call: { slr?: number }): number {
  const shared = kernelShared(designShared, params);
  return 2 * dims.depth * arrayLayerNormCycles(params, dims, shared, weightBytesPerCycle(board, shared, call));
}

/** msa_block's cycles on the fused block's parameters: the attention half of every block (dense or MoE). */
export function attentionHalf(params: VitParams, dims: ModelDims, designShared: SharedParams, board: Board, call: { slr?: number }): CycleEstimate {
  return msa.cycles(vitMsaParams(params), dims, kernelShared(designShared, params), board, call, vitBCols(params));
}

/** x's transfer through the activations' port (x_in read or x_out write, N·D activations). */
function tokenTransferCycles(dims: ModelDims, shared: SharedParams, board: Board, call: { slr?: number }): number {
  const tokenBytes = (dims.numTokens * dims.D * shared.precision.activation.width) / 8;
  return transferCycles(tokenBytes, portBytesPerCycle(board, shared, call));
}

/**
 * What one vit_block call adds once to its blocks' cycles: the kernel start, x read into R (one
 * burst through the activations' port, before block 0's LayerNorm1, which reads R like the
 * others), the final x_out write. With patch_on_engine an image's call makes x itself instead of
 * reading it: patchCycles' parts in place of x_in.
 */
export function callCycles(params: VitParams, dims: ModelDims, designShared: SharedParams, board: Board, call: { slr?: number }): CycleEstimate {
  const shared = kernelShared(designShared, params);
  const input = patchOnEngine(params) ? patchCycles(params, dims, shared, board, call).parts : { x_in: tokenTransferCycles(dims, shared, board, call) };
  const parts: Record<string, number> = {
    start: COST.KERNEL_START_CYCLES,
    ...input,
    write: tokenTransferCycles(dims, shared, board, call),
  };
  return { cycles: Object.values(parts).reduce((a, b) => a + b, 0), parts };
}

/** The parts of a vit_block call that embed the patches (patch_on_engine): the estimate's "patch" stage. */
export const PATCH_PARTS = ['patch_inputs', 'patch_linear'] as const;

/**
 * The patch embedding on the block engine (vit_block.cpp.ejs with patch_on_engine): the inputs
 * region (the pixels gathered into B's rows 1.. on the activations' port beside the token rows,
 * cls + pos_embed, read into R on the weight ports), then ONE engine pass over C·P·P inputs into
 * R (every token row computed, rows 1.. drained).
 */
export function patchCycles(params: VitParams, dims: ModelDims, designShared: SharedParams, board: Board, call: { slr?: number }): CycleEstimate {
  const shared = kernelShared(designShared, params);
  const f = formats(shared.precision);
  const axi = shared.axiWidthBits;
  const wbpc = weightBytesPerCycle(board, shared, call);
  const gather = gatherPatchCycles(dims, shared, params.tile_in, portBytesPerCycle(board, shared, call));
  // position_residual: two bursts (cls, every pos_embed row) from the weight ports, a word a cycle, and the cls row's add
  const rowWords = wordsFor(dims.D, f.act.width, axi);
  const rowBytes = (rows: number) => (rows * rowWords * axi) / 8;
  const positions =
    weightTransferCycles(rowBytes(1), rowWords, wbpc) +
    weightTransferCycles(rowBytes(dims.numTokens), dims.numTokens * rowWords, wbpc) +
    pipelinedLoopCycles(dims.D, 1, LATENCY.ELEMENTWISE_DEPTH);
  const shape = { tokens: dims.numTokens, inDim: dims.patchInputs, outDim: dims.D, tileIn: params.tile_in, tileOut: params.tile_out, lanes: params.token_lanes };
  // one engine pass, or two when the patch weights split into the engine's digits (w8a8)
  const split = patchWeightsOnEngine(f, params.tile_in);
  const passes = typeof split === 'string' ? 1 : split.digits;
  const parts = { patch_inputs: Math.max(gather, positions), patch_linear: passes * linearCycles(shape, shared, wbpc) };
  return { cycles: parts.patch_inputs + parts.patch_linear, parts };
}

/** Resources of one vit_block compute unit. */
export function resources(params: VitParams, dims: ModelDims, designShared: SharedParams, board: Board): ResourceEstimate {
  const shared = kernelShared(designShared, params);
  const p = shared.precision;
  const { tile_in: ti, tile_out: to, token_lanes: lanes } = params;
  const r = zeroResources();
  // ONE linear engine for qkv, proj, the gate's logits, fc1/fc2 and every expert; GELU in its drain
  addInto(r, engineResources(ti, to, lanes, shared, board, vitEngineFifos(params, dims)));
  addInto(r, nonlinearUnit('gelu', p.activation.width, board), engineGeluUnits(true, lanes, to));
  addInto(r, msa.attentionResources(vitMsaParams(params), dims, shared, board));
  addInto(r, ffn.gateResources(to, dims, shared, board));
  // ONE LayerNorm region, reading R (norm_lanes): every LayerNorm1 and LayerNorm2
  addInto(r, layerNormResources(kernelLayerNormPlan(dims, ti, shared, params.norm_lanes), p, shared.axiWidthBits, board));
  for (const b of vitBuffers(params, dims, shared)) addInto(r, bufferCost(b.widthBits, b.words, b.banks, board));
  // gmem_act and the weight ports
  addInto(r, axiPortResources(shared.axiWidthBits), 1 + weightPortCount(shared));
  r.lut += COST.LUT_PER_KERNEL;
  r.ff += COST.FF_PER_KERNEL;
  return r;
}

/**
 * Bits a vit_block compute unit spanning `span` SLRs moves across its busiest SLR boundary each
 * cycle (the first one, beside the weight ports and R): the engine's columns spread over the SLRs,
 * so every column's input operands are broadcast across it (tile_in × lanes linear inputs), the far
 * columns' weights cross it (tile_in × their tile_out share) and their sums come back (tile_out
 * share × lanes accumulators). 0 when it does not span.
 */
export function spanCrossingBits(params: VitParams, designShared: SharedParams, span: number): number {
  if (span <= 1) return 0;
  const shared = kernelShared(designShared, params);
  const f = formats(shared.precision);
  const { tile_in: ti, tile_out: to, token_lanes: lanes } = params;
  const far = (span - 1) / span;
  return Math.ceil(ti * lanes * f.linIn.width + far * (ti * to * f.weight.width + to * lanes * f.acc.width));
}

/** Bytes of weights one vit_block call streams: the attention half's and the MLP half's. */
export function weightBytes(params: VitParams, dims: ModelDims, designShared: SharedParams, call: ffn.FfnCall): number {
  const shared = kernelShared(designShared, params);
  return msa.weightBytes(dims, shared) + ffn.weightBytes(vitFfnParams(params), dims, shared, call);
}

// ---- generator side: validation, C++ config structs, weight layout, AXI bundles (src/kernels/cpp/vit_block.ts)
export { validate, templateContext, weightLayout, axiBundles } from './cpp/vit_block.js';
