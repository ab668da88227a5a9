import { z } from 'zod';
import type { SynthKernel as BuildSynthKernel, SynthReport } from '../../toolchain/csynth.js';
import type { SynthSummary } from '../types.js';
import { readJsonReport } from './json.js';

const count = z.number().finite().min(0, 'must be >= 0');
const cycles = count.nullable(); // null: HLS reported "undef" (variable trip count)
const resources = z.object({ dsp: count, bram18: count, uram: count, lut: count, ff: count }).passthrough();

/** reports/synth.json (format ubimoe-synth/1): each kernel's csynth.xml, parsed by `ubimoe build` (src/toolchain/csynth.ts). */
export const synthFileSchema = z
  .object({
    format: z.literal('ubimoe-synth/1', { errorMap: () => ({ message: "must be 'ubimoe-synth/1'" }) }),
    kernels: z.record(
      z
        .object({
          top: z.string().min(1),
          targetClockNs: count.nullable().optional(),
          estimatedClockNs: z.number().finite().positive('must be > 0'),
          estimatedFmaxMhz: count.optional(),
          latency: z.object({ best: cycles, average: cycles.optional(), worst: cycles }).passthrough(),
          interval: z.object({ min: cycles, max: cycles }).partial().passthrough().optional(),
          used: resources,
          available: resources.nullable().optional(),
        })
        .passthrough(),
    ),
  })
  .passthrough()
  .refine((f) => Object.keys(f.kernels).length > 0, { message: 'lists no kernel', path: ['kernels'] });

export function readSynth(path: string): SynthSummary | null {
  const f = readJsonReport(path, synthFileSchema);
  if (!f) return null;
  const pick = (r: z.infer<typeof resources>) => ({
    dsp: r.dsp,
    bram18: r.bram18,
    uram: r.uram,
    lut: r.lut,
    ff: r.ff,
  });
  const report: SynthReport = { format: 'ubimoe-synth/1', tool: 'vitis_hls', kernels: {} };
  for (const [name, k] of Object.entries(f.kernels)) {
    const kernel: BuildSynthKernel = {
      top: k.top,
      part: null,
      toolVersion: null,
      targetClockNs: k.targetClockNs ?? null,
      estimatedClockNs: k.estimatedClockNs,
      estimatedFmaxMhz: k.estimatedFmaxMhz ?? Math.round((1000 / k.estimatedClockNs) * 10) / 10,
      latency: { best: k.latency.best, average: k.latency.average ?? null, worst: k.latency.worst },
      interval: { min: k.interval?.min ?? null, max: k.interval?.max ?? null },
      used: pick(k.used),
      available: k.available ? pick(k.available) : null,
      source: typeof k.source === 'string' ? k.source : '',
    };
    (report.kernels as Record<string, BuildSynthKernel>)[name] = kernel;
  }
  return {
    report,
    kernels: Object.entries(f.kernels).map(([name, k]) => ({
      name,
      targetClockNs: k.targetClockNs ?? undefined,
      estimatedClockNs: k.estimatedClockNs,
      latencyBest: k.latency.best ?? undefined,
      latencyWorst: k.latency.worst ?? undefined,
      interval: k.interval?.max ?? undefined,
      resources: pick(k.used),
      available: k.available ? pick(k.available) : undefined,
    })),
  };
}
