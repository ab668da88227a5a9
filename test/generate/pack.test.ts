import { describe, expect, test } from '@jest/globals';
import { designHash, WEIGHTS_FORMAT_VERSION } from '../../src/design/hash.js';
import {
  clipSummary,
  designWeightLayout,
  packWeights,
  PAGE,
  scaleSummary,
  weightExponent,
} from '../../src/driver/pack.js';
import { synthCheckpoint } from '../../src/model/checkpoint.js';
import { UserError } from '../../src/util/errors.js';
import { qkvHeadRows } from '../../src/kernels/cpp/msa_block.js';
import { linearWords, type Segment } from '../../src/kernels/cpp/layout.js';
import { testDesign } from './helpers.js';

/** Field `lane` (width bits, two's complement) of word `word` of a region. */
/** A linear segment's words (one weight port, 128-bit words): biases, scale word, tiles from tilesOffset. */
function wordsOf(seg: Segment) {
  if (seg.kind !== 'linear') throw new Error(`${seg.name} is not a linear segment`);
  return linearWords(seg.in, seg.out, seg.tileIn, seg.tileOut, seg.weightFx, seg.biasFx, 128, seg.maxShift, 1);
}

function field(
  bytes: Uint8Array,
  regionOffset: number,
  axi: number,
  word: number,
  lane: number,
  width: number,
): number {
  let v = 0n;
  const bit0 = word * axi + lane * width;
  for (let i = 0; i < width; i++) {
    const b = bit0 + i;
    if ((bytes[regionOffset + (b >> 3)] >> (b & 7)) & 1) v |= 1n << BigInt(i);
  }
  return Number(BigInt.asIntN(width, v));
}

