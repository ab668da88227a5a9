/**
 * Spreads a stream of inputs over runner processes and yields the results in input order.
 * Backpressure: at most (sum of per-runner depths) requests are in flight, and since results are
 * yielded in order, at most that many results wait in memory; the input source is only pulled
 * when a slot is free.
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
 * The scheduling loop. The first failure (any request, any runner) ends the stream: it rejects
 * with that error; the caller stops the runners.
 */
export async function* scheduleStream(
  workers: RunnerProcess[],
  model: ModelShape,
  inputs: InputSource,
  task: number,
): AsyncGenerator<StreamOutput> {
  const depth = workers.map(runnerDepth);
  const window = depth.reduce((a, b) => a + b, 0);
  const source = toAsyncIterator(inputs);
  const inflight = new Map<number, Promise<StreamOutput>>();
  let reportFailure: (e: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => (reportFailure = reject));
  failed.catch(() => {});
  let sent = 0;
  let yielded = 0;
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && inflight.size < window) {
        const r = await source.next();
        if (r.done) {
          exhausted = true;
          break;
        }
        const index = sent++;
        checkInput(r.value, model, index);
        const w = pickWorker(workers, depth);
        const started = performance.now();
        const p = workers[w]
          .request({
            index,
            task,
            kind: r.value.kind,
            dims: inputDims(r.value.kind, model),
            data: r.value.data,
          })
          .then((resp) => toOutput(resp, index, started, w));
        p.catch(reportFailure);
        inflight.set(index, p);
      }
      const next = inflight.get(yielded);
      if (!next) break;
      const out = await Promise.race([next, failed]);
      inflight.delete(yielded);
      yielded++;
      yield out;
    }
  } finally {
    for (const p of inflight.values()) p.catch(() => {});
    if (!exhausted) await source.return?.();
  }
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
