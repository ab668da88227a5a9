import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

/**
 * Writes a file atomically: the content goes to a temporary file beside the target, then is
 * renamed over it, so a failed run never leaves a half-written output.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Replaces the directory `path` with one that `fill` writes into a fresh directory beside it, so a
 * fill that fails (or is interrupted) leaves `path` as it was: whole, never half-written.
 */
export async function writeDirAtomic(path: string, fill: (dir: string) => Promise<void>): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const stem = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}`);
  const fresh = `${stem}.tmp`;
  const old = `${stem}.old`;
  mkdirSync(fresh);
  try {
    await fill(fresh);
    const hadOld = existsSync(path);
    if (hadOld) renameSync(path, old);
    try {
      renameSync(fresh, path);
    } catch (err) {
      if (hadOld) renameSync(old, path);
      throw err;
    }
  } finally {
    rmSync(fresh, { recursive: true, force: true });
    rmSync(old, { recursive: true, force: true });
  }
}
