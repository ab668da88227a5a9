/** reports/power.json (ubimoe run --power): the board power measured during a run. */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { UserError } from '../../util/errors.js';

const w = z.number().finite().min(0);
export const powerFileSchema = z
  .object({
    format: z.literal('ubimoe-power/1'),
    source: z.string(),
    samples: z.number().int().positive(),
    mean_w: w,
    wall_s: w,
    images: z.number().int().min(0),
    energy_j_per_image: w,
    domains_w: z.object({ ps: w, pl: w, ddr: w, other: w }).optional(),
    design_hash: z.string().optional(),
  })
  .passthrough();

export type PowerFile = z.infer<typeof powerFileSchema>;

export function readPower(path: string): PowerFile | null {
  if (!existsSync(path)) return null;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  const r = powerFileSchema.safeParse(json);
  if (!r.success)
    throw new UserError(
      `${path}: not a ubimoe-power/1 report (${r.error.issues[0].path.join('.')}: ${r.error.issues[0].message})`,
    );
  return r.data;
}
