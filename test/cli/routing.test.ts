/**
 * Measured MoE routing as a user gives it to `ubimoe estimate` and `ubimoe search`: a routing
 * file (--routing) or a checkpoint run through the reference model (--routing-checkpoint,
 * --routing-input, --task). The expected table is counted here from the reference's own expert
 * choices; the predictions must follow the table (the MoE kernel only), and bad routing input is
 * one line, exit 2.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writeNpy } from '../../src/io/npy.js';
import { writeCheckpoint } from '../../src/model/checkpoint.js';
import { loadModel } from '../../src/model/config.js';
import { Rng } from '../../src/model/prng.js';
import { forwardImages } from '../../src/model/reference.js';
import { synthCheckpoint } from '../../src/model/synth.js';
import { tinyBoardYaml } from '../search/helpers.js';
import { runCli } from './helpers.js';

let tmp = '';
const at = (f: string) => join(tmp, f);
const micro = loadModel('micro');
// micro: 17 tokens, top-2 of 4 experts, one MoE block (block 1)
let expected: number[][] = [];

const ubimoe = (...args: string[]) => runCli(args, { cwd: tmp });
function json(...args: string[]) {
  const r = ubimoe(...args, '--json');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}
/** `estimate --json` of micro on u280 with the routing measured on images.npy. */
const measured = (...more: string[]) =>
  json(
    'estimate',
    '--model',
    'micro',
    '--board',
    'u280',
    '--routing-checkpoint',
    at('micro.safetensors'),
    '--routing-input',
    at('images.npy'),
    ...more,
  );
const kernelCycles = (e: { kernels: { name: string; cycles: number }[] }, name: string) =>
  e.kernels.find((k) => k.name === name)!.cycles;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ubimoe-cli-routing-'));
  writeFileSync(at('tiny.yaml'), stringify(tinyBoardYaml));
  const ckpt = synthCheckpoint(micro, 4);
  writeCheckpoint(at('micro.safetensors'), ckpt);
  const rng = new Rng(9);
  const images = Float32Array.from({ length: 3 * 3 * 32 * 32 }, () => rng.normal());
  writeNpy(at('images.npy'), [3, 3, 32, 32], images);
  // the table by hand: every (image, token, k) choice of task 1 counts 1/3 for its expert
  const ref = forwardImages(ckpt, micro, images, 3, { task: 1 });
  expected = [[0, 0, 0, 0]];
  for (const e of ref.experts) expected[0][e] += 1 / 3;
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('measured routing', () => {
  test("estimate --routing-checkpoint: the table is the reference model's choices averaged over the images", () => {
    const e = measured('--task', '1');
    expect(e.routing).toBe(`measured with ${at('micro.safetensors')}`);
    expect(e.tokens_per_expert).toHaveLength(1);
    e.tokens_per_expert[0].forEach((n: number, i: number) => expect(n).toBeCloseTo(expected[0][i], 9));
    expect(e.tokens_per_expert[0].reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(17 * 2, 9);
    // the same table given as a file predicts the same
    writeFileSync(at('routing.json'), JSON.stringify({ tokens_per_expert: expected }));
    const f = json('estimate', '--model', 'micro', '--board', 'u280', '--routing', at('routing.json'));
    expect(f.routing).toBe(`file ${at('routing.json')}`);
    expect(f.latency_cycles).toBeCloseTo(e.latency_cycles, 6);
    // another task routes differently (task 0's gate), so its table differs
    const t0 = measured();
    expect(t0.tokens_per_expert).not.toEqual(e.tokens_per_expert);
  });

  test('a skewed table changes the MoE kernel only; uniform routing is the default', () => {
    const uniform = json('estimate', '--model', 'micro', '--board', 'u280');
    expect(uniform.routing).toBe('uniform');
    expect(uniform.tokens_per_expert).toBeNull();
    // every token on experts 0 and 1: two experts' weights are read instead of four
    writeFileSync(at('skew.json'), JSON.stringify({ tokens_per_expert: [[17, 17, 0, 0]] }));
    const skew = json('estimate', '--model', 'micro', '--board', 'u280', '--routing', at('skew.json'));
    expect(kernelCycles(skew, 'ffn_block')).toBeLessThan(kernelCycles(uniform, 'ffn_block'));
    expect(kernelCycles(skew, 'msa_block')).toBe(kernelCycles(uniform, 'msa_block'));
    expect(kernelCycles(skew, 'patch_embed')).toBe(kernelCycles(uniform, 'patch_embed'));
  });

  test('search --routing-checkpoint: the chosen design is predicted with that routing', () => {
    const r = ubimoe(
      'search',
      '--model',
      'micro',
      '--board',
      at('tiny.yaml'),
      '--seed',
      '2',
      '--routing-checkpoint',
      at('micro.safetensors'),
      '--routing-input',
      at('images.npy'),
      '--task',
      '1',
      '-o',
      at('d.yaml'),
    );
    expect(r.code).toBe(0);
    const printed = Number(/predicted: latency ([\d.]+) ms\/image/.exec(r.stdout)![1]);
    const withRouting = json('estimate', '--design', at('d.yaml'), '--routing', at('routing.json'));
    const uniform = json('estimate', '--design', at('d.yaml'));
    expect(printed).toBeCloseTo(withRouting.latency_ms, 3);
    expect(withRouting.latency_ms).not.toBeCloseTo(uniform.latency_ms, 6);
  });

  test('bad routing input: one line, exit 2', () => {
    const bad = (args: string[], re: RegExp) => {
      const r = ubimoe(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^ubimoe: error: [^\n]+\n$/);
      expect(r.stderr).toMatch(re);
    };
    const est = ['estimate', '--model', 'micro', '--board', 'u280'];
    writeFileSync(
      at('two.json'),
      JSON.stringify({
        tokens_per_expert: [
          [9, 9, 8, 8],
          [9, 9, 8, 8],
        ],
      }),
    );
    bad([...est, '--routing', at('two.json')], /has 2 MoE blocks, the model has 1/);
    writeFileSync(at('notjson.json'), '{');
    bad([...est, '--routing', at('notjson.json')], /not a readable JSON file/);
    bad(
      [...est, '--routing', at('routing.json'), '--routing-checkpoint', at('micro.safetensors')],
      /either --routing or --routing-checkpoint/,
    );
    bad(
      [...est, '--routing-checkpoint', at('micro.safetensors'), '--task', '2'],
      /--task: '2' is not a task/,
    );
    bad(
      ['estimate', '--model', 'vit-tiny', '--board', 'u280', '--routing-checkpoint', at('micro.safetensors')],
      /no MoE blocks/,
    );
  });
});
