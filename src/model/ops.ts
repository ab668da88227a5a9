/**
 * Numerical building blocks of the reference model, on row-major Float32Array storage.
 * Dot products, LayerNorm statistics and softmax sums accumulate in float64 (JS numbers; the
 * product of two float32 values is exact in float64), results are rounded to float32 on store.
 */

// Math functions bound once at module scope: inside Node vm contexts (jest) every global lookup
// in a hot loop goes through the context's interceptors and is many times slower.
const { abs, floor, exp, sqrt, sign, cos, PI, SQRT1_2 } = Math;

// ---------------------------------------------------------------------------------------------
// erf: piecewise polynomials on [0, ERF_CUTOFF], fitted once at module load (Chebyshev
// interpolation of an all-positive power series: no cancellation, float64-accurate), evaluated
// by Horner in t ∈ [-1, 1]; erf(x) = ±1 beyond the cutoff (1 - erf(6) ≈ 2e-17).
// Max abs error ~1e-15 (pinned < 1e-7 by the tests); short segments keep the degree (latency) low.

export const ERF_CUTOFF = 6;
const ERF_SEGMENTS = 48;
export const ERF_DEGREE = 8;
const TWO_OVER_SQRT_PI = 2 / sqrt(PI);

/** erf(x) for x ≥ 0 as 2/√π·e^{-x²}·Σ 2ⁿx^{2n+1}/(2n+1)!!: every term positive. Slow; used to fit. */
export function erfSeries(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 400; n++) {
    term *= (2 * x * x) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return TWO_OVER_SQRT_PI * exp(-x * x) * sum;
}

/** Monomial coefficients (in t ∈ [-1, 1]) of the Chebyshev interpolant of f on [lo, hi]. */
function polyFit(f: (x: number) => number, lo: number, hi: number, degree: number): Float64Array {
  const n = degree + 1;
  const cheb = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) {
      const theta = (PI * (k + 0.5)) / n;
      s += f(lo + ((hi - lo) * (cos(theta) + 1)) / 2) * cos(j * theta);
    }
    cheb[j] = ((j === 0 ? 1 : 2) / n) * s;
  }
  // Σ cheb_j T_j(t) -> Σ mono_i t^i, with T_{j+1} = 2t·T_j - T_{j-1}
  const mono = new Float64Array(n);
  let prev = new Float64Array(n);
  let cur = new Float64Array(n);
  prev[0] = 1; // T_0
  cur[1] = 1; // T_1
  for (let i = 0; i < n; i++) mono[i] += cheb[0] * prev[i];
  if (n > 1) for (let i = 0; i < n; i++) mono[i] += cheb[1] * cur[i];
  for (let j = 2; j < n; j++) {
    const next = new Float64Array(n);
    for (let i = 0; i < n; i++) next[i] = (i > 0 ? 2 * cur[i - 1] : 0) - prev[i];
    for (let i = 0; i < n; i++) mono[i] += cheb[j] * next[i];
    prev = cur;
    cur = next;
  }
  return mono;
}

export const ERF_SEG_WIDTH = ERF_CUTOFF / ERF_SEGMENTS;
/** The polynomial of segment s is ERF_COEFFS[s·(ERF_DEGREE+1) ..] (kernels.ts evaluates the same). */
export const ERF_COEFFS = new Float64Array(ERF_SEGMENTS * (ERF_DEGREE + 1));
for (let s = 0; s < ERF_SEGMENTS; s++)
  ERF_COEFFS.set(
    polyFit(erfSeries, s * ERF_SEG_WIDTH, (s + 1) * ERF_SEG_WIDTH, ERF_DEGREE),
    s * (ERF_DEGREE + 1),
  );

/** The error function, |error| < 1e-7 everywhere (in practice ~1e-15). */
export function erf(x: number): number {
  const ax = abs(x);
  if (!(ax < ERF_CUTOFF)) return Number.isNaN(x) ? NaN : sign(x);
  const seg = floor(ax / ERF_SEG_WIDTH);
  const t = (2 * (ax - seg * ERF_SEG_WIDTH)) / ERF_SEG_WIDTH - 1; // segment mapped to [-1, 1]
  const base = seg * (ERF_DEGREE + 1);
  let r = ERF_COEFFS[base + ERF_DEGREE];
  for (let j = ERF_DEGREE - 1; j >= 0; j--) r = r * t + ERF_COEFFS[base + j];
  return x < 0 ? -r : r;
}

/** Exact (erf) GELU: 0.5·x·(1 + erf(x/√2)). */
export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x * SQRT1_2));
}

/** GELU applied in place to the first `n` values of an array (default: all of it). */
export function geluInPlace(a: Float32Array, n = a.length): void {
  for (let i = 0; i < n; i++) a[i] = gelu(a[i]);
}

// ---------------------------------------------------------------------------------------------

/**
 * Row-wise LayerNorm (biased variance, two-pass in float64): `out[r] = (x[r] - mean)/sqrt(var + eps)·w + b`
 * for `rows` rows of length `dim`. `out` may be `x`.
 */
