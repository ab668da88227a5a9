/**
 * Spreads a stream of inputs over runner processes and yields the results in input order.
 * Backpressure: at most (sum of per-runner depths) requests are in flight; with several runners,
 * at most that window plus REORDER_PER_RUNNER per runner inputs are pulled and not yet yielded
 * (the others are results waiting for an older one); the input source is only pulled when a
 * runner slot is free.
 * A runner that hangs (its per-request timeout trips) is killed and its requests are resent to
 * the other runners; each input is retried once. Any other failure ends the stream.
 */
import { checkInput, inputDims, type AcceleratorInput } from './inputs.js';
import type { ModelShape } from './protocol.js';
import { RunnerError, type RunnerProcess, type RunnerResponse } from './runner.js';
import { formatSeconds } from './timeout.js';

export interface StreamOutput {
  index: number; // position in the input stream
  output: Float32Array; // encoder tokens [tokens * dim]
  experts: Int32Array; // expert choices [moeBlocks * tokens * topK]
  latencyMs: number; // first sent -> response received (includes queueing, and a retry's delay)
  deviceNs: number | undefined; // runner-measured compute time, when reported
  deviceCycles: number | undefined; // device cycles, when the backend knows them
  /** The timed C-simulation's report of this image (ubimoe-cycles/1, one entry), with `cycles`. */
  cycles?: unknown;
  worker: number; // the runner that answered
}

export type InputSource = Iterable<AcceleratorInput> | AsyncIterable<AcceleratorInput>;

export interface ScheduleOptions {
  /** One line per event the user should know of (a hung runner, a retried input). */
  log?: (line: string) => void;
}

/**
 * With several runners, how many results per runner may wait for an older one (held by a slow or
 * hung runner). With the adaptive timeout a hang is declared after 10 answer times at least, so this
 * lets each healthy runner go on working for about that long (and a little more) before the
 * in-order window closes; it costs at most this many outputs of memory per runner.
 */
export const REORDER_PER_RUNNER = 16;

/** Requests kept queued per runner: what it advertises, within 1..4. */
export function runnerDepth(w: RunnerProcess): number {
  return Math.min(4, Math.max(1, w.hello.maxInFlight));
}

/** Inputs pulled and not yet yielded, at most (in flight + results waiting for their turn). */
export function pulledLimit(depths: readonly number[]): number {
  const window = depths.reduce((a, b) => a + b, 0);
  // one runner answers in order, so nothing waits; with several, the others may run ahead
  return depths.length > 1 ? window + REORDER_PER_RUNNER * depths.length : window;
}

interface InFlight {
  input: AcceleratorInput;
  started: number; // performance.now() when first sent
  worker: number; // the runner it was last sent to
  hungOn?: string; // the runner that hung on it (it has had its retry)
}

/**
 * The scheduling loop. A request is sent as soon as a runner has a free slot (its depth), so a
 * runner that is ahead never waits for a slower one to deliver the oldest result; results that
 * arrive early wait for their turn (at most pulledLimit() inputs are pulled and not yet yielded).
 *
 * A runner whose per-request timeout trips is killed (RunnerProcess does, SIGKILL) and takes no
 * more work; the input it hung on and those queued behind it are resent, before any new input, to
 * the other runners, and one line is logged. The stream fails with a one-line RunnerError naming
 * the input and the runners when an input times out a second time, or when no runner is left.
 * Any other failure (a runner that dies, refuses a request, sends a malformed frame) ends the
 * stream at once: that is a bug to see, not a hang to ride out. The caller stops the runners.
 */
