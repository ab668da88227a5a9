/**
 * The on-chip arrays of msa_block and ffn_block, by the names the templates and headers give them:
 * priced by each kernel's resources() (bufferCost) and, where bufferStorage says URAM, bound by
 * the template (BIND_STORAGE impl=uram) — one list, so the code and the model agree (issue 13
 * item 8). patch_embed's list is patchBuffers (cpp/patch_embed.ts).
 */
import { hasDense, hasMoe, type ModelDims } from '../model/config.js';
import { COST } from './costConstants.js';
import { attentionReaderPlan, engineFifos } from './latency.js';
import type { Buffer } from './costModel.js';
import { formats, PROB, residualFx, WIDE } from './cpp/formats.js';
import { patchOnEngine, vitFfnParams, type FfnParams, type MsaParams, type VitParams } from './params.js';
import type { SharedParams } from './types.js';

/** msa_block: the engine's accumulators (linear.h), x, s, qkv (the template), the attention's arrays (attention.h). */
export function msaBuffers(params: MsaParams, dims: ModelDims, shared: SharedParams): Buffer[] {
  const p = shared.precision;
  const A = p.activation.width;
  const Q = formats(p).qkv.width;
  const { tile_in: ti, tile_out: to, token_lanes: lanes } = params;
  const laneRows = Math.ceil(dims.numTokens / lanes) * lanes; // rows padded to whole groups
  const accRows = Math.max(Math.ceil(dims.numTokens / lanes), COST.ACC_DEPENDENCE_DISTANCE) * lanes;
  return [
    // the engine's accumulators, double-buffered (linear.h: out tile t accumulates while t − 1 drains)
    { name: 'acc', widthBits: p.accum.width, words: 2 * accRows * to, banks: 2 * to * lanes },
    // x: the residual the proj passes drain into; s: LayerNorm1 output; o: the attention output
    // (proj's source: the attention writes it while the next head's qkv pass still reads s, and
    // the last head's columns while proj reads the others': a row per lane bank a cycle each,
    // latency.ts attentionOutRows);
    // qkv: drained LANES rows per cycle (head h's q | k | v at columns h·3·head_dim), read one row
    // per cycle by the attention's reader. All four in the lane layout [groups][LANES][...]: rows
    // padded to whole groups, lanes × cols banks
    {
      name: 'x',
      widthBits: A,
      words: laneRows * dims.D,
      banks: msaXCols(params, A, shared.axiWidthBits) * lanes,
    },
    { name: 's', widthBits: A, words: laneRows * dims.D, banks: ti * lanes },
    { name: 'o', widthBits: A, words: laneRows * dims.D, banks: ti * lanes },
    { name: 'qkv', widthBits: Q, words: laneRows * 3 * dims.D, banks: lanes * msaQkvCols(params) },
    ...attentionBuffers(params, dims, shared, msaQkvCols(params)),
  ];
}

/** attention.h's own arrays (msa_block's and vit_block's attention). */
function attentionBuffers(params: MsaParams, dims: ModelDims, shared: SharedParams, qkvCols: number): Buffer[] {
  const Q = formats(shared.precision).qkv.width;
  const { q_parallel: qp, key_block: kb } = params;
  const hd = dims.headDim;
  const keyBlocks = Math.ceil(dims.numTokens / kb);
  const reader = attentionReaderPlan(dims.numTokens, hd, qp, kb, qkvCols);
  return [
    // attention.h: the reader's double buffers (K and V of a block: a bank per key and column read per cycle; the queries of
    // a group: a bank per row), the score stage's K and the A·V stage's V (a bank per key), the
    // group's query rows and the A·V accumulators (a bank per row)
    { name: 'k_block', widthBits: Q, words: 2 * hd * kb, banks: 2 * kb * reader.kvReads },
    { name: 'v_block', widthBits: Q, words: 2 * hd * kb, banks: 2 * kb * reader.kvReads },
    { name: 'q_block', widthBits: Q, words: 2 * qp * hd, banks: 2 * qp },
    { name: 'kt', widthBits: Q, words: keyBlocks * kb * hd, banks: kb },
    { name: 'vt', widthBits: Q, words: keyBlocks * kb * hd, banks: kb },
    { name: 'qreg', widthBits: Q, words: qp * hd, banks: qp },
    { name: 'o', widthBits: WIDE - PROB.width, words: qp * hd, banks: qp },
  ];
}

