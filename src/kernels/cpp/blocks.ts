/**
 * Config structs of the building blocks in hls/include/ubimoe/ (one builder per header). Each
 * returns the struct the header's template expects; the field lists here and the "CFG:" comment
 * at the top of each header are the same list.
 */
import { UserError } from '../../util/errors.js';
import { COST } from '../costConstants.js';
import {
  attentionBlockMaxCycles,
  attentionAvSteps,
  attentionExpChunks,
  attentionExpUnits,
  attentionOutRows,
  attentionOutRowSteps,
  attentionReaderPlan,
  attentionSoftmaxSteps,
  layerNormPlan,
  engineFifos,
  routeClearCycles,
  routeListCycles,
} from '../latency.js';
import { clog2, ensureWidth, frac, fx, productOf, type Fx } from './fixed.js';
import { cppAct, cppRaw, linearMaxShift, MANT, PROB, tileSumFx, WIDE, wideSumOf, type Formats } from './formats.js';
import { linearWords, padToPorts, perWord, wordsFor } from './layout.js';
import { k, t, type CppStruct } from './struct.js';

/** ap_ufixed<W,1> constant c as raw bits (W-1 fractional bits). */
function ufixedRaw(c: number, width: number): number {
  const raw = Math.round(c * 2 ** (width - 1));
  if (raw < 0 || raw >= 2 ** width) throw new Error(`constant ${c} does not fit ap_ufixed<${width},1>`);
  return raw;
}

/** read_rows / write_rows (tokens.h): rows of `dim` activations. */
export function tokensStruct(name: string, f: Formats, axi: number, dim: number, maxRows: number): CppStruct {
  return {
    name,
    comment: `${maxRows} rows of ${dim} activations on the AXI port`,
    types: [t('word_t', 'word_t'), t('act_t', 'act_t')],
    consts: [
      k('AXI_BITS', axi),
      k('ACT_BITS', f.act.width),
      k('ACTS_PER_WORD', perWord(f.act.width, axi)),
      k('ROW_WORDS', wordsFor(dim, f.act.width, axi)),
      k('DIM', dim),
      k('MAX_ROWS', maxRows),
    ],
  };
}

/** The linear engine of one kernel (linear.h): the MAC array and the arrays its passes use. */
export interface EngineSpec {
  name: string;
  comment: string;
  tileIn: number;
  tileOut: number;
  lanes: number;
  maxRows: number;
  sDim: number; // columns of the source array S
  bDim: number; // columns of the buffer B (stored into; read too when bIsSource)
  rDim: number; // columns of the residual R (1 when there is none)
  maxOut: number; // widest layer output (the reader's bias vector)
  maxWeights: number; // largest layer (in × out weights)
  queues: number; // expert queues the scatter drain may read (1 without experts)
  maxPasses: number; // layers per kernel call
  bIsSource: boolean;
  hasS2?: boolean; // a second source array S2 (msa_block: proj reads the attention output)
  hasR: boolean;
  scatter: boolean;
  bType: string; // element types (global typedefs) of B and R
  rType: string;
  /** A fused block's residual (linear.h MIXED_R): R holds both halves' sums, added in these types (act, acc). */
  mixedR?: { act: string; acc: string };
  weightFx: Fx;
  weightType: string;
  what: string; // design field for errors, e.g. kernels.ffn_block
  gelu?: boolean; // some layer applies GELU: the drain builds engineGeluUnits() GELU units
  fifos?: { tiles: number; biases: number; passes: number }; // latency.ts engineFifos (default: its defaults)
}

/** GELU units an engine's drain builds (linear.h): one per output per cycle, LANES rows × TILE_OUT. */
export function engineGeluUnits(gelu: boolean, lanes: number, tileOut: number): number {
  return gelu ? lanes * tileOut : 0;
}

/** rsqrt units of one LayerNorm instance (layernorm.h): one per row, between its passes. */
export const LAYERNORM_RSQRT_UNITS = 1;

/** Exp and reciprocal units of gate_select (gate.h), pipelined over tokens: E − 1 + k exps, 1 reciprocal. */
export function gateUnits(experts: number, topK: number): { exp: number; recip: number } {
  return { exp: experts - 1 + topK, recip: 1 };
}

