/**
 * --scheduler local: the same job scripts, run by a bounded pool of processes on this machine. A
 * task starts once the tasks it needs are done (it fails without running when one of them failed);
 * its job id is the pid of its bash. Each runs in its own process group, so cancelling stops the
 * tools it started too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Observed, Scheduler } from './scheduler.js';
import { upstream } from './scheduler.js';
import type { SweepTask } from './sweepfile.js';

export class LocalPool implements Scheduler {
  readonly name = 'local' as const;
  private readonly waiting: string[] = []; // task ids, in submission order
  private readonly running = new Map<string, ChildProcess>();
  private readonly ended = new Map<string, { code: number | null; signal: string | null }>();
  private wake: (() => void) | null = null;

  constructor(
    private readonly dir: string,
    private readonly jobs: number,
  ) {}

  submit(tasks: SweepTask[]): void {
    for (const t of tasks) {
      this.ended.delete(t.id);
      this.waiting.push(t.id);
      t.job_id = null;
    }
  }

  /** Starts what may start: dependencies done, a free slot. */
  private start(all: SweepTask[]): void {
    const byId = new Map(all.map((t) => [t.id, t]));
    for (let i = 0; i < this.waiting.length && this.running.size < this.jobs;) {
      const t = byId.get(this.waiting[i])!;
      const ups = upstream(t, all);
      if (ups.some((u) => u.state !== 'done')) {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      const child = spawn('/bin/bash', [join(this.dir, t.script)], { detached: true, stdio: 'ignore' });
      t.job_id = String(child.pid);
      this.running.set(t.id, child);
      child.on('exit', (code, signal) => {
        this.running.delete(t.id);
        this.ended.set(t.id, { code, signal });
        this.wake?.();
      });
    }
  }

  poll(tasks: SweepTask[], all: SweepTask[]): Map<string, Observed> {
    const out = new Map<string, Observed>();
    // dependencies that failed fail their dependants, which then never run
    for (const id of [...this.waiting]) {
      const t = all.find((x) => x.id === id)!;
      const bad = upstream(t, all).find((u) => u.state === 'failed');
      if (bad) {
        this.waiting.splice(this.waiting.indexOf(id), 1);
        out.set(id, { state: 'failed', reason: `${bad.step} failed, so it did not run` });
      }
    }
    this.start(all);
    for (const t of tasks) {
      if (out.has(t.id)) continue;
      if (this.running.has(t.id)) out.set(t.id, { state: 'running' });
      else if (this.waiting.includes(t.id)) out.set(t.id, { state: 'queued' });
      else {
        const e = this.ended.get(t.id);
        out.set(t.id, {
          state: 'failed',
          reason: e
            ? `ended (${e.signal ? `signal ${e.signal}` : `exit ${e.code}`}) without an exit record`
            : 'the local pool that ran it has ended (its driver was stopped)',
        });
      }
    }
    return out;
  }

  cancel(tasks: SweepTask[]): void {
    for (const t of tasks) {
      const i = this.waiting.indexOf(t.id);
      if (i >= 0) this.waiting.splice(i, 1);
      const child = this.running.get(t.id);
      if (child?.pid) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
    }
  }

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}
