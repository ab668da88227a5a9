/**
 * ffn_block: LayerNorm2 -> dense MLP (fc1 + GELU, fc2) or MoE (gate, top-k, experts one after
 * another on the same linear engine) -> residual add.
 */
import type { Board } from '../board/schema.js';
import type { ModelDims } from '../model/config.js';
import { COST } from './costConstants.js';
import {
  addInto,
  axiPortResources,
  bufferCost,
  fifoCost,
  layerNormCycles,
  ceilDiv,
  linearCycles,
  linearWeightBytes,
  macResources,
  measuredExpertLoad,
  nonlinearUnit,
  portBytesPerCycle,
  registers,
  transferCycles,
  uniformExpertLoad,
  zeroResources,
  type CallContext,
  type ExpertLoad,
} from './costModel.js';
import type { FfnParams } from './params.js';
import type { CycleEstimate, ResourceEstimate, SharedParams } from './types.js';

// ---- cost model (cycles, resources): docs/cost-model.md ------------------------------------

/** What an ffn_block call computes: a dense MLP or a MoE block (with measured routing if known). */
export interface FfnCall extends CallContext {
  moe: boolean;
  tokensPerExpert?: number[]; // measured routing of this block (else uniform routing is assumed)
}

/**
 * Expert phase of a MoE block: the active experts run one after another on the linear engine
 * (their weight tiles stream in, double-buffered when the engine prefetches), each on its queued
 * tokens: gather (tile_in elements/cycle), fc1 + GELU, fc2, score-weighted scatter-add (tile_out
 * elements/cycle). Expected over the routing's token counts.
 */
export function expertCycles(
  params: FfnParams,
  dims: ModelDims,
  shared: SharedParams,
  load: ExpertLoad,
  bytesPerCycle: number,
): number {
  const { D, expertHidden: He } = dims;
  const { tile_in: ti, tile_out: to, token_lanes: lanes } = params;
  let sum = 0;
  for (const b of load.buckets) {
    const n = b.tokens;
    const one =
      Math.ceil(n) * (ceilDiv(D, ti) + ceilDiv(D, to)) +
      linearCycles(
        { tokens: n, inDim: D, outDim: He, tileIn: ti, tileOut: to, lanes },
        shared,
        bytesPerCycle,
      ) +
      linearCycles(
        { tokens: n, inDim: He, outDim: D, tileIn: ti, tileOut: to, lanes },
        shared,
        bytesPerCycle,
      );
    sum += b.experts * one;
  }
  return sum;
}

/** Bytes of one expert's weights (fc1 = htoh4, fc2 = h4toh, with biases). */
export function expertWeightBytes(dims: ModelDims, shared: SharedParams): number {
  return (
    linearWeightBytes(dims.D, dims.expertHidden, shared) +
    linearWeightBytes(dims.expertHidden, dims.D, shared)
  );
}

/**
 * Cycles of one ffn_block invocation (one block of one image). Stages run one after another;
 * inside a stage compute, weight tiles and activation traffic overlap (the largest counts).
 */
export function cycles(
  params: FfnParams,
  dims: ModelDims,
  shared: SharedParams,
  board: Board,
  call: FfnCall,
): CycleEstimate {
  const { D, numTokens: N } = dims;
  const p = shared.precision;
  const { tile_in: ti, tile_out: to, token_lanes: lanes } = params;
  const bpc = portBytesPerCycle(board, shared, call);
  const tokenBytes = (N * D * p.activation.width) / 8;
  const normBytes = (2 * D * p.norm.width) / 8;
  const shape = (inDim: number, outDim: number) => ({
    tokens: N,
    inDim,
    outDim,
    tileIn: ti,
    tileOut: to,
    lanes,
  });
  // x is read once and kept on chip (residual / output accumulator); elementwise passes run at tile_out per cycle
  const elementwise = N * ceilDiv(D, to);
  const ln =
    Math.max(transferCycles(tokenBytes, bpc), layerNormCycles(N, D, ti)) + transferCycles(normBytes, bpc);
  if (!call.moe || dims.experts === 0) {
    const H = dims.mlpHidden;
    const fc1 = linearCycles(shape(D, H), shared, bpc);
    const fc2 =
      linearCycles(shape(H, D), shared, bpc) + Math.max(transferCycles(tokenBytes, bpc), elementwise);
    return {
      cycles: COST.KERNEL_START_CYCLES + ln + fc1 + fc2,
      parts: { start: COST.KERNEL_START_CYCLES, layernorm: ln, fc1, fc2 },
    };
  }
  const E = dims.experts;
  const gate =
    linearCycles({ ...shape(D, E) }, shared, bpc) + N * E * COST.GATE_CYCLES_PER_EXPERT + elementwise;
  const load = call.tokensPerExpert
    ? measuredExpertLoad(call.tokensPerExpert)
    : uniformExpertLoad(N, E, dims.topK);
  const experts = expertCycles(params, dims, shared, load, bpc);
  // x_out and the routing (token, expert) choices leave after the last expert
  const write = Math.max(transferCycles(tokenBytes + N * dims.topK * 4, bpc), elementwise);
  return {
    cycles: COST.KERNEL_START_CYCLES + ln + gate + experts + write,
    parts: { start: COST.KERNEL_START_CYCLES, layernorm: ln, gate, experts, write },
  };
}

