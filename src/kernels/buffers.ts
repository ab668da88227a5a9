/**
 * The on-chip arrays of msa_block and ffn_block, by the names the templates and headers give them:
 * priced by each kernel's resources() (bufferCost) and, where bufferStorage says URAM, bound by
 * the template (BIND_STORAGE impl=uram) — one list, so the code and the model agree (issue 13
 * item 8). patch_embed's list is patchBuffers (cpp/patch_embed.ts).
 */
import type { ModelDims } from '../model/config.js';
import { COST } from './costConstants.js';
import type { Buffer } from './costModel.js';
import { formats } from './cpp/formats.js';
import type { FfnParams, MsaParams } from './params.js';
import type { SharedParams } from './types.js';

/** msa_block: the engine's accumulators (linear.h), x, s, qkv (the template), one head's K and V (attention.h). */
export function msaBuffers(params: MsaParams, dims: ModelDims, shared: SharedParams): Buffer[] {
  const p = shared.precision;
  const A = p.activation.width;
  const Q = formats(p).qkv.width;
  const { tile_in: ti, tile_out: to, token_lanes: lanes, q_parallel: qp, key_block: kb } = params;
  const tokensDim = dims.numTokens * dims.D;
  const accRows = Math.max(Math.ceil(dims.numTokens / lanes), COST.ACC_DEPENDENCE_DISTANCE) * lanes;
  const head = (dims.numTokens + kb) * dims.headDim;
  return [
    { name: 'acc', widthBits: p.accum.width, words: accRows * to, banks: to * lanes },
    // x: the residual the proj pass drains into; s: LayerNorm1 output / attention output;
    // qkv: drained LANES rows per cycle, read Q_PAR rows per cycle
    { name: 'x', widthBits: A, words: tokensDim, banks: to * lanes },
    { name: 's', widthBits: A, words: tokensDim, banks: ti * lanes },
    { name: 'qkv', widthBits: Q, words: 3 * tokensDim, banks: Math.max(lanes, qp) * to },
    { name: 'kt', widthBits: Q, words: head, banks: kb },
    { name: 'vt', widthBits: Q, words: head, banks: kb },
  ];
}

/** ffn_block: x, s, hidden, res (the template), the engine's accumulators; with MoE h and the queues. */
export function ffnBuffers(params: FfnParams, dims: ModelDims, shared: SharedParams): Buffer[] {
  const p = shared.precision;
  const A = p.activation.width;
  const { tile_in: ti, tile_out: to, token_lanes: lanes } = params;
  const N = dims.numTokens;
  const moe = dims.experts > 0 && dims.moeBlocks.some((m) => m);
  const hidden = Math.max(dims.moeBlocks.some((m) => !m) ? dims.mlpHidden : 0, moe ? dims.expertHidden : 0);
  const banks = Math.max(ti, to) * lanes;
  const accRows = Math.max(Math.ceil(N / lanes), COST.ACC_DEPENDENCE_DISTANCE) * lanes;
  return [
    { name: 'x', widthBits: A, words: N * dims.D, banks: to },
    { name: 's', widthBits: A, words: N * dims.D, banks },
    { name: 'hidden', widthBits: A, words: N * hidden, banks },
    { name: 'res', widthBits: p.accum.width, words: N * dims.D, banks: to * lanes },
    { name: 'acc', widthBits: p.accum.width, words: accRows * to, banks: to * lanes },
    ...(moe
      ? [
          // the kept LayerNorm2 output; per-expert token queues: (token index, score) for up to N tokens
          { name: 'h', widthBits: A, words: N * dims.D, banks: to },
          { name: 'queue', widthBits: 16 + A, words: dims.experts * N, banks: 1 },
        ]
      : []),
  ];
}
