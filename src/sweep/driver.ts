/**
 * Drives a sweep to its end: submits the tasks, then follows them (exit records first, the
 * scheduler for the rest) until every task is done or failed, keeping sweep.json current and a
 * progress line on stderr. Ctrl-C (or `ubimoe sweep --cancel`, which signals this process)
 * cancels every task still queued or running, so nothing is left behind.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { logTail } from '../toolchain/vitis/runner.js';
import { taskPaths } from './plan.js';
import type { Scheduler } from './scheduler.js';
import { TERMINAL, countStates, writeSweep, type SweepFile, type SweepTask } from './sweepfile.js';

type Out = NodeJS.WritableStream & { isTTY?: boolean };

const iso = () => new Date().toISOString();

function readRecord(dir: string, t: SweepTask): { exit_code: number; finished_at: string } | null {
  const path = join(dir, taskPaths(t.design, t.step).record);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null; // cannot be half-written (mv), but a foreign file is no record
  }
}

function startedAt(dir: string, t: SweepTask): string | null {
  const path = join(dir, taskPaths(t.design, t.step).started);
  return existsSync(path) ? readFileSync(path, 'utf8').trim() || null : null;
}

function finish(t: SweepTask, state: 'done' | 'failed', reason: string | null, finishedAt: string) {
  t.state = state;
  t.reason = reason;
  t.finished_at = finishedAt;
  t.seconds =
    t.started_at !== null ? Math.max(0, (Date.parse(finishedAt) - Date.parse(t.started_at)) / 1000) : null;
}

/** Brings every unfinished task up to date; returns whether anything changed. */
export function refresh(dir: string, sweep: SweepFile, sched: Scheduler): boolean {
  const before = JSON.stringify(sweep.tasks);
  const open = sweep.tasks.filter((t) => !TERMINAL.includes(t.state) && t.state !== 'pending');
  const fromRecord = (t: SweepTask): boolean => {
    const rec = readRecord(dir, t);
    if (!rec) return false;
    t.started_at ??= startedAt(dir, t);
    t.exit_code = rec.exit_code;
    finish(
      t,
      rec.exit_code === 0 ? 'done' : 'failed',
      rec.exit_code === 0 ? null : `exit ${rec.exit_code}`,
      rec.finished_at,
    );
    return true;
  };
  const rest = open.filter((t) => !fromRecord(t));
  const seen = sched.poll(rest, sweep.tasks);
  for (const t of rest) {
    const o = seen.get(t.id);
    if (!o) continue;
    if (o.state === 'failed') {
      if (fromRecord(t)) continue; // it ended while we asked
      t.started_at ??= startedAt(dir, t);
      finish(t, 'failed', o.reason ?? 'failed', iso());
      continue;
    }
    t.state = o.state;
    if (o.state === 'running') t.started_at ??= startedAt(dir, t) ?? iso();
  }
  return JSON.stringify(sweep.tasks) !== before;
}

/** Marks tasks for (re)submission: clears their previous outcome (the old exit record first). */
function prepare(dir: string, t: SweepTask, scheduler: SweepTask['scheduler']): void {
  const p = taskPaths(t.design, t.step);
  for (const f of [p.record, p.started]) rmSync(join(dir, f), { force: true });
  Object.assign(t, {
    scheduler,
    state: 'queued',
    reason: null,
    exit_code: null,
    job_id: null,
    submitted_at: iso(),
    started_at: null,
    finished_at: null,
    seconds: null,
  });
  t.attempts++;
}

export function progressLine(sweep: SweepFile): string {
  const c = countStates(sweep.tasks);
  return `sweep: ${c.queued + c.pending} queued, ${c.running} running, ${c.done} done, ${c.failed} failed (of ${sweep.tasks.length} tasks)`;
}

export interface DriveOptions {
  pollMs: number;
  out?: Out;
  /** called after each refresh that changed something (sweep.json is written just before) */
  onChange?: (sweep: SweepFile) => void;
}

/**
 * Submits `toRun` (tasks of `sweep`), then waits for all of the sweep's tasks. Returns when each
 * is done or failed; sweep.json is current at every change.
 */
export async function drive(
  dir: string,
  sweep: SweepFile,
  sched: Scheduler,
  toRun: SweepTask[],
  opts: DriveOptions,
): Promise<void> {
  const out = opts.out ?? process.stderr;
  sweep.driver = { pid: process.pid, host: hostname() };
  for (const t of toRun) prepare(dir, t, sched.name);
  const onSignal = () => {
    const open = sweep.tasks.filter((t) => !TERMINAL.includes(t.state));
    sched.cancel(open);
    for (const t of open) {
      t.started_at ??= startedAt(dir, t);
      finish(t, 'failed', 'cancelled (the sweep was interrupted)', iso());
    }
    sweep.driver = null;
    writeSweep(dir, sweep);
    out.write(
      `\nsweep: cancelled ${open.length} task(s) still queued or running; ubimoe sweep --resume ${dir} resubmits them\n`,
    );
  };
  // before the CLI's own handler, which then stops what is left and exits
  process.prependOnceListener('SIGINT', onSignal);
  process.prependOnceListener('SIGTERM', onSignal);
  try {
    try {
      sched.submit(toRun, sweep.tasks);
    } catch (err) {
      // a refused sbatch (a bad --partition, --time, --mem): what was submitted goes too
      const submitted = toRun.filter((t) => t.job_id);
      sched.cancel(submitted);
      for (const t of toRun) finish(t, 'failed', 'not submitted: the submission failed', iso());
      throw err;
    }
    writeSweep(dir, sweep);
    let last = '';
    for (;;) {
      if (refresh(dir, sweep, sched)) {
        writeSweep(dir, sweep);
        opts.onChange?.(sweep);
      }
      const line = progressLine(sweep);
      if (line !== last) {
        out.write(out.isTTY ? `\r\x1b[K${line}` : `${line}\n`);
        last = line;
      }
      if (sweep.tasks.every((t) => TERMINAL.includes(t.state))) break;
      await sched.wait(opts.pollMs);
    }
    if (out.isTTY) out.write('\n');
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    sweep.driver = null;
    writeSweep(dir, sweep);
  }
}

/** The failed tasks with the tail of their logs (the summary's second half). */
export function failureSummary(dir: string, sweep: SweepFile, lines = 8): string {
  const failed = sweep.tasks.filter((t) => t.state === 'failed');
  return failed
    .map((t) => {
      const log = join(dir, t.log);
      let tail = existsSync(log) ? logTail(log, lines) : '';
      if (!tail.trim()) {
        // nothing of its own: what Slurm wrote for it, if anything
        const slurmOut =
          t.job_id && /^\d+_\d+$/.test(t.job_id)
            ? join(dir, 'logs', 'slurm', `${t.step}-${t.job_id}.out`)
            : '';
        tail = slurmOut && existsSync(slurmOut) ? logTail(slurmOut, lines) : '(no output)';
      }
      return `FAILED ${t.id} (${t.reason ?? 'failed'}; job ${t.job_id ?? '-'}, log ${t.log}):\n${tail.replace(/^/gm, '  | ')}`;
    })
    .join('\n');
}
