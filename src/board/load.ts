import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError } from '../util/errors.js';
import { boardsDir } from '../util/paths.js';
import { parseWith, readYaml } from '../util/yamlfile.js';
import { boardSchema, DEFAULT_LIMITS, type Board } from './schema.js';

export function boardNames(): string[] {
  return readdirSync(boardsDir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => basename(f, '.yaml'))
    .sort();
}

export function validateBoard(value: unknown, what: string): Board {
  const b = parseWith(boardSchema, value, what);
  return { ...b, limits: { ...DEFAULT_LIMITS, ...(b.limits ?? {}) } };
}

/** `--board NAME` resolves boards/NAME.yaml; `--board path.yaml` reads a user file. */
export function loadBoard(nameOrPath: string): Board {
  const isPath = nameOrPath.includes('/') || nameOrPath.endsWith('.yaml') || nameOrPath.endsWith('.yml');
  const path = isPath ? nameOrPath : join(boardsDir, `${nameOrPath}.yaml`);
  if (!isPath && !existsSync(path))
    throw new UserError(
      `unknown board '${nameOrPath}' (boards: ${boardNames().join(', ')}; or pass a .yaml path)`,
    );
  return validateBoard(readYaml(path), `board ${path}`);
}
