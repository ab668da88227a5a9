/**
 * forwardBatch (the reference over worker threads) and the reference output cache (refcache.ts),
 * in-process and through `ubimoe reference`.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../../src/model/config.js';
import { synthCheckpoint, writeCheckpoint } from '../../src/model/checkpoint.js';
import type { Checkpoint } from '../../src/model/tensor.js';
import { Rng } from '../../src/model/prng.js';
import { forwardImages, forwardTokens } from '../../src/model/reference.js';
import { closeReferenceWorkers, forwardBatch, referenceWorkerCount } from '../../src/model/parallel.js';
import { cachedReference, referenceCacheDir } from '../../src/model/refcache.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { packageRoot } from '../../src/util/paths.js';

const micro = loadModel('micro');
const ck = synthCheckpoint(micro, 21);
const rng = new Rng(22);
const images = Float32Array.from({ length: 5 * 3 * 32 * 32 }, () => rng.normal());
const same = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ubimoe-refcache-'));
});
afterAll(async () => {
  await closeReferenceWorkers();
  rmSync(tmp, { recursive: true, force: true });
});

describe('forwardBatch over worker threads', () => {
  test('the same bits as one thread, for images and tokens, with margins; progress per image', async () => {
    const want = forwardImages(ck, micro, images, 5, { task: 1, margins: true });
    const ticks: number[] = [];
    const got = await forwardBatch(ck, micro, images, 5, 'images', {
      task: 1,
      margins: true,
      workers: 3,
      onImage: (n) => ticks.push(n),
    });
    expect(ticks).toEqual([1, 2, 3, 4, 5]);
    expect(referenceWorkerCount()).toBe(2); // this thread and two workers
    for (const k of ['tokens', 'experts', 'gateProbs'] as const) expect(same(got[k], want[k])).toBe(true);
    for (const k of ['prob', 'logit', 'relative'] as const)
      expect(same(got.gateMargins![k], want.gateMargins![k])).toBe(true);
    expect(got.moeBlockIndices).toEqual(want.moeBlockIndices);
    // tokens input, a block range, the final norm; the pooled workers again
    const tokens = want.tokens;
    const t = await forwardBatch(ck, micro, tokens, 5, 'tokens', {
      fromBlock: 1,
      finalNorm: true,
      workers: 3,
    });
    expect(
      same(t.tokens, forwardTokens(ck, micro, tokens, 5, { fromBlock: 1, finalNorm: true }).tokens),
    ).toBe(true);
    expect(referenceWorkerCount()).toBe(2);
  });

  test('a checkpoint with a replaced tensor reaches the workers', async () => {
    const changed: Checkpoint = new Map(ck);
    const t = ck.get('blocks.0.attn.proj.bias')!;
    changed.set('blocks.0.attn.proj.bias', { shape: t.shape, data: t.data.map((v) => v + 0.5) });
    const got = await forwardBatch(changed, micro, images, 5, 'images', { workers: 2 });
    expect(same(got.tokens, forwardImages(changed, micro, images, 5).tokens)).toBe(true);
    expect(same(got.tokens, forwardImages(ck, micro, images, 5).tokens)).toBe(false);
  });

  test('one image or one worker: no worker thread; bad arguments: the one-thread errors', async () => {
    await closeReferenceWorkers();
    await forwardBatch(ck, micro, images.subarray(0, 3 * 32 * 32), 1, 'images', { workers: 4 });
    await forwardBatch(ck, micro, images, 5, 'images', { workers: 1 });
    expect(referenceWorkerCount()).toBe(0);
    await expect(forwardBatch(ck, micro, images, 5, 'images', { task: 2, workers: 2 })).rejects.toThrow(
      /task 2 is out of range: model micro has 2 task/,
    );
    await expect(forwardBatch(ck, micro, images, 4, 'images', { workers: 2 })).rejects.toThrow(
      /images \[B=4, C=3, H=32, W=32\]: expected 12288 values, got 15360/,
    );
    await expect(forwardBatch(ck, micro, images, 5, 'images', { workers: 0 })).rejects.toThrow(
      /workers must be a positive integer/,
    );
  });
});

describe('the reference output cache', () => {
  test('a second run reads the entry; another checkpoint, input, task or option does not', async () => {
    const dir = join(tmp, 'cache');
    const opts = { kind: 'images' as const, task: 0, cacheDir: dir, workers: 2 };
    const first = await cachedReference(ck, micro, images, 5, opts);
    expect(first.cached).toBe(false);
    expect(first.path).toBe(join(dir, `${first.key}.bin`));
    expect(same(first.result.tokens, forwardImages(ck, micro, images, 5).tokens)).toBe(true);
    // an old mtime: a hit must not rewrite the entry
    utimesSync(first.path!, new Date(2000, 0, 1), new Date(2000, 0, 1));
    const ticks: number[] = [];
    const second = await cachedReference(ck, micro, images, 5, { ...opts, onImage: (n) => ticks.push(n) });
    expect(second.cached).toBe(true);
    expect(second.key).toBe(first.key);
    expect(statSync(first.path!).mtime.getFullYear()).toBe(2000);
    expect(ticks).toEqual([1, 2, 3, 4, 5]);
    for (const k of ['tokens', 'experts', 'gateProbs'] as const)
      expect(same(second.result[k], first.result[k])).toBe(true);
    expect(second.result.moeBlockIndices).toEqual([1]);

    const changedCk: Checkpoint = new Map(ck);
    const t = ck.get('blocks.1.mlp.gate.0.w_gate')!;
    changedCk.set('blocks.1.mlp.gate.0.w_gate', {
      shape: t.shape,
      data: t.data.map((v, i) => (i ? v : v + 1e-3)),
    });
    const changedInput = images.slice();
    changedInput[7] += 1e-3;
    const misses = [
      await cachedReference(changedCk, micro, images, 5, opts),
      await cachedReference(ck, micro, changedInput, 5, opts),
      await cachedReference(ck, micro, images, 5, { ...opts, task: 1 }),
      await cachedReference(ck, micro, images, 5, { ...opts, finalNorm: true }),
      await cachedReference(ck, micro, images, 5, { ...opts, margins: true }),
      await cachedReference(ck, micro, images.subarray(0, 4 * 3 * 32 * 32), 4, opts),
    ];
    expect(misses.map((m) => m.cached)).toEqual([false, false, false, false, false, false]);
    expect(new Set([first.key, ...misses.map((m) => m.key)]).size).toBe(7);
    expect(same(misses[2].result.tokens, forwardImages(ck, micro, images, 5, { task: 1 }).tokens)).toBe(true);
    expect(same(misses[0].result.tokens, forwardImages(changedCk, micro, images, 5).tokens)).toBe(true);
    // the same values in another checkpoint object (e.g. read again from the file): a hit
    const copy: Checkpoint = new Map(
      [...ck].map(([n, x]) => [n, { shape: [...x.shape], data: x.data.slice() }]),
    );
    expect((await cachedReference(copy, micro, images, 5, opts)).cached).toBe(true);
    // margins are stored and read back
    const m = await cachedReference(ck, micro, images, 5, { ...opts, margins: true });
    expect(m.cached).toBe(true);
    expect(same(m.result.gateMargins!.relative, misses[4].result.gateMargins!.relative)).toBe(true);
    expect(readdirSync(dir).filter((f) => !f.endsWith('.bin'))).toEqual([]); // no temporaries left
  });

  test('a damaged entry is recomputed and rewritten; no cache dir: nothing read or written', async () => {
    const dir = join(tmp, 'damaged');
    const opts = { kind: 'images' as const, cacheDir: dir, workers: 1 };
    const a = await cachedReference(ck, micro, images, 5, opts);
    writeFileSync(a.path!, 'UBIMOE-REF\n{"key": "truncated');
    const b = await cachedReference(ck, micro, images, 5, opts);
    expect(b.cached).toBe(false);
    expect(same(b.result.tokens, a.result.tokens)).toBe(true);
    expect((await cachedReference(ck, micro, images, 5, opts)).cached).toBe(true);
    const none = await cachedReference(ck, micro, images, 5, { ...opts, cacheDir: null });
    expect([none.cached, none.path]).toEqual([false, null]);
    // an unwritable cache: the result all the same, and why it was not stored
    writeFileSync(join(tmp, 'afile'), '');
    const blocked = await cachedReference(ck, micro, images, 5, {
      ...opts,
      cacheDir: join(tmp, 'afile', 'sub'),
    });
    expect(same(blocked.result.tokens, a.result.tokens)).toBe(true);
    expect(blocked.writeError).toMatch(/cannot write .*afile/);
  });

  test('the default directory: $UBIMOE_CACHE/reference, else the user cache directory', () => {
    const saved = process.env.UBIMOE_CACHE;
    try {
      process.env.UBIMOE_CACHE = '/some/where';
      expect(referenceCacheDir()).toBe('/some/where/reference');
      delete process.env.UBIMOE_CACHE;
      expect(referenceCacheDir()).toMatch(/ubimoe[/\\]reference$/);
    } finally {
      if (saved === undefined) delete process.env.UBIMOE_CACHE;
      else process.env.UBIMOE_CACHE = saved;
    }
  });
});

describe('ubimoe reference and the cache', () => {
  const bin = join(packageRoot, 'bin', 'ubimoe.js');
  const ubimoe = (env: Record<string, string>, ...args: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  test('the second run reads the cache, --no-cache recomputes, another task misses; --workers', () => {
    const cache = join(tmp, 'cli-cache');
    writeCheckpoint(join(tmp, 'm.safetensors'), ck);
    writeNpy(join(tmp, 'images.npy'), [5, 3, 32, 32], images);
    const run = (out: string, ...extra: string[]) =>
      ubimoe(
        { UBIMOE_CACHE: cache },
        'reference',
        '--model',
        'micro',
        '--checkpoint',
        join(tmp, 'm.safetensors'),
        '--input',
        join(tmp, 'images.npy'),
        '-o',
        join(tmp, out),
        ...extra,
      );
    const want = forwardImages(ck, micro, images, 5, { task: 1 }).tokens;
    const first = run('a.npy', '--task', '1', '--workers', '2');
    expect(first.code).toBe(0);
    expect(first.stdout).not.toMatch(/cached/);
    const entries = readdirSync(join(cache, 'reference'));
    expect(entries).toHaveLength(1);
    const second = run('b.npy', '--task', '1');
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(
      /\(cached output .*reference[/\\][0-9a-f]{64}\.bin; --no-cache recomputes\)/,
    );
    expect(second.stderr).toMatch(/^reference: 1\/5 images/); // progress all the same
    const third = run('c.npy', '--task', '1', '--no-cache', '--workers', '1');
    expect(third.stdout).not.toMatch(/cached/);
    const other = run('d.npy', '--task', '0');
    expect(other.stdout).not.toMatch(/cached/);
    expect(readdirSync(join(cache, 'reference'))).toHaveLength(2);
    for (const f of ['a.npy', 'b.npy', 'c.npy']) expect(same(readNpy(join(tmp, f)).data, want)).toBe(true);
    expect(
      same(readNpy(join(tmp, 'd.npy')).data, forwardImages(ck, micro, images, 5, { task: 0 }).tokens),
    ).toBe(true);
    const bad = run('e.npy', '--workers', '0');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^ubimoe: error: --workers: '0' is not a positive integer\n$/);
    expect(existsSync(join(tmp, 'e.npy'))).toBe(false);
  });
});
