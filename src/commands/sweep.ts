import type { Command } from 'commander';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { missingTools } from '../toolchain/vitis/tools.js';
import { designFor } from './generate.js';
import { parseObjective, parsePositiveInt } from '../../search/options.js';
import { createSweep } from '../sweep/create.js';
import { drive, failureSummary, refresh } from '../sweep/driver.js';
import { LocalPool } from '../sweep/local.js';
import { renderSweepPage } from '../sweep/page.js';
import { gatherResults } from '../sweep/results.js';
import type { Scheduler } from '../sweep/scheduler.js';
import { checkSlurm } from '../sweep/slurm.js';
import { SlurmScheduler } from '../sweep/slurmsched.js';
import {
  SCHEDULERS,
  SWEEP_FILE,
  SWEEP_TARGETS,
  TERMINAL,
  countStates,
  readSweep,
  writeSweep,
  type SchedulerName,
  type SweepFile,
  type SweepTarget,
} from '../sweep/sweepfile.js';
import { writeFileAtomic } from '../util/atomic.js';
import { ToolError, UserError } from '../util/errors.js';
import { checkOutputDir } from '../util/outputs.js';
import { running } from '../util/interrupt.js';

interface SweepOpts {
  model?: string;
  board?: string;
  top?: string;
  objective: string;
  designs?: string[];
  target?: string;
  output?: string;
  scheduler: string;
  partition?: string;
  time?: string;
  mem?: string;
  cpus: string;
  jobs?: string;
  checkpoint?: string;
  input?: string;
  poll: string;
  cancel?: string;
  resume?: string;
}

function pollMs(v: string): number {
  const s = Number(v);
  if (!(s > 0) || !Number.isFinite(s))
    throw new UserError(`--poll: '${v}' is not a positive number of seconds`);
  return Math.round(s * 1000);
}

function makeScheduler(name: SchedulerName, dir: string, sweep: SweepFile, jobs?: string): Scheduler {
  if (name === 'slurm') {
    checkSlurm();
    return new SlurmScheduler(dir);
  }
  const n =
    jobs !== undefined
      ? parsePositiveInt(jobs, '--jobs')
      : Math.max(1, Math.floor(availableParallelism() / sweep.resources.cpus));
  return new LocalPool(dir, n);
}

/** Waits for the sweep, then collects the reports into sweep.json and report.html; prints the summary. */
async function runAndReport(
  dir: string,
  sweep: SweepFile,
  sched: Scheduler,
  toRun: SweepFile['tasks'],
  ms: number,
) {
  await drive(dir, sweep, sched, toRun, { pollMs: ms });
  const results = gatherResults(dir, sweep);
  sweep.results = results as unknown as Record<string, unknown>;
  writeSweep(dir, sweep);
  writeFileAtomic(join(dir, 'report.html'), renderSweepPage(sweep, results));
  const c = countStates(sweep.tasks);
  const synthesised = Object.values(results).filter((r) => r.synth).length;
  const simulated = Object.values(results).filter((r) => r.cycles || r.accuracy).length;
  process.stdout.write(
    `sweep ${dir}: ${c.done} of ${sweep.tasks.length} tasks done, ${c.failed} failed (${sweep.scheduler}); ` +
      `${synthesised} design(s) with synthesis reports, ${simulated} with csim reports\n` +
      `wrote ${join(dir, SWEEP_FILE)} and ${join(dir, 'report.html')}\n`,
  );
  if (c.failed)
    throw new ToolError(
      `${c.failed} task(s) failed:\n${failureSummary(dir, sweep)}\n(ubimoe sweep --resume ${dir} resubmits the failed tasks)`,
    );
}

