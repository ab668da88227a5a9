/**
 * Predicted vs synthesised: src/toolchain/compare.ts does the comparison (shared with `ubimoe build`);
 * this file turns the report's prediction into its input and names the metrics for people.
 */
import {
  compareWithPrediction,
  formatComparison,
  type ComparisonMetric,
  type ComparisonRow,
  type Prediction as BuildPrediction,
} from '../toolchain/compare.js';
import { KERNEL_NAMES } from '../kernels/params.js';
import type { Prediction, SynthSummary } from './types.js';

export const RESOURCE_LABELS: Record<string, string> = {
  dsp: 'DSP',
  bram18: 'BRAM18',
  uram: 'URAM',
  lut: 'LUT',
  ff: 'FF',
};

export const METRIC_LABELS: Record<ComparisonMetric, string> = {
  latency_cycles: 'latency (cycles/call)',
  clock_mhz: 'clock (MHz)',
  ...(RESOURCE_LABELS as Record<'dsp' | 'bram18' | 'uram' | 'lut' | 'ff', string>),
};

/**
 * Per kernel, what HLS synthesises: one compute unit, and its largest call (csynth reports the
 * worst case over the kernel's calls: a MoE call of ffn_block, not a dense one).
 */
export function buildPrediction(p: Prediction): BuildPrediction {
  const out: BuildPrediction = {};
  for (const name of KERNEL_NAMES) {
    const k = p.kernels.find((x) => x.name === name);
    if (!k) continue;
    const calls = p.stages.map((s) => s.cycles[name]).filter((c): c is number => c !== undefined && c > 0);
    out[name] = {
      cycles: calls.length ? Math.max(...calls) : k.calls > 0 ? k.cyclesPerImage / k.calls : null,
      resources: k.resourcesPerCu,
    };
  }
  return out;
}

export function comparePrediction(p: Prediction, synth: SynthSummary): ComparisonRow[] {
  return compareWithPrediction(buildPrediction(p), synth.report, p.clockMhz);
}

/** The comparison as text for stdout (the same table `ubimoe build` prints). */
export function comparisonText(rows: ComparisonRow[]): string {
  return 'predicted vs synthesised (csynth)\n' + formatComparison(rows);
}
