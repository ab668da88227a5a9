// RunnerProcess and the stream scheduler against a fake runner (test/driver/fixtures/fake_runner.mjs,
// which speaks the protocol through the built dist/ and misbehaves on demand).
import { afterEach, describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunnerError, RunnerProcess } from '../../src/driver/runner.js';
import { pulledLimit, scheduleStream } from '../../src/driver/scheduler.js';
import { RequestTimeout } from '../../src/driver/timeout.js';
import type { AcceleratorInput } from '../../src/driver/inputs.js';
import type { ModelShape } from '../../src/driver/protocol.js';
import { requires } from '../requires.js';

const here = dirname(fileURLToPath(import.meta.url));
const fake = join(here, 'fixtures', 'fake_runner.mjs');
const distReady = existsSync(join(here, '..', '..', 'dist', 'src', 'driver', 'protocol.js'));
const model: ModelShape = {
  channels: 1,
  height: 2,
  width: 2,
  tokens: 2,
  dim: 2,
  moeBlocks: 1,
  topK: 1,
  tasks: 2,
};

function start(
  mode: string,
  n = 0,
  timeoutMs: number | RequestTimeout = 10_000,
  label = `fake ${mode}`,
): Promise<RunnerProcess> {
  return RunnerProcess.start(
    { command: process.execPath, args: [fake, mode, String(n)] },
    { label, timeoutMs, helloTimeoutMs: 5000 },
  ).then((r) => {
    started.push(r);
    return r;
  });
}

// every fake runner a test started is killed after it (a failed test leaves none behind)
const started: RunnerProcess[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((r) => r.kill()));
});

function images(n: number): AcceleratorInput[] {
  return Array.from({ length: n }, (_, i) => ({
    kind: 'image' as const,
    data: Float32Array.from([i, i + 0.5, -i, 1]),
  }));
}

/** The fake's answer to images(n)[i], task 0: each value × 2 + 0 (the same float32 operations). */
function expected(i: number): number[] {
  return Array.from(new Float32Array(4).map((_, j) => images(i + 1)[i].data[j] * 2 + 0));
}

