import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { RESOURCE_KEYS } from '../board/schema.js';
import { KERNEL_NAMES, type KernelName } from '../kernels/params.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError, describeError } from '../util/errors.js';
import { parseWith } from '../util/yamlfile.js';
import type { ComparisonRow } from './compare.js';

/**
 * Calibration of the cost model from synthesis results, per board.
 *
 * Each saved design contributes, per kernel, the ratio synthesised / predicted of its worst-case
 * latency and of each resource (from `compareWithPrediction`). The factor the estimator applies
 * is the geometric mean of those ratios over the saved designs (a design saved again replaces its
 * earlier entry). Files live in $UBIMOE_CALIBRATION_DIR, default ~/.ubimoe/calibration/<board>.json.
 * Only HLS estimates feed it (csynth.xml): it corrects the model towards what Vitis HLS predicts,
 * not towards placed-and-routed or measured figures.
 */
export const CALIBRATED_METRICS = ['latency_cycles', ...RESOURCE_KEYS] as const;
export type CalibratedMetric = (typeof CALIBRATED_METRICS)[number];

const ratiosSchema = z.record(
  z.enum(KERNEL_NAMES),
  z.record(z.enum(CALIBRATED_METRICS), z.number().positive()),
);

const calibrationSchema = z
  .object({
    format: z.literal('ubimoe-calibration/1'),
    board: z.string(),
    designs: z.array(
      z
        .object({
          design: z.string().min(1), // id of the design (hash of its design.yaml)
          model: z.string(),
          project: z.string(),
          saved_at: z.string(),
          ratios: ratiosSchema,
        })
        .strict(),
    ),
  })
  .strict();

export type Calibration = z.infer<typeof calibrationSchema>;
export type CalibrationEntry = Calibration['designs'][number];
export type KernelFactors = Partial<Record<KernelName, Partial<Record<CalibratedMetric, number>>>>;

/** The factors `estimate` applies for one board, and how many designs they rest on. */
export interface CalibrationFactors {
  board: string;
  designs: number;
  factors: KernelFactors;
  path: string;
}

export function calibrationDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.UBIMOE_CALIBRATION_DIR || join(homedir(), '.ubimoe', 'calibration');
}

export function calibrationPath(board: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(calibrationDir(env), `${board}.json`);
}

/** The saved calibration of a board, or null when there is none. */
export function loadCalibration(board: string, env: NodeJS.ProcessEnv = process.env): Calibration | null {
  const path = calibrationPath(board, env);
  if (!existsSync(path)) return null;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`${path}: not valid JSON: ${describeError(err)} (delete it to start over)`);
  }
  const cal = parseWith(calibrationSchema, value, `calibration ${path}`);
  if (cal.board !== board)
    throw new UserError(`calibration ${path}: is for board '${cal.board}', not '${board}'`);
  return cal;
}

/** Ratios worth keeping from a comparison: calibrated metrics with a finite, positive ratio. */
export function ratiosFromComparison(rows: ComparisonRow[]): CalibrationEntry['ratios'] {
  const out: CalibrationEntry['ratios'] = {};
  for (const r of rows) {
    if (!(CALIBRATED_METRICS as readonly string[]).includes(r.metric)) continue;
    if (r.ratio === null || !(r.ratio > 0) || !Number.isFinite(r.ratio)) continue;
    (out[r.kernel] ??= {})[r.metric as CalibratedMetric] = r.ratio;
  }
  return out;
}

/**
 * Adds (or replaces, by design id) one design's ratios to the board's calibration file and
 * returns the updated calibration. Written atomically.
 */
export function saveCalibration(
  board: string,
  entry: Omit<CalibrationEntry, 'saved_at'>,
  env: NodeJS.ProcessEnv = process.env,
): Calibration {
  if (!Object.keys(entry.ratios).length)
    throw new UserError(`nothing to calibrate: no kernel has both a prediction and a synthesis result`);
  const cal: Calibration = loadCalibration(board, env) ?? {
    format: 'ubimoe-calibration/1',
    board,
    designs: [],
  };
  cal.designs = cal.designs.filter((d) => d.design !== entry.design);
  cal.designs.push({ ...entry, saved_at: new Date().toISOString() });
  writeFileAtomic(calibrationPath(board, env), JSON.stringify(cal, null, 2) + '\n');
  return cal;
}

/** Geometric mean of each kernel/metric ratio over the designs that have it. */
export function calibrationFactors(cal: Calibration, path = ''): CalibrationFactors {
  const factors: KernelFactors = {};
  for (const k of KERNEL_NAMES) {
    for (const m of CALIBRATED_METRICS) {
      const logs = cal.designs
        .map((d) => d.ratios[k]?.[m])
        .filter((v): v is number => v !== undefined)
        .map(Math.log);
      if (!logs.length) continue;
      (factors[k] ??= {})[m] = Math.exp(logs.reduce((a, b) => a + b, 0) / logs.length);
    }
  }
  return { board: cal.board, designs: cal.designs.length, factors, path };
}

/** The factors for a board, or null when it has no saved calibration (what `estimate` calls). */
export function boardCalibration(
  board: string,
  env: NodeJS.ProcessEnv = process.env,
): CalibrationFactors | null {
  const cal = loadCalibration(board, env);
  return cal && cal.designs.length ? calibrationFactors(cal, calibrationPath(board, env)) : null;
}

/** `value` scaled by the kernel's factor for `metric` (unchanged without one). */
export function calibrated(
  f: CalibrationFactors | null,
  kernel: KernelName,
  metric: CalibratedMetric,
  value: number,
): number {
  const factor = f?.factors[kernel]?.[metric];
  return factor === undefined ? value : value * factor;
}
