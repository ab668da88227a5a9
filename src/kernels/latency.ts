/**
 * Cycles of the kernels' unpipelined code, as Vitis would schedule the code as written: computed
 * once here from the LATENCY constants and rendered into the generated config structs as the
 * arguments of the kernels' `UBIMOE_CYCLES` statements (the timed C-simulation advances its clock
 * by them), so the cost model can read the same figures.
 */
import { COST, LATENCY } from './costConstants.js';

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
 * attention.h `attention_softmax` block max (per key block): a compare tree over the key block
 * (ceil(log2 key_block) levels), then one compare against the running max.
 */
export function attentionBlockMaxCycles(keyBlock: number): number {
  return (Math.ceil(Math.log2(Math.max(1, keyBlock))) + 1) * LATENCY.ATTN_COMPARE_CYCLES;
}

/** attention.h `attention_softmax` exp pass (per key block): chunks of rows × (key_block + 1) steps. */
export function attentionSoftmaxBlockCycles(expChunks: number, keyBlock: number): number {
  return (
    attentionBlockMaxCycles(keyBlock) + pipelinedLoopCycles(expChunks * (keyBlock + 1), 1, LATENCY.ATTN_SOFTMAX_DEPTH)
  );
}

/**
 * How many exp units attention.h builds (EXP_UNITS): the fewest that let the softmax of a key
 * block (q_parallel × (key_block + 1) exps: a rescaling and key_block probabilities per row) keep
 * pace with the A·V pass of the block (head_dim cycles), so the softmax never sets the pace while
 * the units stay few. Rows go through the units in chunks of EXP_UNITS rows.
 */
export function attentionExpUnits(qParallel: number, keyBlock: number, headDim: number): number {
  const avBlock = pipelinedLoopCycles(headDim, 1, LATENCY.ATTN_AV_DEPTH);
  const budget = avBlock - attentionBlockMaxCycles(keyBlock) - LATENCY.ATTN_SOFTMAX_DEPTH + 1;
  const chunks = Math.max(1, Math.floor(budget / (keyBlock + 1)));
  return Math.min(qParallel, Math.ceil(qParallel / chunks));
}

/** The chunks of rows the exp units take per key block (EXP_CHUNKS). */
export function attentionExpChunks(qParallel: number, keyBlock: number, headDim: number): number {
  return Math.ceil(qParallel / attentionExpUnits(qParallel, keyBlock, headDim));
}

/** attention.h query loader: elements of a query row read per cycle (Q_READS: a BRAM's ports, dividing head_dim). */
export function attentionQueryReads(headDim: number): number {
  let r = Math.min(COST.BRAM_PORTS, headDim);
  while (headDim % r !== 0) r--;
  return r;
}

/** attention.h finish: output rows written per cycle (OUT_ROWS: a BRAM's ports) and the steps per column. */
export function attentionOutRows(qParallel: number): number {
  return Math.min(COST.BRAM_PORTS, qParallel);
}
export function attentionOutRowSteps(qParallel: number): number {
  return Math.ceil(qParallel / attentionOutRows(qParallel));
}

/** gate.h `route`: the expert counters cleared (a rolled loop over the experts). */
export function routeClearCycles(experts: number): number {
  return rolledLoopCycles(experts, LATENCY.ROLLED_STEP_CYCLES);
}

/** gate.h `list_active`: the list of experts with tokens (a rolled loop over the experts). */
export function routeListCycles(experts: number): number {
  return rolledLoopCycles(experts, LATENCY.ROLLED_STEP_CYCLES);
}
