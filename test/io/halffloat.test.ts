import { describe, expect, test } from '@jest/globals';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from '../../src/io/halffloat.js';

describe('half-precision conversions', () => {
  test.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff],
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -14, 0x0400], // smallest normal
    [0, 0x0000],
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [0.333251953125, 0x3555],
  ])('f16 %f <-> 0x%s', (v, bits) => {
    expect(f32ToF16(v)).toBe(bits);
    expect(f16ToF32(bits)).toBe(v);
  });

  test('f16 rounding: to nearest even, overflow to Inf, NaN stays NaN', () => {
    expect(f32ToF16(1 + 2 ** -11)).toBe(0x3c00); // halfway -> even
    expect(f32ToF16(1 + 3 * 2 ** -11)).toBe(0x3c02); // halfway -> even (up)
    expect(f32ToF16(65520)).toBe(0x7c00);
    expect(f32ToF16(3 * 2 ** -26)).toBe(0x0001); // subnormal rounding (0.75 ulp -> 1)
    expect(Number.isNaN(f16ToF32(f32ToF16(NaN)))).toBe(true);
    expect(f16ToF32(0x8000)).toBe(-0);
  });

  test('bf16', () => {
    expect(f32ToBf16(1)).toBe(0x3f80);
    expect(bf16ToF32(0x3f80)).toBe(1);
    expect(bf16ToF32(0xc040)).toBe(-3);
    expect(f32ToBf16(1 + 2 ** -8)).toBe(0x3f80); // halfway -> even
    expect(f32ToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(Number.isNaN(bf16ToF32(f32ToBf16(NaN)))).toBe(true);
  });
});
