// The Accelerator with real runners: a generated micro project, its protocol runner compiled with
// g++, packed weights of a synthetic checkpoint. Results in order and identical across worker
// counts; a runner killed mid-stream fails the stream cleanly; a runner stopped (SIGSTOP) is
// killed and its inputs are retried on the other runner, and fails the stream cleanly when there is
// none; bad setups are one line.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCsim } from '../../src/toolchain/csim.js';
import { Accelerator } from '../../src/driver/accelerator.js';
import type { AcceleratorInput } from '../../src/driver/inputs.js';
import { RunnerProcess } from '../../src/driver/runner.js';
import { readCheckpoint, writeCheckpoint } from '../../src/model/checkpoint.js';
import { forwardImages, forwardTokens } from '../../src/model/reference.js';
import { compareTokens } from '../../src/toolchain/accuracy.js';
import { loadModel, validateModel } from '../../src/model/config.js';
import { synthCheckpoint } from '../../src/model/synth.js';
import { UserError } from '../../src/util/errors.js';
import { makeProject, processExists, randomImages, type TestProject } from './project.js';

let p: TestProject;
beforeAll(() => {
  p = makeProject('micro');
}, 900_000);
afterAll(() => {
  if (p) rmSync(p.root, { recursive: true, force: true });
});

function images(count: number, seed = 3): AcceleratorInput[] {
  const per = 3 * 32 * 32;
  const all = randomImages(p.design, count, seed);
  return Array.from({ length: count }, (_, i) => ({
    kind: 'image' as const,
    data: all.subarray(i * per, (i + 1) * per),
  }));
}

async function runAll(acc: Accelerator, inputs: AcceleratorInput[], task = 0) {
  const outs = [];
  for await (const o of acc.stream(inputs, { task })) outs.push(o);
  return outs;
}

