/**
 * The search with its architectures on worker threads: each architecture's space is searched on
 * its own (search/index.ts searchArchitecture), so they run side by side, at most one per CPU,
 * and the result is runSearch's bit for bit (each run is deterministic for its seed; the runs are
 * assembled in the architectures' order). Used where the code runs compiled (the CLI and the
 * demo); the in-thread runSearch stays for library callers and tests.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { UserError } from '../src/util/errors.js';
import {
  architecturesOf,
  assembleSearch,
  runSearch,
  type ArchitectureRun,
  type SearchOptions,
  type SearchResult,
} from './index.js';

/** What a worker posts: progress lines, then its run (or why the board has no room), or its error. */
export type WorkerMessage =
  | { kind: 'progress'; text: string }
  | { kind: 'done'; result: ArchitectureRun | string }
  | { kind: 'error'; user: boolean; message: string; stack?: string };

/** The options a worker receives: SearchOptions without the progress callback (not cloneable). */
export type WorkerOptions = Omit<SearchOptions, 'onProgress'>;

/** Runs the search, its architectures on up to `threads` worker threads (default: one per CPU). */
export async function runSearchParallel(opts: SearchOptions, threads = availableParallelism()): Promise<SearchResult> {
  const t0 = performance.now();
  const archs = architecturesOf(opts);
  // (run from the TypeScript sources, e.g. under jest, there is no compiled worker: one thread)
  const script = new URL('./worker.js', import.meta.url);
  if (archs.length < 2 || threads < 2 || !existsSync(fileURLToPath(script))) return runSearch(opts);
  const { onProgress, ...plain } = opts;
  const results: Array<ArchitectureRun | string> = new Array(archs.length);
  const running = new Set<Worker>();
  let next = 0;
  const runOne = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const worker = new Worker(script, {
        workerData: { opts: plain satisfies WorkerOptions, arch: archs[i], tagAll: true },
      });
      running.add(worker);
      worker.on('exit', () => running.delete(worker));
      let settled = false;
      worker.on('message', (m: WorkerMessage) => {
        if (m.kind === 'progress') onProgress?.(m.text);
        else if (m.kind === 'done') {
          settled = true;
          results[i] = m.result;
          resolve();
        } else {
          settled = true;
          const err = m.user ? new UserError(m.message) : new Error(m.message);
          if (!m.user && m.stack) err.stack = m.stack;
          reject(err);
        }
      });
      worker.on('error', (e) => {
        settled = true;
        reject(e);
      });
      worker.on('exit', (code) => {
        if (!settled) reject(new Error(`search worker for architecture ${i} exited with code ${code} before its result`));
      });
    });
  // a pool: each thread takes the next architecture when it is done (the order of results is fixed)
  const lane = async (): Promise<void> => {
    while (next < archs.length) await runOne(next++);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(threads, archs.length) }, lane));
  } catch (e) {
    // one architecture failed: the others' work is moot (and would keep the process alive)
    await Promise.all([...running].map((w) => w.terminate()));
    throw e;
  }
  return assembleSearch(opts, results, t0);
}
