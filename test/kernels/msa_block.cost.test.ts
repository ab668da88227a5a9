// msa_block's cost model against hand counts of templates/kernels/msa_block.cpp.ejs and
// hls/include/ubimoe/{tokens,layernorm,linear,attention}.h (expected values are literals; see
// costModel.cost.test.ts for the conventions: loop trip counts × II + the model's documented
// estimates: LINEAR_LOOP_DEPTH 14 (the engine's merged MAC + drain loop), the LayerNorm depths (costModel.cost.test.ts),
// AXI_FIRST_BEAT_CYCLES 64, KERNEL_START_CYCLES 300; attention from the LATENCY block).
import { describe, expect, test } from '@jest/globals';
import { PRECISIONS } from '../../src/design/design.js';
import { formats } from '../../src/kernels/cpp/formats.js';
import { attentionCycles, attentionResources, cycles, resources } from '../../src/kernels/msa_block.js';
import type { Precision } from '../../src/kernels/types.js';
import {
  attentionAvSteps,
  attentionExpChunks,
  attentionExpUnits,
  attentionOutRows,
  attentionOutRowSteps,
  attentionReaderPlan,
  attentionSoftmaxSteps,
} from '../../src/kernels/latency.js';
import type { MsaParams } from '../../src/kernels/params.js';
import { cleanBoard, dimsOf, lcg, pick, propertyCases, shared, testBoard } from './costHelpers.js';

const P: MsaParams = { tile_in: 8, tile_out: 8, token_lanes: 2, q_parallel: 4, key_block: 8 };
// UbiMoE's published parameters: linear 16 × 16 × 3 lanes, attention 4 query rows × 8-key blocks
const UBI: MsaParams = { tile_in: 16, tile_out: 16, token_lanes: 3, q_parallel: 4, key_block: 8 };
// 512-bit AXI words (16 activations of 32 bit, 32 weights/biases of 16 bit) on a port of 32 B/cycle
const sh = shared({ axiWidthBits: 512 });

