/**
 * Every design's reports, collected once the tasks have ended: synthesis (each kernel's csynth.xml
 * through the csynth parser, also written to the project's reports/synth.json) against the cost
 * model's prediction; csim accuracy (reports/accuracy.json); timed-csim cycles against the
 * prediction (reports/cycles.json). Predicted figures are the cost model's, uncalibrated.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareWithPrediction, type ComparisonRow } from '../toolchain/compare.js';
import { collectSynthReport, findCsynthReports, writeSynthReport } from '../toolchain/csynth.js';
import { cycleRows, imagesFromReport, type CyclesJson } from '../toolchain/cycles.js';
import { predictionForDesign } from '../toolchain/prediction.js';
import { loadDesign } from '../design/design.js';
import { describeError } from '../util/errors.js';
import type { SweepFile } from './sweepfile.js';

export interface DesignResults {
  synth: ComparisonRow[] | null;
  accuracy: {
    cosine_min: number;
    cosine_median: number;
    rel_l2: number;
    expert_agreement: number | null;
  } | null;
  cycles: Array<{ kernel: string; simulated: number | null; predicted: number | null }> | null;
  problems: string[]; // reports present but unreadable
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

export function designResults(project: string): DesignResults {
  const out: DesignResults = { synth: null, accuracy: null, cycles: null, problems: [] };
  const design = loadDesign(join(project, 'design.yaml'));
  if (Object.keys(findCsynthReports(project)).length) {
    try {
      const synth = collectSynthReport(project);
      writeSynthReport(project, synth);
      out.synth = compareWithPrediction(predictionForDesign(design), synth, design.shared.clockMhz);
    } catch (err) {
      out.problems.push(`synthesis report: ${describeError(err)}`);
    }
  }
  const acc = join(project, 'reports', 'accuracy.json');
  if (existsSync(acc)) {
    try {
      const a = readJson(acc) as {
        cosine: { min: number; median: number };
        rel_l2: number;
        expert_agreement: number | null;
      };
      out.accuracy = {
        cosine_min: a.cosine.min,
        cosine_median: a.cosine.median,
        rel_l2: a.rel_l2,
        expert_agreement: a.expert_agreement,
      };
    } catch (err) {
      out.problems.push(`${acc}: ${describeError(err)}`);
    }
  }
  const cyc = join(project, 'reports', 'cycles.json');
  if (existsSync(cyc)) {
    try {
      const rows = cycleRows(imagesFromReport(readJson(cyc) as CyclesJson));
      out.cycles = rows
        .filter((r) => r.stage === '(all calls)' || r.kernel === '')
        .map((r) => ({
          kernel: r.kernel || 'total',
          simulated: r.simulated === undefined ? null : Math.round(r.simulated),
          predicted: r.predicted === undefined ? null : Math.round(r.predicted),
        }));
    } catch (err) {
      out.problems.push(`${cyc}: ${describeError(err)}`);
    }
  }
  return out;
}

/** Results of every design of the sweep, keyed by design name. */
export function gatherResults(dir: string, sweep: SweepFile): Record<string, DesignResults> {
  const out: Record<string, DesignResults> = {};
  for (const d of sweep.designs) out[d.name] = designResults(join(dir, d.project));
  return out;
}
