/**
 * Comparison of C-simulation outputs with a reference (the float32 model or a tokens file):
 * per-token cosine similarity, relative L2 error, max abs error, and expert-choice agreement.
 * The JSON written to <project>/reports/accuracy.json is `accuracyJson(...)`.
 */

export interface Accuracy {
  images: number;
  cosine: number[]; // per token, all images in order
  cosineMin: number;
  cosineMedian: number;
  relL2: number; // ||out - ref|| / ||ref|| over everything
  maxAbs: number;
  /** Fraction of (image, MoE block, token) whose set of top-k experts equals the reference's; null when unknown. */
  expertAgreement: number | null;
}

export function median(values: number[]): number {
  if (values.some(Number.isNaN)) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Per-token figures of `out` against `ref`, both [rows, dim] flattened (rows = images × tokens). */
export function compareTokens(
  out: Float32Array,
  ref: Float32Array,
  dim: number,
  images: number,
): Omit<Accuracy, 'expertAgreement'> {
  if (out.length !== ref.length) throw new Error(`compareTokens: ${out.length} values vs ${ref.length}`);
  const rows = out.length / dim;
  const cosine: number[] = new Array(rows);
  let diff2 = 0;
  let ref2 = 0;
  let maxAbs = 0;
  for (let r = 0; r < rows; r++) {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let j = r * dim; j < (r + 1) * dim; j++) {
      const a = out[j];
      const b = ref[j];
      ab += a * b;
      aa += a * a;
      bb += b * b;
      const d = Math.abs(a - b);
      diff2 += d * d;
      if (Number.isNaN(d)) maxAbs = NaN; // a NaN output must show, not vanish in a comparison
      else if (d > maxAbs) maxAbs = d;
    }
    ref2 += bb;
    cosine[r] = aa === 0 && bb === 0 ? 1 : aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
  }
  let cosineMin = Infinity; // a loop: Math.min(...cosine) overflows the stack on large batches
  for (const c of cosine) {
    if (Number.isNaN(c)) {
      cosineMin = NaN;
      break;
    }
    if (c < cosineMin) cosineMin = c;
  }
  return {
    images,
    cosine,
    cosineMin,
    cosineMedian: median(cosine),
    relL2: ref2 > 0 ? Math.sqrt(diff2 / ref2) : Math.sqrt(diff2),
    maxAbs,
  };
}

/**
 * Fraction of top-k groups (k consecutive expert ids) that hold the same experts in both, as
 * multisets: order within a group does not matter, and a group that names one expert twice agrees
 * only with a group that does too. Null for a dense model (no groups).
 */
export function expertAgreement(a: Int32Array, b: Int32Array, topK: number): number | null {
  if (a.length !== b.length) throw new Error(`expertAgreement: ${a.length} choices vs ${b.length}`);
  if (!(topK >= 1) || a.length % topK !== 0)
    throw new Error(`expertAgreement: ${a.length} choices are not groups of top-k = ${topK}`);
  if (a.length === 0) return null;
  let same = 0;
  const groups = a.length / topK;
  for (let g = 0; g < groups; g++) {
    const x = Array.from(a.subarray(g * topK, (g + 1) * topK)).sort((p, q) => p - q);
    const y = Array.from(b.subarray(g * topK, (g + 1) * topK)).sort((p, q) => p - q);
    if (x.every((e, i) => e === y[i])) same++;
  }
  return same / groups;
}

/** The reports/accuracy.json document (read by ubimoe report). */
export function accuracyJson(acc: Accuracy, extra: Record<string, unknown>): Record<string, unknown> {
  const round = (v: number) => Number(v.toPrecision(9));
  return {
    images: acc.images,
    ...extra,
    cosine: { per_token: acc.cosine.map(round), min: round(acc.cosineMin), median: round(acc.cosineMedian) },
    rel_l2: round(acc.relL2),
    max_abs: round(acc.maxAbs),
    expert_agreement: acc.expertAgreement === null ? null : round(acc.expertAgreement),
  };
}

/** Two lines for a terminal. */
export function accuracyText(acc: Accuracy): string {
  const ea = acc.expertAgreement === null ? 'n/a' : `${(100 * acc.expertAgreement).toFixed(2)}%`;
  return (
    `per-token cosine: min ${acc.cosineMin.toFixed(6)}, median ${acc.cosineMedian.toFixed(6)} (${acc.cosine.length} tokens)\n` +
    `relative L2 error ${(100 * acc.relL2).toFixed(3)}%, max abs error ${acc.maxAbs.toPrecision(3)}, expert agreement ${ea}\n`
  );
}
