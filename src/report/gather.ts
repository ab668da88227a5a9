import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadDesign } from '../design/design.js';
import { UserError, describeError } from '../util/errors.js';
import { comparePrediction } from './compare.js';
import { readAccuracy } from './read/accuracy.js';
import { readEstimate } from './read/estimate.js';
import { readSearch } from './read/search.js';
import { readSynth } from './read/synth.js';
import type { ReportData } from './types.js';

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
  const prediction = readEstimate(join(dir, REPORT_FILES.estimate));
  const synth = readSynth(join(dir, REPORT_FILES.synth));
  return {
    projectDir: dir,
    design,
    manifest,
    prediction,
    predictionMissing: prediction
      ? undefined
      : `no ${REPORT_FILES.estimate}: run ubimoe estimate on this design`,
    search: readSearch(join(dir, REPORT_FILES.search)),
    accuracy: readAccuracy(join(dir, REPORT_FILES.accuracy)),
    synth,
    comparison: synth && prediction ? comparePrediction(prediction, synth) : null,
    generatedAt: (opts.now ?? new Date()).toISOString(),
    ubimoeVersion: opts.version,
  };
}
