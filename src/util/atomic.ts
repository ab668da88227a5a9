import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { UserError } from './errors.js';
import { fsReason, isFsUserError } from './outputs.js';
import { removeOnInterrupt } from './interrupt.js';

/** A file-system failure while writing `path` as one line (exit 2); other errors as they are. */
function writeFailure(path: string, err: unknown): unknown {
  return isFsUserError(err) ? new UserError(`cannot write ${path}: ${fsReason(err)}`) : err;
}

/**
 * Writes a file atomically: the content goes to a temporary file beside the target, then is
 * renamed over it, so a failed run never leaves a half-written output.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const forget = removeOnInterrupt(tmp);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the temporary was never made (its directory is missing or not writable)
    }
    throw writeFailure(path, err);
  } finally {
    forget();
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
  const forget = removeOnInterrupt(fresh);
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
    forget();
  }
}
