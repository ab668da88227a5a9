import { existsSync, readFileSync } from 'node:fs';
import type { z } from 'zod';
import { UserError, describeError } from '../../util/errors.js';
import { parseWith } from '../../util/yamlfile.js';

/**
 * Reads an optional report file: null when it does not exist; a UserError naming the file when
 * it is not JSON or does not have the expected shape.
 */
export function readJsonReport<T extends z.ZodTypeAny>(path: string, schema: T): z.infer<T> | null {
  if (!existsSync(path)) return null;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`${path}: not valid JSON: ${describeError(err)}`);
  }
  return parseWith(schema, value, path);
}
