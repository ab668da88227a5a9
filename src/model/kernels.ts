/**
 * The hot loops of the reference model as a WebAssembly (SIMD) module assembled here at load time
 * (about 2 KB; no toolchain, no binary in the repository), with plain-JS twins used when the runtime
 * has no WebAssembly SIMD or UBIMOE_NO_WASM is set (the tests pin each pair to the same bits).
 * Every pointer is a byte offset into the memory the module imports (env.memory).
 *
 * gemm(x, ldx, w, wStep, wPanel, b, y, ldy, rows, inDim, outDim, xt)
 *   y[r·ldy + o] = f32( Σ_{i=0..inDim-1} f64(x[r·ldx + i])·f64(W[o][i])  (+ b[o]) )
 *   - x: float32 rows, row stride `ldx` (elements).
 *   - W in panels of 4 outputs: W[4j+k][i] is the float32 at w + j·wPanel + i·wStep + k·4. Packed
 *     weights (`pack`, `packPanels`) have wStep = 16 and wPanel = inDim·16; a row-major matrix whose
 *     rows are the inputs (v in A·v) is read in place with wStep = its row stride and wPanel = 16.
 *     Outputs past outDim in the last panel are computed and never stored.
 *   - b: float64 bias per output (padded to a multiple of 4), or 0 for none.
 *   - y: float32 rows, row stride `ldy`; only the outDim outputs of each row are written.
 *   - xt: 4·inDim float64 of scratch (a tile of x converted to float64, interleaved by row).
 *   Each output is the float64 sum of the exact float32×float32 products in the order i = 0, 1, …,
 *   then + bias, then rounded to float32: multiply and add separately (no fused multiply-add), the
 *   operations of `linear` in ops.ts in its order, so both give the same bits. Lanes run 2 outputs
 *   side by side (f64x2); tiles are 4 rows × 4 outputs (8 accumulators), then 1 row at a time.
 *
 * gelu(a, n, table): a[i] = f32(GELU(a[i])) for n float32 values; erf as ops.ts `erf` (the same
 *   float64 operations in the same order, its coefficient table ERF_COEFFS copied to `table`).
 *
 * softmax(src, dst, rows, n, scale, tmp): per row of n float32 values, the softmax of src·scale
 *   (float64, max-subtracted, exp computed once per value) rounded to float32 into dst; tmp holds n
 *   float64. exp is a transcription of fdlibm's __ieee754_exp (FreeBSD msun e_exp.c, as V8's
 *   base::ieee754::exp behind Math.exp), so the result is ops.ts `softmax` of the scaled row bit
 *   for bit (the test compares exp with Math.exp on millions of arguments).
 *
 * pack(src, ld, outDim, inDim, dst): dst = the panel layout of the outDim × inDim matrix at src (row
 *   stride ld elements); padded lanes are left as they are.
 */
import {
  ERF_COEFFS,
  ERF_CUTOFF,
  ERF_DEGREE,
  ERF_SEG_WIDTH,
  geluInPlace,
  softmax as jsSoftmax,
} from './ops.js';

/** The last erf segment (lanes beyond the cutoff read its coefficients and discard the result). */
const ERF_SEGMENTS_LAST = ERF_COEFFS.length / (ERF_DEGREE + 1) - 1;

export { ERF_COEFFS };

// ---------------------------------------------------------------------------------------------
// A minimal WebAssembly assembler: functions over i32 pointers, f64 scalars and v128 values.

type Code = number[];
const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;

