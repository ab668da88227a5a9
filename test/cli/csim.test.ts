/** `ubimoe csim` as a user runs it (the built CLI), with the csim build cache the csim tests share. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { loadModel } from '../../src/model/config.js';
import { readCheckpoint } from '../../src/model/checkpoint.js';
import { forwardImages } from '../../src/model/reference.js';
import { CSIM_CACHE } from '../csim/harness.js';
import { expectUserError, inferenceArgs, runCli, writeMicroSetup, type Inference } from './helpers.js';

let tmp: string;
const at = (f: string) => join(tmp, f);

const ubimoe = (args: string[], env: Record<string, string> = {}) =>
  runCli(args, { env: { ...process.env, UBIMOE_CSIM_CACHE: CSIM_CACHE, ...env } });

/** `csim` of the micro project on images.npy, writing tmp/`out`, unless `over` says otherwise. */
const csim = (out: string, over: Partial<Inference> = {}, ...more: string[]) =>
  inferenceArgs(
    'csim',
    {
      project: at('proj'),
      checkpoint: at('micro.safetensors'),
      input: at('images.npy'),
      out: at(out),
      ...over,
    },
    ...more,
  );

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ubimoe-cli-csim-'));
  writeMicroSetup(tmp, 2, 11, 1);
  writeNpy(at('tiny-shaped.npy'), [1, 3, 128, 256], new Float32Array(3 * 128 * 256));
  expect(
    runCli([
      'checkpoint',
      'synth',
      '--model',
      'm3vit-tiny',
      '--seed',
      '1',
      '-o',
      at('m3vit-tiny.safetensors'),
    ]).code,
  ).toBe(0);
}, 900_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('ubimoe csim', () => {
  test('runs a batch, writes tokens, expert choices and reports/accuracy.json', () => {
    const r = ubimoe(csim('out.npy', {}, '--task', '1', '--experts', at('experts.npy')), {
      UBIMOE_STREAM_REPORT: '1',
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/csim: 2 image\(s\), [\d.]+ ms\/image/);
    // asked for: every hls::stream's declared depth and the high-water mark csim reached
    expect(r.stderr).toMatch(/^stream +depth +max_used/m);
    expect(r.stderr).toMatch(/^attention_scores +\d+ +\d+/m);
    expect(r.stdout).toMatch(/per-token cosine: min (0\.99\d+|1\.000000), median/);
    // every saturating type of the design named, none hit
    expect(r.stdout).toMatch(/^csim: no value saturated in the datapath \(act_t, lin_in_t, qkv_t, score_t, dn_t\)$/m);
    const out = readNpy(at('out.npy'));
    expect(out.shape).toEqual([2, 17, 32]);
    const ref = forwardImages(
      readCheckpoint(at('micro.safetensors'), loadModel('micro')),
      loadModel('micro'),
      readNpy(at('images.npy')).data as Float32Array,
      2,
      { task: 1 },
    );
    let err = 0;
    for (let i = 0; i < ref.tokens.length; i++)
      err = Math.max(err, Math.abs(ref.tokens[i] - (out.data as Float32Array)[i]));
    expect(err).toBeLessThan(0.01);
    const acc = JSON.parse(readFileSync(at('proj/reports/accuracy.json'), 'utf8'));
    expect(acc.cosine.per_token.length).toBe(34);
    expect(acc.expert_agreement).toBe(1);
    expect(acc.task).toBe(1);
    expect(acc.saturated_values).toEqual({});
    // the expert choices file: [B, MoE blocks, N, top-k], best first, the reference's own choices
    const experts = readNpy(at('experts.npy'));
    expect(experts.shape).toEqual([2, 1, 17, 2]);
    expect(Array.from(experts.data as Int32Array)).toEqual(Array.from(ref.experts));
  });

  test('packs the weights once per (design, checkpoint), in the project, as `run` does', () => {
    const args = (out: string) => csim(out, {}, '--no-reference');
    // a private TMPDIR: csim must leave nothing there (no per-call weights directory)
    const tmpDir = at('tmpdir-pack');
    mkdirSync(tmpDir);
    rmSync(at('proj/build/weights'), { recursive: true, force: true });
    const first = ubimoe(args('pack1.npy'), { TMPDIR: tmpDir });
    expect(first.code).toBe(0);
    expect(first.stderr).not.toMatch(/packed weights from the cache/);
    const cached = readdirSync(at('proj/build/weights'));
    expect(cached.filter((f) => f.endsWith('.bin'))).toHaveLength(1);
    expect(cached.filter((f) => f.endsWith('.bin.json'))).toHaveLength(1);
    const bin = join(
      at('proj/build/weights'),
      cached.find((f) => f.endsWith('.bin'))!,
    );
    const before = statSync(bin);
    const second = ubimoe(args('pack2.npy'), { TMPDIR: tmpDir });
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/csim: packed weights from the cache/);
    // the cached file was reused, not rewritten, and the outputs are the same bit for bit
    const after = statSync(bin);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect(readFileSync(at('pack2.npy'))).toEqual(readFileSync(at('pack1.npy')));
    expect(readdirSync(tmpDir).filter((f) => f.startsWith('ubimoe-weights-'))).toEqual([]);
  });

  test('--compare takes the reference tokens from a file', () => {
    const r = ubimoe(csim('out2.npy', {}, '--task', '1', '--compare', at('out.npy')));
    expect(r.code).toBe(0);
    const acc = JSON.parse(readFileSync(at('proj/reports/accuracy.json'), 'utf8'));
    expect(acc.rel_l2).toBe(0); // same inputs, same design: bit-identical
    expect(acc.reference).toMatch(/tokens file/);
  });

  test("inputs beyond the activations' range: the saturated values counted by type, a warning, in accuracy.json", () => {
    const images = readNpy(at('images.npy'));
    // act_t is ap_fixed<32,10> (±512): pixels ×1000 saturate on the way in and after
    writeNpy(at('big.npy'), images.shape, Float32Array.from(images.data as Float32Array, (v) => v * 1000));
    const r = ubimoe(csim('big-out.npy', { input: at('big.npy') }));
    expect(r.code).toBe(0);
    const line = /^ubimoe: warning: csim: ([\d,]+) value\(s\) saturated in the datapath over 2 image\(s\): ([\d,]+) act_t\/lin_in_t \(ap_fixed<32,10>\)/m.exec(r.stderr);
    expect(line).not.toBeNull();
    expect(r.stdout).not.toMatch(/no value saturated/);
    const acc = JSON.parse(readFileSync(at('proj/reports/accuracy.json'), 'utf8'));
    const total = Number(line![1].replace(/,/g, ''));
    expect(acc.saturated_values['act_t/lin_in_t']).toBeGreaterThan(0);
    expect(Object.values(acc.saturated_values as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(total);
  });

  test("a project whose sources do not compile: exit 1, the compiler's error and the log's tail, no stack", () => {
    cpSync(at('proj'), at('broken'), { recursive: true });
    rmSync(at('broken/build'), { recursive: true, force: true });
    appendFileSync(at('broken/runner/forward.cpp'), '\n#error broken on purpose\n');
    const r = ubimoe(csim('broken-out.npy', { project: at('broken') }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/csim build of .*broken failed \(.*exit 1\): .*broken on purpose/);
    expect(r.stderr).toMatch(/full log: .*csim_main\.build\.log/);
    expect(r.stderr).not.toMatch(/internal error|^\s+at /m);
    expect(existsSync(at('broken-out.npy'))).toBe(false);
  });

  test('a checkpoint for another model: one line, exit 2', () => {
    const r = ubimoe(csim('x.npy', { checkpoint: at('m3vit-tiny.safetensors') }));
    expectUserError(r, /tensor '.*' has shape .*expected .*for model micro/);
    expect(existsSync(at('x.npy'))).toBe(false);
  });

  test('a directory that is not a project: one line, exit 2', () => {
    mkdirSync(at('empty'), { recursive: true });
    expectUserError(ubimoe(csim('x.npy', { project: at('empty') })), /not a ubimoe project/);
  });

  test('a missing compiler: one line, exit 2', () => {
    const r = ubimoe(csim('x.npy'), { CXX: join(tmp, 'no-such-g++') });
    expectUserError(r, /C\+\+ compiler '.*no-such-g\+\+' not found: install g\+\+/);
  });

  test('inputs of the wrong shape, a task out of range: one line, exit 2', () => {
    expectUserError(
      ubimoe(csim('x.npy', { input: at('tiny-shaped.npy') })),
      /shape \(1, 3, 128, 256\) fits model micro neither as images/,
    );
    expectUserError(ubimoe(csim('x.npy', {}, '--task', '2')), /--task: '2' is not a task of model micro/);
  });
});
