import { describe, expect, test } from '@jest/globals';
import { COST } from '../../src/kernels/costConstants.js';
import { cycles, resources } from '../../src/kernels/patch_embed.js';
import { dimsOf, lcg, pick, propertyCases, shared, testBoard } from './costHelpers.js';

describe('patch_embed cost model', () => {
  test('hand-worked cycles: micro (16 patches of 3·8·8 = 192 inputs -> 32), tile 8 × 8, 128-bit AXI at 100 MHz', () => {
    const bpc = 16 * COST.BURST_EFFICIENCY; // 13.6 B/cycle
    const L = COST.AXI_FIRST_BEAT_CYCLES;
    const readPixels = L + Math.ceil((16 * 192 * 4) / bpc); // 12288 B of 32-bit pixels
    const tileLoad = (8 * 8 * 2) / bpc; // 128 B per tile (more than its 8 AXI words)
    const groups = 16; // one patch per cycle
    const step = COST.LINEAR_TILE_DOUBLE_BUFFERED ? Math.max(groups, tileLoad) : groups + tileLoad + L;
    const linear =
      L +
      Math.ceil(64 / bpc) + // 32 biases × 16 bit
      (COST.LINEAR_TILE_DOUBLE_BUFFERED ? tileLoad : 0) +
      // 4 out tiles × (24 in tiles + the MAC loop's fill + a 16-row drain and its fill)
      4 * (24 * step + COST.LINEAR_PIPELINE_DEPTH + 16 + COST.LINEAR_DRAIN_DEPTH);
    const clsPosAndWrite = L + Math.ceil((18 * 32 * 4) / bpc) + L + Math.ceil((17 * 32 * 4) / bpc);
    const c = cycles({ tile_in: 8, tile_out: 8 }, dimsOf('micro'), shared(), testBoard());
    expect(c.cycles).toBeCloseTo(COST.KERNEL_START_CYCLES + readPixels + Math.max(linear, clsPosAndWrite), 6);
    expect(c.parts.read_pixels).toBe(readPixels);
  });

  test('hand-worked resources: 64 MACs of 32-bit pixel × 16-bit weight = 128 DSP48E2', () => {
    const r = resources({ tile_in: 8, tile_out: 8 }, dimsOf('micro'), shared(), testBoard());
    expect(r.dsp).toBe(64 * 2);
    // pixel buffer: 16 × 192 words of 32 bit in 8 banks of 384 -> 8 BRAM18; 2 FIFOs (64 deep × 128 bit: 4 each); 2 AXI ports (2 each)
    expect(r.bram18).toBe(8 + 2 * 4 + 2 * 2);
    expect(r.uram).toBe(0);
  });

  test('larger tiles: never fewer DSP; more tile_in never more cycles on a compute-bound board', () => {
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
