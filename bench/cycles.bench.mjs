// Timed C-simulation cost (issue 12, "--cycles costs at most 2x the plain C-simulation"):
// M³ViT-tiny W16A32 (default u280 design) through the plain csim runner and the timed one
// (-DUBIMOE_TIMED_CSIM, `ubimoe csim --cycles`), CPU ms/image, best of the images 2..BATCH (the
// first pays for page faults and cold caches) and the median, alternating plain and timed runs
// ROUNDS times so a load spike on a shared machine hits both. The runner is single-threaded.
// Also checks the outputs are the same bit for bit. Prints figures; never asserts on time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultDesignFile, resolveDesign } from '../dist/src/design/design.js';
import { generateProject } from '../dist/src/generate/project.js';
import { writePackedWeights } from '../dist/src/driver/pack.js';
import { buildCsim } from '../dist/src/toolchain/csim.js';
import { runCsim } from '../dist/src/toolchain/csimrun.js';
import { synthCheckpoint } from '../dist/src/model/checkpoint.js';
import { Rng } from '../dist/src/model/prng.js';

const BATCH = Number(process.env.CYCLES_BENCH_BATCH ?? 5);
const ROUNDS = Number(process.env.CYCLES_BENCH_ROUNDS ?? 2);
const dir = mkdtempSync(join(tmpdir(), 'ubimoe-bench-cycles-'));
try {
  const design = resolveDesign(defaultDesignFile('m3vit-tiny', 'u280'), 'bench design');
  const { model } = design;
  const project = join(dir, 'project');
  generateProject(design, project);
  writePackedWeights(join(dir, 'weights.bin'), design, synthCheckpoint(model, 1));
  const cacheDir = process.env.UBIMOE_CSIM_CACHE ?? join(tmpdir(), 'ubimoe-test-csim-cache');
  const plainBuild = await buildCsim(project, { cacheDir });
  const timedBuild = await buildCsim(project, { cacheDir, timed: true });
  const rng = new Rng(5);
  const images = Float32Array.from({ length: BATCH * model.in_chans * model.img_h * model.img_w }, () =>
    rng.normal(),
  );
  const cpu = { plain: [], timed: [] };
  const wall = { plain: [], timed: [] };
  let tokens = {};
  let cycles;
  for (let round = 0; round < ROUNDS; round++)
    for (const kind of ['plain', 'timed']) {
      const r = await runCsim({
        exe: (kind === 'plain' ? plainBuild : timedBuild).exe,
        design,
        weights: join(dir, 'weights.bin'),
        input: images,
        batch: BATCH,
        tokens: false,
        task: 0,
        cycles: kind === 'timed',
        onImage: (i, w, c) => {
          if (i > 0) {
            cpu[kind].push(c);
            wall[kind].push(w);
          }
        },
      });
      tokens[kind] = r.tokens;
      if (kind === 'timed') cycles = r.cycles;
    }
  const sorted = (v) => [...v].sort((a, b) => a - b);
  const best = (v) => sorted(v)[0];
  const median = (v) => sorted(v)[Math.floor((v.length - 1) / 2)];
  const same = Buffer.from(tokens.plain.buffer).equals(Buffer.from(tokens.timed.buffer));
  const n = cpu.plain.length;
  for (const kind of ['plain', 'timed'])
    console.log(
      `csim ${kind.padEnd(5)} m3vit-tiny  ${best(cpu[kind]).toFixed(1).padStart(7)} ms/image cpu best of ${n}, ` +
        `${median(cpu[kind]).toFixed(1)} median, ${median(wall[kind]).toFixed(1)} median wall`,
    );
  console.log(
    `timed / plain         ${(best(cpu.timed) / best(cpu.plain)).toFixed(2)}x cpu best, ${(median(cpu.timed) / median(cpu.plain)).toFixed(2)}x median  target <= 2x`,
  );
  console.log(
    `outputs ${same ? 'identical bit for bit' : 'DIFFER'}; simulated ${cycles?.per_image?.[0]?.total_cycles} cycles/image (image 0); ` +
      `builds: plain ${plainBuild.cached ? 'cached' : `${plainBuild.seconds.toFixed(1)} s`}, timed ${timedBuild.cached ? 'cached' : `${timedBuild.seconds.toFixed(1)} s`}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
