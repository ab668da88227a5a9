/**
 * ffn_block: LayerNorm2 -> dense MLP (fc1 + GELU, fc2) or MoE (gate, top-k, experts one after
 * another on the same linear engine) -> residual add.
 */
import type { Board } from '../board/schema.js';
import type { ModelDims } from '../model/config.js';
import { COST, LATENCY } from './costConstants.js';
import { pipelinedLoopCycles, routeClearCycles, routeListCycles } from './latency.js';
import { engineGeluUnits, gateUnits } from './cpp/blocks.js';
import { gateOut } from './cpp/ffn_block.js';
import { PROB } from './cpp/formats.js';
import {
  addInto,
  axiPortResources,
  bufferCost,
  ceilDiv,
  linearCycles,
  passFetchCycles,
  passTailCycles,
  linearWeightBytes,
  macResources,
  measuredExpertLoad,
  nonlinearUnit,
  portBytesPerCycle,
  weightBytesPerCycle,
  weightPortCount,
  transferCycles,
  uniformExpertLoad,
  zeroResources,
  type CallContext,
  type ExpertLoad,
} from './costModel.js';
import { ffnBuffers } from './buffers.js';
import { engineResources } from './engineCost.js';
import { kernelLayerNormPlan, layerNormResources, tokenLayerNormCycles } from './layernorm.js';
import { kernelShared, type FfnParams } from './params.js';
import type { CycleEstimate, ResourceEstimate, SharedParams } from './types.js';

// ---- cost model (cycles, resources): docs/cost-model.md ------------------------------------

/** What an ffn_block call computes: a dense MLP or a MoE block (with measured routing if known). */
export interface FfnCall extends CallContext {
  moe: boolean;
  tokensPerExpert?: number[]; // measured routing of this block (else uniform routing is assumed)
}

/**
 * Expert phase of a MoE block: the active experts run one after another on the kernel's linear
 * engine, two passes each (fc1 + GELU, fc2 scattering p · y into the residual), on their queued
 * tokens; before its fc1 an expert's tokens are gathered (tile_out elements/cycle) while the
 * engine's reader prefetches that expert's first weight tiles. A pass waits for what of its fetch
 * (one burst: its bias rows, then its first tile) the previous pass's tail (and the gather) did not
 * hide. Expected over the routing's token counts.
 */
export function expertCycles(
  params: FfnParams,
  dims: ModelDims,
  shared: SharedParams,
  load: ExpertLoad,
  bytesPerCycle: number,
  gatherLanes = params.tile_out, // elements a gather moves per cycle (ffn_block: tile_out)
): number {
  const { D, expertHidden: He } = dims;
  const { tile_in: ti, tile_out: to, token_lanes: lanes } = params;
  let sum = 0;
  let first = 0;
  for (const b of load.buckets) {
    const n = b.tokens;
    const fc1Shape = { tokens: n, inDim: D, outDim: He, tileIn: ti, tileOut: to, lanes };
    const fc2Shape = { tokens: n, inDim: He, outDim: D, tileIn: ti, tileOut: to, lanes };
    // tokens.h gather_rows: a loop instance per row (an imperfect nest), its depth each
    const gather = Math.ceil(n) * pipelinedLoopCycles(ceilDiv(D, gatherLanes), 1, LATENCY.ELEMENTWISE_DEPTH);
    // an expert's fc1 fetch hides behind the previous expert's fc2 tail and this expert's gather
    // (the previous expert taken with the same token count), its fc2 fetch behind its fc1 tail
    const hidden = passTailCycles(fc2Shape, shared, bytesPerCycle, true) + gather;
    const fc1 = linearCycles(fc1Shape, shared, bytesPerCycle, { prefetched: hidden });
    const fc2 = linearCycles(fc2Shape, shared, bytesPerCycle, {
      prefetched: passTailCycles(fc1Shape, shared, bytesPerCycle),
      scatter: true,
    });
    sum += b.experts * (gather + fc1 + fc2);
    if (b === load.buckets[0]) {
      // the phase's first expert: its fc1 fetch hides only behind its own gather
      const fetch = passFetchCycles(fc1Shape, shared, bytesPerCycle);
      first = Math.max(0, fetch - gather) - Math.max(0, fetch - hidden);
    }
  }
  return sum + first;
}

