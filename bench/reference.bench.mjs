// Reference-model benchmark (issue 2): float32 forward of M³ViT-tiny on one core, ms/image, in-process
// and through the CLI (`ubimoe reference` on 4 images, including reading the checkpoint and writing
// the output). Also micro and m3vit-small in-process. Prints figures; never asserts on time.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../dist/src/model/config.js';
import { synthCheckpoint, writeCheckpoint } from '../dist/src/model/checkpoint.js';
import { forwardImages } from '../dist/src/model/reference.js';
import { Rng } from '../dist/src/model/prng.js';
import { writeNpy } from '../dist/src/io/npy.js';

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, '../bin/ubimoe.js');

function images(cfg, batch, seed) {
  const rng = new Rng(seed);
  return Float32Array.from({ length: batch * cfg.in_chans * cfg.img_h * cfg.img_w }, () => rng.normal());
}

function timeForward(name, batch, reps) {
  const cfg = loadModel(name);
  const t0 = performance.now();
  const ckpt = synthCheckpoint(cfg, 1);
  const synthMs = performance.now() - t0;
  const imgs = images(cfg, batch, 2);
  forwardImages(ckpt, cfg, imgs.subarray(0, imgs.length / batch), 1); // warm-up (JIT)
  const wall = [];
  const cpu = [];
  for (let r = 0; r < reps; r++) {
    const c = process.cpuUsage();
    const t = performance.now();
    forwardImages(ckpt, cfg, imgs, batch);
    wall.push((performance.now() - t) / batch);
    const u = process.cpuUsage(c);
    cpu.push((u.user + u.system) / 1000 / batch);
  }
  const best = (a) =>
    Math.min(...a)
      .toFixed(1)
      .padStart(8);
  // CPU time is the figure to quote on a shared machine: wall time grows with other processes' load
  console.log(
    `reference ${name.padEnd(12)} in-process  ${best(wall)} ms/image wall, ${best(cpu)} ms/image CPU (best of ${reps} × batch ${batch}; synth ${synthMs.toFixed(0)} ms)`,
  );
}

timeForward('micro', 8, 5);
timeForward('m3vit-tiny', 4, 3);
timeForward('m3vit-small', 2, 2);

const dir = mkdtempSync(join(tmpdir(), 'ubimoe-bench-ref-'));
try {
  const cfg = loadModel('m3vit-tiny');
  writeCheckpoint(join(dir, 'tiny.safetensors'), synthCheckpoint(cfg, 1));
  writeNpy(join(dir, 'images.npy'), [4, 3, 128, 256], images(cfg, 4, 3));
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
    { encoding: 'utf8' },
  );
  const total = performance.now() - t;
  const forwardMs = /(\d+) ms\/image/.exec(out)?.[1];
  console.log(
    `reference m3vit-tiny  CLI, 4 images ${(total / 4).toFixed(1).padStart(8)} ms/image end to end (process start, checkpoint read, forward ${forwardMs} ms/image, write)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