function checkNewSweep(opts: SweepOpts): { target: SweepTarget; scheduler: SchedulerName; dir: string } {
  if (!opts.model || !opts.board) throw new UserError('give --model and --board');
  if (!opts.output) throw new UserError('give -o DIR (the sweep directory)');
  if (!opts.target) throw new UserError(`give --target (${SWEEP_TARGETS.join(', ')})`);
  if (!(SWEEP_TARGETS as readonly string[]).includes(opts.target))
    throw new UserError(`--target: '${opts.target}' is not one of ${SWEEP_TARGETS.join(', ')}`);
  if (!(SCHEDULERS as readonly string[]).includes(opts.scheduler))
    throw new UserError(`--scheduler: '${opts.scheduler}' is not one of ${SCHEDULERS.join(', ')}`);
  if (!!opts.top === !!opts.designs?.length) throw new UserError('give either --top N or --designs FILE...');
  if (opts.target !== 'csim' && (opts.checkpoint || opts.input))
    throw new UserError('--checkpoint and --input are for --target csim');
  const dir = resolve(opts.output);
  checkOutputDir(opts.output, '-o');
  if (existsSync(dir) && readdirSync(dir).length)
    throw new UserError(
      `-o ${opts.output}: not empty (ubimoe sweep --resume ${opts.output} continues a sweep)`,
    );
  return { target: opts.target as SweepTarget, scheduler: opts.scheduler as SchedulerName, dir };
}

/** --cancel DIR: scancel (or stop the local pool's driver); the driver, if alive, records the outcome. */
function cancelSweep(dirArg: string): void {
  const dir = resolve(dirArg);
  const sweep = readSweep(dir);
  const open = sweep.tasks.filter((t) => !TERMINAL.includes(t.state));
  const d = sweep.driver;
  const alive =
    d !== null &&
    d.host === hostname() &&
    running(d.pid) &&
    (() => {
      try {
        return readFileSync(`/proc/${d.pid}/cmdline`, 'utf8').includes('sweep');
      } catch {
        return false;
      }
    })();
  if (alive) {
    // its handler cancels every open task, records them failed and exits
    process.kill(d!.pid, 'SIGTERM');
    process.stdout.write(
      `sweep ${dirArg}: stopping its driver (pid ${d!.pid}), which cancels ${open.length} open task(s)\n`,
    );
    return;
  }
  if (sweep.scheduler === 'slurm' && open.length) {
    const sched = new SlurmScheduler(dir);
    sched.cancel(open);
  }
  for (const t of open)
    Object.assign(t, {
      state: 'failed',
      reason: 'cancelled (ubimoe sweep --cancel)',
      finished_at: new Date().toISOString(),
    });
  writeSweep(dir, sweep);
  process.stdout.write(
    `sweep ${dirArg}: cancelled ${open.length} open task(s)${open.length ? '; ubimoe sweep --resume resubmits them' : ''}\n`,
  );
}