/** Initiation interval of the per-token softmax + top-k: E logits read from B's dual-port banks. */
export function gateSelectII(params: FfnParams, dims: ModelDims): number {
  return ceilDiv(dims.experts, 2 * Math.max(params.tile_in, params.tile_out));
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
  designShared: SharedParams,
  board: Board,
  call: FfnCall,
  // the fused block's MoE (vit_block.ts): the gathers read LayerNorm2's output where it is (no
  // copy in the gate stage) and move gatherLanes elements a cycle
  moe: { gatherLanes?: number; copyForGathers?: boolean } = {},
): CycleEstimate {
  const shared = kernelShared(designShared, params);
  const { D, numTokens: N } = dims;
  const p = shared.precision;
  const { tile_in: ti, tile_out: to, token_lanes: lanes } = params;
  const bpc = portBytesPerCycle(board, shared, call); // the activations' port
  const wbpc = weightBytesPerCycle(board, shared, call); // the weight ports together
  const tokenBytes = (N * D * p.activation.width) / 8;
  const shape = (inDim: number, outDim: number) => ({
    tokens: N,
    inDim,
    outDim,
    tileIn: ti,
    tileOut: to,
    lanes,
  });
  // elementwise passes (the gate stage's copy of the LayerNorm2 output the gathers read) run at
  // tile_out elements per cycle
  const elementwise = N * ceilDiv(D, to);
  // x read into the residual accumulator the MLP drains into and LayerNorm2, as one streaming
  // region (layernorm.h)
  const ln = tokenLayerNormCycles(dims, ti, shared, bpc, wbpc);
  // x_out written from the residual, rounded to activations on the way (the routing is written in the gate stage)
  const write = transferCycles(tokenBytes, bpc);
  if (!call.moe || dims.experts === 0) {
    const H = dims.mlpHidden;
    const fc1 = linearCycles(shape(D, H), shared, wbpc);
    // fc2's biases and first tile load while fc1's last tiles compute and drain
    const fc2 = linearCycles(shape(H, D), shared, wbpc, {
      prefetched: passTailCycles(shape(D, H), shared, wbpc),
    });
    return {
      cycles: COST.KERNEL_START_CYCLES + ln + fc1 + fc2 + write,
      parts: { start: COST.KERNEL_START_CYCLES, layernorm: ln, fc1, fc2, write },
    };
  }
  const E = dims.experts;
  // gate: the task's logits as the engine's first pass of the call (S -> B, E padded to whole
  // output tiles, zero biases; its biases and first tile not prefetched); then, between the
  // engine's two phases, each token's one-pass softmax + top-k (pipelined over tokens: II = the
  // cycles to read its E logits from B, whose columns are cyclic over max(tile_in, tile_out)
  // dual-port banks), the queues and the copy of the normalised tokens the gathers read
  const gatePass = linearCycles(shape(D, gateOut(dims, to)), shared, wbpc);
  const select = pipelinedLoopCycles(N, gateSelectII(params, dims), COST.GATE_PIPELINE_DEPTH);
  const load = call.tokensPerExpert
    ? measuredExpertLoad(call.tokensPerExpert)
    : uniformExpertLoad(N, E, dims.topK);
  // the bookkeeping between the gate pass and the experts (ffn_block.cpp.ejs plan_experts, gate.h
  // route): the routing written (N × k words, its own burst), the expert counters cleared, the
  // (token, k) queueing loop, the active list, two pass descriptors per active expert
  const routes = N * dims.topK;
  const bookkeeping =
    COST.AXI_FIRST_BEAT_CYCLES +
    pipelinedLoopCycles(routes, 1, LATENCY.AXI_WRITE_DEPTH) +
    routeClearCycles(E) +
    pipelinedLoopCycles(routes, 1, LATENCY.ROUTE_DEPTH) +
    routeListCycles(E) +
    load.activeExperts * 2 * LATENCY.PLAN_PASS_CYCLES;
  const gate = gatePass + select + bookkeeping + (moe.copyForGathers === false ? 0 : elementwise);
  const experts = expertCycles(params, dims, shared, load, wbpc, moe.gatherLanes);
  return {
    cycles: COST.KERNEL_START_CYCLES + ln + gate + experts + write,
    parts: { start: COST.KERNEL_START_CYCLES, layernorm: ln, gate, experts, write },
  };
}

