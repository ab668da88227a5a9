// The power model against figures computed by hand from the coefficients (src/kernels/powerConstants.ts).
import { describe, expect, test } from '@jest/globals';
import { boardNames, loadBoard } from '../../src/board/load.js';
import { defaultDesignFile, resolveDesign } from '../../src/design/design.js';
import { estimate, estimateDesign, estimateJson } from '../../src/design/estimate.js';
import { designPower } from '../../src/design/power.js';
import { activePower, clockPower, sumPower } from '../../src/kernels/power.js';
import { POWER } from '../../src/kernels/powerConstants.js';
import { tinyBoard } from '../search/helpers.js';

const board = tinyBoard({ power: { static_w: 1, platform_w: 2 } });
const none = { dsp: 0, bram18: 0, uram: 0, lut: 0, ff: 0 };

describe('kernel power (per resource kind)', () => {
  test('100 DSPs and 10,000 FFs at 200 MHz', () => {
    const r = { ...none, dsp: 100, ff: 10000 };
    const a = activePower(r, 200);
    // W = count × µW/MHz × MHz × 1e-6
    expect(a.dsp).toBeCloseTo(100 * 4.0 * 200e-6, 12); // 0.08 W
    expect(a.ff).toBeCloseTo(10000 * 0.008 * 200e-6, 12); // 0.016 W
    expect(sumPower(clockPower(r, 200))).toBeCloseTo(100 * 0.5 * 200e-6 + 10000 * 0.003 * 200e-6, 12); // 0.016 W
    expect(sumPower(activePower(r, 200, POWER.DSP58_SCALE))).toBeCloseTo(0.096 * 0.7, 12);
  });
});

describe('design power', () => {
  // one kernel of 100 DSP + 10,000 FF busy 1 ms of a 2 ms image at 200 MHz, no interconnect, 1 MB of DDR traffic
  const input = {
    board,
    clockMhz: 200,
    latencyMs: 2,
    gops: 10,
    kernels: [
      { name: 'k', resourcesPerCu: { ...none, dsp: 100, ff: 10000 }, computeUnits: 1, busyCycles: 200_000 },
    ],
    overhead: none,
    offchipBytes: 1e6,
  };

  test('hand-computed energy per image and board power', () => {
    const p = designPower(input)!;
    const active = 0.08 + 0.016; // W while computing
    const clock = 0.016 + POWER.CLOCK_GENERATOR_W; // W all the time
    const memoryJ = 1e6 * 8 * 20e-12; // DDR4: 20 pJ/bit -> 160 µJ
    const energy = (1 + 2 + clock) * 2e-3 + active * 1e-3 + memoryJ;
    expect(p.kernels[0].activity).toBeCloseTo(0.5, 12);
    expect(p.energyJPerImage).toBeCloseTo(energy, 12);
    expect(p.powerW).toBeCloseTo(energy / 2e-3, 9); // 3.116 + 0.048 + 0.08 = 3.244 W
    expect(p.powerW).toBeCloseTo(3.244, 9);
    expect(p.memoryW).toBeCloseTo(0.08, 12);
    expect(p.gopsPerW).toBeCloseTo(10 / 3.244, 9);
    expect(p.imagesPerJ).toBeCloseTo(1 / (3.244 * 2e-3), 6);
    // the parts add up to the whole
    const kernelsActive = p.kernels.reduce((a, k) => a + k.w - k.clockW, 0);
    expect(p.staticW + p.platformW + p.clockW + kernelsActive + p.interconnectW + p.memoryW).toBeCloseTo(
      p.powerW,
      12,
    );
  });

  test('an idle kernel costs its clock tree only; a second compute unit idles at one image at a time', () => {
    const idle = designPower({ ...input, kernels: [{ ...input.kernels[0], busyCycles: 0 }] })!;
    expect(idle.kernels[0].w).toBeCloseTo(0.016, 12);
    const two = designPower({ ...input, kernels: [{ ...input.kernels[0], computeUnits: 2 }] })!;
    expect(two.powerW - designPower(input)!.powerW).toBeCloseTo(0.016, 12);
  });

  test('HBM traffic costs less than DDR4 per bit', () => {
    const hbm = tinyBoard({
      power: { static_w: 1, platform_w: 2 },
      memory: [{ kind: 'hbm', bank_prefix: 'HBM', count: 2, gbps_each: 14, axi_width_bits: 256 }],
    });
    expect(designPower({ ...input, board: hbm })!.memoryW).toBeCloseTo((1e6 * 8 * 7e-12) / 2e-3, 12);
  });

  test('no power facts on the board: no prediction', () => {
    expect(designPower({ ...input, board: tinyBoard() })).toBeNull();
  });
});

describe('estimate', () => {
  test.each(boardNames())('%s: the JSON estimate carries power_w, energy_j_per_image, gops_per_w', (name) => {
    const b = loadBoard(name);
    const d = resolveDesign(defaultDesignFile('m3vit-tiny', name), name);
    const e = estimateDesign(d);
    const j = estimateJson(e);
    expect(j.power_w).toBeGreaterThan(b.power!.static_w + b.power!.platform_w);
    expect(j.energy_j_per_image).toBeCloseTo(e.power!.powerW * (e.latencyMs / 1e3), 12);
    expect(j.gops_per_w).toBeCloseTo(e.gops / e.power!.powerW, 12);
  });

  test('--limit power=W: a design above the cap does not fit, and says by how much', () => {
    const d = resolveDesign(defaultDesignFile('m3vit-tiny', 'u280'), 'u280');
    const free = estimateDesign(d);
    const capped = estimateDesign(d, { powerLimitW: free.power!.powerW / 2 });
    expect(capped.fits).toBe(false);
    expect(capped.violations.join('\n')).toMatch(/^power: predicted [\d.]+ W, limit [\d.]+ W, over by/m);
    expect(capped.overflow).toBeCloseTo(1, 9);
    expect(estimate).toBeDefined();
  });
});
