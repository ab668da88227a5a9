/**
 * `ubimoe demo` and `ubimoe models` as a user runs them. The demo on micro/u280 (small, one csim
 * compile): every step line, outputs whose CONTENTS are checked against the float32 reference run
 * here, a summary that agrees with the reports it wrote. `models` against MODEL.md's preset table.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareTokens } from '../../src/toolchain/accuracy.js';
import { loadDesign } from '../../src/design/design.js';
import { validateDesign } from '../../src/design/validate.js';
import { readNpy } from '../../src/io/npy.js';
import { readCheckpoint } from '../../src/model/checkpoint.js';
import { loadModel } from '../../src/model/config.js';
import { forwardImages } from '../../src/model/reference.js';
import { runCli } from './helpers.js';

let tmp = '';
const at = (f: string) => join(tmp, f);

const ubimoe = (...args: string[]) => runCli(args, { cwd: tmp, timeout: 600_000 });

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ubimoe-cli-demo-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('ubimoe models', () => {
  // MODEL.md's preset table, written out by hand
  const presets = [
    {
      name: 'm3vit-small',
      D: 384,
      depth: 12,
      heads: 6,
      experts: 16,
      top_k: 4,
      tokens: 197,
      image: '224x224',
      tasks: 2,
    },
    {
      name: 'm3vit-tiny',
      D: 192,
      depth: 12,
      heads: 3,
      experts: 16,
      top_k: 2,
      tokens: 129,
      image: '128x256',
      tasks: 2,
    },
    { name: 'micro', D: 32, depth: 2, heads: 2, experts: 4, top_k: 2, tokens: 17, image: '32x32', tasks: 2 },
    {
      name: 'vit-tiny',
      D: 192,
      depth: 12,
      heads: 3,
      experts: 0,
      top_k: 0,
      tokens: 197,
      image: '224x224',
      tasks: 1,
    },
  ];

  test('--json lists every preset with the published dimensions', () => {
    const r = ubimoe('models', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(presets);
  });

  test('the table has a header and one row per preset', () => {
    const r = ubimoe('models');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0].split(/\s+/)).toEqual([
      'name',
      'D',
      'depth',
      'heads',
      'experts',
      'top-k',
      'tokens',
      'image',
      'tasks',
    ]);
    expect(lines.slice(1).map((l) => l.split(/\s+/))).toEqual(
      presets.map((p) =>
        [p.name, p.D, p.depth, p.heads, p.experts, p.top_k || '-', p.tokens, p.image, p.tasks].map(String),
      ),
    );
  });
});

describe('ubimoe demo (micro on u280, 2 images)', () => {
  let r: ReturnType<typeof ubimoe>;
  const out = () => at('demo');
  beforeAll(() => {
    r = ubimoe('demo', '--model', 'micro', '--board', 'u280', '--images', '2', '--task', '1', '-o', out());
  }, 900_000);

  test('exit 0, the eight steps in order, a summary', () => {
    expect(r.stderr).not.toMatch(/error|\n\s+at /);
    expect(r.code).toBe(0);
    const steps = [...r.stdout.matchAll(/^\[(\d)\/8\] (.+?) {2,}/gm)].map((m) => `${m[1]} ${m[2].trim()}`);
    expect(steps).toEqual([
      '1 synthetic checkpoint',
      '2 search (GA + binary) for u280',
      '3 generate HLS project',
      '4 2 test images',
      '5 csim build + 2 runner(s)',
      '6 stream images through csim',
      '7 float32 reference + compare',
      '8 report.html',
    ]);
    expect(r.stdout).toMatch(/^predicted \(cost model, not measured\): [\d.]+ ms\/image/m);
    expect(r.stdout).toMatch(/^total [\d.]+ s$/m);
    // off a terminal each step also says when it starts (stderr), so a long step shows life in a log
    expect(r.stderr.match(/^\[\d\/8\] .+ …$/gm)).toHaveLength(8);
  });

  test("the tokens it wrote are the model's outputs on the images it wrote (task 1)", () => {
    const model = loadModel('micro');
    const images = readNpy(join(out(), 'images.npy'));
    expect(images.shape).toEqual([2, 3, 32, 32]);
    const tokens = readNpy(join(out(), 'tokens.npy'));
    expect(tokens.shape).toEqual([2, 17, 32]);
    const ckpt = readCheckpoint(join(out(), 'micro-seed1.safetensors'), model);
    const ref = forwardImages(ckpt, model, images.data as Float32Array, 2, { task: 1 });
    const a = compareTokens(tokens.data as Float32Array, ref.tokens, 32, 2);
    expect(a.cosineMin).toBeGreaterThan(0.9999);
    expect(a.relL2).toBeLessThan(0.002);
  });

  test('the summary agrees with the reports: accuracy.json and the design estimate', () => {
    const acc = JSON.parse(readFileSync(join(out(), 'project', 'reports', 'accuracy.json'), 'utf8'));
    expect(acc.images).toBe(2);
    expect(acc.task).toBe(1);
    // the runners' saturation counts: none on these images, said in the summary, the JSON and the report
    expect(r.stdout).toMatch(/^csim datapath: no value saturated in the datapath \(act_t, lin_in_t, qkv_t, score_t, dn_t\)$/m);
    expect(acc.saturated_values).toEqual({});
    const line =
      /cosine min ([\d.]+) \(1 − cos [\d.e+-]+\), median ([\d.]+), rel L2 ([\d.]+)%, expert agreement ([\d.]+)%/.exec(
        r.stdout,
      )!;
    expect(Number(line[1])).toBeCloseTo(acc.cosine.min, 8);
    expect(Number(line[2])).toBeCloseTo(acc.cosine.median, 8);
    // micro on u280 is not UbiMoE's published point: shown, and said why it does not compare
    expect(r.stdout).toMatch(
      /^published: UbiMoE on Alveo U280, m3vit-tiny W16A32 \(10\.33 ms\/image .*\) is not comparable: the model is micro/m,
    );
    expect(Number(line[3]) / 100).toBeCloseTo(acc.rel_l2, 5);
    expect(Number(line[4]) / 100).toBeCloseTo(acc.expert_agreement, 4);
    const est = JSON.parse(readFileSync(join(out(), 'project', 'reports', 'estimate.json'), 'utf8'));
    const predicted = Number(/^\[2\/8\] .*predicted ([\d.]+) ms\/image$/m.exec(r.stdout)![1]);
    expect(predicted).toBeCloseTo(est.latency_ms, 2);
    const design = loadDesign(join(out(), 'design.yaml'));
    expect(() => validateDesign(design)).not.toThrow();
    expect(design.board.name).toBe('u280');
    const html = readFileSync(join(out(), 'report.html'), 'utf8');
    expect(html).toContain('<title>ubimoe report — micro on u280</title>');
    expect(html).toContain('no value saturated in the datapath');
  });

  test('bad flags: one line, exit 2, nothing run', () => {
    const bad = ubimoe('demo', '--model', 'micro', '--images', '0', '-o', at('never'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^ubimoe: error: --images: '0' must be an integer 1\.\.1024\n$/);
  });
});