/** Token groups a pass is padded to: the accumulator read-after-write distance (linear.h). */
export const MIN_TOKEN_GROUPS = COST.ACC_DEPENDENCE_DISTANCE;

/** engine_read / engine_pass<CFG> (linear.h). */
export function linearEngineStruct(s: EngineSpec, f: Formats, axi: number, ports = 1): CppStruct {
  // the MACs multiply lin_in_t operands: every engine input is an activation, quantised to the
  // linear-input class where the engine reads it (the same type as act_t unless types.linear_input)
  // with per-layer weight scales the tile sum is shifted right by up to maxShift bits in tsum_t,
  // which has that many more fractional bits (formats.ts, linearMaxShift)
  const maxShift = linearMaxShift(f, s.weightFx, s.tileIn);
  wideSumOf(f.linIn, s.weightFx, `${s.what}: linear products`); // (refuses a product fraction the 64-bit sums cannot hold)
  // the adder tree: a tile's exact sum at its own width; the shifted sum has maxShift more fraction
  const tree = tileSumFx(f.linIn, s.weightFx, s.tileIn, maxShift);
  const tsum = fx(tree.width + maxShift, tree.int);
  const accRows = s.lanes * Math.max(Math.ceil(s.maxRows / s.lanes), MIN_TOKEN_GROUPS);
  // a tile is whole rows of one word per weight port (layout.ts): each reader cycle takes one row
  const tileWords = padToPorts(wordsFor(s.tileIn * s.tileOut, s.weightFx.width, axi), ports);
  const fifos = s.fifos ?? engineFifos();
  return {
    name: s.name,
    comment: s.comment,
    types: [
      t('word_t', 'word_t'),
      t('in_t', 'act_t'),
      t('mac_in_t', 'lin_in_t', 'an input as the MACs read it (rounded, saturating)'),
      t('b_t', s.bType),
      t('r_t', s.rType),
      t('r_act_t', s.mixedR?.act ?? s.rType, s.mixedR ? "the attention half's residual sums" : undefined),
      t('r_acc_t', s.mixedR?.acc ?? s.rType, s.mixedR ? "the MLP half's residual sums" : undefined),
      t('prob_t', 'prob_t'),
      t('weight_t', s.weightType),
      t('bias_t', 'bias_t'),
      t('tree_t', cppRaw(tree), 'exact sum of a tile of products: the adder tree'),
      t('tsum_t', cppRaw(tsum), 'a tile sum shifted by the weight exponent (exact)'),
      t('acc_t', 'acc_t'),
      t('pre_t', 'act_t', 'accumulator + bias, before the activation'),
      t('y_t', 'act_t', 'a layer output'),
    ],
    consts: [
      k('AXI_BITS', axi),
      k('TILE_IN', s.tileIn),
      k('TILE_OUT', s.tileOut),
      k('LANES', s.lanes),
      k('MAX_ROWS', s.maxRows),
      k('MIN_GROUPS', MIN_TOKEN_GROUPS, 'token groups per pass at least (accumulator RAW distance)'),
      k('ACC_ROWS', accRows, 'accumulator rows: MAX_ROWS padded to MIN_GROUPS groups'),
      k('S_DIM', s.sDim),
      k('B_DIM', s.bDim),
      k('R_DIM', s.rDim),
      k('MAX_OUT', s.maxOut),
      k(
        'MAX_LAYER_WORDS',
        (s.maxWeights / (s.tileIn * s.tileOut)) * tileWords,
        'weight words of the largest layer',
      ),
      k('QUEUES', s.queues),
      k('MAX_PASSES', s.maxPasses),
      k('B_IS_SOURCE', s.bIsSource),
      k('HAS_S2', s.hasS2 ?? false),
      k('HAS_R', s.hasR),
      k('MIXED_R', s.mixedR !== undefined),
      k('SCATTER', s.scatter),
      k('WEIGHT_BITS', s.weightFx.width),
      k('WEIGHTS_PER_WORD', perWord(s.weightFx.width, axi)),
      k('TILE_WORDS', tileWords, ports > 1 ? `padded to a multiple of the ${ports} weight ports` : undefined),
      k('WEIGHT_PORTS', ports, 'the reader takes one word from each weight port per cycle'),
      k('BIAS_BITS', f.bias.width),
      k('BIASES_PER_WORD', perWord(f.bias.width, axi)),
      k(
        'BIAS_BANKS',
        lcm(s.tileOut, perWord(f.bias.width, axi) * ports),
        'banks of the bias buffer: the reader writes BIASES_PER_WORD a cycle per weight port, the drain reads TILE_OUT',
      ),
      k('PRE_BITS', f.act.width),
      k('PRE_FRAC', frac(f.act)),
      k(
        'MAX_WEIGHT_SHIFT',
        maxShift,
        maxShift ? "per-layer weight exponents: a scale word after each layer's biases" : 'no weight scales',
      ),
      k('SHIFT_BITS', Math.max(1, clog2(maxShift + 1)), 'bits of a weight exponent'),
      k('TILE_FIFO', fifos.tiles, 'weight tiles the reader may run ahead of the MACs (the FIFO; weight_fifo)'),
      k('BIAS_FIFO', fifos.biases, 'bias chunks ahead: one per out tile, never more than the tiles'),
      k('PASS_FIFO', fifos.passes, 'pass descriptors ahead: the reader runs TILE_FIFO tiles into the next passes'),
      k('HAS_GELU', s.gelu ?? false),
      k(
        'GELU_UNITS',
        engineGeluUnits(s.gelu ?? false, s.lanes, s.tileOut),
        'GELU units of the drain (each with its ROM)',
      ),
    ],
  };
}

