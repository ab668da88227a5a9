/**
 * Measured routing for the cost model: run the float32 reference model on images with a
 * checkpoint and count, per MoE block, the tokens each expert received (averaged over images).
 */
import { readFileSync } from 'node:fs';
import type { Routing } from '../src/design/estimate.js';
import { readNpyFloat32 } from '../src/io/npy.js';
import { readCheckpoint } from '../src/model/checkpoint.js';
import { modelDims, type ModelConfig } from '../src/model/config.js';
import { forwardImages } from '../src/model/reference.js';
import { Rng } from './rng.js';
import { UserError, describeError } from '../src/util/errors.js';

/** Routing from the reference model: `images` [B, C, H, W] (default: 2 deterministic N(0,1) images). */
export function measureRouting(
  cfg: ModelConfig,
  checkpointPath: string,
  imagesPath?: string,
  task = 0,
): Routing {
  const dims = modelDims(cfg);
  if (dims.experts === 0)
    throw new UserError(`model ${cfg.name} has no MoE blocks: there is no routing to measure`);
  const ckpt = readCheckpoint(checkpointPath, cfg);
  let data: Float32Array;
  let batch: number;
  if (imagesPath) {
    const x = readNpyFloat32(imagesPath, [null, cfg.in_chans, cfg.img_h, cfg.img_w]);
    data = x.data;
    batch = x.shape[0];
  } else {
    batch = 2;
    const rng = new Rng(1);
    data = new Float32Array(batch * cfg.in_chans * cfg.img_h * cfg.img_w);
    for (let i = 0; i < data.length; i++) {
      // Box-Muller: normalised-image-like values
      const u = Math.max(rng.next(), 1e-12);
      data[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
    }
  }
  const r = forwardImages(ckpt, cfg, data, batch, { task });
  const nMoe = dims.moeBlocks.filter(Boolean).length;
  const counts = Array.from({ length: nMoe }, () => new Array<number>(dims.experts).fill(0));
  const per = dims.numTokens * dims.topK;
  for (let b = 0; b < batch; b++)
    for (let m = 0; m < nMoe; m++)
      for (let i = 0; i < per; i++) counts[m][r.experts[(b * nMoe + m) * per + i]] += 1 / batch;
  return { tokensPerExpert: counts };
}

/** A routing JSON file: { "tokens_per_expert": [[...E counts...] per MoE block] }. */
export function readRouting(path: string): Routing {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`${path}: not a readable JSON file: ${describeError(err)}`);
  }
  const t = (v as { tokens_per_expert?: unknown }).tokens_per_expert;
  if (!Array.isArray(t) || !t.every((row) => Array.isArray(row) && row.every((n) => typeof n === 'number')))
    throw new UserError(
      `${path}: tokens_per_expert must be a list (one per MoE block) of lists of token counts`,
    );
  return { tokensPerExpert: t as number[][] };
}
