/**
 * The reference model's kernels (src/model/kernels.ts): each WebAssembly kernel gives the same bits
 * as its JS twin and as ops.ts, on shapes that exercise every remainder path; the engine keeps a
 * checkpoint's packed weights resident and repacks when a tensor changes.
 */
import { describe, expect, test } from '@jest/globals';
import { loadModel } from '../../src/model/config.js';
import { synthCheckpoint } from '../../src/model/synth.js';
import type { Checkpoint } from '../../src/model/tensor.js';
import { Rng } from '../../src/model/prng.js';
import { ERF_COEFFS, jsKernels, kernelsOver, packPanels, type Kernels } from '../../src/model/kernels.js';
import { Engine, engine, withEngine } from '../../src/model/engine.js';
import { forwardImages, forwardTokens, gelu, linear, softmax } from '../../src/model/reference.js';

const same = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));

function randn(n: number, seed: number, scale = 1): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => scale * r.normal());
}

/** A memory with both kernel sets over it. */
function setup(pages = 64) {
  const memory = new WebAssembly.Memory({ initial: pages });
  return {
    memory,
    wasm: kernelsOver(memory),
    js: jsKernels(memory),
    f32: () => new Float32Array(memory.buffer),
  };
}

test('the WebAssembly SIMD kernels are the ones in use (Node ≥ 20 has WebAssembly SIMD)', () => {
  expect(process.env.UBIMOE_NO_WASM).toBeUndefined();
  expect(setup(1).wasm.simd).toBe(true);
  expect(engine().k.simd).toBe(true);
});

describe('gemm', () => {
  test.each([
    [1, 1, 1, true],
    [3, 5, 7, true],
    [4, 8, 4, false],
    [5, 3, 6, true],
    [9, 17, 13, false],
    [17, 32, 96, true],
    [129, 64, 129, false],
  ])(
    'rows %i, in %i, out %i, bias %s: wasm = JS twin = ops.ts linear, bit for bit',
    (rows, inDim, outDim, bias) => {
      const { wasm, js, f32 } = setup();
      const x = randn(rows * inDim, 1);
      const W = randn(outDim * inDim, 2);
      const b = randn(outDim, 3);
      const want = linear(x, rows, inDim, W, outDim, bias ? b : null, new Float32Array(rows * outDim));
      // x with row stride inDim + 3, y with row stride outDim + 2 (the neighbours must stay untouched)
      const ldx = inDim + 3;
      const ldy = outDim + 2;
      const [X, WP, B, Y, XT] = [1024, 1 << 16, 3 << 16, 4 << 16, 6 << 16];
      const outPad = (outDim + 3) & ~3;
      for (const k of [wasm, js]) {
        const m = f32();
        for (let r = 0; r < rows; r++) m.set(x.subarray(r * inDim, (r + 1) * inDim), X / 4 + r * ldx);
        packPanels(m, WP / 4, W, 0, outDim, inDim);
        new Float64Array(m.buffer, B, outPad).fill(0).set(b);
        m.fill(-7, Y / 4, Y / 4 + rows * ldy);
        k.gemm(X, ldx, WP, 16, inDim * 16, bias ? B : 0, Y, ldy, rows, inDim, outDim, XT);
        const got = new Float32Array(rows * outDim);
        for (let r = 0; r < rows; r++) {
          got.set(m.subarray(Y / 4 + r * ldy, Y / 4 + r * ldy + outDim), r * outDim);
          expect(Array.from(m.subarray(Y / 4 + r * ldy + outDim, Y / 4 + (r + 1) * ldy))).toEqual([-7, -7]);
        }
        expect(same(got, want)).toBe(true);
      }
    },
  );

  test('weights read in place (A·v: panel stride 16 bytes, input stride a row)', () => {
    const { wasm, js, f32 } = setup();
    const [rows, inDim, outDim, ldv] = [7, 9, 6, 11]; // v is [inDim rows, ldv columns], outputs its first 6
    const x = randn(rows * inDim, 4);
    const v = randn(inDim * ldv, 5);
    const vT = new Float32Array(outDim * inDim);
    for (let o = 0; o < outDim; o++) for (let i = 0; i < inDim; i++) vT[o * inDim + i] = v[i * ldv + o];
    const want = linear(x, rows, inDim, vT, outDim, null, new Float32Array(rows * outDim));
    for (const k of [wasm, js]) {
      const m = f32();
      m.set(x, 256);
      m.set(v, 4096);
      k.gemm(1024, inDim, 4096 * 4, ldv * 4, 16, 0, 8192 * 4, outDim, rows, inDim, outDim, 16384 * 4);
      expect(same(m.subarray(8192, 8192 + rows * outDim), want)).toBe(true);
    }
  });

  test('pack (wasm) = pack (JS) = packPanels', () => {
    const { wasm, js, f32 } = setup();
    const [outDim, inDim, ld] = [10, 7, 12];
    const a = randn(outDim * ld, 6);
    const dense = new Float32Array(outDim * inDim);
    for (let o = 0; o < outDim; o++) dense.set(a.subarray(o * ld, o * ld + inDim), o * inDim);
    const want = new Float32Array(12 * inDim);
    packPanels(want, 0, dense, 0, outDim, inDim);
    const transposed = new Float32Array(inDim * outDim);
    for (let o = 0; o < outDim; o++)
      for (let i = 0; i < inDim; i++) transposed[i * outDim + o] = dense[o * inDim + i];
    const t = new Float32Array(12 * inDim);
    packPanels(t, 0, transposed, 0, outDim, inDim, true);
    expect(same(t, want)).toBe(true);
    for (const k of [wasm, js]) {
      const m = f32();
      m.set(a, 0);
      m.fill(0, 4096, 4096 + 12 * inDim);
      k.pack(0, ld, outDim, inDim, 4096 * 4);
      expect(same(m.subarray(4096, 4096 + 12 * inDim), want)).toBe(true);
    }
  });
});

