import { z } from 'zod';
import type { SynthSummary } from '../types.js';
import { readJsonReport } from './json.js';

const count = z.number().finite().min(0, 'must be >= 0');
const resources = z.object({ dsp: count, bram18: count, uram: count, lut: count, ff: count }).passthrough();

/** reports/synth.json: csynth.xml of each kernel, parsed by `ubimoe build`. */
export const synthFileSchema = z
  .object({
    kernels: z
      .array(
        z
          .object({
            name: z.string().min(1),
            target_clock_ns: count.optional(),
            estimated_clock_ns: count.optional(),
            latency_cycles: z.object({ best: count, worst: count }).passthrough().optional(),
            interval_cycles: count.optional(),
            resources,
            available: resources.optional(),
          })
          .passthrough(),
      )
      .min(1, 'must list at least one kernel'),
  })
  .passthrough();

export function readSynth(path: string): SynthSummary | null {
  const f = readJsonReport(path, synthFileSchema);
  if (!f) return null;
  const pick = (r: z.infer<typeof resources>) => ({ dsp: r.dsp, bram18: r.bram18, uram: r.uram, lut: r.lut, ff: r.ff });
  return {
    kernels: f.kernels.map((k) => ({
      name: k.name,
      targetClockNs: k.target_clock_ns,
      estimatedClockNs: k.estimated_clock_ns,
      latencyBest: k.latency_cycles?.best,
      latencyWorst: k.latency_cycles?.worst,
      interval: k.interval_cycles,
      resources: pick(k.resources),
      available: k.available ? pick(k.available) : undefined,
    })),
  };
}