export function layerNorm(
  x: Float32Array,
  rows: number,
  dim: number,
  weight: Float32Array,
  bias: Float32Array,
  out: Float32Array,
  eps = 1e-6,
): Float32Array {
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let mean = 0;
    for (let i = 0; i < dim; i++) mean += x[o + i];
    mean /= dim;
    let v = 0;
    for (let i = 0; i < dim; i++) {
      const d = x[o + i] - mean;
      v += d * d;
    }
    const inv = 1 / sqrt(v / dim + eps);
    for (let i = 0; i < dim; i++) out[o + i] = (x[o + i] - mean) * inv * weight[i] + bias[i];
  }
  return out;
}

/**
 * Softmax of `n` values starting at `x[offset]`, written to `out[outOffset..]` (max-subtracted,
 * float64 sum). `out` may be `x`.
 */
export function softmax(
  x: ArrayLike<number>,
  out: Float32Array | Float64Array,
  n = x.length,
  offset = 0,
  outOffset = offset,
): void {
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (x[offset + i] > max) max = x[offset + i];
  let sum = 0;
  for (let i = 0; i < n; i++) sum += exp(x[offset + i] - max);
  for (let i = 0; i < n; i++) out[outOffset + i] = exp(x[offset + i] - max) / sum;
}

/**
 * Indices of the `k` largest of `n` values at `x[offset..]`, best first; equal values -> lower
 * index first (so a tie at the k-th place keeps the lower index). Writes them to `out[outOffset..]`.
 */
export function topK(
  x: ArrayLike<number>,
  k: number,
  out: Int32Array,
  n = x.length,
  offset = 0,
  outOffset = 0,
): void {
  for (let j = 0; j < k; j++) {
    let best = -1;
    let bestVal = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = x[offset + i];
      if (v > bestVal || (best < 0 && v === bestVal)) {
        let taken = false;
        for (let q = 0; q < j; q++) if (out[outOffset + q] === i) taken = true;
        if (!taken) {
          best = i;
          bestVal = v;
        }
      }
    }
    out[outOffset + j] = best;
  }
}

/**
 * `y[rows, outDim] = x[rows, inDim] · Wᵀ + b` with `W` stored `[outDim, inDim]` (PyTorch layout),
 * `bias` optional. Register-blocked 2 rows × 4 outputs; float64 accumulation.
 */
export function linear(
  x: Float32Array,
  rows: number,
  inDim: number,
  W: Float32Array,
  outDim: number,
  bias: Float32Array | null,
  y: Float32Array,
): Float32Array {
  let r = 0;
  for (; r + 1 < rows; r += 2) {
    const xa = r * inDim;
    const xb = xa + inDim;
    const ya = r * outDim;
    const yb = ya + outDim;
    let o = 0;
    for (; o + 3 < outDim; o += 4) {
      const w0 = o * inDim;
      const w1 = w0 + inDim;
      const w2 = w1 + inDim;
      const w3 = w2 + inDim;
      let a0 = 0,
        a1 = 0,
        a2 = 0,
        a3 = 0,
        c0 = 0,
        c1 = 0,
        c2 = 0,
        c3 = 0;
      for (let i = 0; i < inDim; i++) {
        const p = x[xa + i];
        const q = x[xb + i];
        const u0 = W[w0 + i];
        const u1 = W[w1 + i];
        const u2 = W[w2 + i];
        const u3 = W[w3 + i];
        a0 += p * u0;
        a1 += p * u1;
        a2 += p * u2;
        a3 += p * u3;
        c0 += q * u0;
        c1 += q * u1;
        c2 += q * u2;
        c3 += q * u3;
      }
      if (bias) {
        const b0 = bias[o],
          b1 = bias[o + 1],
          b2 = bias[o + 2],
          b3 = bias[o + 3];
        a0 += b0;
        a1 += b1;
        a2 += b2;
        a3 += b3;
        c0 += b0;
        c1 += b1;
        c2 += b2;
        c3 += b3;
      }
      y[ya + o] = a0;
      y[ya + o + 1] = a1;
      y[ya + o + 2] = a2;
      y[ya + o + 3] = a3;
      y[yb + o] = c0;
      y[yb + o + 1] = c1;
      y[yb + o + 2] = c2;
      y[yb + o + 3] = c3;
    }
    for (; o < outDim; o++) {
      const w = o * inDim;
      let a = 0;
      let c = 0;
      for (let i = 0; i < inDim; i++) {
        a += x[xa + i] * W[w + i];
        c += x[xb + i] * W[w + i];
      }
      const b = bias ? bias[o] : 0;
      y[ya + o] = a + b;
      y[yb + o] = c + b;
    }
  }
  for (; r < rows; r++) {
    const xa = r * inDim;
    for (let o = 0; o < outDim; o++) {
      const w = o * inDim;
      let a = 0;
      for (let i = 0; i < inDim; i++) a += x[xa + i] * W[w + i];
      y[r * outDim + o] = a + (bias ? bias[o] : 0);
    }
  }
  return y;
}
