import type { ModelConfig } from '../model/config.js';
import { modelDims } from '../model/config.js';
import { UserError } from '../util/errors.js';
import { readNpy } from './npy.js';

/** A batch of model inputs read from one .npy: normalised images [B,C,H,W] or tokens [B,N,D]. */
export interface ModelInput {
  kind: 'images' | 'tokens';
  batch: number;
  data: Float32Array;
}

/**
 * Reads an .npy of model inputs and checks it against the model: float32/float16 only, the shape
 * of images or of block-0 tokens, a non-empty batch, finite values. `who` names the consumer in
 * the dtype error ("csim", "the reference").
 */
export function readModelInput(path: string, cfg: ModelConfig, who: string): ModelInput {
  const d = modelDims(cfg);
  const input = readNpy(path);
  if (!(input.data instanceof Float32Array))
    throw new UserError(`${path}: dtype ${input.dtype}; ${who} needs normalised float32 (or float16) values`);
  const s = input.shape;
  const imageShape = [cfg.in_chans, cfg.img_h, cfg.img_w];
  const tokenShape = [d.numTokens, d.D];
  const isImages = s.length === 4 && imageShape.every((v, i) => s[i + 1] === v);
  const isTokens = s.length === 3 && tokenShape.every((v, i) => s[i + 1] === v);
  if (!isImages && !isTokens)
    throw new UserError(
      `${path}: shape (${s.join(', ')}) fits model ${cfg.name} neither as images (B, ${imageShape.join(', ')}) nor as tokens (B, ${tokenShape.join(', ')})`,
    );
  const batch = s[0];
  if (batch < 1) throw new UserError(`${path}: the batch is empty`);
  const data = input.data;
  for (let i = 0; i < data.length; i++)
    if (!Number.isFinite(data[i])) throw new UserError(`${path}: contains NaN or Inf (at flat index ${i})`);
  return { kind: isImages ? 'images' : 'tokens', batch, data };
}

/** Parses a --task flag: an integer in [0, tasks). */
export function parseTask(text: string, cfg: ModelConfig): number {
  const t = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(t) || t >= cfg.tasks)
    throw new UserError(
      `--task: '${text}' is not a task of model ${cfg.name} (it has ${cfg.tasks}: 0..${cfg.tasks - 1})`,
    );
  return t;
}
