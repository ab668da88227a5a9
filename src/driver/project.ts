/**
 * A generated project as the driver sees it: its design (design.yaml) and its design hash
 * (manifest.json), which the runner's hello and the packed weights must both carry.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadDesign, type Design } from '../design/design.js';
import { designHash as hashOf } from '../design/hash.js';
import { UserError, describeError } from '../util/errors.js';

export interface Project {
  dir: string;
  design: Design;
  designHash: string;
  /** Generated files whose content no longer matches manifest.json (edited by hand). */
  edited: string[];
}

/**
 * The generated files against the hashes manifest.json recorded: a missing one is an error naming
 * it (the project cannot build); edited ones are returned, for a note (hand edits are allowed).
 */
function checkFiles(dir: string, abs: string, manifest: Record<string, unknown>): string[] {
  const files = manifest.files;
  if (!files || typeof files !== 'object') return [];
  const missing: string[] = [];
  const edited: string[] = [];
  for (const [rel, want] of Object.entries(files as Record<string, unknown>)) {
    const path = join(abs, rel);
    if (!existsSync(path)) missing.push(rel);
    else if (createHash('sha256').update(readFileSync(path)).digest('hex') !== want) edited.push(rel);
  }
  if (missing.length)
    throw new UserError(
      `${dir}: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''} ${missing.length > 1 ? 'are' : 'is'} missing; run ubimoe generate again`,
    );
  return edited;
}

/** One note line for hand-edited generated files, or undefined. */
export function editedNote(p: Project): string | undefined {
  if (!p.edited.length) return undefined;
  return `note: ${p.edited.join(', ')} ${p.edited.length > 1 ? 'were' : 'was'} edited after generation (the content differs from manifest.json)`;
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
  const edited = checkFiles(dir, abs, manifest);
  return { dir: abs, design, designHash, edited };
}
