/**
 * The physical bounds of one image on a board (issue 14's yardstick), and how far a design is from
 * them. All predicted: they follow from the model's work, the board's DSPs and bandwidth, and the
 * design's clock and widths, never from a measurement.
 *
 * - compute bound: every DSP the kernels may use doing one multiply of the linear layers' widths
 *   (weight × linear input; 2 DSP48E2 per 16×32 product) every cycle at the design's clock;
 * - weight-traffic bound: every weight crossing from off-chip memory once per image, at the board's
 *   total bandwidth;
 * - useful-MAC efficiency: the image's MACs over the MAC slots the design's DSPs offer during its
 *   predicted latency (DSPs in non-MAC units count as slots too: they are what the design spent).
 */
import { kernelResources, totalBandwidthGBps } from '../board/resources.js';
import type { Board } from '../board/schema.js';
import { dspPerMultiply } from '../kernels/costModel.js';
import type { SharedParams } from '../kernels/types.js';
import type { ModelDims } from '../model/config.js';

export interface PhysicalBounds {
  computeBoundMs: number;
  weightBoundMs: number;
  boundMs: number; // the larger of the two
  boundBy: 'compute' | 'weight traffic';
  weightBytes: number; // every weight once, at its stored width
  dspPerMac: number; // DSPs per multiply at the linear layers' widths
  /** MACs / (design DSPs / dspPerMac × latency cycles): the share of the design's MAC slots doing model work. */
  macEfficiency: number;
  latencyOverBound: number; // predicted latency (ms, with host overhead) / boundMs
}

/** Weights of one image's forward pass: patch conv, per block qkv, proj and the MLP or all experts and the gate. */
export function weightCount(dims: ModelDims): { patch: number; linear: number } {
  const { D } = dims;
  let linear = 0;
  for (const moe of dims.moeBlocks)
    linear +=
      4 * D * D +
      (moe ? dims.experts * 2 * D * dims.expertHidden + D * dims.experts : 2 * D * dims.mlpHidden);
  return { patch: dims.patchInputs * D, linear };
}

export function physicalBounds(
  dims: ModelDims,
  board: Board,
  shared: SharedParams,
  macsPerImage: number,
  designDsps: number,
  latencyCycles: number,
  latencyMs: number, // with the host's call overhead, as printed
): PhysicalBounds {
  const p = shared.precision;
  const dspPerMac = dspPerMultiply(p.weight.width, (p.linear_input ?? p.activation).width, board.dsp_kind);
  const hz = shared.clockMhz * 1e6;
  const slots = kernelResources(board).dsp / dspPerMac;
  const computeBoundMs = (macsPerImage / (slots * hz)) * 1e3;
  const w = weightCount(dims);
  const weightBytes = (w.patch * p.patch_weight.width + w.linear * p.weight.width) / 8;
  const weightBoundMs = (weightBytes / (totalBandwidthGBps(board) * 1e9)) * 1e3;
  const boundMs = Math.max(computeBoundMs, weightBoundMs);
  return {
    computeBoundMs,
    weightBoundMs,
    boundMs,
    boundBy: computeBoundMs >= weightBoundMs ? 'compute' : 'weight traffic',
    weightBytes,
    dspPerMac,
    macEfficiency: designDsps > 0 ? macsPerImage / ((designDsps / dspPerMac) * latencyCycles) : 0,
    latencyOverBound: latencyMs / boundMs,
  };
}
