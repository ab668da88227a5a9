// The accuracy metrics against hand-computed cases (every expected number below is worked out in
// the comment beside it, not by the code under test).
import { describe, expect, test } from '@jest/globals';
import { accuracyJson, compareTokens, expertAgreement, median } from '../../src/toolchain/accuracy.js';

const f32 = (v: number[]) => Float32Array.from(v);
const i32 = (v: number[]) => Int32Array.from(v);

describe('compareTokens', () => {
  test('two tokens, one equal and one orthogonal', () => {
    // token 0: (1,0) vs (1,0): cosine 1, no difference
    // token 1: (0,1) vs (1,0): cosine 0, difference (-1, 1)
    // rel L2 = sqrt((1 + 1) / (1 + 1)) = 1; max abs 1; median of {1, 0} = 0.5
    const a = compareTokens(f32([1, 0, 0, 1]), f32([1, 0, 1, 0]), 2, 1);
    expect(a.cosine).toEqual([1, 0]);
    expect(a.cosineMin).toBe(0);
    expect(a.cosineMedian).toBe(0.5);
    expect(a.relL2).toBe(1);
    expect(a.maxAbs).toBe(1);
    expect(a.images).toBe(1);
  });

  test('a rotated token: cosine 24/25, rel L2 sqrt(2)/5', () => {
    // (3,4) vs (4,3): dot 24, norms 5 x 5 -> 0.96; difference (-1, 1): sqrt(2) / 5 = 0.28284271
    const a = compareTokens(f32([3, 4]), f32([4, 3]), 2, 1);
    expect(a.cosine[0]).toBeCloseTo(0.96, 12);
    expect(a.relL2).toBeCloseTo(Math.SQRT2 / 5, 12);
    expect(a.maxAbs).toBe(1);
  });

  test('a scaled token has cosine 1 but the error shows in rel L2 and max abs', () => {
    // (2,0) vs (1,0): same direction; difference (1,0) over norm 1 -> rel L2 1
    const a = compareTokens(f32([2, 0]), f32([1, 0]), 2, 1);
    expect(a.cosine).toEqual([1]);
    expect(a.relL2).toBe(1);
    expect(a.maxAbs).toBe(1);
  });

  test('zero tokens: both zero agree (1), one zero disagrees (0)', () => {
    const a = compareTokens(f32([0, 0, 0, 0]), f32([0, 0, 1, 0]), 2, 2);
    expect(a.cosine).toEqual([1, 0]);
    expect(a.cosineMin).toBe(0);
  });

  test('the minimum is over all tokens, the median of an odd count is the middle one', () => {
    // cosines: (1,0)v(1,0)=1, (0,1)v(1,0)=0, (1,1)v(1,0)=1/sqrt(2)
    const a = compareTokens(f32([1, 0, 0, 1, 1, 1]), f32([1, 0, 1, 0, 1, 0]), 2, 3);
    expect(a.cosineMin).toBe(0);
    expect(a.cosineMedian).toBeCloseTo(Math.SQRT1_2, 12);
  });

  test('a NaN output is never hidden: cosine, min, median, rel L2 and max abs are NaN', () => {
    const a = compareTokens(f32([NaN, 0, 1, 0]), f32([1, 0, 1, 0]), 2, 2);
    expect(a.cosine[0]).toBeNaN();
    expect(a.cosine[1]).toBe(1);
    expect(a.cosineMin).toBeNaN();
    expect(a.cosineMedian).toBeNaN();
    expect(a.relL2).toBeNaN();
    expect(a.maxAbs).toBeNaN();
    // a NaN after a finite maximum still shows
    expect(compareTokens(f32([5, NaN]), f32([1, 0]), 2, 1).maxAbs).toBeNaN();
  });

  test('a large batch (no spread of the cosines into one call)', () => {
    const n = 300_000;
    const a = compareTokens(new Float32Array(n).fill(1), new Float32Array(n).fill(1), 1, n);
    expect(a.cosineMin).toBe(1);
  });

  test('different lengths are an error', () => {
    expect(() => compareTokens(f32([1, 2]), f32([1]), 1, 1)).toThrow(/2 values vs 1/);
  });
});

describe('median', () => {
  test('even and odd counts, order does not matter', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe('expertAgreement', () => {
  test('the same expert twice does not agree with two different ones (either way round)', () => {
    expect(expertAgreement(i32([1, 1]), i32([1, 2]), 2)).toBe(0);
    expect(expertAgreement(i32([1, 2]), i32([1, 1]), 2)).toBe(0);
    expect(expertAgreement(i32([1, 1]), i32([1, 1]), 2)).toBe(1);
  });

  test('order within a group does not matter; groups are compared one by one', () => {
    // groups: {3,5}={5,3} yes; {5,3}={3,5} yes; {1,1} vs {1,2} no -> 2/3
    expect(expertAgreement(i32([3, 5, 5, 3, 1, 1]), i32([5, 3, 3, 5, 1, 2]), 2)).toBeCloseTo(2 / 3, 15);
    // a group is not matched against the next group's experts: {0,1},{2,3} vs {2,3},{0,1} -> 0
    expect(expertAgreement(i32([0, 1, 2, 3]), i32([2, 3, 0, 1]), 2)).toBe(0);
  });

  test('top-1 and top-4', () => {
    expect(expertAgreement(i32([0, 1, 2, 3]), i32([0, 1, 3, 3]), 1)).toBe(0.75);
    expect(expertAgreement(i32([7, 2, 9, 4]), i32([4, 9, 2, 7]), 4)).toBe(1);
    expect(expertAgreement(i32([7, 2, 9, 4]), i32([4, 9, 2, 8]), 4)).toBe(0);
  });

  test('no choices (dense) is null; mismatched shapes are errors, not a silent null', () => {
    expect(expertAgreement(i32([]), i32([]), 2)).toBeNull();
    expect(() => expertAgreement(i32([1, 2]), i32([1]), 1)).toThrow(/2 choices vs 1/);
    expect(() => expertAgreement(i32([1, 2, 3]), i32([1, 2, 3]), 2)).toThrow(/top-k = 2/);
    expect(() => expertAgreement(i32([1]), i32([1]), 0)).toThrow(/top-k = 0/);
  });
});

describe('accuracyJson', () => {
  test('carries the figures, rounded to 9 significant digits', () => {
    const a = { ...compareTokens(f32([3, 4]), f32([4, 3]), 2, 1), expertAgreement: 2 / 3 };
    const j = accuracyJson(a, { task: 1 }) as Record<string, unknown>;
    expect(j.task).toBe(1);
    expect(j.rel_l2).toBe(0.282842712);
    expect(j.expert_agreement).toBe(0.666666667);
    expect((j.cosine as { min: number }).min).toBe(0.96);
  });
});
