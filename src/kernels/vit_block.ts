/**
 * vit_block, the fused block (issue 14): one call = one whole transformer block, msa_block's work
 * then ffn_block's on ONE linear engine, x kept on chip between the halves:
 *   LayerNorm1 (x read into the residual R) -> qkv passes beside the attention -> proj (R += y)
 *   -> LayerNorm2 from R -> dense MLP or MoE (R += y) -> x_out written from R.
 * Its cost is the two halves' (msa_block.ts, ffn_block.ts on the same parameters) without what the
 * fusion removes: msa_block's x_out write, ffn_block's x_in read (LayerNorm2 streams from R, an
 * array, a chunk a cycle), one kernel start; its resources are one engine, the attention's and the
 * gate's units, two LayerNorm regions and one set of arrays (buffers.ts vitBuffers).
 */
import type { Board } from '../board/schema.js';
import type { ModelDims } from '../model/config.js';
import { COST } from './costConstants.js';
import {
  addInto,
  axiPortResources,
  bufferCost,
  layerNormCycles,
  nonlinearUnit,
  portBytesPerCycle,
  transferCycles,
  weightBytesPerCycle,
  weightPortCount,
  zeroResources,
} from './costModel.js';
import { engineGeluUnits } from './cpp/blocks.js';
import { vitBuffers } from './buffers.js';
import { engineResources } from './engineCost.js';
import * as ffn from './ffn_block.js';
import { kernelLayerNormPlan, layerNormResources } from './layernorm.js';
import * as msa from './msa_block.js';
import { kernelShared, vitFfnParams, vitMsaParams, type VitParams } from './params.js';
import type { CycleEstimate, ResourceEstimate, SharedParams } from './types.js';

/** LayerNorm2 streamed from the residual array (layernorm.h layernorm), γ and β through the weight ports. */
export function arrayLayerNormCycles(dims: ModelDims, tileIn: number, shared: SharedParams, weightBytesPerCycle: number): number {
  const plan = kernelLayerNormPlan(dims, tileIn, shared);
  const wordBytes = shared.axiWidthBits / 8;
  return layerNormCycles(dims.numTokens, plan, { kind: 'array' }, { words: plan.paramWords, wordBytes, bytesPerCycle: weightBytesPerCycle });
}

/**
 * Cycles of one vit_block call (one block of one image; `call.moe` selects the MLP half's kind).
 * Parts: msa_block's (start, layernorm, qkv_attention, last_head, proj without x_out), layernorm2,
 * ffn_block's MLP parts (fc1, fc2 | gate, experts) and write (x_out from R).
 */
export function cycles(
  params: VitParams,
  dims: ModelDims,
  designShared: SharedParams,
  board: Board,
  call: ffn.FfnCall,
): CycleEstimate {
  const shared = kernelShared(designShared, params);
  const att = msa.cycles(vitMsaParams(params), dims, shared, board, call);
  const mlp = ffn.cycles(vitFfnParams(params), dims, shared, board, call);
  const tokenBytes = (dims.numTokens * dims.D * shared.precision.activation.width) / 8;
  const write = transferCycles(tokenBytes, portBytesPerCycle(board, shared, call));
  const layernorm2 = arrayLayerNormCycles(dims, params.tile_in, shared, weightBytesPerCycle(board, shared, call));
  const parts: Record<string, number> = {
    start: att.parts.start,
    layernorm: att.parts.layernorm,
    qkv_attention: att.parts.qkv_attention,
    last_head: att.parts.last_head,
    proj: att.parts.proj - write,
    layernorm2,
  };
  for (const [k, v] of Object.entries(mlp.parts)) if (!['start', 'layernorm', 'write'].includes(k)) parts[k] = v;
  parts.write = mlp.parts.write;
  return { cycles: Object.values(parts).reduce((a, b) => a + b, 0), parts };
}

/** Resources of one vit_block compute unit. */
export function resources(params: VitParams, dims: ModelDims, designShared: SharedParams, board: Board): ResourceEstimate {
  const shared = kernelShared(designShared, params);
  const p = shared.precision;
  const { tile_in: ti, tile_out: to, token_lanes: lanes } = params;
  const r = zeroResources();
  // ONE linear engine for qkv, proj, the gate's logits, fc1/fc2 and every expert; GELU in its drain
  addInto(r, engineResources(ti, to, lanes, shared, board));
  addInto(r, nonlinearUnit('gelu', p.activation.width, board), engineGeluUnits(true, lanes, to));
  addInto(r, msa.attentionResources(vitMsaParams(params), dims, shared, board));
  addInto(r, ffn.gateResources(to, dims, shared, board));
  // LayerNorm1 (from the token port) and LayerNorm2 (from R): two regions
  addInto(r, layerNormResources(kernelLayerNormPlan(dims, ti, shared), p, shared.axiWidthBits, board), 2);
  for (const b of vitBuffers(params, dims, shared)) addInto(r, bufferCost(b.widthBits, b.words, b.banks, board));
  // gmem_act and the weight ports
  addInto(r, axiPortResources(shared.axiWidthBits), 1 + weightPortCount(shared));
  r.lut += COST.LUT_PER_KERNEL;
  r.ff += COST.FF_PER_KERNEL;
  return r;
}

/** Bytes of weights one vit_block call streams: the attention half's and the MLP half's. */
export function weightBytes(params: VitParams, dims: ModelDims, designShared: SharedParams, call: ffn.FfnCall): number {
  const shared = kernelShared(designShared, params);
  return msa.weightBytes(dims, shared) + ffn.weightBytes(vitFfnParams(params), dims, shared, call);
}

// ---- generator side: validation, C++ config structs, weight layout, AXI bundles (src/kernels/cpp/vit_block.ts)
export { validate, templateContext, weightLayout, axiBundles } from './cpp/vit_block.js';
