/**
 * weight_ports as a user runs it (the built CLI): micro on zcu102 with 1, 2 and 4 weight ports,
 * the same for every kernel or each kernel its own (kernels.<k>.weight_ports), computes the same
 * bits (only where the words come from changes), with 16-bit 16×16 tiles and with 8-bit 4×4 tiles
 * (padded tiles, per-layer scale words); the timed C-simulation of the P = 4 design and of a
 * mixed one agrees with the cost model; the generated project lints clean; a bad weight_ports is one
 * line naming the field, exit 2. Cycle counts are deterministic.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fatalIssues, formatIssues, lintProject } from '../../src/generate/lint.js';
import { packageRoot } from '../../src/util/paths.js';
import { CSIM_CACHE } from '../csim/harness.js';
import { expectUserError, runCli, writeMicroSetup } from './helpers.js';

let tmp: string;
const at = (f: string) => join(tmp, f);
const ubimoe = (args: string[]) => runCli(args, { env: { ...process.env, UBIMOE_CSIM_CACHE: CSIM_CACHE } });

// ports: one count for every kernel (the top-level field), null (left out), or [patch_embed, msa_block, ffn_block]
type Ports = number | null | readonly [number, number, number];
const designYaml = (ports: Ports, precision: string, tile: number) => {
  const own = (i: number) => (Array.isArray(ports) ? `, weight_ports: ${ports[i]}` : '');
  return [
    'format: ubimoe-design/1',
    'model: micro',
    'board: zcu102',
    'clock_mhz: 300',
    'axi_width_bits: 128',
    `precision: ${precision}`,
    ...(typeof ports === 'number' ? [`weight_ports: ${ports}`] : []),
    'kernels:',
    `  patch_embed: { tile_in: ${tile}, tile_out: ${tile}${own(0)} }`,
    `  msa_block: { tile_in: ${tile}, tile_out: ${tile}, token_lanes: 1, q_parallel: 4, key_block: 8${own(1)} }`,
    `  ffn_block: { tile_in: ${tile}, tile_out: ${tile}, token_lanes: 3${own(2)} }`,
    '',
  ].join('\n');
};

// [name, weight ports, precision, tile]
const CASES: ReadonlyArray<readonly [string, Ports, string, number]> = [
  ['w16-none', null, 'w16a32', 16],
  ['w16-p1', 1, 'w16a32', 16],
  ['w16-p2', 2, 'w16a32', 16],
  ['w16-p4', 4, 'w16a32', 16],
  ['w8t4-p1', 1, 'w8a8', 4],
  ['w8t4-p4', 4, 'w8a8', 4],
  ['w16-mixed', [1, 2, 4], 'w16a32', 16],
  ['w8t4-mixed', [4, 1, 2], 'w8a8', 4],
];
const runs: Record<string, { code: number | null; stderr: string; stdout: string }> = {};

const csim = (name: string, more: string[] = []) =>
  ubimoe([
    'csim',
    '--project',
    at(name),
    '--checkpoint',
    at('micro.safetensors'),
    '--input',
    at('images.npy'),
    '-o',
    at(`${name}${more.length ? '-timed' : ''}.npy`),
    '--experts',
    at(`${name}${more.length ? '-timed' : ''}-experts.npy`),
    '--task',
    '1',
    '--no-reference',
    ...more,
  ]);

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ubimoe-cli-ports-'));
  writeMicroSetup(tmp, 2, 23, 4);
  for (const [name, ports, precision, tile] of CASES) {
    writeFileSync(at(`${name}.yaml`), designYaml(ports, precision, tile));
    expect(ubimoe(['generate', '--design', at(`${name}.yaml`), '-o', at(name)]).code).toBe(0);
    runs[name] = csim(name);
  }
  runs['w16-p4-timed'] = csim('w16-p4', ['--cycles']);
  runs['w16-mixed-timed'] = csim('w16-mixed', ['--cycles']);
}, 1_500_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const bytes = (f: string) => readFileSync(at(f));

describe('micro on zcu102 with 1, 2 and 4 weight ports', () => {
  test('every run succeeds', () => {
    for (const [name, r] of Object.entries(runs)) expect([name, r.code, r.stderr]).toEqual([name, 0, expect.any(String)]);
  });

  test('the same output tokens and expert choices, bit for bit, whatever the ports', () => {
    for (const name of ['w16-p1', 'w16-p2', 'w16-p4', 'w16-p4-timed', 'w16-mixed', 'w16-mixed-timed']) {
      expect([name, bytes(`${name}.npy`).equals(bytes('w16-none.npy'))]).toEqual([name, true]);
      expect([name, bytes(`${name}-experts.npy`).equals(bytes('w16-none-experts.npy'))]).toEqual([name, true]);
    }
    expect(bytes('w8t4-p4.npy').equals(bytes('w8t4-p1.npy'))).toBe(true);
    expect(bytes('w8t4-p4-experts.npy').equals(bytes('w8t4-p1-experts.npy'))).toBe(true);
    expect(bytes('w8t4-mixed.npy').equals(bytes('w8t4-p1.npy'))).toBe(true);
    expect(bytes('w8t4-mixed-experts.npy').equals(bytes('w8t4-p1-experts.npy'))).toBe(true);
  });

  test.each([
    ['w16-p4', [4, 4, 4]],
    ['w16-mixed', [1, 2, 4]],
  ] as const)('%s: the timed C-simulation within ±10%% of the cost model per kernel; each kernel\'s weight rate is its ports', (name, ports) => {
    const c = JSON.parse(readFileSync(at(`${name}/reports/cycles.json`), 'utf8')) as {
      per_image: Array<{ kernels: Record<string, number> }>;
      predicted: { per_image: Array<{ kernels: Record<string, number> }> };
    };
    c.per_image.forEach((img, b) => {
      for (const k of ['patch_embed', 'msa_block', 'ffn_block']) {
        const ratio = img.kernels[k] / c.predicted.per_image[b].kernels[k];
        expect([k, ratio >= 0.9 && ratio <= 1.1, ratio]).toEqual([k, true, ratio]);
      }
    });
    // the config header renders P × one port's rate for each kernel's weight reads
    const config = readFileSync(at(`${name}/kernels/config.h`), 'utf8');
    ['pe', 'msa', 'ffn'].forEach((k, i) => {
      const body = new RegExp(`struct ${k}_timing_cfg[^}]*}`).exec(config)![0];
      const rate = (field: string) => Number(new RegExp(`${field} = (\\d+)`).exec(body)![1]);
      expect([k, rate('WEIGHT_BYTE_UNITS_PER_CYCLE')]).toEqual([k, ports[i] * rate('PORT_BYTE_UNITS_PER_CYCLE')]);
      expect(config).toMatch(new RegExp(`#define UBIMOE_${k.toUpperCase()}_WEIGHT_PORTS ${ports[i]}\\b`));
    });
  });

  test('the mixed project: each top function takes its own ports; the link config connects only those', () => {
    const top = (k: string) => readFileSync(at(`w16-mixed/kernels/${k}.cpp`), 'utf8');
    expect(top('patch_embed')).toMatch(/INTERFACE m_axi port=weights bundle=gmem_w offset=slave/);
    expect(top('msa_block')).toMatch(/INTERFACE m_axi port=weights1 bundle=gmem_w1 offset=slave/);
    expect(top('msa_block')).not.toMatch(/port=weights2 /);
    expect(top('ffn_block')).toMatch(/INTERFACE m_axi port=weights3 bundle=gmem_w3 offset=slave/);
    const link = readFileSync(at('w16-mixed/link/zcu102.cfg'), 'utf8');
    expect(link).toMatch(/sp=ffn_block_1\.m_axi_gmem_w3:/);
    expect(link).not.toMatch(/sp=msa_block_1\.m_axi_gmem_w2:/);
  });

  test('the P = 4 project lints clean; its top functions take weights0..weights3 on gmem_w0..gmem_w3', () => {
    expect(formatIssues(fatalIssues(lintProject(at('w16-p4'))))).toBe('');
    const ffn = readFileSync(at('w16-p4/kernels/ffn_block.cpp'), 'utf8');
    for (let p = 0; p < 4; p++)
      expect(ffn).toMatch(new RegExp(`INTERFACE m_axi port=weights${p} bundle=gmem_w${p} offset=slave depth=\\d+`));
    expect(ffn).not.toMatch(/port=weights bundle/);
  });
});

describe('bad weight_ports', () => {
  test('3, or more ports than the kernel memory has channels: one line naming weight_ports, exit 2', () => {
    writeFileSync(at('bad3.yaml'), designYaml(3, 'w16a32', 16));
    expectUserError(ubimoe(['estimate', '--design', at('bad3.yaml')]), /weight_ports: must be one of 1, 2, 4/);
    // zcu102 with one HP port
    const board = readFileSync(join(packageRoot, 'boards', 'zcu102.yaml'), 'utf8').replace(/count: 4/, 'count: 1');
    writeFileSync(at('hp1.yaml'), board);
    writeFileSync(at('bad4.yaml'), designYaml(4, 'w16a32', 16).replace('board: zcu102', `board: ${at('hp1.yaml')}`));
    expectUserError(ubimoe(['estimate', '--design', at('bad4.yaml')]), /weight_ports: 4 ports need 4 memory channels/);
    expectUserError(
      ubimoe(['search', '--model', 'micro', '--board', at('hp1.yaml'), '--weight-ports', '2', '--quiet', '-o', at('s.yaml')]),
      /--weight-ports 2: board zcu102 allows 1/,
    );
  });
});
