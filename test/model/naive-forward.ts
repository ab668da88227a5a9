/**
 * An independent, deliberately naive float64 re-implementation of MODEL.md's forward pass, for
 * checking src/model/reference.ts (no shared code: its own erf, LayerNorm, softmax, top-k, conv).
 * Plain number[][] arithmetic, written from the spec; slow and only used on the micro preset.
 */
import type { Checkpoint } from '../../src/model/tensor.js';
import type { ModelConfig } from '../../src/model/config.js';

type Mat = number[][];

/** erf: alternating Taylor series below 3, Lentz continued fraction for erfc above. */
export function naiveErf(x: number): number {
  if (x < 0) return -naiveErf(-x);
  if (x < 3) {
    let sum = 0;
    let term = x; // x^(2n+1) (-1)^n / n!
    for (let n = 0; n < 200; n++) {
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-18) break;
      term *= (-x * x) / (n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
  let f = x;
  for (let k = 60; k >= 1; k--) f = x + k / 2 / f;
  return 1 - Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

const naiveGelu = (x: number) => 0.5 * x * (1 + naiveErf(x / Math.SQRT2));

function param(ck: Checkpoint, name: string): number[] {
  const t = ck.get(name);
  if (!t) throw new Error(`missing ${name}`);
  return Array.from(t.data);
}

function rows(flat: number[], r: number, c: number): Mat {
  return Array.from({ length: r }, (_, i) => flat.slice(i * c, (i + 1) * c));
}

/** y = x Wᵀ + b with W given flat as [out, in]. */
function lin(x: Mat, wFlat: number[], out: number, bias?: number[]): Mat {
  const inDim = x[0].length;
  return x.map((row) =>
    Array.from({ length: out }, (_, o) => {
      let s = bias ? bias[o] : 0;
      for (let i = 0; i < inDim; i++) s += row[i] * wFlat[o * inDim + i];
      return s;
    }),
  );
}

function ln(x: Mat, w: number[], b: number[]): Mat {
  return x.map((row) => {
    const mean = row.reduce((a, v) => a + v, 0) / row.length;
    const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / row.length;
    return row.map((v, i) => ((v - mean) / Math.sqrt(variance + 1e-6)) * w[i] + b[i]);
  });
}

function soft(v: number[]): number[] {
  const m = Math.max(...v);
  const e = v.map((a) => Math.exp(a - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((a) => a / s);
}

export interface NaiveResult {
  tokens: number[][][]; // [B][N][D]
  experts: number[][][][]; // [B][moeBlock][N][k]
}

export function naiveForward(
  ck: Checkpoint,
  cfg: ModelConfig,
  images: Float32Array,
  batch: number,
  task: number,
  finalNorm: boolean,
): NaiveResult {
  const D = cfg.embed_dim,
    P = cfg.patch_size,
    C = cfg.in_chans,
    H = cfg.img_h,
    W = cfg.img_w;
  const heads = cfg.num_heads,
    hd = D / heads,
    E = cfg.num_experts,
    K = cfg.top_k ?? 0;
  const Hm = D * cfg.mlp_ratio,
    He = D * (cfg.moe_mlp_ratio ?? 0);
  const out: NaiveResult = { tokens: [], experts: [] };
  for (let b = 0; b < batch; b++) {
    const img = (c: number, y: number, xx: number) => images[((b * C + c) * H + y) * W + xx];
    const convW = param(ck, 'patch_embed.proj.weight');
    const convB = param(ck, 'patch_embed.proj.bias');
    const cls = param(ck, 'cls_token');
    const pos = param(ck, 'pos_embed');
    let x: Mat = [cls.slice()];
    for (let py = 0; py < H / P; py++)
      for (let px = 0; px < W / P; px++) {
        const tok: number[] = [];
        for (let d = 0; d < D; d++) {
          let s = convB[d];
          for (let c = 0; c < C; c++)
            for (let ky = 0; ky < P; ky++)
              for (let kx = 0; kx < P; kx++)
                s += convW[((d * C + c) * P + ky) * P + kx] * img(c, py * P + ky, px * P + kx);
          tok.push(s);
        }
        x.push(tok);
      }
    x = x.map((row, n) => row.map((v, d) => v + pos[n * D + d]));
    const N = x.length;
    const expertsB: number[][][] = [];
    for (let i = 0; i < cfg.depth; i++) {
      const p = (s: string) => param(ck, `blocks.${i}.${s}`);
      const h = ln(x, p('norm1.weight'), p('norm1.bias'));
      const qkv = lin(h, p('attn.qkv.weight'), 3 * D, p('attn.qkv.bias'));
      const o: Mat = Array.from({ length: N }, () => new Array(D).fill(0));
      for (let hh = 0; hh < heads; hh++) {
        const q = qkv.map((r) => r.slice(hh * hd, (hh + 1) * hd));
        const k = qkv.map((r) => r.slice(D + hh * hd, D + (hh + 1) * hd));
        const v = qkv.map((r) => r.slice(2 * D + hh * hd, 2 * D + (hh + 1) * hd));
        for (let a = 0; a < N; a++) {
          const att = soft(k.map((kr) => kr.reduce((s, kv, d) => s + kv * q[a][d], 0) / Math.sqrt(hd)));
          for (let d = 0; d < hd; d++) o[a][hh * hd + d] = att.reduce((s, w, j) => s + w * v[j][d], 0);
        }
      }
      const attnOut = lin(o, p('attn.proj.weight'), D, p('attn.proj.bias'));
      x = x.map((r, n) => r.map((v, d) => v + attnOut[n][d]));
      const h2 = ln(x, p('norm2.weight'), p('norm2.bias'));
      const isMoe = E > 0 && i % (cfg.moe_every ?? 1) === (cfg.moe_every ?? 1) - 1;
      let y: Mat;
      if (!isMoe) {
        const hid = lin(h2, p('mlp.fc1.weight'), Hm, p('mlp.fc1.bias')).map((r) => r.map(naiveGelu));
        y = lin(hid, p('mlp.fc2.weight'), D, p('mlp.fc2.bias'));
      } else {
        const gname = cfg.tasks > 1 ? `mlp.gate.${task}.w_gate` : 'mlp.gate.w_gate';
        const g = p(gname); // [D, E]
        const w1 = p('mlp.experts.htoh4.weight'),
          b1 = p('mlp.experts.htoh4.bias');
        const w2 = p('mlp.experts.h4toh.weight'),
          b2 = p('mlp.experts.h4toh.bias');
        const choices: number[][] = [];
        y = h2.map((row) => {
          const probs = soft(
            Array.from({ length: E }, (_, e) => row.reduce((s, v, d) => s + v * g[d * E + e], 0)),
          );
          // rank by probability, ties -> lower index (a stable sort keeps index order)
          const order = probs.map((pv, e) => ({ pv, e })).sort((a, c) => c.pv - a.pv || a.e - c.e);
          const chosen = order.slice(0, K).map((o2) => o2.e);
          choices.push(chosen);
          const acc = new Array(D).fill(0);
          for (const e of chosen) {
            const hid = lin(
              [row],
              w1.slice(e * He * D, (e + 1) * He * D),
              He,
              b1.slice(e * He, (e + 1) * He),
            )[0].map(naiveGelu);
            const eo = lin([hid], w2.slice(e * D * He, (e + 1) * D * He), D, b2.slice(e * D, (e + 1) * D))[0];
            for (let d = 0; d < D; d++) acc[d] += probs[e] * eo[d];
          }
          return acc;
        });
        expertsB.push(choices);
      }
      x = x.map((r, n) => r.map((v, d) => v + y[n][d]));
    }
    if (finalNorm) x = ln(x, param(ck, 'norm.weight'), param(ck, 'norm.bias'));
    out.tokens.push(x);
    out.experts.push(expertsB);
  }
  return out;
}

/** Reshapes a flat [R, C] array to rows (exported for tests). */
export { rows };
