// ffn_block's cost model against hand counts of templates/kernels/ffn_block.cpp.ejs and
// hls/include/ubimoe/{tokens,layernorm,linear,gate}.h (expected values are literals; see
// costModel.cost.test.ts for the conventions: loop trip counts × II + the model's documented
// estimates: LINEAR_PIPELINE_DEPTH 14, LINEAR_DRAIN_DEPTH 10, LAYERNORM_ROW_OVERHEAD 30,
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
    // read_rows x: 17 × 2 words = 2176 B -> 64 + 68 = 132; layernorm 17 × (3 × 4 + 30) = 714;
    // gamma + beta 128 B -> 64 + 4 = 68; copy_rows x -> res: 17 rows × 32/8 = 68
    expect(c.parts.layernorm).toBe(132 + 714 + 68 + 68);
    // fc1, the first pass: read_biases 64 × 16 bit = 2 words -> 64 + 4 = 68, first tile 4: 72;
    // per out tile 4 in tiles × 9 groups = 36 + 14 + drain 9 + 10 = 69; 8 out tiles = 552
    expect(c.parts.fc1).toBe(72 + 552);
    // fc2 (prefetched), B -> res: per out tile 8 in tiles × 9 = 72 + 14 + 9 + 10 = 105; 4 out tiles
    expect(c.parts.fc2).toBe(420);
    // copy_rows res -> x: 68; write_rows: 132
    expect(c.parts.write).toBe(68 + 132);
    expect(c.cycles).toBe(300 + 982 + 624 + 420 + 200);
  });

  test('hand count: micro dense block with tile_in ≠ tile_out (4 × 8 × 2 lanes)', () => {
    const c = cycles({ tile_in: 4, tile_out: 8, token_lanes: 2 }, dimsOf('micro'), sh, cleanBoard(), {
      moe: false,
    });
    // LayerNorm at tile_in = 4 lanes: 17 × (3 × 32/4 + 30) = 918; copy_rows at tile_out = 8
    // (ELEM_LANES): 17 × 4 = 68 -> 132 + 918 + 68 + 68
    expect(c.parts.layernorm).toBe(1186);
    // tile 4·8·16 bit = 1 word = 64 B -> 2 cycles. fc1: biases 68 + tile 2 = 70; per out tile
    // 32/4 = 8 in tiles × 9 = 72 + 14 + 9 + 10 = 105; 8 out tiles = 840
    expect(c.parts.fc1).toBe(70 + 840);
    // fc2: 64/4 = 16 in tiles × 9 = 144 + 33 = 177; 4 out tiles
    expect(c.parts.fc2).toBe(708);
    expect(c.parts.write).toBe(68 + 132);
    expect(c.cycles).toBe(300 + 1186 + 910 + 708 + 200);
  });

  test('hand count: micro MoE block (4 experts, top-2), measured routing 10/9/8/7 tokens', () => {
    const c = cycles(P, dimsOf('micro'), sh, cleanBoard(), { moe: true, tokensPerExpert: [10, 9, 8, 7] });
    expect(c.parts.layernorm).toBe(982);
    // phase 0, the gate logits as the call's first pass (32 -> 4 padded to 8): biases 8 × 16 bit =
    // 16 B -> 64 + 1 (the reader reads a whole 64-B word: 2 cycles; 1 cycle, negligible), first
    // tile 4: 69; one out tile: 4 × 9 + 14 + 9 + 10 = 69 -> 138.
    // select_tokens: 17 tokens at II = ceil(4 logits / (2 ports × 8 banks)) = 1, + GATE_PIPELINE_DEPTH 80 = 97
    // copy_rows s -> h (kept for the gathers): 17 × 4 = 68
    expect(c.parts.gate).toBe(138 + 97 + 68);
    // phase 1, per active expert with n tokens (g = max(ceil(n/2), 4) groups):
    //   gather_rows n × 32/8; fc1 (32 -> 32, prefetched) 4 out tiles × (4·g + 14 + ceil(n/2) + 10);
    //   fc2 (32 -> 32, prefetched, scatter) 4 out tiles × (4·g + 14 + n + 10)
    //   n = 10, g = 5: 40 + 4 × 49 + 4 × 54 = 40 + 196 + 216 = 452
    //   n =  9, g = 5: 36 + 4 × 49 + 4 × 53 = 36 + 196 + 212 = 444
    //   n =  8, g = 4: 32 + 4 × 44 + 4 × 48 = 32 + 176 + 192 = 400
    //   n =  7, g = 4: 28 + 4 × 44 + 4 × 47 = 28 + 176 + 188 = 392
    // + the phase's first pass waits for its biases (32 × 16 bit: 64 + 2) and first tile (4): 70
    expect(c.parts.experts).toBe(452 + 444 + 400 + 392 + 70);
    // copy_rows res -> x: 68; write_rows x_out with the routing: (2176 + 17 × 2 × 4) B = 2312 B
    // -> 64 + ceil(72.25) = 137 (KNOWN GAP: write_routing is its own loop, below)
    expect(c.parts.write).toBe(68 + 137);
    expect(c.cycles).toBe(300 + 982 + 303 + 1758 + 205);
  });

  test('hand count: m3vit-tiny dense block (129 tokens, 192 -> 768 -> 192), UbiMoE parameters', () => {
    const c = cycles(UBI, dimsOf('m3vit-tiny'), sh, cleanBoard(), { moe: false });
    // read_rows x 3160; layernorm 129 × 66 = 8514; gamma + beta 88; copy_rows 129 × 12 = 1548
    expect(c.parts.layernorm).toBe(3160 + 8514 + 88 + 1548);
    // fc1: biases 768 × 16 bit = 24 words = 1536 B -> 64 + 48 = 112, first tile 16: 128;
    // per out tile 12 in tiles × 43 groups = 516 + 14 + 43 + 10 = 583; 48 out tiles = 27984
    expect(c.parts.fc1).toBe(128 + 27984);
    // fc2 (prefetched): per out tile 48 × 43 = 2064 + 14 + 43 + 10 = 2131; 12 out tiles = 25572
    expect(c.parts.fc2).toBe(25572);
    expect(c.parts.write).toBe(1548 + 3160);
    expect(c.cycles).toBe(300 + 13310 + 28112 + 25572 + 4708);
  });

  test('hand count: m3vit-tiny MoE block (16 experts, top-2), measured routing 129/65/64 tokens on three experts', () => {
    const routing = [129, 65, 64, ...new Array(13).fill(0)];
    const c = cycles(UBI, dimsOf('m3vit-tiny'), sh, cleanBoard(), { moe: true, tokensPerExpert: routing });
    expect(c.parts.layernorm).toBe(13310);
    // gate pass (192 -> 16, one out tile): biases 32 B -> 64 + 1, first tile 16: 81; 12 × 43 + 14
    // + 43 + 10 = 583 -> 664. select_tokens 129 × ceil(16 / (2 × 16)) = 129, + 80; copy_rows 1548
    expect(c.parts.gate).toBe(664 + 209 + 1548);
    // per expert (fc1 192 -> 384: 12 in × 24 out tiles; fc2 384 -> 192: 24 in × 12 out tiles):
    //   n = 129, g = 43: gather 129 × 12 = 1548; fc1 24 × (516 + 14 + 43 + 10) = 13992;
    //                    fc2 12 × (24 × 43 + 14 + 129 + 10) = 12 × 1185 = 14220      -> 29760
    //   n = 65, g = 22:  780 + 24 × (264 + 14 + 22 + 10) = 7440 + 12 × (528 + 14 + 65 + 10) = 7404 -> 15624
    //   n = 64, g = 22:  768 + 7440 + 12 × (528 + 14 + 64 + 10) = 7392                -> 15600
    // (every g >= 16, the tile load: compute-bound) + first pass: biases 768 B -> 64 + 24, tile 16: 104
    expect(c.parts.experts).toBe(29760 + 15624 + 15600 + 104);
    // copy_rows 1548; write_rows with the routing: 99072 + 129 × 2 × 4 = 100104 B -> 64 + 3129
    expect(c.parts.write).toBe(1548 + 3193);
    expect(c.cycles).toBe(300 + 13310 + 2421 + 61088 + 4741);
  });

  // KNOWN GAPS (ffn_block), hand counts of ffn_block.cpp.ejs / gate.h the model leaves out:
  //  - MoE bookkeeping between the phases: write_routing (TOKENS × TOP_K iterations at II=1, its own
  //    burst; the model adds the routing bytes to the x_out transfer instead) and route() (count
  //    clear E, route_rows TOKENS × TOP_K at II=1, list_active E): micro 34 + 4 + 34 + 4 = 76;
  //    m3vit-tiny 258 + 16 + 258 + 16 = 548 cycles per MoE block.
  //  - prefetch across passes (see costModel.cost.test.ts, "first tile burst"): with the reader's
  //    second AXI burst per layer, micro's passes are too short to hide the next layer's biases and
  //    first tile: dense fc2 waits ≈ 74 cycles (HLS: 2 × 64 + 2 + 4 after the reader is freed, when
  //    the MAC array still has 3 × 9 + 33 = 60 to go); each micro expert's fc2 ≈ 90. On m3vit-tiny
  //    dense fc2 is hidden (196 ≥ 156), the 64/65-token experts' fc2 wait ≈ 44.
  //  - gather_rows is an imperfect loop nest (the queued token index per row): one pipeline fill per
  //    row, not counted.
  test.todo(
    'known gap (MoE routing bookkeeping): write_routing and route() between the gate and the experts (+76 cycles per MoE block on micro, +548 on m3vit-tiny)',
  );
  test.todo(
    'known gap (prefetch of short passes): a pass shorter than the next layer’s bias burst + tile burst stalls the engine (micro dense fc2 ≈ +74, micro expert fc2 ≈ +90 each)',
  );

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
    // LayerNorm at 8 lanes: 2 × 8 products of 32 × 32 (4 DSP), 8 of 32 × 16 (2), rsqrt (2 multiplies
    // of 32 × 32, the model's RSQRT_MULTS estimate)
    const layerNorm = 2 * 8 * 4 + 8 * 2 + 2 * 4;
    // GELU in the drain: 2 rows × 8 outputs per cycle, each 2 multiplies (GELU_MULTS, an estimate)
    // of 32 × 16 bits (2 DSP)
    const gelu = 8 * 2 * 2 * 2;
    // gate_select: E + k = 6 exps (1 multiply of 32 × 16 each, EXP_MULTS), 3 rescale multiplies
    // (25 × 25: 2 DSP), one reciprocal (2 × 4)
    const gate = 6 * 1 * 2 + 3 * 2 + 2 * 4;
    const scatter = 8 * 4; // the scatter drain's score × output, tile_out of them, 32 × 32
    expect(r.dsp).toBe(linear + layerNorm + gelu + gate + scatter);
    expect(r.dsp).toBe(466);
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
