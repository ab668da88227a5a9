/**
 * `ubimoe run` as a user runs it (the built CLI; `npm test` builds dist/ first): outputs equal to
 * `ubimoe csim` bit for bit (micro, and 16 m3vit-tiny images with 2 workers), PNG frames, the
 * summary line, one-line errors with exit 2 for bad inputs, a runner killed mid-run: exit 1,
 * an error naming the input and the signal, no output file, no runner left behind; a runner
 * stopped mid-run (SIGSTOP): killed after the timeout, its images retried on the other, exit 0.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { readNpy, encodeNpy } from '../../src/io/npy.js';
import { readCheckpoint, writeCheckpoint } from '../../src/model/checkpoint.js';
import { loadModel, validateModel } from '../../src/model/config.js';
import { synthCheckpoint } from '../../src/model/synth.js';
import { layerNorm } from '../../src/model/reference.js';
import { childPids, makeProject, processExists, writeImages, type TestProject } from '../driver/project.js';
import { inferenceArgs, onProject, runCli, spawnCli } from './helpers.js';

const projects: TestProject[] = [];
afterAll(() => {
  for (const t of projects) rmSync(t.root, { recursive: true, force: true });
});

const ubimoe = (args: string[], timeout = 900_000) => runCli(args, { timeout });

/**
 * `ubimoe run` of 3000 images in the background, returned at the observable point "the runners are
 * up and mid-work": the first result's progress line (2999 images remain, so every runner holds
 * requests in flight whatever the machine's speed). `runners` are its csim runners' pids then;
 * `output()` is what it has written so far.
 */
async function midRun(args: string[]) {
  const cli = spawnCli(args);
  let stderr = '';
  let stdout = '';
  cli.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const firstResult = new Promise<void>((resolve) => {
    cli.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/running: 1\/3000 images/.test(stderr)) resolve();
    });
  });
  const exited = new Promise<number | null>((resolve) => cli.on('close', (code) => resolve(code)));
  await Promise.race([firstResult, exited]);
  const runners = childPids(cli.pid!).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('protocol_main');
    } catch {
      return false;
    }
  });
  return { exited, runners, output: () => ({ stderr, stdout }) };
}

function sameBytes(a: string, b: string): boolean {
  const x = readNpy(a);
  const y = readNpy(b);
  return (
    JSON.stringify(x.shape) === JSON.stringify(y.shape) &&
    Buffer.from(x.data.buffer, x.data.byteOffset, x.data.byteLength).equals(
      Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength),
    )
  );
}

