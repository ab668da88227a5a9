/**
 * The fused block (vit_block): its validation names its own design field, its design file is
 * either split or fused, its weights are each block's attention half then its MLP half, and its
 * cost is the two halves' on one engine without what the fusion removes (the csim side is
 * test/cli/fused-block.test.ts).
 */
import { describe, expect, test } from '@jest/globals';
import { loadBoard } from '../../src/board/load.js';
import { defaultDesignFile, designKernels, resolveDesign } from '../../src/design/design.js';
import { estimateDesign } from '../../src/design/estimate.js';
import { validateDesign } from '../../src/design/validate.js';
import { designWeightLayout } from '../../src/driver/pack.js';
import { residualFx, formats } from '../../src/kernels/cpp/formats.js';
import { engineResources } from '../../src/kernels/engineCost.js';
import { ffnBuffers, vitArrays, vitBuffers } from '../../src/kernels/buffers.js';
import { kernelLayerNormPlan, layerNormResources } from '../../src/kernels/layernorm.js';
import * as ffn from '../../src/kernels/ffn_block.js';
import * as msa from '../../src/kernels/msa_block.js';
import { vitFfnParams, vitMsaParams } from '../../src/kernels/params.js';
import * as vit from '../../src/kernels/vit_block.js';
import { patchWeightsOnEngine } from '../../src/kernels/cpp/vit_block.js';
import { loadModel, modelDims } from '../../src/model/config.js';
import { PRECISIONS } from '../../src/design/design.js';

const model = loadModel('m3vit-tiny');
const dims = modelDims(model);
const board = loadBoard('zcu102');
const shared = { clockMhz: 300, axiWidthBits: 128, streamDepth: 64, weightPorts: 2, precision: PRECISIONS.w16a32 };
const params = { tile_in: 16, tile_out: 8, token_lanes: 3, q_parallel: 12, key_block: 8 };

const design = (patch: Record<string, unknown>) =>
  resolveDesign({ ...defaultDesignFile('m3vit-tiny', 'zcu102', 'fused'), ...patch }, 'design d.yaml');

describe('vit_block design files', () => {
  test('the fused default has patch_embed and vit_block; the split one msa_block and ffn_block', () => {
    expect(designKernels(design({}))).toEqual(['patch_embed', 'vit_block']);
    const split = resolveDesign(defaultDesignFile('m3vit-tiny', 'zcu102'), 'd');
    expect(designKernels(split)).toEqual(['patch_embed', 'msa_block', 'ffn_block']);
    expect(split.block).toBe('split');
    expect(design({}).block).toBe('fused');
  });

  test.each([
    [
      { kernels: { patch_embed: { tile_in: 16, tile_out: 16 }, vit_block: params, msa_block: params } },
      'either msa_block and ffn_block (split block) or vit_block (fused block), not both',
    ],
    [{ kernels: { patch_embed: { tile_in: 16, tile_out: 16 } } }, 'needs msa_block and ffn_block (split block) or vit_block (fused block)'],
    [{ kernels: { patch_embed: { tile_in: 16, tile_out: 16 }, msa_block: params } }, 'needs ffn_block beside msa_block'],
  ])('bad kernels: %j', (patch, message) => {
    expect(() => design(patch)).toThrow(message);
  });

  test.each([
    // the MLP half's constraints name the fused kernel's field
    [{ tile_in: 24 }, 'kernels.vit_block.tile_in: 24 must divide the head dim 64'],
    [{ token_lanes: 130 }, 'kernels.vit_block.token_lanes: 130 must be <= the token count 129'],
    [{ tile_out: 64, tile_in: 64 }, null],
    // the array LayerNorms' lanes: whole banks of r and s, at most the embedding dim
    [{ norm_lanes: 256 }, 'kernels.vit_block.norm_lanes: 256 must be <= the embedding dim 192'],
    [{ norm_lanes: 12 }, 'kernels.vit_block.norm_lanes: 12 must divide the column banks of the residual (16) and of s (16)'],
    [{ norm_lanes: 32 }, null],
  ])('vit_block parameters %j', (patch, message) => {
    const d = design({ kernels: { patch_embed: { tile_in: 16, tile_out: 16 }, vit_block: { ...params, ...patch } } });
    const run = () => validateDesign(d);
    if (message) expect(run).toThrow(message);
    else expect(run).not.toThrow();
  });

  test('placement and compute units only for kernels the design has', () => {
    const d = resolveDesign(
      { ...defaultDesignFile('m3vit-tiny', 'u280', 'fused'), compute_units: { msa_block: 2 } },
      'design d.yaml',
    );
    expect(() => validateDesign(d)).toThrow(
      'design d.yaml: compute_units.msa_block: this design has no msa_block kernel (its kernels: patch_embed, vit_block)',
    );
  });

  test('a residual wider than 64 bits is refused, naming the fused kernel', () => {
    // 30 integer bits of accumulator and 38 fractional bits of activation: 68 bits to hold both exactly
    const d = design({ types: { activation: { width: 48, int: 10 }, accum: { width: 64, int: 30 } } });
    expect(() => validateDesign(d)).toThrow(/kernels\.vit_block: the residual/);
  });

  test("the residual holds both halves' values exactly: acc_t at W16A32, 36 bits at W8A8", () => {
    expect(residualFx(formats(PRECISIONS.w16a32))).toEqual({ width: 48, int: 16, signed: true });
    expect(residualFx(formats(PRECISIONS.w8a8))).toEqual({ width: 36, int: 14, signed: true });
  });
});

