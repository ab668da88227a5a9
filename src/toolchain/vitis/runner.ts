import { execa, type ResultPromise } from 'execa';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ToolError } from '../../util/errors.js';
import { LAYOUT } from './layout.js';
import { StepProgress } from './progress.js';
import type { BuildPlan, BuildStep } from './steps.js';

export interface StepResult {
  step: BuildStep;
  ok: boolean;
  ms: number;
  log: string;
}

export interface RunOptions {
  jobs: number;
  env?: NodeJS.ProcessEnv;
  progress: StepProgress;
  tailLines?: number;
}

/** The last `n` lines of a log file (what a failed step shows). */
export function logTail(path: string, n: number): string {
  const lines = readFileSync(path, 'utf8').replace(/\s+$/, '').split('\n');
  return lines.slice(-n).join('\n');
}

/** Consecutive steps of one group form one batch (run concurrently); others run alone. */
function batches(steps: BuildStep[]): BuildStep[][] {
  const out: BuildStep[][] = [];
  for (const s of steps) {
    const last = out[out.length - 1];
    if (s.group && last && last[0].group === s.group) last.push(s);
    else out.push([s]);
  }
  return out;
}

/**
 * Runs a build plan in the project: each step is `make <target>` with the plan's variables, its
 * output (stdout and stderr) streamed to logs/<step>.log. Stops at the first failing step (steps
 * already running alongside it are stopped) and throws a ToolError (exit 1) naming the step and
 * its log, with the log's tail.
 */
export async function runPlan(projectDir: string, plan: BuildPlan, opts: RunOptions): Promise<StepResult[]> {
  const logsDir = join(projectDir, LAYOUT.logsDir);
  mkdirSync(logsDir, { recursive: true });
  const vars = Object.entries(plan.makeVars).map(([k, v]) => `${k}=${v}`);
  const results: StepResult[] = [];
  const running = new Set<ResultPromise>();
  let failed: StepResult | null = null;
  let interrupted: string | null = null;
  // each step runs in its own process group, so stopping it stops the tools make started too
  const stop = (p: ResultPromise) => {
    try {
      if (p.pid) process.kill(-p.pid, 'SIGTERM');
    } catch {
      p.kill();
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = signal;
    for (const p of running) stop(p);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const runStep = async (step: BuildStep): Promise<void> => {
    const log = join(logsDir, `${step.id}.log`);
    const args = ['--no-print-directory', step.makeTarget, ...vars];
    const stream = createWriteStream(log);
    stream.write(
      `# ubimoe build: make ${args.join(' ')}   (in ${projectDir}, ${new Date().toISOString()})\n`,
    );
    opts.progress.start(step.title);
    const proc = execa('make', args, {
      cwd: projectDir,
      env: opts.env,
      extendEnv: !opts.env,
      all: true,
      reject: false,
      stdin: 'ignore',
      detached: true,
    });
    running.add(proc);
    proc.all?.pipe(stream);
    const res = await proc;
    running.delete(proc);
    await new Promise<void>((resolve) => stream.end(resolve));
    const ok = res.exitCode === 0 && !res.isTerminated;
    const stopped = Boolean(failed || interrupted);
    const ms = opts.progress.end(
      step.title,
      ok,
      ok ? '' : stopped ? '(stopped)' : `(exit ${res.exitCode ?? res.signal})`,
    );
    const result = { step, ok, ms, log };
    results.push(result);
    if (!ok && !failed) {
      failed = result;
      for (const p of running) stop(p);
    }
  };

  try {
    for (const batch of batches(plan.steps)) {
      const queue = [...batch];
      const workers = Array.from({ length: Math.min(Math.max(1, opts.jobs), queue.length) }, async () => {
        for (let s = queue.shift(); s && !failed && !interrupted; s = queue.shift()) await runStep(s);
      });
      await Promise.all(workers);
      if (failed || interrupted) break;
    }
  } finally {
    opts.progress.stop();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  if (interrupted)
    throw new ToolError(`build interrupted (${interrupted}); the logs so far are in ${logsDir}`);
  if (failed) {
    const f = failed as StepResult;
    const tail = logTail(f.log, opts.tailLines ?? 25);
    throw new ToolError(`build step '${f.step.title}' failed; log: ${f.log}\n--- last lines ---\n${tail}`);
  }
  return results;
}
