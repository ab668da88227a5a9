import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { RESOURCE_KEYS, type Resources } from '../board/schema.js';
import { KERNEL_NAMES, type KernelName } from '../kernels/params.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError, describeError } from '../util/errors.js';
import { LAYOUT } from './vitis/layout.js';
import { XmlError, child, parseXml, type XmlElement } from './xml.js';
import { readUserFile } from '../util/readfile.js';

/**
 * What Vitis HLS reports for one top kernel (from <solution>/syn/report/csynth.xml), as written to
 * reports/synth.json. Latencies and intervals are in clock cycles of one call; null where the tool
 * reports "undef" (a loop with a variable trip count and no tripcount pragma).
 */
export interface SynthKernel {
  top: string; // the top function (TopModelName)
  part: string | null;
  toolVersion: string | null;
  targetClockNs: number | null;
  estimatedClockNs: number;
  estimatedFmaxMhz: number;
  latency: { best: number | null; average: number | null; worst: number | null };
  interval: { min: number | null; max: number | null }; // cycles between the starts of two calls
  used: Resources;
  available: Resources | null; // on the part, as HLS sees it
  source: string; // the csynth.xml it came from (relative to the project)
}

/** reports/synth.json: the kernels present, keyed by kernel name. */
export interface SynthReport {
  format: 'ubimoe-synth/1';
  tool: 'vitis_hls';
  kernels: Partial<Record<KernelName, SynthKernel>>;
}

// csynth.xml names of our resource keys (DSP48E: Vivado HLS and early Vitis HLS reports)
const XML_RESOURCE: Record<keyof Resources, string[]> = {
  dsp: ['DSP', 'DSP48E'],
  bram18: ['BRAM_18K'],
  uram: ['URAM'],
  lut: ['LUT'],
  ff: ['FF'],
};

class Reader {
  constructor(
    private readonly root: XmlElement,
    private readonly what: string,
  ) {}
  fail(msg: string): never {
    throw new UserError(`${this.what}: ${msg}`);
  }
  text(path: string): string | undefined {
    const el = child(this.root, path);
    return el?.text.trim();
  }
  number(path: string, opts: { optional?: boolean; undef?: boolean } = {}): number | null {
    const t = this.text(path);
    if (t === undefined || t === '') {
      if (opts.optional) return null;
      this.fail(`${path} is missing`);
    }
    if (opts.undef && /^undef$/i.test(t)) return null;
    const n = Number(t);
    if (!Number.isFinite(n) || n < 0) this.fail(`${path}: '${t}' is not a non-negative number`);
    return n;
  }
  resources(path: string, optional: boolean): Resources | null {
    const el = child(this.root, path);
    if (!el) return optional ? null : this.fail(`${path} is missing`);
    const out = {} as Resources;
    for (const k of RESOURCE_KEYS) {
      const name = XML_RESOURCE[k].find((n) => child(el, n));
      // URAM is absent from reports of devices without it
      if (!name) {
        if (k === 'uram') {
          out[k] = 0;
          continue;
        }
        this.fail(`${path}/${XML_RESOURCE[k][0]} is missing`);
      }
      out[k] = this.number(`${path}/${name}`) as number;
    }
    return out;
  }
}

/**
 * Parses the text of a Vitis HLS csynth.xml (root <profile>: UserAssignments, PerformanceEstimates
 * with SummaryOfTimingAnalysis and SummaryOfOverallLatency, AreaEstimates with Resources and
 * AvailableResources). `what` names the file in errors; every error is a one-line UserError.
 */
