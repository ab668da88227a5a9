/**
 * Output paths are checked before any work starts, so a long run is never lost at the end to a
 * path it cannot write; and write failures are one line naming the path (exit 2), not a stack.
 */
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError } from './errors.js';

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENAMETOOLONG: 'the name is too long',
};

/** The one-line reason of a file-system error (its code in words), or its message. */
export function fsReason(err: unknown): string {
  const { code, syscall } = (err ?? {}) as NodeJS.ErrnoException;
  // mkdir -p through a regular file fails with EEXIST
  if (code === 'EEXIST' && syscall === 'mkdir') return REASONS.ENOTDIR;
  if (code && REASONS[code]) return REASONS[code];
  return err instanceof Error ? err.message.split('\n')[0] : String(err);
}

/** Whether `err` is a file-system error a user can act on (as opposed to a bug of ubimoe). */
export function isFsUserError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return (
    code !== undefined && (code in REASONS || code === 'ENOENT' || code === 'EEXIST' || code === 'ENOTEMPTY')
  );
}

/** The nearest existing ancestor of `path` (itself included). */
function existingAncestor(path: string): string {
  let p = resolve(path);
  while (!existsSync(p)) p = dirname(p);
  return p;
}

/** Creates and removes a probe file in `dir`; throws a UserError naming `what` when it cannot. */
function probeWritable(dir: string, what: string): void {
  const probe = join(dir, `.ubimoe-write-probe-${process.pid}-${Math.random().toString(36).slice(2)}`);
  try {
    writeFileSync(probe, '');
  } catch (err) {
    throw new UserError(`${what}: cannot write in ${dir}: ${fsReason(err)}`);
  }
  rmSync(probe, { force: true });
}

/**
 * Checks that the file `path` (given with `flag`, e.g. '-o') can be written: not a directory, and
 * its directory exists or can be made in a writable place. Creates nothing but a removed probe.
 */
export function checkOutputFile(path: string, flag: string, example?: string): void {
  const what = `${flag} ${path}`;
  if (existsSync(path) && statSync(path).isDirectory())
    throw new UserError(
      `${what}: is a directory; give a file name${example ? ` (e.g. ${join(path, example)})` : ''}`,
    );
  const anc = existingAncestor(dirname(resolve(path)));
  if (!statSync(anc).isDirectory()) throw new UserError(`${what}: ${anc} is not a directory`);
  probeWritable(anc, what);
}

/** Checks that the directory `path` can be written (made when missing, or written into). */
export function checkOutputDir(path: string, flag: string): void {
  const what = `${flag} ${path}`;
  if (existsSync(path) && !statSync(path).isDirectory())
    throw new UserError(`${what}: is a file, not a directory`);
  const anc = existingAncestor(resolve(path));
  if (!statSync(anc).isDirectory()) throw new UserError(`${what}: ${anc} is not a directory`);
  probeWritable(anc, what);
}

/** mkdir -p with a one-line UserError on failure. */
export function makeDir(path: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (err) {
    throw new UserError(`cannot create directory ${path}: ${fsReason(err)}`);
  }
}
