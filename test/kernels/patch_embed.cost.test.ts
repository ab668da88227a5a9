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
    //   read_biases: 32 biases = 1 word = 64 B -> 64 + 2 = 66; first tile 8·8·16 bit = 2 words -> 4: 70
    //   per out tile: mac 24 in tiles × 16 groups (16 patches) = 384 (a 4-cycle tile load hides
    //   behind 16) + 14 + drain 16 + 10 = 424; 4 out tiles = 1696  -> 1766
    expect(c.parts.linear).toBe(1766);
    // + KERNEL_START_CYCLES 300 (estimate) = 300 + 448 + 1766
    expect(c.cycles).toBe(2514);
  });

  test('hand count: m3vit-tiny (3×128×256 image, 128 patches of 768 inputs -> 192), tile 16 × 16', () => {
    const c = cycles({ tile_in: 16, tile_out: 16 }, dimsOf('m3vit-tiny'), sh, cleanBoard());
    // gather_patches: 3 × 128 rows × 16 words = 6144 words = 393216 B / 32 = 12288, + 64
    expect(c.parts.read_pixels).toBe(12352);
    // read_biases: 192 biases = 6 words = 384 B -> 64 + 12 = 76; first tile 16·16·16 bit = 8 words
    // = 512 B -> 16: 92. Per out tile: 48 in tiles × 128 groups = 6144 + 14 + 128 + 10 = 6296;
    // 12 out tiles = 75552 -> 75644
    expect(c.parts.linear).toBe(75644);
    expect(c.cycles).toBe(300 + 12352 + 75644);
  });

  // KNOWN GAP (patch_embed tail): the model overlaps cls/pos_embed in and the tokens out with the
  // linear (max(linear, cls/pos + write)); the kernel runs them AFTER pe_engine, one after another:
  // read_rows cls (1 row), read_rows pos (TOKENS rows), add_position (TOKENS × DIM iterations at
  // II=1: ONE element per cycle), write_rows. Hand count on the boards above:
  //   micro:      (64 + 128/32) + (64 + 2176/32) + 17·32 + (64 + 2176/32)    = 68 + 132 + 544 + 132 = 876
  //   m3vit-tiny: (64 + 768/32) + (64 + 99072/32) + 129·192 + (64 + 99072/32) = 88 + 3160 + 24768 + 3160 = 31176
  // i.e. the kernel takes ≈ 3390 and ≈ 119472 cycles where the model says 2514 and 88296.
  test.todo(
    'known gap (patch_embed tail): cls/pos read, add_position at one element per cycle and the write run after the linear (+876 cycles on micro, +31176 on m3vit-tiny)',
  );

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