/**
 * Resources of one ffn_block compute unit: ONE linear engine (tile_in × tile_out × lanes MACs)
 * runs dense fc1/fc2 and every expert's fc1/fc2; its accumulators hold tile_out outputs of every
 * token row.
 */
export function resources(
  params: FfnParams,
  dims: ModelDims,
  designShared: SharedParams,
  board: Board,
): ResourceEstimate {
  const shared = kernelShared(designShared, params);
  const p = shared.precision;
  const A = p.activation.width;
  const { tile_in: ti, tile_out: to, token_lanes: lanes } = params;
  const r = zeroResources();
  // the MACs read their inputs as the linear-input class (8-bit in w8a8)
  addInto(r, engineResources(ti, to, lanes, shared, board));
  // LayerNorm2's streaming region (layernorm.ts); GELU in the drain (LANES rows × tile_out outputs per cycle)
  addInto(r, layerNormResources(kernelLayerNormPlan(dims, ti, shared), p, shared.axiWidthBits, board));
  addInto(r, nonlinearUnit('gelu', A, board), engineGeluUnits(true, lanes, to));
  // buffers (buffers.ts): the engine's source (LayerNorm2 output / gathered tokens), hidden,
  // the residual accumulator, the engine's accumulators; with MoE the kept LayerNorm2 output and
  // the expert queues
  for (const b of ffnBuffers(params, dims, shared))
    addInto(r, bufferCost(b.widthBits, b.words, b.banks, board));
  addInto(r, gateResources(to, dims, shared, board));
  // gmem_act and the weight ports
  addInto(r, axiPortResources(shared.axiWidthBits), 1 + weightPortCount(shared));
  r.lut += COST.LUT_PER_KERNEL;
  r.ff += COST.FF_PER_KERNEL;
  return r;
}

/**
 * The MoE gate's own units (ffn_block's, and the fused vit_block's; none without MoE blocks): the
 * logits are an engine pass (no MACs of their own); gate.h's one-pass softmax unrolled over the
 * experts: E − 1 exps + E − 1 rescale multiplies (24-bit fractions), k exps for the chosen, one
 * reciprocal (gateUnits); the top-k compare network; the scatter drain's probability × output
 * (tile_out per cycle: linear.h `p * y`, the unsigned prob_t, one bit more in a signed port, by
 * the engine's output).
 */
export function gateResources(tileOut: number, dims: ModelDims, shared: SharedParams, board: Board): ResourceEstimate {
  const r = zeroResources();
  if (!(dims.experts > 0 && dims.moeBlocks.some((m) => m))) return r;
  const A = shared.precision.activation.width;
  const E = dims.experts;
  const gu = gateUnits(E, dims.topK);
  addInto(r, nonlinearUnit('exp', A, board), gu.exp);
  addInto(r, macResources(E - 1, 25, 25, board));
  addInto(r, nonlinearUnit('recip', A, board), gu.recip);
  r.lut += dims.topK * E * A;
  addInto(r, macResources(tileOut, PROB.width + 1, A, board));
  return r;
}

/** Bytes of weights one ffn_block call streams: dense fc1+fc2, or gate (padded, zero biases) + the active experts'. */
export function weightBytes(params: FfnParams, dims: ModelDims, designShared: SharedParams, call: FfnCall): number {
  const shared = kernelShared(designShared, params);
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
  const gateOutDim = gateOut(dims, params.tile_out);
  return (
    linearWeightBytes(dims.D, gateOutDim, shared) +
    normBytes +
    load.activeExperts * expertWeightBytes(dims, shared)
  );
}

// ---- generator side: validation, C++ config structs, weight layout, AXI bundles (src/kernels/cpp/ffn_block.ts)
export { validate, templateContext, weightLayout, axiBundles } from './cpp/ffn_block.js';
