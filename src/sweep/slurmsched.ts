/**
 * --scheduler slurm: one array job per step (array index = design index), `--dependency=aftercorr`
 * on the array jobs of the steps it needs (task i starts once task i of those is done).
 */
import { join } from 'node:path';
import type { Observed, Scheduler } from './scheduler.js';
import { upstream } from './scheduler.js';
import { sacctState, sbatchArray, scancel, scontrolStates, squeueStates } from './slurm.js';
import type { SweepTask } from './sweepfile.js';

const QUEUED = ['PENDING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESIZING', 'SUSPENDED'];
const RUNNING = ['RUNNING', 'CONFIGURING', 'COMPLETING', 'STAGE_OUT', 'SIGNALING'];

const arrayJob = (jobId: string) => jobId.split('_')[0];

export class SlurmScheduler implements Scheduler {
  readonly name = 'slurm' as const;

  constructor(private readonly dir: string) {}

  submit(tasks: SweepTask[], all: SweepTask[]): void {
    const steps = [...new Set(tasks.map((t) => t.step))]; // tasks come in dependency order
    for (const step of steps) {
      // tasks of one step whose dependencies are the same array jobs go in one array job
      const groups = new Map<string, SweepTask[]>();
      for (const t of tasks.filter((x) => x.step === step)) {
        const deps = upstream(t, all)
          .filter((u) => u.state !== 'done' && u.job_id)
          .map((u) => arrayJob(u.job_id!))
          .sort();
        const key = [...new Set(deps)].join(':');
        groups.set(key, [...(groups.get(key) ?? []), t]);
      }
      for (const [key, group] of groups) {
        const id = sbatchArray(
          join(this.dir, 'jobs', `${step}.array.sh`),
          group.map((t) => t.index),
          key ? key.split(':') : [],
        );
        for (const t of group) t.job_id = `${id}_${t.index}`;
      }
    }
  }

  poll(tasks: SweepTask[]): Map<string, Observed> {
    const out = new Map<string, Observed>();
    const queue = squeueStates();
    const gone: SweepTask[] = [];
    for (const t of tasks) {
      if (!t.job_id) continue;
      const s = queue.get(t.job_id);
      if (!s) {
        gone.push(t);
        continue;
      }
      if (s.state === 'PENDING' && /DependencyNeverSatisfied/.test(s.reason)) {
        scancel([t.job_id]);
        out.set(t.id, { state: 'failed', reason: 'a step it needs failed, so it did not run' });
      } else if (QUEUED.includes(s.state)) out.set(t.id, { state: 'queued' });
      else if (RUNNING.includes(s.state)) out.set(t.id, { state: 'running' });
      else
        out.set(t.id, {
          state: 'failed',
          reason: `Slurm: ${s.state}${s.reason && s.reason !== 'None' ? ` (${s.reason})` : ''}`,
        });
    }
    // ended: what scontrol still remembers, else sacct where there is accounting
    const known = new Map<
      string,
      ReturnType<typeof scontrolStates> extends Map<string, infer V> ? V : never
    >();
    for (const job of new Set(gone.map((t) => arrayJob(t.job_id!))))
      for (const [k, v] of scontrolStates(job)) known.set(k, v);
    for (const t of gone) {
      const s = known.get(t.job_id!);
      if (s && (QUEUED.includes(s.state) || RUNNING.includes(s.state))) continue; // between squeue and scontrol
      const state = s?.state ?? sacctState(t.job_id!);
      out.set(t.id, {
        state: 'failed',
        reason: state
          ? `Slurm: ${state}${s?.exit ? ` (exit ${s.exit})` : ''}, no exit record`
          : 'no longer known to Slurm and left no exit record (cancelled before it started?)',
      });
    }
    return out;
  }

  cancel(tasks: SweepTask[]): void {
    scancel(tasks.filter((t) => t.job_id).map((t) => t.job_id!));
  }

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}
