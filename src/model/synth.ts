/**
 * Deterministic synthetic checkpoints: same (model, seed) -> same tensors -> same file bytes.
 *
 * Scales are those of a trained ViT, chosen so fixed-point hardware (activations ap_fixed<32,10>,
 * weights ap_fixed<16,2>) can run it and agree with the float reference:
 * - linear/conv weights ~ N(0, 1/fan_in) truncated at ±3σ (|w| stays far inside ±2);
 * - the last linear of each residual branch (attn.proj, mlp.fc2, experts.h4toh) is additionally
 *   scaled by RESIDUAL_BRANCH_SCALE so the residual stream stays within about ±30 over 12 blocks;
 * - biases ~ N(0, 0.1²); LayerNorm weights ~ 1 + N(0, 0.1²), LayerNorm biases ~ N(0, 0.05²);
 * - cls_token, pos_embed ~ N(0, 0.5²): every token position is distinct, so routing varies by token;
 * - gate weights ~ N(0, (GATE_GAIN²/D)): gate logits of a LayerNorm'd token have std ≈ GATE_GAIN, wide
 *   enough that the k-th and (k+1)-th expert rarely tie and the softmax values stay well resolved,
 *   while zero-mean columns spread the choices over all experts.
 * Every tensor draws from its own stream (seed × hash of its name), so tensors do not depend on
 * the order of the spec.
 */
import type { ModelConfig } from './config.js';
import { Rng, hashString } from './prng.js';
import { checkpointSpec } from './spec.js';
import { shapeSize, type Checkpoint } from './tensor.js';

export const RESIDUAL_BRANCH_SCALE = 0.5;
export const GATE_GAIN = 2;
const BIAS_STD = 0.1;
const NORM_WEIGHT_STD = 0.1;
const NORM_BIAS_STD = 0.05;
const EMBED_STD = 0.5;

/** How each tensor is drawn: mean and std of a ±3σ truncated normal. */
function initFor(name: string, shape: number[]): { mean: number; std: number } {
  const last = name.split('.').pop();
  if (name === 'cls_token' || name === 'pos_embed') return { mean: 0, std: EMBED_STD };
  if (/(^|\.)norm\d?\.weight$/.test(name)) return { mean: 1, std: NORM_WEIGHT_STD };
  if (/(^|\.)norm\d?\.bias$/.test(name)) return { mean: 0, std: NORM_BIAS_STD };
  if (last === 'w_gate') return { mean: 0, std: GATE_GAIN / Math.sqrt(shape[0]) };
  if (last === 'bias') return { mean: 0, std: BIAS_STD };
  // weights: fan_in is the product of all dims after the output dim (expert weights: after E and out)
  const fanIn = name.includes('.experts.') ? shape[2] : shapeSize(shape.slice(1));
  const residualBranch = /\.(attn\.proj|mlp\.fc2|mlp\.experts\.h4toh)\.weight$/.test(name);
  return { mean: 0, std: (residualBranch ? RESIDUAL_BRANCH_SCALE : 1) / Math.sqrt(fanIn) };
}

/**
 * A synthetic checkpoint for `cfg` with every tensor of `checkpointSpec(cfg)`, deterministic in
 * `seed` (a non-negative safe integer).
 */
export function synthCheckpoint(cfg: ModelConfig, seed: number): Checkpoint {
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
  const ckpt: Checkpoint = new Map();
  for (const { name, shape } of checkpointSpec(cfg)) {
    const rng = new Rng(seed, hashString(name));
    const { mean, std } = initFor(name, shape);
    const data = new Float32Array(shapeSize(shape));
    for (let i = 0; i < data.length; i++) data[i] = rng.truncNormal(mean, std);
    ckpt.set(name, { shape: [...shape], data });
  }
  return ckpt;
}
