/**
 * The Accelerator: one design, one backend (the csim runner or the XRT host), one or more runner
 * processes, and an async-iterator stream that hands inputs out and gives results back in input
 * order with a bounded number of requests in flight.
 *
 *   const acc = await Accelerator.open({ project, backend: 'csim', checkpoint, workers: 2 });
 *   for await (const out of acc.stream(inputs, { task: 0 })) { ... }
 *   await acc.close();
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { removeOnInterrupt } from '../util/interrupt.js';
import { openProject, type Project } from './project.js';
import { prepareRunner } from './launch.js';
import type { ModelShape } from './protocol.js';
import { scheduleStream, type InputSource, type StreamOutput } from './scheduler.js';
import { RunnerError, RunnerProcess, type RunnerCommand } from './runner.js';
import { RequestTimeout, defaultTimeoutMs } from './timeout.js';
import type { Saturation } from '../toolchain/saturation.js';

export type Backend = 'csim' | 'xrt';

export interface AcceleratorOptions {
  project: string; // a generated project directory
  backend: Backend;
  checkpoint: string; // safetensors checkpoint of the project's model
  xclbin?: string; // xrt: the bitstream (default: the project's build/<board>.xclbin)
  workers?: number; // csim: runner processes (default 1); xrt: must be 1
  /**
   * A fixed per-request limit. Default: adaptive (src/driver/timeout.ts): scaled from the design's
   * work until the first answer, then 10× the median answer time of the runners, at least 5 s.
   */
  timeoutMs?: number;
  /** Replaces the runner command (tests and benchmarks); weights and project are still checked. */
  runnerCommand?: RunnerCommand;
  /**
   * Build/packing progress and stream events (a hung runner and the retry of its inputs), one line
   * each. Default: stderr.
   */
  log?: (line: string) => void;
  /**
   * csim: the timed C-simulation (-DUBIMOE_TIMED_CSIM): every output carries its image's simulated
   * cycles (`deviceCycles`, the response's field) and its full report (`cycles`, ubimoe-cycles/1
   * with one image), the same outputs bit for bit.
   */
  cycles?: boolean;
  /** xrt: the host samples the card's power into this file (--power-log; src/driver/power.ts). */
  powerLog?: { path: string; intervalMs: number };
  /** xrt: a prebuilt host program (e.g. cross-compiled for the board) instead of building host/. */
  hostExe?: string;
}

export type AcceleratorOutput = StreamOutput;

export interface StreamOptions {
  task?: number;
}

export class Accelerator {
  private closed = false;

  private constructor(
    readonly project: Project,
    readonly backend: Backend,
    readonly model: ModelShape,
    private readonly workers: RunnerProcess[],
    readonly timeout: RequestTimeout,
    private readonly log: (line: string) => void,
    private readonly cyclesDir: string | undefined,
  ) {}

  /** The per-request limit now (ms): fixed, or adapted to the answers so far. */
  get timeoutMs(): number {
    return this.timeout.ms;
  }

  static async open(opts: AcceleratorOptions): Promise<Accelerator> {
    const workers = opts.workers ?? 1;
    if (!Number.isInteger(workers) || workers < 1 || workers > 64)
      throw new UserError(`workers must be an integer 1..64, got ${workers}`);
    if (opts.backend !== 'csim' && opts.backend !== 'xrt')
      throw new UserError(`backend must be csim or xrt, got '${opts.backend}'`);
    if (opts.backend === 'xrt' && workers !== 1)
      throw new UserError(
        'workers applies to the csim backend; the XRT host owns the device and keeps its own images in flight',
      );
    if (opts.timeoutMs !== undefined && !(opts.timeoutMs > 0))
      throw new UserError(`timeout must be positive, got ${opts.timeoutMs}`);
    const project = openProject(opts.project);
    // one limit for the runner set: the answers of any runner set it for all of them
    const timeout =
      opts.timeoutMs !== undefined
        ? RequestTimeout.fixed(opts.timeoutMs)
        : RequestTimeout.adaptive(defaultTimeoutMs(project, opts.backend));
    const prepared = await prepareRunner(project, opts);
    // the timed runners' per-image reports go to a private folder, removed on close
    const cyclesDir = opts.cycles ? mkdtempSync(join(tmpdir(), 'ubimoe-cycles-')) : undefined;
    if (cyclesDir) removeOnInterrupt(cyclesDir);
    const command = cyclesDir ? { ...prepared, cyclesDir } : prepared;

    const started = await Promise.allSettled(
      Array.from({ length: workers }, (_, i) =>
        RunnerProcess.start(command, { label: `${opts.backend} runner #${i + 1}`, timeoutMs: timeout }),
      ),
    );
    const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    const removeCycles = () => {
      if (cyclesDir) rmSync(cyclesDir, { recursive: true, force: true });
    };
    if (failed) {
      await Promise.all(ok.map((w) => w.kill()));
      removeCycles();
      throw asUserFacing(failed.reason);
    }
    try {
      for (const w of ok) checkHello(w, project);
    } catch (err) {
      await Promise.all(ok.map((w) => w.kill()));
      removeCycles();
      throw err;
    }
    const log = opts.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
    return new Accelerator(project, opts.backend, ok[0].hello.model, ok, timeout, log, cyclesDir);
  }

