import { RESOURCE_KEYS } from '../board/schema.js';
import { groupThousands } from './svg/core.js';
import type { ComparisonRow, Prediction, SynthSummary } from './types.js';

export const RESOURCE_LABELS: Record<string, string> = { dsp: 'DSP', bram18: 'BRAM18', uram: 'URAM', lut: 'LUT', ff: 'FF' };

/**
 * Predicted vs synthesised, per kernel that both sides know: latency of one call (csynth's worst
 * case against the predicted mean per call) and each resource.
 */
export function comparePrediction(prediction: Prediction, synth: SynthSummary): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  const ratio = (p: number, s: number) => (p > 0 ? s / p : s === 0 ? 1 : Infinity);
  for (const sk of synth.kernels) {
    const pk = prediction.kernels.find((k) => k.name === sk.name);
    if (!pk) continue;
    const synthLatency = sk.latencyWorst ?? sk.latencyBest;
    if (synthLatency !== undefined && pk.calls > 0) {
      const predicted = pk.cyclesPerImage / pk.calls;
      rows.push({ kernel: sk.name, metric: 'latency (cycles/call)', predicted, synthesised: synthLatency, ratio: ratio(predicted, synthLatency) });
    }
    for (const k of RESOURCE_KEYS)
      rows.push({ kernel: sk.name, metric: RESOURCE_LABELS[k], predicted: pk.resources[k], synthesised: sk.resources[k], ratio: ratio(pk.resources[k], sk.resources[k]) });
  }
  return rows;
}

export function formatRatio(r: number): string {
  return Number.isFinite(r) ? `${r.toFixed(2)}×` : '—';
}

/** The comparison as a plain-text table for stdout. */
export function comparisonText(rows: ComparisonRow[]): string {
  const head = ['kernel', 'metric', 'predicted', 'synthesised', 'synth/pred'];
  const body = rows.map((r) => [r.kernel, r.metric, groupThousands(r.predicted).replace(/\u2009/g, ','), groupThousands(r.synthesised).replace(/\u2009/g, ','), formatRatio(r.ratio)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return ['predicted vs synthesised (csynth)', line(head), ...body.map(line)].join('\n') + '\n';
}
