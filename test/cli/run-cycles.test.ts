/**
 * `ubimoe run --backend csim --cycles` as a user runs it (the built CLI): the protocol runner built
 * timed (-DUBIMOE_TIMED_CSIM), reports/cycles.json with per_image in input order equal to
 * `ubimoe csim --cycles` on the same images (simulated cycles are deterministic), the same outputs
 * bit for bit as the plain run, 2 workers. Nothing here depends on the machine's speed.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CSIM_CACHE } from '../csim/harness.js';
import { writeDeadlockedCopy } from './deadlock.js';
import { runCli, writeMicroSetup } from './helpers.js';

let tmp: string;
const at = (f: string) => join(tmp, f);

const ubimoe = (args: string[]) => runCli(args, { env: { ...process.env, UBIMOE_CSIM_CACHE: CSIM_CACHE } });

interface Cycles {
  format: string;
  clock_mhz: number;
  design_hash: string;
  per_image: Array<{ total_cycles: number; kernels: Record<string, number>; calls: unknown[] }>;
  predicted: { per_image: unknown[] };
}
const readCycles = () => JSON.parse(readFileSync(at('proj/reports/cycles.json'), 'utf8')) as Cycles;

const common = () => [
  '--project',
  at('proj'),
  '--checkpoint',
  at('micro.safetensors'),
  '--input',
  at('images.npy'),
  '--task',
  '1',
];

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ubimoe-run-cycles-'));
  writeMicroSetup(tmp, 3, 33, 3);
}, 900_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('ubimoe run --backend csim --cycles', () => {
  let plain: ReturnType<typeof ubimoe>;
  let timed: ReturnType<typeof ubimoe>;
  let csim: ReturnType<typeof ubimoe>;
  let viaRun: Cycles;
  let viaCsim: Cycles;
  beforeAll(() => {
    plain = ubimoe(['run', ...common(), '-o', at('plain.npy')]);
    timed = ubimoe(['run', ...common(), '-o', at('timed.npy'), '--cycles', '--workers', '2']);
    viaRun = readCycles();
    csim = ubimoe(['csim', ...common(), '-o', at('csim.npy'), '--no-reference', '--cycles']);
    viaCsim = readCycles();
  }, 900000);

  test('the same output tokens, bit for bit, as without --cycles (and as csim)', () => {
    expect(`${plain.code} ${plain.stderr}`).toMatch(/^0 /);
    expect(`${timed.code} ${timed.stderr}`).toMatch(/^0 /);
    expect(`${csim.code} ${csim.stderr}`).toMatch(/^0 /);
    expect(readFileSync(at('timed.npy')).equals(readFileSync(at('plain.npy')))).toBe(true);
    expect(readFileSync(at('csim.npy')).equals(readFileSync(at('plain.npy')))).toBe(true);
  });

  test('reports/cycles.json in the csim --cycles format, per image in input order, equal to csim --cycles', () => {
    expect(viaRun.format).toBe('ubimoe-cycles/1');
    expect(viaRun.clock_mhz).toBe(viaCsim.clock_mhz);
    expect(viaRun.design_hash).toBe(viaCsim.design_hash);
    expect(viaRun.per_image).toHaveLength(3);
    // per image: the same totals, kernels and per-call detail (processes, streams, stages)
    expect(viaRun.per_image.map((i) => i.total_cycles)).toEqual(viaCsim.per_image.map((i) => i.total_cycles));
    expect(viaRun.per_image).toEqual(viaCsim.per_image);
    expect(viaRun.predicted).toEqual(viaCsim.predicted);
  });

  test('prints the simulated vs predicted table', () => {
    expect(timed.stdout).toMatch(/^kernel +stage +simulated +predicted +ratio$/m);
    expect(timed.stdout).toMatch(/^total +\d+ +\d+ +\d+\.\d\d$/m);
    expect(timed.stdout).toMatch(/wrote .*reports\/cycles\.json/);
  });

  test('--cycles is refused for the xrt backend', () => {
    const r = ubimoe(['run', ...common(), '-o', at('x.npy'), '--backend', 'xrt', '--cycles']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--cycles is for --backend csim/);
  });
});

describe('a FIFO deadlock under run --cycles', () => {
  // the project edited as in test/cli/csim-cycles.test.ts (test/cli/deadlock.ts)
  test('is one error naming the region and streams: exit 1, no output, no hang', () => {
    writeDeadlockedCopy(at('proj'), at('stuck'));
    const args = common().map((a) => (a === at('proj') ? at('stuck') : a));
    const r = ubimoe(['run', ...args, '-o', at('stuck.npy'), '--cycles']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /input 0: csim runner #1 refused it: FORWARD: ubimoe timed csim: deadlock in dataflow region 'pe_engine' \(kernel 'patch_embed'\)/,
    );
    expect(r.stderr).toMatch(/streams: 'pe_weight_tiles' \(depth 2\), 'pe_passes' \(depth 2\)/);
    expect(existsSync(at('stuck.npy'))).toBe(false);
  }, 900_000);
});
