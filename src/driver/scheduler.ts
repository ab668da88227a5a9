/**
 * Spreads a stream of inputs over runner processes and yields the results in input order.
 * Backpressure: at most (sum of per-runner depths) requests are in flight; with several runners,
 * at most twice that many inputs are pulled and not yet yielded (the others are results waiting
 * for an older one); the input source is only pulled when a runner slot is free.
 */
import { checkInput, inputDims, type AcceleratorInput } from './inputs.js';
import type { ModelShape, ResponseFrame } from './protocol.js';
import type { RunnerProcess } from './runner.js';

export interface StreamOutput {
  index: number; // position in the input stream
  output: Float32Array; // encoder tokens [tokens * dim]
  experts: Int32Array; // expert choices [moeBlocks * tokens * topK]
  latencyMs: number; // request sent -> response received (includes waiting behind earlier requests)
  deviceNs: number | undefined; // runner-measured compute time, when reported
  deviceCycles: number | undefined; // device cycles, when the backend knows them
  worker: number;
}

export type InputSource = Iterable<AcceleratorInput> | AsyncIterable<AcceleratorInput>;

/** Requests kept queued per runner: what it advertises, within 1..4. */
export function runnerDepth(w: RunnerProcess): number {
  return Math.min(4, Math.max(1, w.hello.maxInFlight));
}

/**
 * The scheduling loop. A request is sent as soon as a runner has a free slot (its depth), so a
 * runner that is ahead never waits for a slower one to deliver the oldest result; results that
 * arrive early wait for their turn (with several runners, at most `2 × window` inputs are pulled
 * and not yet yielded).
 * The first failure (any request, any runner) ends the stream: it rejects with that error; the
 * caller stops the runners.
 */
export async function* scheduleStream(
  workers: RunnerProcess[],
  model: ModelShape,
  inputs: InputSource,
  task: number,
): AsyncGenerator<StreamOutput> {
  const depth = workers.map(runnerDepth);
  const window = depth.reduce((a, b) => a + b, 0);
  // pulled and not yet yielded (in flight + waiting for in-order delivery): one runner answers in
  // order, so nothing waits; with several, the others may run ahead of the oldest by one window
  const pending = workers.length > 1 ? 2 * window : window;
  const source = toAsyncIterator(inputs);
  const results = new Map<number, StreamOutput>(); // arrived, waiting for their turn
  let failure: { error: unknown } | undefined; // the first one
  let wakeUp: () => void = () => {}; // called whenever a request settles
  let sent = 0;
  let yielded = 0;
  let exhausted = false;
  try {
    for (;;) {
      if (failure) throw failure.error;
      // created before the slots are looked at: a request settling from here on ends the wait below
      const settled = new Promise<void>((resolve) => (wakeUp = resolve));
      while (!failure && !exhausted && sent - yielded < pending && hasFreeSlot(workers, depth)) {
        const r = await source.next();
        if (r.done) {
          exhausted = true;
          break;
        }
        const index = sent++;
        checkInput(r.value, model, index);
        const w = pickWorker(workers, depth);
        const started = performance.now();
        workers[w]
          .request({
            index,
            task,
            kind: r.value.kind,
            dims: inputDims(r.value.kind, model),
            data: r.value.data,
          })
          .then(
            (resp) => {
              results.set(index, toOutput(resp, index, started, w));
              wakeUp();
            },
            (error: unknown) => {
              failure ??= { error };
              wakeUp();
            },
          );
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

/** Whether some live runner can take a request now (a dead one "can": sending to it fails at once). */
function hasFreeSlot(workers: RunnerProcess[], depth: number[]): boolean {
  return workers.some((w, i) => !w.alive || w.outstanding < depth[i]);
}

/** The least busy live runner with a free slot (the window guarantees one while all live). */
function pickWorker(workers: RunnerProcess[], depth: number[]): number {
  let best = -1;
  for (let i = 0; i < workers.length; i++) {
    const w = workers[i];
    if (!w.alive || w.outstanding >= depth[i]) continue;
    if (best < 0 || w.outstanding < workers[best].outstanding) best = i;
  }
  // none: a runner has died; sending to it rejects at once with its failure
  return best < 0 ? workers.findIndex((w) => !w.alive) : best;
}

function toOutput(r: ResponseFrame, index: number, started: number, worker: number): StreamOutput {
  return {
    index,
    output: r.output,
    experts: r.experts,
    latencyMs: performance.now() - started,
    deviceNs: r.deviceNs > 0n ? Number(r.deviceNs) : undefined,
    deviceCycles: r.deviceCycles > 0n ? Number(r.deviceCycles) : undefined,
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
