/**
 * Exhaustive search, to validate the heuristic on spaces small enough to enumerate. Exact: for
 * every setting of the shared genes (clock, AXI width, stream depth, placement, compute units)
 * every configuration of every kernel is costed; configurations another one of the same kernel
 * beats on every cycle count and every resource are dropped (they can never be the unique
 * optimum: the objective and the limits are monotone in both); every remaining combination is
 * scored with the same Scorer as the heuristic (for latency, combinations whose cycle sum
 * already exceeds the best are skipped, which cannot skip a better one).
 */
import { UserError } from '../src/util/errors.js';
import { better, type KernelCost } from './objective.js';
import type { Evaluated, Evaluator } from './evaluate.js';
import type { KernelName } from '../src/kernels/params.js';

interface Option {
  genes: number[]; // indices for this kernel's genes
  cost: KernelCost;
}

export interface ExhaustiveResult {
  best: Evaluated;
  points: number; // size of the space
  kernelConfigurations: number; // kernel cost-model runs
  combinations: number; // combinations scored
}

/**
 * Upper bound on kernel cost-model runs before --exhaustive refuses (m3vit-tiny on zcu102 at a
 * fixed clock, both block architectures: 1.06e7, about 10 minutes of CPU).
 */
export const MAX_KERNEL_RUNS = 12_000_000;

function* mixedRadix(sizes: number[]): Generator<number[]> {
  const idx = sizes.map(() => 0);
  if (sizes.some((s) => s === 0)) return;
  for (;;) {
    yield [...idx];
    let i = 0;
    while (i < sizes.length && ++idx[i] === sizes[i]) idx[i++] = 0;
    if (i === sizes.length) return;
  }
}

/** Drops options another option beats or equals on every cycle count and resource. */
function prune(options: Option[]): Option[] {
  options.sort((a, b) => a.cost.cycles[0] - b.cost.cycles[0] || a.cost.resources.dsp - b.cost.resources.dsp);
  const kept: Option[] = [];
  for (const o of options) {
    const r = o.cost.resources;
    const dominated = kept.some((k) => {
      const q = k.cost.resources;
      return (
        q.dsp <= r.dsp &&
        q.lut <= r.lut &&
        q.ff <= r.ff &&
        q.bram18 <= r.bram18 &&
        q.uram <= r.uram &&
        k.cost.cycles.every((c, i) => c <= o.cost.cycles[i])
      );
    });
    if (!dominated) kept.push(o);
  }
  return kept;
}

export function exhaustive(ev: Evaluator): ExhaustiveResult {
  const { genes, kernels } = ev.space;
  const sharedIdx = genes.map((g, i) => (g.kernel === 'shared' ? i : -1)).filter((i) => i >= 0);
  const kernelIdx = Object.fromEntries(kernels.map((k) => [k, [] as number[]])) as Record<KernelName, number[]>;
  genes.forEach((g, i) => {
    if (g.kernel !== 'shared') kernelIdx[g.kernel].push(i);
  });
  const count = (idx: number[]) => idx.reduce((a, i) => a * genes[i].values.length, 1);
  const sharedCount = count(sharedIdx);
  const runs = sharedCount * kernels.reduce((a, k) => a + count(kernelIdx[k]), 0);
  if (runs > MAX_KERNEL_RUNS)
    throw new UserError(
      `--exhaustive: the space has ${ev.space.size.toExponential(2)} designs (${runs.toExponential(2)} kernel configurations to cost, limit ${MAX_KERNEL_RUNS.toExponential(0)}); fix the clock (--clock) or use the two-stage search`,
    );

  let best: Evaluated | null = null;
  let combinations = 0;
  let kernelConfigurations = 0;
  for (const sharedValues of mixedRadix(sharedIdx.map((i) => genes[i].values.length))) {
    const base = genes.map(() => 0);
    sharedIdx.forEach((gi, k) => (base[gi] = sharedValues[k]));
    const cand = ev.space.decode(base);
    const shared = ev.shared(cand);
    // each kernel's options (pruned), in the space's kernel order
    const lists: Option[][] = kernels.map((kernel) => {
      const idx = kernelIdx[kernel];
      const options: Option[] = [];
      for (const values of mixedRadix(idx.map((i) => genes[i].values.length))) {
        const g = [...base];
        idx.forEach((gi, k) => (g[gi] = values[k]));
        const c = ev.space.decode(g);
        const units = kernel === 'patch_embed' ? 1 : c.computeUnits[kernel];
        kernelConfigurations++;
        options.push({
          genes: values,
          cost: ev.kernelCostUncached(kernel, c.kernels[kernel]!, shared, c.placement[kernel], units, kernel === 'patch_embed' ? 1 : c.span[kernel]),
        });
      }
      return prune(options);
    });
    const latency = ev.opts.objective === 'latency';
    const toGenome = (chosen: Option[]) => {
      const g = [...base];
      kernels.forEach((k, i) => kernelIdx[k].forEach((gi, j) => (g[gi] = chosen[i].genes[j])));
      return g;
    };
    // cycle budget that can still beat the best latency at this clock (fixed per-call overhead
    // aside); recomputed when the best changes
    const budgetOf = (): number => {
      if (!latency || !best || best.overflow > 0) return Infinity;
      const bestCycles = kernels.reduce((a, k) => a + (best!.cycles[k] ?? 0), 0);
      const overhead = best.latencyMs - bestCycles / (ev.space.decode(best.genome).clockMhz * 1e3);
      return (best.latencyMs - overhead) * cand.clockMhz * 1e3;
    };
    let budget = budgetOf();
    // the least cycles the kernels after position i can add (their fastest options: lists are sorted by cycles)
    const minAfter = lists.map((_, i) =>
      lists.slice(i + 1).reduce((a, l) => a + (l.length ? l[0].cost.cycles[0] : 0), 0),
    );
    const chosen: Option[] = [];
    // the block kernels' costs after patch_embed's (all of them when vit_block embeds the patches)
    const first = kernels[0] === 'patch_embed' ? 1 : 0;
    const blockCosts: KernelCost[] = new Array(lists.length - first); // reused: the scorer keeps no reference
    const walk = (i: number, cycles: number): void => {
      for (const o of lists[i]) {
        const c = cycles + o.cost.cycles[0];
        if (c + minAfter[i] > budget) break;
        chosen[i] = o;
        if (i >= first) blockCosts[i - first] = o.cost;
        if (i + 1 < lists.length) {
          walk(i + 1, c);
          continue;
        }
        combinations++;
        const s = ev.scorer.score(cand.clockMhz, first ? chosen[0].cost : null, blockCosts);
        if (!best || better(s as Evaluated, best)) {
          best = { ...s, genome: toGenome(chosen) };
          budget = budgetOf();
        }
      }
    };
    walk(0, 0);
  }
  // (set inside walk: the compiler cannot see it)
  const found = best as Evaluated | null;
  if (!found) throw new UserError('--exhaustive: the space is empty');
  return { best: ev.evaluate(found.genome), points: ev.space.size, kernelConfigurations, combinations };
}
