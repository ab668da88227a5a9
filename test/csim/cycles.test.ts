/**
 * Model against simulation on M³ViT-tiny (docs/cost-model.md, "Corrections from the timed
 * C-simulation", "Searched designs"): the timed C-simulation of the default m3vit-tiny design on
 * u280 and of the design the search picks on zcu102 at W8A8 (one N(0, 1) image, a synthetic
 * checkpoint) against the cost model evaluated with that image's routing (reports/cycles.json
 * carries both): every kernel and the total within ±10%. The micro case is in
 * test/cli/csim-cycles.test.ts. Cycle counts are deterministic; two timed builds (~30 s each).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '../../src/io/npy.js';
import { Rng } from '../../src/model/prng.js';
import { packageRoot } from '../../src/util/paths.js';
import { CSIM_CACHE } from './harness.js';

const bin = join(packageRoot, 'bin', 'ubimoe.js');
let tmp: string;
const at = (f: string) => join(tmp, f);
const PROJECTS = ['default-u280', 'searched-zcu102-w8a8'];
const runs: Record<string, { status: number | null; stdout: string; stderr: string }> = {};

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ubimoe-tiny-cycles-'));
  const rng = new Rng(6);
  writeNpy(
    at('image.npy'),
    [1, 3, 128, 256],
    Float32Array.from({ length: 3 * 128 * 256 }, () => rng.normal()),
  );
  const ubimoe = (args: string[]) =>
    spawnSync(process.execPath, [bin, ...args], {
      encoding: 'utf8',
      env: { ...process.env, UBIMOE_CSIM_CACHE: CSIM_CACHE },
    });
  for (const args of [
    ['checkpoint', 'synth', '--model', 'm3vit-tiny', '--seed', '1', '-o', at('tiny.safetensors')],
    ['generate', '--model', 'm3vit-tiny', '--board', 'u280', '-o', at('default-u280')],
    // the search's pick (its engines' token lanes need not be powers of two)
    [
      'search',
      '--model',
      'm3vit-tiny',
      '--board',
      'zcu102',
      '--precision',
      'w8a8',
      '--quiet',
      '-o',
      at('s.yaml'),
    ],
    ['generate', '--design', at('s.yaml'), '-o', at('searched-zcu102-w8a8')],
  ])
    expect(ubimoe(args).status).toBe(0);
  for (const proj of PROJECTS) {
    const r = ubimoe([
      'csim',
      '--project',
      at(proj),
      '--checkpoint',
      at('tiny.safetensors'),
      '--input',
      at('image.npy'),
      '-o',
      at(`${proj}.npy`),
      '--task',
      '1',
      '--no-reference',
      '--cycles',
    ]);
    runs[proj] = { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }
}, 1200000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Cycles {
  per_image: Array<{ total_cycles: number; kernels: Record<string, number> }>;
  predicted: { per_image: Array<{ total_cycles: number; kernels: Record<string, number> }> };
}

describe.each(PROJECTS)('m3vit-tiny, %s: model against simulation', (proj) => {
  test('every kernel and the total within ±10% of the simulated cycles', () => {
    const run = runs[proj];
    expect([run.status, run.stderr]).toEqual([0, expect.any(String)]);
    const c = JSON.parse(readFileSync(at(`${proj}/reports/cycles.json`), 'utf8')) as Cycles;
    expect(c.per_image).toHaveLength(1);
    c.per_image.forEach((img, b) => {
      const p = c.predicted.per_image[b];
      for (const k of ['patch_embed', 'msa_block', 'ffn_block']) {
        const ratio = img.kernels[k] / p.kernels[k];
        expect([k, ratio >= 0.9 && ratio <= 1.1]).toEqual([k, true]);
      }
      const total = img.total_cycles / p.total_cycles;
      expect(total).toBeGreaterThanOrEqual(0.9);
      expect(total).toBeLessThanOrEqual(1.1);
    });
  });
});
