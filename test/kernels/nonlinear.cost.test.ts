/**
 * Non-linear units (nonlinear.h: exp, GELU, reciprocal, rsqrt): each unit has its own ROM, so the
 * cost model prices every unit with its table, and counts the units the kernels build (the
 * generated configs say how many: GELU_UNITS, EXP_UNITS, RECIP_UNITS).
 */
import { describe, expect, test } from '@jest/globals';
import { engineGeluUnits, gateUnits } from '../../src/kernels/cpp/blocks.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NONLINEAR_INTERP_BITS, nonlinearUnit, romBram18 } from '../../src/kernels/costModel.js';
import { resources } from '../../src/kernels/ffn_block.js';
import { tableShape } from '../../src/kernels/cpp/tables.js';
import { dimsOf, shared, testBoard } from './costHelpers.js';

describe('non-linear units', () => {
  test('a dual-port ROM tiles true-dual-port BRAM18 aspects (width <= 18)', () => {
    // GELU: 2049 × 29 bits -> 2 × 1K×18 wide, 3 deep (2K×9 would be 4 wide, 2 deep = 8)
    expect(tableShape('GELU_TABLE')).toEqual({ entries: 2049, bits: 29 });
    expect(romBram18(2049, 29)).toBe(6);
    // exp / reciprocal: 1025 × 25 -> 3 × 2K×9; rsqrt 769 × 25 -> 2 × 1K×18
    expect(tableShape('EXP2_NEG_TABLE')).toEqual({ entries: 1025, bits: 25 });
    expect(romBram18(1025, 25)).toBe(3);
    expect(romBram18(769, 25)).toBe(2);
  });

  test("each unit's multiplies as nonlinear.h writes them: exp 3 DSP48E2, GELU 2, reciprocal and rsqrt 1", () => {
    const header = readFileSync(join(process.cwd(), 'hls', 'include', 'ubimoe', 'nonlinear.h'), 'utf8');
    expect(Number(/static const int INTERP_BITS = (\d+);/.exec(header)?.[1])).toBe(NONLINEAR_INTERP_BITS);
    // the interpolations: interp_u's 27-bit difference, GELU's 33-bit one, × the weight
    expect(header).toContain('const ap_int<42> step = diff * ap_int<INTERP_BITS + 1>(w);');
    expect(header).toContain('const ap_int<33 + INTERP_BITS + 1> step = diff * ap_int<INTERP_BITS + 1>(w);');
    // exp's input × log2(e): the magnitude × the 25-bit unsigned constant
    expect(header).toContain('mag * ap_uint<25>(LOG2E_Q24)');
    const board = testBoard();
    expect(['exp', 'gelu', 'recip', 'rsqrt'].map((k) => nonlinearUnit(k as never, 32, board).dsp)).toEqual([3, 2, 1, 1]);
  });

  test('each unit carries its table', () => {
    const b = testBoard();
    expect(nonlinearUnit('gelu', 32, b).bram18).toBe(6);
    expect(nonlinearUnit('exp', 32, b).bram18).toBe(3);
    expect(nonlinearUnit('recip', 32, b).bram18).toBe(3);
    expect(nonlinearUnit('rsqrt', 32, b).bram18).toBe(2);
  });

  test('units built: GELU per drain output per cycle, E − 1 + k exps and one reciprocal per gate', () => {
    expect(engineGeluUnits(true, 3, 16)).toBe(48);
    expect(engineGeluUnits(false, 3, 16)).toBe(0);
    expect(gateUnits(16, 2)).toEqual({ exp: 17, recip: 1 });
  });

  test('ffn_block: one more token lane adds tile_out GELU units and their ROMs', () => {
    const d = dimsOf('m3vit-tiny');
    const b = testBoard();
    const sh = shared({ axiWidthBits: 512 });
    // lanes 1 -> 2 with s, hidden and res (lane layout) and the accumulators re-banked as well:
    // compare against the same change with the GELU units priced apart
    const one = resources({ tile_in: 8, tile_out: 16, token_lanes: 1 }, d, sh, b);
    const two = resources({ tile_in: 8, tile_out: 16, token_lanes: 2 }, d, sh, b);
    const gelu = nonlinearUnit('gelu', sh.precision.activation.width, b);
    expect(two.bram18 - one.bram18).toBeGreaterThanOrEqual(16 * gelu.bram18);
    expect(two.lut - one.lut).toBeGreaterThanOrEqual(16 * gelu.lut);
  });
});
