/**
 * msa_block: LayerNorm1 -> qkv linear (D -> 3D) -> streaming attention -> proj linear -> residual.
 */
import type { Board } from '../board/schema.js';
import type { ModelDims } from '../model/config.js';
import { COST, LATENCY } from './costConstants.js';
import { attentionInitCycles, attentionSoftmaxBlockCycles, pipelinedLoopCycles } from './latency.js';
import { formats, linearMaxShift, PROB } from './cpp/formats.js';
import { LAYERNORM_RSQRT_UNITS } from './cpp/blocks.js';
import {
  addInto,
  axiPortResources,
  bufferCost,
  ceilDiv,
  fifoCost,
  layerNormCycles,
  layerNormParamCycles,
  linearCycles,
  linearWeightBytes,
  macResources,
  weightShifterLuts,
  nonlinearUnit,
  portBytesPerCycle,
  registers,
  transferCycles,
  zeroResources,
  type CallContext,
} from './costModel.js';
import { msaBuffers } from './buffers.js';
import type { MsaParams } from './params.js';
import type { CycleEstimate, ResourceEstimate, SharedParams } from './types.js';

// ---- cost model (cycles, resources): docs/cost-model.md ------------------------------------

/**
 * Streaming attention cycles for one block, as attention.h runs (the timed C-simulation agrees to
 * the cycle: docs/cost-model.md, "Corrections from the timed C-simulation"). Per head: the K/V
 * transpose `split_head` ((N + key_block) × headDim iterations, one flattened II=1 loop), then per
 * group of q_parallel query rows a dataflow of the score stage and the softmax/A·V stage joined
 * by a FIFO of score blocks. The softmax/A·V stage is the slower one and sets the pace: `init`
 * clears the A·V accumulators (latency.ts attentionInitCycles; the first score block arrives
 * meanwhile, or the stage waits for it), per key block the straight-line softmax
 * (attentionSoftmaxBlockCycles: the SAME figure the kernel states) then the A·V loop over the head
 * dim; per valid query row a reciprocal and the normalise loop.
 */
export function attentionCycles(params: MsaParams, dims: ModelDims): number {
  const N = dims.numTokens;
  const { q_parallel: qp, key_block: kb } = params;
  const hd = dims.headDim;
  const groups = ceilDiv(N, qp);
  const keyBlocks = ceilDiv(N, kb);
  const splitHead = pipelinedLoopCycles((N + kb) * hd, 1, LATENCY.SPLIT_HEAD_DEPTH);
  const scoreBlock = pipelinedLoopCycles(hd, 1, LATENCY.ATTN_QK_DEPTH) + LATENCY.ATTN_SCALE_CYCLES;
  const softmaxBlock =
    attentionSoftmaxBlockCycles(qp, kb) + pipelinedLoopCycles(hd, 1, LATENCY.ATTN_AV_DEPTH);
  const firstBlock = Math.max(attentionInitCycles(qp, hd), scoreBlock + LATENCY.FIFO_READ_LATENCY);
  const blocks = firstBlock + keyBlocks * Math.max(softmaxBlock, scoreBlock);
  const finishRow = LATENCY.RECIP_CYCLES + pipelinedLoopCycles(hd, 1, LATENCY.ATTN_NORMALISE_DEPTH);
  // every group runs all its blocks; the finish loop normalises the group's valid rows (N in all)
  return dims.heads * (splitHead + groups * blocks + N * finishRow);
}

/**
 * Cycles of one msa_block invocation (one block of one image). Stages run one after another;
 * inside a stage the compute, its weight tiles and its activation traffic overlap, so a stage
 * costs the largest of them.
 */