describe('vit_block weights', () => {
  test("one region; a block is msa_block's block then ffn_block's, the block table pointing at both halves", () => {
    const d = design({ kernels: { patch_embed: { tile_in: 16, tile_out: 16 }, vit_block: params } });
    const layouts = designWeightLayout(d);
    expect(layouts.map((l) => l.kernel)).toEqual(['patch_embed', 'vit_block']);
    const att = msa.weightLayout(vitMsaParams(params), dims, d.shared);
    const mlp = ffn.weightLayout(vitFfnParams(params), dims, d.shared, model);
    const v = layouts[1];
    expect(v.words).toBe(att.words + mlp.words);
    v.blocks.forEach((b, i) => {
      expect(b.words).toBe(att.blocks[i].words + mlp.blocks[i].words);
      const norm2 = b.segments.find((s) => s.name === 'norm2.weight')!;
      expect(norm2.offset).toBe(att.blocks[i].words);
    });
  });
});

describe('vit_block cost', () => {
  test("a block's cycles: the two halves' on one engine, without x_out, x_in and a kernel start; a call adds them once", () => {
    for (const moe of [false, true]) {
      const v = vit.cycles(params, dims, shared, board, { moe });
      // msa_block's attention half, its reader on B's column banks: max(tile_in, tile_out) a step
      const a = msa.cycles(vitMsaParams(params), dims, shared, board, {}, Math.max(params.tile_in, params.tile_out));
      // the MoE half's gathers read s where LayerNorm2 left it (no copy), max(tile_in, tile_out) a cycle
      const gathers = { gatherLanes: Math.max(params.tile_in, params.tile_out), copyForGathers: false };
      const m = ffn.cycles(vitFfnParams(params), dims, shared, board, { moe }, gathers);
      if (moe) {
        const split = ffn.cycles(vitFfnParams(params), dims, shared, board, { moe });
        expect(split.parts.gate - m.parts.gate).toBeCloseTo(dims.numTokens * Math.ceil(dims.D / params.tile_out), 6);
        expect(m.parts.experts).toBeLessThan(split.parts.experts);
      }
      const write = m.parts.write; // the same x_out transfer msa_block's proj ends with
      expect(v.parts.proj).toBe(a.parts.proj - write);
      // both LayerNorms stream from the residual array (x read into it once per call): faster than from the token port
      expect(v.parts.layernorm2).toBe(v.parts.layernorm);
      expect(v.parts.layernorm2).toBeLessThan(m.parts.layernorm);
      expect(v.parts.start).toBeUndefined();
      expect(v.parts.write).toBeUndefined();
      const mlp = m.cycles - m.parts.start - m.parts.layernorm - write;
      expect(v.cycles).toBeCloseTo(a.cycles - a.parts.start - a.parts.layernorm - write + 2 * v.parts.layernorm + mlp, 6);
    }
    // B has more column banks than msa_block's qkv (tile_out) when tile_in > tile_out: the reader
    // reads a head in fewer steps, so the fused block's attention half is the faster
    const qkvBanks = msa.cycles(vitMsaParams(params), dims, shared, board);
    const bBanks = vit.attentionHalf(params, dims, shared, board, {});
    if (params.tile_in > params.tile_out) expect(bBanks.cycles).toBeLessThan(qkvBanks.cycles);
    else expect(bBanks.cycles).toBe(qkvBanks.cycles);
    // once per call: the start, x read into R (the same transfer as x_out's write), x_out
    const once = vit.callCycles(params, dims, shared, board, {});
    const a = msa.cycles(vitMsaParams(params), dims, shared, board);
    const write = ffn.cycles(vitFfnParams(params), dims, shared, board, { moe: false }).parts.write;
    expect(once.parts).toEqual({ start: a.parts.start, x_in: write, write });
    expect(once.cycles).toBe(a.parts.start + 2 * write);
  });

  test('norm_lanes: the LayerNorms that read R take that many elements a cycle, at a price in DSP and LUT', () => {
    const slow = vit.cycles(params, dims, shared, board, { moe: true });
    const fast = vit.cycles({ ...params, norm_lanes: 16 }, dims, shared, board, { moe: true });
    // the default is the token port's chunk: 4 activations of 32 bits in a 128-bit word
    expect(vit.cycles({ ...params, norm_lanes: 4 }, dims, shared, board, { moe: true })).toEqual(slow);
    expect(fast.parts.layernorm).toBeLessThan(0.3 * slow.parts.layernorm);
    expect(fast.parts.layernorm2).toBe(fast.parts.layernorm);
    expect(fast.parts.qkv_attention).toBe(slow.parts.qkv_attention);
    const r4 = vit.resources(params, dims, shared, board);
    const r16 = vit.resources({ ...params, norm_lanes: 16 }, dims, shared, board);
    expect(r16.dsp).toBeGreaterThan(r4.dsp);
    expect(r16.lut).toBeGreaterThan(r4.lut);
    // one LayerNorm region for all of them: 16 lanes' multipliers instead of 4's
    expect(r16.dsp - r4.dsp).toBeGreaterThan(12 * 2);
  });

  test('weight_fifo: only the expert phase changes; deeper never slower, much faster on skewed routing; BRAM, not LUT', () => {
    const skewed = { moe: true, tokensPerExpert: [1, 61, 0, 0, 24, 98, 0, 5, 29, 2, 1, 0, 0, 0, 2, 35] };
    const at = (weight_fifo: number | undefined, call: { moe: boolean; tokensPerExpert?: number[] }) =>
      vit.cycles(weight_fifo === undefined ? params : { ...params, weight_fifo }, dims, shared, board, call);
    for (const call of [{ moe: true }, skewed]) {
      const base = at(undefined, call);
      expect(at(2, call)).toEqual(base);
      let prev = base.parts.experts;
      for (const f of [64, 512, 2048]) {
        const c = at(f, call);
        for (const k of Object.keys(base.parts)) if (k !== 'experts') expect([k, c.parts[k]]).toEqual([k, base.parts[k]]);
        expect(c.parts.experts).toBeLessThanOrEqual(prev);
        prev = c.parts.experts;
      }
      expect(vit.expertsCycles({ ...params, weight_fifo: 512 }, dims, shared, board, call)).toBe(at(512, call).parts.experts);
    }
    // the skewed block: busy experts bank reader cycles for the idle ones (at least 10% here)
    expect(at(2048, skewed).parts.experts).toBeLessThan(0.9 * at(2, skewed).parts.experts);
    // dense blocks have no expert phase to gain
    expect(at(2048, { moe: false })).toEqual(at(2, { moe: false }));
    const r2 = vit.resources(params, dims, shared, board);
    const r512 = vit.resources({ ...params, weight_fifo: 512 }, dims, shared, board);
    // 16 × 8 weights of 16 bits = 2048 bits a tile: 57 BRAM18 at 512 × 36, the bias chunks' too
    expect(r512.bram18 - r2.bram18).toBeGreaterThanOrEqual(57);
    expect(r512.lut).toBeLessThan(r2.lut); // (the 2-deep FIFO's shift registers gone)
    expect(() => validateDesign(design({ kernels: { ...design({}).kernels, vit_block: { ...params, weight_fifo: 1 } } }))).toThrow(
      /kernels\.vit_block\.weight_fifo: 1 must be 2\.\.4096/,
    );
  });

  test("arrays: the fused kernel gathers from s into B (no h); ffn_block keeps its copy h", () => {
    const names = (b: Array<{ name: string }>) => b.map((x) => x.name);
    const v = vitBuffers(params, dims, shared);
    const f = ffnBuffers(vitFfnParams(params), dims, shared);
    expect(names(v)).not.toContain('h');
    expect(f.find((x) => x.name === 'h')!.words).toBe(dims.numTokens * dims.D);
    // B holds the hidden layer and, after it on a bank boundary, the gathered tokens
    const arr = vitArrays(params, dims, 32, 128, false);
    expect(arr.gatherCol0).toBeGreaterThanOrEqual(dims.expertHidden);
    expect(arr.gatherCol0 % params.tile_in).toBe(0);
    expect(arr.bDim).toBeGreaterThanOrEqual(arr.gatherCol0 + dims.D);
  });

  test('resources: one engine, one set of arrays: fewer LUT, FF and BRAM than the split pair at the same parameters', () => {
    const v = vit.resources(params, dims, shared, board);
    const a = msa.resources(vitMsaParams(params), dims, shared, board);
    const m = ffn.resources(vitFfnParams(params), dims, shared, board);
    for (const k of ['lut', 'ff', 'bram18', 'dsp'] as const) expect(v[k]).toBeLessThan(a[k] + m[k]);
    // exactly one engine's and one LayerNorm region's DSPs are gone (the attention's and the gate's stay)
    const ln = layerNormResources(kernelLayerNormPlan(dims, params.tile_in, shared), shared.precision, 128, board).dsp;
    expect(a.dsp + m.dsp - v.dsp).toBe(engineResources(params.tile_in, params.tile_out, params.token_lanes, shared, board).dsp + ln);
  });

  test("the estimate: patch_embed then ONE vit_block call running every block, the call's cycles once", () => {
    const d = design({ kernels: { patch_embed: { tile_in: 16, tile_out: 4 }, vit_block: params }, weight_ports: 2 });
    const e = estimateDesign(d);
    expect(e.kernels.map((k) => [k.name, k.calls])).toEqual([
      ['patch_embed', 1],
      ['vit_block', 1],
    ]);
    expect(e.stages.slice(1).every((s) => Object.keys(s.cycles).join() === 'vit_block')).toBe(true);
    const k = e.kernels[1];
    const once = vit.callCycles(params, dims, d.shared, d.board, {}).cycles;
    const nMoe = dims.moeBlocks.filter(Boolean).length;
    const blocks =
      (dims.depth - nMoe) * vit.cycles(params, dims, d.shared, d.board, { moe: false }).cycles +
      nMoe * vit.cycles(params, dims, d.shared, d.board, { moe: true }).cycles;
    expect(k.cycles).toBeCloseTo(once + blocks, 3);
    // the per-block table sums to the kernel's cycles; two host calls of overhead
    expect(e.stages.slice(1).reduce((a, st) => a + st.cycles.vit_block!, 0)).toBeCloseTo(k.cycles, 3);
    expect(e.latencyMs - e.latencyCycles / 300e3).toBeCloseTo(2 * 0.005, 9);

    const split = resolveDesign(
      {
        ...defaultDesignFile('m3vit-tiny', 'zcu102'),
        weight_ports: 2,
        kernels: { patch_embed: { tile_in: 16, tile_out: 4 }, msa_block: params, ffn_block: vitFfnParams(params) },
      },
      'split',
    );
    const s = estimateDesign(split);
    // off-chip: the same weights; x moves in and out of vit_block once per image, of the split
    // kernels five times per block (the split model's count), so 5·depth − 2 token transfers more
    const act = (dims.numTokens * dims.D * 32) / 8;
    expect(s.weightBytesPerImage - e.weightBytesPerImage).toBeCloseTo((5 * dims.depth - 2) * act, 0);
    // the same engine does both halves one after the other: the latency is the split design's less
    // the x round trip and a LayerNorm read from the port (a few percent), the resources far fewer
    expect(e.latencyCycles).toBeLessThan(s.latencyCycles);
    expect(e.latencyCycles).toBeGreaterThan(0.9 * s.latencyCycles);
    expect(e.resources.lut).toBeLessThan(0.8 * s.resources.lut);
  });
});

