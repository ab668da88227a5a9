/**
 * Packed weights, cached per (design hash, checkpoint hash) in <project>/build/weights/: the
 * checkpoint is read, checked against the model and packed once; later runs reuse the file.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCheckpoint } from '../model/checkpoint.js';
import { UserError, describeError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { clipSummary, scaleSummary, writePackedWeights } from './pack.js';
import type { Project } from './project.js';

export const WEIGHTS_CACHE_DIR = 'build/weights';

/** Hex sha256 of a file's content (streamed: checkpoints can be large). */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (err) {
    throw new UserError(`${path}: cannot read: ${describeError(err)}`);
  }
  return hash.digest('hex');
}

export function packedWeightsPath(project: Project, checkpointHash: string): string {
  return join(
    project.dir,
    WEIGHTS_CACHE_DIR,
    `${project.designHash.slice(0, 16)}-${checkpointHash.slice(0, 16)}.bin`,
  );
}

/** A cached packing: its file and what packing it reported (kept beside it, for cache hits). */
export interface CachedPacking {
  path: string;
  cached: boolean;
  saturated: number; // weights saturated in packing (0: none)
  clipNote: string | null; // clipSummary's line
  scalesNote: string | null; // scaleSummary's line
}

type PackingNotes = Omit<CachedPacking, 'path' | 'cached'>;

/**
 * The packed weights for this project and checkpoint, packing on first use. The packing's notes
 * are kept in <file>.json; the cache is hit only when both files exist (each written atomically,
 * the notes last).
 */
export async function packedWeightsCached(project: Project, checkpoint: string): Promise<CachedPacking> {
  const path = packedWeightsPath(project, await fileSha256(checkpoint));
  const notesPath = `${path}.json`;
  if (existsSync(path) && existsSync(notesPath)) {
    try {
      const notes = JSON.parse(readFileSync(notesPath, 'utf8')) as PackingNotes;
      if (typeof notes.saturated === 'number') return { path, cached: true, ...notes };
    } catch {
      // an unreadable notes file: pack again below
    }
  }
  const ckpt = readCheckpoint(checkpoint, project.design.model); // a checkpoint of another model fails here
  const packed = writePackedWeights(path, project.design, ckpt);
  const notes: PackingNotes = {
    saturated: packed.clipped.clipped,
    clipNote: clipSummary(packed.clipped),
    scalesNote: scaleSummary(packed.scales),
  };
  writeFileAtomic(notesPath, JSON.stringify(notes) + '\n');
  return { path, cached: false, ...notes };
}

/** The packed weights file for this project and checkpoint, packing it on first use. */
export async function packedWeightsFor(
  project: Project,
  checkpoint: string,
  log: (line: string) => void = () => {},
): Promise<string> {
  const p = await packedWeightsCached(project, checkpoint);
  if (!p.cached) {
    log(`packed ${checkpoint} for design ${project.designHash.slice(0, 12)}`);
    if (p.clipNote) log(`note: ${p.clipNote}`);
    if (p.scalesNote) log(p.scalesNote);
  }
  return p.path;
}
