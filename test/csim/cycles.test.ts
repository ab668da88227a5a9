/**
 * Model against simulation on M³ViT-tiny (docs/cost-model.md, "Corrections from the timed
 * C-simulation", "The attention"): the timed C-simulation (one N(0, 1) image, a synthetic
 * checkpoint) against the cost model evaluated with that image's routing (reports/cycles.json
 * carries both): every kernel and the total within ±10%, the attention within ±3%. Two u280
 * designs: the default one, and the attention shape the search picks for u280 (13 query rows,
 * not a power of two, × 8-key blocks; 6 token lanes), which runs three exp units. The micro case
 * is in test/cli/csim-cycles.test.ts. Cycle counts are deterministic; one timed build each (~30 s).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '../../src/io/npy.js';
import { Rng } from '../../src/model/prng.js';
import { packageRoot } from '../../src/util/paths.js';
import { CSIM_CACHE } from './harness.js';

const bin = join(packageRoot, 'bin', 'ubimoe.js');
let tmp: string;
const at = (f: string) => join(tmp, f);
const runs: Record<string, { status: number | null; stdout: string; stderr: string }> = {};

// the u280 search's attention shape (ubimoe search --model m3vit-tiny --board u280, seed 1)
const SEARCHED = `format: ubimoe-design/1
model: m3vit-tiny
board: u280
clock_mhz: 400
axi_width_bits: 512
stream_depth: 64
precision: w16a32
kernels:
  patch_embed: { tile_in: 8, tile_out: 64 }
  msa_block: { tile_in: 8, tile_out: 8, token_lanes: 6, q_parallel: 13, key_block: 8 }
  ffn_block: { tile_in: 8, tile_out: 16, token_lanes: 3 }
`;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ubimoe-tiny-cycles-'));
  const rng = new Rng(6);
  writeNpy(
    at('image.npy'),
    [1, 3, 128, 256],
    Float32Array.from({ length: 3 * 128 * 256 }, () => rng.normal()),
  );
  writeFileSync(at('searched.yaml'), SEARCHED);
  for (const args of [
    ['checkpoint', 'synth', '--model', 'm3vit-tiny', '--seed', '1', '-o', at('tiny.safetensors')],
    ['generate', '--model', 'm3vit-tiny', '--board', 'u280', '-o', at('default')],
    ['generate', '--design', at('searched.yaml'), '-o', at('searched')],
  ])
    expect(spawnSync(process.execPath, [bin, ...args]).status).toBe(0);
  for (const proj of ['default', 'searched']) {
    const r = spawnSync(
      process.execPath,
      [
        bin,
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
      ],
      { encoding: 'utf8', env: { ...process.env, UBIMOE_CSIM_CACHE: CSIM_CACHE } },
    );
    runs[proj] = { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }
}, 900000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Cycles {
  per_image: Array<{
    total_cycles: number;
    kernels: Record<string, number>;
    calls: Array<{ kernel: string; stages: Array<{ name: string; cycles: number }> }>;
  }>;
  predicted: {
    per_image: Array<{
      total_cycles: number;
      kernels: Record<string, number>;
      parts: Record<string, Record<string, number>>;
    }>;
  };
}

describe.each(['default', 'searched'])('m3vit-tiny, u280, %s design: model against simulation', (proj) => {
  test('every kernel and the total within ±10% of the simulated cycles, the attention within ±3%', () => {
    expect([runs[proj].status, runs[proj].stderr]).toEqual([0, expect.any(String)]);
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
      const attention =
        img.calls
          .filter((x) => x.kernel === 'msa_block')
          .flatMap((x) => x.stages.filter((s) => s.name === 'attention'))
          .reduce((a, s) => a + s.cycles, 0) / p.parts.msa_block.attention;
      expect([attention > 0.97 && attention < 1.03, attention]).toEqual([true, attention]);
    });
  });
});