describe('Accelerator (csim backend, micro)', () => {
  test('opens, streams in order, and 1 vs 2 workers give the same bits', async () => {
    const inputs = images(6);
    const one = await Accelerator.open({ project: p.dir, backend: 'csim', checkpoint: p.checkpoint });
    expect(one.model).toEqual({
      channels: 3,
      height: 32,
      width: 32,
      tokens: 17,
      dim: 32,
      moeBlocks: 1,
      topK: 2,
      tasks: 2,
    });
    const a = await runAll(one, inputs, 1);
    await one.close();
    for (const pid of one.pids) expect(processExists(pid)).toBe(false);

    const two = await Accelerator.open({
      project: p.dir,
      backend: 'csim',
      checkpoint: p.checkpoint,
      workers: 2,
    });
    const b = await runAll(two, inputs, 1);
    await two.close();
    expect(b.map((o) => o.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(new Set(b.map((o) => o.worker)).size).toBe(2);
    for (let i = 0; i < 6; i++) {
      expect(Buffer.from(b[i].output.buffer).equals(Buffer.from(a[i].output.buffer))).toBe(true);
      expect(Array.from(b[i].experts)).toEqual(Array.from(a[i].experts));
      expect(b[i].output.every(Number.isFinite)).toBe(true);
      expect(b[i].experts.every((e) => e >= 0 && e < 4)).toBe(true);
    }
    // and they are the model's outputs: the float32 reference on the same images, task 1
    const model = loadModel('micro');
    const all = randomImages(p.design, 6, 3);
    const ref = forwardImages(readCheckpoint(p.checkpoint, model), model, all, 6, { task: 1 });
    const flat = new Float32Array(6 * 17 * 32);
    b.forEach((o, i) => flat.set(o.output, i * 17 * 32));
    const acc = compareTokens(flat, ref.tokens, 32, 6);
    expect(acc.cosineMin).toBeGreaterThan(0.9999);
    expect(acc.relL2).toBeLessThan(0.002);
    expect(b.flatMap((o) => Array.from(o.experts))).toEqual(Array.from(ref.experts));
    // packed once, cached by (design, checkpoint)
    expect(readdirSync(join(p.dir, 'build', 'weights')).filter((f) => f.endsWith('.bin'))).toHaveLength(1);
  }, 900_000);

  test('token inputs skip the patch embedding', async () => {
    const acc = await Accelerator.open({ project: p.dir, backend: 'csim', checkpoint: p.checkpoint });
    const tokens = new Float32Array(17 * 32).map((_, i) => Math.sin(i) * 0.5);
    const [o] = await runAll(acc, [{ kind: 'tokens', data: tokens }]);
    await acc.close();
    expect(o.output).toHaveLength(17 * 32);
    // the same tokens through the float32 reference (no patch embedding): the csim micro bounds
    const model = loadModel('micro');
    const ref = forwardTokens(readCheckpoint(p.checkpoint, model), model, tokens, 1, { task: 0 });
    const a = compareTokens(o.output, ref.tokens, 32, 1);
    expect(a.cosineMin).toBeGreaterThan(0.9999);
    expect(a.relL2).toBeLessThan(0.002);
    expect(Array.from(o.experts)).toEqual(Array.from(ref.experts));
  }, 900_000);

  test('a runner killed mid-stream: error names the input, the signal; every runner is reaped', async () => {
    const acc = await Accelerator.open({
      project: p.dir,
      backend: 'csim',
      checkpoint: p.checkpoint,
      workers: 2,
    });
    const pids = acc.pids;
    let seen = 0;
    const err = await (async () => {
      for await (const o of acc.stream(images(40), { task: 0 })) {
        void o;
        if (++seen === 2) process.kill(pids[1], 'SIGKILL');
      }
    })().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeDefined();
    expect(err!.message).toMatch(
      /csim runner #2 \(pid \d+\) was killed by signal SIGKILL while processing input \d+/,
    );
    for (const pid of pids) expect(processExists(pid)).toBe(false);
    expect(seen).toBeLessThan(40);
    await acc.close(); // idempotent after a failure
  }, 900_000);

  test('a runner stopped (SIGSTOP) beside a healthy one: the default timeout adapts, the stopped runner is killed, its inputs retried; same bits as a healthy run', async () => {
    const inputs = images(8);
    const healthy = await Accelerator.open({ project: p.dir, backend: 'csim', checkpoint: p.checkpoint });
    const ref = await runAll(healthy, inputs);
    await healthy.close();

    const lines: string[] = [];
    const acc = await Accelerator.open({
      project: p.dir,
      backend: 'csim',
      checkpoint: p.checkpoint,
      workers: 2,
      log: (l) => lines.push(l),
    });
    // no --timeout: the start value scaled from the design (30 s for micro) until an answer comes;
    // then 10x the median answer time, at least 5 s (the healthy runner answers a micro image in
    // milliseconds), which the stopped runner's oldest request is held to from then on
    expect(acc.timeout.adaptive).toBe(true);
    expect(acc.timeoutMs).toBe(30_000);
    const pids = acc.pids;
    process.kill(pids[0], 'SIGSTOP'); // before any request: inputs 0 and 2 go to it (least busy, first)
    const outs = await runAll(acc, inputs);
    await acc.close();
    expect(outs.map((o) => o.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (let i = 0; i < 8; i++) {
      expect(Buffer.from(outs[i].output.buffer).equals(Buffer.from(ref[i].output.buffer))).toBe(true);
      expect(Array.from(outs[i].experts)).toEqual(Array.from(ref[i].experts));
      expect(outs[i].worker).toBe(1); // all answered by runner #2
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^csim runner #1 hung on input 0 \(no answer within [\d.]+ s\); killed it, retrying input 0 on another runner \(with the 1 input queued behind it\)$/,
    );
    expect(acc.timeout.answersSeen).toBe(8);
    for (const pid of pids) expect(processExists(pid)).toBe(false);
  }, 900_000);

  test('a stopped runner with no other to retry on: the timeout trips, the stream fails naming the input and the runner, nothing is left behind', async () => {
    const acc = await Accelerator.open({
      project: p.dir,
      backend: 'csim',
      checkpoint: p.checkpoint,
      // a fixed limit (--timeout): a micro image takes milliseconds, so 5 s is a margin of >1000x
      timeoutMs: 5000,
    });
    const pids = acc.pids;
    process.kill(pids[0], 'SIGSTOP');
    await expect(runAll(acc, images(8))).rejects.toThrow(
      /^input 0 \(request 0\) got no answer from csim runner #1 within 5\.0 s; stopped the runner \(raise the limit with --timeout\)$/,
    );
    for (const pid of pids) expect(processExists(pid)).toBe(false);
  }, 900_000);

  test('bad setups are one-line user errors', async () => {
    const open = (o: Partial<Parameters<typeof Accelerator.open>[0]>) =>
      Accelerator.open({ project: p.dir, backend: 'csim', checkpoint: p.checkpoint, ...o });
    await expect(open({ project: join(p.root, 'nope') })).rejects.toThrow(/no such project directory/);
    await expect(open({ checkpoint: join(p.root, 'missing.safetensors') })).rejects.toThrow(
      /no such checkpoint file/,
    );
    await expect(open({ workers: 0 })).rejects.toThrow(UserError);
    await expect(open({ backend: 'xrt', xclbin: join(p.root, 'missing.xclbin') })).rejects.toThrow(
      /missing\.xclbin: no such xclbin file/,
    );
    await expect(open({ backend: 'xrt', workers: 2 })).rejects.toThrow(/workers applies to the csim backend/);
    // a checkpoint of another model
    const wider = validateModel({ ...loadModel('micro'), name: 'micro-wide', embed_dim: 48 }, 'test model');
    const otherCkpt = join(p.root, 'micro-wide.safetensors');
    writeCheckpoint(otherCkpt, synthCheckpoint(wider, 1));
    await expect(open({ checkpoint: otherCkpt })).rejects.toThrow(
      /micro-wide\.safetensors: tensor '.*' has shape \[.*48.*\], expected .* for model micro/,
    );
    const acc = await open({});
    await expect(runAll(acc, images(1), 7)).rejects.toThrow(/task 7 out of range: the model has 2 task/);
    await acc.close();
  }, 900_000);

  test('the runner refuses weights packed for another design (before its hello)', async () => {
    const acc = await Accelerator.open({ project: p.dir, backend: 'csim', checkpoint: p.checkpoint });
    await acc.close();
    const { exe } = await buildCsim(p.dir, { main: 'protocol_main' });
    const wrong = join(p.root, 'wrong.bin');
    const weightsDir = join(p.dir, 'build', 'weights');
    const good = readdirSync(weightsDir)[0];
    const { readFileSync } = await import('node:fs');
    const bytes = Buffer.from(readFileSync(join(weightsDir, good)));
    bytes.write('0'.repeat(64), 16, 'ascii'); // another design hash
    writeFileSync(wrong, bytes);
    await expect(
      RunnerProcess.start(
        { command: exe, args: ['--weights', wrong] },
        { label: 'runner', timeoutMs: 10_000 },
      ),
    ).rejects.toThrow(/runner could not start: packed weights are for design 0000/);
    expect(existsSync(exe)).toBe(true);
  }, 900_000);
});
