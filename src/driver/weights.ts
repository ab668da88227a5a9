/**
 * Packed weights, cached per (design hash, checkpoint hash) in <project>/build/weights/: the
 * checkpoint is read, checked against the model and packed once; later runs reuse the file.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { readCheckpoint } from '../model/checkpoint.js';
import { UserError, describeError } from '../util/errors.js';
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

/** The packed weights file for this project and checkpoint, packing it on first use. */
export async function packedWeightsFor(
  project: Project,
  checkpoint: string,
  log: (line: string) => void = () => {},
): Promise<string> {
  const path = packedWeightsPath(project, await fileSha256(checkpoint));
  if (existsSync(path)) return path;
  const ckpt = readCheckpoint(checkpoint, project.design.model); // a checkpoint of another model fails here
  log(`packing ${checkpoint} for design ${project.designHash.slice(0, 12)}`);
  const packed = writePackedWeights(path, project.design, ckpt);
  const clipped = clipSummary(packed.clipped);
  if (clipped) log(`note: ${clipped}`);
  const scales = scaleSummary(packed.scales);
  if (scales) log(scales);
  return path;
}
