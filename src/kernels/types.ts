import type { Resources } from '../board/schema.js';

/** A fixed-point type as rendered into C++: ap_fixed<width, int> (signed) unless `signed` is false. */
export interface FixedType {
  width: number;
  int: number;
}

/** Precision per tensor class, rendered into the generated config header. */
export interface Precision {
  activation: FixedType; // tokens between kernels and inside them
  accum: FixedType; // linear-layer accumulators
  weight: FixedType; // linear weights (qkv, proj, fc1/fc2, experts, gate)
  bias: FixedType; // linear biases
  norm: FixedType; // LayerNorm gamma/beta
  patch_weight: FixedType; // patch-embedding conv weights
  // activations as the linear engine's MACs read them (each input quantised where it is read, so
  // the residual stream can stay wider than the MAC operands); absent: the activation type
  linear_input?: FixedType;
  // attention's q, k and v as its multipliers read them (rounded, saturating from the qkv pass's
  // output); absent: the activation type narrowed to 24 bits with at most 8 integer bits
  qkv?: FixedType;
  // 'per-layer': each linear layer's (and each MoE gate's) weights are stored scaled by a power of
  // two 2^s chosen at pack time from the checkpoint, and the kernels multiply by 2^-s exactly (a
  // right shift of the exact tile sum; docs/weights.md, docs/csim.md); absent or 'none': no scale
  weight_scale?: WeightScale;
}

export const WEIGHT_SCALES = ['per-layer', 'none'] as const;
export type WeightScale = (typeof WEIGHT_SCALES)[number];

/** Design-wide facts every kernel's models may need (from the design, never from the kernels). */
export interface SharedParams {
  clockMhz: number;
  axiWidthBits: number;
  streamDepth: number;
  // m_axi ports each top kernel reads its weights through, each on its own memory channel (word
  // j of a weight region on port j % P; docs/weights.md); 1 when absent
  weightPorts?: number;
  precision: Precision;
}

/** Cycle estimate of one kernel invocation, with the parts it is made of (for reports). */
export interface CycleEstimate {
  cycles: number;
  parts: Record<string, number>;
}

export type ResourceEstimate = Resources;

/** One m_axi bundle of a top kernel (used by the v++ connectivity and the XRT host). */
export interface AxiBundle {
  name: string; // bundle name, e.g. gmem_w
  args: string[]; // kernel arguments on it
  role: 'activations' | 'weights';
}
