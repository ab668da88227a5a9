import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBoard, validateBoard } from '../../src/board/load.js';
import { validateDesign } from '../../src/design/validate.js';
import { COST } from '../../src/kernels/costConstants.js';
import { spanCrossingBits } from '../../src/kernels/vit_block.js';
import { defaultDesignFile, resolveDesign } from '../../src/design/design.js';
import { checkRouting, estimateDesign, estimateJson, macsPerImage } from '../../src/design/estimate.js';
import { modelDims, loadModel } from '../../src/model/config.js';
import { readEstimate } from '../../src/report/read/estimate.js';

/** UbiMoE's published architecture parameters on U280 at 200 MHz, 256-bit AXI, one kernel per SLR. */
const ubimoe = () => {
  const f = defaultDesignFile('m3vit-tiny', 'u280');
  return resolveDesign(
    { ...f, clock_mhz: 200, axi_width_bits: 256, placement: { patch_embed: 0, msa_block: 1, ffn_block: 2 } },
    'ubimoe',
  );
};

describe('design estimate', () => {
  test('M³ViT-tiny work: ≈0.78 GMAC per image at top-2', () => {
    const macs = macsPerImage(modelDims(loadModel('m3vit-tiny')));
    expect(macs / 1e9).toBeCloseTo(0.78, 2);
  });

  test('LUT/FF FIT: LUT_PER_MAC / FF_PER_MAC were fitted to UbiMoE’s published 316.1K LUT / 385.9K FF; the fit still reproduces that point within 3%', () => {
    // refitted for issue 13 item 10 with the attention-side engine at one token lane (1473 MACs
    // in all): 145 LUT and 159 FF per MAC (106 / 105 under the 3-lane reading and older kernels)
    // Not a prediction: the two constants were chosen so that UbiMoE's published architecture
    // parameters land on the published LUT/FF (costConstants.ts). This only checks that later
    // changes to the resource model have not moved the fitted point (if it fails, refit the two
    // constants or say why the point moved); it says nothing about any other design.
    const e = estimateDesign(ubimoe());
    expect(Math.abs(e.resources.lut / 316.1e3 - 1)).toBeLessThan(0.03);
    expect(Math.abs(e.resources.ff / 385.9e3 - 1)).toBeLessThan(0.03);
  });

  test('DSP (structural, nothing fitted) of UbiMoE’s parameters: 3067, 10.1% under the published 3413', () => {
    // UbiMoE's public code runs its attention-side linear engine with ONE token lane (only the FFN
    // side has 3; issue 13 item 10): patch 512; msa one 256-MAC engine (512 DSP) + attention (products, 1 exp unit, a reciprocal, 1
    // normalise multiplier of 3 DSP: one output row a cycle with one lane) / LayerNorm; ffn one 3-lane engine (also running the gate's logits) + LayerNorm + GELU
    // in the drain (3 lanes × 16 outputs) + gate softmax (15 + 2 exp units, 15 rescale multiplies, a
    // reciprocal) + scatter. ubimoe's streaming LayerNorm takes a 256-bit word's 8 activations a
    // cycle (2 × 8 products of 4 DSP, 8 of 2, the rsqrt's 1) where UbiMoE's takes tile_in = 16
    // (3368 DSP, 1.3% under the published figure, before the streaming LayerNorm). The non-linear
    // units as nonlinear.h writes them: an exp unit 3 DSP (the input × log2(e) and the
    // interpolation), GELU 2, a reciprocal or rsqrt 1.
    const e = estimateDesign(ubimoe());
    const layerNorm = 2 * 8 * 4 + 8 * 2 + 1;
    expect(e.resources.dsp).toBe(
      512 +
        (512 + 128 + 3 + 1 + 3 + layerNorm) +
        (1536 + layerNorm + 3 * 16 * 2 + 3 * 17 + 2 * 15 + 1 + 2 * 16),
    );
    // (3205 while the scatter's 16 probability × output multiplies were priced 32 × 32 and the
    // non-linear units' multiplies were estimates: exp 1 of 32 × 16, GELU 2, recip/rsqrt 2 of 32 × 32)
    expect(e.resources.dsp).toBe(3067);
    expect(Math.abs(e.resources.dsp / 3413 - 1)).toBeLessThan(0.11);
  });

  test('latency = the stages back to back, plus the host overhead per call', () => {
    const d = ubimoe();
    const e = estimateDesign(d);
    const stageSum = e.stages.reduce(
      (a, s) => a + (s.cycles.patch_embed ?? 0) + (s.cycles.msa_block ?? 0) + (s.cycles.ffn_block ?? 0),
      0,
    );
    expect(stageSum).toBeCloseTo(e.latencyCycles, 6);
    // 25 kernel calls (patch_embed + 12 × (msa_block, ffn_block)) × INVOCATION_OVERHEAD_US 5 µs = 0.125 ms
    expect(e.latencyMs).toBeCloseTo(e.latencyCycles / 200e3 + 0.125, 9);
    expect(e.stages.map((s) => s.kind)).toEqual([
      'patch embed',
      ...d.dims.moeBlocks.map((m) => (m ? 'MoE' : 'dense')),
    ]);
    expect(e.gops).toBeCloseTo((2 * e.macsPerImage) / (e.latencyMs * 1e6), 9);
    const k = Object.fromEntries(e.kernels.map((x) => [x.name, x]));
    expect(k.msa_block.calls).toBe(12);
    expect(k.patch_embed.cycles + k.msa_block.cycles + k.ffn_block.cycles).toBeCloseTo(e.latencyCycles, 6);
  });

  test('placement: each kernel counts on its SLR; compute units multiply resources and throughput', () => {
    const base = ubimoe();
    const e = estimateDesign(base);
    expect(e.slrs.map((s) => s.used.dsp)).toEqual(e.kernels.map((k) => k.resources.dsp));
    const two = resolveDesign({ ...base.file, compute_units: { msa_block: 2, ffn_block: 2 } }, 'two CUs');
    const e2 = estimateDesign(two);
    const msa2 = e2.kernels.find((k) => k.name === 'msa_block')!;
    expect(msa2.slrs).toEqual([1, 2]);
    expect(msa2.resources.dsp).toBe(2 * msa2.resourcesPerCu.dsp);
    expect(e2.imagesPerSecond).toBeGreaterThan(e.imagesPerSecond);
    expect(e2.latencyMs).toBeCloseTo(e.latencyMs, 9);
  });

  test('a design that does not fit says what and by how much', () => {
    const d = resolveDesign(defaultDesignFile('m3vit-tiny', 'zcu102'), 'default on zcu102');
    const e = estimateDesign(d);
    expect(e.fits).toBe(false);
    expect(e.violations.join('; ')).toMatch(/dsp: needs \d+, limit 2016 \(80% of 2520\), over by \d+/);
    expect(e.overflow).toBeGreaterThan(0);
  });

  test('measured routing: checked against the model; skewed routing changes the MoE blocks only', () => {
    const d = ubimoe();
    const dims = d.dims;
    const skew = Array.from({ length: 6 }, () => [129, 129, ...new Array(14).fill(0)]);
    expect(() => checkRouting({ tokensPerExpert: skew.slice(1) }, dims)).toThrow(
      /has 5 MoE blocks, the model has 6/,
    );
    expect(() => checkRouting({ tokensPerExpert: [[1, 2], ...skew.slice(1)] }, dims)).toThrow(
      /lists 2 experts, the model has 16/,
    );
    expect(() =>
      checkRouting({ tokensPerExpert: [[...skew[0].slice(0, 15), 5], ...skew.slice(1)] }, dims),
    ).toThrow(/sum to tokens × top_k = 258 \(found 263\)/);
    const uniform = estimateDesign(d);
    const measured = estimateDesign(d, { routing: { tokensPerExpert: skew } });
    expect(measured.latencyCycles).toBeLessThan(uniform.latencyCycles);
    expect(measured.stages[1].cycles.ffn_block).toBeCloseTo(uniform.stages[1].cycles.ffn_block!, 6); // dense block unchanged
  });

  test('estimate.json is what the report reads', () => {
    const e = estimateDesign(ubimoe());
    const dir = mkdtempSync(join(tmpdir(), 'ubimoe-est-'));
    const path = join(dir, 'estimate.json');
    writeFileSync(path, JSON.stringify(estimateJson(e)));
    const p = readEstimate(path)!;
    expect(p.latencyMs).toBeCloseTo(e.latencyMs, 9);
    expect(p.kernels.map((k) => k.name)).toEqual(['patch_embed', 'msa_block', 'ffn_block']);
    expect(p.stages).toHaveLength(13);
  });

  test('every shipped board gives an estimate of the default design', () => {
    for (const b of ['zcu102', 'zcu104', 'kv260', 'u50', 'u250', 'u280', 'vck190']) {
      const e = estimateDesign(resolveDesign(defaultDesignFile('micro', loadBoard(b)), b));
      expect(e.latencyMs).toBeGreaterThan(0);
      expect(e.available.dsp).toBeGreaterThan(0);
    }
  });
});

