import { z } from 'zod';
import type { DesignPoint, SearchSummary } from '../types.js';
import { readJsonReport } from './json.js';

const finite = z.number().finite('must be a finite number');
const point = z
  .object({
    latency_ms: finite.positive('must be positive'),
    dsp: finite.min(0),
    label: z.string().optional(),
  })
  .passthrough();

/** reports/search.json as written by `ubimoe search --report`. */
export const searchFileSchema = z
  .object({
    objective: z.string().optional(),
    score_unit: z.string().optional(), // unit of the stage-1/2 scores
    method: z.string().optional(),
    seed: z.number().optional(),
    seconds: finite.optional(),
    evaluations: z.number().int().optional(),
    stage1: z
      .object({ history: z.array(z.object({ generation: z.number().int(), best: finite }).passthrough()) })
      .passthrough()
      .optional(),
    stage2: z
      .object({
        steps: z.array(z.object({ description: z.string(), objective: finite.optional() }).passthrough()),
      })
      .passthrough()
      .optional(),
    pareto: z.array(point),
    chosen: point.optional(),
    evaluated: z.array(point).optional(),
  })
  .passthrough();

const toPoint = (p: z.infer<typeof point>): DesignPoint => ({
  latencyMs: p.latency_ms,
  dsp: p.dsp,
  label: p.label,
});

export function readSearch(path: string): SearchSummary | null {
  const f = readJsonReport(path, searchFileSchema);
  if (!f) return null;
  return {
    objective: f.objective,
    scoreUnit: f.score_unit,
    method: f.method,
    seed: f.seed,
    seconds: f.seconds,
    evaluations: f.evaluations,
    history:
      f.stage1?.history.map((h) => ({
        generation: h.generation,
        best: h.best,
        population: typeof h.population === 'number' ? h.population : 0,
      })) ?? [],
    steps: f.stage2?.steps.map((s) => ({ description: s.description, objective: s.objective })) ?? [],
    front: f.pareto.map(toPoint),
    chosen: f.chosen ? toPoint(f.chosen) : undefined,
    evaluated: f.evaluated?.map(toPoint) ?? [],
  };
}
