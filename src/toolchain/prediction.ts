import type { Design } from '../design/design.js';
import { estimateDesign } from '../design/estimate.js';
import { KERNEL_NAMES } from '../kernels/params.js';
import type { Prediction } from './compare.js';

/**
 * What the cost model predicts for one call of each top kernel of a design, in the terms Vitis HLS
 * reports: the cycles of the kernel's largest call (ffn_block: a MoE block's, the worst case HLS
 * reports) and the resources of one compute unit. Uncalibrated on purpose: these are the figures
 * a calibration corrects, so they must not already contain one.
 */
export function predictionForDesign(design: Design): Prediction {
  const e = estimateDesign(design);
  const out: Prediction = {};
  for (const name of KERNEL_NAMES) {
    const k = e.kernels.find((x) => x.name === name);
    if (!k) continue;
    const calls = e.stages.map((s) => s.cycles[name]).filter((c): c is number => c !== undefined);
    out[name] = { cycles: calls.length ? Math.max(...calls) : null, resources: { ...k.resourcesPerCu } };
  }
  return out;
}
