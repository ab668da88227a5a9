/**
 * A compute unit spanning adjacent SLRs (design `span`, issue 14): one kernel larger than an SLR,
 * which Vivado places across several (UG1393: "If your kernel is too large to fit into a single
 * SLR, the Vitis compiler automatically places the logic across multiple SLRs"). The model spreads
 * its resources evenly over the SLRs, adds registers for the bits crossing each boundary, checks
 * those bits against the board's SLLs and lengthens the clock period by an SLL hop. The estimate
 * (estimate.ts) and the search's scorer (search/objective.ts) both use it.
 */
import { channelSlrs } from '../board/resources.js';
import { RESOURCE_KEYS, type Board, type Resources } from '../board/schema.js';
import { COST } from '../kernels/costConstants.js';
import { zeroResources } from '../kernels/costModel.js';

/** The SLRs a compute unit on `first` spanning `span` SLRs occupies. */
export function spannedSlrs(first: number, span: number): number[] {
  return Array.from({ length: span }, (_, i) => first + i);
}

/**
 * What a spanning compute unit takes on each of its SLRs: its resources spread evenly, plus the
 * crossing registers of each boundary it touches (crossingBits on each side).
 */
export function spanShares(perCu: Resources, first: number, span: number, crossingBits: number): Array<{ slr: number; resources: Resources }> {
  return spannedSlrs(first, span).map((slr, i) => {
    const r = zeroResources();
    for (const k of RESOURCE_KEYS) r[k] = perCu[k] / span;
    const boundaries = (i > 0 ? 1 : 0) + (i < span - 1 ? 1 : 0);
    r.ff += (boundaries * crossingBits * COST.SLR_SPAN_FF_PER_BIT) / 2;
    return { slr, resources: r };
  });
}

/** Whether a compute unit on `first` spanning `span` SLRs has memory on one of them (its ports need no SLR crossing). */
export function spanHasLocalMemory(board: Board, first: number, span: number): boolean {
  return spannedSlrs(first, span).some((slr) => board.memory.some((m) => channelSlrs(m).some((c) => c === undefined || c === slr)));
}

/** The reachable clock of a design with a spanning kernel: its period plus one SLL hop. */
export function spanFmaxMhz(fmaxMhz: number): number {
  return 1000 / (1000 / fmaxMhz + COST.SLR_SPAN_DELAY_NS);
}

/** The SLLs a boundary may use: the board's, under the same limit as LUTs (routing, like logic, congests). */
export function sllLimit(sllPerBoundary: number, lutLimit: number): number {
  return sllPerBoundary * lutLimit;
}