/** ffn_block: s, hidden, res (the template), the engine's accumulators; with MoE h and the queues. */
export function ffnBuffers(params: FfnParams, dims: ModelDims, shared: SharedParams): Buffer[] {
  const p = shared.precision;
  const A = p.activation.width;
  const { tile_out: to, token_lanes: lanes } = params;
  const N = dims.numTokens;
  const moe = hasMoe(dims);
  const hidden = Math.max(hasDense(dims) ? dims.mlpHidden : 0, moe ? dims.expertHidden : 0);
  // s, hidden, res in the lane layout (rows padded to whole groups, lanes × cols banks); the
  // presets have no final norm (ffnArrays' finalNorm only widens s for its AXI writer)
  const arr = ffnArrays(params, A, shared.axiWidthBits, false);
  const laneRows = Math.ceil(N / lanes) * lanes;
  const accRows = Math.max(Math.ceil(N / lanes), COST.ACC_DEPENDENCE_DISTANCE) * lanes;
  return [
    { name: 's', widthBits: A, words: laneRows * dims.D, banks: arr.sCols * lanes },
    { name: 'hidden', widthBits: A, words: laneRows * hidden, banks: arr.hiddenCols * lanes },
    { name: 'res', widthBits: p.accum.width, words: laneRows * dims.D, banks: arr.resCols * lanes },
    // the engine's accumulators, double-buffered (linear.h: out tile t accumulates while t − 1 drains)
    { name: 'acc', widthBits: p.accum.width, words: 2 * accRows * to, banks: 2 * to * lanes },
    ...(moe
      ? [
          // the kept LayerNorm2 output; per-expert token queues: (token index, score) for up to N tokens
          { name: 'h', widthBits: A, words: N * dims.D, banks: arr.hCols },
          { name: 'queue', widthBits: 16 + A, words: dims.experts * N, banks: 1 },
        ]
      : []),
  ];
}

/**
 * vit_block (the fused block): ONE engine's accumulators; s (LayerNorm1 then LayerNorm2 output),
 * o (the attention output), B (q | k | v, then the hidden layer or the gate's logits, and an
 * expert's gathered tokens), R (the residual through both halves, in residualFx: both halves'
 * sums exactly); the attention's arrays; with MoE the queues. Partitions: vitArrays.
 */
export function vitBuffers(params: VitParams, dims: ModelDims, shared: SharedParams, finalNorm = false): Buffer[] {
  const p = shared.precision;
  const f = formats(p);
  const A = p.activation.width;
  const { tile_out: to, token_lanes: lanes } = params;
  const N = dims.numTokens;
  const laneRows = Math.ceil(N / lanes) * lanes;
  const accRows = Math.max(Math.ceil(N / lanes), COST.ACC_DEPENDENCE_DISTANCE) * lanes;
  const arr = vitArrays(params, dims, A, shared.axiWidthBits, finalNorm);
  const moe = hasMoe(dims);
  return [
    { name: 'acc', widthBits: p.accum.width, words: 2 * accRows * to, banks: 2 * to * lanes },
    { name: 's', widthBits: A, words: laneRows * dims.D, banks: arr.sCols * lanes },
    { name: 'o', widthBits: A, words: laneRows * dims.D, banks: arr.oCols * lanes },
    { name: 'b', widthBits: A, words: laneRows * arr.bDim, banks: arr.bCols * lanes },
    { name: 'r', widthBits: residualFx(f).width, words: laneRows * dims.D, banks: arr.rCols * lanes },
    ...attentionBuffers(params, dims, shared, vitBCols(params)),
    ...(moe
      ? [
          { name: 'queue', widthBits: 16 + A, words: dims.experts * N, banks: 1 },
        ]
      : []),
    // patch_on_engine: position_residual's cls row (patch.h), an AXI word's activations a cycle
    ...(patchOnEngine(params)
      ? [{ name: 'head', widthBits: A, words: dims.D, banks: Math.floor(shared.axiWidthBits / A) }]
      : []),
  ];
}

/**
 * vit_block's token arrays and their column partitions (the largest need of each array's users,
 * as ffnArrays): s the engine's tile_in reads, the array LayerNorms' chunk writes (norm_lanes),
 * the gathers' reads (with a final norm, the AXI writer); o the engine's tile_in reads (the
 * attention writes one column); B the drain's tile_out writes, the engine's tile_in reads (fc2,
 * an expert's fc1), the gathers' writes and the attention reader's tile_out reads; R the AXI
 * reader and writer, the LayerNorms' chunks and the drain's tile_out. The gathers move
 * gatherLanes = max(tile_in, tile_out) elements a cycle from s into B's columns gatherCol0 ..
 * gatherCol0 + D (MoE: after the hidden layer's, on a bank boundary). bDim: q | k | v, the hidden
 * layer or the gate's logits, or the hidden layer and the gathered tokens, whichever is widest;
 * mlpOut: the hidden layer or the logits.
 */