describe('msa_block cost model', () => {
  test('attention (attention.h): one five-stage dataflow; the reader splits the next head during this one', () => {
    // LATENCY (costConstants.ts): ATTN_READ_DEPTH 3, ATTN_QK_DEPTH 6, ATTN_SCALE_CYCLES 3,
    // ATTN_COMPARE_CYCLES 1, ATTN_SOFTMAX_DEPTH 15, ATTN_AV_DEPTH 8, RECIP_CYCLES 8,
    // ATTN_NORMALISE_DEPTH 5, FIFO_READ_LATENCY 1. A pipelined loop instance:
    // (trip − 1) · II + depth.
    // The reader, per head (latency.ts attentionReaderPlan): ROWS = KEY_BLOCKS · KEY_BLOCK rows
    // of ROW_STEPS steps, then FLUSH_STEPS. KV_READS = the largest divisor of HD <= the qkv column
    // banks (tile_out), Q_READS the same (one port of a bank: the engine's drain may use the
    // other); ROW_STEPS = max(2 · HD / KV_READS + HD / Q_READS (the key, the value, the query),
    // ceil(HD / KB), ceil(HD / Q_PAR)); the last, partial query group leaves
    // at max(N · ROW_STEPS, (N − partial) · ROW_STEPS + HD), and FLUSH_STEPS = max(HD, that + HD −
    // ROWS · ROW_STEPS).
    // Per key block: the score, softmax and A·V loops are ONE flattened pipeline each, so a block
    // takes HD (score), SM_STEPS = max(EXP_CHUNKS · (KB + 1), 4) (softmax) and AV_STEPS = max(HD,
    // 8) (A·V) steps, their depths paid once (in the fill: a block's scores out after HD − 1 + 6 +
    // scale 3, its probabilities after SM_STEPS − 1 + the compare tree ceil(log2 KB) + 1 + 15, its
    // last A·V column after HD − 1 + 8). The pace is the slowest; per group the slower of its
    // blocks and the finish (Q_PAR reciprocals pipelined, then HD · ceil(Q_PAR / 2) normalise steps).
    // attention = reader head + (groups − 1) · group + (heads − 1) · max(groups · group, reader
    // head) + fill (read depth + a block through every stage + 2 FIFO reads) + tail (the finish's
    // normalise beyond the last A·V pass + its depth).
    // micro: 17 tokens, 2 heads of 16, 4 × 8: 3 key blocks, 5 groups. EXP_UNITS: the A·V block is
    // 16 steps, floor(16 / 9) = 1 chunk (one row's KB + 1 = 9 steps): 4 units (one per row).
    //   reader: tile_out 8 -> KV_READS = Q_READS = 8; ROWS 24; ROW_STEPS max(2 + 2 + 2, 2, 4) = 6;
    //   17 % 4 = 1 row in the last group: it leaves at max(102, 16 · 6 + 16 = 112), FLUSH_STEPS
    //   max(16, 112 + 16 − 144) = 16: 24 × 6 + 16 = 160 per head (the first group ready then too:
    //   max(144, 8 · 6 + 2 · 16) + 16);
    //   score 16 steps (24 to the first block out), softmax 9 (8 + 4 + 15 = 27), A·V 16 (23):
    //   pace 16 (27 before the flattening: the softmax's block max and depth paid per block);
    //   finish 11 + 36 = 47; group max(3 × 16 = 48, 47) = 48; a head's groups 240 > 160
    //   160 + 4 × 48 + 1 × 240 + (3 + 24 + 27 + 23 + 2 = 79) + (36 − 23 + 5 = 18) = 689
    expect(attentionCycles(P, dimsOf('micro'))).toBe(689);
    // m3vit-tiny: 129 tokens, 3 heads of 64, 4 × 8: 17 key blocks, 33 groups. EXP_UNITS: floor(64 /
    // 9) = 7 chunks -> ceil(4 / 7) = 1 unit, 4 chunks: SM_STEPS 36.
    //   reader: tile_out 16 -> KV_READS = Q_READS = 16; ROWS 136; ROW_STEPS max(4 + 4 + 4, 8, 16) = 16;
    //   129 % 4 = 1: the last group leaves at max(2064, 128 · 16 + 64 = 2112), FLUSH_STEPS max(64,
    //   2112 + 64 − 2176) = 64: 136 × 16 + 64 = 2240 per head (one element a cycle: 13152);
    //   score 64 steps (72 to the first block out), softmax 36 (35 + 4 + 15 = 54), A·V 64 (71):
    //   pace 64 (72 before the flattening, the score pass's depth and scaling paid per block);
    //   finish 11 + 132 = 143; group max(17 × 64 = 1088, 143) = 1088; a head's groups 35904
    //   2240 + 32 × 1088 + 2 × 35904 + (3 + 72 + 54 + 71 + 2 = 202) + (132 − 71 + 5 = 66) = 109132
    expect(attentionCycles(UBI, dimsOf('m3vit-tiny'))).toBe(109132);
  });

  test("the attention reader's plan: reads per cycle from qkv's column banks, steps per row, flush", () => {
    // m3vit-tiny head dim 64. One column bank (tile_out 1): the key, the value and the query one
    // element a cycle each (one port of the bank): 192 steps a row
    expect(attentionReaderPlan(129, 64, 4, 8, 1)).toEqual({
      kvReads: 1,
      qReads: 1,
      rows: 136,
      rowSteps: 192,
      flushSteps: 64, // the last group (1 row) leaves at step max(129 · 192, 128 · 192 + 64) = 24768: flush max(64, 24768 + 64 − 26112)
      headSteps: 136 * 192 + 64,
    });
    // tile_out 24 (not a divisor of 64): 16 columns a cycle; 4 + 4 + 4 = 12 steps, but a 4-row
    // group needs 16 steps to leave
    expect(attentionReaderPlan(129, 64, 4, 8, 24)).toMatchObject({ kvReads: 16, qReads: 16, rowSteps: 16 });
    // 32 banks, 8-row groups, one block of 129 keys: 2 + 2 + 2 = 6 steps a row, 64 / 8 = 8 for a
    // group. The last group (129 % 8 = 1 row) waits for the group before it, which leaves from
    // row 128 (step 1024) for 64 steps: it leaves at 1088 and is gone at 1152; the rows end at
    // 129 · 8 = 1032, so the flush is 1152 − 1032 = 120 steps (more than the block's 64)
    expect(attentionReaderPlan(129, 64, 8, 129, 32)).toEqual({
      kvReads: 32,
      qReads: 32,
      rows: 129,
      rowSteps: 8,
      flushSteps: 120,
      headSteps: 129 * 8 + 120,
    });
    // 16-key blocks with 32 banks: a block needs 64 / 16 = 4 steps a row to leave, the reads 2 + 2 + 2
    expect(attentionReaderPlan(129, 64, 16, 16, 32).rowSteps).toBe(6);
  });

  test('exp units: the fewest that keep the softmax of a key block within the A·V pass', () => {
    // head dim 64: the A·V pass of a block is 64 steps (AV_STEPS); the softmax's flattened loop
    // has them for chunks of KB + 1 steps (its block max and exp depth are paid once per call)
    expect(attentionExpUnits(4, 8, 64)).toBe(1); // 64 / 9 -> 7 chunks
    expect(attentionExpUnits(13, 8, 64)).toBe(2); // 7 chunks of 2 rows
    expect(attentionExpUnits(5, 16, 64)).toBe(2); // 64 / 17 -> 3 chunks
    expect(attentionExpUnits(10, 16, 64)).toBe(4);
    expect(attentionExpUnits(4, 8, 16)).toBe(4); // micro: no room for a second chunk
    expect(attentionExpUnits(1, 64, 64)).toBe(1);
    for (const [qp, kb] of [
      [4, 8],
      [13, 8],
      [5, 16],
      [10, 16],
    ]) {
      const chunks = attentionExpChunks(qp, kb, 64);
      expect(chunks * attentionExpUnits(qp, kb, 64)).toBeGreaterThanOrEqual(qp);
      expect(attentionSoftmaxSteps(qp, kb, 64)).toBe(chunks * (kb + 1));
      expect(attentionSoftmaxSteps(qp, kb, 64)).toBeLessThanOrEqual(attentionAvSteps(64));
    }
  });

  test('attention with heads ready later: head h starts once its qkv pass has drained', () => {
    // micro, P (as above): reader head 160 = firstGroupReady, 5 groups at 48, a head's groups 240,
    // fill + tail 97. Heads ready at 375 and 699: head 0's groups end 375 + 160 + 4 × 48 = 727;
    // head 1's reader starts at 699 (the reader is free from 535): its groups end at max(727 +
    // 240, 699 + 352) = 1051; + 97 = 1148
    expect(attentionCycles(P, dimsOf('micro'), [375, 699])).toBe(1148);
    // a head ready late enough sets the end alone: head 1 at 2000 -> 2000 + 352 + 97
    expect(attentionCycles(P, dimsOf('micro'), [375, 2000])).toBe(2449);
    // every head ready at 0: the attention alone (689 above)
    expect(attentionCycles(P, dimsOf('micro'), [0, 0])).toBe(689);
  });

  test('hand count: micro block (17 tokens, D 32), linear 8 × 8 × 2 lanes, attention 4 × 8', () => {
    const c = cycles(P, dimsOf('micro'), sh, cleanBoard());
    expect(c.parts.start).toBe(300);
    // read_layernorm (x in and LayerNorm1 streamed) at chunk 8: γ/β first (two bursts of 64 B:
    // 2 × (64 + 2 − 1 + 3) = 136), then the 68 chunks: 136 + 67 + out depth 6 = 209
    // (costModel.cost.test.ts; the reader's pace gives 178)
    expect(c.parts.layernorm).toBe(209);
    // qkv, one pass per head (32 -> 48: the head's q | k | v). Head 0, the region call's first
    // pass: the layer is one burst: AXI latency 64, its bias rows (48 × 16 bit = 2 words of 64 B)
    // 4, first tile 2 words = 128 B -> 4, its last word through the reader's depth (3 − 1) and the
    // FIFO hop (1): 75; per out tile 4 in tiles × ceil(17/2) = 9 groups = 36 MAC iterations (the
    // previous tile's 9 drain iterations beside them); 48/8 = 6 out tiles -> 216; the drain-only
    // run 9; the merged loop's depth 14 once -> 239: 314. Head 1: its fetch (75) behind head 0's
    // tail (3 tiles ahead × 9 + drain 9 + depth 14 = 50): 25 + 239 = 264. Tokens (one FIFO hop
    // later): 315, 579. This call's attention runs every head but the last: head 0's groups end
    // 315 + 160 + 4 × 48 = 667; + fill and tail 97 = 764, after the engine (578)
    expect(c.parts.qkv_attention).toBe(764);
    // the second call: the last head's attention (its token at the call's start, read a cycle
    // later: 1 + 160 + 4 × 48 + 97 = 450) beside proj over head 0's columns of o (16 -> 32, its
    // own fetch: 64 + zero biases 1 word -> 2 + first tile 4 + 3 = 73; 4 out tiles of 2 in tiles
    // × 9 groups = 18 MAC iterations: 18 + 3 × 18 + the drain-only run 9 + depth 14 = 95: 168)
    expect(c.parts.last_head).toBe(450);
    // the third: proj over the last head's columns (16 -> 32, with the bias: the same 168); it
    // drains into x (the residual add), then write_rows x: 64 + 68 = 132
    expect(c.parts.proj).toBe(168 + 132);
    expect(c.cycles).toBe(300 + 209 + 764 + 450 + 300);
  });

  test('hand count: micro block with tile_in ≠ tile_out (16 × 8 × 2 lanes)', () => {
    const c = cycles({ ...P, tile_in: 16 }, dimsOf('micro'), sh, cleanBoard());
    // LayerNorm at chunk 16 (a word a chunk, 2 a row): the reader's last word 64 + 68 − 1 = 131,
    // + 4 = the splitter's 135, mean 138, + 9 + 2 + 16 + 1 + 1 + 6 = 173; γ/β 136 + 33 + 6 = 175
    expect(c.parts.layernorm).toBe(175);
    // tile 16·8·16 bit = 4 words = 256 B -> 8 cycles (below 9 groups). Head 0: 64 + biases 4 +
    // tile 8 + 3 = 79; per out tile 2 in tiles × 9 = 18 (>= the 9 drain iterations beside them);
    // 6 out tiles = 108, + the drain-only run 9 + the depth 14 = 131: 210. Head 1: 79 − tail 50 =
    // 29 + 131 = 160. Tokens at 211, 371: head 0's groups end 211 + 160 + 192 = 563; + 97 (head 1
    // runs in the second call)
    expect(c.parts.qkv_attention).toBe(660);
    // the last head's attention 450 beside proj over head 0's columns (16 -> 32: 64 + 2 + 8 + 3 =
    // 77, 4 out tiles of 1 in tile × 9 = 9 iterations: 9 + 3 × 9 + 9 + 14 = 59: 136)
    expect(c.parts.last_head).toBe(450);
    // proj over the last head's columns: 136; write x 132
    expect(c.parts.proj).toBe(136 + 132);
    expect(c.cycles).toBe(300 + 175 + 660 + 450 + 268);
  });

  test('hand count: m3vit-tiny block (129 tokens, D 192), UbiMoE parameters', () => {
    const c = cycles(UBI, dimsOf('m3vit-tiny'), sh, cleanBoard());
    // read_layernorm, port-bound: 1548 words at 2 cycles, the last ready at 64 + 3096 − 1, + 55 for
    // the last row's chunks through the stages: 3221 (costModel.cost.test.ts)
    expect(c.parts.layernorm).toBe(3221);
    // qkv per head (192 -> 192), one burst: 64, biases 192 × 16 bit = 6 words = 384 B -> 12, first
    // tile 16·16·16 bit = 8 words = 512 B -> 16, + 3: 95; per out tile 12 in tiles × ceil(129/3) =
    // 43 groups = 516 (a 16-cycle tile load hides behind 43); 12 out tiles -> 6192; the drain-only
    // run 43 and the depth 14 -> 6249: head 0 6344, heads 1 and 2 6249 each (their fetch, 95,
    // behind the tail 3 × 43 + 43 + 14 = 186). Tokens at 6345, 12594, 18843.
    // The attention of heads 0 and 1 (reader head 2240, 33 groups at 1088, a head's groups 35904,
    // fill + tail 268): head 0's groups end 6345 + 2240 + 32 × 1088 = 43401, head 1's a head of
    // groups later (its own start is earlier): 79305; + 268 = 79573 (the attention, not the qkv
    // passes, sets the pace)
    expect(c.parts.qkv_attention).toBe(79573);
    // the second call: head 2's attention from its token (1 + 2240 + 32 × 1088 + 268 = 37325)
    // beside proj over heads 0 and 1's columns (128 -> 192: zero biases, 64 + 12 + 16 + 3 = 95; 12
    // out tiles of 8 in tiles × 43 = 344: 12 × 344 + 43 + 14 = 4185: 4280)
    expect(c.parts.last_head).toBe(37325);
    // the third: proj over head 2's columns (64 -> 192: 95 + 12 × 172 + 43 + 14 = 2216), then
    // write_rows x: 3160. Before the split: the three heads' attention in one call (115538), then
    // proj (6405 + 3160): 2707 cycles more (figures with the biases a burst of their own)
    expect(c.parts.proj).toBe(2216 + 3160);
    expect(c.cycles).toBe(300 + 3221 + 79573 + 37325 + 5376);
  });

  test('hand-worked DSP: one linear engine of 8·8·2 MACs, attention 2 × 4·8 products, softmax, LayerNorm', () => {
    const r = resources(P, dimsOf('micro'), shared(), testBoard());
    const linear = 8 * 8 * 2 * 2; // ONE engine runs qkv and proj; 32-bit × 16-bit: 2 DSP48E2
    // score MACs q·k (24 × 24 bits) and A·V MACs (unsigned 18-bit prob × 24): 2 DSP48E2 each
    const attention = 4 * 8 * 2 + 4 * 8 * 2;
    // the exp units attention.h builds (EXP_UNITS: 4 for 4 × 8 with head dim 16, one per row),
    // each the multiplies nonlinear.h writes: the input × log2(e) (33 × 26 bits: 2 DSP) and the
    // interpolation (27 × 15: 1); one reciprocal (its interpolation: 1); the finish's OUT_ROWS = 2
    // normalise multipliers (onorm_t 39 bits × 26-bit signed mantissa: 3 DSP)
    const exp = 4 * 3;
    const recip = 1;
    const normalise = 2 * 3;
    // LayerNorm at chunk 4 (a 128-bit word's 4 activations; tile_in 8): x² and (x − mean)·rstd
    // (32 × 32: 4 DSP), ·gamma (32 × 16: 2 DSP), the rsqrt's interpolation 1
    const layerNorm = 2 * 4 * 4 + 4 * 2 + 1;
    expect(r.dsp).toBe(linear + attention + exp + recip + normalise + layerNorm);
    expect(r.dsp).toBe(444); // (454 while the non-linear units' multiplies were estimates: exp 1, recip/rsqrt 2 of 32 × 32)
  });

  test("the finish writes a row per lane bank a cycle: OUT_ROWS = min(lanes, q_parallel), a group's pace", () => {
    expect([1, 2, 3, 4, 6].map((l) => attentionOutRows(13, l))).toEqual([1, 2, 3, 4, 6]);
    expect(attentionOutRows(2, 5)).toBe(2);
    expect(attentionOutRowSteps(13, 4)).toBe(4);
    expect(attentionOutRowSteps(13, 1)).toBe(13);
    // m3vit-tiny, 13 × 32 attention (5 key blocks of head_dim 64 steps: 320 a group): with 4 lanes
    // the finish (13 recips, then 64 columns × 4 steps) keeps pace with the blocks; with 2 lanes
    // (64 × 7 steps) it sets the pace, so the whole attention takes longer
    const dims = dimsOf('m3vit-tiny');
    const at = (lanes: number) =>
      attentionCycles({ tile_in: 32, tile_out: 32, token_lanes: lanes, q_parallel: 13, key_block: 32 }, dims);
    const blocks = 11 * 5 * 64; // groups × key blocks × steps per head
    expect(at(4)).toBeLessThan(at(2));
    expect(at(2) - at(4)).toBeGreaterThan(3 * 11 * (64 * 7 - 5 * 64) - 3 * 64 * 7); // 3 heads × 11 groups × the finish's excess
    expect(at(4)).toBeGreaterThan(3 * blocks);
  });

  test('W8A8: 18-bit q/k/v take one DSP48E2 per q·k and per probability × v; types.qkv decides it', () => {
    const dims = dimsOf('micro');
    const board = testBoard();
    const at = (precision: Precision) => attentionResources(P, dims, shared({ precision }), board).dsp;
    // the preset's ap_fixed<18,6>: 4·8 q·k (18 × 18) and 4·8 A·V (19 × 18), one DSP each; the
    // rest as at W16A32 (4 exp units of 3, the reciprocal 1, normalise 2 × 3)
    expect(PRECISIONS.w8a8.qkv).toEqual({ width: 18, int: 6 });
    expect(at(PRECISIONS.w8a8)).toBe(4 * 8 + 4 * 8 + 12 + 1 + 6);
    expect(at(PRECISIONS.w16a32)).toBe(4 * 8 * 2 + 4 * 8 * 2 + 12 + 1 + 6);
    // an override back to 24 bits costs W16A32's two each again; 19 bits already needs two for q·k
    expect(at({ ...PRECISIONS.w8a8, qkv: { width: 24, int: 8 } })).toBe(at(PRECISIONS.w16a32));
    expect(at({ ...PRECISIONS.w8a8, qkv: { width: 19, int: 6 } })).toBe(4 * 8 * 2 + 4 * 8 * 2 + 12 + 1 + 6);
    // the kernel's type, and one line for a q/k/v type without a fraction
    expect(formats(PRECISIONS.w8a8).qkv).toEqual({ width: 18, int: 6, signed: true });
    expect(() => formats({ ...PRECISIONS.w8a8, qkv: { width: 8, int: 8 } })).toThrow(
      'types.qkv: too few fractional bits for attention',
    );
  });

  // only more lanes are in the cycles property: padding of the last group or key block can make
  // more query rows or a longer key block slower (a longer block also pads the K/V split)
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
