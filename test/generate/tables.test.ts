import { describe, expect, test } from '@jest/globals';
import {
  erf,
  geluExact,
  renderTablesHeader,
  tables,
  tablesHeaderIsCurrent,
  TABLE_FRAC,
} from '../../src/generate/tables.js';

describe('fixed-point ROM tables', () => {
  test('hls/include/ubimoe/tables.h is what tables.ts renders (regenerate: node dist/src/generate/tables.js --write)', () => {
    expect(tablesHeaderIsCurrent()).toBe(true);
    expect(renderTablesHeader()).toContain('static const unsigned GELU_TABLE_SIZE = 2049;');
    expect(renderTablesHeader()).toContain('static const int GELU_TABLE_BITS = 29;');
  });

  test('erf and the exact GELU', () => {
    // reference values (Abramowitz & Stegun tables / mpmath)
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 14);
    expect(erf(1)).toBeCloseTo(0.8427007929497149, 14);
    expect(erf(2.5)).toBeCloseTo(0.999593047982555, 14);
    expect(erf(3.5)).toBeCloseTo(0.9999992569016276, 14);
    expect(erf(-1)).toBeCloseTo(-0.8427007929497149, 14);
    expect(geluExact(1)).toBeCloseTo(0.8413447460685429, 14);
    expect(geluExact(-2)).toBeCloseTo(-0.04550026389635842, 14);
  });

  test('entries are the functions at the grid points', () => {
    const t = tables();
    const one = 2 ** TABLE_FRAC;
    expect(t.EXP2_NEG_TABLE.values[0]).toBe(one);
    expect(t.EXP2_NEG_TABLE.values[1024]).toBe(one / 2);
    expect(t.RECIP_TABLE.values[1024]).toBe(one / 2);
    expect(t.RSQRT_TABLE.values[0]).toBe(one);
    expect(t.RSQRT_TABLE.values[768]).toBe(one / 2);
    expect(t.GELU_TABLE.values[1024]).toBe(0);
    expect(t.GELU_TABLE.values[2048] / one).toBeCloseTo(8, 6);
  });
});