export function parseCsynthXml(text: string, what: string, source = what): SynthKernel {
  let root: XmlElement;
  try {
    root = parseXml(text);
  } catch (err) {
    if (err instanceof XmlError) throw new UserError(`${what}: not well-formed XML: ${err.message}`);
    throw err;
  }
  if (root.name !== 'profile')
    throw new UserError(
      `${what}: not a Vitis HLS csynth report (root element <${root.name}>, expected <profile>)`,
    );
  const r: Reader = new Reader(root, what);
  const top = r.text('UserAssignments/TopModelName');
  if (!top) r.fail('UserAssignments/TopModelName is missing');
  const estimatedClockNs = r.number(
    'PerformanceEstimates/SummaryOfTimingAnalysis/EstimatedClockPeriod',
  ) as number;
  if (estimatedClockNs <= 0)
    r.fail(`PerformanceEstimates/SummaryOfTimingAnalysis/EstimatedClockPeriod must be > 0`);
  const lat = 'PerformanceEstimates/SummaryOfOverallLatency';
  if (!child(root, lat)) r.fail(`${lat} is missing`);
  return {
    top,
    part: r.text('UserAssignments/Part') || null,
    toolVersion: r.text('ReportVersion/Version') || null,
    targetClockNs: r.number('UserAssignments/TargetClockPeriod', { optional: true }),
    estimatedClockNs,
    estimatedFmaxMhz: Math.round((1000 / estimatedClockNs) * 10) / 10,
    latency: {
      best: r.number(`${lat}/Best-caseLatency`, { undef: true }),
      average: r.number(`${lat}/Average-caseLatency`, { undef: true, optional: true }),
      worst: r.number(`${lat}/Worst-caseLatency`, { undef: true }),
    },
    interval: {
      min: r.number(`${lat}/Interval-min`, { undef: true, optional: true }),
      max: r.number(`${lat}/Interval-max`, { undef: true, optional: true }),
    },
    used: r.resources('AreaEstimates/Resources', false) as Resources,
    available: r.resources('AreaEstimates/AvailableResources', true),
    source,
  };
}

export function readCsynthXml(path: string, projectDir?: string): SynthKernel {
  return parseCsynthXml(
    readUserFile(path).toString('utf8'),
    path,
    projectDir ? relative(projectDir, path) : path,
  );
}

function findFiles(dir: string, name: string, depth: number, out: string[]): void {
  if (depth < 0 || !existsSync(dir)) return;
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (entry === name) out.push(p);
    else if (statSync(p).isDirectory()) findFiles(p, name, depth - 1, out);
  }
}

/**
 * Finds the csynth.xml of each top kernel in a project: the HLS script's solution first
 * (build/hls/<kernel>/sol), else any under build/ whose top is that kernel (v++ -c keeps its HLS
 * run in its temp dir), newest first.
 */
export function findCsynthReports(projectDir: string): Partial<Record<KernelName, string>> {
  const found: Partial<Record<KernelName, string>> = {};
  const others: string[] = [];
  findFiles(join(projectDir, 'build'), 'csynth.xml', 9, others);
  others.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  for (const k of KERNEL_NAMES) {
    const own = join(projectDir, LAYOUT.csynthXml(k));
    if (existsSync(own)) {
      found[k] = own;
      continue;
    }
    const other = others.find((p) => {
      try {
        return parseXml(readFileSync(p, 'utf8')).children.some(
          (c) => c.name === 'UserAssignments' && child(c, 'TopModelName')?.text.trim() === k,
        );
      } catch {
        return false;
      }
    });
    if (other) found[k] = other;
  }
  return found;
}

/** Parses every kernel's csynth.xml found in the project (UserError when none is there). */
export function collectSynthReport(projectDir: string): SynthReport {
  const paths = findCsynthReports(projectDir);
  const kernels: SynthReport['kernels'] = {};
  for (const [k, p] of Object.entries(paths) as [KernelName, string][]) {
    const parsed = readCsynthXml(p, projectDir);
    if (parsed.top !== k) throw new UserError(`${p}: reports top '${parsed.top}', expected '${k}'`);
    kernels[k] = parsed;
  }
  if (!Object.keys(kernels).length)
    throw new UserError(
      `${projectDir}: no csynth.xml under build/ (run: ubimoe build --project ${projectDir} --target csynth)`,
    );
  return { format: 'ubimoe-synth/1', tool: 'vitis_hls', kernels };
}

/** Writes <project>/reports/synth.json (atomically) and returns its path. */
export function writeSynthReport(projectDir: string, report: SynthReport): string {
  const path = join(projectDir, LAYOUT.synthReport);
  writeFileAtomic(path, JSON.stringify(report, null, 2) + '\n');
  return path;
}

/** Reads <project>/reports/synth.json, or null when the project has none. */
export function readSynthReport(projectDir: string): SynthReport | null {
  const path = join(projectDir, LAYOUT.synthReport);
  if (!existsSync(path)) return null;
  let value: SynthReport;
  try {
    value = JSON.parse(readFileSync(path, 'utf8')) as SynthReport;
  } catch (err) {
    throw new UserError(`${path}: not valid JSON: ${describeError(err)}`);
  }
  if (value?.format !== 'ubimoe-synth/1' || typeof value.kernels !== 'object' || Array.isArray(value.kernels))
    throw new UserError(`${path}: not a ubimoe synthesis report (format ubimoe-synth/1)`);
  return value;
}
