import { describe, expect, test } from '@jest/globals';
import { axiBundles, templateContext, validate } from '../../src/kernels/cpp/msa_block.js';
import { loadModel, modelDims } from '../../src/model/config.js';
import { PRECISIONS } from '../../src/design/design.js';

const model = loadModel('m3vit-tiny');
const dims = modelDims(model);
const shared = { clockMhz: 200, axiWidthBits: 256, streamDepth: 64, precision: PRECISIONS.w16a32 };
const ok = { tile_in: 16, tile_out: 16, token_lanes: 3, q_parallel: 4, key_block: 8 };

describe('msa_block validation', () => {
  test.each([
    [{ tile_in: 32 }, null],
    [{ tile_in: 10 }, 'kernels.msa_block.tile_in: 10 must divide embed_dim 192'],
    // proj's passes split o's columns by head: 24 divides 192, not the head dim 64
    [{ tile_in: 24 }, 'kernels.msa_block.tile_in: 24 must divide the head dim 64'],
    [{ tile_out: 40 }, 'kernels.msa_block.tile_out: 40 must divide embed_dim 192'],
    [{ token_lanes: 130 }, 'kernels.msa_block.token_lanes: 130 must be <= the token count 129'],
    [{ q_parallel: 200 }, 'kernels.msa_block.q_parallel: 200 must be <= the token count 129'],
    [{ key_block: 500 }, 'kernels.msa_block.key_block: 500 must be <= the token count 129'],
    // remainders are the kernel's job: 129 tokens in groups of 4 or blocks of 7 are fine
    [{ q_parallel: 4, key_block: 7, token_lanes: 2 }, null],
  ])('%j', (patch, message) => {
    const run = () => validate({ ...ok, ...patch }, dims);
    if (message) expect(run).toThrow(message);
    else expect(run).not.toThrow();
  });

  test('context: attention and linear structs carry the parameters; blocks are laid out back to back', () => {
    const ctx = templateContext(ok, dims, shared, model);
    const attn = ctx.structs.find((s) => s.name === 'msa_attn_cfg')!;
    const a = (n: string) => attn.consts.find((c) => c.name === n)!.value;
    expect([a('TOKENS'), a('HEADS'), a('HEAD_DIM'), a('Q_PAR'), a('KEY_BLOCK')]).toEqual([129, 3, 64, 4, 8]);
    expect(a('SCALE_RAW')).toBe(2 ** 23 / 8); // 64^-0.5 = 1/8 with 23 fractional bits
    const offsets = ctx.values.blockOffsets as number[];
    expect(offsets.length).toBe(12);
    expect(offsets[1] - offsets[0]).toBe(ctx.weights.blocks[0].words);
    expect(ctx.weights.words).toBe(12 * ctx.weights.blocks[0].words);
  });

  test('AXI bundles', () => {
    expect(axiBundles().map((b) => [b.name, b.args])).toEqual([
      ['gmem_act', ['x_in', 'x_out']],
      ['gmem_w', ['weights']],
    ]);
  });
});
