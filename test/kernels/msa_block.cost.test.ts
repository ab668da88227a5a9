import { describe, expect, test } from '@jest/globals';
import { COST } from '../../src/kernels/costConstants.js';
import { attentionCycles, cycles, resources } from '../../src/kernels/msa_block.js';
import type { MsaParams } from '../../src/kernels/params.js';
import { dimsOf, lcg, pick, propertyCases, shared, testBoard } from './costHelpers.js';

const P: MsaParams = { tile_in: 8, tile_out: 8, token_lanes: 2, q_parallel: 4, key_block: 8 };

describe('msa_block cost model', () => {
  test('hand-worked attention: micro (17 tokens, 2 heads of 16), 4 query rows × 8-key blocks', () => {
    // 5 query groups (the last one partial) × 3 key blocks per head
    if (COST.ATTN_BLOCK_SCHEDULE === 'dataflow') {
      const perBlock = (hd: number) => hd + COST.ATTN_BLOCK_OVERHEAD;
      expect(attentionCycles(P, dimsOf('micro'))).toBe(
        2 * 5 * (3 * perBlock(16) + 16 + COST.ATTN_GROUP_FILL),
      );
      // m3vit-tiny at UbiMoE's 4 × 8: 3 heads × 33 groups × (17 blocks × 64 + ...)
      expect(attentionCycles(P, dimsOf('m3vit-tiny'))).toBe(
        3 * 33 * (17 * perBlock(64) + 64 + COST.ATTN_GROUP_FILL),
      );
    } else {
      const perBlock = (8 + 2) * 16 + COST.ATTN_BLOCK_OVERHEAD;
      expect(attentionCycles(P, dimsOf('micro'))).toBe(
        2 * ((17 + 8) * 16 + 5 * (3 * perBlock + 16 + COST.ATTN_GROUP_FILL)),
      );
    }
  });

  test('hand-worked DSP: one linear engine of 8·8·2 MACs, attention 2 × 4·8 products, softmax, LayerNorm', () => {
    const r = resources(P, dimsOf('micro'), shared(), testBoard());
    const linear = 8 * 8 * 2 * 2; // ONE engine runs qkv and proj; 32-bit × 16-bit: 2 DSP48E2
    // score MACs q·k (24 × 24 bits) and A·V MACs (unsigned 18-bit prob × 24): 2 DSP48E2 each
    const attention = 4 * 8 * 2 + 4 * 8 * 2;
    const exp = Math.ceil((4 * 8) / 16) * COST.EXP_MULTS * 2; // 32 scores per 16-cycle block -> 2 units
    const recip = COST.RECIP_MULTS * 4;
    const layerNorm = 2 * 8 * 4 + 8 * 2 + COST.RSQRT_MULTS * 4;
    expect(r.dsp).toBe(linear + attention + exp + recip + layerNorm);
  });

  test('cycles are the sum of the stages', () => {
    const c = cycles(P, dimsOf('micro'), shared(), testBoard());
    const { start, layernorm, qkv, attention, proj } = c.parts;
    expect(c.cycles).toBeCloseTo(start + layernorm + qkv + attention + proj, 9);
    expect(attention).toBe(attentionCycles(P, dimsOf('micro')));
  });

  test('property: more lanes / query rows / key block never more cycles and never fewer DSP', () => {
    const r = lcg(11);
    for (const { board, dims, sh } of propertyCases())
      for (let i = 0; i < 40; i++) {
        const p: MsaParams = {
          tile_in: pick(r, [1, 2, 4, 8, 16]),
          tile_out: pick(r, [1, 2, 4, 8, 16]),
          token_lanes: pick(r, [1, 2, 3, 4, 5, 6, 7]),
          q_parallel: pick(r, [1, 2, 3, 5, 8, 15]),
          key_block: pick(r, [1, 2, 4, 8]),
        };
        const c = cycles(p, dims, sh, board).cycles;
        const d = resources(p, dims, sh, board).dsp;
        for (const q of [
          { ...p, token_lanes: p.token_lanes + 1 },
          { ...p, q_parallel: p.q_parallel + 1 },
          // (in the sequential schedule A·V goes key by key: a wider key block buys nothing)
          ...(COST.ATTN_BLOCK_SCHEDULE === 'dataflow' ? [{ ...p, key_block: p.key_block * 2 }] : []),
        ]) {
          expect(cycles(q, dims, sh, board).cycles).toBeLessThanOrEqual(c + 1e-9);
          expect(resources(q, dims, sh, board).dsp).toBeGreaterThanOrEqual(d);
        }
      }
  });
});
