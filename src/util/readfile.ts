import { existsSync, readFileSync, statSync } from 'node:fs';
import { UserError, describeError } from './errors.js';

/** Reads a file the user named; a missing, non-regular or unreadable file is a one-line UserError. */
export function readUserFile(path: string): Buffer {
  if (!existsSync(path)) throw new UserError(`${path}: no such file`);
  if (!statSync(path).isFile()) throw new UserError(`${path}: not a regular file`);
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UserError(`${path}: cannot read: ${describeError(err)}`);
  }
}
