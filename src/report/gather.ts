import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadDesign, type Design } from '../design/design.js';
import { estimateDesign, estimateJson } from '../design/estimate.js';
import { UserError, describeError } from '../util/errors.js';
import { parseWith } from '../util/yamlfile.js';
import { comparePrediction } from './compare.js';
import { readAccuracy } from './read/accuracy.js';
import { readCycles } from './read/cycles.js';
import { readExperts } from './read/experts.js';
import { estimateFileSchema, readEstimate, toPrediction } from './read/estimate.js';
import { readSearch } from './read/search.js';
import { readSynth } from './read/synth.js';
import { readPower } from './read/power.js';
import type { Prediction, ReportData } from './types.js';

/** The report files of a project, relative to its root. */
export const REPORT_FILES = {
  estimate: 'reports/estimate.json',
  power: 'reports/power.json',
  search: 'reports/search.json',
  accuracy: 'reports/accuracy.json',
  synth: 'reports/synth.json',
  cycles: 'reports/cycles.json', // ubimoe csim --cycles, ubimoe run --backend csim --cycles
  experts: 'reports/experts.npy', // expert choices of a csim run (ubimoe csim --experts <project>/reports/experts.npy)
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
    const computed = parseWith(
      estimateFileSchema,
      estimateJson(estimateDesign(design), { routing: 'uniform', tokens_per_expert: null }),
      'computed estimate',
    );
    return { prediction: toPrediction(computed, 'computed') };
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    return {
      prediction: null,
      missing: `no ${REPORT_FILES.estimate}, and the cost model cannot estimate this design: ${err.message}`,
    };
  }
}

/** The design.yaml keys that decide the hardware (what an estimate depends on besides model and board). */
const HARDWARE_KEYS = [
  'clock_mhz',
  'axi_width_bits',
  'stream_depth',
  'weight_ports',
  'precision',
  'types',
  'kernels',
  'placement',
  'compute_units',
];

/** JSON with sorted keys, so two objects compare by content. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

// (weight_ports absent is 1: a design file from before the field means one port)
const hardwareOf = (file: unknown) =>
  canonical(
    Object.fromEntries(
      HARDWARE_KEYS.map((k) => {
        const v = (file as Record<string, unknown>)?.[k];
        return [k, k === 'weight_ports' ? (v ?? 1) : v];
      }),
    ),
  );

/** Report files written for another design than this project's: say so rather than mislead. */
function staleness(
  d: Pick<ReportData, 'design' | 'manifest' | 'prediction' | 'accuracy'>,
  dir: string,
): ReportData['stale'] {
  const stale: ReportData['stale'] = {};
  const p = d.prediction;
  if (p?.source === 'file' && p.design !== undefined && hardwareOf(p.design) !== hardwareOf(d.design.file))
    stale.estimate = `${REPORT_FILES.estimate} was written for other design parameters than design.yaml's; these figures may be out of date (re-run ubimoe estimate --project ${dir})`;
  const own = d.manifest?.design_hash;
  const ran = d.accuracy?.designHash;
  if (typeof own === 'string' && ran && ran !== own)
    stale.accuracy = `${REPORT_FILES.accuracy} comes from a C-simulation of another design (design ${ran.slice(0, 12)}, this project is ${own.slice(0, 12)}); re-run ubimoe csim on this project`;
  return stale;
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
  const accuracy = readAccuracy(join(dir, REPORT_FILES.accuracy));
  const search = readSearch(join(dir, REPORT_FILES.search));
  const cycles = readCycles(join(dir, REPORT_FILES.cycles), REPORT_FILES.cycles, design.dims);
  const routingSeen = readExperts(join(dir, REPORT_FILES.experts), REPORT_FILES.experts, design.dims);
  const power = readPower(join(dir, REPORT_FILES.power));
  // the files the page was made from: only those that existed and were read
  const filesRead = [
    'design.yaml',
    manifest ? 'manifest.json' : '',
    prediction?.source === 'file' ? REPORT_FILES.estimate : '',
    search ? REPORT_FILES.search : '',
    accuracy ? REPORT_FILES.accuracy : '',
    routingSeen ? REPORT_FILES.experts : '',
    cycles ? REPORT_FILES.cycles : '',
    synth ? REPORT_FILES.synth : '',
    power ? REPORT_FILES.power : '',
  ].filter(Boolean);
  return {
    projectDir: dir,
    design,
    manifest,
    prediction,
    predictionMissing: missing,
    search,
    accuracy,
    synth,
    comparison: synth && prediction ? comparePrediction(prediction, synth) : null,
    routingSeen,
    cycles,
    power,
    filesRead,
    stale: staleness({ design, manifest, prediction, accuracy }, dir),
    generatedAt: (opts.now ?? new Date()).toISOString(),
    ubimoeVersion: opts.version,
  };
}