export interface LayerSpec {
  name: string;
  comment: string;
  inDim: number;
  outDim: number;
  tileIn: number;
  tileOut: number;
  gelu: boolean;
  weightFx: Fx;
}

/** One layer's shape on its kernel's engine (layer_pass<LAYER>, linear.h). */
export function linearLayerStruct(s: LayerSpec, f: Formats, axi: number, ports = 1): CppStruct {
  if (frac(f.act) <= 7 && s.gelu)
    throw new UserError(`types.activation: GELU needs more than 7 fractional bits`);
  const maxShift = linearMaxShift(f, s.weightFx, s.tileIn);
  const lw = linearWords(s.inDim, s.outDim, s.tileIn, s.tileOut, s.weightFx, f.bias, axi, maxShift, ports);
  return {
    name: s.name,
    comment: s.comment,
    types: [],
    consts: [
      k('IN', s.inDim),
      k('OUT', s.outDim),
      k('IN_TILES', s.inDim / s.tileIn),
      k('OUT_TILES', s.outDim / s.tileOut),
      k('GELU', s.gelu),
      ...(lw.scaleWords ? [k('SCALE_OFFSET', lw.biasWords, 'words from the layer start to its scale word')] : []),
      k('TILES_OFFSET', lw.tilesOffset, 'words from the layer start to its first tile (after the bias rows)'),
      k('WORDS', lw.words),
    ],
  };
}

