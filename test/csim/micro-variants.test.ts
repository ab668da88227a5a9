/**
 * Model variants the kernels must also get right: the final LayerNorm, one task (un-numbered
 * gate names), every block MoE with top-1, one attention head (proj in one pass), 16 experts over
 * 7 lanes (over six checkpoints), a dense model fed with tokens instead of images. Each bound is about 2× the error measured when it was
 * set (docs/csim.md "Bounds": loosen one only with a written reason there).
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { rmSync } from 'node:fs';
import { loadModel } from '../../src/model/config.js';
import { testDesign } from '../generate/helpers.js';
import {
  accuracy,
  marginAgreement,
  prepare,
  scratch,
  summary,
  violations,
  withSeed,
  type ErrorBounds,
} from './harness.js';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
const micro = loadModel('micro') as unknown as Record<string, unknown>;

describe('margin-aware expert agreement (harness)', () => {
  test('compares only choices above the margin and not after a near-tie flip in the same image', () => {
    // 2 images × 2 MoE blocks (model blocks 1 and 3) × 3 tokens, top-2; threshold 1e-3
    const ref = Int32Array.from([
      0, 1, 2, 3, 0, 2, /* */ 1, 2, 0, 3, 1, 3, /* */ 0, 1, 0, 1, 0, 1, /* */ 2, 3, 2, 3, 2, 3,
    ]);
    const sim = Int32Array.from([
      0, 1, 2, 0, 0, 2, /* */ 1, 3, 3, 0, 1, 2, /* */ 0, 2, 1, 0, 0, 1, /* */ 2, 3, 2, 1, 2, 3,
    ]);
    const relative = Float32Array.from([
      0.5,
      1e-5,
      1e-5,
      /* */ 0.5,
      0.3,
      0.3,
      /* */ 0.5,
      0.3,
      0.3,
      /* */ 0.3,
      1e-5,
      NaN,
    ]);
    const r = marginAgreement(
      sim,
      ref,
      { prob: relative, logit: relative, relative },
      { batch: 2, blocks: [1, 3], tokens: 3, topK: 2 },
      1e-3,
    );
    // image 0: block 1 token 1 flips at a near tie (excused), so all of block 3 is after it (one
    // more flip there, not judged); image 1: block 1 token 0 flips at margin 0.5 (a failure), token 1
    // holds the same experts in another order (agrees); block 3 token 1 flips at a near tie; NaN is a near tie
    expect(r).toMatchObject({ groups: 12, shadowed: 3, later: 2, excused: 2, nearTies: 4, compared: 5 });
    expect(r.agreement).toBeCloseTo(4 / 5, 12);
    expect(r.failures).toEqual([{ image: 1, block: 1, token: 0, margin: 0.5 }]);
    expect(r.firstFlips.map((f) => [f.image, f.block, f.token])).toEqual([
      [0, 1, 1],
      [1, 1, 0],
      [1, 3, 1],
    ]);
  });
});

