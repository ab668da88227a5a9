// patch_embed's cost model against hand counts of templates/kernels/patch_embed.cpp.ejs,
// hls/include/ubimoe/patch.h and linear.h (expected values are literals; see costModel.cost.test.ts
// for the conventions: loop trip counts × II + the model's documented estimates).
import { describe, expect, test } from '@jest/globals';
import { cycles, resources } from '../../src/kernels/patch_embed.js';
import { cleanBoard, dimsOf, lcg, pick, propertyCases, shared, testBoard } from './costHelpers.js';

// 512-bit AXI words (16 activations of 32 bit, 32 weights/biases of 16 bit) on a port of 32 B/cycle
const sh = shared({ axiWidthBits: 512 });

describe('patch_embed cost model', () => {
  test('hand count: micro (3×32×32 image, 16 patches of 3·8·8 = 192 inputs -> 32), tile 8 × 8', () => {
    const c = cycles({ tile_in: 8, tile_out: 8 }, dimsOf('micro'), sh, cleanBoard());
    // inputs, a dataflow region of two processes on the two ports, the longer one counts:
    //   gather_patches: 3 channels × 32 rows × ROW_WORDS 2 = 192 words; a word's 16 pixels cover
    //   two patches' 8 columns, written 8 a cycle (WRITE_LANES = gcd(P 8, 16, tile_in 8) = 8): 2
    //   chunks a word, 384 iterations: 64 + 383 + 3 = 450 (the burst alone: 64 + 12288 B / 32 = 448)
    //   position_rows: cls and pos_embed row 0 (128 B each: 64 + 4 = 68), rows 1..16 (2048 B:
    //   64 + 64 = 128), the cls row's add 32 at II=1 (31 + 3 = 34): 298
    expect(c.parts.inputs).toBe(450);
    // pe_engine, one pass on the engine with LANES = 1 (a patch per cycle):
    //   the layer's one burst: AXI latency 64, its bias row (32 biases = 1 word = 64 B) 2, first
    //   tile 8·8·16 bit = 2 words -> 4, its last word through the reader's depth (3 − 1) and the
    //   FIFO hop (1): 73 (the biases a burst of their own until the twelfth session: 134)
    //   per out tile a run of the merged loop: 24 in tiles × 16 groups (16 patches) = 384 MAC
    //   iterations (a 4-cycle tile load hides behind 16; the previous tile's 16 drain iterations
    //   beside them); 4 out tiles = 1536; the drain-only run 16; LINEAR_LOOP_DEPTH 14 once (the
    //   runs are one loop) -> 73 + 1566 = 1639 (the drain adds into the pos_embed rows: the
    //   position add costs nothing more; a loop instance per run, before: 1756; the drain in
    //   series, before that: 1830)
    expect(c.parts.linear).toBe(1639);
    // the write: the cls row 68, the 16 patch rows 128
    expect(c.parts.write).toBe(68 + 128);
    // + KERNEL_START_CYCLES 300 (estimate)
    expect(c.cycles).toBe(300 + 450 + 1639 + 196);
    // before issue 13 item 7 the tail ran after the linear: + 878, the add at one element a cycle
    expect(c.parts).not.toHaveProperty('tail');
  });

  test('hand count: m3vit-tiny (3×128×256 image, 128 patches of 768 inputs -> 192), tile 16 × 16', () => {
    const c = cycles({ tile_in: 16, tile_out: 16 }, dimsOf('m3vit-tiny'), sh, cleanBoard());
    // gather_patches: 3 × 128 rows × 16 words = 6144 words, one patch's 16 columns a word (1 chunk):
    // the burst sets the pace, 393216 B / 32 = 12288, + 64 = 12352; position_rows: 88 + 88 + (98304
    // B: 64 + 3072 = 3136) + (191 + 3) = 3506, hidden beside it
    expect(c.parts.inputs).toBe(12352);
    // one burst: 64, its bias rows (192 biases = 6 words = 384 B) 12, first tile 16·16·16 bit =
    // 8 words = 512 B -> 16, + 3: 95. Per out tile: 48 in tiles × 128 groups = 6144 (the previous
    // tile's 128 drain iterations beside them); 12 out tiles = 73728; the drain-only run 128 and
    // the depth 14 -> 95 + 73870 = 73965
    expect(c.parts.linear).toBe(73965);
    // write: cls row 768 B (64 + 24 = 88), 128 rows 98304 B (64 + 3072 = 3136)
    expect(c.parts.write).toBe(88 + 3136);
    expect(c.cycles).toBe(300 + 12352 + 73965 + 3224);
  });

  test('tile_in = 1: one bank, so the gather writes one pixel a cycle (16 chunks a word)', () => {
    const c = cycles({ tile_in: 1, tile_out: 16 }, dimsOf('m3vit-tiny'), sh, cleanBoard());
    // 6144 words × 16 chunks = 98304 iterations: 64 + 98303 + 3
    expect(c.parts.inputs).toBe(98370);
  });

  test('hand-worked resources: 64 MACs of 32-bit pixel × 16-bit weight = 128 DSP48E2', () => {
    const r = resources({ tile_in: 8, tile_out: 8 }, dimsOf('micro'), shared(), testBoard());
    expect(r.dsp).toBe(64 * 2);
    // 128-bit AXI (4 activations a word). Pixel buffer: 16 × 192 words of 32 bit in 8 banks of 384
    // -> 8 BRAM18; the patch rows 16 × 32 in 8 banks (max(tile_out 8, 4)) of 64 × 32 = 2048 bit -> 8;
    // head, pos0 (32 in 4 banks), the engine's B stub, accumulators (16 rows × 8) and biases are
    // LUTRAM (the accumulators double-buffered: 2 × 16 rows × 8 in 16 banks of 16); 2 FIFOs (64 deep × 128 bit: 4 each); 2 AXI ports (2 each)
    expect(r.bram18).toBe(8 + 8 + 2 * 4 + 2 * 2);
    expect(r.uram).toBe(0);
  });

  test('every buffer is priced: m3vit-tiny, tile 16 × 16', () => {
    const r = resources({ tile_in: 16, tile_out: 16 }, dimsOf('m3vit-tiny'), shared(), testBoard());
    // 128-bit AXI. Patches 128 × 768 in 16 banks of 6144 × 32 bit: 12 BRAM18 each (512 × 36) = 192;
    // the patch rows 128 × 192 in 16 banks of 1536: 3 each = 48; the accumulators, double-buffered,
    // 2 × 128 × 16 of 48 bit in 32 banks of 128: 2 each (512 × 36) = 64 (32 before); head and pos0, 192 in 4 banks of 48 × 32 bit: 1
    // each = 8; the B stub 128 × 32 bit: 1; biases LUTRAM; FIFOs 8, ports 4. (Before issue 13 item 7
    // the model counted the pixel buffer alone.)
    expect(r.bram18).toBe(192 + 48 + 64 + 8 + 1 + 8 + 4);
  });

  test('larger tiles: never fewer DSP', () => {
    const r = lcg(7);
    for (const { board, dims, sh } of propertyCases())
      for (let i = 0; i < 20; i++) {
        const ti = pick(r, [1, 2, 4, 8, 16]);
        const to = pick(r, [1, 2, 4, 8]);
        const base = resources({ tile_in: ti, tile_out: to }, dims, sh, board).dsp;
        expect(resources({ tile_in: 2 * ti, tile_out: to }, dims, sh, board).dsp).toBeGreaterThanOrEqual(
          base,
        );
        expect(resources({ tile_in: ti, tile_out: 2 * to }, dims, sh, board).dsp).toBeGreaterThanOrEqual(
          base,
        );
      }
  });
});