/** layernorm<CFG> / read_layernorm<CFG> (layernorm.h), eps = 1e-6; `lanes`: the kernel's tile_in (the plan's CHUNK is at most it). */
export function layerNormStruct(
  name: string,
  f: Formats,
  axi: number,
  dim: number,
  maxRows: number,
  lanes: number,
  what: string,
  ports = 1,
  arrayChunk?: number, // an array-sourced LayerNorm's own CHUNK (latency.ts layerNormPlan)
): CppStruct {
  const a = f.act;
  const plan = layerNormPlan(dim, a.width, f.norm.width, axi, lanes, arrayChunk);
  const lg = clog2(dim);
  const sum = ensureWidth(fx(a.width + lg, a.int + lg), `${what}: LayerNorm sum`);
  const sum32 = fx(Math.min(32, sum.width), sum.int);
  const invDim = fx(32, 1, false);
  const diff = fx(a.width + 1, a.int + 1);
  const isd = MANT;
  const dnWidth = Math.floor((WIDE - lg) / 2);
  const dn = fx(dnWidth, a.int + 1 - Math.floor(Math.log2(dim) / 2));
  if (frac(dn) < 8)
    throw new UserError(`${what}: LayerNorm over ${dim} values needs a narrower activation integer part`);
  const v = fx(2 * dn.width + lg, 2 * dn.int + lg);
  const scaled = ensureWidth(productOf(diff, MANT), `${what}: LayerNorm output`);
  const eps = Math.round(1e-6 * 2 ** frac(v));
  return {
    name,
    comment: `LayerNorm over ${dim} values (eps 1e-6)`,
    types: [
      t('word_t', 'word_t'),
      t('in_t', 'act_t'),
      t('norm_t', 'norm_t'),
      t('sum_t', cppRaw(sum)),
      t('sum32_t', cppRaw(sum32)),
      t('invd_t', cppRaw(invDim)),
      t('mean_t', 'act_t'),
      t('diff_t', cppRaw(diff)),
      t('isd_t', cppRaw(isd)),
      t('dn_t', cppAct(dn), '(x - mean) / sqrt(D)'),
      t('var_t', cppRaw(v)),
      t('mant_t', cppRaw(MANT)),
      t('scaled_t', cppRaw(scaled)),
      t('xhat_t', 'act_t'),
      t('out_t', 'act_t'),
    ],
    consts: [
      k('AXI_BITS', axi),
      k('DIM', dim),
      k('MAX_ROWS', maxRows),
      k('LANES', lanes, 'the banks of its arrays (the kernel tile_in)'),
      k('ACT_BITS', a.width),
      k('CHUNK', plan.chunk, 'elements per cycle in every process (latency.ts layerNormPlan)'),
      k('WORD_CHUNKS', plan.wordChunks, 'chunks per AXI word of the token reader'),
      k('CHUNKS_PER_ROW', plan.chunksPerRow),
      k('FIFO_DEPTH', plan.fifoDepth, 'the row FIFOs before the variance and the output'),
      k(
        'PARAM_BANKS',
        2 ** clog2(Math.max(plan.chunk, perWord(f.norm.width, axi))),
        'banks of gamma and beta: the output reads CHUNK, read_vector writes NORM_PER_WORD a cycle',
      ),
      k('NORM_BITS', f.norm.width),
      k('NORM_PER_WORD', perWord(f.norm.width, axi)),
      k('VECTOR_WORDS', plan.paramWords),
      k('BETA_OFFSET', padToPorts(plan.paramWords, ports), 'words from gamma to beta (the gamma segment)'),
      k('WEIGHT_PORTS', ports),
      k('INV_DIM_BITS', invDim.width),
      k('INV_DIM_RAW', ufixedRaw(1 / dim, invDim.width), `1/${dim}`),
      k('INV_SQRT_DIM_BITS', isd.width),
      k('INV_SQRT_DIM_RAW', ufixedRaw(1 / Math.sqrt(dim), isd.width), `1/sqrt(${dim})`),
      k('EPS_RAW', eps, '1e-6'),
      k('VAR_BITS', v.width),
      k('VAR_FRAC', frac(v)),
      k('SCALED_BITS', scaled.width),
      k('RSQRT_UNITS', LAYERNORM_RSQRT_UNITS, 'rsqrt units (each with its ROM)'),
    ],
  };
}

export interface AttentionSpec {
  streamDepth: number; // depth of the score-block FIFO between the dataflow stages
  tokens: number;
  dim: number;
  heads: number;
  headDim: number;
  qParallel: number;
  keyBlock: number;
  lanes: number; // token lanes of the kernel's linear engine: qkv and out are [groups][LANES][...]
  qkvColBanks: number; // column banks of qkv (the reader reads as many columns of a row per cycle)
  /** The array q | k | v are read from when it is not qkv_t[..][3·dim] (a fused block's engine B). */
  store?: { type: string; cols: number };
}

