import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Design } from '../../design/design.js';
import { writePackedWeights } from '../../driver/pack.js';
import { writeNpy } from '../../io/npy.js';
import { synthCheckpoint } from '../../model/synth.js';
import { Rng } from '../../model/prng.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { LAYOUT } from './layout.js';

/** What runner/csim_main.cpp is given in Vitis HLS csim/cosim (@TB@: the absolute tb/ directory). */
export const TB_ARGV = '--weights @TB@/weights.bin --input @TB@/input.npy --output @TB@/output.npy';

/**
 * Writes the HLS test bench's data into <project>/tb/: the packed weights of a synthetic checkpoint
 * (seed `seed`), one normalised-looking image and argv.txt for csim_main. Vitis HLS C-simulation
 * and C/RTL co-simulation run the whole forward pass through it (the runner calls all three top
 * kernels; the one being synthesised runs as RTL in co-simulation).
 */
export function writeTestbench(projectDir: string, design: Design, seed = 0): string[] {
  const dir = join(projectDir, LAYOUT.tbDataDir);
  mkdirSync(dir, { recursive: true });
  writePackedWeights(join(dir, 'weights.bin'), design, synthCheckpoint(design.model, seed));
  const { in_chans: c, img_h: h, img_w: w } = design.model;
  const rng = new Rng(seed, 0x7b);
  const image = new Float32Array(c * h * w);
  for (let i = 0; i < image.length; i++) image[i] = Math.max(-3, Math.min(3, rng.normal()));
  writeNpy(join(dir, 'input.npy'), [1, c, h, w], image);
  writeFileAtomic(join(dir, 'argv.txt'), TB_ARGV + '\n');
  return ['weights.bin', 'input.npy', 'argv.txt'].map((f) => join(dir, f));
}
