import { Option, type Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeCyclesReport } from '../toolchain/cycles.js';
import { Accelerator, type Backend } from '../driver/accelerator.js';
import { loadInputFiles } from '../driver/inputs.js';
import { editedNote, openProject } from '../driver/project.js';
import { applyFinalNorm, loadFinalNorm } from '../driver/finalnorm.js';
import { summarise, formatSummary } from '../driver/summary.js';
import { writeNpy } from '../io/npy.js';
import { UserError } from '../util/errors.js';
import { CountProgress } from '../util/progress.js';
import { preparePowerRun, type PowerRun } from '../driver/powerRun.js';
import { checkOutputFile } from '../util/outputs.js';
import { saturationReport, writeSaturation } from '../toolchain/saturation.js';

interface RunOptions {
  project: string;
  backend: Backend;
  xclbin?: string;
  checkpoint: string;
  input: string[];
  output: string;
  task: string;
  workers: string;
  finalNorm?: boolean;
  timeout?: string;
  cycles?: boolean;
  power?: boolean;
  powerInterval: string;
  hostExe?: string;
}

function positiveInt(value: string, flag: string, min = 0): number {
  if (!/^\d+$/.test(value) || Number(value) < min)
    throw new UserError(`${flag} must be an integer >= ${min}, got '${value}'`);
  return Number(value);
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description(
      'stream images (or token tensors) through the accelerator (its C-simulation or the FPGA via XRT)',
    )
    .requiredOption('--project <dir>', 'generated project (ubimoe generate)')
    .addOption(
      new Option('--backend <backend>', 'csim (C-simulation runners) or xrt (FPGA)')
        .choices(['csim', 'xrt'])
        .default('csim'),
    )
    .option('--xclbin <file>', 'xrt: the bitstream (default: the one the project built)')
    .requiredOption('--checkpoint <file>', 'safetensors checkpoint of the project model')
    .requiredOption('--input <files...>', '.npy images [B,C,H,W] or tokens [B,N,D], or .png frames')
    .requiredOption('-o, --output <file>', 'output tokens .npy [B,N,D] float32')
    .option('--task <t>', 'task id whose gate routes the MoE blocks', '0')
    .option('--workers <n>', 'csim: runner processes in parallel', '1')
    .option('--final-norm', "apply the model's final LayerNorm to the outputs (on the host)")
    .option(
      '--timeout <seconds>',
      'fixed per-image timeout (default: 10x the median time per image so far, at least 5 s; before ' +
        'the first answer, scaled from the design). A runner that times out is killed and its images ' +
        'are retried once on the other workers',
    )
    .option(
      '--cycles',
      'csim: the timed C-simulation (a separate -DUBIMOE_TIMED_CSIM runner build): each response carries its ' +
        "image's simulated cycles; writes <project>/reports/cycles.json (as csim --cycles, per_image in input " +
        'order) and prints simulated vs predicted cycles per kernel and stage; same outputs bit for bit',
    )
    .option(
      '--power',
      'xrt: measure board power during the run (Alveo: XRT electrical info; Zynq: INA226 rails under ' +
        '/sys/class/hwmon or $UBIMOE_HWMON_ROOT) and print mean W and J/image beside the prediction; ' +
        'writes <project>/reports/power.json',
    )
    .option('--power-interval <ms>', 'with --power: milliseconds between samples', '100')
    .option(
      '--host-exe <file>',
      'xrt: a prebuilt host program (e.g. cross-compiled for the board) instead of building host/',
    )
    .action(async (opts: RunOptions) => {
      checkOutputFile(opts.output, '-o');
      const task = positiveInt(opts.task, '--task');
      const workers = positiveInt(opts.workers, '--workers', 1);
      let timeoutMs: number | undefined;
      if (opts.timeout !== undefined) {
        const s = Number(opts.timeout);
        if (!(s > 0) || !Number.isFinite(s))
          throw new UserError(`--timeout must be a positive number of seconds, got '${opts.timeout}'`);
        timeoutMs = Math.round(s * 1000);
      }
      if (!existsSync(opts.checkpoint)) throw new UserError(`${opts.checkpoint}: no such checkpoint file`);
      if (opts.xclbin !== undefined && opts.backend !== 'xrt')
        throw new UserError('--xclbin is for --backend xrt');
      if (opts.cycles && opts.backend !== 'csim')
        throw new UserError('--cycles is for --backend csim (the timed C-simulation)');
      if ((opts.power || opts.hostExe !== undefined) && opts.backend !== 'xrt')
        throw new UserError(`${opts.power ? '--power' : '--host-exe'} is for --backend xrt`);
      const powerInterval = positiveInt(opts.powerInterval, '--power-interval', 1);
      if (opts.xclbin !== undefined && !existsSync(opts.xclbin))
        throw new UserError(`${opts.xclbin}: no such xclbin file`);

      // Everything the user gave is checked before any runner starts.
      const project = openProject(opts.project);
      const edits = editedNote(project);
      if (edits) process.stderr.write(`${edits}\n`);
      const model = project.design.model;
      const dims = project.design.dims;
      if (task >= dims.tasks)
        throw new UserError(
          `--task ${task} out of range: the model has ${dims.tasks} task(s) (0..${dims.tasks - 1})`,
        );
      const shape = {
        channels: model.in_chans,
        height: model.img_h,
        width: model.img_w,
        tokens: dims.numTokens,
        dim: dims.D,
        moeBlocks: dims.moeBlocks.filter(Boolean).length,
        topK: dims.topK,
        tasks: dims.tasks,
      };
      const inputs = loadInputFiles(opts.input, model, shape);
      const finalNorm =
        opts.finalNorm || model.final_norm ? loadFinalNorm(opts.checkpoint, model) : undefined;

      const power: PowerRun | undefined = opts.power ? preparePowerRun(project, powerInterval) : undefined;
      const acc = await Accelerator.open({
        ...power?.acceleratorOptions,
        hostExe: opts.hostExe,
        project: opts.project,
        backend: opts.backend,
        checkpoint: opts.checkpoint,
        xclbin: opts.xclbin,
        workers,
        timeoutMs,
        cycles: opts.cycles,
        // on a terminal, clear the progress bar's line first (it redraws on its next update)
        log: (line) => process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[2K' : ''}${line}\n`),
      }).catch((err: unknown) => {
        power?.dispose();
        throw err;
      });
      const per = dims.numTokens * dims.D;
      const out = new Float32Array(inputs.length * per);
      const latencies: number[] = [];
      // --cycles: each image's report (ubimoe-cycles/1, one entry) and expert choices, by input index
      const cycleReports: unknown[] = [];
      const expertsPer = shape.moeBlocks * dims.numTokens * dims.topK;
      const experts = new Int32Array(opts.cycles ? inputs.length * expertsPer : 0);
      const started = Date.now();
      power?.start();
      const kind = inputs[0].kind === 'image' ? 'images' : 'token inputs';
      const progress = new CountProgress('running', inputs.length, kind);
      try {
        for await (const r of acc.stream(inputs, { task })) {
          out.set(r.output, r.index * per);
          if (opts.cycles) {
            cycleReports[r.index] = r.cycles;
            experts.set(r.experts, r.index * expertsPer);
          }
          latencies.push(r.latencyMs);
          progress.tick();
        }
      } catch (err) {
        power?.dispose();
        throw err;
      } finally {
        progress.stop();
        await acc.close();
      }
      const wallMs = Date.now() - started;
      let powerText = '';
      try {
        if (power)
          powerText = power.finish(inputs.length, wallMs / 1e3, {
            design_hash: project.designHash,
            input: opts.input.length === 1 ? opts.input[0] : opts.input,
          });
      } finally {
        power?.dispose();
      }
      if (finalNorm) applyFinalNorm(out, inputs.length * dims.numTokens, dims.D, finalNorm);
      writeNpy(opts.output, [inputs.length, dims.numTokens, dims.D], out);
      process.stdout.write(
        formatSummary(
          summarise(latencies, wallMs),
          kind,
          `${opts.backend}, ${workers} worker${workers > 1 ? 's' : ''}`,
        ) +
          ` -> ${opts.output}\n` +
          powerText,
      );
      if (opts.backend === 'csim') {
        // what saturated in the C-simulation's datapath (the runners count it; hardware does not)
        const { counts, complete } = acc.saturations();
        writeSaturation(saturationReport(counts, project.design, inputs.length, complete));
      }
      if (opts.cycles) {
        const raw = mergeCycleReports(cycleReports);
        const c = writeCyclesReport(project.dir, project.design, raw, experts, inputs.length, {
          design_hash: project.designHash,
          task,
          input: opts.input.length === 1 ? opts.input[0] : opts.input,
          runner: `ubimoe run --backend csim, ${workers} worker${workers > 1 ? 's' : ''}`,
        });
        process.stdout.write(c.table + `wrote ${join(opts.project, 'reports', 'cycles.json')}\n`);
      }
    });
}

/** The runners' one-image reports (in input order) as one ubimoe-cycles/1 document. */
function mergeCycleReports(reports: unknown[]): unknown {
  const docs = reports as Array<{ format?: string; clock_mhz?: number; per_image?: unknown[] } | undefined>;
  const bad = docs.findIndex((d) => !d || d.format !== 'ubimoe-cycles/1' || d.per_image?.length !== 1);
  if (bad >= 0)
    throw new Error(`input ${bad}: the timed csim runner sent no ubimoe-cycles/1 report of one image`);
  return {
    format: 'ubimoe-cycles/1',
    clock_mhz: docs[0]!.clock_mhz,
    per_image: docs.map((d) => d!.per_image![0]),
  };
}
