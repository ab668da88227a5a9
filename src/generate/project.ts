/**
 * `ubimoe generate`: writes a self-contained project directory (ARCHITECTURE.md, "A generated
 * project"). The whole project is rendered into a temporary directory beside the target and then
 * renamed into place, so a failure never leaves a half-written project. A non-empty directory
 * that is not a ubimoe project (no manifest.json from ubimoe) is refused; regenerating over a
 * ubimoe project replaces its sources and keeps what builds made (build/, logs/, reports/).
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { Design } from '../design/design.js';
import { UserError, describeError } from '../util/errors.js';
import { renderContext, type RenderContext } from './context.js';
import { producers, type ProducedFile } from './producers.js';

export const MANIFEST = 'manifest.json';
/** Directories builds create inside a project; kept when the project is regenerated. */
export const BUILD_OUTPUT_DIRS = ['build', 'logs', 'reports'];

export interface Manifest {
  generator: 'ubimoe';
  ubimoe_version: string;
  design_hash: string;
  weights_format: number;
  model: string;
  board: string;
  generated_at: string;
  files: Record<string, string>; // path -> sha256 of its content
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Reads DIR/manifest.json if DIR is a ubimoe project, else null. */
export function readManifest(dir: string): Manifest | null {
  const p = join(dir, MANIFEST);
  if (!existsSync(p)) return null;
  try {
    const m = JSON.parse(readFileSync(p, 'utf8')) as Manifest;
    return m && m.generator === 'ubimoe' && typeof m.design_hash === 'string' ? m : null;
  } catch {
    return null;
  }
}

function checkPath(p: string): void {
  if (!p || isAbsolute(p) || p.split('/').some((s) => s === '..' || s === '') || p.includes('\\'))
    throw new Error(`generator produced an unsafe project path '${p}'`);
}

/** All files of the project for `design` (without the manifest). */
export function projectFiles(design: Design, ctx: RenderContext = renderContext(design)): ProducedFile[] {
  const files = producers.flatMap((p) => p(design, ctx));
  const seen = new Set<string>();
  for (const f of files) {
    checkPath(f.path);
    if (seen.has(f.path)) throw new Error(`two producers write '${f.path}'`);
    seen.add(f.path);
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : 1));
}

export interface GenerateResult {
  dir: string;
  manifest: Manifest;
  files: number;
}

export function generateProject(design: Design, outDir: string): GenerateResult {
  const dir = resolve(outDir);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new UserError(`${outDir}: exists and is not a directory`);
    if (readdirSync(dir).length > 0 && !readManifest(dir))
      throw new UserError(
        `${outDir}: not empty and not a ubimoe project (no manifest.json); refusing to write into it`,
      );
  }
  const ctx = renderContext(design);
  const files = projectFiles(design, ctx);
  const manifest: Manifest = {
    generator: 'ubimoe',
    ubimoe_version: ctx.version,
    design_hash: ctx.hash,
    weights_format: ctx.weightsFormatVersion,
    model: design.model.name,
    board: design.board.name,
    generated_at: new Date().toISOString(),
    files: Object.fromEntries(files.map((f) => [f.path, sha256(f.content)])),
  };

  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(dir)}.generating-${process.pid}-${Date.now()}`);
  const old = join(parent, `.${basename(dir)}.replaced-${process.pid}-${Date.now()}`);
  try {
    for (const f of files) {
      const p = join(tmp, f.path);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, f.content);
    }
    writeFileSync(join(tmp, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
    if (existsSync(dir)) {
      // swap the directories, carrying over what builds made
      renameSync(dir, old);
      const kept = BUILD_OUTPUT_DIRS.filter((d) => existsSync(join(old, d)));
      for (const d of kept) renameSync(join(old, d), join(tmp, d));
      try {
        renameSync(tmp, dir);
      } catch (err) {
        for (const d of kept) renameSync(join(tmp, d), join(old, d));
        renameSync(old, dir);
        throw err;
      }
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, dir);
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if (err instanceof UserError) throw err;
    throw new UserError(`${outDir}: cannot write the project: ${describeError(err)}`);
  }
  return { dir, manifest, files: files.length + 1 };
}
