/**
 * One runner process (the csim runner or the XRT host), spoken to over the ubimoe protocol.
 * It owns the process from spawn to reaping: requests go in on stdin, frames come back on stdout,
 * the last stderr lines are kept for error messages, and any failure (death, hang, malformed
 * frame) rejects every request still outstanding with a RunnerError that says what happened.
 */
import { execa, type ResultPromise } from 'execa';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  ErrorCode,
  FrameDecoder,
  HELLO_BODY_BYTES,
  MAX_ERROR_MESSAGE,
  NO_REQUEST,
  ProtocolError,
  RUNNER_EXIT,
  encodeRequest,
  encodeShutdown,
  maxResponseBody,
  type ErrorFrame,
  type Frame,
  type HelloFrame,
  type ResponseFrame,
} from './protocol.js';
import { ToolError } from '../util/errors.js';
import { parseSaturation, type Saturation } from '../toolchain/saturation.js';
import { RequestTimeout, formatSeconds } from './timeout.js';

export interface RunnerCommand {
  command: string;
  args: string[];
  cwd?: string;
  /**
   * The timed csim runner's report folder (`--cycles-dir`, passed by RunnerProcess): each response
   * comes with DIR/<pid>-<request id>.json (ubimoe-cycles/1, one image), read and removed here.
   */
  cyclesDir?: string;
}

/** A response, with the timed C-simulation's report of its image when the runner writes one. */
export type RunnerResponse = ResponseFrame & { cycles?: unknown };

export type RunnerFailure = 'startup' | 'died' | 'timeout' | 'protocol' | 'request';

/**
 * Why a runner request failed. `index` is the input's position in the stream, when known.
 * A ToolError: the CLI prints its message without a stack and exits 1.
 */
export class RunnerError extends ToolError {
  constructor(
    message: string,
    readonly failure: RunnerFailure,
    readonly detail: {
      index?: number;
      code?: number;
      codeName?: string;
      exitCode?: number;
      signal?: string;
      stderr?: string[];
      timeoutMs?: number; // 'timeout': the limit that was exceeded
    } = {},
  ) {
    super(message);
    this.name = 'RunnerError';
  }
}

export interface RequestInput {
  index: number; // position in the caller's stream (named in errors)
  task: number;
  kind: 'image' | 'tokens';
  dims: [number, number, number];
  data: Float32Array;
}

interface Pending {
  id: number;
  index: number;
  sentAt: number;
  resolve: (r: RunnerResponse) => void;
  reject: (e: Error) => void;
}

const STDERR_LINES = 12;

export class RunnerProcess {
  readonly label: string;
  readonly pid: number;
  hello!: HelloFrame;
  private readonly proc: ResultPromise<{
    stdin: 'pipe';
    stdout: 'pipe';
    stderr: 'pipe';
    buffer: false;
    reject: false;
  }>;
  private readonly decoder = new FrameDecoder(HELLO_BODY_BYTES + 4 + MAX_ERROR_MESSAGE);
  private readonly pending = new Map<number, Pending>();
  private readonly stderrTail: string[] = [];
  private stderrPartial = '';
  /** The csim runner's saturation counts, printed at a clean stop (src/toolchain/saturation.ts). */
  private readonly saturationCounts: Saturation[] = [];
  private readonly stderrClosed: Promise<void>;
  private nextId = 0;
  private failure: RunnerError | undefined;
  private exited = false;
  private exitInfo: { exitCode?: number; signal?: string } = {};
  private watchdog: NodeJS.Timeout | undefined;
  private clockStart = 0; // performance.now() when the runner could start its oldest request
  private readonly unsubscribe: () => void;
  private helloWaiter: { resolve: (h: HelloFrame) => void; reject: (e: Error) => void } | undefined;
  private readonly done: Promise<void>;
  private readonly cyclesDir: string | undefined;

