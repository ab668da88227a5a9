/**
 * The HLS test bench's data in <project>/tb/: packed weights of a synthetic checkpoint, one image,
 * the golden output tokens the g++ C-simulation computes from them (golden.npy: the whole forward;
 * golden-<kernel>.npy: the tokens after that kernel's first call), and argv.txt, the arguments
 * Vitis HLS gives runner/csim_main.cpp in csim_design and cosim_design (each kernel's script swaps
 * in its own golden and adds --stop-after <kernel>: ONE call of the kernel under test). With --golden the runner
 * compares its output bit for bit and returns 1 on any difference; Vitis takes that return value as
 * pass/fail, so RTL that computes anything but what the C computes fails co-simulation.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { designKernels, type Design } from '../../design/design.js';
import { writePackedWeights } from '../../driver/pack.js';
import { writeNpy } from '../../io/npy.js';
import { synthCheckpoint } from '../../model/synth.js';
import { Rng } from '../../model/prng.js';
import { writeDirAtomic } from '../../util/atomic.js';
import { ToolError } from '../../util/errors.js';
import { listFiles, SOURCE_DIRS } from '../csim.js';
import { LAYOUT } from './layout.js';
import { logTail } from './runner.js';
import { runTestbenchProgram } from './tbprogram.js';

/** What runner/csim_main.cpp is given in Vitis HLS csim/cosim (@TB@: the absolute tb/ directory). */
export const TB_ARGV =
  '--weights @TB@/weights.bin --input @TB@/input.npy --output @TB@/output.npy --golden @TB@/golden.npy';

const STAMP = 'stamp.json';
/**
 * The files of tb/: the weights, the image, the whole forward's golden output and, per top kernel
 * of the project (its kernels/<kernel>.cpp), the tokens after that kernel's first call alone
 * (tb/golden-<kernel>.npy, --stop-after): what Vitis HLS checks one call of that kernel against.
 */
function tbFiles(kernels: string[]): string[] {
  return ['weights.bin', 'input.npy', 'golden.npy', ...kernels.map((k) => `golden-${k}.npy`), 'argv.txt', STAMP];
}

/** The project's top kernels, from its kernels/ directory. */
function projectKernels(projectDir: string): string[] {
  return listFiles(join(projectDir, 'kernels'))
    .map((f) => basename(f))
    .filter((f) => f.endsWith('.cpp'))
    .map((f) => f.slice(0, -4));
}

/**
 * A hash of what tb/ is made from: the seed, the arguments, manifest.json (ubimoe version, weight
 * layout) and every C++ source of the csim build. tb/ holding another stamp is out of date.
 */
export function testbenchStamp(projectDir: string, seed: number): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ seed, argv: TB_ARGV }));
  const manifest = join(projectDir, 'manifest.json');
  if (existsSync(manifest)) h.update(readFileSync(manifest));
  for (const d of SOURCE_DIRS)
    for (const f of listFiles(join(projectDir, d))) {
      h.update(relative(projectDir, f));
      h.update(readFileSync(f));
    }
  return h.digest('hex');
}

/** Is tb/ complete and made from the project's current sources? */
export function testbenchIsCurrent(projectDir: string, seed = 0): boolean {
  const dir = join(projectDir, LAYOUT.tbDataDir);
  if (!tbFiles(projectKernels(projectDir)).every((f) => existsSync(join(dir, f)))) return false;
  try {
    const stamp = (JSON.parse(readFileSync(join(dir, STAMP), 'utf8')) as { stamp?: unknown }).stamp;
    return stamp === testbenchStamp(projectDir, seed);
  } catch {
    return false;
  }
}

/** tb/argv.txt as arguments, @TB@ standing for the absolute tb/ directory (as the HLS scripts do). */
export function testbenchArgs(projectDir: string): string[] {
  const dir = join(projectDir, LAYOUT.tbDataDir);
  return readFileSync(join(projectDir, LAYOUT.tbArgv), 'utf8')
    .trim()
    .split(/\s+/)
    .map((a) => a.replaceAll('@TB@', dir));
}

/** One normalised-looking image [1, C, H, W], clipped to +-3. */
function testImage(design: Design, seed: number): Float32Array {
  const { in_chans: c, img_h: h, img_w: w } = design.model;
  const rng = new Rng(seed, 0x7b);
  const image = new Float32Array(c * h * w);
  for (let i = 0; i < image.length; i++) image[i] = Math.max(-3, Math.min(3, rng.normal()));
  return image;
}

/**
 * Writes tb/ afresh, whole or not at all: the packed weights of a synthetic checkpoint (seed
 * `seed`), one image, the golden output that `exe` (the g++ test bench) computes from them, the
 * arguments and the stamp. A failing golden run is a ToolError (exit 1) with its log's tail.
 */
export async function writeTestbench(
  projectDir: string,
  design: Design,
  exe: string,
  seed = 0,
): Promise<void> {
  const stamp = testbenchStamp(projectDir, seed);
  const log = join(projectDir, LAYOUT.logsDir, 'tb-golden.log');
  await writeDirAtomic(join(projectDir, LAYOUT.tbDataDir), async (dir) => {
    const weights = join(dir, 'weights.bin');
    const input = join(dir, 'input.npy');
    writePackedWeights(weights, design, synthCheckpoint(design.model, seed));
    const { in_chans: c, img_h: h, img_w: w } = design.model;
    writeNpy(input, [1, c, h, w], testImage(design, seed));
    // the whole forward (the g++ test bench, `--target tb`), then each kernel's first call alone
    // (the tokens after it: what Vitis HLS checks one call of that kernel against)
    for (const [golden, more] of [
      ['golden.npy', []],
      ...designKernels(design).map((k) => [`golden-${k}.npy`, ['--stop-after', k]] as const),
    ] as const) {
      const args = ['--weights', weights, '--input', input, '--output', join(dir, golden), ...more];
      const code = await runTestbenchProgram(exe, args, log);
      if (code !== 0)
        throw new ToolError(
          `the g++ C-simulation writing the golden output tb/${golden} failed (exit ${code}); log: ${log}\n--- last lines ---\n${logTail(log, 25)}`,
        );
    }
    writeFileSync(join(dir, 'argv.txt'), TB_ARGV + '\n');
    writeFileSync(join(dir, STAMP), JSON.stringify({ seed, stamp }) + '\n');
  });
}