export async function* scheduleStream(
  workers: RunnerProcess[],
  model: ModelShape,
  inputs: InputSource,
  task: number,
  opts: ScheduleOptions = {},
): AsyncGenerator<StreamOutput> {
  const depth = workers.map(runnerDepth);
  const pending = pulledLimit(depth);
  const source = toAsyncIterator(inputs);
  const results = new Map<number, StreamOutput>(); // arrived, waiting for their turn
  const inFlight = new Map<number, InFlight>(); // sent, not answered
  const retries: number[] = []; // indices to resend (ascending), before any new input
  const retired = new Set<number>(); // runners stopped after a timeout: no more work for them
  let failure: { error: unknown } | undefined; // the first one
  let wakeUp: () => void = () => {}; // called whenever a request settles
  let sent = 0;
  let yielded = 0;
  let exhausted = false;

  const hasFreeSlot = (): boolean =>
    // a dead runner "has" one: sending to it fails at once, which ends the stream with its error
    workers.some((w, i) => !retired.has(i) && (!w.alive || w.outstanding < depth[i]));

  /** The least busy live runner with a free slot, else a dead one (see hasFreeSlot). */
  const pickWorker = (): number => {
    let best = -1;
    for (let i = 0; i < workers.length; i++) {
      const w = workers[i];
      if (retired.has(i) || !w.alive || w.outstanding >= depth[i]) continue;
      if (best < 0 || w.outstanding < workers[best].outstanding) best = i;
    }
    return best >= 0 ? best : workers.findIndex((w, i) => !retired.has(i) && !w.alive);
  };

  const send = (index: number): void => {
    const item = inFlight.get(index)!;
    const w = pickWorker();
    item.worker = w;
    workers[w]
      .request({
        index,
        task,
        kind: item.input.kind,
        dims: inputDims(item.input.kind, model),
        data: item.input.data,
      })
      .then(
        (resp) => {
          inFlight.delete(index);
          results.set(index, toOutput(resp, index, item.started, w));
          wakeUp();
        },
        (error: unknown) => {
          onFailure(index, w, error);
          wakeUp();
        },
      );
  };

  /** A request failed: a timeout moves the runner's work elsewhere, anything else ends the stream. */
  const onFailure = (index: number, w: number, error: unknown): void => {
    if (failure) return;
    if (!(error instanceof RunnerError) || error.failure !== 'timeout') {
      failure = { error };
      return;
    }
    retired.add(w);
    const runner = workers[w];
    const item = inFlight.get(index)!;
    if (error.detail.index === index) {
      // the input this runner hung on (those queued behind it come next, resent as they are)
      const limit = formatSeconds(error.detail.timeoutMs ?? runner.timeout.ms);
      if (item.hungOn) {
        failure = {
          error: new RunnerError(
            `input ${index} got no answer from ${runner.label} within ${limit} either, where it was retried after ${item.hungOn} hung on it; stopped both runners (${runner.timeout.advice})`,
            'timeout',
            { index, timeoutMs: error.detail.timeoutMs },
          ),
        };
        return;
      }
      if (!workers.some((x, i) => !retired.has(i) && x.alive)) {
        failure = {
          error:
            workers.length === 1
              ? error
              : new RunnerError(
                  `${error.message}; no healthy runner is left to retry input ${index} on`,
                  'timeout',
                  error.detail,
                ),
        };
        return;
      }
      item.hungOn = runner.label;
      // the runner rejects its requests oldest first: the others it held are still in flight here
      let behind = 0;
      for (const [i, x] of inFlight) if (i !== index && x.worker === w) behind++;
      opts.log?.(
        `${runner.label} hung on input ${index} (no answer within ${limit}); killed it, retrying input ${index} on another runner` +
          (behind ? ` (with the ${behind} input${behind > 1 ? 's' : ''} queued behind it)` : ''),
      );
    }
    retries.push(index);
    retries.sort((a, b) => a - b);
  };

  try {
    for (;;) {
      if (failure) throw failure.error;
      // created before the slots are looked at: a request settling from here on ends the wait below
      const settled = new Promise<void>((resolve) => (wakeUp = resolve));
      while (!failure && retries.length && hasFreeSlot()) send(retries.shift()!);
      while (!failure && !retries.length && !exhausted && sent - yielded < pending && hasFreeSlot()) {
        const r = await source.next();
        if (r.done) {
          exhausted = true;
          break;
        }
        const index = sent++;
        checkInput(r.value, model, index);
        inFlight.set(index, { input: r.value, started: performance.now(), worker: -1 });
        send(index);
      }
      const out = results.get(yielded);
      if (out) {
        results.delete(yielded);
        yielded++;
        yield out;
        continue;
      }
      if (exhausted && yielded === sent) break;
      await settled;
    }
  } finally {
    if (!exhausted) await source.return?.();
  }
}

function toOutput(r: RunnerResponse, index: number, started: number, worker: number): StreamOutput {
  return {
    index,
    output: r.output,
    experts: r.experts,
    latencyMs: performance.now() - started,
    deviceNs: r.deviceNs > 0n ? Number(r.deviceNs) : undefined,
    deviceCycles: r.deviceCycles > 0n ? Number(r.deviceCycles) : undefined,
    ...(r.cycles !== undefined ? { cycles: r.cycles } : {}),
    worker,
  };
}

function toAsyncIterator<T>(src: Iterable<T> | AsyncIterable<T>): AsyncIterator<T> {
  if (Symbol.asyncIterator in src) return (src as AsyncIterable<T>)[Symbol.asyncIterator]();
  const it = (src as Iterable<T>)[Symbol.iterator]();
  return {
    next: async () => it.next(),
    return: async () => it.return?.() ?? { done: true, value: undefined },
  };
}
