import { describe, expect, test } from '@jest/globals';
import { axiBundles, templateContext, validate, weightLayout } from '../../src/kernels/cpp/ffn_block.js';
import { loadModel, modelDims, validateModel } from '../../src/model/config.js';
import { PRECISIONS } from '../../src/design/design.js';

const model = loadModel('m3vit-tiny');
const dims = modelDims(model);
const shared = { clockMhz: 200, axiWidthBits: 256, streamDepth: 64, precision: PRECISIONS.w16a32 };
const ok = { tile_in: 16, tile_out: 16, token_lanes: 3 };

describe('ffn_block validation', () => {
  test.each([
    [{ tile_in: 10 }, 'kernels.ffn_block.tile_in: 10 must divide embed_dim 192'],
    [{ tile_out: 128 }, 'kernels.ffn_block.tile_out: 128 must divide embed_dim 192'],
    [{ token_lanes: 200 }, 'kernels.ffn_block.token_lanes: 200 must be <= the token count 129'],
    [{ tile_in: 64, tile_out: 64, token_lanes: 5 }, null],
  ])('%j', (patch, message) => {
    const run = () => validate({ ...ok, ...patch }, dims);
    if (message) expect(run).toThrow(message);
    else expect(run).not.toThrow();
  });

  test('expert and MLP hidden sizes are checked', () => {
    const odd = modelDims(
      validateModel({ ...model, embed_dim: 48, num_heads: 3, moe_mlp_ratio: 1.5 }, 'model'),
    );
    expect(() => validate({ ...ok, tile_in: 16 }, odd)).toThrow(
      'kernels.ffn_block.tile_in: 16 must divide the expert hidden size 72',
    );
    expect(() => validate({ ...ok, tile_in: 8, tile_out: 16 }, odd)).toThrow(
      'kernels.ffn_block.tile_out: 16 must divide the expert hidden size 72',
    );
    const mlp = modelDims(
      validateModel({ ...model, embed_dim: 48, num_heads: 3, mlp_ratio: 2.5, moe_mlp_ratio: 1 }, 'model'),
    );
    expect(() => validate({ ...ok, tile_in: 16 }, mlp)).toThrow(
      'kernels.ffn_block.tile_in: 16 must divide the MLP hidden size 120',
    );
  });

  test('a dense model only checks the MLP hidden size', () => {
    const dense = modelDims(loadModel('vit-tiny'));
    expect(() => validate({ ...ok, tile_in: 24 }, dense)).not.toThrow(); // 24 divides 192 and 768
    expect(() => validate({ ...ok, tile_in: 40 }, dense)).toThrow(
      'kernels.ffn_block.tile_in: 40 must divide embed_dim 192',
    );
  });

  test('layout: dense and MoE blocks, gates per task, experts back to back, final norm last', () => {
    const w = weightLayout(ok, dims, shared, model);
    const dense = w.blocks[0].segments.map((s) => s.name);
    const moe = w.blocks[1].segments.map((s) => s.name);
    expect(dense).toEqual(['norm2.weight', 'norm2.bias', 'fc1', 'fc2']);
    expect(moe.slice(0, 6)).toEqual([
      'norm2.weight',
      'norm2.bias',
      'gate.0',
      'gate.1',
      'expert.0.fc1',
      'expert.0.fc2',
    ]);
    expect(moe.length).toBe(4 + 2 * 16);
    const gate = w.blocks[1].segments.find((s) => s.name === 'gate.1')!;
    // a linear layer on the engine: w_gate [D, E] transposed, E = 16 padded to whole output tiles, no biases
    expect(gate.kind === 'linear' && gate.transposed && gate.in === 192 && gate.used === 16).toBe(true);
    if (gate.kind === 'linear') {
      expect(gate.out).toBe(Math.ceil(16 / ok.tile_out) * ok.tile_out);
      expect(gate.weight.name).toBe('blocks.1.mlp.gate.1.w_gate');
      expect(gate.bias).toBeNull();
    }
    const withNorm = validateModel({ ...model, final_norm: true }, 'model');
    const last = weightLayout(ok, dims, shared, withNorm).blocks[11].segments.map((s) => s.name);
    expect(last.slice(-2)).toEqual(['norm.weight', 'norm.bias']);
  });

  test('context: MoE offsets and per-block tables', () => {
    const ctx = templateContext(ok, dims, shared, model);
    const ffn = ctx.structs.find((s) => s.name === 'ffn_cfg')!;
    const v = (n: string) => ffn.consts.find((c) => c.name === n)!.value;
    expect([v('EXPERTS'), v('TOP_K'), v('TASKS'), v('MOE_BLOCKS'), v('HAS_DENSE'), v('HAS_MOE')]).toEqual([
      16,
      2,
      2,
      6,
      true,
      true,
    ]);
    expect(ctx.values.moeIndex).toEqual([-1, 0, -1, 1, -1, 2, -1, 3, -1, 4, -1, 5]);
    const moeBlock = ctx.weights.blocks[1];
    const e1 = moeBlock.segments.find((s) => s.name === 'expert.1.fc1')!.offset;
    const e0 = moeBlock.segments.find((s) => s.name === 'expert.0.fc1')!.offset;
    expect(e1 - e0).toBe(v('EXPERT_WORDS'));
  });

  test('AXI bundles', () => {
    expect(axiBundles().map((b) => [b.name, b.args])).toEqual([
      ['gmem_act', ['x_in', 'x_out', 'routing_out']],
      ['gmem_w', ['weights']],
    ]);
  });
});
