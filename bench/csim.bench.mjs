// C-simulation benchmark (issue 4): M³ViT-tiny W16A32 (default u280 design) through the generated
// csim runner, ms/image on one core (the runner is single-threaded; CPU time is printed beside the
// wall time because the machine may be shared: the best image is the least disturbed one, the
// median says how much the sharing costs), next to the float32 reference model's ms/image.
// Target: csim <= 400 ms/image. Also the one-off costs: weight packing and the g++ build.
// Prints figures; never asserts on time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultDesignFile, resolveDesign } from '../dist/src/design/design.js';
import { generateProject } from '../dist/src/generate/project.js';
import { writePackedWeights } from '../dist/src/driver/pack.js';
import { buildCsim } from '../dist/src/toolchain/csim.js';
import { runCsim } from '../dist/src/toolchain/csimrun.js';
import { compareTokens } from '../dist/src/toolchain/accuracy.js';
import { synthCheckpoint } from '../dist/src/model/checkpoint.js';
import { forwardImages } from '../dist/src/model/reference.js';
import { Rng } from '../dist/src/model/prng.js';

const BATCH = 8; // csim images (the first is not counted: page faults, cold caches)
const REF_BATCH = 2;
const dir = mkdtempSync(join(tmpdir(), 'ubimoe-bench-csim-'));
try {
  const design = resolveDesign(defaultDesignFile('m3vit-tiny', 'u280'), 'bench design');
  const { model } = design;
  generateProject(design, join(dir, 'project'));
  const ckpt = synthCheckpoint(model, 1);
  let t = performance.now();
  writePackedWeights(join(dir, 'weights.bin'), design, ckpt);
  const packMs = performance.now() - t;
  const build = await buildCsim(join(dir, 'project'), {
    cacheDir: process.env.UBIMOE_CSIM_CACHE ?? join(tmpdir(), 'ubimoe-test-csim-cache'),
  });
  const rng = new Rng(5);
  const images = Float32Array.from({ length: BATCH * model.in_chans * model.img_h * model.img_w }, () =>
    rng.normal(),
  );

  const perImage = [];
  const r = await runCsim({
    exe: build.exe,
    design,
    weights: join(dir, 'weights.bin'),
    input: images,
    batch: BATCH,
    tokens: false,
    task: 0,
    onImage: (i, wall, cpu) => perImage.push({ i, wall, cpu }),
  });
  // the first image pays for page faults and cold caches; the steady state is the rest
  const steady = perImage.slice(1);
  const sorted = (k) => steady.map((p) => p[k]).sort((a, b) => a - b);
  const median = (k) => sorted(k)[Math.floor((steady.length - 1) / 2)];
  const best = (k) => sorted(k)[0];

  const per = images.length / BATCH;
  const refImages = images.subarray(0, REF_BATCH * per);
  forwardImages(ckpt, model, images.subarray(0, per), 1); // JIT warm-up
  t = performance.now();
  const ref = forwardImages(ckpt, model, refImages, REF_BATCH);
  const refMs = (performance.now() - t) / REF_BATCH;
  const acc = compareTokens(
    r.tokens.subarray(0, REF_BATCH * design.dims.numTokens * design.dims.D),
    ref.tokens,
    design.dims.D,
    REF_BATCH,
  );

  console.log(
    `csim      m3vit-tiny  ${best('cpu').toFixed(1).padStart(7)} ms/image cpu best, ${median('cpu').toFixed(1)} median, ${median('wall').toFixed(1)} median wall (images 2..${BATCH}; first image ${perImage[0].wall.toFixed(1)} ms wall)  target <= 400`,
  );
  console.log(
    `reference m3vit-tiny  ${refMs.toFixed(1).padStart(7)} ms/image (float32, TypeScript, in-process)`,
  );
  console.log(`csim / reference      ${(best('cpu') / refMs).toFixed(2)}x`);
  console.log(
    `one-off: pack weights ${packMs.toFixed(0)} ms, g++ build ${build.cached ? 'cached' : `${build.seconds.toFixed(1)} s`}`,
  );
  console.log(
    `agreement: cosine min ${acc.cosineMin.toFixed(6)}, median ${acc.cosineMedian.toFixed(7)}, rel L2 ${(100 * acc.relL2).toFixed(3)}%`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