describe('weight packing', () => {
  const design = testDesign('micro', 'zcu102', { patch_embed: { tile_in: 8, tile_out: 4 } }); // 128-bit AXI
  const ckpt = synthCheckpoint(design.model, 5);
  const packed = packWeights(design, ckpt);
  const { bytes } = packed;
  const dv = new DataView(bytes.buffer, bytes.byteOffset);

  test('header: magic, version, design hash, sizes, page-aligned regions, block table', () => {
    expect(Buffer.from(bytes.subarray(0, 8)).toString('latin1')).toBe('UBIMOEW\0');
    expect(dv.getUint32(8, true)).toBe(WEIGHTS_FORMAT_VERSION);
    expect(dv.getUint32(12, true)).toBe(PAGE);
    expect(Buffer.from(bytes.subarray(16, 80)).toString('latin1')).toBe(designHash(design));
    expect(Number(dv.getBigUint64(80, true))).toBe(bytes.length);
    expect(dv.getUint32(88, true)).toBe(128);
    expect(dv.getUint32(92, true)).toBe(3);
    expect(dv.getUint32(96, true)).toBe(2);
    const names = [0, 1, 2].map((i) =>
      Buffer.from(bytes.subarray(104 + 32 * i, 120 + 32 * i))
        .toString('latin1')
        .replace(/\0+$/, ''),
    );
    expect(names).toEqual(['patch_embed', 'msa_block', 'ffn_block']);
    for (const r of packed.regions) expect(r.offset % PAGE).toBe(0);
    expect(Number(dv.getBigUint64(104 + 16, true))).toBe(packed.regions[0].offset);
    expect(dv.getUint32(104 + 96, true)).toBe(0); // block 0 starts each region
    expect(dv.getUint32(104 + 96 + 8, true)).toBeGreaterThan(0); // block 1's msa offset
    expect(packed.clipped.clipped).toBe(0);
  });

  test('a patch weight sits in its tile, rounded to nearest', () => {
    // weight [o=5][i=10]: tile_out 4, tile_in 8 -> out tile 1, in tile 1, inside [i=2][o=1] = element 2*4+1 = 9
    // 16-bit fields, 8 per 128-bit word; a tile of 32 weights = 4 words; 192/8 = 24 in tiles
    const w = ckpt.get('patch_embed.proj.weight')!.data[5 * 192 + 10];
    const tile = 1 * 24 + 1;
    const pe = designWeightLayout(design)[0].blocks[0].segments.find((x) => x.name === 'proj')!;
    const at = wordsOf(pe).tilesOffset; // after the 32 16-bit biases: 4 words
    expect(at).toBe(4);
    const raw = field(bytes, packed.regions[0].offset, 128, at + tile * 4 + Math.floor(9 / 8), 9 % 8, 16);
    expect(raw).toBe(Math.round(w * 2 ** 14));
  });

  test('a gate is a tiled linear layer (E padded with zero columns, zero biases), a LayerNorm weight in the norm format', () => {
    const ffn = packed.regions[2];
    const blk = designWeightLayout(design)[2].blocks[1];
    const seg = blk.segments.find((x) => x.name === 'gate.0')!;
    if (seg.kind !== 'linear') throw new Error('the gate is a linear segment');
    const { tileIn: TI, tileOut: TO } = seg;
    expect(seg.out).toBe(Math.ceil(4 / TO) * TO);
    const gate = ckpt.get('blocks.1.mlp.gate.0.w_gate')!.data; // [D=32, E=4]
    const inTiles = 32 / TI;
    const tileWords = Math.ceil((TI * TO) / 8); // 16-bit weights, 8 per 128-bit word
    // element [d][e]: out tile 0, in tile d / TI, inside [d % TI][e] (row-major)
    const at = (d: number, e: number) => {
      const k = (d % TI) * TO + e;
      const word = blk.offset + seg.offset + wordsOf(seg).tilesOffset + Math.floor(d / TI) * tileWords + Math.floor(k / 8);
      return field(bytes, ffn.offset, 128, word, k % 8, 16);
    };
    expect(at(17, 3)).toBe(Math.round(gate[17 * 4 + 3] * 2 ** 14));
    expect(at(0, 0)).toBe(Math.round(gate[0] * 2 ** 14));
    for (let e = 4; e < TO; e++) expect(at(5, e)).toBe(0); // padding columns
    const biasWord = blk.offset + seg.offset; // the biases first
    expect(wordsOf(seg).weightWords).toBe((seg.out / TO) * inTiles * tileWords);
    for (let c = 0; c < seg.out; c++)
      expect(field(bytes, ffn.offset, 128, biasWord + Math.floor(c / 8), c % 8, 16)).toBe(0);
    // block 1: norm2.weight (32 x 16 bit = 4 words) first
    const gamma = ckpt.get('blocks.1.norm2.weight')!.data[9];
    expect(field(bytes, ffn.offset, 128, blk.offset + 1, 1, 16)).toBe(Math.round(gamma * 2 ** 11));
  });

  test('saturation is reported per tensor', () => {
    const bad = new Map(ckpt);
    const t = ckpt.get('blocks.0.attn.qkv.weight')!;
    const data = Float32Array.from(t.data);
    data[3] = 5;
    data[7] = -9;
    bad.set('blocks.0.attn.qkv.weight', { shape: t.shape, data });
    const r = packWeights(design, bad).clipped;
    expect(r.clipped).toBe(2);
    expect(r.tensors).toEqual([
      expect.objectContaining({ tensor: 'blocks.0.attn.qkv.weight', clipped: 2, maxAbs: 9, limit: 2 }),
    ]);
    expect(clipSummary(r)).toMatch(/2 of \d+ weights saturated/);
  });

  test('a checkpoint for another model is refused, naming the tensor', () => {
    const other = synthCheckpoint(testDesign('m3vit-tiny').model, 1);
    expect(() => packWeights(design, other)).toThrow(UserError);
    expect(() => packWeights(design, other)).toThrow(/tensor 'patch_embed.proj.weight' has shape/);
  });
});