export function vitArrays(
  params: VitParams,
  dims: ModelDims,
  actBits: number,
  axiBits: number,
  finalNorm: boolean,
): { sCols: number; oCols: number; bCols: number; rCols: number; bDim: number; mlpOut: number; gatherLanes: number; gatherCol0: number } {
  const { tile_in: ti, tile_out: to } = params;
  const ffn = ffnArrays(vitFfnParams(params), actBits, axiBits, finalNorm);
  const moe = hasMoe(dims);
  const hidden = Math.max(hasDense(dims) ? dims.mlpHidden : 0, moe ? dims.expertHidden : 0);
  const gateCols = moe ? Math.ceil(dims.experts / to) * to : 0;
  const norm = params.norm_lanes ?? 1; // the array LayerNorms' chunk: read from R, written to s
  const gatherLanes = vitBCols(params);
  const bank = lcm(ti, to); // a multiple of tile_in (fc1's in tiles) and of the gathers' lanes
  const mlpOut = Math.max(hidden, gateCols);
  const gatherCol0 = moe ? Math.ceil(dims.expertHidden / bank) * bank : 0;
  return {
    sCols: Math.max(ffn.sCols, norm, gatherLanes),
    oCols: ti,
    bCols: gatherLanes,
    rCols: Math.max(ffn.resCols, ti, norm),
    // (with patch_on_engine the patch pass reads the gathered patches from B: C·P·P columns)
    bDim: Math.max(3 * dims.D, mlpOut, moe ? gatherCol0 + dims.D : 0, patchOnEngine(params) ? dims.patchInputs : 0),
    mlpOut, // the MLP half's widest layer output (into B)
    gatherLanes,
    gatherCol0,
  };
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const lcm = (a: number, b: number): number => (a / gcd(a, b)) * b;

/** Column banks of qkv (the engine's B): the drain writes tile_out columns; the attention's reader reads as many (attentionReaderPlan). */
export const msaQkvCols = (params: MsaParams): number => params.tile_out;

/**
 * Column banks of a fused block's B (q | k | v, the hidden layer, an expert's gathered tokens): the
 * gathers move max(tile_in, tile_out) elements a cycle, fc2 reads tile_in; the attention's reader
 * reads q | k | v as many columns a step (one port of each bank; the qkv drain writes through the
 * other).
 */
export const vitBCols = (params: VitParams): number => Math.max(params.tile_in, params.tile_out);

/** Column banks of x (the engine's R): the AXI row reader/writer, LayerNorm1 (tile_in), proj's drain (tile_out). */
export function msaXCols(params: MsaParams, actBits: number, axiBits: number): number {
  return Math.max(Math.floor(axiBits / actBits), params.tile_in, params.tile_out);
}

/**
 * The kernel's token arrays and their partitions (item: one partition per array, at its
 * declaration, the largest need of all its users). s, hidden and res are the engine's S, B and R
 * in the lane layout [groups][LANES][dim] (tokens.h, linear.h): the lane dimension is completely
 * partitioned, the columns cyclic by `cols`. h is [N][D] (read one row at a time).
 * Needs per cycle: the AXI row writer ACTS_PER_WORD elements (res; s when the final norm's
 * output is written from s), LayerNorm its CHUNK (at most ACTS_PER_WORD and tile_in: res as the
 * residual lands, s), the engine tile_in reads and tile_out writes (s, hidden), its drain
 * tile_out (res), the row copies / gathers tile_out (s, h).
 * The cost model prices the same banks (ffn_block.ts resources).
 */
export function ffnArrays(
  params: FfnParams,
  actBits: number,
  axiBits: number,
  finalNorm: boolean,
): { lanes: number; sCols: number; hiddenCols: number; resCols: number; hCols: number } {
  const { tile_in: ti, tile_out: to, token_lanes: lanes } = params;
  const apw = Math.floor(axiBits / actBits);
  return {
    lanes,
    sCols: Math.max(ti, to, finalNorm ? apw : 1),
    hiddenCols: Math.max(ti, to),
    resCols: Math.max(to, apw),
    hCols: to,
  };
}

/** Passes of a vit_block region call at most: a head's qkv each, or an expert's fc1 and fc2 each. */
export const vitMaxPasses = (dims: ModelDims): number =>
  Math.max(dims.heads, hasMoe(dims) ? 2 * dims.experts : 2);

/**
 * vit_block's engine FIFOs (latency.ts engineFifos): weight_fifo tiles; the descriptors sized for
 * the expert passes (an expert's fc1, as many tiles as its fc2), or the dense fc1 without experts.
 */
export function vitEngineFifos(params: VitParams, dims: ModelDims): { tiles: number; biases: number; passes: number } {
  const hidden = hasMoe(dims) ? dims.expertHidden : dims.mlpHidden;
  const passTiles = Math.ceil(dims.D / params.tile_in) * Math.ceil(hidden / params.tile_out);
  return engineFifos(params.weight_fifo, passTiles, vitMaxPasses(dims));
}
