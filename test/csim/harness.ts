/**
 * The csim test harness: generate a project for a design, pack a synthetic checkpoint, compile
 * (cached across tests and runs by source hash in one shared directory), run, and compare with
 * the float32 reference model: token figures, raw expert agreement and the margin-aware expert
 * agreement (`marginAgreement`, docs/csim.md "Expert agreement and gate margins").
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { compareTokens, expertAgreement, type Accuracy } from '../../src/toolchain/accuracy.js';
import { buildCsim } from '../../src/toolchain/csim.js';
import { runCsim } from '../../src/toolchain/csimrun.js';
import type { Saturation } from '../../src/toolchain/saturation.js';
import type { Design } from '../../src/design/design.js';
import { writePackedWeights } from '../../src/driver/pack.js';
import { fatalIssues, formatIssues, lintProject } from '../../src/generate/lint.js';
import { generateProject } from '../../src/generate/project.js';
import { synthCheckpoint, type Checkpoint } from '../../src/model/checkpoint.js';
import { Rng } from '../../src/model/prng.js';
import { forwardImages, forwardTokens, type GateMargins } from '../../src/model/reference.js';

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

/** The same compiled design with the weights of another synthetic checkpoint (packed into c's directory). */
export function withSeed(design: Design, c: CsimCase, seed: number): CsimCase {
  const ckpt = synthCheckpoint(design.model, seed);
  const weights = join(dirname(c.weights), `weights-seed${seed}.bin`);
  writePackedWeights(weights, design, ckpt);
  return { ...c, weights, ckpt };
}

/** Generates, lints, packs and compiles one design. */
export async function prepare(design: Design, root: string, seed = 1): Promise<CsimCase> {
  const dir = join(root, 'project');
  generateProject(design, dir);
  const ckpt = synthCheckpoint(design.model, seed);
  const weights = join(root, 'weights.bin');
  writePackedWeights(weights, design, ckpt);
  const build = await buildCsim(dir, { cacheDir: CSIM_CACHE });
  return { dir, exe: build.exe, weights, ckpt, lint: formatIssues(fatalIssues(lintProject(dir))) };
}

/**
 * The relative gate margin (GateMargins.relative: the logit gap of a chosen and an unchosen expert
 * over ‖h‖·‖w_a − w_b‖) above which csim must choose the reference's experts, per precision preset:
 * 2× the largest margin of any first flip measured (a disagreement not after a near-tie flip in an
 * earlier MoE block of the same image; see marginAgreement), over checkpoint seeds 1..6, both tasks,
 * 2 images (the test inputs) of micro (default and 4-wide tiles), micro with 16 experts, micro top-1
 * (W16A32 only) and m3vit-tiny:
 *  - w16a32: 14 first flips (13 on m3vit-tiny, 1 on micro-e16), largest margin 1.02e-4 (m3vit-tiny
 *    seed 1 task 0; then 8.9e-5, 5.5e-5; micro-e16's 1.3e-5) -> 2e-4;
 *  - w8a8: 148 first flips (137 m3vit-tiny, 11 micro), largest 8.1e-3 (micro seed 4 task 1; then
 *    5.3e-3; m3vit-tiny's largest 5.1e-3) -> 1.6e-2.
 * Both maxima are about ε/√D (ε the run's relative L2 error, D the width): what a quantisation error
 * in a random direction projects onto w_a − w_b. docs/csim.md "Expert agreement and gate margins".
 */
export const MARGIN_MIN: Record<string, number> = { w16a32: 2e-4, w8a8: 1.6e-2 };

export interface GroupRef {
  image: number;
  block: number; // model block index
  token: number;
  margin: number; // relative gate margin of the reference
}

export interface MarginAgreement {
  threshold: number;
  groups: number; // (image, MoE block, token) groups
  /** Groups compared: margin above the threshold, and no near-tie flip in an earlier MoE block of the image. */
  compared: number;
  /** Agreement among the compared groups (1 when none were compared). */
  agreement: number;
  nearTies: number; // groups not after a near-tie flip, with margin <= threshold
  shadowed: number; // groups (any margin) after a near-tie flip in an earlier MoE block of the image
  /** Disagreements not after a near-tie flip: what quantisation (or a bug) did directly. */
  firstFlips: GroupRef[];
  excused: number; // first flips at near ties (margin <= threshold)
  failures: GroupRef[]; // first flips above the threshold: disagreements among the compared groups
  later: number; // disagreements after a near-tie flip (not judged)
}