  private constructor(
    cmd: RunnerCommand,
    label: string,
    readonly timeout: RequestTimeout,
  ) {
    this.label = label;
    this.cyclesDir = cmd.cyclesDir;
    // the limit changed (another runner's answers moved the median): hold the oldest request to it
    this.unsubscribe = timeout.onChange(() => this.armWatchdog(false));
    const args = cmd.cyclesDir ? [...cmd.args, '--cycles-dir', cmd.cyclesDir] : cmd.args;
    this.proc = execa(cmd.command, args, {
      cwd: cmd.cwd,
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      cleanup: true,
    });
    this.pid = this.proc.pid ?? -1;
    this.proc.stdin.on('error', () => {
      /* EPIPE when the runner died: its exit is reported by the exit handler */
    });
    this.proc.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    this.proc.stderr.on('data', (chunk: Buffer) => this.onStderr(chunk));
    this.stderrClosed = new Promise((resolve) => this.proc.stderr.once('close', () => resolve()));
    this.done = this.proc.then(
      (result) => {
        // a process that could not be spawned resolves with no exit code and no signal
        const spawnError =
          result.exitCode === undefined && !result.signal
            ? (result.originalMessage ?? result.shortMessage)
            : undefined;
        this.onExit(result.exitCode, result.signal, spawnError);
      },
      (err: unknown) => this.onExit(undefined, undefined, err),
    );
  }

  /**
   * Spawns a runner and waits for its hello frame. A runner that answers with an error frame
   * (weights refused, no device) or dies first rejects with a 'startup' RunnerError.
   * `timeoutMs`: a fixed per-request limit, or a RequestTimeout shared by a set of runners (which
   * then adapts to their answer times).
   */
  static async start(
    cmd: RunnerCommand,
    opts: { label: string; timeoutMs: number | RequestTimeout; helloTimeoutMs?: number },
  ): Promise<RunnerProcess> {
    const timeout =
      opts.timeoutMs instanceof RequestTimeout ? opts.timeoutMs : RequestTimeout.fixed(opts.timeoutMs);
    const r = new RunnerProcess(cmd, opts.label, timeout);
    const helloTimeout = opts.helloTimeoutMs ?? Math.max(60_000, timeout.startMs);
    let timer: NodeJS.Timeout | undefined;
    try {
      r.hello = await new Promise<HelloFrame>((resolve, reject) => {
        r.helloWaiter = { resolve, reject };
        timer = setTimeout(() => {
          r.fail(
            new RunnerError(
              `${r.label} sent no hello within ${Math.round(helloTimeout / 1000)} s; stopped it`,
              'startup',
            ),
          );
        }, helloTimeout);
        if (r.failure) reject(r.failure);
      });
    } catch (err) {
      clearTimeout(timer);
      await r.kill();
      throw err;
    }
    clearTimeout(timer);
    r.decoder.maxBody = Math.max(maxResponseBody(r.hello.model), 4 + MAX_ERROR_MESSAGE);
    return r;
  }

  /** Requests sent and not yet answered. */
  get outstanding(): number {
    return this.pending.size;
  }

  get alive(): boolean {
    return !this.exited && !this.failure;
  }

