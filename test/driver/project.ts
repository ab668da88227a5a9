/** Test helpers for the driver: a generated project with a synthetic checkpoint, and process checks. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultDesignFile, resolveDesign, type Design } from '../../src/design/design.js';
import type { DesignFileInput } from '../../src/design/schema.js';
import { generateProject } from '../../src/generate/project.js';
import { loadModel } from '../../src/model/config.js';
import { synthCheckpoint } from '../../src/model/synth.js';
import { writeCheckpoint } from '../../src/model/checkpoint.js';
import { encodeNpy } from '../../src/io/npy.js';
import { writeFileSync } from 'node:fs';

// Compiled csim runners are cached by content hash; share them across test files and runs (the
// same directory the csim tests use).
process.env.UBIMOE_CSIM_CACHE ??= join(tmpdir(), 'ubimoe-test-csim-cache');

export interface TestProject {
  root: string;
  dir: string;
  design: Design;
  checkpoint: string;
}

/** Generates `model` for `board` into a fresh temp dir, with a synthetic checkpoint beside it. */
export function makeProject(
  model: string,
  board = 'u280',
  patch: Partial<DesignFileInput> = {},
  seed = 7,
): TestProject {
  const root = mkdtempSync(join(tmpdir(), `ubimoe-driver-${model}-`));
  const design = resolveDesign(
    { ...defaultDesignFile(model, board), ...patch },
    `test design ${model}/${board}`,
  );
  const dir = join(root, 'project');
  generateProject(design, dir);
  const checkpoint = join(root, `${model}.safetensors`);
  writeCheckpoint(checkpoint, synthCheckpoint(loadModel(model), seed));
  return { root, dir, design, checkpoint };
}

/** Deterministic "images" [B, C, H, W] in a plausible normalised range. */
export function randomImages(design: Design, count: number, seed = 1): Float32Array {
  const m = design.model;
  const n = count * m.in_chans * m.img_h * m.img_w;
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s / 0x100000000) * 4 - 2;
  }
  return out;
}

export function writeImages(path: string, design: Design, count: number, seed = 1): Float32Array {
  const m = design.model;
  const data = randomImages(design, count, seed);
  writeFileSync(path, encodeNpy([count, m.in_chans, m.img_h, m.img_w], data));
  return data;
}

/** Is `pid` a live process or an unreaped zombie? */
export function processExists(pid: number): boolean {
  try {
    readFileSync(`/proc/${pid}/stat`, 'utf8');
    return true;
  } catch {
    return false;
  }
}

/** Child process ids of `pid` (Linux /proc). */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}
