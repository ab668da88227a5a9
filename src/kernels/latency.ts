/**
 * Cycles of the kernels' unpipelined code, as Vitis would schedule the code as written: computed
 * once here from the LATENCY constants and rendered into the generated config structs as the
 * arguments of the kernels' `UBIMOE_CYCLES` statements (the timed C-simulation advances its clock
 * by them), so the cost model can read the same figures.
 */
import { LATENCY } from './costConstants.js';
import { wordsFor } from './cpp/layout.js';

/**
 * A loop without a PIPELINE pragma: rolled (trip count × its body's latency) unless Vitis
 * pipelines it by itself (trip count above AUTO_PIPELINE_TRIPCOUNT: II = 1, + the body's latency).
 */
export function rolledLoopCycles(trip: number, body: number): number {
  if (trip <= 0) return 0;
  return trip > LATENCY.AUTO_PIPELINE_TRIPCOUNT ? trip + body : trip * body;
}

/**
 * A pipelined loop instance (UBIMOE_PIPELINE(ii, depth)): the last iteration starts (trip − 1) · II
 * after the first and takes `depth` cycles (Vitis's loop latency; the timed C-simulation's clock).
 */
export function pipelinedLoopCycles(trip: number, ii: number, depth: number): number {
  if (trip <= 0) return 0;
  return (trip - 1) * ii + depth;
}

/**
 * attention.h `attention_softmax` block max: a compare tree over the key block (ceil(log2
 * key_block) levels), then one compare against the running max; the first stages of the
 * softmax's iteration (part of its latency, paid once per call).
 */
export function attentionBlockMaxCycles(keyBlock: number): number {
  return (Math.ceil(Math.log2(Math.max(1, keyBlock))) + 1) * LATENCY.ATTN_COMPARE_CYCLES;
}

/**
 * attention.h `attention_av`: the steps of a key block (AV_STEPS), its head_dim columns, or more
 * where head_dim is below the A·V iteration's latency, so an accumulator o[q][d] is read again no
 * sooner than its update lands. The score and A·V loops are flattened over a call's blocks (one
 * pipeline each), so a block costs these steps, the depth is paid once.
 */
export function attentionAvSteps(headDim: number): number {
  return Math.max(headDim, LATENCY.ATTN_AV_DEPTH);
}

/**
 * How many exp units attention.h builds (EXP_UNITS): the fewest that let the softmax of a key
 * block (q_parallel × (key_block + 1) exps: a rescaling and key_block probabilities per row) keep
 * pace with the A·V pass of the block (attentionAvSteps steps), so the softmax does not set the
 * pace (unless one row's key_block + 1 steps are already longer) while the units stay few. Rows go
 * through the units in chunks of EXP_UNITS rows.
 */
export function attentionExpUnits(qParallel: number, keyBlock: number, headDim: number): number {
  const chunks = Math.max(1, Math.floor(attentionAvSteps(headDim) / (keyBlock + 1)));
  return Math.min(qParallel, Math.ceil(qParallel / chunks));
}

/** The chunks of rows the exp units take per key block (EXP_CHUNKS). */
export function attentionExpChunks(qParallel: number, keyBlock: number, headDim: number): number {
  return Math.ceil(qParallel / attentionExpUnits(qParallel, keyBlock, headDim));
}

/**
 * attention.h `attention_softmax`: the steps of a key block (SM_STEPS) in its flattened loop, the
 * exp chunks' steps, or more where they are fewer than the running sum's update latency (l and m
 * are read again a block later).
 */
export function attentionSoftmaxSteps(qParallel: number, keyBlock: number, headDim: number): number {
  return Math.max(attentionExpChunks(qParallel, keyBlock, headDim) * (keyBlock + 1), LATENCY.ATTN_SOFTMAX_CARRY);
}

/** How attention.h's reader walks one head (per row: K/V reads, then query reads; the emissions beside them). */
export interface AttentionReaderPlan {
  kvReads: number; // KV_READS: key (or value) elements of a row read per cycle, one per qkv column bank
  qReads: number; // Q_READS: query elements of a row read per cycle (as many)
  rows: number; // ROWS: key_blocks · key_block rows (zero past the last token)
  rowSteps: number; // ROW_STEPS: steps per row
  flushSteps: number; // FLUSH_STEPS: the steps after the last row (the last block's and group's columns leave)
  headSteps: number; // rows · rowSteps + flushSteps
}

/**
 * attention.h `attention_reader`: per row, head_dim / KV_READS steps read the row's key, as many its
 * value, then head_dim / Q_READS its query (KV_READS = Q_READS consecutive columns a step: one per
 * column bank of qkv, through ONE port of the bank; the engine's drain may write the next head's
 * columns through the other in the same cycle, and a row's key and value columns share banks
 * whenever the banks divide head_dim). A finished key block leaves (one column per cycle to
 * the score and A·V FIFOs) over the following steps, as does a finished query group, so a row has
 * at least head_dim / key_block and head_dim / q_parallel steps (a block's or a group's columns
 * have left before the next one is complete). The last, partial query group (tokens not a
 * multiple of q_parallel) may wait for the previous group's columns; the flush steps after the last
 * row let the last block and the last group leave.
 */
