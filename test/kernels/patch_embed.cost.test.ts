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
    // gather_patches: 3 channels × 32 rows × ROW_WORDS 2 = 192 words = 12288 B at 32 B/cycle = 384,
    // + AXI latency 64 = 448
    expect(c.parts.read_pixels).toBe(448);
    // pe_engine, one pass on the engine with LANES = 1 (a patch per cycle):
    //   read_biases: 32 biases = 1 word = 64 B -> 64 + 2 = 66; the tiles' burst 64; first tile
    //   8·8·16 bit = 2 words -> 4: 134
    //   per out tile: mac 24 in tiles × 16 groups (16 patches) = 384 (a 4-cycle tile load hides
    //   behind 16) + 14 + drain 16 + 10 = 424; 4 out tiles = 1696  -> 1830
    expect(c.parts.linear).toBe(1830);
    // the tail, after the linear: read_rows cls (1 row, 128 B) 64 + 4 = 68; read_rows pos (17 rows,
    // 2176 B) 64 + 68 = 132; add_position 17 × 32 iterations at II=1, (544 − 1) + 3 = 546;
    // write_rows 132 -> 878 (the timed C-simulation on u280: 827, the port's rate differs)
    expect(c.parts.tail).toBe(68 + 132 + 546 + 132);
    // + KERNEL_START_CYCLES 300 (estimate) = 300 + 448 + 1830 + 878
    expect(c.cycles).toBe(3456);
  });

  test('hand count: m3vit-tiny (3×128×256 image, 128 patches of 768 inputs -> 192), tile 16 × 16', () => {
    const c = cycles({ tile_in: 16, tile_out: 16 }, dimsOf('m3vit-tiny'), sh, cleanBoard());
    // gather_patches: 3 × 128 rows × 16 words = 6144 words = 393216 B / 32 = 12288, + 64
    expect(c.parts.read_pixels).toBe(12352);
    // read_biases: 192 biases = 6 words = 384 B -> 64 + 12 = 76; the tiles' burst 64; first tile
    // 16·16·16 bit = 8 words = 512 B -> 16: 156. Per out tile: 48 in tiles × 128 groups = 6144 + 14
    // + 128 + 10 = 6296; 12 out tiles = 75552 -> 75708
    expect(c.parts.linear).toBe(75708);
    // tail: cls 768 B 64 + 24 = 88; pos 129 rows = 99072 B, 64 + 3096 = 3160; add_position
    // 129 × 192 = 24768 iterations, 24767 + 3 = 24770; write_rows 3160
    expect(c.parts.tail).toBe(88 + 3160 + 24770 + 3160);
    expect(c.cycles).toBe(300 + 12352 + 75708 + 31178);
  });

  test('hand-worked resources: 64 MACs of 32-bit pixel × 16-bit weight = 128 DSP48E2', () => {
    const r = resources({ tile_in: 8, tile_out: 8 }, dimsOf('micro'), shared(), testBoard());
    expect(r.dsp).toBe(64 * 2);
    // pixel buffer: 16 × 192 words of 32 bit in 8 banks of 384 -> 8 BRAM18; 2 FIFOs (64 deep × 128 bit: 4 each); 2 AXI ports (2 each)
    expect(r.bram18).toBe(8 + 2 * 4 + 2 * 2);
    expect(r.uram).toBe(0);
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
