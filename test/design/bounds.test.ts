/**
 * The physical bounds (src/design/bounds.ts) against hand counts for m3vit-tiny on ZCU102
 * (issue 14's figures: ≈ 2.07 ms compute, ≈ 1.87 ms weight traffic at W16A32).
 */
import { describe, expect, test } from '@jest/globals';
import { loadBoard } from '../../src/board/load.js';
import { physicalBounds, weightCount } from '../../src/design/bounds.js';
import { resolveDesign, defaultDesignFile } from '../../src/design/design.js';
import { estimateDesign, macsPerImage } from '../../src/design/estimate.js';
import { loadModel, modelDims } from '../../src/model/config.js';

const dims = modelDims(loadModel('m3vit-tiny'));

describe('physical bounds', () => {
  test('weights of m3vit-tiny by hand: patch conv, 12 × (qkv + proj), 6 dense MLPs, 6 × (16 experts + gate)', () => {
    const D = 192;
    const linear = 12 * 4 * D * D + 6 * 2 * D * 768 + 6 * (16 * 2 * D * 384 + D * 16);
    expect(weightCount(dims)).toEqual({ patch: 3 * 16 * 16 * D, linear });
    expect(linear).toBe(17713152);
  });

  test('zcu102 at W16A32, 300 MHz: 2 DSP48E2 per 16×32 MAC, 19.2 GB/s of PS DDR', () => {
    const design = resolveDesign(defaultDesignFile('m3vit-tiny', 'zcu102'), 'test');
    const board = loadBoard('zcu102');
    const shared = { ...design.shared, clockMhz: 300 };
    const b = physicalBounds(dims, board, shared, macsPerImage(dims), 1000, 3e6, 10);
    expect(b.dspPerMac).toBe(2);
    // 782,719,488 MACs over 2520 / 2 slots at 300 MHz
    expect(b.computeBoundMs).toBeCloseTo((782719488 / (1260 * 300e6)) * 1e3, 9);
    expect(b.computeBoundMs).toBeCloseTo(2.0707, 3);
    // 147,456 patch weights + 17,713,152 linear weights, 16 bits each, over 4 × 4.8 GB/s
    expect(b.weightBytes).toBe((147456 + 17713152) * 2);
    expect(b.weightBoundMs).toBeCloseTo((35721216 / 19.2e9) * 1e3, 9);
    expect(b.boundBy).toBe('compute');
    expect(b.latencyOverBound).toBeCloseTo(10 / b.computeBoundMs, 9);
    // 1000 DSPs = 500 MAC slots for 3M cycles
    expect(b.macEfficiency).toBeCloseTo(782719488 / (500 * 3e6), 9);
  });

  test('W8A8 halves the DSPs per MAC and the weight bytes; the estimate carries the bounds', () => {
    const file = { ...defaultDesignFile('m3vit-tiny', 'zcu102'), precision: 'w8a8' };
    const design = resolveDesign(file, 'test');
    const e = estimateDesign(design);
    expect(e.bounds.dspPerMac).toBe(1);
    expect(e.bounds.weightBytes).toBe(147456 * (design.shared.precision.patch_weight.width / 8) + 17713152);
    expect(e.bounds.macEfficiency).toBeCloseTo(e.macsPerImage / (e.resources.dsp * e.latencyCycles), 9);
    expect(e.bounds.latencyOverBound).toBeCloseTo(e.latencyMs / e.bounds.boundMs, 9);
  });
});