/** The CFG of attention.h's five processes (attention_reader<CFG> .. attention_finish<CFG>). */
export function attentionStruct(name: string, f: Formats, s: AttentionSpec, what: string): CppStruct {
  const q = f.qkv;
  const dot = wideSumOf(q, q, `${what}: q·k`);
  const dotr = fx(40, 2 * q.int + clog2(s.headDim));
  const scale = fx(24, 1, false);
  const score = f.score;
  const expUnits = attentionExpUnits(s.qParallel, s.keyBlock, s.headDim);
  const reader = attentionReaderPlan(s.tokens, s.headDim, s.qParallel, s.keyBlock, s.qkvColBanks);
  const psum = fx(PROB.width + clog2(s.keyBlock), PROB.int + clog2(s.keyBlock), false);
  const lsum = fx(32, clog2(s.tokens + 1) + 1, false);
  const pv = wideSumOf(PROB, q, `${what}: A·V`);
  const oacc = fx(WIDE - PROB.width, q.int + clog2(s.tokens) + 1);
  const onorm = fx(WIDE - MANT.width, oacc.int);
  ensureWidth(productOf(dotr, scale), `${what}: score scaling`);
  if (frac(oacc) < 16)
    throw new UserError(`${what}: too many tokens (${s.tokens}) for the attention accumulator`);
  return {
    name,
    comment: `streaming attention: ${s.heads} heads x ${s.headDim}, ${s.qParallel} query rows x ${s.keyBlock}-key blocks`,
    types: [
      t('qkv_t', 'qkv_t'),
      t('qkv_store_t', s.store?.type ?? 'qkv_t', 'elements of the array q | k | v are read from'),
      t('dot_t', cppRaw(dot)),
      t('dotr_t', cppRaw(dotr)),
      t('scale_t', cppRaw(scale)),
      t('score_t', 'score_t'),
      t('prob_t', 'prob_t'),
      t('psum_t', cppRaw(psum)),
      t('lsum_t', cppRaw(lsum)),
      t('pv_t', cppRaw(pv)),
      t('oacc_t', cppRaw(oacc)),
      t('onorm_t', cppRaw(onorm)),
      t('mant_t', cppRaw(MANT)),
      t('out_t', 'act_t'),
    ],
    consts: [
      k('TOKENS', s.tokens),
      k('DIM', s.dim),
      k('HEADS', s.heads),
      k('QKV_COLS', s.store?.cols ?? 3 * s.dim, 'columns of the array q | k | v are read from'),
      k('HEAD_DIM', s.headDim),
      k('Q_PAR', s.qParallel),
      k('KEY_BLOCK', s.keyBlock),
      k('LANES', s.lanes, 'token lanes: qkv and out are [ROW_GROUPS][LANES][...], the lanes complete'),
      k('ROW_GROUPS', Math.ceil(s.tokens / s.lanes), 'groups of LANES token rows'),
      k('SCALE_BITS', scale.width),
      k('SCALE_RAW', ufixedRaw(1 / Math.sqrt(s.headDim), scale.width), `head_dim^-0.5`),
      k('SCORE_BITS', score.width),
      k('SCORE_FRAC', frac(score)),
      k('PROB_BITS', PROB.width),
      k('PROB_FRAC', frac(PROB)),
      k('LSUM_BITS', lsum.width),
      k('LSUM_FRAC', frac(lsum)),
      k('ONORM_BITS', onorm.width),
      k('ONORM_FRAC', frac(onorm)),
      k('STREAM_DEPTH', s.streamDepth),
      k(
        'KEY_BLOCKS',
        Math.ceil(s.tokens / s.keyBlock),
        'key blocks (the K/V copies hold KEY_BLOCKS x KEY_BLOCK keys)',
      ),
      k('AV_STEPS', attentionAvSteps(s.headDim), "A·V steps per key block (head_dim, or the A·V latency if longer)"),
      k('EXP_UNITS', expUnits, 'exp units of the softmax (each with its own exp table)'),
      k(
        'EXP_CHUNKS',
        attentionExpChunks(s.qParallel, s.keyBlock, s.headDim),
        'chunks of EXP_UNITS rows per key block',
      ),
      k(
        'SM_STEPS',
        attentionSoftmaxSteps(s.qParallel, s.keyBlock, s.headDim),
        "the softmax's steps per key block (its exp chunks, at least the running sum's update latency)",
      ),
      k('ROWS', reader.rows, 'rows the reader walks per head (key blocks, zero past the last token)'),
      k('KV_READS', reader.kvReads, 'key and value elements of a row read per cycle (one per qkv column bank)'),
      k('Q_READS', reader.qReads, 'query elements of a row read per cycle'),
      k('ROW_STEPS', reader.rowSteps, "the reader's steps per row (reads; a block's / group's columns leave beside them)"),
      k('FLUSH_STEPS', reader.flushSteps, "the reader's steps after the last row (the last block and group leave)"),
      k('Q_FIFO_DEPTH', Math.ceil(s.tokens / s.qParallel) * s.headDim, "query columns: a head's groups"),
      k(
        'KV_FIFO_DEPTH',
        Math.ceil(s.tokens / s.keyBlock) * s.headDim,
        "key / value columns: a head's blocks",
      ),
      k('OUT_ROWS', attentionOutRows(s.qParallel, s.lanes), 'output rows written per cycle (one per lane bank)'),
      k('OUT_ROW_STEPS', attentionOutRowSteps(s.qParallel, s.lanes), 'steps per output column'),
      k(
        'BLOCK_MAX_CYCLES',
        attentionBlockMaxCycles(s.keyBlock),
        "timing: a block's max (compare tree, then the running max), in the softmax's iteration latency",
      ),
    ],
  };
}