  /** Process ids of the runners (for tests and diagnostics). */
  get pids(): number[] {
    return this.workers.map((w) => w.pid);
  }

  /**
   * Streams inputs through the runners. Results come in input order; at most
   * (workers × the runner's advertised depth) requests are in flight; with several workers, up to
   * 16 more per worker are pulled and not yet yielded (results waiting for an older one).
   * A runner that hangs is killed and its inputs are retried once on the others (one log line);
   * any other failure, or a second timeout of an input, stops every runner and rejects with an
   * error naming the input index.
   */
  async *stream(inputs: InputSource, opts: StreamOptions = {}): AsyncGenerator<AcceleratorOutput> {
    if (this.closed) throw new Error('Accelerator.stream: the accelerator is closed');
    const task = opts.task ?? 0;
    if (!Number.isInteger(task) || task < 0 || task >= this.model.tasks)
      throw new UserError(
        `task ${task} out of range: the model has ${this.model.tasks} task(s) (0..${this.model.tasks - 1})`,
      );
    try {
      yield* scheduleStream(this.workers, this.model, inputs, task, { log: this.log });
    } catch (err) {
      await this.abort();
      throw asUserFacing(err);
    }
  }

  /** Stops the runners cleanly (shutdown frame, then wait); idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.close()));
    this.removeCyclesDir();
  }

  /**
   * The values that saturated in the runners' datapath, per format, summed over the runners (csim
   * runners print them at a clean stop; none for XRT, whose hardware clamps without counting);
   * `complete` unless a runner did not stop cleanly (killed: its counts are lost). After close().
   */
  saturations(): { counts: Saturation[]; complete: boolean } {
    const sum = new Map<string, number>();
    for (const w of this.workers) for (const s of w.saturations()) sum.set(s.format, (sum.get(s.format) ?? 0) + s.count);
    return {
      counts: [...sum].map(([format, count]) => ({ format, count })),
      complete: this.workers.every((w) => w.exit.exitCode === 0),
    };
  }

  /** Kills every runner and waits until they are reaped. */
  async abort(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.kill()));
    this.removeCyclesDir();
  }

  private removeCyclesDir(): void {
    if (this.cyclesDir) rmSync(this.cyclesDir, { recursive: true, force: true });
  }
}

/** The runner must have been built for this project's design and model. */
function checkHello(w: RunnerProcess, project: Project): void {
  const h = w.hello;
  if (h.designHash !== project.designHash)
    throw new UserError(
      `${w.label} was built for design ${h.designHash.slice(0, 12)}, the project is design ${project.designHash.slice(0, 12)}: rebuild it`,
    );
  const d = project.design.dims;
  const m = project.design.model;
  const want: ModelShape = {
    channels: m.in_chans,
    height: m.img_h,
    width: m.img_w,
    tokens: d.numTokens,
    dim: d.D,
    moeBlocks: d.moeBlocks.filter(Boolean).length,
    topK: d.topK,
    tasks: d.tasks,
  };
  for (const k of Object.keys(want) as (keyof ModelShape)[])
    if (h.model[k] !== want[k])
      throw new UserError(
        `${w.label} announces ${k} = ${h.model[k]}, the project's model has ${want[k]}: rebuild it`,
      );
}

/** Startup refusals (weights for another design, no device) are the user's to fix: one line, exit 2. */
function asUserFacing(err: unknown): unknown {
  if (err instanceof RunnerError && (err.failure === 'startup' || err.failure === 'request')) {
    const userCodes = ['WEIGHTS', 'DEVICE', 'USAGE', 'BAD_VALUE', 'BAD_SHAPE', 'BAD_TASK', 'BAD_DTYPE'];
    if (err.detail.codeName && userCodes.includes(err.detail.codeName)) return new UserError(err.message);
  }
  return err;
}
