/**
 * The acceptance check of the kernels: M³ViT-tiny, W16A32 (UbiMoE's published parameters:
 * linear 16x16, 3 token lanes, 4 query rows x 8-key blocks), a synthetic checkpoint (seed 1),
 * 2 images, both tasks (one compile). Each bound is about 2× the error measured when it was set
 * (docs/csim.md "Bounds": loosen one only with a written reason there).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rmSync } from 'node:fs';
import { testDesign } from '../generate/helpers.js';
import {
  accuracy,
  prepare,
  scratch,
  summary,
  violations,
  type CsimCase,
  type ErrorBounds,
} from './harness.js';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

// Measured (seed 1, 2 images; 1548 (image, MoE block, token) groups per task):
//  task 0: 1-cos median 1.42e-6, 1-cos min 4.22e-3, rel L2 0.926%, max abs 0.505, experts 99.48% raw
//    (8 flips: 2 first flips at near ties, relative gate margins 5.5e-5 and 1.0e-4, and 6 in later
//    blocks of the same images; the token error is mostly theirs: task 1 has none), 100% of the 508
//    groups compared (margin > 2e-4, none after a near-tie flip);
//  task 1: 1-cos median 6.49e-7, 1-cos min 9.36e-7, rel L2 0.114%, max abs 0.00763, experts 100% raw,
//    100% of 1528 compared (20 near ties, none flipped).
const BOUNDS: Record<number, ErrorBounds> = {
  0: { cosMedian: 2.9e-6, cosMin: 8.5e-3, relL2: 0.0185, maxAbs: 1.0, rawExperts: 0.0104 },
  // raw agreement measured 100%: any flip fails here (and the token bounds) — see whether the
  // margin-aware figure calls it a near tie before touching a bound
  1: { cosMedian: 1.3e-6, cosMin: 1.9e-6, relL2: 0.0023, maxAbs: 0.015, rawExperts: 0 },
};

describe('m3vit-tiny W16A32 csim vs the float32 reference', () => {
  const design = testDesign('m3vit-tiny', 'u280');
  let c: CsimCase;
  beforeAll(async () => {
    const root = scratch();
    roots.push(root);
    c = await prepare(design, root);
  }, 900_000);

  test('the generated project is lint-clean', () => {
    expect(c.lint).toBe('');
  });

  test.each([0, 1])(
    'task %d, 2 images: errors within 2× of the measured, margin-aware expert agreement 100%',
    async (task) => {
      const a = await accuracy(design, c, { batch: 2, task });
      process.stdout.write(summary(`m3vit-tiny W16A32 task ${task}`, a));
      expect(violations(a, BOUNDS[task])).toEqual([]);
    },
    120000,
  );
});