export function cycles(
  params: MsaParams,
  dims: ModelDims,
  shared: SharedParams,
  board: Board,
  call: CallContext = {},
): CycleEstimate {
  const { D, numTokens: N } = dims;
  const p = shared.precision;
  const bpc = portBytesPerCycle(board, shared, call);
  const tokenBytes = (N * D * p.activation.width) / 8;
  const shape = (inDim: number, outDim: number) => ({
    tokens: N,
    inDim,
    outDim,
    tileIn: params.tile_in,
    tileOut: params.tile_out,
    lanes: params.token_lanes,
  });
  const ln =
    transferCycles(tokenBytes, bpc) +
    layerNormCycles(N, D, params.tile_in) +
    layerNormParamCycles(D, p.norm.width, bpc);
  const qkv = linearCycles(shape(D, 3 * D), shared, bpc);
  const attention = attentionCycles(params, dims);
  // proj's biases and first tiles load during the attention; it drains into x (the residual),
  // which then leaves
  const proj = linearCycles(shape(D, D), shared, bpc, { prefetched: true }) + transferCycles(tokenBytes, bpc);
  return {
    cycles: COST.KERNEL_START_CYCLES + ln + qkv + attention + proj,
    parts: { start: COST.KERNEL_START_CYCLES, layernorm: ln, qkv, attention, proj },
  };
}

/** Resources of one msa_block compute unit. */
export function resources(
  params: MsaParams,
  dims: ModelDims,
  shared: SharedParams,
  board: Board,
): ResourceEstimate {
  const p = shared.precision;
  const A = p.activation.width;
  const { tile_in: ti, tile_out: to, token_lanes: lanes, q_parallel: qp, key_block: kb } = params;
  const r = zeroResources();
  const Q = formats(p).qkv.width;
  // ONE linear engine runs qkv and proj: tile_in × tile_out × lanes MACs; its accumulators hold
  // tile_out outputs of every token row
  addInto(r, macResources(ti * to * lanes, formats(p).linIn.width, p.weight.width, board));
  r.lut += weightShifterLuts(to * lanes, linearMaxShift(formats(p), formats(p).weight, ti));
  // attention.h: per cycle q_parallel × key_block score MACs (q·k, both qkv_t) and as many A·V MACs
  // (prob_t × v); the operand widths are the generated kernel's (src/kernels/cpp/formats.ts)
  addInto(r, macResources(qp * kb, Q, Q, board));
  addInto(r, macResources(qp * kb, PROB.width + 1, Q, board)); // unsigned prob: one more bit in a signed port
  // softmax: enough exp units for q_parallel × key_block scores per headDim cycles; one reciprocal
  addInto(r, nonlinearUnit('exp', A, board), ceilDiv(qp * kb, dims.headDim));
  addInto(r, nonlinearUnit('recip', A, board));
  // LayerNorm1 at tile_in lanes: x², (x − mean)·rstd, ·gamma; one rsqrt
  addInto(r, macResources(2 * ti, A, A, board));
  addInto(r, macResources(ti, A, p.norm.width, board));
  addInto(r, nonlinearUnit('rsqrt', A, board), LAYERNORM_RSQRT_UNITS);
  // on-chip buffers (buffers.ts: the engine's accumulators, x, s, qkv, one head's K and V)
  for (const b of msaBuffers(params, dims, shared))
    addInto(r, bufferCost(b.widthBits, b.words, b.banks, board));
  // registers: the weight tile in use, Q rows of a group, scores, A·V accumulators, softmax state
  addInto(
    r,
    registers(
      ti * to * p.weight.width +
        qp * dims.headDim * A +
        2 * qp * kb * A +
        qp * dims.headDim * p.accum.width +
        2 * qp * A,
    ),
  );
  r.lut += 2 * to * lanes * A; // bias and residual adders
  addInto(r, fifoCost(ti * to * p.weight.width, 2)); // weight tiles, double-buffered
  addInto(r, fifoCost(to * p.bias.width, 2));
  addInto(r, fifoCost(qp * kb * A, shared.streamDepth)); // the attention's score blocks
  addInto(r, axiPortResources(shared.axiWidthBits), 2);
  r.lut += COST.LUT_PER_KERNEL;
  r.ff += COST.FF_PER_KERNEL;
  return r;
}

/** Bytes of one block's msa weights (qkv, proj, norm1) streamed per invocation. */
export function weightBytes(dims: ModelDims, shared: SharedParams): number {
  return (
    linearWeightBytes(dims.D, 3 * dims.D, shared) +
    linearWeightBytes(dims.D, dims.D, shared) +
    (2 * dims.D * shared.precision.norm.width) / 8
  );
}

// ---- generator side: validation, C++ config structs, weight layout, AXI bundles (src/kernels/cpp/msa_block.ts)
export { validate, templateContext, weightLayout, axiBundles } from './cpp/msa_block.js';
