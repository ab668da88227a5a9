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
  linearComputeCycles,
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
 * Expert phase of a MoE block: active experts run one after another; expert e+1's fc1/fc2
 * weights load while e computes (double buffering), so each expert costs max(compute, load),
 * the first load is exposed and the last expert's compute is not overlapped by a load.
 */
export function expertCycles(params: FfnParams, dims: ModelDims, load: ExpertLoad, loadCycles: number): number {
  if (load.activeExperts <= 0) return 0;
  const { D, expertHidden: He } = dims;
  const compute = (n: number) =>
    linearComputeCycles(n, D, He, params.tile_in, params.tile_out, params.token_lanes) +
    linearComputeCycles(n, He, D, params.tile_in, params.tile_out, params.token_lanes);
  let sum = 0;
  let computeSum = 0;
  for (const b of load.buckets) {
    const c = compute(b.tokens);
    sum += b.experts * Math.max(c, loadCycles);
    computeSum += b.experts * c;
  }
  const meanCompute = computeSum / load.activeExperts;
  return loadCycles + sum - Math.max(0, loadCycles - meanCompute);
}

/** Bytes of one expert's weights (fc1 = htoh4, fc2 = h4toh, with biases). */
export function expertWeightBytes(dims: ModelDims, shared: SharedParams): number {
  return linearWeightBytes(dims.D, dims.expertHidden, shared) + linearWeightBytes(dims.expertHidden, dims.D, shared);
}

/**
 * Cycles of one ffn_block invocation (one block of one image). Stages run one after another;
 * inside a stage compute, weight stream and activation traffic overlap (the largest counts).
 */
export function cycles(params: FfnParams, dims: ModelDims, shared: SharedParams, board: Board, call: FfnCall): CycleEstimate {
  const { D, numTokens: N } = dims;
  const p = shared.precision;
  const { tile_in: ti, tile_out: to, token_lanes: lanes } = params;
  const bpc = portBytesPerCycle(board, shared, call);
  const tokenBytes = (N * D * p.activation.width) / 8;
  const normBytes = (2 * D * p.norm.width) / 8;
  const ln = Math.max(transferCycles(tokenBytes, bpc), layerNormCycles(N, D, ti));
  if (!call.moe || dims.experts === 0) {
    const H = dims.mlpHidden;
    const fc1 = Math.max(linearComputeCycles(N, D, H, ti, to, lanes), transferCycles(linearWeightBytes(D, H, shared) + normBytes, bpc));
    // fc2's epilogue adds the residual (x kept on chip) and writes x_out
    const fc2 = Math.max(
      linearComputeCycles(N, H, D, ti, to, lanes),
      transferCycles(linearWeightBytes(H, D, shared), bpc),
      transferCycles(tokenBytes, bpc),
    );
    return { cycles: COST.KERNEL_START_CYCLES + ln + fc1 + fc2, parts: { start: COST.KERNEL_START_CYCLES, layernorm: ln, fc1, fc2 } };
  }
  const E = dims.experts;
  const gateBytes = (D * E * p.weight.width) / 8 + normBytes;
  const gate = Math.max(linearComputeCycles(N, D, E, ti, to, lanes), transferCycles(gateBytes, bpc)) + N * E * COST.GATE_CYCLES_PER_EXPERT;
  const load = call.tokensPerExpert ? measuredExpertLoad(call.tokensPerExpert) : uniformExpertLoad(N, E, dims.topK);
  const experts = expertCycles(params, dims, load, transferCycles(expertWeightBytes(dims, shared), bpc));
  // x_out and the routing (token, expert) choices leave after the last expert
  const write = transferCycles(tokenBytes + N * dims.topK * 4, bpc);
  return {
    cycles: COST.KERNEL_START_CYCLES + ln + gate + experts + write,
    parts: { start: COST.KERNEL_START_CYCLES, layernorm: ln, gate, experts, write },
  };
}

/** Resources of one ffn_block compute unit (dense and MoE paths share the linear engine). */
export function resources(params: FfnParams, dims: ModelDims, shared: SharedParams, board: Board): ResourceEstimate {
  const p = shared.precision;
  const A = p.activation.width;
  const { tile_in: ti, tile_out: to, token_lanes: lanes } = params;
  const N = dims.numTokens;
  const r = zeroResources();
  addInto(r, macResources(ti * to * lanes, A, p.weight.width, board));
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
    // gate: softmax exp + reciprocal, top-k compare network, score × expert output (scatter-accumulate)
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
    return linearWeightBytes(dims.D, dims.mlpHidden, shared) + linearWeightBytes(dims.mlpHidden, dims.D, shared) + normBytes;
  const load = call.tokensPerExpert
    ? measuredExpertLoad(call.tokensPerExpert)
    : uniformExpertLoad(dims.numTokens, dims.experts, dims.topK);
  return (dims.D * dims.experts * shared.precision.weight.width) / 8 + normBytes + load.activeExperts * expertWeightBytes(dims, shared);
}