describe('element-wise kernels', () => {
  const edges = [
    0,
    -0,
    1,
    -1,
    0.5,
    1e-40,
    -1e-40,
    3.4e38,
    -3.4e38,
    8.48,
    8.49,
    -8.48,
    -8.49,
    100,
    -100,
    Infinity,
    -Infinity,
    NaN,
  ];

  test('gelu = ops.ts gelu (random values, edges, odd lengths)', () => {
    const { wasm, js, f32 } = setup();
    const m = f32();
    new Float64Array(m.buffer, 64, ERF_COEFFS.length).set(ERF_COEFFS);
    const values = Float32Array.from([...edges, ...randn(20001, 7, 3)]);
    const want = values.map((v) => gelu(v));
    for (const k of [wasm, js])
      for (const n of [values.length, 3, 1]) {
        m.set(values, 4096);
        k.gelu(4096 * 4, n, 64);
        expect(same(m.subarray(4096, 4096 + n), want.subarray(0, n))).toBe(true);
      }
  });

  test('exp = Math.exp (the fdlibm transcription, every branch)', () => {
    const { wasm } = setup(1);
    const xs = [
      0,
      -0,
      1,
      -1,
      0.5,
      0.3465,
      0.35,
      1.0397,
      1.04,
      2 ** -29,
      -(2 ** -29),
      1e-300,
      709.7,
      709.79,
      710,
      -708.4,
      -709,
      -745.1,
      -745.2,
      Infinity,
      -Infinity,
      NaN,
    ];
    const r = new Rng(8);
    for (let i = 0; i < 200000; i++)
      xs.push((r.uniform() - 0.5) * 60, -r.uniform() * 20, (r.uniform() - 0.5) * 1500);
    const bad = xs.filter((x) => !Object.is(wasm.exp(x), Math.exp(x)));
    expect(bad).toEqual([]);
  });

  test('softmax rows = ops.ts softmax of the scaled row', () => {
    const { wasm, js, f32 } = setup();
    const [rows, n, scale] = [5, 37, 0.125];
    const s = randn(rows * n, 9, 4);
    const want = new Float32Array(rows * n);
    const row = new Float64Array(n);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < n; j++) row[j] = s[r * n + j] * scale;
      softmax(row, want, n, 0, r * n);
    }
    for (const k of [wasm, js] as Kernels[]) {
      const m = f32();
      m.set(s, 1024);
      k.softmax(1024 * 4, 8192 * 4, rows, n, scale, 16384 * 4);
      expect(same(m.subarray(8192, 8192 + rows * n), want)).toBe(true);
    }
  });

  test('add = float32 addition', () => {
    const { wasm, js, f32 } = setup();
    const a = randn(1001, 10);
    const b = randn(1001, 11, 1e-3);
    const want = a.map((v, i) => v + b[i]);
    for (const k of [wasm, js])
      for (const n of [1001, 4, 3]) {
        const m = f32();
        m.set(a, 0);
        m.set(b, 4096);
        k.add(0, 4096 * 4, n);
        expect(same(m.subarray(0, n), want.subarray(0, n))).toBe(true);
      }
  });
});

describe('the engine', () => {
  const micro = loadModel('micro');
  const images = randn(2 * 3 * 32 * 32, 12);

  test('forward on the SIMD kernels = forward on the JS twins, bit for bit (micro, tiny-shaped e16 model)', () => {
    const e16 = { ...micro, name: 'micro-e16', num_experts: 16, num_heads: 4, embed_dim: 36 };
    for (const cfg of [micro, e16]) {
      const ck = synthCheckpoint(cfg, 3);
      const opts = { task: 1, margins: true, collect: true };
      const a = forwardImages(ck, cfg, images, 2, opts);
      const b = withEngine(new Engine(true), () => forwardImages(ck, cfg, images, 2, opts));
      expect(same(a.tokens, b.tokens)).toBe(true);
      expect(same(a.experts, b.experts)).toBe(true);
      expect(same(a.gateProbs, b.gateProbs)).toBe(true);
      expect(same(a.gateMargins!.relative, b.gateMargins!.relative)).toBe(true);
      expect(same(a.intermediates!.blocks[1].norm2, b.intermediates!.blocks[1].norm2)).toBe(true);
    }
  });

  test('packs a checkpoint once; a new checkpoint or a replaced tensor is packed again', () => {
    const e = new Engine();
    const ck = synthCheckpoint(micro, 4);
    const run = (c: Checkpoint) => withEngine(e, () => forwardImages(c, micro, images, 2, { task: 0 }));
    const first = run(ck);
    run(ck);
    withEngine(e, () => forwardTokens(ck, micro, first.tokens, 2));
    expect(e.packs).toBe(1);
    // the same values in a new Map: packed again, same result
    const copy: Checkpoint = new Map(ck);
    expect(same(run(copy).tokens, first.tokens)).toBe(true);
    expect(e.packs).toBe(2);
    // one tensor replaced (new array) in that Map: packed again, a different result
    const t = copy.get('blocks.1.mlp.experts.h4toh.bias')!;
    copy.set('blocks.1.mlp.experts.h4toh.bias', { shape: t.shape, data: t.data.map((v) => v + 1) });
    expect(same(run(copy).tokens, first.tokens)).toBe(false);
    expect(e.packs).toBe(3);
    // back to the first checkpoint: packed again, the first result
    expect(same(run(ck).tokens, first.tokens)).toBe(true);
    expect(e.packs).toBe(4);
  });
});
