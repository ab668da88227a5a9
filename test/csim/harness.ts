/**
 * The csim test harness: generate a project for a design, pack a synthetic checkpoint, compile
 * (cached across tests and runs by source hash in one shared directory), run, and compare with
 * the float32 reference model.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareTokens, expertAgreement, type Accuracy } from '../../src/build/accuracy.js';
import { buildCsim } from '../../src/build/csim.js';
import { runCsim } from '../../src/build/csimrun.js';
import type { Design } from '../../src/design/design.js';
import { writePackedWeights } from '../../src/driver/pack.js';
import { lintProject, formatIssues } from '../../src/generate/lint.js';
import { generateProject } from '../../src/generate/project.js';
import { synthCheckpoint, type Checkpoint } from '../../src/model/checkpoint.js';
import { Rng } from '../../src/model/prng.js';
import { forwardImages, forwardTokens } from '../../src/model/reference.js';

/** Shared by every csim test (and kept between runs: entries are keyed by a hash of all sources). */
export const CSIM_CACHE = process.env.UBIMOE_CSIM_CACHE ?? join(tmpdir(), 'ubimoe-test-csim-cache');

export const scratch = () => mkdtempSync(join(tmpdir(), 'ubimoe-csim-test-'));

/** Normalised-image-like inputs: N(0, 1) truncated at ±3. */
export function randomInput(count: number, seed: number): Float32Array {
  const rng = new Rng(seed, 17);
  const a = new Float32Array(count);
  for (let i = 0; i < a.length; i++) a[i] = rng.truncNormal(0, 1);
  return a;
}

export interface CsimCase {
  dir: string;
  exe: string;
  weights: string;
  ckpt: Checkpoint;
  lint: string; // formatted lint issues ('' when clean)
}

/** Generates, lints, packs and compiles one design. */
export async function prepare(design: Design, root: string, seed = 1): Promise<CsimCase> {
  const dir = join(root, 'project');
  generateProject(design, dir);
  const ckpt = synthCheckpoint(design.model, seed);
  const weights = join(root, 'weights.bin');
  writePackedWeights(weights, design, ckpt);
  const build = await buildCsim(dir, { cacheDir: CSIM_CACHE });
  return { dir, exe: build.exe, weights, ckpt, lint: formatIssues(lintProject(dir)) };
}

export interface RunAccuracy extends Accuracy {
  msPerImage: number;
  cpuMsPerImage: number;
}

/** Runs `batch` inputs through csim and the reference; returns the comparison. */
export async function accuracy(
  design: Design,
  c: CsimCase,
  opts: { batch: number; task: number; tokens?: boolean; seed?: number },
): Promise<RunAccuracy> {
  const { dims, model } = design;
  const per = opts.tokens ? dims.numTokens * dims.D : model.in_chans * model.img_h * model.img_w;
  const input = randomInput(opts.batch * per, opts.seed ?? 3);
  const r = await runCsim({
    exe: c.exe,
    design,
    weights: c.weights,
    input,
    batch: opts.batch,
    tokens: !!opts.tokens,
    task: opts.task,
  });
  const ref = opts.tokens
    ? forwardTokens(c.ckpt, model, input, opts.batch, { task: opts.task })
    : forwardImages(c.ckpt, model, input, opts.batch, { task: opts.task });
  return {
    ...compareTokens(r.tokens, ref.tokens, dims.D, opts.batch),
    expertAgreement: dims.topK > 0 ? expertAgreement(r.experts, ref.experts, dims.topK) : null,
    msPerImage: r.wallMsPerImage,
    cpuMsPerImage: r.cpuMsPerImage,
  };
}