function uleb(n: number): Code {
  const out: Code = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

function sleb(n: number): Code {
  const out: Code = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const cat = (...parts: Code[]): Code => parts.flat();
const name = (s: string): Code => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const vec = (items: Code[]): Code => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: Code): Code => [id, ...uleb(body.length), ...body];

// control
const block = (...body: Code[]): Code => [0x02, 0x40, ...body.flat(), 0x0b];
const loop = (...body: Code[]): Code => [0x03, 0x40, ...body.flat(), 0x0b];
const ifThen = (...then: Code[]): Code => [0x04, 0x40, ...then.flat(), 0x0b];
const ifElse = (then: Code[], otherwise: Code[], result = 0x40): Code => [
  0x04,
  result,
  ...then.flat(),
  0x05,
  ...otherwise.flat(),
  0x0b,
];
const br = (depth: number): Code => [0x0c, ...uleb(depth)];
const brIf = (depth: number): Code => [0x0d, ...uleb(depth)];
const RETURN: Code = [0x0f];
const call = (f: number): Code => [0x10, ...uleb(f)];
const SELECT: Code = [0x1b];
/** `for (; get(i) < get(end); i += step) body` (signed compare; body may not branch out). */
const forLt = (i: number, end: Code, step: Code, ...body: Code[]): Code =>
  block(loop(get(i), end, GE_S, brIf(1), ...body, get(i), step, ADD, set(i), br(0)));

// locals and constants
const get = (i: number): Code => [0x20, ...uleb(i)];
const set = (i: number): Code => [0x21, ...uleb(i)];
const tee = (i: number): Code => [0x22, ...uleb(i)];
const i32 = (n: number): Code => [0x41, ...sleb(n)];
const f64 = (v: number): Code => [0x44, ...new Uint8Array(new Float64Array([v]).buffer)];

// i32 / i64
const ADD: Code = [0x6a];
const SUB: Code = [0x6b];
const MUL: Code = [0x6c];
const AND: Code = [0x71];
const OR: Code = [0x72];
const SHL: Code = [0x74];
const SHR_U: Code = [0x76];
const EQZ: Code = [0x45];
const LT_U: Code = [0x49];
const GT_S: Code = [0x4a];
const GT_U: Code = [0x4b];
const GE_S: Code = [0x4e];
const GE_U: Code = [0x4f];
const I64_SHL: Code = [0x86];
const I64_SHR_U: Code = [0x88];
const I32_WRAP_I64: Code = [0xa7];
const I64_EXTEND_I32_U: Code = [0xad];
const I64_REINTERPRET_F64: Code = [0xbd];
const F64_REINTERPRET_I64: Code = [0xbf];

// memory
const memarg = (alignLog2: number, offset: number): Code => [...uleb(alignLog2), ...uleb(offset)];
const F32_LOAD = (offset = 0): Code => [0x2a, ...memarg(2, offset)];
const F64_LOAD = (offset = 0): Code => [0x2b, ...memarg(3, offset)];
const F32_STORE = (offset = 0): Code => [0x38, ...memarg(2, offset)];
const F64_STORE = (offset = 0): Code => [0x39, ...memarg(3, offset)];

// f64
const F64_EQ: Code = [0x61];
const F64_NE: Code = [0x62];
const F64_LT: Code = [0x63];
const F64_GT: Code = [0x64];
const F64_ABS: Code = [0x99];
const F64_NEG: Code = [0x9a];
const F64_FLOOR: Code = [0x9c];
const F64_ADD: Code = [0xa0];
const F64_SUB: Code = [0xa1];
const F64_MUL: Code = [0xa2];
const F64_DIV: Code = [0xa3];
const F64_COPYSIGN: Code = [0xa6];
const I32_TRUNC_F64_S: Code = [0xaa];
const F32_DEMOTE_F64: Code = [0xb6];
const F64_CONVERT_I32_S: Code = [0xb7];
const F64_PROMOTE_F32: Code = [0xbb];

// SIMD (prefix 0xfd, then the opcode as LEB128)
const simd = (op: number, ...imm: number[]): Code => [0xfd, ...uleb(op), ...imm];
const V128_LOAD = (offset = 0): Code => simd(0x00, ...memarg(3, offset));
const V128_STORE = (offset = 0): Code => simd(0x0b, ...memarg(2, offset));
const LOAD64_SPLAT = (offset = 0): Code => simd(0x0a, ...memarg(3, offset));
const LOAD64_ZERO = (offset = 0): Code => simd(0x5d, ...memarg(3, offset));
const V128_ZERO: Code = simd(0x0c, ...new Array<number>(16).fill(0));
const F32X4_EXTRACT = (lane: number): Code => simd(0x1f, lane);
const F32X4_DEMOTE_F64X2_ZERO: Code = simd(0x5e);
const F64X2_PROMOTE_LOW_F32X4: Code = simd(0x5f);
const F64X2_ADD: Code = simd(0xf0);
const F64X2_SUB: Code = simd(0xf1);
const F64X2_MUL: Code = simd(0xf2);
const F64X2_ABS: Code = simd(0xec);
const F64X2_NEG: Code = simd(0xed);
const F64X2_FLOOR: Code = simd(0x75);
const F64X2_LT: Code = simd(0x49);
const F64X2_NE: Code = simd(0x48);
const V128_BITSELECT: Code = simd(0x52);
const I32X4_TRUNC_SAT_F64X2_S_ZERO: Code = simd(0xfc);
const I32X4_MIN_S: Code = simd(0xb6);
const I32X4_EXTRACT = (lane: number): Code => simd(0x1b, lane);
const LOAD64_LANE = (lane: number, offset = 0): Code => simd(0x57, ...memarg(3, offset), lane);
const STORE64_LANE = (lane: number, offset = 0): Code => simd(0x5b, ...memarg(3, offset), lane);
const f64x2 = (v: number): Code => simd(0x0c, ...new Uint8Array(new Float64Array([v, v]).buffer));
const i64x2 = (lo: bigint): Code => simd(0x0c, ...new Uint8Array(new BigInt64Array([lo, lo]).buffer));
// [a0 a1 _ _], [b0 b1 _ _] -> [a0 a1 b0 b1]
const JOIN_LOW_HALVES: Code = simd(0x0d, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);

/** A function under construction: its parameters are locals 0..n-1, `local` adds more. */
class Func {
  private readonly locals: Code[] = [];
  private next: number;

  constructor(
    readonly params: number[],
    readonly results: number[],
  ) {
    this.next = params.length;
  }

  local(type: number): number {
    this.locals.push([1, type]);
    return this.next++;
  }

  type(): Code {
    return cat([0x60], vec(this.params.map((t) => [t])), vec(this.results.map((t) => [t])));
  }

  body(code: Code): Code {
    const body = cat(vec(this.locals), code, [0x0b]);
    return [...uleb(body.length), ...body];
  }
}

// ---------------------------------------------------------------------------------------------

function gemmFunc(): { f: Func; code: Code } {
  const f = new Func(new Array<number>(12).fill(I32), []);
  const [X, LDX, W, WSTEP, WPANEL, B, Y, LDY, ROWS, IN, OUT, XT] = f.params.map((_, i) => i);
  const r = f.local(I32); // first row of the tile
  const k = f.local(I32);
  const p = f.local(I32); // first output of the panel
  const pw = f.local(I32); // panel pointer, advances wStep bytes per input
  const xs = f.local(I32); // tile pointer, advances R·8 bytes per input
  const xsEnd = f.local(I32);
  const yp = f.local(I32);
  const rem = f.local(I32);
  const wl = f.local(V128);
  const wh = f.local(V128);
  const xv = f.local(V128);
  const v = f.local(V128);
  const acc: [number, number][] = Array.from({ length: 4 }, () => [f.local(V128), f.local(V128)]);

  /** Rows r..r+R-1 (r + R <= rows), every panel. */
  const tile = (R: number): Code => {
    const a = acc.slice(0, R);
    return cat(
      // the tile of x as float64, interleaved: xt[k·R + rr] = x[(r + rr)·ldx + k]
      i32(0),
      set(k),
      forLt(
        k,
        get(IN),
        i32(1),
        ...Array.from({ length: R }, (_, rr) =>
          cat(
            get(XT),
            get(k),
            i32(R * 8),
            MUL,
            ADD,
            get(X),
            get(r),
            i32(rr),
            ADD,
            get(LDX),
            MUL,
            get(k),
            ADD,
            i32(2),
            SHL,
            ADD,
            F32_LOAD(),
            F64_PROMOTE_F32,
            F64_STORE(rr * 8),
          ),
        ),
      ),
      get(XT),
      get(IN),
      i32(R * 8),
      MUL,
      ADD,
      set(xsEnd),
      i32(0),
      set(p),
      forLt(
        p,
        get(OUT),
        i32(4),
        // pw = w + (p/4)·wPanel
        get(W),
        get(p),
        i32(2),
        [0x75], // i32.shr_s
        get(WPANEL),
        MUL,
        ADD,
        set(pw),
        get(XT),
        set(xs),
        ...a.map(([lo, hi]) => cat(V128_ZERO, set(lo), V128_ZERO, set(hi))),
        block(
          loop(
            get(xs),
            get(xsEnd),
            GE_S,
            brIf(1),
            get(pw),
            LOAD64_ZERO(0),
            F64X2_PROMOTE_LOW_F32X4,
            set(wl),
            get(pw),
            LOAD64_ZERO(8),
            F64X2_PROMOTE_LOW_F32X4,
            set(wh),
            ...a.map(([lo, hi], rr) =>
              cat(
                get(xs),
                LOAD64_SPLAT(rr * 8),
                set(xv),
                get(lo),
                get(xv),
                get(wl),
                F64X2_MUL,
                F64X2_ADD,
                set(lo),
                get(hi),
                get(xv),
                get(wh),
                F64X2_MUL,
                F64X2_ADD,
                set(hi),
              ),
            ),
            get(pw),
            get(WSTEP),
            ADD,
            set(pw),
            get(xs),
            i32(R * 8),
            ADD,
            set(xs),
            br(0),
          ),
        ),
        // + bias (float64, after the sum)
        get(B),
        ifThen(
          ...a.map(([lo, hi]) =>
            cat(
              get(lo),
              get(B),
              get(p),
              i32(3),
              SHL,
              ADD,
              V128_LOAD(0),
              F64X2_ADD,
              set(lo),
              get(hi),
              get(B),
              get(p),
              i32(3),
              SHL,
              ADD,
              V128_LOAD(16),
              F64X2_ADD,
              set(hi),
            ),
          ),
        ),
        // store the outputs p..min(p+4, outDim) of each row, rounded to float32
        get(OUT),
        get(p),
        SUB,
        set(rem),
        ...a.map(([lo, hi], rr) =>
          cat(
            get(Y),
            get(r),
            i32(rr),
            ADD,
            get(LDY),
            MUL,
            get(p),
            ADD,
            i32(2),
            SHL,
            ADD,
            set(yp),
            get(lo),
            F32X4_DEMOTE_F64X2_ZERO,
            get(hi),
            F32X4_DEMOTE_F64X2_ZERO,
            JOIN_LOW_HALVES,
            set(v),
            get(rem),
            i32(4),
            GE_S,
            ifElse(
              [get(yp), get(v), V128_STORE()],
              [
                get(yp),
                get(v),
                F32X4_EXTRACT(0),
                F32_STORE(),
                get(rem),
                i32(1),
                GT_S,
                ifThen(get(yp), get(v), F32X4_EXTRACT(1), F32_STORE(4)),
                get(rem),
                i32(2),
                GT_S,
                ifThen(get(yp), get(v), F32X4_EXTRACT(2), F32_STORE(8)),
              ],
            ),
          ),
        ),
      ),
    );
  };

  /** while (r + R <= rows) { tile(R); r += R } */
  const rowLoop = (R: number): Code =>
    block(loop(get(r), i32(R), ADD, get(ROWS), GT_S, brIf(1), tile(R), get(r), i32(R), ADD, set(r), br(0)));

  return { f, code: cat(i32(0), set(r), rowLoop(4), rowLoop(1)) };
}

function geluFunc(): { f: Func; code: Code } {
  const f = new Func([I32, I32, I32], []);
  const [A, NN, TABLE] = [0, 1, 2];
  const p = f.local(I32);
  const end = f.local(I32);
  const base = f.local(I32);
  const base1 = f.local(I32);
  const x = f.local(F64);
  const z = f.local(F64);
  const ax = f.local(F64);
  const seg = f.local(F64);
  const t = f.local(F64);
  const r = f.local(F64);
  const vx = f.local(V128);
  const vz = f.local(V128);
  const vax = f.local(V128);
  const vseg = f.local(V128);
  const vt = f.local(V128);
  const vr = f.local(V128);
  const vi = f.local(V128);
  const W = ERF_SEG_WIDTH;
  // v / W: W is a power of two (1/8), so v·(1/W) gives the same bits and a multiply is much cheaper
  const inv = 1 / W;
  const exact = Number.isInteger(Math.log2(W)) && inv * W === 1;
  const divW: Code[] = exact ? [f64(inv), F64_MUL] : [f64(W), F64_DIV];
  const divW2: Code[] = exact ? [f64x2(inv), F64X2_MUL] : [f64x2(W), simd(0xf3)];
  const rowBytes = (ERF_DEGREE + 1) * 8;

  // one value at p (the scalar tail): ops.ts gelu, operation for operation
  const horner: Code[] = [get(base), F64_LOAD(ERF_DEGREE * 8), set(r)];
  for (let j = ERF_DEGREE - 1; j >= 0; j--)
    horner.push(get(r), get(t), F64_MUL, get(base), F64_LOAD(j * 8), F64_ADD, set(r));
  const scalar = cat(
    get(p),
    F32_LOAD(),
    F64_PROMOTE_F32,
    tee(x),
    f64(Math.SQRT1_2),
    F64_MUL,
    tee(z),
    F64_ABS,
    set(ax),
    // a[p] = 0.5·x·(1 + erf(z))
    get(p),
    f64(0.5),
    get(x),
    F64_MUL,
    f64(1),
    get(ax),
    f64(ERF_CUTOFF),
    F64_LT,
    ifElse(
      [
        // seg = floor(ax / W); t = 2·(ax − seg·W)/W − 1; erf = ±poly_seg(t)
        get(ax),
        ...divW,
        F64_FLOOR,
        tee(seg),
        I32_TRUNC_F64_S,
        i32(rowBytes),
        MUL,
        get(TABLE),
        ADD,
        set(base),
        f64(2),
        get(ax),
        get(seg),
        f64(W),
        F64_MUL,
        F64_SUB,
        F64_MUL,
        ...divW,
        f64(1),
        F64_SUB,
        set(t),
        ...horner,
        get(r),
        F64_NEG,
        get(r),
        get(z),
        f64(0),
        F64_LT,
        SELECT,
      ],
      // beyond the cutoff: ±1 (NaN stays NaN)
      [get(z), f64(1), get(z), F64_COPYSIGN, get(z), get(z), F64_NE, SELECT],
      F64,
    ),
    F64_ADD,
    F64_MUL,
    F32_DEMOTE_F64,
    F32_STORE(),
  );

  // two values at p, one per f64x2 lane, each lane doing the scalar operations; a lane beyond the
  // cutoff evaluates the last segment's polynomial and discards it
  const coeff = (j: number): Code => cat(get(base1), get(base), LOAD64_SPLAT(j * 8), LOAD64_LANE(1, j * 8));
  const vhorner: Code[] = [coeff(ERF_DEGREE), set(vr)];
  for (let j = ERF_DEGREE - 1; j >= 0; j--)
    vhorner.push(get(vr), get(vt), F64X2_MUL, coeff(j), F64X2_ADD, set(vr));
  const SIGN = 0x8000000000000000n;
  const pair = cat(
    get(p),
    LOAD64_ZERO(),
    F64X2_PROMOTE_LOW_F32X4,
    tee(vx),
    f64x2(Math.SQRT1_2),
    F64X2_MUL,
    tee(vz),
    F64X2_ABS,
    tee(vax),
    ...divW2,
    F64X2_FLOOR,
    tee(vseg),
    I32X4_TRUNC_SAT_F64X2_S_ZERO,
    simd(0x0c, ...new Uint8Array(new Int32Array([ERF_SEGMENTS_LAST, ERF_SEGMENTS_LAST, 0, 0]).buffer)),
    I32X4_MIN_S,
    set(vi),
    get(vi),
    I32X4_EXTRACT(0),
    i32(rowBytes),
    MUL,
    get(TABLE),
    ADD,
    set(base),
    get(vi),
    I32X4_EXTRACT(1),
    i32(rowBytes),
    MUL,
    get(TABLE),
    ADD,
    set(base1),
    f64x2(2),
    get(vax),
    get(vseg),
    f64x2(W),
    F64X2_MUL,
    F64X2_SUB,
    F64X2_MUL,
    ...divW2,
    f64x2(1),
    F64X2_SUB,
    set(vt),
    ...vhorner,
    // the polynomial's sign: z < 0 ? −r : r
    get(vr),
    F64X2_NEG,
    get(vr),
    get(vz),
    f64x2(0),
    F64X2_LT,
    V128_BITSELECT,
    set(vr),
    // beyond the cutoff: NaN ? z : copysign(1, z)
    get(vz),
    f64x2(1),
    i64x2(SIGN),
    V128_BITSELECT,
    set(vt),
    get(vz),
    get(vt),
    get(vz),
    get(vz),
    F64X2_NE,
    V128_BITSELECT,
    set(vt),
    // erf = ax < cutoff ? poly : tail; a[p..p+1] = f32(0.5·x·(1 + erf))
    get(p),
    f64x2(0.5),
    get(vx),
    F64X2_MUL,
    f64x2(1),
    get(vr),
    get(vt),
    get(vax),
    f64x2(ERF_CUTOFF),
    F64X2_LT,
    V128_BITSELECT,
    F64X2_ADD,
    F64X2_MUL,
    F32X4_DEMOTE_F64X2_ZERO,
    STORE64_LANE(0),
  );
  const code = cat(
    get(A),
    set(p),
    get(A),
    get(NN),
    i32(2),
    SHL,
    ADD,
    set(end),
    block(loop(get(p), i32(8), ADD, get(end), GT_S, brIf(1), pair, get(p), i32(8), ADD, set(p), br(0))),
    forLt(p, get(end), i32(4), scalar),
  );
  return { f, code };
}

/** fdlibm __ieee754_exp (FreeBSD msun e_exp.c, as in V8's base/ieee754.cc), line by line. */
function expFunc(): { f: Func; code: Code } {
  const f = new Func([F64], [F64]);
  const X = 0;
  const hx = f.local(I32);
  const xsb = f.local(I32);
  const k = f.local(I32);
  const hi = f.local(F64);
  const lo = f.local(F64);
  const t = f.local(F64);
  const c = f.local(F64);
  const y = f.local(F64);
  const twopk = f.local(F64);
  const ln2HI = 6.9314718036912381649e-1;
  const ln2LO = 1.90821492927058770002e-10;
  const P1 = 1.66666666666666019037e-1;
  const P2 = -2.77777777770155933842e-3;
  const P3 = 6.61375632143793436117e-5;
  const P4 = -1.6533902205465251539e-6;
  const P5 = 4.13813679705723846039e-8;
  const twom1000 = 9.3326361850321887899e-302;
  const two1023 = 8.988465674311579539e307;
  const bits = cat(get(X), I64_REINTERPRET_F64);
  /** INSERT_WORDS(twopk, 0x3ff00000 + (kk << 20), 0) */
  const setTwopk = (kk: Code): Code =>
    cat(
      i32(0x3ff00000),
      kk,
      i32(20),
      SHL,
      ADD,
      I64_EXTEND_I32_U,
      [0x42, 32],
      I64_SHL,
      F64_REINTERPRET_I64,
      set(twopk),
    );
  const code = cat(
    bits,
    [0x42, 32], // i64.const 32
    I64_SHR_U,
    I32_WRAP_I64,
    tee(hx),
    i32(31),
    SHR_U,
    set(xsb),
    get(hx),
    i32(0x7fffffff),
    AND,
    set(hx),
    // non-finite and huge arguments
    get(hx),
    i32(0x40862e42),
    GE_U,
    ifThen(
      get(hx),
      i32(0x7ff00000),
      GE_U,
      ifThen(
        get(hx),
        i32(0xfffff),
        AND,
        bits,
        I32_WRAP_I64,
        OR,
        ifThen(get(X), get(X), F64_ADD, RETURN), // NaN
        get(xsb),
        EQZ,
        ifElse([get(X)], [f64(0)], F64),
        RETURN, // exp(+-inf) = {inf, 0}
      ),
      get(X),
      f64(7.09782712893383973096e2),
      F64_GT,
      ifThen(f64(Infinity), RETURN), // overflow
      get(X),
      f64(-7.4513321910194110842e2),
      F64_LT,
      ifThen(f64(twom1000 * twom1000), RETURN), // underflow
    ),
    // argument reduction
    i32(0),
    set(k),
    get(hx),
    i32(0x3fd62e42),
    GT_U,
    ifElse(
      [
        get(hx),
        i32(0x3ff0a2b2),
        LT_U,
        ifElse(
          [
            get(X),
            f64(1),
            F64_EQ,
            ifThen(f64(2.718281828459045), RETURN), // V8 returns E for exp(1)
            get(X),
            f64(-ln2HI),
            f64(ln2HI),
            get(xsb),
            SELECT,
            F64_SUB,
            set(hi),
            f64(-ln2LO),
            f64(ln2LO),
            get(xsb),
            SELECT,
            set(lo),
            i32(1),
            get(xsb),
            SUB,
            get(xsb),
            SUB,
            set(k),
          ],
          [
            f64(1.442695040888963387), // invln2
            get(X),
            F64_MUL,
            f64(-0.5),
            f64(0.5),
            get(xsb),
            SELECT,
            F64_ADD,
            I32_TRUNC_F64_S,
            tee(k),
            F64_CONVERT_I32_S,
            set(t),
            get(X),
            get(t),
            f64(ln2HI),
            F64_MUL,
            F64_SUB,
            set(hi),
            get(t),
            f64(ln2LO),
            F64_MUL,
            set(lo),
          ],
        ),
        get(hi),
        get(lo),
        F64_SUB,
        set(X),
      ],
      [
        get(hx),
        i32(0x3e300000),
        LT_U,
        ifThen(f64(1), get(X), F64_ADD, RETURN), // |x| < 2^-28
      ],
    ),
    // x is now in the primary range
    get(X),
    get(X),
    F64_MUL,
    set(t),
    get(k),
    i32(-1021),
    [0x4e], // i32.ge_s
    ifElse([setTwopk(get(k))], [setTwopk(cat(get(k), i32(1000), ADD))]),
    // c = x − t·(P1 + t·(P2 + t·(P3 + t·(P4 + t·P5))))
    get(X),
    get(t),
    f64(P1),
    get(t),
    f64(P2),
    get(t),
    f64(P3),
    get(t),
    f64(P4),
    get(t),
    f64(P5),
    F64_MUL,
    F64_ADD,
    F64_MUL,
    F64_ADD,
    F64_MUL,
    F64_ADD,
    F64_MUL,
    F64_ADD,
    F64_MUL,
    F64_SUB,
    set(c),
    get(k),
    EQZ,
    ifThen(
      // 1 − ((x·c)/(c − 2) − x)
      f64(1),
      get(X),
      get(c),
      F64_MUL,
      get(c),
      f64(2),
      F64_SUB,
      F64_DIV,
      get(X),
      F64_SUB,
      F64_SUB,
      RETURN,
    ),
    // y = 1 − ((lo − (x·c)/(2 − c)) − hi)
    f64(1),
    get(lo),
    get(X),
    get(c),
    F64_MUL,
    f64(2),
    get(c),
    F64_SUB,
    F64_DIV,
    F64_SUB,
    get(hi),
    F64_SUB,
    F64_SUB,
    set(y),
    get(k),
    i32(-1021),
    [0x4e], // i32.ge_s
    ifElse(
      [
        get(k),
        i32(1024),
        [0x46], // i32.eq
        ifThen(get(y), f64(2), F64_MUL, f64(two1023), F64_MUL, RETURN),
        get(y),
        get(twopk),
        F64_MUL,
      ],
      [get(y), get(twopk), F64_MUL, f64(twom1000), F64_MUL],
      F64,
    ),
  );
  return { f, code };
}

function softmaxFunc(expIndex: number): { f: Func; code: Code } {
  const f = new Func([I32, I32, I32, I32, F64, I32], []);
  const [SRC, DST, ROWS, NN, SCALE, TMP] = [0, 1, 2, 3, 4, 5];
  const i = f.local(I32);
  const j = f.local(I32);
  const sp = f.local(I32); // row pointers
  const dp = f.local(I32);
  const tEnd = f.local(I32);
  const max = f.local(F64);
  const sum = f.local(F64);
  const v = f.local(F64);
  const code = cat(
    get(TMP),
    get(NN),
    i32(3),
    SHL,
    ADD,
    set(tEnd),
    get(SRC),
    set(sp),
    get(DST),
    set(dp),
    i32(0),
    set(i),
    forLt(
      i,
      get(ROWS),
      i32(1),
      // tmp[j] = src[j]·scale, max
      f64(-Infinity),
      set(max),
      get(TMP),
      set(j),
      forLt(
        j,
        get(tEnd),
        i32(8),
        get(j),
        get(sp),
        get(j),
        get(TMP),
        SUB,
        i32(1),
        [0x76], // i32.shr_u: (j − tmp)/2 = the float32 offset
        ADD,
        F32_LOAD(),
        F64_PROMOTE_F32,
        get(SCALE),
        F64_MUL,
        tee(v),
        F64_STORE(),
        get(v),
        get(max),
        get(v),
        get(max),
        F64_GT,
        SELECT,
        set(max),
      ),
      // tmp[j] = exp(tmp[j] − max), sum
      f64(0),
      set(sum),
      get(TMP),
      set(j),
      forLt(
        j,
        get(tEnd),
        i32(8),
        get(j),
        get(j),
        F64_LOAD(),
        get(max),
        F64_SUB,
        call(expIndex),
        tee(v),
        F64_STORE(),
        get(sum),
        get(v),
        F64_ADD,
        set(sum),
      ),
      // dst[j] = f32(tmp[j] / sum)
      get(TMP),
      set(j),
      forLt(
        j,
        get(tEnd),
        i32(8),
        get(dp),
        get(j),
        get(TMP),
        SUB,
        i32(1),
        [0x76],
        ADD,
        get(j),
        F64_LOAD(),
        get(sum),
        F64_DIV,
        F32_DEMOTE_F64,
        F32_STORE(),
      ),
      get(sp),
      get(NN),
      i32(2),
      SHL,
      ADD,
      set(sp),
      get(dp),
      get(NN),
      i32(2),
      SHL,
      ADD,
      set(dp),
    ),
  );
  return { f, code };
}

function packFunc(): { f: Func; code: Code } {
  const f = new Func([I32, I32, I32, I32, I32], []);
  const [SRC, LD, OUT, IN, DST] = [0, 1, 2, 3, 4];
  const o = f.local(I32);
  const i = f.local(I32);
  const s = f.local(I32);
  const d = f.local(I32);
  const code = cat(
    i32(0),
    set(o),
    forLt(
      o,
      get(OUT),
      i32(1),
      // s = src + o·ld·4; d = dst + ((o >> 2)·inDim·4 + (o & 3))·4
      get(SRC),
      get(o),
      get(LD),
      MUL,
      i32(2),
      SHL,
      ADD,
      set(s),
      get(DST),
      get(o),
      i32(2),
      [0x75], // i32.shr_s
      get(IN),
      MUL,
      i32(4),
      SHL,
      ADD,
      get(o),
      i32(3),
      AND,
      i32(2),
      SHL,
      ADD,
      set(d),
      i32(0),
      set(i),
      forLt(
        i,
        get(IN),
        i32(1),
        get(d),
        get(s),
        F32_LOAD(),
        F32_STORE(),
        get(s),
        i32(4),
        ADD,
        set(s),
        get(d),
        i32(16),
        ADD,
        set(d),
      ),
    ),
  );
  return { f, code };
}

/**
 * add(dst, src, n): dst[i] = f32(dst[i] + src[i]). A float32 sum rounded once equals JS's float64 sum
 * of the two float32 values rounded to float32 (53 ≥ 2·24 + 2 bits: the double rounding is exact).
 */
function addFunc(): { f: Func; code: Code } {
  const f = new Func([I32, I32, I32], []);
  const [DST, SRC, NN] = [0, 1, 2];
  const i = f.local(I32);
  const end = f.local(I32);
  const F32X4_ADD = simd(0xe4);
  const F32_ADD: Code = [0x92];
  const at = (base: number) => cat(get(base), get(i), ADD);
  return {
    f,
    code: cat(
      get(NN),
      i32(2),
      SHL,
      set(end),
      i32(0),
      set(i),
      block(
        loop(
          get(i),
          i32(16),
          ADD,
          get(end),
          GT_S,
          brIf(1),
          at(DST),
          at(DST),
          V128_LOAD(),
          at(SRC),
          V128_LOAD(),
          F32X4_ADD,
          V128_STORE(),
          get(i),
          i32(16),
          ADD,
          set(i),
          br(0),
        ),
      ),
      forLt(i, get(end), i32(4), at(DST), at(DST), F32_LOAD(), at(SRC), F32_LOAD(), F32_ADD, F32_STORE()),
    ),
  };
}

/** The module: imports its memory as env.memory; exports gemm, gelu, softmax, pack, add and exp. */
export function kernelModuleBytes(): Uint8Array<ArrayBuffer> {
  // function indices: 0 gemm, 1 gelu, 2 exp, 3 softmax, 4 pack, 5 add
  const fns = [gemmFunc(), geluFunc(), expFunc(), softmaxFunc(2), packFunc(), addFunc()];
  const exports = ['gemm', 'gelu', 'exp', 'softmax', 'pack', 'add'];
  return new Uint8Array(
    cat(
      [0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
      section(1, vec(fns.map((x) => x.f.type()))),
      section(2, vec([cat(name('env'), name('memory'), [0x02, 0x00], uleb(1))])),
      section(3, vec(fns.map((_, i) => uleb(i)))),
      section(7, vec(exports.map((e, i) => cat(name(e), [0x00], uleb(i))))),
      section(10, vec(fns.map((x) => x.f.body(x.code)))),
    ),
  );
}

// ---------------------------------------------------------------------------------------------

export type GemmFn = (
  x: number,
  ldx: number,
  w: number,
  wStep: number,
  wPanel: number,
  b: number,
  y: number,
  ldy: number,
  rows: number,
  inDim: number,
  outDim: number,
  xt: number,
) => void;
export type GeluFn = (a: number, n: number, table: number) => void;
export type SoftmaxFn = (
  src: number,
  dst: number,
  rows: number,
  n: number,
  scale: number,
  tmp: number,
) => void;
export type PackFn = (src: number, ld: number, outDim: number, inDim: number, dst: number) => void;
export type AddFn = (dst: number, src: number, n: number) => void;

export interface Kernels {
  gemm: GemmFn;
  gelu: GeluFn;
  softmax: SoftmaxFn;
  pack: PackFn;
  add: AddFn;
  /** exp(x) as Math.exp computes it (the wasm transcription, or Math.exp itself). */
  exp: (x: number) => number;
  /** True when these are the WebAssembly SIMD kernels, false for the JS twins. */
  simd: boolean;
}

let compiled: WebAssembly.Module | null | undefined;

/** The compiled module, or null when this runtime has no WebAssembly SIMD (or UBIMOE_NO_WASM is set). */
function kernelModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    const bytes = kernelModuleBytes();
    compiled =
      !process.env.UBIMOE_NO_WASM && typeof WebAssembly === 'object' && WebAssembly.validate(bytes)
        ? new WebAssembly.Module(bytes)
        : null;
  }
  return compiled;
}

