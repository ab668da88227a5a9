/**
 * `ubimoe search` and `ubimoe estimate` as a user runs them (the built CLI), and the end-to-end
 * promise: a searched design generates, compiles in csim and matches the reference model.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { designKernels, loadDesign } from '../../src/design/design.js';
import { validateDesign } from '../../src/design/validate.js';
import { writeNpy } from '../../src/io/npy.js';
import { Rng } from '../../src/model/prng.js';
import { readSearch } from '../../src/report/read/search.js';
import { tinyBoardYaml } from '../search/helpers.js';
import { requires } from '../requires.js';
import { expectUserError, inferenceArgs, runCli } from './helpers.js';

let tmp: string;
const at = (f: string) => join(tmp, f);

const ubimoe = (...args: string[]) => runCli(args, { cwd: tmp });
/** `ubimoe search --model micro --board <board> ...more`. */
const searchMicro = (board: string, ...more: string[]) =>
  ubimoe('search', '--model', 'micro', '--board', board, ...more);

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ubimoe-cli-search-'));
  writeFileSync(at('tiny.yaml'), stringify(tinyBoardYaml));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('ubimoe search', () => {
  test('writes a design.yaml that resolves and validates, and a report the HTML report reads', () => {
    const r = searchMicro(at('tiny.yaml'), '--seed', '3', '-o', at('d.yaml'), '--report', at('s.json'));
    expect(r.stderr).toBe(''); // quiet when not a terminal
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/predicted: latency [\d.]+ ms\/image/);
    const text = readFileSync(at('d.yaml'), 'utf8');
    expect(text).toMatch(/^# written by ubimoe search: two-stage search \(4 GA populations\), objective latency, seed 3\n/);
    const d = loadDesign(at('d.yaml'));
    expect(() => validateDesign(d)).not.toThrow();
    expect(d.board.name).toBe('tiny'); // a board given as a path is inlined: the design is self-contained
    const s = readSearch(at('s.json'))!;
    expect(s.objective).toBe('latency');
    expect(s.seed).toBe(3);
    expect(s.history.length).toBeGreaterThan(1);
    expect(s.front.length).toBeGreaterThan(0);
    expect(s.chosen!.latencyMs).toBeGreaterThan(0);
    // same seed, same design
    expect(searchMicro(at('tiny.yaml'), '--seed', '3', '-o', at('d2.yaml')).code).toBe(0);
    expect(readFileSync(at('d2.yaml'), 'utf8')).toBe(text);
  });

  test('--exhaustive says how the whole space was covered (not "2 designs evaluated")', () => {
    const r = searchMicro(
      at('tiny.yaml'),
      '--exhaustive',
      '--clock',
      '200',
      '-o',
      at('ex.yaml'),
      '--report',
      at('ex.json'),
    );
    expect(r.code).toBe(0);
    const m =
      /exhaustive: all ([\d.e+]+) designs covered: (\d+) kernel configurations costed, (\d+) combinations scored/.exec(
        r.stdout,
      );
    expect(m).not.toBeNull();
    const report = JSON.parse(readFileSync(at('ex.json'), 'utf8'));
    // every architecture's space covered (split, fused, fused with the patches on its engine)
    const size = (report.architectures as Array<{ space_size: number }>).reduce((a, x) => a + x.space_size, 0);
    expect(report.architectures).toHaveLength(3);
    expect(Number(m![1])).toBeCloseTo(size, -Math.floor(Math.log10(size)) + 2);
    expect(Number(m![2])).toBe(report.exhaustive.kernel_configurations);
    expect(Number(m![3])).toBe(report.exhaustive.combinations);
    expect(report.exhaustive.combinations).toBeGreaterThan(2);
  });

  test('estimate on the searched design prints the predicted table; --json and --project write JSON', () => {
    const r = ubimoe('estimate', '--design', at('d.yaml'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/PREDICTED/);
    expect(r.stdout).toMatch(
      /per kernel \(predicted\)\s+calls\s+CUs\s+cycles\/image\s+ms\/image\s+DSP\s+BRAM18\s+URAM\s+LUT\s+FF/,
    );
    expect(r.stdout).toMatch(/% of board/);
    expect(r.stdout).toMatch(/per block \(predicted\)/);
    expect(r.stdout).toMatch(/predicted latency [\d.]+ ms\/image/);
    expect(r.stdout).toMatch(/fits the board limits/);
    expect(r.stdout).toMatch(
      /physical bound [\d.]+ ms\/image \((compute|weight traffic); .*\): predicted latency [\d.]+× the bound, useful-MAC efficiency [\d.]+%/,
    );
    const j = ubimoe('estimate', '--design', at('d.yaml'), '--json');
    expect(j.code).toBe(0);
    const e = JSON.parse(j.stdout);
    expect(e.latency_ms).toBeGreaterThan(0);
    const pb = e.physical_bounds;
    expect(pb.bound_ms).toBe(Math.max(pb.compute_bound_ms, pb.weight_traffic_bound_ms));
    expect(pb.latency_over_bound).toBeCloseTo(e.latency_ms / pb.bound_ms, 9);
    expect(pb.mac_efficiency).toBeGreaterThan(0);
    expect(pb.mac_efficiency).toBeLessThan(1);
    // the searched design's kernels (the tiny board's best block may be split or fused)
    expect(e.kernels.map((k: { name: string }) => k.name)).toEqual(designKernels(loadDesign(at('d.yaml'))));
    const zcu = ubimoe('estimate', '--model', 'm3vit-tiny', '--board', 'zcu102', '-o', at('e.json'));
    expect(zcu.code).toBe(0);
    expect(zcu.stdout).toMatch(/does NOT fit: dsp: needs/); // UbiMoE's U280 parameters do not fit a ZCU102
    expect(JSON.parse(readFileSync(at('e.json'), 'utf8')).fits).toBe(false);
    // --project: the project's design.yaml in, reports/estimate.json out
    mkdirSync(at('proj'));
    writeFileSync(at('proj/design.yaml'), readFileSync(at('d.yaml')));
    expect(ubimoe('estimate', '--project', at('proj')).code).toBe(0);
    expect(JSON.parse(readFileSync(at('proj/reports/estimate.json'), 'utf8')).latency_ms).toBe(e.latency_ms);
  });

  test('--precision w8a8: every candidate is costed with 8-bit weights and MAC inputs', () => {
    const r = searchMicro('zcu102', '--precision', 'w8a8', '-o', at('w8.yaml'));
    expect(r.code).toBe(0);
    expect(loadDesign(at('w8.yaml')).file.precision).toBe('w8a8');
    // (the same spaces at both precisions: w8a8 embeds the patches on the engine too, as 8-bit digits)
    const w16 = searchMicro('zcu102', '-o', at('w16.yaml'));
    expect(loadDesign(at('w16.yaml')).file.precision).toBe('w16a32');
    // 8 × 8 MACs take one DSP48E2 slice, 32 × 16 two: the same latency needs fewer DSP, so the
    // search reaches a lower predicted latency under the same limits
    const ms = (out: string) => Number(/latency ([\d.]+) ms/.exec(out)![1]);
    expect(ms(r.stdout)).toBeLessThanOrEqual(ms(w16.stdout));
  });

  test('--max-span: the SLRs the fused block may span (u280 gives its SLLs); 1 keeps every kernel on one SLR', () => {
    // the chosen (fused) space's span gene
    const genes = (name: string) =>
      (JSON.parse(readFileSync(at(`${name}.json`), 'utf8')).space.genes as Array<{ name: string; values: number[] }>).find((g) => g.name === 'span.vit_block')?.values ?? null;
    for (const [name, more] of [['span-all', []], ['span-one', ['--max-span', '1']], ['span-two', ['--max-span', '2']]] as const) {
      const r = searchMicro('u280', '--block', 'fused', '--populations', '1', '--threads', '1', ...more, '-o', at(`${name}.yaml`), '--report', at(`${name}.json`));
      expect(`${r.code} ${r.stderr}`).toMatch(/^0 /);
    }
    expect(genes('span-all')).toEqual([1, 2, 3]);
    expect(genes('span-two')).toEqual([1, 2]);
    expect(genes('span-one')).toBeNull();
    expect(loadDesign(at('span-one.yaml')).span.vit_block).toBe(1);
    expectUserError(searchMicro('u280', '--max-span', '0', '-o', at('x.yaml')), /--max-span/);
  });

  test('the architectures on worker threads: the same design and report as one thread, but the time', () => {
    const run = (threads: string, name: string) =>
      searchMicro(at('tiny.yaml'), '--seed', '5', '--populations', '1', '--threads', threads, '-o', at(`${name}.yaml`), '--report', at(`${name}.json`));
    for (const [threads, name] of [['1', 't1'], ['3', 't3']]) expect(run(threads, name).code).toBe(0);
    expect(readFileSync(at('t3.yaml'), 'utf8')).toBe(readFileSync(at('t1.yaml'), 'utf8'));
    const report = (name: string) => {
      const r = JSON.parse(readFileSync(at(`${name}.json`), 'utf8'));
      delete r.seconds;
      return r;
    };
    const one = report('t1');
    expect(one.architectures).toHaveLength(3);
    expect(report('t3')).toEqual(one);
  });

  test('bad input: exit 2 with one line naming the problem; nothing written', () => {
    expectUserError(
      searchMicro('zcu102', '--objective', 'speed', '-o', at('x.yaml')),
      /--objective: 'speed' is not one of/,
    );
    expectUserError(
      searchMicro('zcu102', '--limit', 'dsp=0.5,dsp=0.6', '-o', at('x.yaml')),
      /contradictory limits for dsp/,
    );
    expectUserError(
      searchMicro('zcu102', '--limit', 'lut=2', '-o', at('x.yaml')),
      /lut=2 must be a fraction/,
    );
    expectUserError(
      searchMicro('zcu102', '--clock', '333', '-o', at('x.yaml')),
      /--clock 333: board zcu102 allows/,
    );
    expectUserError(
      ubimoe('search', '--model', 'm3vit-small', '--board', 'kv260', '-o', at('x.yaml')),
      /no room for even the smallest m3vit-small design/,
    );
    expectUserError(
      ubimoe('search', '--model', 'm3vit-tiny', '--board', 'u280', '--exhaustive', '-o', at('x.yaml')),
      /--exhaustive: the space has/,
    );
    expectUserError(searchMicro('nope', '-o', at('x.yaml')), /unknown board 'nope'/);
    expectUserError(searchMicro('zcu102', '--patch-embed', 'nowhere', '-o', at('x.yaml')), /--patch-embed: 'nowhere' must be kernel, engine or both/);
    expectUserError(searchMicro('zcu102', '--threads', '0', '-o', at('x.yaml')), /--threads/);
    expectUserError(
      searchMicro('zcu102', '--precision', 'w4a4', '-o', at('x.yaml')),
      /--precision: 'w4a4' is not a preset \(w16a32, w8a8\)/,
    );
    expect(existsSync(at('x.yaml'))).toBe(false);
    expectUserError(ubimoe('estimate', '--model', 'micro'), /give --model and --board/);
  });
});

test('ubimoe boards lists the shipped boards with what kernels may use', () => {
  const r = ubimoe('boards');
  expect(r.code).toBe(0);
  for (const b of ['kv260', 'u250', 'u280', 'u50', 'vck190', 'zcu102', 'zcu104'])
    expect(r.stdout).toMatch(new RegExp(`^${b}\\s`, 'm'));
  expect(r.stdout).toMatch(/^u280\s+xcu280-fsvh2892-2L-e\s+vitis-alveo\s+300\s+3\s+8496\s+3504\s+960\s/m);
  expect(JSON.parse(ubimoe('boards', '--json').stdout).length).toBeGreaterThanOrEqual(7);
});

describe('a searched design runs', () => {
  const hasCompiler = requires('g++', spawnSync('g++', ['--version']).status === 0, 'apt-get install g++');
  (hasCompiler ? test : test.skip)(
    'generates, compiles in csim and matches the reference (micro, tiny board)',
    () => {
      const rng = new Rng(5);
      writeNpy(
        at('images.npy'),
        [2, 3, 32, 32],
        Float32Array.from({ length: 2 * 3 * 32 * 32 }, () => rng.normal()),
      );
      expect(
        ubimoe('checkpoint', 'synth', '--model', 'micro', '--seed', '1', '-o', at('ck.safetensors')).code,
      ).toBe(0);
      for (const seed of ['1', '4']) {
        const design = at(`searched-${seed}.yaml`);
        const s = searchMicro(at('tiny.yaml'), '--seed', seed, '-o', design);
        expect(s.code).toBe(0);
        const project = at(`project-${seed}`);
        const g = ubimoe(
          'generate',
          '--model',
          'micro',
          '--board',
          at('tiny.yaml'),
          '--design',
          design,
          '-o',
          project,
        );
        expect(g.stderr).toBe('');
        expect(g.code).toBe(0);
        const c = ubimoe(
          ...inferenceArgs('csim', {
            project,
            checkpoint: at('ck.safetensors'),
            input: at('images.npy'),
            out: at(`out-${seed}.npy`),
          }),
        );
        expect(c.code).toBe(0);
        const acc = JSON.parse(readFileSync(join(project, 'reports', 'accuracy.json'), 'utf8'));
        expect(acc.cosine.min).toBeGreaterThan(0.99);
        expect(acc.cosine.median).toBeGreaterThan(0.9995);
        expect(acc.rel_l2).toBeLessThan(0.02);
        expect(acc.expert_agreement).toBeGreaterThanOrEqual(0.99);
      }
    },
  );
});