  /** Sends one request; resolves with its response (runners answer in order). */
  request(input: RequestInput): Promise<RunnerResponse> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++ >>> 0;
    const frame = encodeRequest({
      id,
      task: input.task,
      kind: input.kind,
      dims: input.dims,
      data: input.data,
    });
    return new Promise<RunnerResponse>((resolve, reject) => {
      this.pending.set(id, { id, index: input.index, sentAt: Date.now(), resolve, reject });
      for (const b of frame) this.proc.stdin.write(b);
      if (this.pending.size === 1) this.armWatchdog(true);
    });
  }

  /** Asks the runner to stop (shutdown frame, end of input), waits for it, kills it if it lingers. */
  async close(graceMs = 5000): Promise<void> {
    if (!this.exited) {
      try {
        for (const b of encodeShutdown()) this.proc.stdin.write(b);
        this.proc.stdin.end();
      } catch {
        /* already gone */
      }
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
      await this.done;
      clearTimeout(timer);
      await this.stderrClosed; // its last lines (the saturation counts) read: the pipe closes with the process
    }
    this.fail(new RunnerError(`${this.label} was closed`, 'died'));
  }

  /** Kills the runner (SIGKILL) and waits until it is reaped. */
  async kill(): Promise<void> {
    if (!this.exited) this.proc.kill('SIGKILL');
    await this.done;
  }

  /** Resolves when the process has exited and been reaped. */
  get exitedPromise(): Promise<void> {
    return this.done;
  }

  /**
   * (Re)arms the watchdog for the oldest outstanding request. The runner works in order, so that
   * request's clock starts when it was sent or when the previous answer came, whichever is later:
   * both are "now" when `restartClock` is set (a request to an idle runner, an answer); a changed
   * limit re-arms with the clock kept.
   */
  private armWatchdog(restartClock: boolean): void {
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
    const oldest = this.pending.values().next().value as Pending | undefined;
    if (!oldest || this.failure) return;
    if (restartClock) this.clockStart = performance.now();
    const left = this.clockStart + this.timeout.ms - performance.now();
    // when it fires, let the poll phase run first (setImmediate): an answer already waiting in the
    // pipe while the event loop was busy elsewhere is not a hang
    this.watchdog = setTimeout(() => setImmediate(() => this.checkHang(oldest)), Math.max(0, left));
  }

  private checkHang(oldest: Pending): void {
    if (this.failure || this.pending.values().next().value !== oldest) return;
    const limit = this.timeout.ms;
    if (performance.now() - this.clockStart < limit) {
      this.armWatchdog(false); // the limit grew meanwhile, or the timer fired a little early
      return;
    }
    this.fail(
      new RunnerError(
        `input ${oldest.index} (request ${oldest.id}) got no answer from ${this.label} within ${formatSeconds(limit)}${this.timeout.describe()}; stopped the runner (${this.timeout.advice})`,
        'timeout',
        { index: oldest.index, timeoutMs: limit },
      ),
    );
    this.proc.kill('SIGKILL');
  }

  private onData(chunk: Buffer): void {
    if (this.failure) return;
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      const e = err as ProtocolError;
      this.fail(
        new RunnerError(`${this.label} sent a malformed frame (${e.message}); stopped it`, 'protocol', {
          code: e.code,
        }),
      );
      this.proc.kill('SIGKILL');
      return;
    }
    for (const f of frames) this.onFrame(f);
  }

  private onFrame(f: Frame): void {
    if (!this.helloWaiter && f.type !== 'response' && f.type !== 'error') {
      this.fail(
        new RunnerError(`${this.label} sent an unexpected ${f.type} frame; stopped it`, 'protocol', {
          code: ErrorCode.BAD_TYPE,
        }),
      );
      this.proc.kill('SIGKILL');
      return;
    }
    if (this.helloWaiter) {
      const w = this.helloWaiter;
      if (f.type === 'hello') {
        this.helloWaiter = undefined;
        w.resolve(f);
      } else if (f.type === 'error') this.fail(this.startupError(f));
      else {
        this.fail(
          new RunnerError(`${this.label} sent a ${f.type} frame before its hello`, 'protocol', {
            code: ErrorCode.BAD_TYPE,
          }),
        );
        this.proc.kill('SIGKILL');
      }
      return;
    }
    if (f.type === 'error' && f.id === NO_REQUEST) {
      // a fatal error: the runner exits after it; report it with the exit status once it has gone
      this.fatalFrame = f;
      return;
    }
    const id = (f as ResponseFrame | ErrorFrame).id;
    const p = this.pending.get(id);
    if (!p) {
      this.fail(
        new RunnerError(`${this.label} answered request ${id}, which is not outstanding`, 'protocol'),
      );
      this.proc.kill('SIGKILL');
      return;
    }
    // the answer's time, from when the runner could start it (only answers the runner computed)
    const answerMs = performance.now() - this.clockStart;
    this.pending.delete(id);
    this.armWatchdog(true);
    if (f.type === 'response') this.timeout.record(answerMs);
    if (f.type === 'response' && this.cyclesDir) {
      // the timed runner wrote the image's cycle report before answering
      const file = join(this.cyclesDir, `${this.pid}-${id}.json`);
      let cycles: unknown;
      try {
        cycles = JSON.parse(readFileSync(file, 'utf8'));
        rmSync(file, { force: true });
      } catch (err) {
        this.fail(
          new RunnerError(
            `${this.label} answered input ${p.index} without a readable cycle report ${file} (${(err as Error).message}); stopped it`,
            'protocol',
            { index: p.index },
          ),
        );
        this.proc.kill('SIGKILL');
        return;
      }
      p.resolve({ ...f, cycles });
    } else if (f.type === 'response') p.resolve(f);
    else {
      const e = f as ErrorFrame;
      p.reject(
        new RunnerError(
          `input ${p.index}: ${this.label} refused it: ${e.codeName}: ${e.message}`,
          'request',
          {
            index: p.index,
            code: e.code,
            codeName: e.codeName,
          },
        ),
      );
    }
  }

  private fatalFrame: ErrorFrame | undefined;

  private startupError(f: ErrorFrame): RunnerError {
    return new RunnerError(`${this.label} could not start: ${f.message}`, 'startup', {
      code: f.code,
      codeName: f.codeName,
    });
  }

  private onStderr(chunk: Buffer): void {
    const lines = (this.stderrPartial + chunk.toString('utf8')).split('\n');
    this.stderrPartial = lines.pop() ?? '';
    if (this.stderrPartial.length > 4096) this.stderrPartial = this.stderrPartial.slice(-4096);
    for (const l of lines) {
      if (!l.trim()) continue;
      const saturation = parseSaturation(l);
      if (saturation) {
        this.saturationCounts.push(saturation);
        continue;
      }
      this.stderrTail.push(l.length > 500 ? l.slice(0, 500) + '…' : l);
      if (this.stderrTail.length > STDERR_LINES) this.stderrTail.shift();
    }
  }

  /** The values that saturated in the runner's datapath, per format (a csim runner, after close()). */
  saturations(): Saturation[] {
    return [...this.saturationCounts];
  }

  /** The last lines the runner wrote on stderr. */
  stderrLines(): string[] {
    return this.stderrPartial.trim() ? [...this.stderrTail, this.stderrPartial] : [...this.stderrTail];
  }

  private onExit(exitCode: number | undefined, signal: string | undefined, err?: unknown): void {
    this.exited = true;
    clearTimeout(this.watchdog);
    this.unsubscribe();
    this.exitInfo = { exitCode, signal };
    try {
      this.decoder.end();
    } catch {
      /* a frame cut by the exit: the exit status below says why */
    }
    if (this.failure) {
      this.rejectAll(this.failure);
      return;
    }
    const status = signal
      ? `was killed by signal ${signal}`
      : exitCode !== undefined
        ? `exited with status ${exitCode}${RUNNER_EXIT[exitCode] ? ` (${RUNNER_EXIT[exitCode]})` : ''}`
        : `could not be run: ${err instanceof Error ? err.message.split('\n')[0] : String(err ?? 'unknown reason')}`;
    const stderr = this.stderrLines();
    const tail = stderr.length ? `; last stderr lines:\n  ${stderr.join('\n  ')}` : '';
    const detail = { exitCode, signal, stderr };
    if (this.helloWaiter) {
      const e = this.fatalFrame
        ? this.startupError(this.fatalFrame)
        : new RunnerError(
            `${this.label} ${status}${exitCode === undefined && !signal ? '' : ' before its hello'}${tail}`,
            'startup',
            detail,
          );
      this.fail(e);
      return;
    }
    const oldest = this.pending.values().next().value as Pending | undefined;
    const what = oldest
      ? `while processing input ${oldest.index} (request ${oldest.id})`
      : 'between requests';
    const reason = this.fatalFrame
      ? ` after reporting ${this.fatalFrame.codeName}: ${this.fatalFrame.message}`
      : '';
    this.fail(
      new RunnerError(
        `${this.label} (pid ${this.pid}) ${status} ${what}${reason}${tail}`,
        this.fatalFrame ? 'protocol' : 'died',
        {
          ...detail,
          index: oldest?.index,
        },
      ),
    );
  }

  /** The process's exit, once it has exited. */
  get exit(): { exitCode?: number; signal?: string } {
    return this.exitInfo;
  }

  /** First failure wins: it rejects the hello wait and every outstanding request. */
  private fail(e: RunnerError): void {
    if (!this.failure) this.failure = e;
    clearTimeout(this.watchdog);
    this.unsubscribe();
    if (this.helloWaiter) {
      const w = this.helloWaiter;
      this.helloWaiter = undefined;
      w.reject(this.failure);
    }
    this.rejectAll(this.failure);
  }

  private rejectAll(e: RunnerError): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}