/** The kernels over `memory`: the SIMD module when available (and not `preferJs`), else the JS twins. */
export function kernelsOver(memory: WebAssembly.Memory, preferJs = false): Kernels {
  const mod = preferJs ? null : kernelModule();
  if (mod) {
    const e = new WebAssembly.Instance(mod, { env: { memory } }).exports;
    return {
      gemm: e.gemm as GemmFn,
      gelu: e.gelu as GeluFn,
      softmax: e.softmax as SoftmaxFn,
      pack: e.pack as PackFn,
      add: e.add as AddFn,
      exp: e.exp as (x: number) => number,
      simd: true,
    };
  }
  return jsKernels(memory);
}

/** The JS twins: the same layouts, the same operations in the same order (ops.ts where it has them). */
export function jsKernels(memory: WebAssembly.Memory): Kernels {
  let buffer: ArrayBuffer | null = null;
  let f32 = new Float32Array(0);
  let f64 = new Float64Array(0);
  const views = () => {
    if (memory.buffer !== buffer) {
      buffer = memory.buffer;
      f32 = new Float32Array(buffer);
      f64 = new Float64Array(buffer);
    }
  };
  const gemm: GemmFn = (x, ldx, w, wStep, wPanel, b, y, ldy, rows, inDim, outDim) => {
    views();
    const xe = x >> 2;
    const be = b >> 3;
    const ye = y >> 2;
    const step = wStep >> 2;
    for (let r = 0; r < rows; r++) {
      const xr = xe + r * ldx;
      for (let o = 0; o < outDim; o++) {
        const lane = ((w + (o >> 2) * wPanel) >> 2) + (o & 3);
        let a = 0;
        for (let i = 0; i < inDim; i++) a += f32[xr + i] * f32[lane + i * step];
        if (b) a += f64[be + o];
        f32[ye + r * ldy + o] = a;
      }
    }
  };
  let row = new Float64Array(0);
  const softmax: SoftmaxFn = (src, dst, rows, n, scale) => {
    views();
    if (row.length < n) row = new Float64Array(n);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < n; j++) row[j] = f32[(src >> 2) + r * n + j] * scale;
      jsSoftmax(row, f32, n, 0, (dst >> 2) + r * n);
    }
  };
  const pack: PackFn = (src, ld, outDim, inDim, dst) => {
    views();
    for (let o = 0; o < outDim; o++)
      for (let i = 0; i < inDim; i++)
        f32[(dst >> 2) + (o >> 2) * inDim * 4 + i * 4 + (o & 3)] = f32[(src >> 2) + o * ld + i];
  };
  const add: AddFn = (dst, src, n) => {
    views();
    for (let i = 0; i < n; i++) f32[(dst >> 2) + i] += f32[(src >> 2) + i];
  };
  return {
    gemm,
    add,
    gelu: (a, n) => geluInPlace(new Float32Array(memory.buffer, a, n)),
    softmax,
    pack,
    exp: Math.exp,
    simd: false,
  };
}