/**
 * Expert agreement on the choices that quantisation cannot flip. A group (image, MoE block, token)
 * is compared when its reference gate margin (relative, see GateMargins) exceeds `threshold` and no
 * near-tie group (margin <= threshold) of an earlier MoE block of the same image disagreed: such a
 * flip changes that token's block output by p·(expert_a − expert_b), a full-size change that
 * attention spreads to every token of the image in the next block, so later gates of that image no
 * longer see inputs within quantisation error of the reference's (on m3vit-tiny W16A32 they then
 * flip at margins up to 1.1e-2, 100× the largest first flip's).
 * Layouts: experts [B, M, N, K], margins [B, M, N]; `blocks` = the model index of each MoE block.
 */
export function marginAgreement(
  csimExperts: Int32Array,
  refExperts: Int32Array,
  margins: GateMargins,
  shape: { batch: number; blocks: number[]; tokens: number; topK: number },
  threshold: number,
): MarginAgreement {
  const { batch, blocks, tokens: N, topK: K } = shape;
  const M = blocks.length;
  if (csimExperts.length !== batch * M * N * K || refExperts.length !== csimExperts.length)
    throw new Error(
      `marginAgreement: ${csimExperts.length} / ${refExperts.length} choices for ${batch}×${M}×${N}×${K}`,
    );
  const r: MarginAgreement = {
    threshold,
    groups: batch * M * N,
    compared: 0,
    agreement: 1,
    nearTies: 0,
    shadowed: 0,
    firstFlips: [],
    excused: 0,
    failures: [],
    later: 0,
  };
  let agree = 0;
  for (let b = 0; b < batch; b++) {
    let after = false; // a near-tie flip in an earlier MoE block of this image
    for (let m = 0; m < M; m++) {
      let flipHere = false;
      for (let n = 0; n < N; n++) {
        const g = (b * M + m) * N + n;
        const same =
          expertAgreement(
            csimExperts.subarray(g * K, (g + 1) * K),
            refExperts.subarray(g * K, (g + 1) * K),
            K,
          ) === 1;
        const margin = margins.relative[g];
        const nearTie = !(margin > threshold); // NaN counts as a near tie
        if (after) {
          r.shadowed++;
          if (!same) r.later++;
          continue;
        }
        if (!same) r.firstFlips.push({ image: b, block: blocks[m], token: n, margin });
        if (nearTie) {
          r.nearTies++;
          if (!same) {
            r.excused++;
            flipHere = true;
          }
        } else {
          r.compared++;
          if (same) agree++;
          else r.failures.push({ image: b, block: blocks[m], token: n, margin });
        }
      }
      after ||= flipHere;
    }
  }
  r.agreement = r.compared ? agree / r.compared : 1;
  return r;
}

export interface RunAccuracy extends Accuracy {
  msPerImage: number;
  cpuMsPerImage: number;
  /** Margin-aware expert agreement; null for a dense model. */
  experts: MarginAgreement | null;
  /** Values the datapath's saturating types clamped, per format (the csim runner's counts). */
  saturations: Saturation[];
}

/** Runs `batch` inputs through csim and the reference; returns the comparison. */
export async function accuracy(
  design: Design,
  c: CsimCase,
  opts: { batch: number; task: number; tokens?: boolean; seed?: number; marginMin?: number },
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
  const fwd = { task: opts.task, margins: true };
  const ref = opts.tokens
    ? forwardTokens(c.ckpt, model, input, opts.batch, fwd)
    : forwardImages(c.ckpt, model, input, opts.batch, fwd);
  const moe = dims.topK > 0 && ref.moeBlockIndices.length > 0;
  const threshold = opts.marginMin ?? MARGIN_MIN[design.file.precision];
  if (moe && !(threshold >= 0))
    throw new Error(`no gate margin threshold for precision ${design.file.precision}`);
  return {
    ...compareTokens(r.tokens, ref.tokens, dims.D, opts.batch),
    expertAgreement: moe ? expertAgreement(r.experts, ref.experts, dims.topK) : null,
    experts: moe
      ? marginAgreement(
          r.experts,
          ref.experts,
          ref.gateMargins!,
          { batch: opts.batch, blocks: ref.moeBlockIndices, tokens: dims.numTokens, topK: dims.topK },
          threshold,
        )
      : null,
    msPerImage: r.wallMsPerImage,
    cpuMsPerImage: r.cpuMsPerImage,
    saturations: r.saturations,
  };
}