describe('micro variants', () => {
  test('final norm, one task, every block MoE with top-1', async () => {
    const model = { ...micro, name: 'micro-moe1', final_norm: true, tasks: 1, moe_every: 1, top_k: 1 };
    const design = testDesign(model, 'u280', {
      msa_block: { q_parallel: 3, key_block: 4 },
      ffn_block: { token_lanes: 2 },
    });
    const root = scratch();
    roots.push(root);
    const c = await prepare(design, root);
    expect(c.lint).toBe('');
    const a = await accuracy(design, c, { batch: 2, task: 0 });
    process.stdout.write(summary('micro-moe1', a));
    // measured: 1-cos median 6.87e-8, 1-cos min 1.38e-7, rel L2 0.0397%, max abs 1.64e-3, experts
    // 100% raw (68 groups), 100% of 68 compared (margin > 2e-4)
    const bounds: ErrorBounds = {
      cosMedian: 1.4e-7,
      cosMin: 2.8e-7,
      relL2: 8e-4,
      maxAbs: 3.3e-3,
      rawExperts: 0,
    };
    expect(violations(a, bounds)).toEqual([]);
  });

  test("one head: the attention's only head in the region's second call, no proj pass beside it, proj whole after it", async () => {
    const model = { ...micro, name: 'micro-1head', num_heads: 1 };
    const design = testDesign(model, 'u280', { msa_block: { q_parallel: 4, key_block: 8 } });
    const root = scratch();
    roots.push(root);
    const c = await prepare(design, root);
    expect(c.lint).toBe('');
    const a = await accuracy(design, c, { batch: 2, task: 0 });
    process.stdout.write(summary('micro-1head', a));
    // measured: 1-cos median 5.64e-8, 1-cos min 1.21e-7, rel L2 0.0351%, max abs 1.39e-3, experts
    // 100% raw, 100% of 34 compared
    const bounds: ErrorBounds = { cosMedian: 1.2e-7, cosMin: 2.4e-7, relL2: 7e-4, maxAbs: 2.8e-3, rawExperts: 0 };
    expect(violations(a, bounds)).toEqual([]);
  });

  test('the engine with more lanes than most experts have tokens (16 experts, 7 lanes, padded token groups), checkpoints 1..6', async () => {
    // 17 tokens × top-2 over 16 experts: about 2 tokens per expert, so most expert passes have
    // fewer rows than lanes and are padded to the minimum token groups; many short passes in a row
    // exercise the reader's prefetch across expert boundaries
    const model = { ...micro, name: 'micro-e16', num_experts: 16 };
    const design = testDesign(model, 'zcu102', {
      msa_block: { token_lanes: 5, q_parallel: 2, key_block: 4 },
      ffn_block: { token_lanes: 7 },
    });
    const root = scratch();
    roots.push(root);
    const c = await prepare(design, root);
    expect(c.lint).toBe('');
    // Every checkpoint seed and task: the expert choices must equal the reference's wherever the
    // gate margin exceeds the W16A32 threshold (harness.ts MARGIN_MIN). A run with a flip at a near
    // tie (measured: seed 1 task 0, one token at relative margin 1.3e-5; its token error is that
    // flip's: rel L2 0.561%, 1-cos min 3.6e-4) is not held to the token bounds, which are 2× the
    // largest over the other 11 runs: 1-cos median 9.9e-8, 1-cos min 2.9e-7, rel L2 0.0457%,
    // max abs 2.09e-3.
    const bounds: ErrorBounds = { cosMedian: 2e-7, cosMin: 5.8e-7, relL2: 9.2e-4, maxAbs: 4.2e-3 };
    const problems: string[] = [];
    let flipFree = 0;
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const cs = seed === 1 ? c : withSeed(design, c, seed);
      for (const task of [0, 1]) {
        const a = await accuracy(design, cs, { batch: 2, task });
        process.stdout.write(summary(`micro-e16 seed ${seed} task ${task}`, a));
        const clean = a.experts!.firstFlips.length === 0;
        if (clean) flipFree++;
        const v = violations(
          a,
          clean ? bounds : { cosMedian: 1, cosMin: 2, relL2: Infinity, maxAbs: Infinity },
        );
        problems.push(...v.map((s) => `seed ${seed} task ${task}: ${s}`));
      }
    }
    expect(problems).toEqual([]);
    expect(flipFree).toBeGreaterThanOrEqual(6); // the token bounds were checked on most runs (measured 11 of 12)
  });

  test('dense model, tokens in', async () => {
    const model = {
      ...micro,
      name: 'micro-dense',
      num_experts: 0,
      top_k: undefined,
      moe_mlp_ratio: undefined,
      moe_every: undefined,
      tasks: 1,
    };
    const design = testDesign(model, 'zcu102', { msa_block: { token_lanes: 1, q_parallel: 2 } });
    const root = scratch();
    roots.push(root);
    const c = await prepare(design, root);
    expect(c.lint).toBe('');
    const a = await accuracy(design, c, { batch: 3, task: 0, tokens: true });
    process.stdout.write(summary('micro-dense', a));
    expect(a.expertAgreement).toBeNull();
    expect(a.experts).toBeNull();
    // measured (3 token sequences): 1-cos median 6.52e-8, 1-cos min 1.16e-7, rel L2 0.0357%, max abs 1.14e-3
    const bounds: ErrorBounds = { cosMedian: 1.3e-7, cosMin: 2.35e-7, relL2: 7.2e-4, maxAbs: 2.3e-3 };
    expect(violations(a, bounds)).toEqual([]);
  });
});
