/** Micro design files for sweep tests: the board's default design with some kernel parameters changed. */
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { defaultDesignFile } from '../../src/design/design.js';

export function writeDesign(path: string, kernels: Record<string, Record<string, number>>): void {
  const file = defaultDesignFile('micro', 'u280') as { kernels: Record<string, Record<string, number>> };
  const merged = { ...file, kernels: { ...file.kernels } };
  for (const [k, v] of Object.entries(kernels)) merged.kernels[k] = { ...merged.kernels[k], ...v };
  writeFileSync(path, stringify(merged));
}
