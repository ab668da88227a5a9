/**
 * Stage 1: a genetic algorithm over the genome (one index per gene). Tournament selection with
 * Deb's feasibility rules (infeasible designs lose to feasible ones and rank by how far they
 * overflow), uniform crossover, step/random mutation, elitism. Deterministic for a given seed.
 */
import { better, type Scored } from './objective.js';
import type { Evaluated, Evaluator } from './evaluate.js';
import type { Rng } from './rng.js';

export interface GaOptions {
  population: number;
  generations: number;
  stall: number; // stop after this many generations without improvement
  tournament: number;
  crossover: number; // probability a child mixes two parents (else copies one)
  mutation: number; // per-gene mutation probability (scaled by 1/genes when < 0)
  elites: number;
  // independent populations, each from its own random start (the first from the search's seed):
  // one population converges into one basin, and which basin depends on the seed
  restarts: number;
  onGeneration?: (generation: number, best: Evaluated) => void;
}

export const DEFAULT_GA: GaOptions = {
  population: 40,
  generations: 100,
  stall: 25,
  tournament: 3,
  crossover: 0.9,
  mutation: -3, // 3 genes per child on average
  elites: 2,
  restarts: 4,
};

/** The seed of restart i of a search with seed `seed` (restart 0 is the search's own seed). */
export function restartSeed(seed: number, i: number): number {
  return i === 0 ? seed : (Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) + i * 0x9e3779b1) >>> 0;
}

export interface GaResult {
  best: Evaluated;
  finalists: Evaluated[]; // the last population's distinct designs, best first
  history: Array<{ generation: number; best: number; overflow: number; evaluations: number }>;
}

const bestOf = (xs: Evaluated[]): Evaluated => xs.reduce((a, b) => (better(b, a) ? b : a));

export function runGa(
  ev: Evaluator,
  rng: Rng,
  opts: GaOptions = DEFAULT_GA,
  seeds: number[][] = [],
): GaResult {
  const genes = ev.space.genes;
  const n = genes.length;
  const pMut = opts.mutation < 0 ? Math.min(1, -opts.mutation / Math.max(1, n)) : opts.mutation;
  const random = () => genes.map((g) => rng.int(g.values.length));
  let pop: Evaluated[] = [];
  for (const s of seeds) if (pop.length < opts.population) pop.push(ev.evaluate(s));
  while (pop.length < opts.population) pop.push(ev.evaluate(random()));

  const tournament = (): Evaluated => {
    let w = pop[rng.int(pop.length)];
    for (let i = 1; i < opts.tournament; i++) {
      const c = pop[rng.int(pop.length)];
      if (better(c, w)) w = c;
    }
    return w;
  };
  const mutate = (g: number[]) => {
    for (let i = 0; i < n; i++) {
      if (rng.next() >= pMut) continue;
      const m = genes[i].values.length;
      if (rng.next() < 0.7) g[i] = Math.max(0, Math.min(m - 1, g[i] + (rng.next() < 0.5 ? -1 : 1)));
      else g[i] = rng.int(m);
    }
  };

  let best = bestOf(pop);
  const history: GaResult['history'] = [
    { generation: 0, best: best.score, overflow: best.overflow, evaluations: ev.evaluations },
  ];
  opts.onGeneration?.(0, best);
  let stall = 0;
  for (let gen = 1; gen <= opts.generations && stall < opts.stall; gen++) {
    const sorted = [...pop].sort((a, b) => (better(a, b) ? -1 : better(b, a) ? 1 : 0));
    const next: Evaluated[] = sorted.slice(0, opts.elites);
    while (next.length < opts.population) {
      const a = tournament();
      const b = tournament();
      const child =
        rng.next() < opts.crossover
          ? a.genome.map((x, i) => (rng.next() < 0.5 ? x : b.genome[i]))
          : [...a.genome];
      mutate(child);
      next.push(ev.evaluate(child));
    }
    pop = next;
    const genBest = bestOf(pop);
    if (better(genBest, best)) {
      best = genBest;
      stall = 0;
    } else stall++;
    history.push({ generation: gen, best: best.score, overflow: best.overflow, evaluations: ev.evaluations });
    opts.onGeneration?.(gen, best);
  }
  const seen = new Set<string>();
  const finalists = [best, ...pop]
    .sort((a, b) => (better(a, b) ? -1 : better(b, a) ? 1 : 0))
    .filter((e) => {
      const k = e.genome.join(',');
      return !seen.has(k) && (seen.add(k), true);
    });
  return { best, history, finalists };
}

export type { Scored };
