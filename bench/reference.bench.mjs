// Reference-model benchmark (issues 2 and 15): the float32 forward, ms/image, best of N, as wall time
// and as CPU time (process.cpuUsage: every thread of the process; on a shared machine the CPU time is
// the figure to compare, wall time grows with other processes' load).
//  - m3vit-tiny: 1 image, a batch of 8 on one thread, a batch of 8 over worker threads (forwardBatch);
//  - micro and m3vit-small on one thread;
//  - `ubimoe reference` end to end on 4 images (process start, checkpoint read, forward, write): a
//    first run, then the same run again (read from the output cache);
//  - with UBIMOE_BENCH_BASELINE=<dir> (an older ubimoe package: its dist/, package.json, boards/,
//    models/ and node_modules/), the same m3vit-tiny cases with its forwardImages, "before", and the
//    ratio. The figures of the commit that made the reference WebAssembly (issue 15) are in
//    docs/model.md 'Speed of the reference'.
// Prints figures; never asserts on time.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadModel } from '../dist/src/model/config.js';
import { synthCheckpoint, writeCheckpoint } from '../dist/src/model/checkpoint.js';
import { forwardImages } from '../dist/src/model/reference.js';
import { closeReferenceWorkers, forwardBatch } from '../dist/src/model/parallel.js';
import { engine } from '../dist/src/model/engine.js';
import { Rng } from '../dist/src/model/prng.js';
import { writeNpy } from '../dist/src/io/npy.js';

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, '../bin/ubimoe.js');

function images(cfg, batch, seed) {
  const rng = new Rng(seed);
  return Float32Array.from({ length: batch * cfg.in_chans * cfg.img_h * cfg.img_w }, () => rng.normal());
}

/** Best wall and CPU ms per image of `reps` runs of `run()` (sync or async) over `batch` images. */
async function measure(run, batch, reps) {
  let wall = Infinity;
  let cpu = Infinity;
  for (let r = 0; r < reps; r++) {
    const c = process.cpuUsage();
    const t = performance.now();
    await run();
    wall = Math.min(wall, (performance.now() - t) / batch);
    const u = process.cpuUsage(c);
    cpu = Math.min(cpu, (u.user + u.system) / 1000 / batch);
  }
  return { wall, cpu };
}

const fmt = (x) => x.toFixed(1).padStart(7);
const line = (what, m, note = '') =>
  console.log(`${what.padEnd(52)} ${fmt(m.wall)} ms/image wall ${fmt(m.cpu)} ms/image CPU${note}`);

console.log(
  `reference: ${cpus().length} CPUs (${availableParallelism()} available), load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}; kernels: ${engine().k.simd ? 'WebAssembly SIMD' : 'JS (no WebAssembly SIMD)'}`,
);

const tiny = loadModel('m3vit-tiny');
const tinyCkpt = synthCheckpoint(tiny, 1);
const tiny8 = images(tiny, 8, 2);
const one = tiny8.subarray(0, tiny8.length / 8);
const REPS = 5;

async function tinyCases(label, fwd, parallel) {
  fwd(tinyCkpt, tiny, one, 1); // warm-up: JIT, weights packed
  const single = await measure(() => fwd(tinyCkpt, tiny, one, 1), 1, REPS);
  line(`m3vit-tiny ${label}: 1 image`, single);
  const batch = await measure(() => fwd(tinyCkpt, tiny, tiny8, 8), 8, 3);
  line(`m3vit-tiny ${label}: batch of 8, one thread`, batch);
  let par;
  if (parallel) {
    const workers = availableParallelism();
    await parallel(tinyCkpt, tiny, tiny8, 8, 'images', { workers }); // workers started, weights packed
    par = await measure(() => parallel(tinyCkpt, tiny, tiny8, 8, 'images', { workers }), 8, 3);
    line(`m3vit-tiny ${label}: batch of 8, ${workers} threads`, par, ' (CPU: all threads)');
  }
  return { single, batch, par };
}

const after = await tinyCases('now', forwardImages, forwardBatch);
await closeReferenceWorkers();

const baseline = process.env.UBIMOE_BENCH_BASELINE;
if (baseline) {
  const url = (p) => pathToFileURL(join(resolve(baseline), 'dist', 'src', p)).href;
  const old = await import(url('model/reference.js'));
  const before = await tinyCases('before', old.forwardImages, null);
  const r = (a, b) => `${(a.wall / b.wall).toFixed(2)}x wall, ${(a.cpu / b.cpu).toFixed(2)}x CPU`;
  console.log(`speed-up, 1 image:                 ${r(before.single, after.single)}`);
  console.log(`speed-up, batch of 8, one thread:  ${r(before.batch, after.batch)}`);
  console.log(`speed-up, batch of 8, all threads: ${r(before.batch, after.par)}`);
}

for (const [name, batch, reps] of [
  ['micro', 8, 5],
  ['m3vit-small', 2, 2],
]) {
  const cfg = loadModel(name);
  const ckpt = synthCheckpoint(cfg, 1);
  const imgs = images(cfg, batch, 2);
  forwardImages(ckpt, cfg, imgs.subarray(0, imgs.length / batch), 1);
  line(
    `${name}: batch of ${batch}, one thread`,
    await measure(() => forwardImages(ckpt, cfg, imgs, batch), batch, reps),
  );
}

const dir = mkdtempSync(join(tmpdir(), 'ubimoe-bench-ref-'));
try {
  writeCheckpoint(join(dir, 'tiny.safetensors'), tinyCkpt);
  writeNpy(join(dir, 'images.npy'), [4, 3, 128, 256], images(tiny, 4, 3));
  const cli = () => {
    const t = performance.now();
    const out = execFileSync(
      process.execPath,
      [
        bin,
        'reference',
        '--model',
        'm3vit-tiny',
        '--checkpoint',
        join(dir, 'tiny.safetensors'),
        '--input',
        join(dir, 'images.npy'),
        '-o',
        join(dir, 'out.npy'),
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, UBIMOE_CACHE: join(dir, 'cache') },
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    return { ms: (performance.now() - t) / 4, forwardMs: /(\d+) ms\/image/.exec(out)?.[1] };
  };
  const first = cli();
  const second = cli();
  console.log(
    `m3vit-tiny CLI, 4 images, end to end: ${first.ms.toFixed(1)} ms/image (forward ${first.forwardMs} ms/image); ` +
      `again, from the output cache: ${second.ms.toFixed(1)} ms/image`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
