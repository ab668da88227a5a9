/**
 * The reference forward of a batch over several threads (node:worker_threads).
 *
 * `forwardBatch` runs the same per-image code as forwardImages / forwardTokens (each image is computed
 * on its own, so the result is the same bits whichever thread runs it): the calling thread and up to
 * `workers − 1` worker threads take the next image from a shared counter until none is left, and
 * write their results into shared output arrays. One image, one worker, or `collect` (intermediates)
 * run on the calling thread alone.
 *
 * The checkpoint is copied once into shared memory (cached per checkpoint object); the workers are
 * kept with the checkpoint they last packed, so a later batch with the same checkpoint starts at once.
 * An idle worker is unref'd (it never keeps the process alive); `closeReferenceWorkers()` ends them.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { UserError } from '../util/errors.js';
import { packageRoot } from '../util/paths.js';
import type { ModelConfig } from './config.js';
import { modelDims } from './config.js';
import {
  checkForward,
  forwardImages,
  forwardTokens,
  type ForwardOptions,
  type ForwardResult,
} from './reference.js';
import type { Checkpoint } from './tensor.js';

export interface BatchOptions extends ForwardOptions {
  /**
   * Threads to use, the calling one included (default: UBIMOE_REFERENCE_WORKERS, else the number of
   * CPUs Node may use, `availableParallelism()`); never more than the batch.
   */
  workers?: number;
}

/** The default number of threads for a batch. */
export function defaultWorkers(): number {
  const env = process.env.UBIMOE_REFERENCE_WORKERS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1)
      throw new UserError(`UBIMOE_REFERENCE_WORKERS: '${env}' is not a positive integer`);
    return n;
  }
  return availableParallelism();
}

/** What a worker is sent with a job: plain data (structured-cloned; the arrays share memory). */
interface Job {
  ckptId: number;
  tensors?: [string, number[], Float32Array][]; // only when the worker does not hold ckptId
  cfg: ModelConfig;
  kind: 'images' | 'tokens';
  input: Float32Array; // [B, ...] shared
  batch: number;
  /** Values per image of the tokens, of the expert choices, of each margin array. */
  sizes: [number, number, number];
  opts: ForwardOptions;
  counter: Int32Array; // [next image, images done] shared
  out: SharedOutputs;
}

interface SharedOutputs {
  tokens: Float32Array;
  experts: Int32Array;
  gateProbs: Float32Array;
  prob?: Float32Array;
  logit?: Float32Array;
  relative?: Float32Array;
}

type Reply =
  { type: 'image'; done: number } | { type: 'finished' } | { type: 'error'; message: string; user: boolean };

// ---------------------------------------------------------------------------------------------
// The checkpoint in shared memory, per checkpoint object (rebuilt when a tensor is replaced)

let nextCkptId = 1;
const sharedCkpts = new WeakMap<
  Checkpoint,
  { id: number; arrays: Float32Array[]; tensors: Job['tensors'] }
>();

function sharedCheckpoint(ckpt: Checkpoint): { id: number; tensors: NonNullable<Job['tensors']> } {
  const arrays = [...ckpt.values()].map((t) => t.data);
  const c = sharedCkpts.get(ckpt);
  if (c && c.arrays.length === arrays.length && c.arrays.every((a, i) => a === arrays[i]))
    return { id: c.id, tensors: c.tensors! };
  const tensors: NonNullable<Job['tensors']> = [...ckpt].map(([name, t]) => {
    const data = new Float32Array(new SharedArrayBuffer(t.data.byteLength));
    data.set(t.data);
    return [name, [...t.shape], data];
  });
  const id = nextCkptId++;
  sharedCkpts.set(ckpt, { id, arrays, tensors });
  return { id, tensors };
}

// ---------------------------------------------------------------------------------------------
// The pool

interface PoolWorker {
  worker: Worker;
  ckptId: number; // the checkpoint it holds (0: none)
  busy: boolean;
}

const pool: PoolWorker[] = [];

/** The compiled worker script: beside this module when it runs from dist/, else dist/'s (tests). */
function workerScript(): string | null {
  const here = fileURLToPath(import.meta.url);
  const beside = here.replace(/parallel\.(js|ts)$/, 'refworker.js');
  if (here.endsWith('.js') && existsSync(beside)) return beside;
  const dist = join(packageRoot, 'dist', 'src', 'model', 'refworker.js');
  return existsSync(dist) ? dist : null;
}

function takeWorkers(n: number, script: string): PoolWorker[] {
  const free = pool.filter((w) => !w.busy);
  while (free.length < n) {
    const w: PoolWorker = { worker: new Worker(script), ckptId: 0, busy: false };
    w.worker.unref();
    const drop = () => {
      const i = pool.indexOf(w);
      if (i >= 0) pool.splice(i, 1);
    };
    w.worker.on('exit', drop);
    w.worker.on('error', drop);
    pool.push(w);
    free.push(w);
  }
  const taken = free.slice(0, n);
  for (const w of taken) {
    w.busy = true;
    w.worker.ref(); // a job keeps the process alive until it is done
  }
  return taken;
}

/** Ends the pooled workers (they are unref'd, so a process also ends without this). */
export async function closeReferenceWorkers(): Promise<void> {
  const all = pool.splice(0);
  await Promise.all(all.map((w) => w.worker.terminate()));
}

/** Worker threads alive in the pool (tests). */
export function referenceWorkerCount(): number {
  return pool.length;
}