describe('a compute unit spanning SLRs (span)', () => {
  // the fused block on u280 from SLR0 over `span` SLRs, patch_embed beside it on SLR1
  const spanning = (span: number, extra: Record<string, unknown> = {}, board: string | object = 'u280') =>
    resolveDesign(
      { ...defaultDesignFile('m3vit-tiny', 'u280', 'fused'), board: board as never, placement: { patch_embed: 1, vit_block: 0 }, span: { vit_block: span }, ...extra },
      `span ${span}`,
    );

  test('its resources spread over its SLRs with the crossing registers; the same cycles; an SLL hop in the clock period', () => {
    const one = estimateDesign(spanning(1));
    const d = spanning(3);
    const e = estimateDesign(d);
    const vit = e.kernels.find((k) => k.name === 'vit_block')!;
    expect(vit.span).toBe(3);
    expect(vit.perSlr.map((s) => s.slr)).toEqual([0, 1, 2]);
    const bits = spanCrossingBits(d.kernels.vit_block!, d.shared, 3);
    // the engine's inputs broadcast (32-bit), the far two thirds of its weight tile (16-bit) and
    // sums (48-bit accumulators at w16a32) cross
    expect(bits).toBe(16 * 1 * 32 + Math.ceil((2 / 3) * (16 * 16 * 16 + 16 * 1 * 48)));
    for (const key of ['dsp', 'bram18', 'uram', 'lut'] as const) {
      for (const s of vit.perSlr) expect(s.resources[key]).toBeCloseTo(vit.resourcesPerCu[key] / 3, 6);
    }
    // FF: 2 per crossing bit on each of the two boundaries (one per side)
    const ff = vit.perSlr.reduce((a, s) => a + s.resources.ff, 0);
    expect(ff - vit.resourcesPerCu.ff).toBeCloseTo(2 * bits * COST.SLR_SPAN_FF_PER_BIT, 6);
    expect(vit.perSlr[1].resources.ff - vit.perSlr[0].resources.ff).toBeCloseTo(bits, 6);
    // the SLRs' use: its shares, patch_embed on SLR1, the interconnect
    const pe = e.kernels.find((k) => k.name === 'patch_embed')!;
    expect(e.slrs[1].used.dsp).toBeCloseTo(vit.perSlr[1].resources.dsp + pe.resources.dsp, 6);
    expect(e.slrs[2].used.dsp).toBeCloseTo(vit.perSlr[2].resources.dsp, 6);
    // the kernel runs the same cycles wherever its logic sits
    expect(e.latencyCycles).toBe(one.latencyCycles);
    // fmax: the congestion rule at the fullest SLR, plus one SLL hop in the period
    const fullest = Math.max(...e.slrs.flatMap((s) => (['dsp', 'bram18', 'uram', 'lut', 'ff'] as const).map((k) => s.used[k] / s.available[k])));
    const congested = COST.FMAX_BASE_MHZ.dsp48e2 * (1 - COST.FMAX_CONGESTION * fullest * fullest);
    expect(e.fmaxMhz).toBeCloseTo(1000 / (1000 / congested + COST.SLR_SPAN_DELAY_NS), 6);
    expect(e.fmaxMhz).toBeLessThan(congested - 50);
    // estimate.json carries the span and the shares; the report reads them
    const dir = mkdtempSync(join(tmpdir(), 'ubimoe-span-'));
    writeFileSync(join(dir, 'estimate.json'), JSON.stringify(estimateJson(e)));
    const p = readEstimate(join(dir, 'estimate.json'))!;
    const pv = p.kernels.find((k) => k.name === 'vit_block')!;
    expect(pv.span).toBe(3);
    expect(pv.perSlr.map((s) => s.resources.dsp)).toEqual(vit.perSlr.map((s) => s.resources.dsp));
  });

  test('a clock above the reachable one, or more crossing bits than the SLLs allow, does not fit and says why', () => {
    const fast = estimateDesign(spanning(2, { clock_mhz: 450 }));
    expect(fast.violations.join('; ')).toMatch(/clock: 450 MHz is above the predicted reachable \d+ MHz at this utilisation with a kernel spanning SLRs/);
    const board = { ...loadBoard('u280'), sll_per_boundary: 1000 };
    const e = estimateDesign(spanning(2, {}, board));
    expect(e.fits).toBe(false);
    expect(e.violations.join('; ')).toMatch(/SLLs between SLR0 and SLR1: vit_block needs \d+, limit 700 \(70% of 1000\), over by \d+/);
  });

  test('refused where it cannot be: one line each', () => {
    const bad = (f: () => unknown) => {
      try {
        validateDesign(f() as never);
      } catch (err) {
        return (err as Error).message;
      }
      return 'accepted';
    };
    expect(bad(() => spanning(2, { board: 'zcu102', placement: undefined }))).toMatch(/span.vit_block: board zcu102 has one SLR: no kernel spans SLRs on it/);
    expect(bad(() => spanning(2, { board: 'u250', placement: undefined }))).toMatch(/span.vit_block: board u250 does not give sll_per_boundary/);
    expect(bad(() => spanning(3, { placement: { patch_embed: 0, vit_block: 1 } }))).toMatch(/span.vit_block: 3 SLRs from placement.vit_block 1 ends past SLR2/);
    expect(bad(() => spanning(2, { compute_units: { vit_block: 2 } }))).toMatch(/span.vit_block: only one compute unit spans SLRs \(compute_units.vit_block is 2\)/);
    expect(bad(() => resolveDesign({ ...defaultDesignFile('m3vit-tiny', 'u280'), span: { vit_block: 2 } }, 'split'))).toMatch(/span.vit_block: this design has no vit_block kernel/);
    expect(() => validateBoard({ ...loadBoard('zcu102'), sll_per_boundary: 100 }, 'board')).toThrow(/sll_per_boundary: only for boards with several SLRs/);
  });
});
