/** `ubimoe checkpoint synth|check` and `ubimoe reference` as a user runs them (the built CLI). */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../../src/model/config.js';
import { readCheckpoint } from '../../src/model/checkpoint.js';
import { forwardImages, forwardTokens } from '../../src/model/reference.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { Rng } from '../../src/model/prng.js';
import { expectUserError, runCli } from './helpers.js';

let tmp: string;
const at = (f: string) => join(tmp, f);

function ubimoe(...args: string[]) {
  // the reference's output cache goes to the test's own directory, never the user's ~/.cache
  const env = { ...process.env, UBIMOE_CACHE: join(tmp, 'cache') };
  return runCli(args, { env });
}

/** A user error: exit 2 and one line on stderr matching `re`. */

const micro = loadModel('micro');
const rng = new Rng(3);
const images = Float32Array.from({ length: 2 * 3 * 32 * 32 }, () => rng.normal());

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ubimoe-cli-ref-'));
  writeNpy(at('images.npy'), [2, 3, 32, 32], images);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('ubimoe checkpoint synth / check', () => {
  test('writes a deterministic checkpoint: same seed, same bytes', () => {
    const a = ubimoe('checkpoint', 'synth', '--model', 'micro', '--seed', '7', '-o', at('a.safetensors'));
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/wrote .*a.safetensors: 32 tensors, \d+ parameters \(model micro, seed 7\)/);
    expect(
      ubimoe('checkpoint', 'synth', '--model', 'micro', '--seed', '7', '-o', at('b.safetensors')).code,
    ).toBe(0);
    expect(
      ubimoe('checkpoint', 'synth', '--model', 'micro', '--seed', '8', '-o', at('c.safetensors')).code,
    ).toBe(0);
    expect(readFileSync(at('a.safetensors')).equals(readFileSync(at('b.safetensors')))).toBe(true);
    expect(readFileSync(at('a.safetensors')).equals(readFileSync(at('c.safetensors')))).toBe(false);
    const c = ubimoe('checkpoint', 'check', '--model', 'micro', at('a.safetensors'));
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/ok for model micro/);
  });

  test('bad seed, unknown model, missing flag, wrong model for a file -> exit 2', () => {
    expectUserError(
      ubimoe('checkpoint', 'synth', '--model', 'micro', '--seed', 'x1', '-o', at('x.safetensors')),
      /--seed: 'x1' is not a non-negative integer/,
    );
    expectUserError(
      ubimoe('checkpoint', 'synth', '--model', 'nano', '--seed', '1', '-o', at('x.safetensors')),
      /unknown model 'nano'/,
    );
    expect(existsSync(at('x.safetensors'))).toBe(false);
    const missing = ubimoe('checkpoint', 'synth', '--model', 'micro', '-o', at('x.safetensors'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /^ubimoe: error: required option '--seed <n>' not specified \(see --help\)\n$/,
    );
    expectUserError(
      ubimoe('checkpoint', 'check', '--model', 'vit-tiny', at('a.safetensors')),
      /tensor 'patch_embed.proj.weight' has shape \[32, 3, 8, 8\], expected \[192, 3, 16, 16\]/,
    );
  });
});

describe('ubimoe reference', () => {
  const reference = (checkpoint: string, input: string, out: string, ...more: string[]) =>
    ubimoe('reference', '--model', 'micro', '--checkpoint', checkpoint, '--input', input, '-o', out, ...more);

  beforeAll(() => {
    expect(
      ubimoe('checkpoint', 'synth', '--model', 'micro', '--seed', '1', '-o', at('m.safetensors')).code,
    ).toBe(0);
  });

  test('images -> tokens .npy equal to the in-process reference', () => {
    const r = reference(at('m.safetensors'), at('images.npy'), at('out.npy'), '--task', '1');
    // progress off a terminal: the first image, then each tenth (here: both)
    expect(r.stderr).toMatch(
      /^reference: 1\/2 images \([\d.]+ images\/s\)\nreference: 2\/2 images \([\d.]+ images\/s\)\n$/,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/wrote .*out.npy: tokens \(2, 17, 32\) from images, task 1, \d+ ms\/image/);
    const out = readNpy(at('out.npy'));
    expect(out.shape).toEqual([2, 17, 32]);
    const ck = readCheckpoint(at('m.safetensors'), micro);
    expect(Array.from(out.data)).toEqual(Array.from(forwardImages(ck, micro, images, 2, { task: 1 }).tokens));
  });

  test('--final-norm; tokens input [B, N, D]', () => {
    const ck = readCheckpoint(at('m.safetensors'), micro);
    expect(reference(at('m.safetensors'), at('images.npy'), at('fn.npy'), '--final-norm').code).toBe(0);
    expect(Array.from(readNpy(at('fn.npy')).data)).toEqual(
      Array.from(forwardImages(ck, micro, images, 2, { finalNorm: true }).tokens),
    );
    const tokens = Float32Array.from({ length: 17 * 32 }, (_, i) => Math.sin(i));
    writeNpy(at('tokens.npy'), [1, 17, 32], tokens);
    const r = reference(at('m.safetensors'), at('tokens.npy'), at('t.npy'));
    expect(r.code).toBe(0);
    expect(Array.from(readNpy(at('t.npy')).data)).toEqual(
      Array.from(forwardTokens(ck, micro, tokens, 1).tokens),
    );
  });

  test('bad inputs -> exit 2 with one line, and no output file', () => {
    const run = (input: string, ...extra: string[]) =>
      reference(at('m.safetensors'), input, at('bad-out.npy'), ...extra);
    writeNpy(at('wrong.npy'), [2, 3, 16, 16], new Float32Array(2 * 3 * 16 * 16));
    expectUserError(
      run(at('wrong.npy')),
      /shape \(2, 3, 16, 16\) fits model micro neither as images \(B, 3, 32, 32\) nor as tokens \(B, 17, 32\)/,
    );
    const nan = images.slice();
    nan[5] = NaN;
    writeNpy(at('nan.npy'), [2, 3, 32, 32], nan);
    expectUserError(run(at('nan.npy')), /nan.npy: contains NaN or Inf \(at flat index 5\)/);
    writeFileSync(at('junk.npy'), 'not an array');
    expectUserError(run(at('junk.npy')), /junk.npy: not a valid .npy file: bad magic/);
    expectUserError(run(at('none.npy')), /none.npy: no such file/);
    expectUserError(
      run(at('images.npy'), '--task', '2'),
      /--task: '2' is not a task of model micro \(it has 2: 0..1\)/,
    );
    expectUserError(run(at('images.npy'), '--task', '-1'), /--task: '-1' is not a task/);
    const truncated = readFileSync(at('m.safetensors')).subarray(0, 5000);
    writeFileSync(at('trunc.safetensors'), truncated);
    expectUserError(
      reference(at('trunc.safetensors'), at('images.npy'), at('bad-out.npy')),
      /trunc.safetensors: not a valid safetensors file: .*truncated\?/,
    );
    const unknown = run(at('images.npy'), '--bogus');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^ubimoe: error: unknown option '--bogus' \(see --help\)\n$/);
    expect(existsSync(at('bad-out.npy'))).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('--help explains every flag', () => {
    const r = ubimoe('reference', '--help');
    expect(r.code).toBe(0);
    for (const flag of ['--model', '--checkpoint', '--input', '--output', '--task', '--final-norm'])
      expect(r.stdout).toContain(flag);
  });
});
