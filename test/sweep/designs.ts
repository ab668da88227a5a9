/** Micro designs on u280 for sweep tests: design files and the `ubimoe sweep` argument list. */
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { defaultDesignFile } from '../../src/design/design.js';

/** The board's default design with some kernel parameters changed. */
export function writeDesign(path: string, kernels: Record<string, Record<string, number>>): void {
  const file = defaultDesignFile('micro', 'u280') as { kernels: Record<string, Record<string, number>> };
  const merged = { ...file, kernels: { ...file.kernels } };
  for (const [k, v] of Object.entries(kernels)) merged.kernels[k] = { ...merged.kernels[k], ...v };
  writeFileSync(path, stringify(merged));
}

/**
 * `sweep --model micro --board u280 <from> --target <target> -o <out> <more>`, where `from` picks the
 * designs: ['--top', 'N'] or ['--designs', ...files].
 */
export function sweepArgs(from: string[], target: string, out: string, ...more: string[]): string[] {
  return ['sweep', '--model', 'micro', '--board', 'u280', ...from, '--target', target, '-o', out, ...more];
}
