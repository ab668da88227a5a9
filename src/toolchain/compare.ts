import { RESOURCE_KEYS, type Resources } from '../board/schema.js';
import { KERNEL_NAMES, type KernelName } from '../kernels/params.js';
import type { SynthReport } from './csynth.js';

/** The predicted figures of one top kernel, per invocation (the largest over its calls). */
export interface PredictedKernel {
  cycles: number | null;
  resources: Resources;
}
export type Prediction = Partial<Record<KernelName, PredictedKernel>>;

export const COMPARISON_METRICS = ['latency_cycles', 'clock_mhz', ...RESOURCE_KEYS] as const;
export type ComparisonMetric = (typeof COMPARISON_METRICS)[number];

/** One row of predicted vs synthesised: ratio = synthesised / predicted (null when either is unknown or predicted is 0). */
export interface ComparisonRow {
  kernel: KernelName;
  metric: ComparisonMetric;
  predicted: number | null;
  synthesised: number | null;
  ratio: number | null;
}

function ratio(predicted: number | null, synthesised: number | null): number | null {
  if (predicted === null || synthesised === null || predicted === 0) return null;
  return synthesised / predicted;
}

/**
 * Predicted vs synthesised, per kernel and metric, for the kernels present in both. Latency is
 * HLS's worst-case latency of one call against the predicted cycles of the kernel's largest
 * call; clock_mhz is the design clock against HLS's estimated Fmax (a ratio > 1 is slack).
 */
export function compareWithPrediction(
  predicted: Prediction,
  synth: SynthReport,
  designClockMhz?: number,
): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  for (const kernel of KERNEL_NAMES) {
    const p = predicted[kernel];
    const s = synth.kernels[kernel];
    if (!p || !s) continue;
    const add = (metric: ComparisonMetric, pv: number | null, sv: number | null) =>
      rows.push({ kernel, metric, predicted: pv, synthesised: sv, ratio: ratio(pv, sv) });
    add('latency_cycles', p.cycles, s.latency.worst);
    const clock = designClockMhz ?? (s.targetClockNs ? 1000 / s.targetClockNs : null);
    add('clock_mhz', clock === null ? null : Math.round(clock * 10) / 10, s.estimatedFmaxMhz);
    for (const k of RESOURCE_KEYS) add(k, p.resources[k], s.used[k]);
  }
  return rows;
}

function fmt(v: number | null, digits = 0): string {
  if (v === null) return '-';
  return digits ? v.toFixed(digits) : Math.round(v).toLocaleString('en-US');
}

/** The comparison as a plain-text table (for `ubimoe build` and `ubimoe report` on stdout). */
export function formatComparison(rows: ComparisonRow[]): string {
  const header = ['kernel', 'metric', 'predicted', 'synthesised', 'synth/pred'];
  const body = rows.map((r) => [
    r.kernel,
    r.metric,
    fmt(r.predicted, r.metric === 'clock_mhz' ? 1 : 0),
    fmt(r.synthesised, r.metric === 'clock_mhz' ? 1 : 0),
    r.ratio === null ? '-' : r.ratio.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), ...body.map(line)].join('\n') + '\n';
}
