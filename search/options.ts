/** Parsing of the search/estimate command-line values (errors name the flag and the rule). */
import type { Board, Limits } from '../src/board/schema.js';
import { UserError } from '../src/util/errors.js';
import { OBJECTIVES, type Objective } from './space.js';

const LIMIT_KEYS: Record<string, keyof Limits> = {
  dsp: 'dsp',
  bram: 'bram18',
  bram18: 'bram18',
  uram: 'uram',
  lut: 'lut',
  ff: 'ff',
};

/**
 * `--limit dsp=0.6,bram=0.7` (fractions in (0, 1], or percentages like 60%): overrides of the
 * board's utilisation limits. A key given twice with different values is contradictory.
 */
export function parseLimits(text: string | undefined, board: Board): Limits {
  const limits: Limits = { ...board.limits };
  if (text === undefined) return limits;
  const seen = new Map<keyof Limits, number>();
  for (const item of text.split(',').map((s) => s.trim())) {
    const m = /^([a-z0-9]+)\s*=\s*([0-9.]+)(%?)$/i.exec(item);
    if (!m) throw new UserError(`--limit: '${item}' is not key=value (e.g. --limit dsp=0.6,bram=0.7)`);
    const key = LIMIT_KEYS[m[1].toLowerCase()];
    if (!key) throw new UserError(`--limit: unknown resource '${m[1]}' (use dsp, bram, uram, lut, ff)`);
    const value = Number(m[2]) / (m[3] ? 100 : 1);
    if (!Number.isFinite(value) || value <= 0 || value > 1)
      throw new UserError(
        `--limit: ${m[1]}=${m[2]}${m[3]} must be a fraction in (0, 1] (or a percentage up to 100%)`,
      );
    const before = seen.get(key);
    if (before !== undefined && before !== value)
      throw new UserError(`--limit: contradictory limits for ${key}: ${before} and ${value}`);
    seen.set(key, value);
    limits[key] = value;
  }
  return limits;
}

export function parseObjective(text: string): Objective {
  if (!(OBJECTIVES as string[]).includes(text))
    throw new UserError(`--objective: '${text}' is not one of ${OBJECTIVES.join(', ')}`);
  return text as Objective;
}

export function parseSeed(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 0xffffffff)
    throw new UserError(`--seed: '${text}' must be an integer 0..4294967295`);
  return Number(text);
}

export function parsePositiveInt(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || Number(text) <= 0)
    throw new UserError(`${flag}: '${text}' must be a positive integer`);
  return Number(text);
}

/**
 * Takes `power=W` (watts, predicted board power) out of a `--limit` list; the rest is for
 * parseLimits. `power=25`, `power=25W`.
 */
export function splitPowerLimit(text: string | undefined): { rest?: string; powerW?: number } {
  if (text === undefined) return {};
  let powerW: number | undefined;
  const rest: string[] = [];
  for (const item of text.split(',').map((s) => s.trim())) {
    const m = /^power\s*=\s*(.*)$/i.exec(item);
    if (!m) {
      rest.push(item);
      continue;
    }
    const v = /^([0-9]*\.?[0-9]+)\s*w?$/i.exec(m[1]);
    const w = v ? Number(v[1]) : NaN;
    if (!(w > 0) || !Number.isFinite(w))
      throw new UserError(`--limit: power=${m[1]} must be a positive number of watts (e.g. power=25)`);
    if (powerW !== undefined && powerW !== w)
      throw new UserError(`--limit: contradictory limits for power: ${powerW} W and ${w} W`);
    powerW = w;
  }
  return { rest: rest.length ? rest.join(',') : undefined, powerW };
}
