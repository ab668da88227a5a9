// ffn_block's cost model against hand counts of templates/kernels/ffn_block.cpp.ejs and
// hls/include/ubimoe/{tokens,layernorm,linear,gate}.h (expected values are literals; see
// costModel.cost.test.ts for the conventions: loop trip counts × II + the model's documented
// estimates: LINEAR_LOOP_DEPTH 14 (the engine's merged MAC + drain loop), the LayerNorm depths (costModel.cost.test.ts),
// GATE_PIPELINE_DEPTH 80, AXI_FIRST_BEAT_CYCLES 64, KERNEL_START_CYCLES 300).
import { describe, expect, test } from '@jest/globals';
import { cycles, gateSelectII, resources, weightBytes } from '../../src/kernels/ffn_block.js';
import type { FfnParams } from '../../src/kernels/params.js';
import { cleanBoard, dimsOf, lcg, pick, propertyCases, shared, testBoard } from './costHelpers.js';

const P: FfnParams = { tile_in: 8, tile_out: 8, token_lanes: 2 };
const UBI: FfnParams = { tile_in: 16, tile_out: 16, token_lanes: 3 }; // UbiMoE's published parameters
// 512-bit AXI words (16 activations of 32 bit, 32 weights/biases of 16 bit) on a port of 32 B/cycle
const sh = shared({ axiWidthBits: 512 });

