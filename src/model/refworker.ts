/**
 * A worker thread of forwardBatch (parallel.ts): takes the next image from the shared counter until
 * none is left, runs it with the same code as the calling thread, writes its outputs in place.
 * Keeps the checkpoint of the last job (and so its packed weights) for the next one.
 */
import { parentPort } from 'node:worker_threads';
import { UserError, describeError } from '../util/errors.js';
import { storeImage, type Job, type Reply } from './parallel.js';
import { forwardImages, forwardTokens } from './reference.js';
import type { Checkpoint } from './tensor.js';

let held: { id: number; ckpt: Checkpoint } | null = null;

function reply(m: Reply): void {
  parentPort!.postMessage(m);
}

parentPort!.on('message', (job: Job) => {
  try {
    if (job.tensors)
      held = {
        id: job.ckptId,
        ckpt: new Map(job.tensors.map(([name, shape, data]) => [name, { shape, data }])),
      };
    if (!held || held.id !== job.ckptId) throw new Error(`checkpoint ${job.ckptId} was not sent`);
    const run = job.kind === 'images' ? forwardImages : forwardTokens;
    const per = job.input.length / job.batch;
    const [size, choices, groups] = job.sizes;
    for (let b = Atomics.add(job.counter, 0, 1); b < job.batch; b = Atomics.add(job.counter, 0, 1)) {
      const r = run(held.ckpt, job.cfg, job.input.subarray(b * per, (b + 1) * per), 1, job.opts);
      storeImage(job.out, r, b, size, choices, groups);
      reply({ type: 'image', done: Atomics.add(job.counter, 1, 1) + 1 });
    }
    reply({ type: 'finished' });
  } catch (err) {
    Atomics.store(job.counter, 0, job.batch); // the other threads stop after their current image
    reply({ type: 'error', message: describeError(err), user: err instanceof UserError });
  }
});