// ---------------------------------------------------------------------------------------------

function shared<T extends Float32Array | Int32Array>(
  make: new (b: SharedArrayBuffer) => T,
  n: number,
  bytes: number,
): T {
  return new make(new SharedArrayBuffer(Math.max(1, n) * bytes));
}

/**
 * The reference forward of a batch of images [B, C, H, W] (`kind` 'images') or tokens [B, N, D]
 * ('tokens'), over up to `opts.workers` threads. Same results as forwardImages / forwardTokens.
 */
export async function forwardBatch(
  ckpt: Checkpoint,
  cfg: ModelConfig,
  data: Float32Array,
  batch: number,
  kind: 'images' | 'tokens',
  opts: BatchOptions = {},
): Promise<ForwardResult> {
  const { workers, onImage, ...fwd } = opts;
  const threads = Math.min(batch, workers ?? defaultWorkers());
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 1))
    throw new UserError(`workers must be a positive integer, got ${workers}`);
  const inThread = () =>
    kind === 'images'
      ? forwardImages(ckpt, cfg, data, batch, opts)
      : forwardTokens(ckpt, cfg, data, batch, opts);
  const script = threads > 1 && !opts.collect ? workerScript() : null;
  if (!script) return inThread();

  const { moeBlockIndices } = checkForward(ckpt, cfg, data, batch, kind, fwd);
  const dims = modelDims(cfg);
  const { numTokens: N, D, topK: K } = dims;
  const M = moeBlockIndices.length;
  const per = data.length / batch;
  const input = shared(Float32Array, data.length, 4);
  input.set(data);
  const out: SharedOutputs = {
    tokens: shared(Float32Array, batch * N * D, 4),
    experts: shared(Int32Array, batch * M * N * K, 4),
    gateProbs: shared(Float32Array, batch * M * N * K, 4),
  };
  if (fwd.margins) {
    out.prob = shared(Float32Array, batch * M * N, 4);
    out.logit = shared(Float32Array, batch * M * N, 4);
    out.relative = shared(Float32Array, batch * M * N, 4);
  }
  const counter = shared(Int32Array, 2, 4); // [next image, images done]
  const { id, tensors } = sharedCheckpoint(ckpt);
  const helpers = takeWorkers(threads - 1, script);

  let failure: Error | null = null;
  let reported = 0;
  const report = () => {
    const done = Atomics.load(counter, 1);
    while (reported < done) {
      reported++; // not inside onImage?.(…): an optional call skips evaluating its arguments
      onImage?.(reported);
    }
  };
  const finished = helpers.map(
    (w) =>
      new Promise<void>((resolve) => {
        const onMessage = (m: Reply) => {
          if (m.type === 'image') return report();
          if (m.type === 'error' && !failure)
            failure = m.user ? new UserError(m.message) : new Error(`reference worker: ${m.message}`);
          if (m.type === 'error') w.ckptId = 0;
          done();
        };
        const onError = (err: Error) => {
          failure ??= err;
          done();
        };
        const done = () => {
          w.worker.off('message', onMessage);
          w.worker.off('error', onError);
          w.busy = false;
          w.worker.unref();
          resolve();
        };
        w.worker.on('message', onMessage);
        w.worker.on('error', onError);
        const job: Job = {
          ckptId: id,
          cfg,
          kind,
          input,
          batch,
          sizes: [N * D, M * N * K, M * N],
          opts: fwd,
          counter,
          out,
        };
        if (w.ckptId !== id) job.tensors = tensors;
        w.ckptId = id;
        w.worker.postMessage(job);
      }),
  );

  // this thread takes images too, yielding between them so the workers' messages are heard
  const run = kind === 'images' ? forwardImages : forwardTokens;
  try {
    for (let b = Atomics.add(counter, 0, 1); b < batch && !failure; b = Atomics.add(counter, 0, 1)) {
      const r = run(ckpt, cfg, data.subarray(b * per, (b + 1) * per), 1, fwd);
      storeImage(out, r, b, N * D, M * N * K, M * N);
      Atomics.add(counter, 1, 1);
      report();
      await new Promise((resolve) => setImmediate(resolve));
    }
  } catch (err) {
    Atomics.store(counter, 0, batch); // the workers stop after their current image
    await Promise.all(finished);
    throw err;
  }
  await Promise.all(finished);
  if (failure) throw failure;
  report();
  const o = out as Required<SharedOutputs>;
  return {
    tokens: Float32Array.from(o.tokens),
    experts: Int32Array.from(o.experts),
    gateProbs: Float32Array.from(o.gateProbs),
    moeBlockIndices,
    gateMargins: fwd.margins
      ? {
          prob: Float32Array.from(o.prob),
          logit: Float32Array.from(o.logit),
          relative: Float32Array.from(o.relative),
        }
      : undefined,
  };
}

/** Writes a one-image result into image b's place of the shared outputs. */
export function storeImage(
  out: SharedOutputs,
  r: ForwardResult,
  b: number,
  size: number,
  choices: number,
  groups: number,
): void {
  out.tokens.set(r.tokens, b * size);
  out.experts.set(r.experts, b * choices);
  out.gateProbs.set(r.gateProbs, b * choices);
  if (r.gateMargins && out.prob) {
    out.prob.set(r.gateMargins.prob, b * groups);
    out.logit!.set(r.gateMargins.logit, b * groups);
    out.relative!.set(r.gateMargins.relative, b * groups);
  }
}

export type { Job, Reply, SharedOutputs };
