// msa_block's cost model against hand counts of templates/kernels/msa_block.cpp.ejs and
// hls/include/ubimoe/{tokens,layernorm,linear,attention}.h (expected values are literals; see
// costModel.cost.test.ts for the conventions: loop trip counts × II + the model's documented
// estimates: LINEAR_PIPELINE_DEPTH 14, LINEAR_DRAIN_DEPTH 10, LAYERNORM_ROW_OVERHEAD 30,
// AXI_FIRST_BEAT_CYCLES 64, KERNEL_START_CYCLES 300; attention from the LATENCY block).
import { describe, expect, test } from '@jest/globals';
import { attentionCycles, cycles, resources } from '../../src/kernels/msa_block.js';
import type { MsaParams } from '../../src/kernels/params.js';
import { cleanBoard, dimsOf, lcg, pick, propertyCases, shared, testBoard } from './costHelpers.js';

const P: MsaParams = { tile_in: 8, tile_out: 8, token_lanes: 2, q_parallel: 4, key_block: 8 };
// UbiMoE's published parameters: linear 16 × 16 × 3 lanes, attention 4 query rows × 8-key blocks
const UBI: MsaParams = { tile_in: 16, tile_out: 16, token_lanes: 3, q_parallel: 4, key_block: 8 };
// 512-bit AXI words (16 activations of 32 bit, 32 weights/biases of 16 bit) on a port of 32 B/cycle
const sh = shared({ axiWidthBits: 512 });