/** One line of every figure (tests print it so a run shows what was measured). */
export function summary(what: string, a: RunAccuracy): string {
  const e = a.experts;
  const experts = e
    ? `experts ${(100 * a.expertAgreement!).toFixed(2)}% raw, ${(100 * e.agreement).toFixed(2)}% of ` +
      `${e.compared}/${e.groups} with margin > ${e.threshold} (first flips ${e.firstFlips.length}, ` +
      `largest margin ${e.firstFlips.length ? Math.max(...e.firstFlips.map((f) => f.margin)).toPrecision(2) : '-'}; ` +
      `${e.shadowed} groups after a near-tie flip, ${e.later} flipped)`
    : 'dense';
  const sat = a.saturations.filter((s) => s.count > 0);
  const saturated = sat.length ? `saturated ${sat.map((s) => `${s.count} ${s.format}`).join(', ')}` : 'nothing saturated';
  return (
    `${what}: 1-cos median ${(1 - a.cosineMedian).toPrecision(3)}, 1-cos min ${(1 - a.cosineMin).toPrecision(3)}, ` +
    `rel L2 ${(100 * a.relL2).toPrecision(3)}%, max abs ${a.maxAbs.toPrecision(3)}, ${experts}, ${saturated}, ` +
    `${a.cpuMsPerImage.toFixed(0)} ms cpu/image\n`
  );
}

/**
 * Bounds on one run's errors, each about 2× the error measured when it was set (the measured
 * figures are written beside each bound; docs/csim.md "Bounds" has the rule for changing them).
 */
export interface ErrorBounds {
  cosMedian: number; // 1 − median per-token cosine
  cosMin: number; // 1 − smallest per-token cosine
  relL2: number; // relative L2 error
  maxAbs: number; // max abs error
  rawExperts?: number; // 1 − raw expert agreement (omitted: not bounded)
  saturated?: number; // values the datapath's saturating types may clamp (default 0: none)
}

/**
 * What in `a` breaks `b`, as readable lines (empty when within): the error bounds, and for MoE
 * models the margin-aware expert agreement, which must be 100% (every choice whose gate margin
 * exceeds the threshold equals the reference's) over at least one compared group. NaN breaks every bound.
 */
export function violations(a: RunAccuracy, b: ErrorBounds): string[] {
  const v: string[] = [];
  const check = (what: string, err: number, bound: number) => {
    if (!(err <= bound)) v.push(`${what} ${err.toPrecision(3)} > bound ${bound}`);
  };
  check('1 - median cosine', 1 - a.cosineMedian, b.cosMedian);
  check('1 - min cosine', 1 - a.cosineMin, b.cosMin);
  check('rel L2', a.relL2, b.relL2);
  check('max abs', a.maxAbs, b.maxAbs);
  if (b.rawExperts !== undefined && a.expertAgreement !== null)
    check('1 - raw expert agreement', 1 - a.expertAgreement, b.rawExperts);
  // a clamped activation is a range too narrow for these inputs: none allowed unless bounded
  const saturated = a.saturations.reduce((t, s) => t + s.count, 0);
  if (saturated > (b.saturated ?? 0))
    v.push(`${saturated} value(s) saturated (${a.saturations.map((s) => `${s.count} ${s.format}`).join(', ')}) > bound ${b.saturated ?? 0}`);
  const e = a.experts;
  if (e) {
    for (const f of e.failures)
      v.push(
        `image ${f.image} block ${f.block} token ${f.token}: experts differ from the reference's at gate margin ` +
          `${f.margin.toPrecision(3)} > ${e.threshold}`,
      );
    if (e.compared === 0) v.push(`no expert choice compared (all ${e.groups} at near ties or after one)`);
  }
  return v;
}
