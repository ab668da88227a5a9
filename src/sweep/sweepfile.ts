/**
 * DIR/sweep.json: what a sweep is (designs, tasks) and where each task stands. Paths inside are
 * relative to DIR, so a sweep directory can move (a shared file system mounted elsewhere).
 * Written atomically by the one process driving the sweep.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError, describeError } from '../util/errors.js';

export const SWEEP_FILE = 'sweep.json';
export const SCHEDULERS = ['slurm', 'local'] as const;
export type SchedulerName = (typeof SCHEDULERS)[number];
export const SWEEP_TARGETS = ['csim', 'csynth', 'xo', 'hw'] as const;
export type SweepTarget = (typeof SWEEP_TARGETS)[number];

/**
 * pending: not submitted yet (or waiting for its dependencies in the local pool);
 * queued / running: as the scheduler reports; done / failed: from the task's exit record, or
 * failed when the scheduler no longer runs it and it left none (cancelled, killed, timed out).
 */
export type TaskState = 'pending' | 'queued' | 'running' | 'done' | 'failed';
export const TERMINAL: readonly TaskState[] = ['done', 'failed'];

export interface SweepTask {
  id: string; // "<design>/<step>"
  design: string; // "d00"
  index: number; // the design's index: its Slurm array index
  step: string; // "csim", "csynth-msa_block", "xo-ffn_block", "link-hw", ...
  after: string[]; // steps of the same design this one needs done first
  script: string; // jobs/<design>/<step>.sh
  log: string; // logs/<design>/<step>.log
  scheduler: SchedulerName | null;
  job_id: string | null; // "<jobid>_<arrayindex>" on Slurm, the pid of the local pool's process
  state: TaskState;
  reason: string | null; // why it failed (exit code, Slurm state)
  exit_code: number | null;
  attempts: number;
  submitted_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  seconds: number | null; // run time (start to exit record)
}

export interface SweepDesign {
  name: string; // "d00"
  project: string; // designs/d00
  source: string; // "search Pareto front #1 (...)" or the design file given
  design_hash: string;
  predicted: { latency_ms: number; fits: boolean };
}

export interface SweepResources {
  partition: string | null;
  time: string | null;
  mem: string | null;
  cpus: number;
}

export interface SweepFile {
  format: 'ubimoe-sweep/1';
  model: string;
  board: string;
  target: SweepTarget;
  scheduler: SchedulerName;
  resources: SweepResources;
  csim_inputs: { checkpoint: string; input: string; synthetic: boolean } | null;
  driver: { pid: number; host: string } | null; // the process waiting on the sweep, while it runs
  designs: SweepDesign[];
  tasks: SweepTask[];
  results: Record<string, unknown> | null; // per design (src/sweep/results.ts), once gathered
}

export function readSweep(dir: string): SweepFile {
  const path = join(dir, SWEEP_FILE);
  if (!existsSync(path)) throw new UserError(`${dir}: no ${SWEEP_FILE} (not a sweep directory)`);
  let v: SweepFile;
  try {
    v = JSON.parse(readFileSync(path, 'utf8')) as SweepFile;
  } catch (err) {
    throw new UserError(`${path}: not valid JSON: ${describeError(err)}`);
  }
  if (v?.format !== 'ubimoe-sweep/1' || !Array.isArray(v.tasks) || !Array.isArray(v.designs))
    throw new UserError(`${path}: not a ubimoe-sweep/1 file`);
  return v;
}

export function writeSweep(dir: string, sweep: SweepFile): void {
  writeFileAtomic(join(dir, SWEEP_FILE), JSON.stringify(sweep, null, 2) + '\n');
}

/** Counts per state, for the progress line and the summary. */
export function countStates(tasks: SweepTask[]): Record<TaskState, number> {
  const c: Record<TaskState, number> = { pending: 0, queued: 0, running: 0, done: 0, failed: 0 };
  for (const t of tasks) c[t.state]++;
  return c;
}
