/**
 * The patch embedding on the fused block's engine (issue 14, kernels.vit_block.patch_on_engine):
 * the design has no patch_embed kernel; one vit_block call per image gathers the pixels into B's
 * rows 1.., sets R to pos_embed (+ cls_token in row 0) and runs the projection as one more engine
 * pass draining from row 1. Its arithmetic is patch_embed's (the same layer on the same formats,
 * the position add as the drain's act_t residual add), so `ubimoe csim` must give the same tokens
 * and expert choices as the fused design with a patch_embed kernel, bit for bit, for images and
 * for tokens (which skip the patch pass). The timed C-simulation agrees with the cost model
 * (vit_block.ts patchCycles) stage by stage. At W8A8 (16-bit patch weights, an 8-bit engine) the
 * weights split into two 8-bit digit layers, two passes, the same bits as the patch_embed kernel; a
 * checkpoint whose patch weights the digits cannot hold is refused when packing. Cycle counts are
 * deterministic.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { defaultDesignFile } from '../../src/design/design.js';
import { readCheckpoint, writeCheckpoint } from '../../src/model/checkpoint.js';
import { loadModel } from '../../src/model/config.js';
import { CSIM_CACHE } from '../csim/harness.js';
import { runCli, writeMicroSetup } from './helpers.js';

let tmp: string;
const at = (f: string) => join(tmp, f);
const ubimoe = (args: string[]) => runCli(args, { env: { ...process.env, UBIMOE_CSIM_CACHE: CSIM_CACHE } });

// 3 token lanes (patch rows 1.. land in every lane), 4x8 tiles, 6x4 attention
const VIT = { tile_in: 4, tile_out: 8, token_lanes: 3, q_parallel: 6, key_block: 4, norm_lanes: 8 };

function designFile(precision: 'w16a32' | 'w8a8', onEngine: boolean) {
  const base = defaultDesignFile('micro', 'zcu102', 'fused');
  const kernels = onEngine
    ? { vit_block: { ...VIT, patch_on_engine: true } }
    : // the same tile_in (the accumulator keeps fewer fractional bits than a tile's exact sum, so
      // the bits depend on the tiling)
      { patch_embed: { tile_in: VIT.tile_in, tile_out: VIT.tile_out }, vit_block: VIT };
  return { ...base, precision, weight_ports: 2, kernels };
}

function generate(name: string, onEngine: boolean, precision: 'w16a32' | 'w8a8' = 'w16a32'): void {
  writeFileSync(at(`${name}.yaml`), stringify(designFile(precision, onEngine)));
  const r = ubimoe(['generate', '--design', at(`${name}.yaml`), '-o', at(name)]);
  expect(`${r.code} ${r.stderr}`).toMatch(/^0 /);
}

const csim = (project: string, input: string, more: string[] = []) =>
  ubimoe([
    'csim',
    '--project',
    at(project),
    '--checkpoint',
    at('micro.safetensors'),
    '--input',
    at(`${input}.npy`),
    '-o',
    at(`${project}-${input}.npy`),
    '--experts',
    at(`${project}-${input}-experts.npy`),
    '--task',
    '1',
    '--no-reference',
    ...more,
  ]);

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ubimoe-cli-pe-'));
  writeMicroSetup(tmp, 2, 41, 7);
  generate('fused', false);
  generate('fused-pe', true);
  generate('w8-fused', false, 'w8a8');
  generate('w8-fused-pe', true, 'w8a8');
  // tokens: the patch_embed design's own output for the images (a token input skips the patch pass)
  expect(csim('fused', 'images').code).toBe(0);
  writeFileSync(at('tokens.npy'), readFileSync(at('fused-images.npy')));
}, 900_000);
afterAll(() => { if (!process.env.KEEP) rmSync(tmp, { recursive: true, force: true }); });

describe('the patch embedding on the fused engine', () => {
  test('the same tokens and expert choices as the design with a patch_embed kernel, bit for bit', () => {
    for (const input of ['images', 'tokens']) {
      for (const p of ['fused', 'fused-pe']) {
        if (p === 'fused' && input === 'images') continue; // beforeAll ran it
        const r = csim(p, input);
        expect(`${r.code} ${r.stderr}`).toMatch(/^0 /);
      }
      const same = (suffix: string) => readFileSync(at(`fused-pe-${input}${suffix}`)).equals(readFileSync(at(`fused-${input}${suffix}`)));
      expect([input, same('.npy'), same('-experts.npy')]).toEqual([input, true, true]);
    }
    const config = readFileSync(at('fused-pe/kernels/config.h'), 'utf8');
    expect(config).not.toMatch(/void patch_embed\(/);
    expect(config).toMatch(/void vit_block\([^)]*unsigned task, unsigned pixels\)/);
    expect(config).toMatch(/#define UBIMOE_REGION_NAMES \{"vit_block"\}/);
  }, 900_000);

  test('timed: one vit_block call per image; its patch stages and the kernel agree with the cost model', () => {
    const r = csim('fused-pe', 'images', ['--cycles']);
    expect(`${r.code} ${r.stderr}`).toMatch(/^0 /);
    const c = JSON.parse(readFileSync(at('fused-pe/reports/cycles.json'), 'utf8')) as {
      per_image: Array<{ kernels: Record<string, number>; calls: Array<{ kernel: string; stages: Array<{ name: string; cycles: number }> }> }>;
      predicted: { per_image: Array<{ kernels: Record<string, number>; parts: Record<string, Record<string, number>> }> };
    };
    c.per_image.forEach((img, b) => {
      expect(img.calls.map((k) => k.kernel)).toEqual(['vit_block']);
      const pred = c.predicted.per_image[b];
      expect(img.kernels.vit_block / pred.kernels.vit_block).toBeGreaterThan(0.97);
      expect(img.kernels.vit_block / pred.kernels.vit_block).toBeLessThan(1.03);
      for (const s of ['patch_inputs', 'patch_linear', 'layernorm', 'write']) {
        const sim = img.calls[0].stages.filter((x) => x.name === s).reduce((a, x) => a + x.cycles, 0);
        const model = pred.parts.vit_block[s];
        expect([s, sim > 0, model > 0]).toEqual([s, true, true]);
        expect([s, sim, Math.abs(sim / model - 1) < 0.05]).toEqual([s, sim, true]);
      }
      // no x_in read for an image: the call makes x itself
      expect(img.calls[0].stages.some((x) => x.name === 'x_in')).toBe(false);
    });
    // tokens skip the patch pass: x_in in its place, in the simulation and in the prediction
    const t = csim('fused-pe', 'tokens', ['--cycles']);
    expect(`${t.code} ${t.stderr}`).toMatch(/^0 /);
    const ct = JSON.parse(readFileSync(at('fused-pe/reports/cycles.json'), 'utf8')) as typeof c;
    const img = ct.per_image[0];
    const pred = ct.predicted.per_image[0];
    expect(img.calls[0].stages.map((x) => x.name)).not.toContain('patch_inputs');
    expect(Object.keys(pred.parts.vit_block)).not.toContain('patch_inputs');
    const xIn = img.calls[0].stages.find((x) => x.name === 'x_in')!.cycles;
    expect(Math.abs(xIn / pred.parts.vit_block.x_in - 1)).toBeLessThan(0.05);
    expect(Math.abs(img.kernels.vit_block / pred.kernels.vit_block - 1)).toBeLessThan(0.03);
  }, 900_000);

  test('W8A8: the 16-bit patch weights as two passes of 8-bit digits, the same bits as the patch_embed kernel', () => {
    for (const p of ['w8-fused', 'w8-fused-pe']) {
      const r = csim(p, 'images');
      expect(`${r.code} ${r.stderr}`).toMatch(/^0 /);
    }
    const same = (suffix: string) => readFileSync(at(`w8-fused-pe-images${suffix}`)).equals(readFileSync(at(`w8-fused-images${suffix}`)));
    expect([same('.npy'), same('-experts.npy')]).toEqual([true, true]);
    // the plan: two patch passes, the low digits' layer after the high digits'
    const config = readFileSync(at('w8-fused-pe/kernels/config.h'), 'utf8');
    expect(config).toMatch(/PATCH_LO_OFFSET = \d+/);
    expect(readFileSync(at('w8-fused-pe/kernels/vit_block.cpp'), 'utf8')).toMatch(/plan\[1\] = ubimoe::layer_pass<vit_patch_layer>\(vit_cfg::PATCH_LO_OFFSET/);
    // timed: the two passes as the cost model counts them
    const t = csim('w8-fused-pe', 'images', ['--cycles']);
    expect(`${t.code} ${t.stderr}`).toMatch(/^0 /);
    const c = JSON.parse(readFileSync(at('w8-fused-pe/reports/cycles.json'), 'utf8')) as {
      per_image: Array<{ kernels: Record<string, number>; calls: Array<{ stages: Array<{ name: string; cycles: number }> }> }>;
      predicted: { per_image: Array<{ kernels: Record<string, number>; parts: Record<string, Record<string, number>> }> };
    };
    const sim = c.per_image[0].calls[0].stages.filter((x) => x.name === 'patch_linear').reduce((a, x) => a + x.cycles, 0);
    const model = c.predicted.per_image[0].parts.vit_block.patch_linear;
    expect(Math.abs(sim / model - 1)).toBeLessThan(0.05);
    expect(Math.abs(c.per_image[0].kernels.vit_block / c.predicted.per_image[0].kernels.vit_block - 1)).toBeLessThan(0.03);
  }, 900_000);

  test('W8A8: a patch weight the two digits cannot hold (|w| >= 1) is refused when packing, one line, exit 2', () => {
    const big = join(tmp, 'big.safetensors');
    const ckpt = readCheckpoint(at('micro.safetensors'), loadModel('micro'));
    ckpt.get('patch_embed.proj.weight')!.data[5] = 1.5;
    writeCheckpoint(big, ckpt);
    const r = ubimoe(['csim', '--project', at('w8-fused-pe'), '--checkpoint', big, '--input', at('images.npy'), '-o', at('big.npy'), '--no-reference']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/patch_embed\.proj\.weight\[5\] is 1\.5: on the block engine \(kernels\.vit_block\.patch_on_engine\) the patch weights split into a 8-bit high digit and a 7-bit low digit, which hold \|w\| < 1; a design with a patch_embed kernel takes it/);
  });
});
