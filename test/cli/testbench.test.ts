/**
 * `ubimoe build --target tb` as a user runs it (the built CLI): tb/ holds the weights, an input
 * and the golden output of the g++ C-simulation, byte for byte what `ubimoe csim` computes from
 * the same weights and input; the g++ test bench passes against it, and fails (exit 1, naming the
 * first differing value) when a single bit of the golden differs. The Vitis targets that run the
 * test bench (hls-csim, cosim; Vitis HLS stood in for by the Tcl stubs) write tb/ first and give
 * csim_design / cosim_design its --golden.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeNpy } from '../../src/io/npy.js';
import { packageRoot } from '../../src/util/paths.js';
import { stubsDir } from '../toolchain/project.js';
import { makeProject, type TestProject } from '../driver/project.js';
import { inferenceArgs, onProject, runCli } from './helpers.js';

let p: TestProject;
let tb: string;
/** Values of the output tokens [1, N, D], and where value i sits. */
const values = () => p.design.dims.numTokens * p.design.dims.D;
const place = (i: number) => ['0', String(Math.floor(i / p.design.dims.D)), String(i % p.design.dims.D)];

const ubimoe = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  runCli(args, { env: { ...process.env, ...env } });

const buildTb = () => ubimoe(['build', '--project', p.dir, '--target', 'tb']);

/** The float32 payload of a .npy file, as bytes. */
function payload(path: string): Buffer {
  const data = decodeNpy(readFileSync(path), path).data as Float32Array;
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Flips bit `bit` of value `index` of tb/golden.npy; returns the value's bits before and after. */
function flipGoldenBit(index: number, bit: number): { was: number; now: number } {
  const file = join(tb, 'golden.npy');
  const bytes = readFileSync(file);
  const offset = bytes.length - payload(file).length + index * 4;
  const was = bytes.readUInt32LE(offset);
  const now = (was ^ (1 << bit)) >>> 0;
  bytes.writeUInt32LE(now, offset);
  writeFileSync(file, bytes);
  return { was, now };
}

const asFloat = (bits: number) => new Float32Array(new Uint32Array([bits]).buffer)[0];
const hex = (bits: number) => `0x${bits.toString(16).padStart(8, '0')}`;

beforeAll(() => {
  // the synthetic checkpoint of seed 0: the weights tb/ is packed from
  p = makeProject('micro', 'u280', {}, 0);
  tb = join(p.dir, 'tb');
});
afterAll(() => rmSync(p.root, { recursive: true, force: true }));

describe('ubimoe build --target tb (g++ only)', () => {
  test("writes tb/ whose golden output is ubimoe csim's output, byte for byte, and the test bench passes", () => {
    const r = buildTb();
    expect(r.stderr).not.toMatch(/✗|error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `test bench passed: output matches ${join(tb, 'golden.npy')} bit for bit (${values()} values)\n`,
    );
    expect(r.stderr).toMatch(
      /^ {2}✓ {2}test-bench data \(tb\/\) +[\d.]+ s {2}\(golden output from the g\+\+ C-simulation\)$/m,
    );
    expect(r.stderr).toMatch(/^ {2}✓ {2}test bench against tb\/golden\.npy +[\d.]+ s$/m);
    for (const f of ['weights.bin', 'input.npy', 'golden.npy', 'argv.txt'])
      expect(existsSync(join(tb, f))).toBe(true);
    expect(readFileSync(join(tb, 'argv.txt'), 'utf8')).toBe(
      '--weights @TB@/weights.bin --input @TB@/input.npy --output @TB@/output.npy --golden @TB@/golden.npy\n',
    );

    const out = join(p.root, 'csim-tokens.npy');
    const csim = ubimoe(inferenceArgs('csim', onProject(p, join(tb, 'input.npy'), out), '--no-reference'));
    expect(csim.code).toBe(0);
    expect(decodeNpy(readFileSync(out), out).shape).toEqual(
      decodeNpy(readFileSync(join(tb, 'golden.npy')), 'golden').shape,
    );
    expect(payload(join(tb, 'golden.npy')).equals(payload(out))).toBe(true);
  });

  test('each kernel has the golden of its first call alone (the HLS test bench is ONE call of it)', () => {
    // tokens after the first patch_embed, msa_block and ffn_block call: all of the forward's shape,
    // each different from the others and from the whole forward's output
    const goldens = ['patch_embed', 'msa_block', 'ffn_block'].map((k) => join(tb, `golden-${k}.npy`));
    const shape = decodeNpy(readFileSync(join(tb, 'golden.npy')), 'golden').shape;
    for (const g of goldens) expect(decodeNpy(readFileSync(g), g).shape).toEqual(shape);
    const all = [...goldens, join(tb, 'golden.npy')].map((f) => payload(f).toString('hex'));
    expect(new Set(all).size).toBe(4);
  });

  test('a second build finds tb/ up to date, keeps it and checks it again', () => {
    const before = statSync(join(tb, 'golden.npy')).mtimeMs;
    const r = buildTb();
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^ {2}✓ {2}test-bench data \(tb\/\) +[\d.]+ s {2}\(up to date\)$/m);
    expect(r.stderr).toMatch(/^ {2}✓ {2}test bench against tb\/golden\.npy /m);
    expect(statSync(join(tb, 'golden.npy')).mtimeMs).toBe(before);
  });

  test('one flipped bit in the golden output fails the test bench: exit 1 naming the first differing value', () => {
    // the lowest mantissa bit of the last value: any tolerance or a shortened loop misses it
    const last = flipGoldenBit(values() - 1, 0);
    let r = buildTb();
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^ {2}✗ {2}test bench against tb\/golden\.npy +[\d.]+ s {2}\(exit 1\)$/m);
    expect(r.stderr).toContain(
      `ubimoe: the test bench (g++ C-simulation checked against tb/golden.npy) failed; log: ${join(p.dir, 'logs', 'tb.log')}\n--- last lines ---\n`,
    );
    const line = (stderr: string) => /^csim_main: output differs from .*$/m.exec(stderr)?.[0] ?? '';
    const first =
      /first at index (\d+) \(image (\d+), token (\d+), dim (\d+)\): got (\S+) \((0x[0-9a-f]{8})\), expected (\S+) \((0x[0-9a-f]{8})\)$/;
    expect(line(r.stderr)).toContain(
      `output differs from ${join(tb, 'golden.npy')} in 1 of ${values()} values;`,
    );
    let m = first.exec(line(r.stderr));
    expect(m?.slice(1, 5)).toEqual([String(values() - 1), ...place(values() - 1)]);
    expect([m?.[6], m?.[8]]).toEqual([hex(last.was), hex(last.now)]);
    // the printed floats name the same values (9 significant digits round-trip a float32)
    expect(Math.fround(Number(m?.[5]))).toBe(asFloat(last.was));
    expect(Math.fround(Number(m?.[7]))).toBe(asFloat(last.now));

    // a second difference earlier on becomes the first one named
    const mid = flipGoldenBit(300, 22);
    r = buildTb();
    expect(r.code).toBe(1);
    expect(line(r.stderr)).toContain(`in 2 of ${values()} values;`);
    m = first.exec(line(r.stderr));
    expect(m?.slice(1, 5)).toEqual(['300', ...place(300)]);
    expect([m?.[6], m?.[8]]).toEqual([hex(mid.was), hex(mid.now)]);
  });

  test('a tb/ made from other sources is written afresh, whole', () => {
    writeFileSync(join(tb, 'stamp.json'), '{"seed":0,"stamp":"made from other sources"}\n');
    const r = buildTb();
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /test-bench data \(tb\/\) +[\d.]+ s {2}\(golden output from the g\+\+ C-simulation\)/,
    );
    expect(r.stdout).toMatch(/^test bench passed: /);
  });
});

