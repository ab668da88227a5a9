// BigInt model of the Vitis arbitrary-precision semantics that hls/csim implements, used as the
// independent reference of the property test. Values are integers in units of 2^-F ("ulps");
// patterns are the W-bit two's-complement bit strings.

export type QMode = 'TRN' | 'TRN_ZERO' | 'RND' | 'RND_ZERO' | 'RND_MIN_INF' | 'RND_INF' | 'RND_CONV';
export type OMode = 'WRAP' | 'SAT' | 'SAT_ZERO' | 'SAT_SYM';

export interface Fmt {
  w: number;
  i: number;
  s: boolean;
  int: boolean; // ap_int/ap_uint: fractions drop toward zero, always wrap
  q: QMode;
  o: OMode;
}

export const QMODES: QMode[] = ['TRN', 'TRN_ZERO', 'RND', 'RND_ZERO', 'RND_MIN_INF', 'RND_INF', 'RND_CONV'];
export const OMODES: OMode[] = ['WRAP', 'SAT', 'SAT_ZERO', 'SAT_SYM'];

export const apInt = (w: number, s: boolean): Fmt => ({ w, i: w, s, int: true, q: 'TRN', o: 'WRAP' });
export const apFixed = (w: number, i: number, s: boolean, q: QMode = 'TRN', o: OMode = 'WRAP'): Fmt => ({
  w,
  i,
  s,
  int: false,
  q,
  o,
});

const pow2 = (n: number): bigint => 1n << BigInt(n);
export const fracBits = (f: Fmt): number => f.w - f.i;

export function valueOf(f: Fmt, pattern: bigint): bigint {
  return f.s ? BigInt.asIntN(f.w, pattern) : BigInt.asUintN(f.w, pattern);
}
export const patternOf = (w: number, v: bigint): bigint => BigInt.asUintN(w, v);
export const hexOf = (w: number, pattern: bigint): string =>
  '0x' +
  patternOf(w, pattern)
    .toString(16)
    .padStart(Math.ceil(w / 4), '0');

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b; // truncates toward zero
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

export const maxOf = (f: Fmt): bigint => (f.s ? pow2(f.w - 1) - 1n : pow2(f.w) - 1n);
export const minOf = (f: Fmt): bigint => (f.s ? -pow2(f.w - 1) : 0n);

/** The value (in target ulps) that v * 2^-fs becomes in format t: quantisation, then overflow. */
export function quantise(v: bigint, fs: number, t: Fmt): bigint {
  const ft = fracBits(t);
  let x: bigint;
  if (ft >= fs) {
    x = v << BigInt(ft - fs);
  } else {
    const d = pow2(fs - ft);
    const q = floorDiv(v, d);
    const rem = v - q * d;
    const half = d / 2n;
    const neg = v < 0n;
    const mode: QMode = t.int ? 'TRN_ZERO' : t.q;
    const inc = {
      TRN: false,
      TRN_ZERO: neg && rem !== 0n,
      RND: rem >= half,
      RND_ZERO: rem > half || (rem === half && neg),
      RND_MIN_INF: rem > half,
      RND_INF: rem > half || (rem === half && !neg),
      RND_CONV: rem > half || (rem === half && (q & 1n) === 1n),
    }[mode];
    x = q + (inc ? 1n : 0n);
  }
  return overflow(x, t);
}

export function overflow(x: bigint, t: Fmt): bigint {
  const max = maxOf(t);
  const min = minOf(t);
  const o: OMode = t.int ? 'WRAP' : t.o;
  if (o === 'SAT_SYM' && t.s && x === min) return -max; // symmetric range: -max is the lowest value
  if (x >= min && x <= max) return x;
  if (o === 'WRAP') return valueOf(t, patternOf(t.w, x));
  if (o === 'SAT_ZERO') return 0n;
  if (x > max) return max;
  return o === 'SAT_SYM' && t.s ? -max : min;
}

/** Exact value of an IEEE double given by its bits, as (integer, fraction bits); null for NaN/inf. */
export function doubleValue(bits: bigint): { v: bigint; fs: number } | 'nan' | 'inf' | '-inf' {
  const neg = (bits >> 63n) & 1n;
  const e = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & (pow2(52) - 1n);
  if (e === 0x7ff) return frac !== 0n ? 'nan' : neg ? '-inf' : 'inf';
  const m = e === 0 ? frac : frac | pow2(52);
  const exp = e === 0 ? -1074 : e - 1075;
  const v = neg ? -m : m;
  return exp >= 0 ? { v: v << BigInt(exp), fs: 0 } : { v, fs: -exp };
}