async function resumeSweep(dirArg: string, opts: SweepOpts): Promise<void> {
  const dir = resolve(dirArg);
  const sweep = readSweep(dir);
  if (sweep.driver && sweep.driver.host === hostname() && running(sweep.driver.pid))
    throw new UserError(
      `${dirArg}: its sweep is still being driven by pid ${sweep.driver.pid} (ubimoe sweep --cancel ${dirArg} stops it)`,
    );
  const sched = makeScheduler(sweep.scheduler, dir, sweep, opts.jobs);
  // what happened since the last driver stopped: exit records, Slurm's state
  refresh(dir, sweep, sched);
  const toRun = sweep.tasks.filter(
    (t) => t.state === 'failed' || t.state === 'pending' || (t.job_id === null && t.state !== 'done'),
  );
  process.stderr.write(
    `sweep --resume: resubmitting ${toRun.length} failed or missing task(s) of ${sweep.tasks.length}\n`,
  );
  await runAndReport(dir, sweep, sched, toRun, pollMs(opts.poll));
}

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description(
      "generate one project per design (the N best of the search's Pareto front, or --designs) and run csim or " +
        'Vitis synthesis for each as jobs: Slurm job arrays (one array per step, --dependency between steps) or a ' +
        'local pool; DIR/sweep.json records every task (job id, state, timing) and DIR/report.html shows ' +
        'predicted vs synthesised and simulated per design and kernel (docs/sweep.md)',
    )
    .option('--model <name|file.yaml>', 'model preset or model YAML')
    .option('--board <name|file.yaml>', 'board name or board YAML')
    .option('--top <n>', "the n best distinct designs of the search's Pareto front")
    .option('--objective <o>', 'ranking of the front: latency | throughput | dsp-efficiency', 'latency')
    .option('--designs <files...>', 'design files to sweep instead of --top')
    .option(
      '--target <t>',
      `what each job does: ${SWEEP_TARGETS.join(' | ')} (csim: accuracy and timed-csim cycles)`,
    )
    .option('-o, --output <dir>', 'the sweep directory (new or empty; on a shared file system for Slurm)')
    .option('--scheduler <s>', `${SCHEDULERS.join(' | ')}`, 'slurm')
    .option('--partition <p>', 'Slurm partition (sbatch --partition)')
    .option('--time <t>', 'time limit per job (sbatch --time, e.g. 4:00:00)')
    .option('--mem <m>', 'memory per job (sbatch --mem, e.g. 16G)')
    .option('--cpus <c>', 'CPUs per job (sbatch --cpus-per-task; make JOBS)', '1')
    .option('--jobs <n>', 'local pool: tasks at once (default: cores / --cpus)')
    .option('--checkpoint <file.safetensors>', 'csim: weights (default: a synthetic checkpoint, seed 1)')
    .option('--input <file.npy>', 'csim: images (default: one synthetic image)')
    .option('--poll <seconds>', 'how often squeue/scontrol are asked', '2')
    .option('--cancel <dir>', 'cancel the open tasks of a sweep (scancel); nothing is left running')
    .option('--resume <dir>', 'resubmit the failed or missing tasks of a sweep and wait for them')
    .action(async (opts: SweepOpts) => {
      pollMs(opts.poll);
      if (opts.cancel && opts.resume) throw new UserError('give --cancel or --resume, not both');
      if (opts.cancel) return cancelSweep(opts.cancel);
      if (opts.resume) return resumeSweep(opts.resume, opts);
      const { target, scheduler, dir } = checkNewSweep(opts);
      const cpus = parsePositiveInt(opts.cpus, '--cpus');
      const top = opts.top !== undefined ? parsePositiveInt(opts.top, '--top') : undefined;
      const objective = parseObjective(opts.objective);
      // what the jobs need, before anything is generated: the board decides the tools
      if (target !== 'csim') {
        const missing = missingTools(target, designFor({ model: opts.model, board: opts.board }));
        if (missing.length) {
          const list = missing.map((m) => `${m.what}: ${m.setup}`).join('; ');
          if (scheduler === 'local') throw new UserError(`--target ${target} needs ${list}`);
          process.stderr.write(`note: this machine lacks ${list}; the jobs need them on the compute nodes\n`);
        }
      }
      if (scheduler === 'slurm') checkSlurm();
      // a sweep that cannot be laid out leaves no half-made directory behind
      const fresh = !existsSync(dir);
      let sweep: SweepFile;
      try {
        sweep = createSweep(dir, {
          model: opts.model!,
          board: opts.board!,
          top,
          objective,
          designs: opts.designs,
          target,
          scheduler,
          resources: {
            partition: opts.partition ?? null,
            time: opts.time ?? null,
            mem: opts.mem ?? null,
            cpus,
          },
          checkpoint: opts.checkpoint && resolve(opts.checkpoint),
          input: opts.input && resolve(opts.input),
        });
        writeSweep(dir, sweep);
      } catch (err) {
        if (fresh) rmSync(dir, { recursive: true, force: true });
        throw err;
      }
      process.stderr.write(
        `sweep: ${sweep.designs.length} design(s), ${sweep.tasks.length} task(s), --target ${target}, ${scheduler}; projects and job scripts in ${dir}\n`,
      );
      const sched = makeScheduler(scheduler, dir, sweep, opts.jobs);
      await runAndReport(dir, sweep, sched, sweep.tasks, pollMs(opts.poll));
    });
}
