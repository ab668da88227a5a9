import { describe, expect, test } from '@jest/globals';
import { axiBundles, templateContext, validate } from '../../src/kernels/cpp/patch_embed.js';
import { loadModel, modelDims } from '../../src/model/config.js';
import { PRECISIONS } from '../../src/design/design.js';
import { loadBoard } from '../../src/board/load.js';
import { resources } from '../../src/kernels/patch_embed.js';

const model = loadModel('m3vit-tiny');
const dims = modelDims(model);
const shared = { clockMhz: 200, axiWidthBits: 256, streamDepth: 64, precision: PRECISIONS.w16a32 };

describe('patch_embed validation', () => {
  test('tiles must divide what they tile; errors name the parameter', () => {
    expect(() => validate({ tile_in: 16, tile_out: 16 }, dims)).not.toThrow();
    expect(() => validate({ tile_in: 10, tile_out: 16 }, dims)).toThrow(
      'kernels.patch_embed.tile_in: 10 must divide the patch inputs C·P·P 768',
    );
    expect(() => validate({ tile_in: 16, tile_out: 7 }, dims)).toThrow(
      'kernels.patch_embed.tile_out: 7 must divide embed_dim 192',
    );
  });

  test('context: the projection is one linear layer over C·P·P inputs; weight offsets follow the layout', () => {
    const ctx = templateContext({ tile_in: 16, tile_out: 16 }, dims, shared, model);
    const eng = ctx.structs.find((s) => s.name === 'pe_engine_cfg')!;
    const lin = ctx.structs.find((s) => s.name === 'pe_linear_layer')!;
    const e = (n: string) => eng.consts.find((c) => c.name === n)!.value;
    const v = (n: string) => lin.consts.find((c) => c.name === n)!.value;
    expect([v('IN'), v('OUT'), v('IN_TILES'), v('OUT_TILES')]).toEqual([768, 192, 48, 12]);
    // the pass drains into R (the patch rows, which start as pos_embed rows 1..): B is a stub
    expect([e('S_DIM'), e('B_DIM'), e('R_DIM'), e('HAS_R'), e('TILE_IN'), e('TILE_OUT'), e('LANES')]).toEqual(
      [768, 1, 192, true, 16, 16, 1],
    );
    expect(e('MAX_ROWS')).toBe(128);
    // gather_patches: 256-bit words of 8 pixels, one patch's 8 columns a cycle into 16 banks
    const px = ctx.structs.find((s) => s.name === 'pe_pixels_cfg')!;
    const g = (n: string) => px.consts.find((c) => c.name === n)!.value;
    expect([g('ACTS_PER_WORD'), g('WRITE_LANES'), g('CHUNKS')]).toEqual([8, 8, 1]);
    expect(ctx.values.partitions).toEqual([
      { name: 'patches', dim: 2, factor: 16 },
      { name: 'body', dim: 2, factor: 16 },
      { name: 'head', dim: 2, factor: 8 },
    ]);
    expect(e('TILE_WORDS')).toBe(16);
    // 192 16-bit biases = 12 words of 256 bits first; then 16x16 16-bit weights = 16 words per tile, 48 x 12 tiles
    expect(v('TILES_OFFSET')).toBe(12);
    expect(v('WORDS')).toBe(12 + 48 * 12 * 16);
    const pe = ctx.structs.find((s) => s.name === 'pe_cfg')!;
    const off = (n: string) => pe.consts.find((c) => c.name === n)!.value;
    expect(off('CLS_OFFSET')).toBe(48 * 12 * 16 + 12);
    expect(off('POS_OFFSET')).toBe(48 * 12 * 16 + 12 + 24); // cls: 192 x 32 bits = 24 words
    expect(ctx.weights.words).toBe(48 * 12 * 16 + 12 + 24 + 129 * 24);
  });

  test('URAM: the template binds exactly the arrays the model prices as URAM (issue 13 item 8)', () => {
    const p = { tile_in: 16, tile_out: 16 };
    // u280 has URAM: the 128 × 768 × 32-bit pixel buffer (3.1 Mbit) goes there; the 0.79 Mbit
    // patch rows and the small rows stay in BRAM / LUTRAM
    const u280 = loadBoard('u280');
    expect(templateContext(p, dims, shared, model, u280).values.uram).toEqual(['patches']);
    expect(resources(p, dims, shared, u280).uram).toBeGreaterThan(0);
    // zcu102 has none: nothing bound, nothing priced
    const zcu = loadBoard('zcu102');
    expect(templateContext(p, dims, shared, model, zcu).values.uram).toEqual([]);
    expect(resources(p, dims, shared, zcu).uram).toBe(0);
  });

  test('AXI bundles', () => {
    expect(axiBundles()).toEqual([
      { name: 'gmem_act', args: ['pixels', 'tokens_out'], role: 'activations' },
      { name: 'gmem_w', args: ['weights'], role: 'weights' },
    ]);
  });
});