/** Pattern a double becomes in format t (infinities saturate or wrap to 0; NaN aborts in C++). */
export function fromDouble(bits: bigint, t: Fmt): bigint {
  const d = doubleValue(bits);
  if (d === 'nan') throw new Error('NaN has no fixed-point value');
  if (d === 'inf' || d === '-inf') {
    const o: OMode = t.int ? 'WRAP' : t.o;
    if (o === 'WRAP' || o === 'SAT_ZERO') return 0n;
    if (d === 'inf') return patternOf(t.w, maxOf(t));
    return patternOf(t.w, o === 'SAT_SYM' && t.s ? -maxOf(t) : minOf(t));
  }
  return patternOf(t.w, quantise(d.v, d.fs, t));
}

export type BinOp = '+' | '-' | '*' | '/' | '%';

/** Result format of a binary operator (Vitis's full-precision rules). */
export function resultFmt(op: BinOp, a: Fmt, b: Fmt): Fmt {
  const fa = fracBits(a);
  const fb = fracBits(b);
  const f = Math.max(fa, fb);
  const ia = a.i + (b.s && !a.s ? 1 : 0);
  const ib = b.i + (a.s && !b.s ? 1 : 0);
  const int = a.int && b.int;
  const plusI = Math.max(ia, ib) + 1;
  switch (op) {
    case '+':
      return { w: plusI + f, i: plusI, s: a.s || b.s, int, q: 'TRN', o: 'WRAP' };
    case '-':
      return { w: plusI + f, i: plusI, s: true, int, q: 'TRN', o: 'WRAP' };
    case '*':
      return { w: a.w + b.w, i: a.i + b.i, s: a.s || b.s, int, q: 'TRN', o: 'WRAP' };
    case '/': {
      const grow = fb + (b.s ? 1 : 0);
      return { w: a.w + grow, i: a.i + grow, s: a.s || b.s, int, q: 'TRN', o: 'WRAP' };
    }
    case '%': {
      const w = Math.min(a.w, b.w + (a.s && !b.s ? 1 : 0));
      return apInt(w, a.s);
    }
  }
}

/** Whether the csim headers compute this operator at all (results up to 128 bits). */
export function computable(op: BinOp, a: Fmt, b: Fmt): boolean {
  if (op === '/') return a.w + fracBits(b) + 1 <= 128 && b.w + 1 <= 128;
  const fits = resultFmt('+', a, b).w <= 128 && a.w + b.w <= 128;
  return op === '%' ? fits && a.int && b.int : fits;
}

/** Exact result value of a binary operator, in the result format's ulps. */
export function binaryValue(op: BinOp, a: Fmt, va: bigint, b: Fmt, vb: bigint): bigint {
  const r = resultFmt(op, a, b);
  const fr = fracBits(r);
  const xa = va << BigInt(fr - fracBits(a));
  const xb = vb << BigInt(fr - fracBits(b));
  switch (op) {
    case '+':
      return xa + xb;
    case '-':
      return xa - xb;
    case '*':
      return va * vb;
    case '/':
      return (va << BigInt(fracBits(b))) / vb; // BigInt division truncates toward zero, like C
    case '%':
      return va % vb;
  }
}

export function compareValues(a: Fmt, va: bigint, b: Fmt, vb: bigint): '<' | '=' | '>' {
  const f = Math.max(fracBits(a), fracBits(b));
  const xa = va << BigInt(f - fracBits(a));
  const xb = vb << BigInt(f - fracBits(b));
  return xa < xb ? '<' : xa > xb ? '>' : '=';
}

/** x << n and x >> n in x's own type (negative n shifts the other way). Patterns. */
export function shiftPatterns(f: Fmt, v: bigint, n: number): [bigint, bigint] {
  const shl = (k: number) => patternOf(f.w, v << BigInt(k));
  const shr = (k: number) => patternOf(f.w, v >> BigInt(k));
  return n >= 0 ? [shl(n), shr(n)] : [shr(-n), shl(-n)];
}

/** Exact decimal text of v * 2^-F (v/2^F = v*5^F/10^F), as to_string(10) prints it. */
export function decimal(v: bigint, f: number): string {
  const neg = v < 0n;
  const m = neg ? -v : v;
  const ip = m >> BigInt(f);
  const frac = m & (pow2(f) - 1n);
  let s = ip.toString();
  if (frac !== 0n) s += '.' + (frac * 5n ** BigInt(f)).toString().padStart(f, '0').replace(/0+$/, '');
  return (neg ? '-' : '') + s;
}

/** Bits of the double nearest to v * 2^-F (round to nearest even, like a C conversion). */
export function toDoubleBits(v: bigint, f: number): bigint {
  const d = Number(v) * 2 ** -f;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, d);
  return view.getBigUint64(0);
}