describe('msa_block cost model', () => {
  test('attention (attention.h): split_head per head, then per query group init, the key blocks, a finish per valid row', () => {
    // LATENCY (costConstants.ts): SPLIT_HEAD_DEPTH 2, ATTN_QK_DEPTH 6, ATTN_SCALE_CYCLES 3,
    // ATTN_AV_DEPTH 8, RECIP_CYCLES 8, ATTN_NORMALISE_DEPTH 5, EXP_CYCLES 10, MULTIPLY_CYCLES 3,
    // ROLLED_STEP_CYCLES 1, FIFO_READ_LATENCY 1. A pipelined loop instance: (trip − 1) · II + depth.
    // Per head: split_head, one flattened II=1 loop over (TOKENS + KEY_BLOCK) × HEAD_DIM.
    // Per group (a dataflow; the softmax/A·V stage is the slower one and sets the pace):
    //   init: Q_PAR × HEAD_DIM stores, rolled (o partitioned over the rows only), or the first
    //   score block (qk (HD − 1) + 6, scale 3, FIFO read 1) if that comes later;
    //   per key block: the softmax, straight-line, its two key loops rolled (latency.ts
    //   attentionSoftmaxBlockCycles): Q_PAR × (KB compare steps + exp 10 + KB × (exp 10 + add 1)
    //   + multiply 3 + 1) = 4 × (8 + 10 + 88 + 3 + 1) = 440; then the av loop (HD − 1) + 8.
    // Per valid query row (TOKENS per head): the reciprocal 8 + the normalise loop (HD − 1) + 5.
    // micro: 17 tokens, 2 heads of 16; 5 groups × 3 key blocks:
    //   split_head 25 × 16 − 1 + 2 = 401; init max(4 × 16 = 64, 15 + 6 + 3 + 1 = 25) = 64;
    //   block 440 + 15 + 8 = 463; row 8 + 15 + 5 = 28
    //   2 × (401 + 5 × (64 + 3 × 463) + 17 × 28) = 2 × (401 + 7265 + 476) = 16284
    // (the timed C-simulation of the default micro design: 32568 for micro's 2 blocks, = 2 × 16284)
    expect(attentionCycles(P, dimsOf('micro'))).toBe(16284);
    // m3vit-tiny: 129 tokens, 3 heads of 64; 33 groups × 17 key blocks:
    //   split_head 137 × 64 − 1 + 2 = 8769; init max(4 × 64 = 256, 63 + 6 + 3 + 1 = 73) = 256;
    //   block 440 + 63 + 8 = 511; row 8 + 63 + 5 = 76
    //   3 × (8769 + 33 × (256 + 17 × 511) + 129 × 76) = 3 × (8769 + 295119 + 9804) = 941076
    // (simulated: 941076 per msa_block call)
    expect(attentionCycles(UBI, dimsOf('m3vit-tiny'))).toBe(941076);
  });

  test('hand count: micro block (17 tokens, D 32), linear 8 × 8 × 2 lanes, attention 4 × 8', () => {
    const c = cycles(P, dimsOf('micro'), sh, cleanBoard());
    expect(c.parts.start).toBe(300);
    // read_rows x: 17 rows × 2 words = 2176 B -> 64 + 68 = 132
    // layernorm: 17 rows × (3 passes of (32/8 − 1) + their depths 3 + 6 + 6, + 5 + 10 = 30) = 17 × 39 = 663
    // gamma, beta: read_vector twice, two bursts of 32 × 16 bit = 64 B -> 2 × (64 + 2) = 132
    expect(c.parts.layernorm).toBe(132 + 663 + 132);
    // qkv, the call's first pass (32 -> 96): read_biases 96 × 16 bit = 3 words = 192 B -> 64 + 6,
    // the tiles' own burst: AXI latency 64, first tile 2 words = 128 B -> 4: 138; per out tile 4 in
    // tiles × ceil(17/2) = 9 groups = 36 + 14 + drain 9 + 10 = 69; 96/8 = 12 out tiles -> 828
    expect(c.parts.qkv).toBe(138 + 828);
    expect(c.parts.attention).toBe(16284);
    // proj (32 -> 32), prefetched during the attention: 4 out tiles × 69 = 276; it drains into x
    // (the residual add), then write_rows x: 64 + 68 = 132
    expect(c.parts.proj).toBe(276 + 132);
    expect(c.cycles).toBe(300 + 927 + 966 + 16284 + 408);
  });

  test('hand count: micro block with tile_in ≠ tile_out (16 × 8 × 2 lanes)', () => {
    const c = cycles({ ...P, tile_in: 16 }, dimsOf('micro'), sh, cleanBoard());
    // LayerNorm at tile_in = 16 lanes: 17 × (3 × (2 − 1) + 30) = 561, between x (132) and gamma/beta (132)
    expect(c.parts.layernorm).toBe(132 + 561 + 132);
    // tile 16·8·16 bit = 4 words = 256 B -> 8 cycles (below 9 groups). qkv: biases 70 + the tiles'
    // burst 64 + tile 8 = 142;
    // per out tile 2 in tiles × 9 = 18 + 14 + 9 + 10 = 51; 12 out tiles = 612
    expect(c.parts.qkv).toBe(142 + 612);
    // proj: 4 out tiles × 51 = 204; write x 132
    expect(c.parts.proj).toBe(204 + 132);
    expect(c.cycles).toBe(300 + 825 + 754 + 16284 + 336);
  });

  test('hand count: m3vit-tiny block (129 tokens, D 192), UbiMoE parameters', () => {
    const c = cycles(UBI, dimsOf('m3vit-tiny'), sh, cleanBoard());
    // read_rows x: 129 rows × 12 words = 99072 B / 32 = 3096, + 64 = 3160
    // layernorm: 129 × (3 × (192/16 − 1) + 30) = 129 × 63 = 8127; gamma, beta 384 B each: 2 × (64 + 12) = 152
    expect(c.parts.layernorm).toBe(3160 + 8127 + 152);
    // qkv (192 -> 576): biases 576 × 16 bit = 18 words = 1152 B -> 64 + 36 = 100, first tile
    // (its own burst: + 64) 16·16·16 bit = 8 words = 512 B -> 16: 180; per out tile 12 in tiles × ceil(129/3) = 43
    // groups = 516 (a 16-cycle tile load hides behind 43) + 14 + 43 + 10 = 583; 36 out tiles -> 20988
    expect(c.parts.qkv).toBe(180 + 20988);
    expect(c.parts.attention).toBe(941076);
    // proj: 12 out tiles × 583 = 6996, then write_rows x: 3160
    expect(c.parts.proj).toBe(6996 + 3160);
    expect(c.cycles).toBe(300 + 11439 + 21168 + 941076 + 10156);
  });

  test('hand-worked DSP: one linear engine of 8·8·2 MACs, attention 2 × 4·8 products, softmax, LayerNorm', () => {
    const r = resources(P, dimsOf('micro'), shared(), testBoard());
    const linear = 8 * 8 * 2 * 2; // ONE engine runs qkv and proj; 32-bit × 16-bit: 2 DSP48E2
    // score MACs q·k (24 × 24 bits) and A·V MACs (unsigned 18-bit prob × 24): 2 DSP48E2 each
    const attention = 4 * 8 * 2 + 4 * 8 * 2;
    // the model's non-linear units (estimates: EXP_MULTS 1, RECIP_MULTS 2, RSQRT_MULTS 2; nonlinear.h's
    // exp has a constant multiply by log2(e) and one interpolation multiply, recip and rsqrt one
    // interpolation multiply each): exp units for 32 scores per 16-cycle block -> 2 units × 1 × 2 DSP;
    // one reciprocal 2 × 4 DSP (32 × 32)
    const exp = 2 * 1 * 2;
    const recip = 2 * 4;
    // LayerNorm at 8 lanes: x² and (x − mean)·rstd (32 × 32: 4 DSP), ·gamma (32 × 16: 2 DSP), rsqrt 2 × 4
    const layerNorm = 2 * 8 * 4 + 8 * 2 + 2 * 4;
    expect(r.dsp).toBe(linear + attention + exp + recip + layerNorm);
    expect(r.dsp).toBe(484);
  });

  // only more lanes are in the cycles property: the softmax's per-row copies run one after another
  // and the A·V accumulators are cleared row by row, so more query rows do not shorten the
  // attention (padding of the last group can lengthen it), and a longer key block lengthens
  // split_head (TOKENS + KEY_BLOCK rows) and the rolled softmax loops as much as it saves blocks
  test('property: more lanes never more cycles; more lanes / query rows / key block never fewer DSP', () => {
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
          { ...p, key_block: p.key_block * 2 },
        ]) {
          if (q.token_lanes !== p.token_lanes)
            expect(cycles(q, dims, sh, board).cycles).toBeLessThanOrEqual(c + 1e-9);
          expect(resources(q, dims, sh, board).dsp).toBeGreaterThanOrEqual(d);
        }
      }
  });
});
