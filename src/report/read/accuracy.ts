import { z } from 'zod';
import type { AccuracySummary } from '../types.js';
import { readJsonReport } from './json.js';

const finite = z.number().finite('must be a finite number');
const fraction = finite.min(0, 'must be >= 0').max(1, 'must be <= 1');

/** reports/accuracy.json as `ubimoe csim` writes it (`accuracyJson` in src/toolchain/accuracy.ts). */
export const accuracyFileSchema = z
  .object({
    images: z.number().int().positive().optional(),
    task: z.number().int().min(0).optional(),
    input: z.string().optional(),
    checkpoint: z.string().optional(),
    reference: z.string().optional(),
    design_hash: z.string().optional(),
    csim_ms_per_image: finite.min(0).optional(),
    saturated_weights: z.number().int().min(0).optional(),
    // values that saturated in the csim's datapath, by the design's type names (src/toolchain/saturation.ts)
    saturated_values: z.record(z.string(), z.number().int().min(0)).optional(),
    cosine: z
      .object({
        per_token: z.array(finite).min(1, 'must list at least one token'),
        min: finite.optional(),
        median: finite.optional(),
      })
      .passthrough(),
    rel_l2: finite.min(0, 'must be >= 0'),
    max_abs: finite.min(0, 'must be >= 0'),
    expert_agreement: fraction.nullable().optional(),
  })
  .passthrough();

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function readAccuracy(path: string): AccuracySummary | null {
  const f = readJsonReport(path, accuracyFileSchema);
  if (!f) return null;
  const cos = f.cosine.per_token;
  return {
    images: f.images,
    task: f.task,
    input: f.input,
    checkpoint: f.checkpoint,
    reference: f.reference,
    designHash: f.design_hash,
    csimMsPerImage: f.csim_ms_per_image,
    saturatedWeights: f.saturated_weights,
    saturatedValues: f.saturated_values,
    cosine: cos,
    cosineMin: f.cosine.min ?? Math.min(...cos),
    cosineMedian: f.cosine.median ?? median(cos),
    relL2: f.rel_l2,
    maxAbs: f.max_abs,
    expertAgreement: f.expert_agreement ?? undefined,
  };
}
