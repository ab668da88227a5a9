/**
 * Fixed-point formats as the kernels see them, and their C++ spelling. Every width a kernel
 * uses is computed here or in numeric.ts (TypeScript), once, and rendered into config.h.
 */
import { UserError } from '../../util/errors.js';
import type { FixedType } from '../types.js';

/** A fixed-point format: `width` bits of which `int` are integer bits (sign included when signed). */
export interface Fx {
  width: number;
  int: number;
  signed: boolean;
}

/** Quantisation and overflow modes, as Vitis spells them. */
export type QuantMode = 'AP_TRN' | 'AP_RND';
export type OverflowMode = 'AP_WRAP' | 'AP_SAT';

/** The csim types (and Vitis's, for the widths we use) hold at most 64 bits per ap_fixed. */
export const MAX_FIXED_WIDTH = 64;

export function fx(width: number, int: number, signed = true): Fx {
  return { width, int, signed };
}

export function fromPrecision(t: FixedType): Fx {
  return { width: t.width, int: t.int, signed: true };
}

export function frac(f: Fx): number {
  return f.width - f.int;
}

/** Number of bits needed to count to n: ceil(log2(n)), 0 for n <= 1. */
export function clog2(n: number): number {
  let b = 0;
  while (2 ** b < n) b++;
  return b;
}

/** `ap_fixed<32,10,AP_RND,AP_SAT>`; modes are left out when they are the defaults. */
export function cppFixed(f: Fx, q: QuantMode = 'AP_TRN', o: OverflowMode = 'AP_WRAP'): string {
  const base = f.signed ? 'ap_fixed' : 'ap_ufixed';
  const modes = q === 'AP_TRN' && o === 'AP_WRAP' ? '' : `,${q},${o}`;
  return `${base}<${f.width},${f.int}${modes}>`;
}

/** Throws a UserError naming `what` when a derived format is wider than the csim types allow. */
export function ensureWidth(f: Fx, what: string): Fx {
  if (f.width > MAX_FIXED_WIDTH)
    throw new UserError(
      `${what}: needs a ${f.width}-bit intermediate, more than ${MAX_FIXED_WIDTH}; use narrower types`,
    );
  if (f.width < 1) throw new UserError(`${what}: width ${f.width} is not positive`);
  return f;
}

/** The exact format of a product a x b (what ap_fixed's operator* returns). */
export function productOf(a: Fx, b: Fx): Fx {
  const signed = a.signed || b.signed;
  return { width: a.width + b.width, int: a.int + b.int, signed };
}

/** The exact format of a sum of `terms` values of format f. */
export function sumOf(f: Fx, terms: number): Fx {
  const g = clog2(terms);
  return { width: f.width + g, int: f.int + g, signed: f.signed };
}

/** Raw integer of `value` in format f, rounded to nearest (ties away from zero) and saturated. */
export function quantise(value: number, f: Fx): { raw: number; clipped: boolean } {
  const scale = 2 ** frac(f);
  const max = f.signed ? 2 ** (f.width - 1) - 1 : 2 ** f.width - 1;
  const min = f.signed ? -(2 ** (f.width - 1)) : 0;
  let raw = Math.round(Math.abs(value) * scale) * Math.sign(value);
  if (Object.is(raw, -0)) raw = 0;
  if (raw > max) return { raw: max, clipped: true };
  if (raw < min) return { raw: min, clipped: true };
  return { raw, clipped: false };
}
