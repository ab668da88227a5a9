import { z } from 'zod';
import type { Prediction } from '../types.js';
import { readJsonReport } from './json.js';

const count = z.number().finite().min(0, 'must be >= 0');
const slr = z.number().int().min(0);
const resources = z.object({ dsp: count, bram18: count, uram: count, lut: count, ff: count }).passthrough();
const pick = (r: z.infer<typeof resources>) => ({
  dsp: r.dsp,
  bram18: r.bram18,
  uram: r.uram,
  lut: r.lut,
  ff: r.ff,
});

/** reports/estimate.json: the predicted figures of the design (`estimateJson` in src/design/estimate.ts). */
export const estimateFileSchema = z
  .object({
    clock_mhz: z.number().finite().positive('must be positive'),
    latency_cycles: count,
    latency_ms: count,
    images_per_s: count.optional(),
    throughput_bound: z.string().optional(),
    gops: count.optional(),
    fits: z.boolean().optional(),
    violations: z.array(z.string()).optional(),
    routing: z.string().optional(),
    tokens_per_expert: z.array(z.array(count)).nullable().optional(),
    macs_per_image: count.optional(),
    offchip_bytes_per_image: count.optional(),
    fmax_mhz: z.number().finite().positive('must be positive').optional(),
    physical_bounds: z
      .object({
        compute_bound_ms: count,
        weight_traffic_bound_ms: count,
        bound_ms: count,
        bound_by: z.string(),
        latency_over_bound: count,
        mac_efficiency: count,
        dsp_per_mac: count,
      })
      .passthrough()
      .optional(),
    design: z.unknown().optional(),
    kernels: z
      .array(
        z
          .object({
            name: z.string().min(1),
            calls: count,
            cycles: count,
            parts: z.record(count).optional(),
            compute_units: z.number().int().positive().optional(),
            slr: slr.optional(),
            slrs: z.array(slr).min(1).optional(),
            resources,
            resources_per_cu: resources.optional(),
            span: z.number().int().positive().optional(),
            per_slr: z.array(z.object({ slr, resources }).passthrough()).optional(),
          })
          .passthrough(),
      )
      .min(1, 'must list at least one kernel'),
    stages: z.array(z.object({ label: z.string(), kind: z.string(), cycles: z.record(count) }).passthrough()),
    overhead: z.array(z.object({ name: z.string(), slr, resources }).passthrough()).optional(),
  })
  .passthrough();

export type EstimateFile = z.infer<typeof estimateFileSchema>;

/** Converts a validated estimate.json object (read from disk or computed) into what the report shows. */
export function toPrediction(f: EstimateFile, source: Prediction['source']): Prediction {
  return {
    source,
    clockMhz: f.clock_mhz,
    latencyCycles: f.latency_cycles,
    latencyMs: f.latency_ms,
    imagesPerSecond: f.images_per_s,
    throughputBound: f.throughput_bound,
    gops: f.gops,
    fits: f.fits,
    violations: f.violations ?? [],
    routing: f.routing,
    tokensPerExpert: f.tokens_per_expert ?? undefined,
    macsPerImage: f.macs_per_image,
    offchipBytesPerImage: f.offchip_bytes_per_image,
    fmaxMhz: f.fmax_mhz,
    physicalBounds: f.physical_bounds && {
      computeBoundMs: f.physical_bounds.compute_bound_ms,
      weightBoundMs: f.physical_bounds.weight_traffic_bound_ms,
      boundMs: f.physical_bounds.bound_ms,
      boundBy: f.physical_bounds.bound_by,
      latencyOverBound: f.physical_bounds.latency_over_bound,
      macEfficiency: f.physical_bounds.mac_efficiency,
      dspPerMac: f.physical_bounds.dsp_per_mac,
    },
    design: f.design,
    kernels: f.kernels.map((k) => {
      const slrs = k.slrs ?? Array(k.compute_units ?? 1).fill(k.slr ?? 0);
      const total = pick(k.resources);
      const perCu = k.resources_per_cu
        ? pick(k.resources_per_cu)
        : (Object.fromEntries(Object.entries(total).map(([r, v]) => [r, v / slrs.length])) as typeof total);
      return {
        name: k.name,
        calls: k.calls,
        cyclesPerImage: k.cycles,
        parts: k.parts ?? {},
        computeUnits: slrs.length,
        slrs,
        span: k.span ?? 1,
        // what it takes on each SLR (files before spanning kernels: each CU's resources on its SLR)
        perSlr: k.per_slr?.map((s) => ({ slr: s.slr, resources: pick(s.resources) })) ?? slrs.map((slr) => ({ slr, resources: perCu })),
        resourcesPerCu: perCu,
        resources: total,
      };
    }),
    stages: f.stages.map((s) => ({ label: s.label, kind: s.kind, cycles: s.cycles })),
    overhead: f.overhead?.map((o) => ({ name: o.name, slr: o.slr, resources: pick(o.resources) })),
  };
}

export function readEstimate(path: string): Prediction | null {
  const f = readJsonReport(path, estimateFileSchema);
  return f ? toPrediction(f, 'file') : null;
}
