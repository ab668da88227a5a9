import { existsSync } from 'node:fs';
import { readNpy } from '../../io/npy.js';
import type { ModelDims } from '../../model/config.js';
import { UserError } from '../../util/errors.js';
import type { RoutingSeen } from '../types.js';

/**
 * reports/experts.npy: the expert choices `ubimoe csim --experts` writes, int32
 * [B, moe_blocks, N, top_k]. Null when absent; a UserError naming the file when it does not match
 * the project's model. Counted into tokens per expert per MoE block, averaged over the B images.
 */
export function readExperts(path: string, rel: string, dims: ModelDims): RoutingSeen | null {
  if (!existsSync(path)) return null;
  const a = readNpy(path);
  const M = dims.moeBlocks.filter(Boolean).length;
  const want = `[B, ${M}, ${dims.numTokens}, ${dims.topK}]`;
  if (a.dtype !== 'int32') throw new UserError(`${path}: dtype ${a.dtype}, expert choices are int32 ${want}`);
  const s = a.shape;
  if (M === 0) throw new UserError(`${path}: the model has no MoE blocks, so no expert choices to show`);
  if (s.length !== 4 || s[0] < 1 || s[1] !== M || s[2] !== dims.numTokens || s[3] !== dims.topK)
    throw new UserError(`${path}: shape (${s.join(', ')}), expert choices of this model are ${want}`);
  const data = a.data as Int32Array;
  const B = s[0];
  const counts = Array.from({ length: M }, () => new Array<number>(dims.experts).fill(0));
  const per = dims.numTokens * dims.topK;
  for (let b = 0; b < B; b++)
    for (let m = 0; m < M; m++)
      for (let i = 0; i < per; i++) {
        const e = data[(b * M + m) * per + i];
        if (!(e >= 0 && e < dims.experts))
          throw new UserError(`${path}: value ${e} is not an expert index (0..${dims.experts - 1})`);
        counts[m][e] += 1;
      }
  return {
    file: rel,
    what: 'the C-simulation (ubimoe csim --experts)',
    images: B,
    tokensPerExpert: counts.map((row) => row.map((c) => c / B)),
  };
}
