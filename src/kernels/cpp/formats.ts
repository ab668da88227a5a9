/**
 * The fixed-point formats of every tensor class and of the kernels' internal values, derived
 * once from the design's precision. Internal formats are chosen so that every product the
 * kernels form fits 64 bits (the widths the C-simulation runs natively) and is exact until the
 * one quantisation the building block documents.
 */
import { UserError } from '../../util/errors.js';
import type { Precision } from '../types.js';
import { clog2, cppFixed, ensureWidth, frac, fromPrecision, fx, type Fx } from './fixed.js';

/** Probabilities (softmax outputs): ap_ufixed<18,1>, one DSP port wide. */
export const PROB = fx(18, 1, false);
/** Normalised mantissas of rsqrt/recip (nonlinear.h): ap_ufixed<25,1>, 24 fractional bits. */
export const MANT = fx(25, 1, false);
/** Width of the exact wide sums (tile sums, dot products) the adder trees produce. */
export const WIDE = 64;

export interface Formats {
  act: Fx; // activations between and inside kernels (rounded, saturating)
  linIn: Fx; // activations as the linear engine's MACs read them (rounded, saturating; act unless narrowed)
  acc: Fx; // linear accumulators
  weight: Fx;
  bias: Fx;
  norm: Fx;
  patchWeight: Fx;
  qkv: Fx; // attention q/k/v (narrower than act so q·k stays within 64 bits)
  score: Fx; // attention scores and gate logits, after scaling (rounded, saturating)
  weightScale: boolean; // per-layer power-of-two weight scales (precision weight_scale: 'per-layer')
}

// formats() per precision object, computed once (the cost model asks for them in its inner loops)
const formatsCache = new WeakMap<Precision, Formats>();

export function formats(p: Precision): Formats {
  const known = formatsCache.get(p);
  if (known) return known;
  const made = makeFormats(p);
  formatsCache.set(p, made);
  return made;
}

function makeFormats(p: Precision): Formats {
  const act = fromPrecision(p.activation);
  const formatsOut: Formats = {
    act,
    linIn: p.linear_input ? fromPrecision(p.linear_input) : act,
    acc: fromPrecision(p.accum),
    weight: fromPrecision(p.weight),
    bias: fromPrecision(p.bias),
    norm: fromPrecision(p.norm),
    patchWeight: fromPrecision(p.patch_weight),
    qkv: p.qkv ? fromPrecision(p.qkv) : fx(Math.min(act.width, 24), Math.min(act.int, 8)),
    score: fx(32, Math.min(act.int, 8) + 4),
    weightScale: p.weight_scale === 'per-layer',
  };
  if (frac(act) < 8)
    throw new UserError(`types.activation: needs at least 8 fractional bits, has ${frac(act)}`);
  if (frac(formatsOut.linIn) < 1)
    throw new UserError(`types.linear_input: needs at least 1 fractional bit, has ${frac(formatsOut.linIn)}`);
  if (frac(formatsOut.qkv) < 1)
    throw new UserError(`types.${p.qkv ? 'qkv' : 'activation'}: too few fractional bits for attention`);
  return formatsOut;
}

/**
 * A fused block's residual (vit_block's R): holds the attention half's act values and the MLP
 * half's acc sums exactly (the larger integer part, the larger fraction), so each half adds in its
 * own type and the bits are those of msa_block and ffn_block apart (linear.h residual_add).
 */
export function residualFx(f: Formats): Fx {
  const int = Math.max(f.act.int, f.acc.int);
  const fr = Math.max(frac(f.act), frac(f.acc));
  return fx(int + fr, int);
}

/** C++ spellings: activation-like values round and saturate; weights and sums truncate and wrap. */
export const cppAct = (f: Fx) => cppFixed(f, 'AP_RND', 'AP_SAT');
export const cppRaw = (f: Fx) => cppFixed(f);

/** Exact wide sum of products a x b: 64 bits with the product's fraction bits. */
export function wideSumOf(a: Fx, b: Fx, what: string): Fx {
  ensureWidth({ width: a.width + b.width, int: a.int + b.int, signed: true }, what);
  const f = frac(a) + frac(b);
  if (f > WIDE - 8) throw new UserError(`${what}: ${f} fractional bits in a product is too many`);
  return fx(WIDE, WIDE - f);
}

export { clog2, frac };

/**
 * Sum of `tileIn` products a x b at its own width: the products' bits plus log2(tileIn) carries,
 * exact (the presets); types so wide that this and `extraFrac` more fractional bits pass 64 bits
 * (WIDE, what the C-simulation computes natively) keep 64 in all, as the products do (wideSumOf).
 */
export function tileSumFx(a: Fx, b: Fx, tileIn: number, extraFrac = 0): Fx {
  const productFrac = frac(a) + frac(b);
  const int = Math.min(a.int + b.int + clog2(tileIn), WIDE - productFrac - extraFrac);
  return fx(int + productFrac, int);
}

/** Upper bound of a per-layer weight exponent (what a scale word may hold; kernels clamp to it). */
export const WEIGHT_SHIFT_CAP = 15;

/**
 * The largest weight exponent s a linear engine applies (0: the layers carry no scale word). The
 * packer stores w·2^s and the engine shifts each exact tile sum right by s in tsum_t (which gets
 * s more fractional bits), so 2^-s is exact as long as acc_t keeps the product's fractional bits
 * plus s: s <= frac(acc) - frac(in) - frac(w). The product's fraction plus the sum's integer part
 * plus s stay within 64 bits (WIDE), what the C-simulation computes natively.
 */
export function linearMaxShift(f: Formats, weight: Fx, tileIn: number): number {
  if (!f.weightScale) return 0;
  const productFrac = frac(f.linIn) + frac(weight);
  const sumInt = f.linIn.int + weight.int - 1 + clog2(tileIn);
  return Math.max(0, Math.min(WEIGHT_SHIFT_CAP, frac(f.acc) - productFrac, WIDE - productFrac - sumInt));
}