describe('ffn_block cost model', () => {
  test('hand count: micro dense block (17 tokens, 32 -> 64 -> 32), 8 × 8 × 2 lanes', () => {
    const c = cycles(P, dimsOf('micro'), sh, cleanBoard(), { moe: false });
    // read_layernorm at chunk 8, x landing in res as it is split (costModel.cost.test.ts: γ/β
    // first, 136, then 68 chunks + out depth 6: 209)
    expect(c.parts.layernorm).toBe(209);
    // fc1, the first pass: ONE burst (the layer's bias rows, then its tiles): its AXI latency 64,
    // the biases 64 × 16 bit = 2 words -> 4, first tile 4, its last word through the reader's
    // depth (3 − 1) and the FIFO hop (1): 75; a run of the merged loop per out tile: 4 in tiles × 9 groups = 36 MAC
    // iterations (the previous tile's 9 drain iterations beside them); 8 out tiles = 288; the
    // drain-only run 9; the loop's depth 14 once -> 311
    expect(c.parts.fc1).toBe(75 + 311);
    // fc2, B -> res: its fetch (64, biases 32 × 16 bit = 64 B -> 2, first tile 4, + 3: 73) starts
    // when the reader has read fc1's last tile, while fc1's last 3 tiles (3 × 9), the drain-only
    // run 9 and the depth 14 still run: 50, so fc2 waits 73 − 50 = 23; per out tile 8 in tiles × 9 =
    // 72; 4 out tiles = 288, + 9 + 14 = 311
    expect(c.parts.fc2).toBe(23 + 311);
    // write_rows from res (rounded on the way): 2176 B -> 64 + 68 = 132
    expect(c.parts.write).toBe(132);
    expect(c.cycles).toBe(300 + 209 + 386 + 334 + 132);
  });

  test('hand count: micro dense block with tile_in ≠ tile_out (4 × 8 × 2 lanes)', () => {
    const c = cycles({ tile_in: 4, tile_out: 8, token_lanes: 2 }, dimsOf('micro'), sh, cleanBoard(), {
      moe: false,
    });
    // LayerNorm at chunk 4 (tile_in): 8 chunks a row, 136; γ/β 136 + 135 + 6 = 277 (the reader's
    // pace, 65 + 4 + 135 = 204 + 3 + 47 = 254, is earlier)
    expect(c.parts.layernorm).toBe(277);
    // tile 4·8·16 bit = 1 word = 64 B -> 2 cycles. fc1: 64 + biases 4 + tile 2 + 3 = 73; per out tile 32/4 = 8 in tiles × 9 = 72; 8 out tiles = 576, + the drain-only run 9 +
    // depth 14 = 599
    expect(c.parts.fc1).toBe(73 + 599);
    // fc2: fetch 64 + 2 + 2 + 3 = 71 against fc1's tail 3 × 9 + 9 + 14 = 50: waits 21;
    // 64/4 = 16 in tiles × 9 = 144; 4 out tiles = 576, + 23 = 599
    expect(c.parts.fc2).toBe(21 + 599);
    expect(c.parts.write).toBe(132);
    expect(c.cycles).toBe(300 + 277 + 672 + 620 + 132);
  });

  test('hand count: micro MoE block (4 experts, top-2), measured routing 10/9/8/7 tokens', () => {
    const c = cycles(P, dimsOf('micro'), sh, cleanBoard(), { moe: true, tokensPerExpert: [10, 9, 8, 7] });
    expect(c.parts.layernorm).toBe(209);
    // phase 0, the gate logits as the call's first pass (32 -> 4 padded to 8): the layer's burst
    // 64, its bias row (8 × 16 bit in one 64-B word: 2 cycles), first tile 4, + 3: 73; one out
    // tile: 4 × 9 = 36, the drain-only run 9, the loop's depth 14 -> 132.
    // select_tokens: 17 tokens at II = ceil(4 logits / (2 ports × 8 banks)) = 1, (17 − 1) + GATE_PIPELINE_DEPTH 80 = 96
    // bookkeeping: write_routing 17 × 2 = 34 words, its burst's AXI latency 64 + (34 − 1) + 3 = 100;
    // route(): counters cleared 4 (rolled), route_rows (34 − 1) + ROUTE_DEPTH 3 = 36, rank_experts
    // 4 and list_active 4 (rolled); plan_experts 2 descriptors × 4 active experts = 8 -> 156
    // copy_rows s -> h (kept for the gathers): 17 × 4 = 68
    expect(c.parts.gate).toBe(132 + 96 + 156 + 68);
    // phase 1, per active expert with n tokens (g = max(ceil(n/2), 4) groups):
    //   gather_rows n rows of 32/8 = 4 steps, each row its own loop instance (depth 3): n × 6; fc1 (32 -> 32) 4 runs of 4·g (the drain, ceil(n/2) <= 4·g
    //   iterations, beside the MACs), the drain-only run ceil(n/2) and the depth 14; fc2 (32 ->
    //   32, scatter) 4 × 4·g + n + 14 (n <= 4·g too). Each pass's fetch (its burst 64, biases 32 ×
    //   16 bit = 64 B -> 2, first tile 4, + 3: 73) hides behind the previous pass's tail (3 tiles × g,
    //   the drain-only run, the depth 14): fc1 behind the previous fc2's (taken with the same n:
    //   3g + n + 14) and the gather, fc2 behind fc1's (3g + ceil(n/2) + 14):
    //   n = 10, g = 5: fc1 waits 73 − (39 + 60) < 0: 0, fc2 73 − 34 = 39:
    //                  60 + (0 + 80 + 5 + 14) + (39 + 80 + 10 + 14) = 60 + 99 + 143 = 302
    //   n =  9, g = 5: 0, 39: 54 + 99 + 142 = 295
    //   n =  8, g = 4: 73 − (34 + 48) < 0: 0, 73 − 30 = 43: 48 + (0 + 64 + 4 + 14) + (43 + 64 + 8 + 14) = 259
    //   n =  7, g = 4: 0, 43: 42 + 82 + 128 = 252
    // + the phase's first expert's fc1 hides only behind its gather: (73 − 60) − 0 = 13 more
    // (with the biases a burst of their own before the tiles, each fetch was 64 cycles longer: 1579)
    expect(c.parts.experts).toBe(302 + 295 + 259 + 252 + 13);
    // write_rows x_out from res (2176 B) -> 64 + 68 = 132 (the routing is written in the gate stage)
    expect(c.parts.write).toBe(132);
    expect(c.cycles).toBe(300 + 209 + 452 + 1121 + 132);
  });

  test('hand count: m3vit-tiny dense block (129 tokens, 192 -> 768 -> 192), UbiMoE parameters', () => {
    const c = cycles(UBI, dimsOf('m3vit-tiny'), sh, cleanBoard(), { moe: false });
    // read_layernorm at chunk 16, port-bound (costModel.cost.test.ts): 3221
    expect(c.parts.layernorm).toBe(3221);
    // fc1: the layer's burst 64, biases 768 × 16 bit = 24 words = 1536 B -> 48, first tile 16,
    // + 3: 131; per out tile 12 in tiles × 43 groups = 516 (the previous tile's 43 drain
    // iterations beside the MACs); 48 out tiles = 24768; the drain-only run 43 and the depth 14
    // -> 24825 (a loop instance per run, before: 25497; the drain in series: 27984)
    expect(c.parts.fc1).toBe(131 + 24825);
    // fc2: its fetch (64 + 384 B of biases 12 + 16 + 3 = 95) hides behind fc1's tail
    // (3 × 43 + 43 + 14 = 186); per out tile 48 × 43 = 2064; 12 out tiles = 24768, + 57 = 24825
    expect(c.parts.fc2).toBe(24825);
    // write_rows from res: 99072 B -> 64 + 3096
    expect(c.parts.write).toBe(3160);
    expect(c.cycles).toBe(300 + 3221 + 24956 + 24825 + 3160);
  });

  test('hand count: m3vit-tiny MoE block (16 experts, top-2), measured routing 129/65/64 tokens on three experts', () => {
    const routing = [129, 65, 64, ...new Array(13).fill(0)];
    const c = cycles(UBI, dimsOf('m3vit-tiny'), sh, cleanBoard(), { moe: true, tokensPerExpert: routing });
    expect(c.parts.layernorm).toBe(3221);
    // gate pass (192 -> 16, one out tile): its burst 64, biases 32 B in one 64-B word -> 2, first
    // tile 16, + 3: 85; 12 × 43 = 516, the drain-only run 43, the depth 14 -> 658. select_tokens 129 at II ceil(16 / (2 × 16)) = 1:
    // 128 + 80 = 208. Bookkeeping: write_routing 258 words 64 + 257 + 3 = 324; route() clear 16,
    // route_rows 257 + 3 = 260, rank 16, list 16; plan 2 × 3 active = 6 -> 638. copy_rows 1548
    expect(c.parts.gate).toBe(658 + 208 + 638 + 1548);
    // per expert (fc1 192 -> 384: 12 in × 24 out tiles; fc2 384 -> 192: 24 in × 12 out tiles),
    // each pass one loop (its depth 14 once):
    //   n = 129, g = 43: gather 129 rows × (12 steps + the loop's depth 3 − 1) = 1806; fc1 24 × 516
    //                    + 43 + 14 = 12441; fc2 12 × (24 × 43) + 129 + 14 = 12527  -> 26774
    //   n = 65, g = 22:  910 + (24 × 264 + 22 + 14 = 6372) + (12 × 528 + 65 + 14 = 6415) -> 13697
    //   n = 64, g = 22:  896 + 6372 + (6336 + 64 + 14 = 6414)                  -> 13682
    // (every g >= 16, the tile load: compute-bound; every drain shorter than a run's MACs).
    // Fetches: fc1 64 + 768 B of biases 24 + 16 + 3 = 107, hidden behind each gather (≥ 896); fc2
    // 64 + 384 B 12 + 16 + 3 = 95 against fc1's tail 3g + ceil(n/3) + 14: n = 129: 186; n = 65, 64:
    // 66 + 22 + 14 = 102: all hidden (with the biases a burst of their own: 156, 54 waits each)
    expect(c.parts.experts).toBe(26774 + 13697 + 13682);
    // write_rows from res: 99072 B -> 64 + 3096
    expect(c.parts.write).toBe(3160);
    expect(c.cycles).toBe(300 + 3221 + 3052 + 54153 + 3160);
  });

  // The MoE bookkeeping and the prefetch of short passes, known gaps before the timed
  // C-simulation, are counted in the hand counts above. Still not counted: gather_rows is an
  // imperfect loop nest (the queued token index per row): one pipeline fill per row.

  test('gate select II: E logits per token from B, cyclic over max(tile_in, tile_out) dual-port banks', () => {
    expect(gateSelectII(P, dimsOf('micro'))).toBe(1); // 4 logits, 2 × 8 ports
    expect(gateSelectII({ tile_in: 1, tile_out: 1, token_lanes: 1 }, dimsOf('micro'))).toBe(2); // 4 / 2
    expect(gateSelectII({ tile_in: 4, tile_out: 2, token_lanes: 1 }, dimsOf('m3vit-tiny'))).toBe(2); // 16 / 8
  });

  test('weights streamed by a MoE call: the gate (padded to a whole out tile), LayerNorm2, the active experts', () => {
    // gate 32 × 8 (4 experts padded to tile_out 8) × 2 B + 8 zero biases × 2 B = 528; gamma + beta
    // 2 × 32 × 2 B = 128; per expert fc1 + fc2 (32 × 32 × 2 B + 32 × 2 B) × 2 = 4224, two active
    expect(weightBytes(P, dimsOf('micro'), shared(), { moe: true, tokensPerExpert: [17, 17, 0, 0] })).toBe(
      528 + 128 + 2 * 4224,
    );
  });

  test('hand-worked DSP (micro MoE model): one linear engine, LayerNorm, GELU per drained output, gate, scatter', () => {
    const r = resources(P, dimsOf('micro'), shared(), testBoard());
    // ONE engine runs dense fc1/fc2, the gate's logits and expert fc1/fc2: 8·8·2 MACs, 32 × 16 bit: 2 DSP
    const linear = 8 * 8 * 2 * 2;
    // LayerNorm at chunk 4 (a 128-bit word's 4 activations; tile_in 8): 2 × 4 products of 32 × 32
    // (4 DSP), 4 of 32 × 16 (2), one rsqrt unit (nonlinear.h: its interpolation, 27 × 15 bits: 1)
    const layerNorm = 2 * 4 * 4 + 4 * 2 + 1;
    // GELU in the drain: 2 rows × 8 outputs per cycle, each unit one interpolation multiply of
    // 33 × 15 bits (2 DSP)
    const gelu = 8 * 2 * 2;
    // gate_select: E − 1 + k = 5 exp units (the input × log2(e), 33 × 26 bits: 2 DSP, and the
    // interpolation, 27 × 15: 1), 3 rescale multiplies (25 × 25: 2 DSP), one reciprocal (1)
    const gate = 5 * 3 + 3 * 2 + 1;
    // the scatter drain's probability × output, tile_out of them: the unsigned 18-bit prob_t (19
    // bits in a signed port) × 32 bits: 2 DSP (4 while the model priced it 32 × 32)
    const scatter = 8 * 2;
    expect(r.dsp).toBe(linear + layerNorm + gelu + gate + scatter);
    expect(r.dsp).toBe(367);
  });

  test('measured routing: all tokens on two experts is cheaper than uniform routing over four', () => {
    const d = dimsOf('micro'); // 17 tokens, top-2 of 4 experts
    const uniform = cycles(P, d, sh, cleanBoard(), { moe: true }).parts.experts;
    const skewed = cycles(P, d, sh, cleanBoard(), { moe: true, tokensPerExpert: [17, 17, 0, 0] }).parts
      .experts;
    expect(skewed).toBeLessThan(uniform);
  });

  test('property: more lanes never more cycles (dense and MoE) and never fewer DSP', () => {
    const r = lcg(5);
    for (const { board, dims, sh } of propertyCases())
      for (let i = 0; i < 40; i++) {
        const p: FfnParams = {
          tile_in: pick(r, [1, 2, 4, 8, 16]),
          tile_out: pick(r, [1, 2, 4, 8, 16]),
          token_lanes: pick(r, [1, 2, 3, 4, 5, 6, 7]),
        };
        const q = { ...p, token_lanes: p.token_lanes + 1 };
        for (const moe of dims.experts > 0 ? [false, true] : [false])
          expect(cycles(q, dims, sh, board, { moe }).cycles).toBeLessThanOrEqual(
            cycles(p, dims, sh, board, { moe }).cycles + 1e-9,
          );
        expect(resources(q, dims, sh, board).dsp).toBeGreaterThanOrEqual(resources(p, dims, sh, board).dsp);
      }
  });
});