/** True when the process is gone and reaped (no zombie). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const maybe = requires(
  'the built dist/ (the fake runner imports it)',
  distReady,
  'run `npx tsc -p .`; npm test does',
)
  ? describe
  : describe.skip;

maybe('RunnerProcess and scheduleStream (fake runner)', () => {
  test('hello, requests answered, clean close', async () => {
    const r = await start('ok');
    expect(r.hello.model).toEqual(model);
    expect(r.hello.designHash).toBe('ab'.repeat(32));
    const resp = await r.request({
      index: 0,
      task: 1,
      kind: 'image',
      dims: [1, 2, 2],
      data: Float32Array.from([1, 2, 3, 4]),
    });
    expect(Array.from(resp.output)).toEqual([3, 5, 7, 9]);
    await r.close();
    expect(r.exit).toEqual({ exitCode: 0, signal: undefined });
    expect(gone(r.pid)).toBe(true);
  });

  test('two runners: results in input order, work spread over both', async () => {
    const ws = await Promise.all([start('ok', 0, 10_000, 'a'), start('ok', 0, 10_000, 'b')]);
    const outs = await collect(scheduleStream(ws, model, images(25), 0));
    expect(outs.map((o) => o.index)).toEqual([...Array(25).keys()]);
    outs.forEach((o, i) => expect(o.output[0]).toBe(2 * i));
    expect(new Set(outs.map((o) => o.worker)).size).toBe(2);
    await Promise.all(ws.map((w) => w.close()));
  });

  test('backpressure: the source is pulled only as far as the window allows', async () => {
    const ws = [await start('ok')];
    let pulled = 0;
    async function* source() {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield images(1)[0];
      }
    }
    const it = scheduleStream(ws, model, source(), 0);
    await it.next();
    // window = the runner's depth (2): at most 2 pulled beyond what was yielded (+1 being awaited)
    expect(pulled).toBeLessThanOrEqual(3);
    await it.return(undefined);
    await ws[0].close();
  });

  test('a stuck runner does not hold up the other: it keeps getting work, up to the window + 16 per runner', async () => {
    const stuck = await start('hang-after', 0, 60_000, 'stuck');
    const fast = await start('ok', 0, 10_000, 'fast');
    let pulled = 0;
    async function* source() {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield images(1)[0];
      }
    }
    const it = scheduleStream([stuck, fast], model, source(), 0);
    // input 0 went to the stuck runner, so nothing can be yielded; the fast runner still answers
    // (before: nothing was sent beyond the window of 4 until input 0 came back)
    const first = it.next();
    first.catch(() => {});
    // 4 in flight + 16 results per runner waiting for input 0: the healthy runner goes on for
    // longer than the 10 answer times after which the adaptive timeout declares a hang
    const limit = pulledLimit([2, 2]);
    expect(limit).toBe(36);
    // wait for the observable end state: the limit pulled and the fast runner idle (it answered all
    // of its share); then let the scheduler's pending callbacks run: a scheduler that pulled beyond
    // the limit would have done so by then
    while (!(pulled >= limit && fast.outstanding === 0)) await new Promise((r) => setTimeout(r, 10));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(pulled).toBe(limit); // and no more
    expect(stuck.outstanding).toBe(2);
    expect(fast.outstanding).toBe(0);
    await stuck.kill();
    await expect(first).rejects.toThrow(/stuck .*killed by signal SIGKILL while processing input 0/);
    await fast.close();
  });

  test('a runner that dies mid-stream: the error names the input, the exit status and stderr', async () => {
    const r = await start('die-after', 3);
    const err = await collect(scheduleStream([r], model, images(8), 0)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RunnerError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/input 3 /);
    expect(msg).toMatch(/exited with status 7/);
    expect(msg).toMatch(/fake: last words/);
    await r.exitedPromise;
    expect(gone(r.pid)).toBe(true);
  });

  test('a runner killed by a signal is reported with the signal', async () => {
    const r = await start('hang-after', 1, 60_000);
    const it = scheduleStream([r], model, images(4), 0);
    // input 0 is answered, then the runner hangs on input 1: kill it at that observable point
    expect((await it.next()).value?.index).toBe(0);
    process.kill(r.pid, 'SIGKILL');
    await expect(it.next()).rejects.toThrow(/killed by signal SIGKILL while processing input 1/);
  });

  test('a hanging runner trips the per-request timeout and is stopped', async () => {
    // 2 s: ample for the fake's instant answers to inputs 0 and 1 even on a loaded machine
    const r = await start('hang-after', 2, 2000);
    await expect(collect(scheduleStream([r], model, images(5), 0))).rejects.toThrow(
      /input 2 .*no answer .* within 2\.0 s/,
    );
    await r.exitedPromise;
    expect(gone(r.pid)).toBe(true);
  });

  test('a runner that hangs while another is healthy: its inputs are retried on the other, all outputs in order, the hung runner reaped', async () => {
    // adaptive, starting at 10 minutes: only the limit measured from the answers (10x the median,
    // at least 2 s; the fake answers in well under a millisecond) can trip within the test
    const timeout = RequestTimeout.adaptive(600_000, 2000);
    const a = await start('hang-after', 2, timeout, 'fake a');
    const b = await start('ok', 0, timeout, 'fake b');
    const lines: string[] = [];
    const outs = await collect(scheduleStream([a, b], model, images(30), 0, { log: (l) => lines.push(l) }));
    expect(outs.map((o) => o.index)).toEqual([...Array(30).keys()]);
    outs.forEach((o, i) => expect(Array.from(o.output)).toEqual(expected(i)));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^fake a hung on input (\d+) \(no answer within [\d.]+ s\); killed it, retrying input \1 on another runner( \(with the 1 input queued behind it\))?$/,
    );
    const k = Number(/input (\d+)/.exec(lines[0])![1]);
    expect(outs[k].worker).toBe(1); // the retry
    expect(outs.filter((o) => o.worker === 0)).toHaveLength(2); // what a answered before hanging
    await a.exitedPromise;
    expect(a.exit.signal).toBe('SIGKILL');
    expect(gone(a.pid)).toBe(true);
    expect(b.alive).toBe(true);
    await b.close();
  });

  test('both runners hang on the same input: after its one retry, one line naming the input and both runners', async () => {
    // each hangs on input 3 (and everything after it): whichever gets it first, then the other on the retry
    const a = await start('hang-on', 3, 2000, 'fake a');
    const b = await start('hang-on', 3, 2000, 'fake b');
    const lines: string[] = [];
    const err = await collect(
      scheduleStream([a, b], model, images(10), 0, { log: (l) => lines.push(l) }),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RunnerError);
    expect((err as RunnerError).failure).toBe('timeout');
    expect((err as RunnerError).detail.index).toBe(3);
    const msg = (err as Error).message;
    const m =
      /^input 3 got no answer from fake ([ab]) within 2\.0 s either, where it was retried after fake ([ab]) hung on it; stopped both runners \(raise the limit with --timeout\)$/.exec(
        msg,
      );
    expect(m).not.toBeNull();
    expect(m![1]).not.toBe(m![2]);
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^fake ${m![2]} hung on input 3 `))]);
    await Promise.all([a.exitedPromise, b.exitedPromise]);
    expect(gone(a.pid) && gone(b.pid)).toBe(true);
  });

  test('a hang with no healthy runner left to retry on: one line naming the input and the runner', async () => {
    // each answers one request, then hangs: whichever times out first has its input retried on the
    // other, which is hung on an older one of its own: that second hang finds no healthy runner
    const a = await start('hang-after', 1, 2000, 'fake a');
    const b = await start('hang-after', 1, 2000, 'fake b');
    const err = await collect(scheduleStream([a, b], model, images(10), 0, { log: () => {} })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RunnerError);
    expect((err as Error).message).toMatch(
      /^input (\d+) \(request 1\) got no answer from fake [ab] within 2\.0 s; stopped the runner \(raise the limit with --timeout\); no healthy runner is left to retry input \1 on$/,
    );
    await Promise.all([a.exitedPromise, b.exitedPromise]);
    expect(gone(a.pid) && gone(b.pid)).toBe(true);
  });

  test('garbage on stdout is a protocol failure, not a crash', async () => {
    const r = await start('garbage-after', 1);
    await expect(collect(scheduleStream([r], model, images(3), 0))).rejects.toThrow(
      /malformed frame .*magic/,
    );
    await r.exitedPromise;
  });

  test('a runner that refuses to start (error frame before hello)', async () => {
    const err = await start('refuse-start').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RunnerError);
    expect((err as RunnerError).failure).toBe('startup');
    expect((err as RunnerError).detail.codeName).toBe('WEIGHTS');
    expect((err as Error).message).toMatch(/could not start: packed weights are for design 0000/);
  });

  test('a runner that never says hello is stopped after the hello timeout', async () => {
    await expect(
      RunnerProcess.start(
        { command: process.execPath, args: [fake, 'silent'] },
        { label: 'mute', timeoutMs: 1000, helloTimeoutMs: 300 },
      ),
    ).rejects.toThrow(/mute sent no hello within 0 s|mute sent no hello/);
  });

  test('a missing executable is a startup failure', async () => {
    await expect(
      RunnerProcess.start({ command: '/nonexistent/runner', args: [] }, { label: 'ghost', timeoutMs: 1000 }),
    ).rejects.toThrow(/ghost could not be run: spawn \/nonexistent\/runner ENOENT/);
  });

  test('bad inputs are refused before anything is sent', async () => {
    const r = await start('ok');
    const bad = [{ kind: 'image' as const, data: Float32Array.from([1, NaN, 0, 0]) }];
    await expect(collect(scheduleStream([r], model, bad, 0))).rejects.toThrow(/input 0: value 1 is NaN/);
    const short = [{ kind: 'tokens' as const, data: new Float32Array(3) }];
    await expect(collect(scheduleStream([r], model, short, 0))).rejects.toThrow(
      /input 0: 3 values, but a token input of this model is \[2, 2\] = 4/,
    );
    await r.close();
  });
});