describe('the patch embedding on the fused engine (patch_on_engine)', () => {
  const onEngine = (over: Record<string, unknown> = {}) =>
    design({ kernels: { vit_block: { ...params, patch_on_engine: true, ...over } }, weight_ports: 2 });

  test('a design of vit_block alone; patch_embed beside it, or neither, refused', () => {
    expect(designKernels(onEngine())).toEqual(['vit_block']);
    expect(() => validateDesign(onEngine())).not.toThrow();
    expect(() =>
      design({ kernels: { patch_embed: { tile_in: 16, tile_out: 16 }, vit_block: { ...params, patch_on_engine: true } } }),
    ).toThrow('vit_block.patch_on_engine embeds the patches on the block engine: no patch_embed kernel then');
    expect(() => design({ kernels: { vit_block: params } })).toThrow('needs patch_embed (or vit_block with patch_on_engine: true)');
    // tile_in also tiles the C·P·P = 768 patch inputs (it divides them at every legal value of m3vit-tiny; micro's 192 too)
    expect(() => vit.validate({ ...params, tile_in: 16, patch_on_engine: true }, { ...dims, patchInputs: 200 })).toThrow(
      'kernels.vit_block.tile_in: 16 must divide the patch inputs C·P·P (patch_on_engine) 200',
    );
    // W8A8: 16-bit patch weights on an 8-bit engine with per-layer exponents: two digit layers of
    // the engine's format (8-bit high digits, 7-bit low digits read with exponent 7)
    expect(() => validateDesign(design({ precision: 'w8a8', kernels: { vit_block: { ...params, patch_on_engine: true } } }))).not.toThrow();
    expect(patchWeightsOnEngine(formats(PRECISIONS.w16a32), 16)).toEqual({ digits: 1 });
    expect(patchWeightsOnEngine(formats(PRECISIONS.w8a8), 16)).toEqual({ digits: 2, low: 7 });
    // without exponents the low digits cannot be read (not a preset: the generator's check)
    const unscaled = { ...PRECISIONS.w8a8, weight_scale: undefined };
    expect(patchWeightsOnEngine(formats(unscaled), 16)).toBe("the patch weights (16 bits) differ from the engine's (8 bits)");
  });

  test("weights: one region, the patch embedding (tiled for the engine) first, the blocks after it; the block table points past it", () => {
    const d = onEngine();
    const [v] = designWeightLayout(d);
    expect(designWeightLayout(d).map((l) => l.kernel)).toEqual(['vit_block']);
    expect(v.blocks[0].block).toBe(-1);
    expect(v.blocks[0].segments.map((s) => s.name)).toEqual(['proj', 'cls_token', 'pos_embed']);
    const proj = v.blocks[0].segments[0] as { tileIn: number; tileOut: number };
    expect([proj.tileIn, proj.tileOut]).toEqual([params.tile_in, params.tile_out]);
    expect(v.blocks[1]).toMatchObject({ block: 0, offset: v.blocks[0].words });
    const without = designWeightLayout(design({ kernels: { patch_embed: { tile_in: 16, tile_out: 8 }, vit_block: params }, weight_ports: 2 }));
    expect(v.words).toBe(without[0].words + without[1].words);
  });

  test('the estimate: one vit_block call per image whose first parts embed the patches; the patch stage is its; x neither written by patch_embed nor read', () => {
    const d = onEngine();
    const e = estimateDesign(d);
    expect(e.kernels.map((k) => [k.name, k.calls])).toEqual([['vit_block', 1]]);
    const call = vit.callCycles({ ...params, patch_on_engine: true }, dims, d.shared, d.board, {});
    expect(Object.keys(call.parts)).toEqual(['start', 'patch_inputs', 'patch_linear', 'write']);
    const patch = vit.patchCycles(params, dims, d.shared, d.board, {});
    expect(e.stages[0]).toEqual({ label: 'patch', kind: 'patch embed', cycles: { vit_block: patch.cycles } });
    // the per-block table (patch row included) sums to the kernel's cycles; one host call
    expect(e.stages.reduce((a, st) => a + st.cycles.vit_block!, 0)).toBeCloseTo(e.kernels[0].cycles, 3);
    expect(e.latencyMs - e.latencyCycles / 300e3).toBeCloseTo(0.005, 9);
    // the patch pass is the engine's linear over C·P·P inputs for every token row, beside nothing
    expect(patch.parts.patch_linear).toBeGreaterThan((dims.numTokens * dims.patchInputs * dims.D) / (16 * 8 * 3));
    const withKernel = estimateDesign(design({ kernels: { patch_embed: { tile_in: 16, tile_out: 8 }, vit_block: params }, weight_ports: 2 }));
    const act = (dims.numTokens * dims.D * 32) / 8;
    expect(withKernel.weightBytesPerImage - e.weightBytesPerImage).toBeCloseTo(2 * act, 0);
    // the engine's 384 MACs do the projection faster than patch_embed's 128, and its arrays and port go
    expect(e.latencyCycles).toBeLessThan(withKernel.latencyCycles);
    expect(e.resources.lut).toBeLessThan(withKernel.resources.lut);
    expect(e.resources.dsp).toBeLessThan(withKernel.resources.dsp);
  });
});