describe('the Vitis steps that run the test bench (Vitis HLS stood in for by the Tcl stubs)', () => {
  let env: NodeJS.ProcessEnv;
  const trace = () => join(p.root, 'tcl.trace');
  /** The calls of `command` the stubs recorded. */
  const calls = (command: string) =>
    readFileSync(trace(), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as string[])
      .filter((c) => c[0] === command);

  beforeAll(() => {
    const fakeBin = join(p.root, 'fake-bin');
    mkdirSync(fakeBin);
    symlinkSync(join(stubsDir, 'fake-vitis_hls'), join(fakeBin, 'vitis_hls'));
    env = {
      PATH: `${fakeBin}:${process.env.PATH}`,
      UBIMOE_TCL_TRACE: trace(),
      UBIMOE_STUB_CSYNTH_DIR: join(packageRoot, 'test', 'fixtures', 'csynth', 'u280'),
    };
  });

  test('--dry-run of cosim lists the test-bench step before the HLS steps', () => {
    const r = ubimoe(['build', '--project', p.dir, '--target', 'cosim', '--dry-run'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^ {2}ubimoe build --target tb +# test-bench data \(tb\/\).*\n {2}make cosim-patch_embed /m,
    );
  });

  test('cosim writes tb/ when it is missing, then co-simulates each kernel against its golden output', () => {
    rmSync(tb, { recursive: true, force: true });
    const r = ubimoe(['build', '--project', p.dir, '--target', 'cosim', '--jobs', '1'], env);
    expect(r.stderr).not.toMatch(/✗/);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^ {2}✓ {2}test-bench data \(tb\/\) +[\d.]+ s {2}\(golden output/m);
    expect(existsSync(join(tb, 'golden.npy'))).toBe(true);
    const cosims = calls('cosim_design');
    expect(cosims).toHaveLength(3);
    // one call of the kernel under test: its own golden, the forward stops after it
    const argvOf = (k: string) =>
      readFileSync(join(tb, 'argv.txt'), 'utf8')
        .trim()
        .replaceAll('@TB@', tb)
        .replace('/golden.npy', `/golden-${k}.npy`) + ` --stop-after ${k}`;
    const kernelOf = (c: string[]) => /--stop-after (\w+)$/.exec(c.at(-1)!)?.[1] ?? '';
    expect(cosims.map(kernelOf).sort()).toEqual(['ffn_block', 'msa_block', 'patch_embed']);
    for (const c of cosims) expect(c.slice(-2)).toEqual(['-argv', argvOf(kernelOf(c))]);
    const log = readFileSync(join(p.dir, 'logs', 'cosim-ffn_block.log'), 'utf8');
    expect(log).toContain('UBIMOE_STEPS="csynth cosim"');
    expect(log).toContain('ubimoe: HLS step cosim of ffn_block');
    expect(existsSync(join(p.dir, 'reports', 'synth.json'))).toBe(true);
  });

  test('hls-csim finds tb/ up to date and runs csim_design with --golden', () => {
    rmSync(trace(), { force: true });
    const r = ubimoe(['build', '--project', p.dir, '--target', 'hls-csim'], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^ {2}✓ {2}test-bench data \(tb\/\) +[\d.]+ s {2}\(up to date\)$/m);
    expect(r.stderr).toMatch(/^ {2}✓ {2}HLS C-simulation msa_block /m);
    const csims = calls('csim_design');
    expect(csims).toHaveLength(3);
    for (const c of csims)
      expect(c.at(-1)).toMatch(new RegExp(`--golden ${tb}/golden-(\\w+)\\.npy --stop-after \\1$`));
    expect(r.stdout).not.toMatch(/synthesis results/);
  });
});
