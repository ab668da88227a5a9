/**
 * A generated project as the driver sees it: its design (design.yaml) and its design hash
 * (manifest.json), which the runner's hello and the packed weights must both carry.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadDesign, type Design } from '../design/design.js';
import { designHash as hashOf } from '../design/hash.js';
import { UserError, describeError } from '../util/errors.js';

export interface Project {
  dir: string;
  design: Design;
  designHash: string;
}

export function openProject(dir: string): Project {
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory())
    throw new UserError(`${dir}: no such project directory`);
  const manifestPath = join(abs, 'manifest.json');
  const designPath = join(abs, 'design.yaml');
  if (!existsSync(manifestPath) || !existsSync(designPath))
    throw new UserError(
      `${dir}: not a ubimoe project (no manifest.json / design.yaml; create one with ubimoe generate)`,
    );
  let manifest: Record<string, unknown>;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new UserError(`${manifestPath}: not valid JSON: ${describeError(err)}`);
  }
  const designHash = manifest.design_hash ?? manifest.designHash;
  if (typeof designHash !== 'string' || !/^[0-9a-f]{16,64}$/.test(designHash))
    throw new UserError(`${manifestPath}: no design hash (design_hash: hex string)`);
  const design = loadDesign(designPath);
  if (hashOf(design) !== designHash)
    throw new UserError(
      `${dir}: design.yaml no longer matches manifest.json (edited after generation?); run ubimoe generate again`,
    );
  return { dir: abs, design, designHash };
}