/**
 * Resources of one ffn_block compute unit. Every linear<CFG> instance of the generated kernel is
 * its own MAC array: dense fc1 and fc2 when the model has dense blocks, expert fc1 and fc2 when it
 * has MoE blocks (sharing one engine across them is future work: docs/cost-model.md).
 */
export function resources(
  params: FfnParams,
  dims: ModelDims,
  shared: SharedParams,
  board: Board,
): ResourceEstimate {
  const p = shared.precision;
  const A = p.activation.width;
  const { tile_in: ti, tile_out: to, token_lanes: lanes } = params;
  const N = dims.numTokens;
  const r = zeroResources();
  const dense = dims.experts === 0 || dims.moeBlocks.some((m) => !m);
  const moe = dims.experts > 0 && dims.moeBlocks.some((m) => m);
  const engines = COST.SHARED_LINEAR_ENGINE ? 1 : (dense ? 2 : 0) + (moe ? 2 : 0);
  addInto(r, macResources(ti * to * lanes, A, p.weight.width, board), engines);
  // LayerNorm2 at tile_in lanes + rsqrt; GELU on the fc1 output columns (epilogue serialised over lanes)
  addInto(r, macResources(2 * ti, A, A, board));
  addInto(r, macResources(ti, A, p.norm.width, board));
  addInto(r, nonlinearUnit(COST.RSQRT_MULTS, A, A, board));
  addInto(r, nonlinearUnit(COST.GELU_MULTS, A, 16, board), to);
  const hidden = Math.max(dims.moeBlocks.some((m) => !m) ? dims.mlpHidden : 0, dims.expertHidden);
  // buffers: x / output accumulator, normalised x, hidden activations
  addInto(r, bufferCost(A, N * dims.D, to, board));
  addInto(r, bufferCost(A, N * dims.D, ti * lanes, board));
  addInto(r, bufferCost(A, N * hidden, Math.max(ti * lanes, to), board));
  if (dims.experts > 0) {
    const E = dims.experts;
    // gate.h: E logit MACs per cycle (activation × weight); softmax exp + reciprocal, top-k compare
    // network, score × expert output (scatter-accumulate)
    addInto(r, macResources(E, A, p.weight.width, board));
    addInto(r, nonlinearUnit(COST.EXP_MULTS, A, 16, board));
    addInto(r, nonlinearUnit(COST.RECIP_MULTS, A, A, board));
    r.lut += dims.topK * E * A;
    addInto(r, macResources(to, A, A, board));
    // per-expert token queues: (token index, score) for up to N tokens each
    addInto(r, bufferCost(16 + A, E * N, 1, board));
  }
  addInto(r, registers(2 * ti * to * p.weight.width + to * lanes * p.accum.width));
  r.lut += 2 * to * lanes * A; // bias and residual adders
  addInto(r, fifoCost(shared.axiWidthBits, shared.streamDepth), 3);
  addInto(r, axiPortResources(shared.axiWidthBits), 2);
  r.lut += COST.LUT_PER_KERNEL;
  r.ff += COST.FF_PER_KERNEL;
  return r;
}

/** Bytes of weights one ffn_block call streams: dense fc1+fc2, or gate + the active experts'. */
export function weightBytes(dims: ModelDims, shared: SharedParams, call: FfnCall): number {
  const normBytes = (2 * dims.D * shared.precision.norm.width) / 8;
  if (!call.moe || dims.experts === 0)
    return (
      linearWeightBytes(dims.D, dims.mlpHidden, shared) +
      linearWeightBytes(dims.mlpHidden, dims.D, shared) +
      normBytes
    );
  const load = call.tokensPerExpert
    ? measuredExpertLoad(call.tokensPerExpert)
    : uniformExpertLoad(dims.numTokens, dims.experts, dims.topK);
  return (
    (dims.D * dims.experts * shared.precision.weight.width) / 8 +
    normBytes +
    load.activeExperts * expertWeightBytes(dims, shared)
  );
}

// ---- generator side: validation, C++ config structs, weight layout, AXI bundles (src/kernels/cpp/ffn_block.ts)
export { validate, templateContext, weightLayout, axiBundles } from './cpp/ffn_block.js';
