/**
 * msa_block: LayerNorm1 -> qkv linear (D -> 3D, a pass per head) -> streaming attention -> proj
 * linear (two passes split by the heads they read) -> residual.
 */
import type { Board } from '../board/schema.js';
import type { ModelDims } from '../model/config.js';
import { COST, LATENCY } from './costConstants.js';
import {
  attentionAvSteps,
  attentionBlockMaxCycles,
  attentionExpUnits,
  attentionOutRows,
  attentionOutRowSteps,
  attentionReaderPlan,
  attentionSoftmaxSteps,
  pipelinedLoopCycles,
} from './latency.js';
import { formats, MANT, PROB, WIDE } from './cpp/formats.js';
import {
  addInto,
  axiPortResources,
  bufferCost,
  ceilDiv,
  fifoCost,
  linearCycles,
  linearWeightBytes,
  passTailCycles,
  macResources,
  nonlinearUnit,
  portBytesPerCycle,
  weightBytesPerCycle,
  weightPortCount,
  registers,
  transferCycles,
  zeroResources,
  type CallContext,
} from './costModel.js';
import { msaBuffers, msaQkvCols } from './buffers.js';
import { engineResources } from './engineCost.js';
import { kernelLayerNormPlan, layerNormResources, tokenLayerNormCycles } from './layernorm.js';
import { kernelShared, type MsaParams } from './params.js';
import type { CycleEstimate, ResourceEstimate, SharedParams } from './types.js';

// ---- cost model (cycles, resources): docs/cost-model.md ------------------------------------

/** The attention's schedule figures (attention.h, per head): see attentionCycles. */
interface AttentionSchedule {
  readHead: number; // the reader's steps per head
  firstGroupReady: number; // from the reader's start of a head until its first group has its last key block
  groupPace: number; // one query group: the slower of its key blocks and its finish
  groups: number;
  fillTail: number; // one block through every stage, and the last finish beyond its A·V pass
}

function attentionSchedule(params: MsaParams, dims: ModelDims, qkvCols: number): AttentionSchedule {
  const N = dims.numTokens;
  const { q_parallel: qp, key_block: kb } = params;
  const hd = dims.headDim;
  const groups = ceilDiv(N, qp);
  const keyBlocks = ceilDiv(N, kb);
  const L = LATENCY;
  // the reader: per head its rows of ROW_STEPS steps, then the flush steps (latency.ts)
  const reader = attentionReaderPlan(N, hd, qp, kb, qkvCols);
  const normalise = pipelinedLoopCycles(hd * attentionOutRowSteps(qp, params.token_lanes), 1, L.ATTN_NORMALISE_DEPTH);
  const finishGroup = pipelinedLoopCycles(qp, 1, L.RECIP_CYCLES) + normalise;
  // per key block: the score, softmax and A·V loops are one flattened pipeline each (a block is
  // head_dim / SM_STEPS / AV_STEPS iterations; their depths count once, in the fill)
  const smSteps = attentionSoftmaxSteps(qp, kb, hd);
  const avSteps = attentionAvSteps(hd);
  const score = pipelinedLoopCycles(hd, 1, L.ATTN_QK_DEPTH + L.ATTN_SCALE_CYCLES); // a block's scores out
  const softmax = pipelinedLoopCycles(smSteps, 1, attentionBlockMaxCycles(kb) + L.ATTN_SOFTMAX_DEPTH); // its probabilities out
  const av = pipelinedLoopCycles(hd, 1, L.ATTN_AV_DEPTH); // a block's last column out
  const pace = Math.max(hd, smSteps, avSteps);
  const fill = L.ATTN_READ_DEPTH + score + softmax + av + 2 * L.FIFO_READ_LATENCY;
  const tail = Math.max(0, normalise - av) + L.ATTN_NORMALISE_DEPTH;
  // a head's first group waits until its last key block has left the reader (at the end of the
  // head's rows, or later when its blocks pass the score stage slower than the reader sends them:
  // the first block and query group at row max(q_parallel, key_block))
  const firstGroupReady =
    Math.max(reader.rows * reader.rowSteps, Math.max(qp, kb) * reader.rowSteps + (keyBlocks - 1) * pace) + hd;
  return {
    readHead: reader.headSteps,
    firstGroupReady,
    groupPace: Math.max(keyBlocks * pace, finishGroup),
    groups,
    fillTail: fill + tail,
  };
}

