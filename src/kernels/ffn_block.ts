/**
 * ffn_block: LayerNorm2 -> dense MLP (fc1 + GELU, fc2) or MoE (gate, top-k, experts one after
 * another on the same linear engine) -> residual add.
 */
import type { Board } from '../board/schema.js';
import { hasMoe, type ModelDims } from '../model/config.js';
import { COST, LATENCY } from './costConstants.js';
import { engineFifos, pipelinedLoopCycles, routeClearCycles, routeListCycles } from './latency.js';
import { engineGeluUnits, gateUnits } from './cpp/blocks.js';
import { gateOut } from './cpp/ffn_block.js';
import { PROB } from './cpp/formats.js';
import {
  addInto,
  axiPortResources,
  bufferCost,
  ceilDiv,
  drainIterations,
  linearCycles,
  LINEAR_LOOP_DEPTH,
  passFetchCycles,
  tileLoadCycles,
  tokenGroups,
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
  fifos: { tiles: number; passes: number } = engineFifos(),
): number {
  // the search asks for the same phase many times (a design's rest cached apart from it, and
  // uniform routing one ExpertLoad object): cached per load, shared facts and engine
  let byShared = expertCache.get(load);
  if (!byShared) expertCache.set(load, (byShared = new WeakMap()));
  let byKey = byShared.get(shared);
  if (!byKey) byShared.set(shared, (byKey = new Map()));
  const key = `${dims.D},${dims.expertHidden},${params.tile_in},${params.tile_out},${params.token_lanes},${bytesPerCycle},${gatherLanes},${fifos.tiles},${fifos.passes}`;
  let c = byKey.get(key);
  if (c === undefined) byKey.set(key, (c = expertCyclesOf(params, dims, shared, load, bytesPerCycle, gatherLanes, fifos)));
  return c;
}
const expertCache = new WeakMap<ExpertLoad, WeakMap<SharedParams, Map<string, number>>>();