export function attentionReaderPlan(
  tokens: number,
  headDim: number,
  qParallel: number,
  keyBlock: number,
  qkvColBanks: number,
): AttentionReaderPlan {
  let kvReads = Math.max(1, Math.min(qkvColBanks, headDim));
  while (headDim % kvReads !== 0) kvReads--;
  const qReads = kvReads;
  const rows = Math.ceil(tokens / keyBlock) * keyBlock;
  const rowSteps = Math.max(
    (2 * headDim) / kvReads + headDim / qReads,
    Math.ceil(headDim / keyBlock),
    Math.ceil(headDim / qParallel),
  );
  // the last query group starts leaving at row `tokens`, or when the group before it has left
  const partial = tokens % qParallel;
  const lastStart =
    partial > 0 ? Math.max(tokens * rowSteps, (tokens - partial) * rowSteps + headDim) : tokens * rowSteps;
  const flushSteps = Math.max(headDim, lastStart + headDim - rows * rowSteps);
  return { kvReads, qReads, rows, rowSteps, flushSteps, headSteps: rows * rowSteps + flushSteps };
}

/**
 * attention.h finish: output rows written per cycle (OUT_ROWS) and the steps per column.
 * Consecutive rows of a group are in consecutive lane banks of `out`, so a step writes up to one
 * row per lane (an unrolled lane index: one port of each bank); msa_block's proj reads `out` (o)
 * in the same region call as the finish writes the last head, through the banks' other port.
 */
export function attentionOutRows(qParallel: number, lanes: number): number {
  return Math.min(lanes, qParallel);
}
export function attentionOutRowSteps(qParallel: number, lanes: number): number {
  return Math.ceil(qParallel / attentionOutRows(qParallel, lanes));
}

/** gate.h `route`: the expert counters cleared (a rolled loop over the experts). */
export function routeClearCycles(experts: number): number {
  return rolledLoopCycles(experts, LATENCY.ROLLED_STEP_CYCLES);
}

/**
 * gate.h `rank_experts` and `list_active`: the experts ranked by their token counts (each rank
 * one step: the comparisons with every other expert side by side), then the active ones listed in
 * their running order (busy, idle, ...: costModel.ts expertRunOrder), two rolled loops over the experts.
 */
export function routeListCycles(experts: number): number {
  return 2 * rolledLoopCycles(experts, LATENCY.ROLLED_STEP_CYCLES);
}

/** How layernorm.h's streaming region cuts a row (its processes take CHUNK elements a cycle). */
export interface LayerNormPlan {
  chunk: number; // CHUNK: elements per cycle in every process
  wordChunks: number; // WORD_CHUNKS: chunks per AXI word of the token reader
  chunksPerRow: number; // CHUNKS_PER_ROW: chunks per row (a row's words, the last one's padding too)
  rowWords: number; // AXI words per row (tokens.h ROW_WORDS)
  fifoDepth: number; // FIFO_DEPTH: the chunk FIFOs before the variance and the output
  paramWords: number; // VECTOR_WORDS: AXI words of γ (and of β) at the norm width
}

/**
 * layernorm.h's plan: CHUNK is the largest divisor of an AXI word's fields (the reader's word is
 * split into whole chunks) up to `lanes` (the kernel's tile_in: the banks of its arrays). A row's
 * chunks wait in the FIFO before the variance until the row's mean is out, and in the one before
 * the output until its rsqrt is: a row plus the latencies between (the mean's, the variance's,
 * the rsqrt's, the FIFO hops), so no process stalls on a full FIFO in steady state.
 */
export function layerNormPlan(
  dim: number,
  actBits: number,
  normBits: number,
  axiBits: number,
  lanes: number,
  arrayChunk?: number, // an array-sourced region's own CHUNK (no reader words to split): vit_block's norm_lanes
): LayerNormPlan {
  const perWord = Math.max(1, Math.floor(axiBits / actBits));
  let chunk = Math.max(1, Math.min(lanes, perWord));
  while (perWord % chunk !== 0) chunk--;
  const rowWords = Math.ceil(dim / perWord);
  let wordChunks = perWord / chunk;
  let chunksPerRow = rowWords * wordChunks;
  if (arrayChunk !== undefined) {
    chunk = arrayChunk;
    wordChunks = 1;
    chunksPerRow = Math.ceil(dim / chunk);
  }
  const L = LATENCY;
  const slack =
    L.LAYERNORM_SUM_DEPTH + L.LAYERNORM_MEAN_CYCLES + L.LAYERNORM_VAR_DEPTH + L.LAYERNORM_RSQRT_CYCLES + 4 * L.FIFO_READ_LATENCY;
  const paramWords = wordsFor(dim, normBits, axiBits);
  return { chunk, wordChunks, chunksPerRow, rowWords, fifoDepth: chunksPerRow + slack, paramWords };
}

/**
 * The weight FIFO depths the search offers (vit_block's weight_fifo): 2, the default (registers),
 * or deep ones in BRAM from 512 tiles (a BRAM18 is 512 deep at its widest: shallower costs as much).
 */
export const WEIGHT_FIFO_DEPTHS = [LATENCY.DEFAULT_STREAM_DEPTH, 512, 1024, 2048] as const;

/**
 * The engine's FIFOs (linear.h engine_read -> engine_pass): `tiles` weight tiles (the design's
 * weight_fifo, default DEFAULT_STREAM_DEPTH); `biases` bias chunks, one per out tile, so never more
 * than the tiles ahead; `passes` descriptors, enough for the reader to run `tiles` tiles ahead
 * into passes of `minPassTiles` tiles (the expert passes: where the lookahead pays).
 */
export function engineFifos(
  tiles: number = LATENCY.DEFAULT_STREAM_DEPTH as number,
  minPassTiles = Infinity,
  maxPasses: number = LATENCY.DEFAULT_STREAM_DEPTH,
): { tiles: number; biases: number; passes: number } {
  const d: number = LATENCY.DEFAULT_STREAM_DEPTH;
  if (tiles <= d) return { tiles, biases: d, passes: d };
  const passes = Math.max(d, Math.min(maxPasses, Math.ceil((tiles + 1) / minPassTiles) + 1));
  return { tiles, biases: tiles + 1, passes };
}
