// The engine's accumulators as every kernel's resource model prices them: double-buffered (linear.h
// engine_pass declares acc[2][groups][LANES][TILE_OUT], the bank and lane dimensions completely
// partitioned: out tile t accumulates in one bank while t − 1 drains from the other).
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ffnBuffers, msaBuffers } from '../../src/kernels/buffers.js';
import { patchBuffers } from '../../src/kernels/cpp/patch_embed.js';
import { hlsDir } from '../../src/util/paths.js';
import { dimsOf, shared } from './costHelpers.js';

const acc = (buffers: Array<{ name: string; words: number; banks: number }>) => buffers.find((b) => b.name === 'acc')!;

describe('the linear engine accumulators (linear.h acc[2][groups][LANES][TILE_OUT])', () => {
  test('the header declares two banks and partitions the bank dimension completely', () => {
    const h = readFileSync(join(hlsDir, 'include', 'ubimoe', 'linear.h'), 'utf8');
    expect(h).toContain('static acc_t acc[2][CFG::ACC_ROWS / CFG::LANES][CFG::LANES][CFG::TILE_OUT];');
    expect(h).toContain('#pragma HLS ARRAY_PARTITION variable=acc complete dim=1');
  });

  test('msa_block, ffn_block and patch_embed price both banks', () => {
    const m3 = dimsOf('m3vit-tiny');
    const sh = shared();
    // msa: 129 tokens, 3 lanes -> 43 groups × 3 rows × tile_out 16, twice; banks 2 × 3 × 16
    const msa = acc(msaBuffers({ tile_in: 16, tile_out: 16, token_lanes: 3, q_parallel: 4, key_block: 8 }, m3, sh));
    expect(msa.words).toBe(2 * 43 * 3 * 16);
    expect(msa.banks).toBe(2 * 3 * 16);
    // ffn: 2 lanes, 65 groups × 2 rows × tile_out 8, twice; banks 2 × 2 × 8
    const ffn = acc(ffnBuffers({ tile_in: 16, tile_out: 8, token_lanes: 2 }, m3, sh));
    expect(ffn.words).toBe(2 * 65 * 2 * 8);
    expect(ffn.banks).toBe(2 * 2 * 8);
    // micro's 17 tokens on 8 lanes: 3 groups, padded to MIN_GROUPS 4 -> 32 rows × 8, twice
    const micro = acc(ffnBuffers({ tile_in: 8, tile_out: 8, token_lanes: 8 }, dimsOf('micro'), sh));
    expect(micro.words).toBe(2 * 32 * 8);
    // patch_embed: one lane, 128 patches × tile_out 16, twice; banks 2 × 16
    const pe = acc(patchBuffers({ tile_in: 16, tile_out: 16 }, m3, sh));
    expect(pe.words).toBe(2 * 128 * 16);
    expect(pe.banks).toBe(2 * 16);
  });
});