/**
 * Packs W (outDim × inDim, row-major: `W[o·inDim + i]`, or with `transposed` stored inDim × outDim:
 * `W[i·outDim + o]`) into the panel layout at `dst` (float32 elements, (outDim rounded up to 4) ×
 * inDim of them; padded lanes zero).
 */
export function packPanels(
  dst: Float32Array,
  at: number,
  W: Float32Array,
  wAt: number,
  outDim: number,
  inDim: number,
  transposed = false,
): void {
  // writes in order (panel by panel, input by input, lane by lane); reads 4 rows of W at a time
  const iStep = transposed ? outDim : 1; // between inputs of one output
  const oStep = transposed ? 1 : inDim; // between outputs of one input
  let d = at;
  for (let o = 0; o < outDim; o += 4) {
    const lanes = Math.min(4, outDim - o);
    const r0 = wAt + o * oStep;
    if (lanes === 4) {
      const r1 = r0 + oStep;
      const r2 = r1 + oStep;
      const r3 = r2 + oStep;
      for (let i = 0, s = 0; i < inDim; i++, s += iStep) {
        dst[d] = W[r0 + s];
        dst[d + 1] = W[r1 + s];
        dst[d + 2] = W[r2 + s];
        dst[d + 3] = W[r3 + s];
        d += 4;
      }
    } else
      for (let i = 0, s = 0; i < inDim; i++, s += iStep) {
        for (let k = 0; k < 4; k++) dst[d + k] = k < lanes ? W[r0 + k * oStep + s] : 0;
        d += 4;
      }
  }
}