/**
 * Streaming attention cycles of `heads` heads (one region call), as attention.h runs (checked
 * against the timed C-simulation: docs/cost-model.md, "The attention"), the reader starting head
 * h at `ready[h]` (the cycle its q | k | v are in qkv; all 0: every head there from the start).
 * Five dataflow processes: the reader (per head attentionReaderPlan's steps: the K/V split and the
 * query rows, KV_READS / Q_READS elements a cycle), then per query group the key blocks through
 * scores -> softmax -> A·V and the finish. The score, softmax and A·V loops are each one
 * flattened pipeline over the call's blocks: per key block the slowest of their steps (head_dim,
 * SM_STEPS: the exp chunks on EXP_UNITS units, the SAME figures the kernel renders, latency.ts;
 * AV_STEPS) sets the pace; per group the slower of its blocks and the finish. Head h's reader
 * starts once its head is ready and the reader is done with head h − 1; its groups end
 * firstGroupReady + (groups − 1) group paces after that, or a head of groups after head h − 1's,
 * if later. Fill: one block through every stage; tail: the last finish beyond its A·V pass.
 * `qkvCols`: the column banks the reader reads q | k | v from (msa_block's qkv: msaQkvCols; a
 * fused block's B: vitBCols).
 */
export function attentionCycles(
  params: MsaParams,
  dims: ModelDims,
  ready: number[] = [],
  heads: number = dims.heads,
  qkvCols: number = msaQkvCols(params),
): number {
  if (heads === 0) return 0;
  const a = attentionSchedule(params, dims, qkvCols);
  const headGroups = a.groups * a.groupPace;
  let readerFree = 0;
  let groupsEnd = 0;
  for (let h = 0; h < heads; h++) {
    const start = Math.max(ready[h] ?? 0, readerFree);
    readerFree = start + a.readHead;
    const own = start + a.firstGroupReady + (a.groups - 1) * a.groupPace;
    groupsEnd = h === 0 ? own : Math.max(groupsEnd + headGroups, own);
  }
  return groupsEnd + a.fillTail;
}

/**
 * Cycles of one msa_block invocation (one block of one image). LayerNorm1 (x read into the
 * residual as it streams), then the kernel's region three times: first the qkv passes, one per
 * head (each D -> 3·head_dim; a pass's fetch hides behind the previous pass's tail), with the
 * attention of every head but the last beside them (head h's reader starts when head h's pass has
 * drained: its token, one FIFO hop later); then the last head's attention (its token sent at the
 * call's start) beside proj over the other heads' columns of o; then proj over the last head's
 * columns (each proj pass with its fetch: a new region call) and x leaving. `qkvCols`: as for
 * attentionCycles (the fused block's attention half passes its B's).
 */
export function cycles(
  params: MsaParams,
  dims: ModelDims,
  designShared: SharedParams,
  board: Board,
  call: CallContext = {},
  qkvCols: number = msaQkvCols(params),
): CycleEstimate {
  const shared = kernelShared(designShared, params);
  const { D, numTokens: N, headDim: hd } = dims;
  const p = shared.precision;
  const bpc = portBytesPerCycle(board, shared, call); // the activations' port
  const wbpc = weightBytesPerCycle(board, shared, call); // the weight ports together
  const tokenBytes = (N * D * p.activation.width) / 8;
  const shape = (inDim: number, outDim: number) => ({
    tokens: N,
    inDim,
    outDim,
    tileIn: params.tile_in,
    tileOut: params.tile_out,
    lanes: params.token_lanes,
  });
  // x read into the residual and LayerNorm1 as one streaming region (layernorm.h)
  const ln = tokenLayerNormCycles(dims, params.tile_in, shared, bpc, wbpc);
  const head = shape(D, 3 * hd);
  const ready: number[] = [];
  let engine = 0;
  for (let h = 0; h < dims.heads; h++) {
    engine += linearCycles(head, shared, wbpc, h === 0 ? {} : { prefetched: passTailCycles(head, shared, wbpc) });
    ready.push(engine + LATENCY.FIFO_READ_LATENCY);
  }
  // the first call runs the attention of every head but the last
  const qkvAttention = Math.max(engine, attentionCycles(params, dims, ready, dims.heads - 1, qkvCols));
  // the second: the last head's attention (its token sent at the call's start) beside proj's
  // passes over the other heads' columns of o; the third: proj over the last head's columns
  const leadIn = (dims.heads - 1) * hd;
  const lastHead = Math.max(
    attentionCycles(params, dims, [LATENCY.FIFO_READ_LATENCY], 1, qkvCols),
    leadIn > 0 ? linearCycles(shape(leadIn, D), shared, wbpc) : 0,
  );
  const proj = linearCycles(shape(hd, D), shared, wbpc) + transferCycles(tokenBytes, bpc);
  return {
    cycles: COST.KERNEL_START_CYCLES + ln + qkvAttention + lastHead + proj,
    parts: { start: COST.KERNEL_START_CYCLES, layernorm: ln, qkv_attention: qkvAttention, last_head: lastHead, proj },
  };
}

