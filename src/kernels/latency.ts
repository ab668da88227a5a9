/**
 * Cycles of the kernels' unpipelined code, as Vitis would schedule the code as written: computed
 * once here from the LATENCY constants and rendered into the generated config structs as the
 * arguments of the kernels' `UBIMOE_CYCLES` statements (the timed C-simulation advances its clock
 * by them), so the cost model can read the same figures.
 */
import { LATENCY } from './costConstants.js';

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
 * attention.h `init` (per query group): the loop over the Q_PAR rows (no pragma, rolled) clears
 * each row's head_dim A·V accumulators (o is partitioned over the rows only: one store per cycle).
 */
export function attentionInitCycles(qParallel: number, headDim: number): number {
  return rolledLoopCycles(qParallel, rolledLoopCycles(headDim, LATENCY.ROLLED_STEP_CYCLES));
}

/**
 * attention.h `softmax_queries` (per key block): straight-line code unrolled over the Q_PAR rows,
 * but each row's two loops over the key block (the block max, then one exp and an add per key)
 * carry no pragma and are short, so they stay rolled; the unrolled copies are FSM regions one
 * after another (Vitis does not overlap sequential loops outside a dataflow region). Per row: the
 * max (a compare per key), e^(m_old − m_new), the probabilities (an exp and an add per key),
 * l·corr + psum.
 */
export function attentionSoftmaxBlockCycles(qParallel: number, keyBlock: number): number {
  const row =
    rolledLoopCycles(keyBlock, LATENCY.ROLLED_STEP_CYCLES) +
    LATENCY.EXP_CYCLES +
    rolledLoopCycles(keyBlock, LATENCY.EXP_CYCLES + LATENCY.ROLLED_STEP_CYCLES) +
    LATENCY.MULTIPLY_CYCLES +
    LATENCY.ROLLED_STEP_CYCLES;
  return qParallel * row;
}

/** gate.h `route`: the expert counters cleared (a rolled loop over the experts). */
export function routeClearCycles(experts: number): number {
  return rolledLoopCycles(experts, LATENCY.ROLLED_STEP_CYCLES);
}

/** gate.h `list_active`: the list of experts with tokens (a rolled loop over the experts). */
export function routeListCycles(experts: number): number {
  return rolledLoopCycles(experts, LATENCY.ROLLED_STEP_CYCLES);
}
