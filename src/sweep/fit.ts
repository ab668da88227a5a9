/**
 * `ubimoe calibrate DIR`: the cost model's correction factors, per kernel and metric (worst-case
 * latency cycles, DSP, BRAM18, URAM, LUT, FF), fitted by least squares over every synthesised
 * design of a sweep at once. The model is synthesised = f × predicted with one f per kernel and
 * metric; the fit minimises the squared log residuals, Σ (ln s - ln f - ln p)², because the
 * errors are relative (a kernel's LUTs span orders of magnitude across designs, and an absolute
 * fit would only see the largest design). Its solution, ln f = mean ln(s / p), is the geometric
 * mean of the ratios: exactly what the calibration file's reader (src/toolchain/calibration.ts)
 * computes from per-design ratios, so the file holds one entry per design and `estimate` and
 * `search` apply the fitted factors as they are.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  CALIBRATED_METRICS,
  calibrationFactors,
  calibrationPath,
  loadCalibration,
  ratiosFromComparison,
  type CalibratedMetric,
  type Calibration,
  type KernelFactors,
} from '../toolchain/calibration.js';
import type { ComparisonRow } from '../toolchain/compare.js';
import { KERNEL_NAMES } from '../kernels/params.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { designResults } from './results.js';
import { readSweep } from './sweepfile.js';

export interface FitRow {
  kernel: string;
  metric: CalibratedMetric;
  points: number;
  factor: number;
  /** root mean square of the relative residual s / (f p) - 1, before (f = 1) and after the fit */
  rmsBefore: number;
  rmsAfter: number;
  maxBefore: number;
  maxAfter: number;
}

export interface FitResult {
  path: string;
  board: string;
  designs: number; // the sweep's synthesised designs
  fileDesigns: number; // the calibration file's designs after the update (earlier ones kept unless --replace)
  rows: FitRow[];
  factors: KernelFactors;
}

/** The id a design has in the calibration file (as `ubimoe build --save-calibration` names it). */
export function designId(project: string): string {
  return createHash('sha256')
    .update(readFileSync(join(project, 'design.yaml')))
    .digest('hex')
    .slice(0, 16);
}

function residuals(points: Array<{ p: number; s: number }>, f: number) {
  const r = points.map(({ p, s }) => s / (f * p) - 1);
  return {
    rms: Math.sqrt(r.reduce((a, v) => a + v * v, 0) / r.length),
    max: Math.max(...r.map(Math.abs)),
  };
}

export function calibrateSweep(
  dirArg: string,
  opts: { replace?: boolean; env?: NodeJS.ProcessEnv } = {},
): FitResult {
  const env = opts.env ?? process.env;
  const dir = resolve(dirArg);
  const sweep = readSweep(dir);
  const perDesign: Array<{ id: string; project: string; rows: ComparisonRow[] }> = [];
  for (const d of sweep.designs) {
    const project = join(dir, d.project);
    const r = designResults(project);
    if (r.synth) perDesign.push({ id: designId(project), project, rows: r.synth });
  }
  if (!perDesign.length)
    throw new UserError(
      `${dirArg}: no design has synthesis reports (run the sweep with --target csynth, xo or hw)`,
    );

  const board = sweep.board;
  const path = calibrationPath(board, env);
  const cal: Calibration = (!opts.replace && loadCalibration(board, env)) || {
    format: 'ubimoe-calibration/1',
    board,
    designs: [],
  };
  const ids = new Set(perDesign.map((d) => d.id));
  cal.designs = cal.designs.filter((d) => !ids.has(d.design));
  const now = new Date().toISOString();
  for (const d of perDesign) {
    const ratios = ratiosFromComparison(d.rows);
    if (!Object.keys(ratios).length) continue;
    cal.designs.push({ design: d.id, model: sweep.model, project: d.project, saved_at: now, ratios });
  }
  // the least-squares fit (over the file's designs: the sweep's, and earlier ones unless --replace)
  const factors = calibrationFactors(cal, path).factors;

  const rows: FitRow[] = [];
  for (const k of KERNEL_NAMES)
    for (const m of CALIBRATED_METRICS) {
      const f = factors[k]?.[m];
      if (f === undefined) continue;
      const points = perDesign
        .map((d) => d.rows.find((r) => r.kernel === k && r.metric === m))
        .filter((r): r is ComparisonRow => !!r && r.ratio !== null && r.ratio > 0)
        .map((r) => ({ p: r.predicted!, s: r.synthesised! }));
      if (!points.length) continue;
      const before = residuals(points, 1);
      const after = residuals(points, f);
      rows.push({
        kernel: k,
        metric: m,
        points: points.length,
        factor: f,
        rmsBefore: before.rms,
        rmsAfter: after.rms,
        maxBefore: before.max,
        maxAfter: after.max,
      });
    }
  writeFileAtomic(path, JSON.stringify(cal, null, 2) + '\n');
  return { path, board, designs: perDesign.length, fileDesigns: cal.designs.length, rows, factors };
}

/** The residual table printed by `ubimoe calibrate`. */
export function formatFit(r: FitResult): string {
  const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
  const head = ['kernel', 'metric', 'points', 'factor', 'rms before', 'rms after', 'max before', 'max after'];
  const body = r.rows.map((x) => [
    x.kernel,
    x.metric,
    String(x.points),
    x.factor.toFixed(4),
    pct(x.rmsBefore),
    pct(x.rmsAfter),
    pct(x.maxBefore),
    pct(x.maxAfter),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (c: string[]) => c.map((v, i) => (i < 2 ? v.padEnd(w[i]) : v.padStart(w[i]))).join('  ');
  return [line(head), ...body.map(line)].join('\n') + '\n';
}
