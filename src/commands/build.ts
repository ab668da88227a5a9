import type { Command } from 'commander';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { calibrationPath, ratiosFromComparison, saveCalibration } from '../toolchain/calibration.js';
import { compareWithPrediction, formatComparison } from '../toolchain/compare.js';
import { buildCsim } from '../toolchain/csim.js';
import {
  collectSynthReport,
  findCsynthReports,
  writeSynthReport,
  type SynthReport,
} from '../toolchain/csynth.js';
import { predictionForDesign } from '../toolchain/prediction.js';
import { LAYOUT } from '../toolchain/vitis/layout.js';
import { StepProgress } from '../toolchain/vitis/progress.js';
import { runPlan } from '../toolchain/vitis/runner.js';
import { planBuild } from '../toolchain/vitis/steps.js';
import { TB_DATA_TITLE, checkTestbench, prepareTestbench } from '../toolchain/vitis/tbstep.js';
import { VITIS_TARGETS, missingTools, requireTools, type VitisTarget } from '../toolchain/vitis/tools.js';
import { designKernels, loadDesign, type Design } from '../design/design.js';
import { UserError } from '../util/errors.js';

const TARGETS = ['csim', 'tb', ...VITIS_TARGETS] as const;
type Target = (typeof TARGETS)[number];

interface BuildOptions {
  project: string;
  target: string;
  jobs?: string;
  dryRun?: boolean;
  saveCalibration?: boolean;
}

function parseJobs(v: string | undefined): number {
  if (v === undefined) return Math.min(4, availableParallelism());
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`--jobs: '${v}' is not a positive integer`);
  return n;
}

function loadProject(dir: string): Design {
  if (!existsSync(dir)) throw new UserError(`--project ${dir}: no such directory`);
  const designFile = join(dir, 'design.yaml');
  if (!existsSync(designFile))
    throw new UserError(
      `--project ${dir}: no design.yaml (not a ubimoe project; create one with ubimoe generate)`,
    );
  return loadDesign(designFile);
}

function checkVitisFiles(dir: string, design: Design): void {
  const needed = [
    'Makefile',
    ...designKernels(design).map((k) => LAYOUT.hlsScript(k)),
    LAYOUT.linkConfig(design.board),
  ];
  const absent = needed.filter((f) => !existsSync(join(dir, f)));
  if (absent.length)
    throw new UserError(
      `--project ${dir}: missing ${absent.join(', ')} (regenerate the project with ubimoe generate)`,
    );
}

/** Parses the kernels' csynth.xml into reports/synth.json and prints them beside the prediction. */
function reportSynthesis(
  dir: string,
  design: Design,
  saveCal: boolean,
  required: boolean,
): SynthReport | null {
  if (!required && !Object.keys(findCsynthReports(dir)).length) {
    process.stdout.write(
      'no csynth.xml to report (the kernels were compiled by v++ -c, which keeps its HLS reports in build/*/_x*)\n',
    );
    return null;
  }
  const synth = collectSynthReport(dir);
  const path = writeSynthReport(dir, synth);
  const out = process.stdout;
  out.write(`synthesis results (Vitis HLS estimates) -> ${path}\n`);
  for (const k of Object.values(synth.kernels)) {
    const l = k.latency;
    out.write(
      `  ${k.top.padEnd(12)} clock ${k.estimatedClockNs} ns (Fmax ${k.estimatedFmaxMhz} MHz)  latency ${l.best ?? 'undef'}..${l.worst ?? 'undef'} cycles  ` +
        `DSP ${k.used.dsp}  BRAM18 ${k.used.bram18}  URAM ${k.used.uram}  LUT ${k.used.lut}  FF ${k.used.ff}\n`,
    );
  }
  const rows = compareWithPrediction(predictionForDesign(design), synth, design.shared.clockMhz);
  out.write(
    '\npredicted (cost model, uncalibrated) vs synthesised (Vitis HLS), per call of each kernel:\n' +
      formatComparison(rows),
  );
  if (saveCal) {
    const designId = createHash('sha256')
      .update(readFileSync(join(dir, 'design.yaml')))
      .digest('hex')
      .slice(0, 16);
    const cal = saveCalibration(design.board.name, {
      design: designId,
      model: design.model.name,
      project: resolve(dir),
      ratios: ratiosFromComparison(rows),
    });
    out.write(
      `\ncalibration for ${design.board.name} saved to ${calibrationPath(design.board.name)}: it now rests on ${cal.designs.length} design${cal.designs.length === 1 ? '' : 's'} (ubimoe estimate applies it)\n`,
    );
  }
  return synth;
}