/**
 * gate_select<CFG> / route<CFG> (gate.h): the logits come from the kernel's linear engine (a gate
 * pass), rounded to the activation type there, then to score_t here.
 */
export function gateStruct(
  name: string,
  f: Formats,
  experts: number,
  topK: number,
  maxRows: number,
): CppStruct {
  return {
    name,
    comment: `MoE gate: ${experts} experts, top-${topK}`,
    types: [t('score_t', 'score_t'), t('prob_t', 'prob_t')],
    consts: [
      k('EXPERTS', experts),
      k('TOP_K', topK),
      k('MAX_ROWS', maxRows),
      k('SCORE_BITS', f.score.width),
      k('SCORE_FRAC', frac(f.score)),
      k('PROB_BITS', PROB.width),
      k('PROB_FRAC', frac(PROB)),
      k('ESUM_BITS', 25 + clog2(experts)),
      k('EXP_UNITS', gateUnits(experts, topK).exp, 'exp units of gate_select (each with its ROM)'),
      k('RECIP_UNITS', gateUnits(experts, topK).recip),
      k('CLEAR_CYCLES', routeClearCycles(experts), 'timing: route() clears the expert counters'),
      k('LIST_CYCLES', routeListCycles(experts), 'timing: route() lists the experts with tokens'),
    ],
  };
}

export interface PatchSpec {
  channels: number;
  height: number;
  width: number;
  patch: number;
  writeLanes: number; // patch elements written per cycle (patch.h gather_patches; gatherWriteLanes)
}

/** gather_patches<CFG> (patch.h). */
export function patchStruct(name: string, f: Formats, axi: number, s: PatchSpec): CppStruct {
  const patchesW = s.width / s.patch;
  const patches = (s.height / s.patch) * patchesW;
  return {
    name,
    comment: `image ${s.channels}x${s.height}x${s.width}, ${s.patch}x${s.patch} patches`,
    types: [t('word_t', 'word_t'), t('act_t', 'act_t')],
    consts: [
      k('AXI_BITS', axi),
      k('ACT_BITS', f.act.width),
      k('ACTS_PER_WORD', perWord(f.act.width, axi)),
      k('CHANNELS', s.channels),
      k('HEIGHT', s.height),
      k('WIDTH', s.width),
      k('PATCH', s.patch),
      k('PATCHES_W', patchesW),
      k('PATCHES', patches),
      k('PATCH_INPUTS', s.channels * s.patch * s.patch),
      k('ROW_WORDS', wordsFor(s.width, f.act.width, axi)),
      k('WRITE_LANES', s.writeLanes, 'patch elements written per cycle (one per bank)'),
      k('CHUNKS', perWord(f.act.width, axi) / s.writeLanes, 'cycles per pixel word'),
    ],
  };
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
/** Least common multiple: a bank count that serves two access widths at once. */
export const lcm = (a: number, b: number): number => (a / gcd(a, b)) * b;
