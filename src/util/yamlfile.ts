import { readFileSync, existsSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { UserError, describeError } from './errors.js';

/** Reads a YAML file; a missing file or a syntax error is a UserError naming the file. */
export function readYaml(path: string): unknown {
  if (!existsSync(path)) throw new UserError(`${path}: no such file`);
  try {
    return parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`${path}: not valid YAML: ${describeError(err)}`);
  }
}

/** Formats the first zod issue as "what: field.path: message". */
export function zodMessage(what: string, err: z.ZodError): string {
  const issue = err.issues[0];
  const field = issue.path.length ? issue.path.join('.') : '(top level)';
  let msg = issue.message;
  if (issue.code === 'unrecognized_keys')
    msg = `unknown key(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  return `${what}: ${field}: ${msg}`;
}

/** Parses `value` with `schema`; on failure throws a UserError naming the field and the rule. */
export function parseWith<T extends z.ZodTypeAny>(schema: T, value: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw new UserError(zodMessage(what, r.error));
  return r.data;
}