async function buildVitis(
  dir: string,
  design: Design,
  target: VitisTarget,
  opts: BuildOptions,
): Promise<void> {
  const jobs = parseJobs(opts.jobs);
  const plan = planBuild(design, target, jobs);
  if (opts.dryRun) {
    const vars = Object.entries(plan.makeVars)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    process.stdout.write(
      `ubimoe build --target ${target} for ${design.model.name} on ${design.board.name} would run, in ${dir}:\n`,
    );
    if (plan.testbench)
      process.stdout.write(
        `  ubimoe build --target tb    # ${TB_DATA_TITLE}: weights, input, golden output (g++), unless up to date\n`,
      );
    for (const s of plan.steps)
      process.stdout.write(`  make ${s.makeTarget} ${vars}    # ${s.title} -> logs/${s.id}.log\n`);
    for (const m of missingTools(target, design)) process.stdout.write(`  missing: ${m.what}: ${m.setup}\n`);
    return;
  }
  requireTools(target, design);
  checkVitisFiles(dir, design);
  process.stderr.write(
    `ubimoe build --target ${target}: ${plan.steps.length} steps (${design.model.name} on ${design.board.name}, logs in ${join(dir, LAYOUT.logsDir)})\n`,
  );
  const progress = new StepProgress(process.stderr);
  // csim_design and cosim_design run the csim runner as the test bench: its data and golden first
  if (plan.testbench) await prepareTestbench(dir, design, progress);
  await runPlan(dir, plan, { jobs, progress });
  if (target === 'hls-csim') {
    process.stdout.write(
      `HLS C-simulation passed for each kernel (the test bench checks its output against ${join(dir, LAYOUT.tbDataDir)}/golden.npy)\n`,
    );
    return;
  }
  reportSynthesis(dir, design, Boolean(opts.saveCalibration), target === 'csynth' || target === 'cosim');
  if (target === 'hw' || target === 'hw_emu') {
    const embedded = design.board.flow === 'vitis-embedded';
    const out = join(dir, LAYOUT.targetDir(target), embedded ? 'package' : LAYOUT.xclbinName);
    process.stdout.write(
      `\n${embedded ? 'SD card' : 'xclbin'}: ${out}\nhost program: ${join(dir, LAYOUT.hostExe)}\n`,
    );
  }
}

export function registerBuild(program: Command): void {
  program
    .command('build')
    .description(
      'build a generated project: csim (g++, no Vitis), tb (HLS test-bench data with a golden output, checked with g++), ' +
        'hls-csim/csynth/cosim (Vitis HLS per kernel; hls-csim and cosim check against the golden), xo, hw_emu/hw (v++ link, host, SD card on Zynq)',
    )
    .requiredOption('--project <dir>', 'the project directory (from ubimoe generate)')
    .requiredOption('--target <target>', `what to build: ${TARGETS.join(' | ')}`)
    .option(
      '--jobs <n>',
      'kernels synthesised at once, and Vivado jobs of the v++ link (default: min(4, cores))',
    )
    .option('--dry-run', 'print the steps (make targets) and what is missing, run nothing')
    .option(
      '--save-calibration',
      "after synthesis, add this design's predicted/synthesised ratios to the board's calibration",
    )
    .action(async (opts: BuildOptions) => {
      const target = opts.target as Target;
      if (!(TARGETS as readonly string[]).includes(target))
        throw new UserError(`--target: '${opts.target}' is not one of ${TARGETS.join(', ')}`);
      parseJobs(opts.jobs); // checked for every target, so a bad value never passes unnoticed
      const dir = resolve(opts.project);
      const design = loadProject(dir);
      if ((target === 'csim' || target === 'tb' || target === 'hls-csim') && opts.saveCalibration)
        throw new UserError('--save-calibration needs a synthesis target (csynth, cosim, xo, hw_emu or hw)');
      if (target === 'csim') {
        await buildCsimTarget(dir);
        return;
      }
      if (target === 'tb') {
        await buildTestbenchTarget(dir, design, Boolean(opts.dryRun));
        return;
      }
      await buildVitis(dir, design, target, opts);
    });
}

/** --target csim: the g++ builds of the C-simulation runners (no Vitis), through the csim build cache. */
async function buildCsimTarget(dir: string): Promise<void> {
  const progress = new StepProgress(process.stderr);
  const runners = [
    { main: 'csim_main', title: 'C-simulation runner (g++)' },
    { main: 'protocol_main', title: 'protocol runner for ubimoe run (g++)' },
  ].filter((r) => existsSync(join(dir, 'runner', `${r.main}.cpp`)));
  for (const r of runners) {
    progress.start(r.title);
    try {
      const b = await buildCsim(dir, { main: r.main });
      progress.end(r.title, true, b.cached ? '(cached)' : '');
      process.stdout.write(`${r.title}: ${b.exe}\n`);
    } catch (err) {
      progress.end(r.title, false);
      throw err;
    } finally {
      progress.stop();
    }
  }
}

/**
 * --target tb (g++ only): writes tb/ unless it is up to date, then runs the test bench against its
 * golden output once, as Vitis HLS would. Prints one line when it passes; exit 1 with the log's
 * tail (the first differing value) when it fails.
 */
async function buildTestbenchTarget(dir: string, design: Design, dryRun: boolean): Promise<void> {
  const tb = join(dir, LAYOUT.tbDataDir);
  if (dryRun) {
    process.stdout.write(
      `ubimoe build --target tb would compile runner/csim_main.cpp with g++ (csim/ types), write ${tb}/ (weights, input, golden output) unless up to date, and run the test bench against ${tb}/golden.npy\n`,
    );
    return;
  }
  const progress = new StepProgress(process.stderr);
  try {
    const exe = await prepareTestbench(dir, design, progress);
    const verdict = await checkTestbench(dir, exe, progress);
    process.stdout.write(`test bench passed: ${verdict}\n`);
  } finally {
    progress.stop();
  }
}