describe('ubimoe run (micro)', () => {
  let p: TestProject;
  let images = '';
  beforeAll(() => {
    p = makeProject('micro');
    projects.push(p);
    images = join(p.root, 'images.npy');
    writeImages(images, p.design, 6, 11);
  }, 900_000);

  test('equals ubimoe csim bit for bit, in order, with 2 workers; summary line', () => {
    const viaRun = join(p.root, 'run.npy');
    const viaCsim = join(p.root, 'csim.npy');
    const r = ubimoe(inferenceArgs('run', onProject(p, images, viaRun), '--workers', '2', '--task', '1'));
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^6 images in [\d.]+ m?s \(csim, 2 workers\): [\d.]+ images\/s, latency mean .*, p50 .*, p99 .* -> .*run\.npy\ncsim: no value saturated in the datapath \(act_t, lin_in_t, qkv_t, score_t, dn_t\)\n$/,
    );
    const c = ubimoe(inferenceArgs('csim', onProject(p, images, viaCsim), '--task', '1', '--no-reference'));
    expect(c.code).toBe(0);
    expect(readNpy(viaRun).shape).toEqual([6, 17, 32]);
    expect(sameBytes(viaRun, viaCsim)).toBe(true);
  }, 900_000);

  test("inputs beyond the activations' range: the runners' saturation counts, summed, equal ubimoe csim's", () => {
    const big = join(p.root, 'big.npy');
    const x = readNpy(images);
    writeFileSync(big, encodeNpy(x.shape, Float32Array.from(x.data as Float32Array, (v) => v * 1000)));
    const r = ubimoe(inferenceArgs('run', onProject(p, big, join(p.root, 'big-run.npy')), '--workers', '2'));
    expect(r.code).toBe(0);
    const warning = /^ubimoe: warning: csim: ([\d,]+) value\(s\) saturated in the datapath over 6 image\(s\): (.*);/m;
    const viaRun = warning.exec(r.stderr);
    expect(viaRun).not.toBeNull();
    expect(viaRun![2]).toMatch(/act_t\/lin_in_t \(ap_fixed<32,10>\)/);
    // one csim process over the same images counts the same values (the 2 runners' counts add up)
    const c = ubimoe(inferenceArgs('csim', onProject(p, big, join(p.root, 'big-csim.npy')), '--no-reference'));
    expect(c.code).toBe(0);
    expect(warning.exec(c.stderr)?.slice(1)).toEqual(viaRun!.slice(1));
  }, 900_000);

  test('PNG frames and npy inputs in one run; --final-norm applies the final LayerNorm on the host', () => {
    const png = new PNG({ width: 40, height: 24 });
    for (let i = 0; i < 40 * 24; i++) png.data.set([(i * 7) % 256, (i * 3) % 256, 200, 255], 4 * i);
    const frame = join(p.root, 'frame.png');
    writeFileSync(frame, PNG.sync.write(png));
    const plain = join(p.root, 'plain.npy');
    const normed = join(p.root, 'normed.npy');
    expect(
      ubimoe(['run', '--project', p.dir, '--checkpoint', p.checkpoint, '--input', frame, images, '-o', plain])
        .code,
    ).toBe(0);
    expect(
      ubimoe([
        'run',
        '--project',
        p.dir,
        '--checkpoint',
        p.checkpoint,
        '--input',
        frame,
        images,
        '-o',
        normed,
        '--final-norm',
      ]).code,
    ).toBe(0);
    const a = readNpy(plain);
    expect(a.shape).toEqual([7, 17, 32]);
    const ckpt = readCheckpoint(p.checkpoint, p.design.model);
    const expected = layerNorm(
      a.data as Float32Array,
      7 * 17,
      32,
      ckpt.get('norm.weight')!.data,
      ckpt.get('norm.bias')!.data,
      new Float32Array(7 * 17 * 32),
    );
    expect(Array.from(readNpy(normed).data)).toEqual(Array.from(expected));
  }, 900_000);

  test('bad inputs: exit 2 with one line, no output written', () => {
    const out = join(p.root, 'never.npy');
    const bad = (args: string[], pattern: RegExp) => {
      const r = ubimoe(['run', '--project', p.dir, '--checkpoint', p.checkpoint, '-o', out, ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
    };
    const wrongShape = join(p.root, 'wrong.npy');
    writeFileSync(wrongShape, encodeNpy([2, 3, 16, 16], new Float32Array(2 * 768)));
    bad(['--input', wrongShape], /wrong\.npy: shape \(2, 3, 16, 16\) is neither images/);
    const nan = new Float32Array(2 * 3072);
    nan[3072 + 10] = NaN;
    const nanFile = join(p.root, 'nan.npy');
    writeFileSync(nanFile, encodeNpy([2, 3, 32, 32], nan));
    bad(['--input', nanFile], /input 1 \(.*nan\.npy\[1\]\): value 10 is NaN/);
    const broken = join(p.root, 'broken.png');
    writeFileSync(broken, 'PNG? no');
    bad(['--input', broken], /broken\.png: not a readable PNG \(no PNG signature: not a PNG file\)/);
    bad(['--input', images, '--task', '2'], /--task 2 out of range/);
    bad(
      ['--input', images, '--backend', 'xrt', '--xclbin', join(p.root, 'no.xclbin')],
      /no\.xclbin: no such xclbin file/,
    );
    bad(['--input', images, '--workers', '0'], /--workers must be an integer >= 1/);
    bad(['--input', images, '--timeout', 'soon'], /--timeout must be a positive number/);
    const r = ubimoe(
      inferenceArgs('run', { ...onProject(p, images, out), checkpoint: join(p.root, 'none.safetensors') }),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/none\.safetensors: no such checkpoint file/);
    // a checkpoint of another model
    const wide = join(p.root, 'micro-wide.safetensors');
    writeCheckpoint(
      wide,
      synthCheckpoint(validateModel({ ...loadModel('micro'), name: 'micro-wide', embed_dim: 48 }, 'test'), 1),
    );
    const w = ubimoe(inferenceArgs('run', { ...onProject(p, images, out), checkpoint: wide }));
    expect(w.code).toBe(2);
    expect(w.stderr).toMatch(
      /micro-wide\.safetensors: tensor '.*' has shape .*, expected .* for model micro/,
    );
    expect(existsSync(out)).toBe(false);
  }, 900_000);

  test('a runner killed mid-run: exit 1, names the input and the signal, no output, no runner left', async () => {
    const many = join(p.root, 'many.npy');
    writeImages(many, p.design, 3000, 5);
    const out = join(p.root, 'killed.npy');
    const { exited, runners, output } = await midRun(
      inferenceArgs('run', onProject(p, many, out), '--workers', '2'),
    );
    expect(runners).toHaveLength(2);
    process.kill(runners[0], 'SIGKILL');
    const code = await exited;
    expect(code).toBe(1);
    const { stderr } = output();
    expect(stderr).toMatch(
      /csim runner #\d \(pid \d+\) was killed by signal SIGKILL while processing input \d+/,
    );
    expect(stderr).not.toMatch(/internal error|\n\s+at /);
    expect(existsSync(out)).toBe(false);
    for (const pid of runners) expect(processExists(pid)).toBe(false);
  }, 900_000);

  test('a runner stopped mid-run (SIGSTOP): one stderr line, its images retried on the other runner, exit 0, the same bits', async () => {
    const many = join(p.root, 'many-stop.npy');
    writeImages(many, p.design, 3000, 6);
    const healthy = join(p.root, 'healthy.npy');
    expect(ubimoe(inferenceArgs('run', onProject(p, many, healthy))).code).toBe(0);
    const out = join(p.root, 'stopped.npy');
    // no --timeout: the default adapts to the answers (10x the median, at least 5 s)
    const { exited, runners, output } = await midRun(
      inferenceArgs('run', onProject(p, many, out), '--workers', '2'),
    );
    expect(runners).toHaveLength(2);
    // a stopped runner never answers again: the stream can only end through the timeout and retry
    process.kill(runners[0], 'SIGSTOP');
    const code = await exited;
    expect(code).toBe(0);
    const { stderr, stdout } = output();
    const hung = stderr.split('\n').filter((l) => /hung/.test(l));
    expect(hung).toHaveLength(1);
    expect(hung[0]).toMatch(
      /^csim runner #[12] hung on input \d+ \(no answer within [\d.]+ s\); killed it, retrying input \d+ on another runner( \(with the \d+ inputs? queued behind it\))?$/,
    );
    expect(stderr).not.toMatch(/error|\n\s+at /);
    // the killed runner's saturation counts are lost, and the line says so
    expect(stdout).toMatch(
      /^3000 images in .* -> .*stopped\.npy\ncsim: no value saturated in the datapath \(.*\) \(not counted: the images of a runner that was killed\)\n$/,
    );
    expect(sameBytes(out, healthy)).toBe(true);
    for (const pid of runners) expect(processExists(pid)).toBe(false); // the stopped one was killed
  }, 900_000);
});

describe('ubimoe run (m3vit-tiny)', () => {
  test('16 images with --workers 2 equal ubimoe csim bit for bit, in order', () => {
    const p = makeProject('m3vit-tiny');
    projects.push(p);
    const images = join(p.root, 'images.npy');
    writeImages(images, p.design, 16, 21);
    const viaRun = join(p.root, 'run.npy');
    const viaCsim = join(p.root, 'csim.npy');
    const r = ubimoe(inferenceArgs('run', onProject(p, images, viaRun), '--workers', '2'));
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^16 images in /);
    const c = ubimoe(inferenceArgs('csim', onProject(p, images, viaCsim), '--no-reference'));
    expect(c.code).toBe(0);
    expect(readNpy(viaRun).shape).toEqual([16, 129, 192]);
    expect(sameBytes(viaRun, viaCsim)).toBe(true);
  }, 900_000);
});
