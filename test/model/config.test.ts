import { describe, expect, test } from '@jest/globals';
import { loadModel, modelDims, validateModel } from '../../src/model/config.js';

const base = () => ({ ...(loadModel('micro') as Record<string, unknown>) });

describe('model config', () => {
  test('presets resolve with MODEL.md dimensions', () => {
    const t = modelDims(loadModel('m3vit-tiny'));
    expect([t.D, t.depth, t.heads, t.experts, t.topK, t.expertHidden, t.numTokens, t.tasks]).toEqual([
      192, 12, 3, 16, 2, 384, 129, 2,
    ]);
    expect(t.moeBlocks.filter(Boolean).length).toBe(6);
    expect(t.moeBlocks[1]).toBe(true);
    expect(t.moeBlocks[0]).toBe(false);
    expect(modelDims(loadModel('m3vit-small')).numTokens).toBe(197);
    expect(modelDims(loadModel('vit-tiny')).moeBlocks.some(Boolean)).toBe(false);
    expect(modelDims(loadModel('micro')).numTokens).toBe(17);
  });

  test.each([
    [{ num_heads: 5 }, /num_heads: embed_dim 32 must be divisible by num_heads 5/],
    [{ img_h: 30 }, /img_h: img_h 30 must be divisible by patch_size 8/],
    [{ img_w: 31 }, /img_w: img_w 31 must be divisible/],
    [{ top_k: 5 }, /top_k: top_k 5 must be <= num_experts 4/],
    [{ depth: 0 }, /depth: must be a positive integer/],
    [{ embed_dim: 2.5 }, /embed_dim: must be an integer/],
    [{ colour: 1 }, /unknown key\(s\) 'colour'/],
    [{ mean: [0, 0] }, /mean: must have in_chans = 3 entries/],
    [{ top_k: undefined }, /top_k: required when num_experts > 0/],
    [{ num_experts: 0 }, /top_k: only allowed when num_experts > 0/],
    [{ mlp_ratio: 0.3 }, /mlp_ratio: embed_dim × mlp_ratio = 9.6 must be an integer/],
  ])('rejects %o', (patch, re) => {
    expect(() => validateModel({ ...base(), ...patch }, 'model x')).toThrow(re);
  });

  test('unknown preset names the presets', () => {
    expect(() => loadModel('huge')).toThrow(
      /unknown model 'huge' \(presets: m3vit-small, m3vit-tiny, micro, vit-tiny/,
    );
  });
});
