import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadDesign, type Design } from '../design/design.js';
import { estimateDesign, estimateJson } from '../design/estimate.js';
import { UserError, describeError } from '../util/errors.js';
import { parseWith } from '../util/yamlfile.js';
import { comparePrediction } from './compare.js';
import { readAccuracy } from './read/accuracy.js';
import { estimateFileSchema, readEstimate, toPrediction } from './read/estimate.js';
import { readSearch } from './read/search.js';
import { readSynth } from './read/synth.js';
import type { Prediction, ReportData } from './types.js';

/** The report files of a project, relative to its root. */
export const REPORT_FILES = {
  estimate: 'reports/estimate.json',
  search: 'reports/search.json',
  accuracy: 'reports/accuracy.json',
  synth: 'reports/synth.json',
} as const;

function readManifest(dir: string): Record<string, unknown> | undefined {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) return undefined;
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (m && typeof m === 'object' && !Array.isArray(m)) return m as Record<string, unknown>;
  } catch (err) {
    throw new UserError(`${path}: not valid JSON: ${describeError(err)}`);
  }
  throw new UserError(`${path}: must be a JSON object`);
}

/**
 * The project's predicted figures: reports/estimate.json when present, else computed now from
 * design.yaml by the current cost model (the function `ubimoe estimate` uses).
 */
function predict(dir: string, design: Design): { prediction: Prediction | null; missing?: string } {
  const fromFile = readEstimate(join(dir, REPORT_FILES.estimate));
  if (fromFile) return { prediction: fromFile };
  try {
    const computed = parseWith(estimateFileSchema, estimateJson(estimateDesign(design)), 'computed estimate');
    return { prediction: toPrediction(computed, 'computed') };
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    return {
      prediction: null,
      missing: `no ${REPORT_FILES.estimate}, and the cost model cannot estimate this design: ${err.message}`,
    };
  }
}

/** Reads everything a report shows from a generated project directory. */
export function gatherReport(dir: string, opts: { version: string; now?: Date }): ReportData {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UserError(`${dir}: no such project directory`);
  const designPath = join(dir, 'design.yaml');
  const hasManifest = existsSync(join(dir, 'manifest.json'));
  if (!existsSync(designPath)) {
    throw new UserError(
      hasManifest
        ? `${dir}: design.yaml is missing (regenerate the project with ubimoe generate)`
        : `${dir}: not a ubimoe project (no design.yaml or manifest.json; create one with ubimoe generate)`,
    );
  }
  const design = loadDesign(designPath);
  const manifest = readManifest(dir);
  const { prediction, missing } = predict(dir, design);
  const synth = readSynth(join(dir, REPORT_FILES.synth));
  return {
    projectDir: dir,
    design,
    manifest,
    prediction,
    predictionMissing: missing,
    search: readSearch(join(dir, REPORT_FILES.search)),
    accuracy: readAccuracy(join(dir, REPORT_FILES.accuracy)),
    synth,
    comparison: synth && prediction ? comparePrediction(prediction, synth) : null,
    generatedAt: (opts.now ?? new Date()).toISOString(),
    ubimoeVersion: opts.version,
  };
}
