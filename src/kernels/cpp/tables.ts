/**
 * The ROM tables of the fixed-point non-linear functions (hls/include/ubimoe/nonlinear.h): their
 * entries, computed in double precision, and each table's shape (entries × ROM word bits), which
 * the generator renders into tables.h (src/generate/tables.ts) and the cost model prices
 * (nonlinearUnit). Here, below both, so each reads the same fact.
 *
 * All table entries are raw fixed-point values with TABLE_FRAC (24) fractional bits.
 * Interpolation is linear between entries; the errors below are the worst case of that.
 */
export const TABLE_FRAC = 24;
/** 2^(-j/1024), j = 0..1024: the fraction part of exp's range reduction (error < 1e-7). */
export const EXP2_SEGMENT_BITS = 10;
/** 1/(1 + j/1024), j = 0..1024: reciprocal of a mantissa in [1, 2] (error < 3e-7). */
export const RECIP_SEGMENT_BITS = 10;
/** 1/sqrt(j/256), j = 256..1024: rsqrt of a mantissa in [1, 4] (error < 2e-6). */
export const RSQRT_SEGMENT_BITS = 8; // segments per unit of the mantissa
/** GELU(x) on [-8, 8], step 1/128 (error < 7e-6); GELU(x) = x above, 0 below. */
export const GELU_RANGE = 8;
export const GELU_STEP_BITS = 7; // 2^7 = 128 table steps per unit
export const GELU_STEPS_PER_UNIT = 2 ** GELU_STEP_BITS;

/** erf(x) to ~1e-15: power series near 0, continued fraction for erfc beyond 2.5. */
export function erf(x: number): number {
  if (x < 0) return -erf(-x);
  if (x < 2.5) {
    // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))), evaluated bottom-up
  let f = x;
  for (let n = 120; n >= 1; n--) f = x + n / 2 / f;
  return 1 - Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** The exact GELU of docs/model.md: 0.5·x·(1 + erf(x/√2)). */
export function geluExact(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

const q = (v: number) => Math.round(v * 2 ** TABLE_FRAC);

export function tables(): Record<string, { values: number[]; signed: boolean; comment: string }> {
  const exp2 = Array.from({ length: 2 ** EXP2_SEGMENT_BITS + 1 }, (_, j) =>
    q(2 ** (-j / 2 ** EXP2_SEGMENT_BITS)),
  );
  const recip = Array.from({ length: 2 ** RECIP_SEGMENT_BITS + 1 }, (_, j) =>
    q(1 / (1 + j / 2 ** RECIP_SEGMENT_BITS)),
  );
  const s = 2 ** RSQRT_SEGMENT_BITS;
  const rsqrt = Array.from({ length: 3 * s + 1 }, (_, j) => q(1 / Math.sqrt((s + j) / s)));
  const gelu = Array.from({ length: 2 * GELU_RANGE * GELU_STEPS_PER_UNIT + 1 }, (_, j) =>
    q(geluExact(-GELU_RANGE + j / GELU_STEPS_PER_UNIT)),
  );
  return {
    EXP2_NEG_TABLE: {
      values: exp2,
      signed: false,
      comment: `2^(-j/${2 ** EXP2_SEGMENT_BITS}), j = 0..${exp2.length - 1}`,
    },
    RECIP_TABLE: {
      values: recip,
      signed: false,
      comment: `1/(1 + j/${2 ** RECIP_SEGMENT_BITS}), j = 0..${recip.length - 1}`,
    },
    RSQRT_TABLE: {
      values: rsqrt,
      signed: false,
      comment: `1/sqrt(1 + j/${s}), j = 0..${rsqrt.length - 1} (mantissa in [1, 4])`,
    },
    GELU_TABLE: {
      values: gelu,
      signed: true,
      comment: `GELU(-${GELU_RANGE} + j/${GELU_STEPS_PER_UNIT}) (exact erf form), j = 0..${gelu.length - 1}`,
    },
  };
}

/** Bits of a table's ROM word: the narrowest (un)signed width that holds every entry. */
export function tableBits(t: { values: number[]; signed: boolean }): number {
  const max = Math.max(...t.values);
  const min = Math.min(...t.values);
  if (!t.signed) return Math.max(1, Math.ceil(Math.log2(max + 1)));
  let w = 1;
  while (!(min >= -(2 ** (w - 1)) && max < 2 ** (w - 1))) w++;
  return w;
}

/** Entries and ROM word bits of each table (the cost model prices a unit's ROM from these). */
export function tableShape(name: 'EXP2_NEG_TABLE' | 'RECIP_TABLE' | 'RSQRT_TABLE' | 'GELU_TABLE'): {
  entries: number;
  bits: number;
} {
  let shape = shapes.get(name);
  if (!shape) {
    const t = tables()[name];
    shape = { entries: t.values.length, bits: tableBits(t) };
    shapes.set(name, shape); // the search prices thousands of designs: compute the tables once
  }
  return shape;
}
const shapes = new Map<string, { entries: number; bits: number }>();
