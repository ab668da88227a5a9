/**
 * The model's optional final LayerNorm (`norm`, docs/model.md step 4), applied on the host to the
 * accelerator's encoder output: the kernels stop at the last block.
 */
import { readCheckpoint } from '../model/checkpoint.js';
import type { ModelConfig } from '../model/config.js';
import { LN_EPS, layerNorm } from '../model/reference.js';

export interface FinalNorm {
  weight: Float32Array;
  bias: Float32Array;
}

export function loadFinalNorm(checkpointPath: string, model: ModelConfig): FinalNorm {
  const ckpt = readCheckpoint(checkpointPath, model);
  // readCheckpoint has checked names and shapes against the model
  return { weight: ckpt.get('norm.weight')!.data, bias: ckpt.get('norm.bias')!.data };
}

/** In place over `rows` token rows of `dim` values. */
export function applyFinalNorm(tokens: Float32Array, rows: number, dim: number, norm: FinalNorm): void {
  layerNorm(tokens, rows, dim, norm.weight, norm.bias, tokens, LN_EPS);
}