describe('per-layer weight scales (w8a8)', () => {
  const w8 = { width: 8, int: 1, signed: true }; // ap_fixed<8,1>: raw -128..127, 7 fractional bits

  test('the exponent is the largest s <= max whose w·2^s does not saturate (ties away from zero)', () => {
    const e = (v: number[], max = 7) => weightExponent(Float32Array.from(v), w8, max);
    expect(e([0.22, -0.1])).toBe(2); // 0.88 -> 113; s = 3 would give 225 > 127
    expect(e([-0.5])).toBe(1); // -1.0 -> -128 fits
    expect(e([0.5])).toBe(0); // 1.0 -> 128 > 127
    expect(e([0.49])).toBe(1); // 0.98 -> round(125.44) = 125 fits; s = 2 would give 251
    expect(e([0.4981])).toBe(0); // 0.4981 · 2^8 = 127.51 rounds to 128: s = 1 would saturate
    expect(e([-1])).toBe(0); // fits at s = 0 only
    expect(e([1.5, 0.1])).toBe(0); // saturates even at s = 0: reported by the clip report
    expect(e([0.001])).toBe(7); // bounded by what the kernel applies
    expect(e([0.001], 3)).toBe(3);
    expect(e([0])).toBe(7);
  });

  const design = testDesign('micro', 'zcu102', {}, { precision: 'w8a8' }); // 128-bit AXI: 16 weights a word
  const ckpt = synthCheckpoint(design.model, 5);
  const packed = packWeights(design, ckpt);
  const layouts = designWeightLayout(design);
  const segOf = (region: number, block: number, name: string) => {
    const blk = layouts[region].blocks.find((b) => b.block === block)!;
    const seg = blk.segments.find((s) => s.name === name)!;
    return { base: blk.offset + seg.offset, seg };
  };

  test('a scaled linear: weights stored as w·2^s, s in the word after the biases, reported', () => {
    const { base, seg } = segOf(1, 1, 'proj.lead'); // proj over head 0's columns of o (0 .. 15)
    expect(seg.kind === 'linear' && seg.maxShift).toBe(7);
    const w = ckpt.get('blocks.1.attn.proj.weight')!.data; // [out 32][in 32]
    const s = weightExponent(w, w8, 7);
    expect(s).toBeGreaterThan(0);
    const region = packed.regions[1].offset;
    const { biasWords, tilesOffset } = wordsOf(seg);
    expect(field(packed.bytes, region, 128, base + biasWords, 0, 32)).toBe(s);
    expect(field(packed.bytes, region, 128, base + biasWords, 1, 32)).toBe(0);
    // weight [o=0][i=1]: tile (0, 0) (tiles 16 x 16 = 256 weights = 16 words), element [i=1][o=0] = 16
    const raw = Math.sign(w[1]) * Math.round(Math.abs(w[1]) * 2 ** (7 + s));
    expect(field(packed.bytes, region, 128, base + tilesOffset + 1, 0, 8)).toBe(raw);
    expect(packed.scales).toContainEqual({
      tensor: 'blocks.1.attn.proj.weight',
      shift: s,
      maxShift: 7,
      maxAbs: expect.any(Number),
    });
    expect(scaleSummary(packed.scales)).toMatch(
      /^per-layer weight scales 2\^s of 16 tensors \(stored w·2\^s\): s=0: \d+, s=1: \d+, s=2: \d+; e\.g\./,
    );
  });

  test("qkv as one layer per head: head h's q, k and v rows, the whole tensor's exponent in each", () => {
    const w = ckpt.get('blocks.1.attn.qkv.weight')!.data; // [out 3·32][in 32]: q, k, v of heads 0, 1
    const s = weightExponent(w, w8, 7);
    const D = 32;
    const hd = 16;
    for (const h of [0, 1]) {
      const { base, seg } = segOf(1, 1, `qkv.h${h}`);
      if (seg.kind !== 'linear') throw new Error('qkv.h* is a linear segment');
      expect([seg.in, seg.out]).toEqual([D, 3 * hd]);
      expect(seg.rows).toEqual(qkvHeadRows(D, hd, h));
      // output 16 + 2 of the head (its k, element 2) is tensor row D + h·hd + 2; input 1
      const o = hd + 2;
      const i = 1;
      const { tileWords } = linearWords(D, 3 * hd, seg.tileIn, seg.tileOut, seg.weightFx, seg.biasFx, 128, 7);
      const tile = Math.floor(o / seg.tileOut) * (D / seg.tileIn) + Math.floor(i / seg.tileIn);
      const k = (i % seg.tileIn) * seg.tileOut + (o % seg.tileOut);
      const v = w[(D + h * hd + 2) * D + i];
      const raw = Math.sign(v) * Math.round(Math.abs(v) * 2 ** (7 + s));
      const region = packed.regions[1].offset;
      const { tilesOffset, biasWords } = wordsOf(seg);
      expect(field(packed.bytes, region, 128, base + tilesOffset + tile * tileWords + Math.floor(k / 16), k % 16, 8)).toBe(raw);
      expect(field(packed.bytes, region, 128, base + biasWords, 0, 32)).toBe(s);
    }
    // one scale and one clip entry per tensor, not per head
    expect(packed.scales.filter((x) => x.tensor === 'blocks.1.attn.qkv.weight')).toHaveLength(1);
  });

  test("proj as two layers split by the heads they read: the last head's columns apart, with the bias", () => {
    const w = ckpt.get('blocks.1.attn.proj.weight')!.data; // [out 32][in 32]: in = heads 0, 1 (16 each)
    const bias = ckpt.get('blocks.1.attn.proj.bias')!.data;
    const s = weightExponent(w, w8, 7);
    const D = 32;
    const hd = 16;
    const region = packed.regions[1].offset;
    const fx8 = { width: 8, int: 1 };
    for (const [name, first, withBias] of [
      ['proj.lead', 0, false],
      ['proj.last', hd, true],
    ] as const) {
      const { base, seg } = segOf(1, 1, name);
      if (seg.kind !== 'linear') throw new Error(`${name} is a linear segment`);
      expect([seg.in, seg.out]).toEqual([hd, D]);
      expect(seg.cols).toEqual(Array.from({ length: hd }, (_, c) => first + c));
      // input 3 of the part (tensor column first + 3), output 5: tile (0, 0), element [3][5]
      const { tileWords, tilesOffset, biasWords } = linearWords(hd, D, seg.tileIn, seg.tileOut, fx8, seg.biasFx, 128, 7);
      expect(tileWords).toBeGreaterThan(0);
      const k = 3 * seg.tileOut + 5;
      const v = w[5 * D + first + 3];
      const raw = Math.sign(v) * Math.round(Math.abs(v) * 2 ** (7 + s));
      expect(field(packed.bytes, region, 128, base + tilesOffset + Math.floor(k / 16), k % 16, 8)).toBe(raw);
      // the biases first (16-bit, 8 a word): the last part has proj's, the first zeros; the scale word after them
      const b5 = field(packed.bytes, region, 128, base, 5, 16);
      expect(b5).toBe(withBias ? Math.round(bias[5] * 2 ** 11) : 0);
      expect(field(packed.bytes, region, 128, base + biasWords, 0, 32)).toBe(s);
    }
    expect(packed.scales.filter((x) => x.tensor === 'blocks.1.attn.proj.weight')).toHaveLength(1);
  });

  test('a gate: one exponent per task in the word after its (zero) biases; the patch projection has none', () => {
    const { base, seg } = segOf(2, 1, 'gate.1');
    expect(seg.kind === 'linear' && seg.maxShift).toBe(7); // as every linear layer on the engine
    const g = ckpt.get('blocks.1.mlp.gate.1.w_gate')!.data;
    expect(field(packed.bytes, packed.regions[2].offset, 128, base + wordsOf(seg).biasWords, 0, 32)).toBe(
      weightExponent(g, w8, 7),
    );
    const pe = segOf(0, -1, 'proj').seg;
    expect(pe.kind === 'linear' && pe.maxShift).toBe(0);
    expect(packed.scales.some((t) => t.tensor.startsWith('patch_embed'))).toBe(false);
    // W16A32 has no scale words and no scales
    const w16 = testDesign('micro', 'zcu102');
    expect(packWeights(w16, ckpt).scales).toEqual([]);
    expect(scaleSummary([])).toBeNull();
  });

  test('a layer that saturates at s = 0 keeps s = 0 and is reported against the unscaled limit', () => {
    const bad = new Map(ckpt);
    const t = ckpt.get('blocks.0.attn.qkv.weight')!;
    const data = Float32Array.from(t.data);
    data[3] = 5;
    bad.set('blocks.0.attn.qkv.weight', { shape: t.shape, data });
    const p = packWeights(design, bad);
    expect(p.scales.find((x) => x.tensor === 'blocks.0.attn.qkv.weight')).toMatchObject({
      shift: 0,
      maxAbs: 5,
    });
    expect(p.clipped.tensors).toContainEqual(
      expect.objectContaining({ tensor: 'blocks.0.attn.qkv.weight', clipped: 1, maxAbs: 5, limit: 1 }),
    );
  });
});
