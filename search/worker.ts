/**
 * A search worker thread (search/parallel.ts): searches one architecture's space and posts its run
 * back, with progress lines on the way. Errors go back as messages: a UserError stays one (exit 2).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { UserError } from '../src/util/errors.js';
import { searchArchitecture, type Architecture } from './index.js';
import type { WorkerMessage, WorkerOptions } from './parallel.js';

const { opts, arch, tagAll } = workerData as { opts: WorkerOptions; arch: Architecture; tagAll: boolean };
const post = (m: WorkerMessage) => parentPort!.postMessage(m);
try {
  const result = searchArchitecture({ ...opts, onProgress: (text) => post({ kind: 'progress', text }) }, arch, tagAll);
  post({ kind: 'done', result });
} catch (e) {
  const err = e as Error;
  post({ kind: 'error', user: e instanceof UserError, message: err.message, stack: err.stack });
}
