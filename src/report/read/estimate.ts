import { z } from 'zod';
import type { Prediction } from '../types.js';
import { readJsonReport } from './json.js';

const count = z.number().finite().min(0, 'must be >= 0');
const resources = z.object({ dsp: count, bram18: count, uram: count, lut: count, ff: count }).passthrough();
const pick = (r: z.infer<typeof resources>) => ({ dsp: r.dsp, bram18: r.bram18, uram: r.uram, lut: r.lut, ff: r.ff });

/** reports/estimate.json: the predicted figures of the design. */
export const estimateFileSchema = z
  .object({
    clock_mhz: count,
    latency_cycles: count,
    latency_ms: count,
    images_per_s: count.optional(),
    gops: count.optional(),
    kernels: z.array(
      z
        .object({
          name: z.string().min(1),
          calls: count,
          cycles: count,
          parts: z.record(count).optional(),
          resources,
          slr: z.number().int().min(0).optional(),
        })
        .passthrough(),
    ),
    stages: z.array(z.object({ label: z.string(), kind: z.string(), cycles: z.record(count) }).passthrough()),
    overhead: z.array(z.object({ name: z.string(), slr: z.number().int().min(0), resources }).passthrough()).optional(),
  })
  .passthrough();

export function readEstimate(path: string): Prediction | null {
  const f = readJsonReport(path, estimateFileSchema);
  if (!f) return null;
  return {
    source: 'file',
    clockMhz: f.clock_mhz,
    latencyCycles: f.latency_cycles,
    latencyMs: f.latency_ms,
    imagesPerSecond: f.images_per_s,
    gops: f.gops,
    kernels: f.kernels.map((k) => ({
      name: k.name,
      calls: k.calls,
      cyclesPerImage: k.cycles,
      parts: k.parts ?? {},
      resources: pick(k.resources),
      slr: k.slr ?? 0,
    })),
    stages: f.stages.map((s) => ({ label: s.label, kind: s.kind, cycles: s.cycles })),
    overhead: f.overhead?.map((o) => ({ name: o.name, slr: o.slr, resources: pick(o.resources) })),
  };
}