function expertCyclesOf(
  params: FfnParams,
  dims: ModelDims,
  shared: SharedParams,
  load: ExpertLoad,
  bytesPerCycle: number,
  gatherLanes: number,
  fifos: { tiles: number; passes: number },
): number {
  if (fifos.tiles > LATENCY.DEFAULT_STREAM_DEPTH)
    return expertPhaseCycles(params, dims, shared, load.sequence, bytesPerCycle, gatherLanes, fifos);
  const { D, expertHidden: He } = dims;
  const { tile_in: ti, tile_out: to, token_lanes: lanes } = params;
  let sum = 0;
  let first = 0;
  for (const b of load.buckets) {
    const n = b.tokens;
    const fc1Shape = { tokens: n, inDim: D, outDim: He, tileIn: ti, tileOut: to, lanes };
    const fc2Shape = { tokens: n, inDim: He, outDim: D, tileIn: ti, tileOut: to, lanes };
    const gather = gatherCycles(n, D, gatherLanes);
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

/** tokens.h gather_rows: an expert's n token rows into B, a loop instance per row (an imperfect nest), its depth each. */
function gatherCycles(n: number, D: number, gatherLanes: number): number {
  return Math.ceil(n) * pipelinedLoopCycles(ceilDiv(D, gatherLanes), 1, LATENCY.ELEMENTWISE_DEPTH);
}

/**
 * The expert phase with a deep weight FIFO (`fifos.tiles` > the default; linear.h, latency.ts
 * engineFifos): the reader and the MACs as two machines with a buffer between them, pass by pass
 * over the experts in their running order (load.sequence: busy, idle, ...). Within a pass each
 * runs at its own rate: the reader a tile per `load` cycles after its burst's latency and bias
 * rows, the MACs a tile per max(MACs, drain) / in_tiles cycles of an out tile. The reader writes
 * tile g only once the MACs took tile g − tiles (the FIFO is full before), and a pass's descriptor
 * only once the MACs took the one `passes` earlier; the MACs take tile g when it has arrived and
 * they are done with g − 1. Over a pass these bounds are piecewise linear, so their maxima are at
 * the ends of the pieces (the passes' ends): each pass costs O(passes within the FIFO's reach).
 * A busy expert lets the reader bank up to `tiles` tiles; the idle expert after it takes them at
 * the MACs' pace. (The default FIFO keeps expertCycles' per-expert sum: the reader is never more
 * than a few tiles ahead.)
 */
export function expertPhaseCycles(
  params: FfnParams,
  dims: ModelDims,
  shared: SharedParams,
  sequence: number[],
  bytesPerCycle: number,
  gatherLanes: number,
  fifos: { tiles: number; passes: number },
): number {
  const { D, expertHidden: He } = dims;
  const { tile_in: ti, tile_out: to, token_lanes: lanes } = params;
  const load = tileLoadCycles(ti, to, shared, bytesPerCycle);
  const lat = LATENCY.FIFO_READ_LATENCY;
  // each pass: its tiles, the MACs' pace (cycles a tile), what the MACs do after the last tile is
  // taken, the reader's cycles before its first tile is written (burst latency, bias rows, words)
  interface Pass { start: number; tiles: number; pace: number; pop0: number; arrive0: number }
  const done: Pass[] = [];
  const descTaken: number[] = [];
  // when the MACs take global tile g (−∞ before the phase: its FIFO starts empty)
  const pop = (g: number): number => {
    for (let i = done.length - 1; i >= 0; i--) {
      const q = done[i];
      if (g >= q.start) return g < q.start + q.tiles ? Math.max(q.pop0 + (g - q.start) * q.pace, q.arrive0 + (g - q.start) * load) : Infinity;
    }
    return -Infinity;
  };
  let readerFree = 0;
  let engineFree = 0;
  let g0 = 0;
  for (const n of sequence) {
    if (n <= 0) continue;
    const shapes = [
      { s: { tokens: n, inDim: D, outDim: He, tileIn: ti, tileOut: to, lanes }, scatter: false },
      { s: { tokens: n, inDim: He, outDim: D, tileIn: ti, tileOut: to, lanes }, scatter: true },
    ];
    for (const [k, { s, scatter }] of shapes.entries()) {
      const outTiles = ceilDiv(s.outDim, s.tileOut);
      const inTiles = ceilDiv(s.inDim, s.tileIn);
      const tiles = outTiles * inTiles;
      const groups = tokenGroups(s.tokens, s.lanes);
      const drain = drainIterations(s, scatter);
      const run = Math.max(inTiles * groups, drain);
      const pace = run / inTiles;
      // the MACs' cycles after they take the last tile: its MACs, the drain-only run, the depth
      const tail = pace + drain + LINEAR_LOOP_DEPTH;
      const i = descTaken.length;
      // the reader's burst starts once it is done with the previous pass and the descriptor fits
      const r0 = Math.max(readerFree, i >= fifos.passes ? descTaken[i - fifos.passes] + 1 : 0);
      const taken = Math.max(engineFree, r0 + lat);
      descTaken.push(taken);
      // the expert's tokens gathered into B before its fc1
      const gather = k === 0 ? gatherCycles(n, D, gatherLanes) : 0;
      // the reader's own pace: its first tile written one fetch (less the hop into the MACs) after r0
      const write0 = r0 + passFetchCycles(s, shared, bytesPerCycle) - lat;
      const first = Math.max(write0, pop(g0 - fifos.tiles) + 1);
      const pop0 = Math.max(taken + gather, first + lat);
      const pass: Pass = { start: g0, tiles, pace, pop0, arrive0: first + lat };
      done.push(pass);
      // the last tile's write: its own pace, or held back by the FIFO (the bound's pieces end at
      // the passes' ends, where the tile `tiles` earlier was taken)
      let last = first + (tiles - 1) * load;
      const bound = (m: number) => pop(g0 + m - fifos.tiles) + 1 + (tiles - 1 - m) * load;
      last = Math.max(last, bound(tiles - 1));
      for (const q of done) {
        for (const edge of [q.start, q.start + q.tiles - 1]) {
          const m = edge - g0 + fifos.tiles;
          if (m > 0 && m < tiles - 1) last = Math.max(last, bound(m));
        }
      }
      const popLast = Math.max(pop0 + (tiles - 1) * pace, last + lat);
      engineFree = popLast + tail;
      readerFree = last + 1;
      g0 += tiles;
      // the history the FIFO's bound can reach
      while (done.length > 1 && done[1].start + done[1].tiles <= g0 - fifos.tiles) done.shift();
    }
  }
  return engineFree;
}

/** A MoE call's expert load: its measured routing, else uniform routing. */
export function callExpertLoad(dims: ModelDims, call: FfnCall): ExpertLoad {
  return call.tokensPerExpert
    ? measuredExpertLoad(call.tokensPerExpert)
    : uniformExpertLoad(dims.numTokens, dims.experts, dims.topK);
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
  moe: { gatherLanes?: number; copyForGathers?: boolean; fifos?: { tiles: number; passes: number } } = {},
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
  const load = callExpertLoad(dims, call);
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
  const experts = expertCycles(params, dims, shared, load, wbpc, moe.gatherLanes, moe.fifos);
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
  if (!hasMoe(dims)) return r;
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
  const load = callExpertLoad(dims, call);
  const gateOutDim = gateOut(dims, params.tile_out);
  return (
    linearWeightBytes(dims.D, gateOutDim, shared) +
    normBytes +
    load.activeExperts * expertWeightBytes(dims, shared)
  );
}

// ---- generator side: validation, C++ config structs, weight layout, AXI bundles (src/kernels/cpp/ffn_block.ts)
export { validate, templateContext, weightLayout, axiBundles } from './cpp/ffn_block.js';
