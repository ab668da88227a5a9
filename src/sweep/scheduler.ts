import type { SchedulerName, SweepTask, TaskState } from './sweepfile.js';

/** What a scheduler says of a submitted task that has not left an exit record (yet). */
export interface Observed {
  state: TaskState;
  reason?: string;
}

/**
 * Where the job scripts run. The driver (src/sweep/driver.ts) reads exit records itself; a
 * scheduler only submits, says what it knows of tasks without a record, and cancels.
 */
export interface Scheduler {
  readonly name: SchedulerName;
  /** Submits `tasks` (in dependency order; `all` for their dependencies); sets job_id. */
  submit(tasks: SweepTask[], all: SweepTask[]): void;
  /** The state of each of `tasks` it can tell (tasks it leaves out are looked at again later). */
  poll(tasks: SweepTask[], all: SweepTask[]): Map<string, Observed>;
  /** Cancels the tasks (running ones are stopped). Synchronous: it runs from a signal handler too. */
  cancel(tasks: SweepTask[]): void;
  /** Resolves on the scheduler's next event, or after `ms`. */
  wait(ms: number): Promise<void>;
}

/** The tasks a task needs (same design, the steps in its `after`). */
export function upstream(task: SweepTask, all: SweepTask[]): SweepTask[] {
  return all.filter((t) => t.design === task.design && task.after.includes(t.step));
}