/** Resources of one msa_block compute unit. */
export function resources(
  params: MsaParams,
  dims: ModelDims,
  designShared: SharedParams,
  board: Board,
): ResourceEstimate {
  const shared = kernelShared(designShared, params);
  const p = shared.precision;
  const r = zeroResources();
  // ONE linear engine runs qkv and proj: tile_in × tile_out × lanes MACs; its accumulators hold
  // tile_out outputs of every token row
  addInto(r, engineResources(params.tile_in, params.tile_out, params.token_lanes, shared, board));
  addInto(r, attentionResources(params, dims, shared, board));
  // LayerNorm1's streaming region (layernorm.ts)
  addInto(r, layerNormResources(kernelLayerNormPlan(dims, params.tile_in, shared), p, shared.axiWidthBits, board));
  // on-chip buffers (buffers.ts: the engine's accumulators, x, s, qkv and the attention's)
  for (const b of msaBuffers(params, dims, shared))
    addInto(r, bufferCost(b.widthBits, b.words, b.banks, board));
  // gmem_act and the weight ports
  addInto(r, axiPortResources(shared.axiWidthBits), 1 + weightPortCount(shared));
  r.lut += COST.LUT_PER_KERNEL;
  r.ff += COST.FF_PER_KERNEL;
  return r;
}

/**
 * attention.h's units (msa_block's, and the fused vit_block's): the score and A·V MACs, the exp
 * units, the reciprocal and the output normalisers, the block's registers and the FIFOs between
 * its five processes (its arrays are in buffers.ts).
 */
export function attentionResources(
  params: MsaParams,
  dims: ModelDims,
  shared: SharedParams,
  board: Board,
): ResourceEstimate {
  const p = shared.precision;
  const A = p.activation.width;
  const { q_parallel: qp, key_block: kb } = params;
  const r = zeroResources();
  const Q = formats(p).qkv.width;
  // per cycle q_parallel × key_block score MACs (q·k, both qkv_t) and as many A·V MACs
  // (prob_t × v); the operand widths are the generated kernel's (src/kernels/cpp/formats.ts)
  addInto(r, macResources(qp * kb, Q, Q, board));
  addInto(r, macResources(qp * kb, PROB.width + 1, Q, board)); // unsigned prob: one more bit in a signed port
  // softmax: EXP_UNITS exp units (latency.ts, rendered into the kernel), each with its own table;
  // finish: one reciprocal, OUT_ROWS normalise multipliers (onorm_t × 25-bit mantissa)
  addInto(r, nonlinearUnit('exp', A, board), attentionExpUnits(qp, kb, dims.headDim));
  addInto(r, nonlinearUnit('recip', A, board));
  const outRows = attentionOutRows(qp, params.token_lanes);
  addInto(r, macResources(outRows, WIDE - MANT.width, MANT.width + 1, board));
  // each lane bank's write takes the step's row in it: a mux of the OUT_ROWS values (A bits)
  r.lut += outRows > 1 ? Math.ceil((params.token_lanes * A * (outRows - 1)) / 2) : 0;
  // registers: scores and probabilities of a block, softmax state
  addInto(r, registers(2 * qp * kb * A + 4 * qp * A));
  const hd = dims.headDim;
  const groups = ceilDiv(dims.numTokens, qp);
  const keyBlocks = ceilDiv(dims.numTokens, kb);
  const oaccW = WIDE - PROB.width;
  // the FIFOs: query columns and K, V columns (a head each: the reader runs a head ahead), score
  // blocks, probability blocks, l, A·V columns
  addInto(r, fifoCost(qp * Q, groups * hd));
  addInto(r, fifoCost(kb * Q, keyBlocks * hd), 2);
  addInto(r, fifoCost(qp * kb * A, shared.streamDepth));
  addInto(r, fifoCost(qp * (kb + 1) * PROB.width, 2));
  addInto(r, fifoCost(qp * 32, 2));
  addInto(r, fifoCost(qp * oaccW, hd));
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
