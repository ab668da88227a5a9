import { describe, expect, test } from '@jest/globals';
import { loadModel, modelDims } from '../../src/model/config.js';
import { checkpointSpec, encodeCheckpoint, synthCheckpoint } from '../../src/model/checkpoint.js';
import { forwardImages } from '../../src/model/reference.js';
import { Rng } from '../../src/model/prng.js';

const micro = loadModel('micro');
const std = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;

describe('synthetic checkpoints', () => {
  test('same seed -> same bytes; a different seed -> different bytes', () => {
    const a = encodeCheckpoint(synthCheckpoint(micro, 42));
    const b = encodeCheckpoint(synthCheckpoint(micro, 42));
    const c = encodeCheckpoint(synthCheckpoint(micro, 43));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(a.length).toBe(c.length);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
    // seeds above 2^32 are distinct too
    const d = synthCheckpoint(micro, 2 ** 32 + 42).get('pos_embed')!.data;
    expect(Array.from(d)).not.toEqual(Array.from(synthCheckpoint(micro, 42).get('pos_embed')!.data));
  });

  test('the PRNG stream is pinned (synthetic files are reproducible across versions)', () => {
    const r = new Rng(1);
    expect([r.nextU32(), r.nextU32(), r.nextU32()]).toEqual([1445082595, 3688943618, 2160875214]);
    expect(Array.from(synthCheckpoint(micro, 7).get('cls_token')!.data.subarray(0, 4))).toEqual([
      0.26449593901634216, -0.1574508100748062, -0.6086174845695496, -0.05806853249669075,
    ]);
  });

  test('every tensor of the spec, trained-like scales', () => {
    const tiny = loadModel('m3vit-tiny');
    const ck = synthCheckpoint(tiny, 1);
    expect([...ck.keys()]).toEqual(checkpointSpec(tiny).map((s) => s.name));
    const g = (n: string) => ck.get(n)!.data;
    expect(std(g('blocks.0.attn.qkv.weight'))).toBeCloseTo(1 / Math.sqrt(192), 2);
    expect(std(g('patch_embed.proj.weight'))).toBeCloseTo(1 / Math.sqrt(768), 2);
    expect(std(g('blocks.1.mlp.experts.htoh4.weight'))).toBeCloseTo(1 / Math.sqrt(192), 2);
    expect(mean(g('blocks.0.norm1.weight'))).toBeCloseTo(1, 1);
    let maxAbs = 0;
    for (const t of ck.values())
      for (const v of t.data) if (v > maxAbs || -v > maxAbs) maxAbs = v < 0 ? -v : v; // (no Math.* in hot test loops: slow under jest's vm)
    expect(maxAbs).toBeLessThan(2); // fits ap_fixed<16,2>
  });

  test('m3vit-tiny: residual stream stays small, routing spread over all experts, no near-ties', () => {
    const tiny = loadModel('m3vit-tiny');
    const d = modelDims(tiny);
    const ck = synthCheckpoint(tiny, 1);
    const rng = new Rng(99);
    const images = Float32Array.from({ length: 3 * 128 * 256 }, () => rng.normal());
    const r = forwardImages(ck, tiny, images, 1, { collect: true, task: 1 });
    let maxAbs = 0;
    for (const b of r.intermediates!.blocks) for (const v of b.out) maxAbs = Math.max(maxAbs, Math.abs(v));
    expect(maxAbs).toBeLessThan(30);
    const uses = new Array(d.experts).fill(0);
    for (const e of r.experts) uses[e]++;
    expect(Math.min(...uses)).toBeGreaterThan(0.2 * (r.experts.length / d.experts));
    // k-th vs (k+1)-th gate logit: below 1e-3 for at most 0.5% of the tokens
    let near = 0;
    let total = 0;
    for (const b of r.intermediates!.blocks) {
      if (!b.gate) continue;
      for (let n = 0; n < d.numTokens; n++) {
        const logp = Array.from(b.gate.subarray(n * d.experts, (n + 1) * d.experts), Math.log).sort(
          (x, y) => y - x,
        );
        if (logp[d.topK - 1] - logp[d.topK] < 1e-3) near++;
        total++;
      }
    }
    expect(near / total).toBeLessThan(0.005);
  });
});
