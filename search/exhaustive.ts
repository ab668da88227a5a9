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

type KernelName = 'patch_embed' | 'msa_block' | 'ffn_block';

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

/** Upper bound on kernel cost-model runs before --exhaustive refuses. */
export const MAX_KERNEL_RUNS = 4_000_000;

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
  const { genes } = ev.space;
  const sharedIdx = genes.map((g, i) => (g.kernel === 'shared' ? i : -1)).filter((i) => i >= 0);
  const kernelIdx: Record<KernelName, number[]> = { patch_embed: [], msa_block: [], ffn_block: [] };
  genes.forEach((g, i) => {
    if (g.kernel !== 'shared') kernelIdx[g.kernel].push(i);
  });
  const count = (idx: number[]) => idx.reduce((a, i) => a * genes[i].values.length, 1);
  const sharedCount = count(sharedIdx);
  const runs =
    sharedCount * (count(kernelIdx.patch_embed) + count(kernelIdx.msa_block) + count(kernelIdx.ffn_block));
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
    const lists = {} as Record<KernelName, Option[]>;
    for (const kernel of ['patch_embed', 'msa_block', 'ffn_block'] as KernelName[]) {
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
          cost: ev.kernelCostUncached(kernel, c.kernels[kernel], shared, c.placement[kernel], units),
        });
      }
      lists[kernel] = prune(options);
    }
    const latency = ev.opts.objective === 'latency';
    const toGenome = (p: Option, m: Option, f: Option) => {
      const g = [...base];
      kernelIdx.patch_embed.forEach((gi, k) => (g[gi] = p.genes[k]));
      kernelIdx.msa_block.forEach((gi, k) => (g[gi] = m.genes[k]));
      kernelIdx.ffn_block.forEach((gi, k) => (g[gi] = f.genes[k]));
      return g;
    };
    // cycle budget that can still beat the best latency at this clock (fixed per-call overhead aside)
    const budget = () => {
      if (!latency || !best || best.overflow > 0) return Infinity;
      const bestCycles = best.cycles.patch_embed + best.cycles.msa_block + best.cycles.ffn_block;
      const overhead = best.latencyMs - bestCycles / (ev.space.decode(best.genome).clockMhz * 1e3);
      return (best.latencyMs - overhead) * cand.clockMhz * 1e3;
    };
    const ffnMin = lists.ffn_block.length ? lists.ffn_block[0].cost.cycles[0] : 0;
    for (const p of lists.patch_embed) {
      if (p.cost.cycles[0] + ffnMin > budget()) break;
      for (const m of lists.msa_block) {
        const pm = p.cost.cycles[0] + m.cost.cycles[0];
        if (pm + ffnMin > budget()) break;
        for (const f of lists.ffn_block) {
          if (pm + f.cost.cycles[0] > budget()) break;
          combinations++;
          const s = ev.scorer.score(cand.clockMhz, p.cost, m.cost, f.cost);
          if (!best || better(s as Evaluated, best)) best = { ...s, genome: toGenome(p, m, f) };
        }
      }
    }
  }
  if (!best) throw new UserError('--exhaustive: the space is empty');
  return { best: ev.evaluate(best.genome), points: ev.space.size, kernelConfigurations, combinations };
}
