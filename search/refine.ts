/**
 * Stage 2: refines the stage-1 winner. For the bottleneck kernel first (the largest share of
 * the objective), then the next: binary search on each of its parameters for the largest value
 * that still fits, keeping it when the objective improves. Then single steps (one gene ±1) and
 * trades (one gene down, another binary-searched up) until no single step improves.
 */
import { better } from './objective.js';
import type { Evaluated, Evaluator } from './evaluate.js';
import type { KernelOfGene } from './space.js';
import type { KernelName } from '../src/kernels/params.js';

export interface RefineStep {
  description: string;
  objective: number; // score after the step
}

export interface RefineResult {
  best: Evaluated;
  steps: RefineStep[];
}

/** Kernels ordered by their share of the objective (the bottleneck first), then the shared genes. */
function bottleneckOrder(ev: Evaluator, e: Evaluated): KernelOfGene[] {
  const units = ev.space.decode(e.genome).computeUnits;
  const ks: Array<[KernelName, number]> = ev.space.kernels.map((k) => [
    k,
    // for throughput the slowest pipeline stage per compute unit is the limit
    (e.cycles[k] ?? 0) / (ev.opts.objective === 'throughput' && k !== 'patch_embed' ? units[k] : 1),
  ]);
  ks.sort((a, b) => b[1] - a[1]);
  return [...ks.map((k) => k[0]), 'shared'];
}

export function refine(ev: Evaluator, start: Evaluated, maxRounds = 50): RefineResult {
  const genes = ev.space.genes;
  let best = start;
  const steps: RefineStep[] = [];
  const describe = (i: number, from: number, to: number, why: string) =>
    `${why}: ${genes[i].name} ${genes[i].values[from]} -> ${genes[i].values[to]}`;
  const withGene = (g: number[], i: number, v: number) => {
    const c = [...g];
    c[i] = v;
    return c;
  };

  /** Largest index of gene i (from `from` up) whose design fits, assuming fit is monotone in i. */
  const largestFitting = (g: number[], i: number, from: number): number => {
    let lo = from;
    let hi = genes[i].values.length - 1;
    if (ev.evaluate(withGene(g, i, lo)).overflow > 0) return -1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (ev.evaluate(withGene(g, i, mid)).overflow === 0) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };

  for (let round = 0; round < maxRounds; round++) {
    let improved = false;
    // binary search, bottleneck first
    for (const kernel of bottleneckOrder(ev, best)) {
      genes.forEach((gene, i) => {
        if (gene.kernel !== kernel) return;
        const cur = best.genome[i];
        if (cur >= gene.values.length - 1) return;
        const top = largestFitting(best.genome, i, cur + 1);
        if (top < 0) return;
        const cand = ev.evaluate(withGene(best.genome, i, top));
        if (better(cand, best)) {
          steps.push({
            description: describe(i, cur, top, `largest ${kernel} value that fits`),
            objective: cand.score,
          });
          best = cand;
          improved = true;
        }
      });
    }
    if (improved) continue;
    // single steps: the best improving change of one gene (to any of its values)
    let move: Evaluated | null = null;
    let moveText = '';
    genes.forEach((gene, i) => {
      for (let v = 0; v < gene.values.length; v++) {
        if (v === best.genome[i]) continue;
        const cand = ev.evaluate(withGene(best.genome, i, v));
        if (better(cand, move ?? best)) {
          move = cand;
          moveText = describe(i, best.genome[i], v, 'single step');
        }
      }
    });
    // trades: free resources on one gene (any lower value), spend them on another (largest that fits)
    if (!move)
      genes.forEach((gDown, i) => {
        for (let d = best.genome[i] - 1; d >= 0; d--) {
          const down = withGene(best.genome, i, d);
          genes.forEach((gUp, j) => {
            if (j === i || down[j] >= gUp.values.length - 1) return;
            const top = largestFitting(down, j, down[j] + 1);
            if (top < 0) return;
            const cand = ev.evaluate(withGene(down, j, top));
            if (better(cand, move ?? best)) {
              move = cand;
              moveText = `trade: ${gDown.name} ${gDown.values[best.genome[i]]} -> ${gDown.values[d]}, ${gUp.name} ${gUp.values[best.genome[j]]} -> ${gUp.values[top]}`;
            }
          });
        }
      });
    if (!move) break;
    best = move;
    steps.push({ description: moveText, objective: (move as Evaluated).score });
  }
  return { best, steps };
}
