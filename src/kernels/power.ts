/**
 * Power of one kernel's resources (W), per resource kind: what they burn while the kernel computes
 * (`active`) and what their clock tree burns whenever the clock runs (`clock`). The design-level
 * model (src/design/power.ts) weights `active` by the fraction of the image the kernel is busy,
 * which comes from the cycle model. Coefficients: ./powerConstants.ts, docs/power.md.
 */
import { RESOURCE_KEYS, type Board, type ResourceKey, type Resources } from '../board/schema.js';
import { POWER } from './powerConstants.js';

export type PowerByKind = Record<ResourceKey, number>;

const byKind = (f: (k: ResourceKey) => number): PowerByKind =>
  Object.fromEntries(RESOURCE_KEYS.map((k) => [k, f(k)])) as PowerByKind;

/** The process scale of the board's fabric (Versal's DSP58 generation burns less per resource). */
export function fabricScale(board: Pick<Board, 'dsp_kind'>): number {
  return board.dsp_kind === 'dsp58' ? POWER.DSP58_SCALE : 1;
}

/** W per resource kind while the resources compute, at `clockMhz`. */
export function activePower(res: Resources, clockMhz: number, scale = 1): PowerByKind {
  return byKind((k) => res[k] * POWER.ACTIVE_UW_PER_MHZ[k] * clockMhz * 1e-6 * scale);
}

/** W per resource kind of the clock tree feeding the resources, busy or idle, at `clockMhz`. */
export function clockPower(res: Resources, clockMhz: number, scale = 1): PowerByKind {
  return byKind((k) => res[k] * POWER.CLOCK_UW_PER_MHZ[k] * clockMhz * 1e-6 * scale);
}

export const sumPower = (p: PowerByKind): number => RESOURCE_KEYS.reduce((a, k) => a + p[k], 0);
