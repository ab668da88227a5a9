/**
 * The float32 reference forward of docs/model.md: the golden model every later check compares against.
 *
 * Exactly docs/model.md: conv patch embedding, cls + pos, per block LayerNorm(eps 1e-6) -> multi-head
 * attention -> residual, LayerNorm -> dense MLP or MoE (softmax gate over all experts of the task's
 * gate, top-k by probability with ties -> lower index, NO renormalisation) -> residual, optional
 * final LayerNorm. GELU is the exact erf form.
 *
 * Numerics: every tensor is stored as float32 (Float32Array, rounded on store, like PyTorch's
 * float32 tensors); dot products (linear layers, conv, q·k, A·v), LayerNorm statistics, softmax
 * sums and the MoE combination Σ p_k·expert_k accumulate in float64. Gate probabilities are
 * rounded to float32 before the top-k, as in a float32 framework.
 *
 * Layouts: images [B, C, H, W]; tokens [B, N, D]; expert ids [B, moeBlocks, N, topK] (MoE blocks
 * in order, best expert first).
 */
import { UserError } from '../util/errors.js';
import type { ModelConfig, ModelDims } from './config.js';
import { modelDims } from './config.js';
import { checkpointSpec, gateName } from './spec.js';
import { formatShape, sameShape, type Checkpoint } from './tensor.js';
import { geluInPlace, layerNorm, linear, softmax, topK } from './ops.js';

// Math functions bound once at module scope: inside Node vm contexts (jest) every global lookup
// in a hot loop goes through the context's interceptors and is many times slower.
const { sqrt, floor } = Math;

export { erf, gelu, geluInPlace, layerNorm, linear, softmax, topK } from './ops.js';

export const LN_EPS = 1e-6;

export interface ForwardOptions {
  /** Which task's gate routes the MoE blocks (0-based; default 0). */
  task?: number;
  /** Apply the final LayerNorm `norm` (default: the model config's final_norm). */
  finalNorm?: boolean;
  /** Also return per-block intermediates (costs memory: 6 × [B, N, D] per block). */
  collect?: boolean;
  /** forwardTokens only: run blocks [fromBlock, toBlock) (default all). */
  fromBlock?: number;
  toBlock?: number;
  /**
   * Also return the gate margins of every (image, MoE block, token) (`ForwardResult.gateMargins`):
   * how far the top-k choice is from changing. Costs k·(E-k)·D multiply-adds per token and E²·D per
   * MoE block and call (nothing next to the experts); the other outputs are the same bits either way.
   */
  margins?: boolean;
  /** Called after each input of the batch with the number done (progress of long batches). */
  onImage?: (done: number) => void;
}

/**
 * How close each top-k choice is to a tie, per (image, MoE block, token): [B, moeBlocksRun, N], the
 * layout of `experts` without the top-k axis. C = the chosen experts, O = the others (all three are
 * +Infinity when every expert is chosen). With z the gate logits h·W_gate (float32, as ranked),
 * p = softmax(z) (float32), h the gate's input (LayerNorm(x; norm2)) and w_e column e of W_gate:
 *  - `prob`: min_{a∈C} p_a − max_{b∈O} p_b, the gap between the k-th and (k+1)-th probability;
 *  - `logit`: min_{a∈C} z_a − max_{b∈O} z_b, the same gap in logits;
 *  - `relative`: min over a∈C, b∈O of (z_a − z_b) / (‖h‖·‖w_a − w_b‖): the logit gap of each
 *    pair that could swap, relative to the largest change of z_a − z_b that a relative error ε of h
 *    can make (‖δh‖·‖w_a − w_b‖ by Cauchy–Schwarz): errors ε_h of the gate input and ε_w of the
 *    weight difference (relative to ‖w_a − w_b‖) cannot change the choice while
 *    ε_h + ε_w + ε_h·ε_w < relative. Scale-free, so one threshold fits models of any width.
 * Values within float32 rounding of a tie can come out slightly negative (ties are broken by index).
 */
export interface GateMargins {
  prob: Float32Array;
  logit: Float32Array;
  relative: Float32Array;
}

/** Per-block intermediates, each [B, N, D] unless said otherwise. */
export interface BlockIntermediates {
  norm1: Float32Array; // LayerNorm(x; norm1)
  attn: Float32Array; // attention branch output (after proj, before the residual add)
  afterAttn: Float32Array; // x + attn
  norm2: Float32Array; // LayerNorm(x; norm2)
  mlp: Float32Array; // MLP / MoE branch output (before the residual add)
  out: Float32Array; // block output
  /** MoE blocks: the full gate softmax [B, N, E]. */
  gate?: Float32Array;
}

export interface Intermediates {
  /** forwardImages only: tokens after patch embedding + cls + pos [B, N, D]. */
  embed?: Float32Array;
  blocks: BlockIntermediates[];
}

export interface ForwardResult {
  /** Output tokens [B, N, D]. */
  tokens: Float32Array;
  /** Chosen experts [B, moeBlocksRun, N, topK], best first (empty for dense models). */
  experts: Int32Array;
  /** Gate probabilities of the chosen experts, same layout as `experts`. */
  gateProbs: Float32Array;
  /** Index (in the model) of each MoE block that was run, in order. */
  moeBlockIndices: number[];
  /** With `margins`: how close each (image, MoE block, token)'s top-k choice is to a tie. */
  gateMargins?: GateMargins;
  intermediates?: Intermediates;
}

// ---------------------------------------------------------------------------------------------

interface BlockWeights {
  norm1w: Float32Array;
  norm1b: Float32Array;
  qkvW: Float32Array;
  qkvB: Float32Array;
  projW: Float32Array;
  projB: Float32Array;
  norm2w: Float32Array;
  norm2b: Float32Array;
  moe: boolean;
  fc1W?: Float32Array;
  fc1B?: Float32Array;
  fc2W?: Float32Array;
  fc2B?: Float32Array;
  w1?: Float32Array; // experts.htoh4.weight [E, He, D]
  b1?: Float32Array;
  w2?: Float32Array; // experts.h4toh.weight [E, D, He]
  b2?: Float32Array;
  gatesT?: Float32Array[]; // per task, w_gate transposed to [E, D]
}

interface Weights {
  dims: ModelDims;
  patchW: Float32Array; // [D, C·P·P]
  patchB: Float32Array;
  cls: Float32Array;
  pos: Float32Array; // [N, D]
  normW: Float32Array;
  normB: Float32Array;
  blocks: BlockWeights[];
}

/** Checks names and shapes (not values: readCheckpoint did that) and collects the arrays. */
function weightsOf(ckpt: Checkpoint, cfg: ModelConfig): Weights {
  for (const { name, shape } of checkpointSpec(cfg)) {
    const t = ckpt.get(name);
    if (!t)
      throw new UserError(
        `checkpoint: missing tensor '${name}' (expected shape ${formatShape(shape)}) for model ${cfg.name}`,
      );
    if (!sameShape(t.shape, shape))
      throw new UserError(
        `checkpoint: tensor '${name}' has shape ${formatShape(t.shape)}, expected ${formatShape(shape)} for model ${cfg.name}`,
      );
  }
  const get = (n: string) => ckpt.get(n)!.data;
  const dims = modelDims(cfg);
  const blocks: BlockWeights[] = [];
  for (let i = 0; i < dims.depth; i++) {
    const p = `blocks.${i}.`;
    const b: BlockWeights = {
      norm1w: get(p + 'norm1.weight'),
      norm1b: get(p + 'norm1.bias'),
      qkvW: get(p + 'attn.qkv.weight'),
      qkvB: get(p + 'attn.qkv.bias'),
      projW: get(p + 'attn.proj.weight'),
      projB: get(p + 'attn.proj.bias'),
      norm2w: get(p + 'norm2.weight'),
      norm2b: get(p + 'norm2.bias'),
      moe: dims.moeBlocks[i],
    };
    if (b.moe) {
      b.w1 = get(p + 'mlp.experts.htoh4.weight');
      b.b1 = get(p + 'mlp.experts.htoh4.bias');
      b.w2 = get(p + 'mlp.experts.h4toh.weight');
      b.b2 = get(p + 'mlp.experts.h4toh.bias');
      // gates are [D, E]; transposed (small) so each expert's logit is a contiguous dot product
      b.gatesT = Array.from({ length: dims.tasks }, (_, t) =>
        transpose(get(gateName(cfg, i, t)), dims.D, dims.experts),
      );
    } else {
      b.fc1W = get(p + 'mlp.fc1.weight');
      b.fc1B = get(p + 'mlp.fc1.bias');
      b.fc2W = get(p + 'mlp.fc2.weight');
      b.fc2B = get(p + 'mlp.fc2.bias');
    }
    blocks.push(b);
  }
  return {
    dims,
    patchW: get('patch_embed.proj.weight'),
    patchB: get('patch_embed.proj.bias'),
    cls: get('cls_token'),
    pos: get('pos_embed'),
    normW: get('norm.weight'),
    normB: get('norm.bias'),
    blocks,
  };
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
  return t;
}

function checkTask(cfg: ModelConfig, task: number): void {
  if (!Number.isInteger(task) || task < 0 || task >= cfg.tasks)
    throw new UserError(
      `task ${task} is out of range: model ${cfg.name} has ${cfg.tasks} task(s) (0..${cfg.tasks - 1})`,
    );
}

// ---------------------------------------------------------------------------------------------
// One image at a time: x is [N, D].

/** Patch embedding + cls + pos for one image [C, H, W] -> tokens [N, D]. */
function embedImage(w: Weights, cfg: ModelConfig, image: Float32Array): Float32Array {
  const { D, numPatches, numTokens, patchInputs, patchesW } = w.dims;
  const P = cfg.patch_size;
  const C = cfg.in_chans;
  const H = cfg.img_h;
  const W = cfg.img_w;
  // gather each patch as a vector in the conv weight's (c, ky, kx) order, then one linear
  const patches = new Float32Array(numPatches * patchInputs);
  for (let p = 0; p < numPatches; p++) {
    const py = floor(p / patchesW) * P;
    const px = (p % patchesW) * P;
    let k = p * patchInputs;
    for (let c = 0; c < C; c++)
      for (let ky = 0; ky < P; ky++) {
        const row = (c * H + py + ky) * W + px;
        for (let kx = 0; kx < P; kx++) patches[k++] = image[row + kx];
      }
  }
  const conv = linear(
    patches,
    numPatches,
    patchInputs,
    w.patchW,
    D,
    w.patchB,
    new Float32Array(numPatches * D),
  );
  const x = new Float32Array(numTokens * D);
  for (let d = 0; d < D; d++) x[d] = w.cls[d] + w.pos[d];
  for (let i = D; i < numTokens * D; i++) x[i] = conv[i - D] + w.pos[i];
  return x;
}

/** Attention branch for one image: returns proj output [N, D] (before the residual add). */
function attention(bw: BlockWeights, dims: ModelDims, h: Float32Array): Float32Array {
  const { D, heads, headDim, numTokens: N } = dims;
  const qkv = linear(h, N, D, bw.qkvW, 3 * D, bw.qkvB, new Float32Array(N * 3 * D));
  const scale = 1 / sqrt(headDim);
  const q = new Float32Array(N * headDim);
  const k = new Float32Array(N * headDim);
  const vT = new Float32Array(headDim * N); // v transposed: A·v becomes row-by-row dot products
  const scores = new Float32Array(N * N);
  const probs = new Float32Array(N * N); // attention weights, a float32 tensor as in PyTorch
  const row = new Float64Array(N);
  const oh = new Float32Array(N * headDim);
  const o = new Float32Array(N * D);
  for (let hd = 0; hd < heads; hd++) {
    for (let n = 0; n < N; n++)
      for (let d = 0; d < headDim; d++) {
        const src = n * 3 * D + hd * headDim + d;
        q[n * headDim + d] = qkv[src];
        k[n * headDim + d] = qkv[src + D];
        vT[d * N + n] = qkv[src + 2 * D];
      }
    linear(q, N, headDim, k, N, null, scores); // q·kᵀ
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) row[j] = scores[i * N + j] * scale;
      softmax(row, probs, N, 0, i * N);
    }
    linear(probs, N, N, vT, headDim, null, oh); // A·v
    for (let n = 0; n < N; n++) o.set(oh.subarray(n * headDim, (n + 1) * headDim), n * D + hd * headDim);
  }
  return linear(o, N, D, bw.projW, D, bw.projB, new Float32Array(N * D));
}

function denseMlp(bw: BlockWeights, dims: ModelDims, h: Float32Array): Float32Array {
  const { D, mlpHidden: H, numTokens: N } = dims;
  const hidden = linear(h, N, D, bw.fc1W!, H, bw.fc1B!, new Float32Array(N * H));
  geluInPlace(hidden);
  return linear(hidden, N, H, bw.fc2W!, D, bw.fc2B!, new Float32Array(N * D));
}

interface MoeOut {
  y: Float32Array; // [N, D]
  experts: Int32Array; // [N, topK]
  probs: Float32Array; // [N, topK]
  gate: Float32Array; // [N, E]
  margins?: { prob: Float32Array; logit: Float32Array; relative: Float32Array }; // each [N]
}

/** ‖w_a − w_b‖ for every pair of columns of the gate (gT is [E, D]), [E, E]. */
function gateDiffNorms(gT: Float32Array, E: number, D: number): Float64Array {
  const n = new Float64Array(E * E);
  for (let a = 0; a < E; a++)
    for (let b = a + 1; b < E; b++) {
      let s = 0;
      for (let d = 0; d < D; d++) {
        const v = gT[a * D + d] - gT[b * D + d];
        s += v * v;
      }
      n[a * E + b] = n[b * E + a] = sqrt(s);
    }
  return n;
}

/** GateMargins (see there) of the N tokens of one image. */
function gateMargins(
  dims: ModelDims,
  h: Float32Array,
  logits: Float32Array,
  gate: Float32Array,
  chosen: Int32Array,
  diffNorms: Float64Array,
): NonNullable<MoeOut['margins']> {
  const { D, experts: E, topK: K, numTokens: N } = dims;
  const prob = new Float32Array(N).fill(Infinity);
  const logit = new Float32Array(N).fill(Infinity);
  const relative = new Float32Array(N).fill(Infinity);
  const isChosen = new Uint8Array(E);
  for (let n = 0; n < N; n++) {
    isChosen.fill(0);
    for (let j = 0; j < K; j++) isChosen[chosen[n * K + j]] = 1;
    let hh = 0;
    for (let d = n * D; d < (n + 1) * D; d++) hh += h[d] * h[d];
    const hNorm = sqrt(hh);
    let pGap = Infinity;
    let zGap = Infinity;
    let rel = Infinity;
    for (let j = 0; j < K; j++) {
      const a = chosen[n * K + j];
      for (let b = 0; b < E; b++) {
        if (isChosen[b]) continue;
        const dz = logits[n * E + a] - logits[n * E + b];
        const dp = gate[n * E + a] - gate[n * E + b];
        if (dz < zGap) zGap = dz;
        if (dp < pGap) pGap = dp;
        const scale = hNorm * diffNorms[a * E + b];
        const r = scale > 0 ? dz / scale : dz > 0 ? Infinity : 0; // no h or equal columns: a tie
        if (r < rel) rel = r;
      }
    }
    prob[n] = pGap;
    logit[n] = zGap;
    relative[n] = rel;
  }
  return { prob, logit, relative };
}

/** MoE branch for one image: gate softmax over all experts, top-k, Σ p_k·expert_k(h), no renormalisation. */
function moeMlp(
  bw: BlockWeights,
  dims: ModelDims,
  h: Float32Array,
  task: number,
  diffNorms?: Float64Array,
): MoeOut {
  const { D, experts: E, topK: K, expertHidden: He, numTokens: N } = dims;
  const logits = linear(h, N, D, bw.gatesT![task], E, null, new Float32Array(N * E));
  const gate = new Float32Array(N * E);
  const chosen = new Int32Array(N * K);
  const probs = new Float32Array(N * K);
  for (let n = 0; n < N; n++) {
    softmax(logits, gate, E, n * E, n * E); // rounded to float32 on store, then ranked
    topK(gate, K, chosen, E, n * E, n * K);
    for (let j = 0; j < K; j++) probs[n * K + j] = gate[n * E + chosen[n * K + j]];
  }
  // run each expert once over the tokens routed to it
  const acc = new Float64Array(N * D);
  const tokens = new Int32Array(N * K);
  const weights = new Float32Array(N * K);
  const xin = new Float32Array(N * K * D);
  const hidden = new Float32Array(N * K * He);
  const out = new Float32Array(N * K * D);
  for (let e = 0; e < E; e++) {
    let m = 0;
    for (let n = 0; n < N; n++)
      for (let j = 0; j < K; j++)
        if (chosen[n * K + j] === e) {
          tokens[m] = n;
          weights[m] = probs[n * K + j];
          xin.set(h.subarray(n * D, (n + 1) * D), m * D);
          m++;
        }
    if (m === 0) continue;
    const w1 = bw.w1!.subarray(e * He * D, (e + 1) * He * D);
    const w2 = bw.w2!.subarray(e * D * He, (e + 1) * D * He);
    const hid = hidden.subarray(0, m * He);
    linear(xin, m, D, w1, He, bw.b1!.subarray(e * He, (e + 1) * He), hid);
    geluInPlace(hid);
    linear(hid, m, He, w2, D, bw.b2!.subarray(e * D, (e + 1) * D), out);
    for (let r = 0; r < m; r++) {
      const p = weights[r];
      const dst = tokens[r] * D;
      for (let d = 0; d < D; d++) acc[dst + d] += p * out[r * D + d];
    }
  }
  const margins = diffNorms ? gateMargins(dims, h, logits, gate, chosen, diffNorms) : undefined;
  return { y: Float32Array.from(acc), experts: chosen, probs, gate, margins };
}

// ---------------------------------------------------------------------------------------------
// Per-kernel entry points (one image): what the patch_embed / msa_block / ffn_block kernels compute.

/** patch_embed kernel semantics: one image [C, H, W] -> tokens [N, D] (conv + bias, cls, + pos). */
export function refPatchEmbed(ckpt: Checkpoint, cfg: ModelConfig, image: Float32Array): Float32Array {
  const w = weightsOf(ckpt, cfg);
  checkLength(image, cfg.in_chans * cfg.img_h * cfg.img_w, 'image [C, H, W]');
  return embedImage(w, cfg, image);
}

/** msa_block kernel semantics: x [N, D] -> x + proj(attn(LayerNorm(x; norm1))). */
export function refMsaBlock(
  ckpt: Checkpoint,
  cfg: ModelConfig,
  block: number,
  x: Float32Array,
): Float32Array {
  const w = weightsOf(ckpt, cfg);
  checkBlock(w.dims, block);
  checkLength(x, w.dims.numTokens * w.dims.D, 'tokens [N, D]');
  const bw = w.blocks[block];
  const { D, numTokens: N } = w.dims;
  const a = attention(bw, w.dims, layerNorm(x, N, D, bw.norm1w, bw.norm1b, new Float32Array(N * D), LN_EPS));
  const out = new Float32Array(N * D);
  for (let i = 0; i < out.length; i++) out[i] = x[i] + a[i];
  return out;
}

/**
 * ffn_block kernel semantics: x [N, D] -> x + MLP(LayerNorm(x; norm2)) (dense or MoE with the task's
 * gate). For MoE blocks also the chosen experts [N, topK] and their probabilities; null for dense.
 */
export function refFfnBlock(
  ckpt: Checkpoint,
  cfg: ModelConfig,
  block: number,
  x: Float32Array,
  task = 0,
): { x: Float32Array; experts: Int32Array | null; gateProbs: Float32Array | null } {
  const w = weightsOf(ckpt, cfg);
  checkBlock(w.dims, block);
  checkTask(cfg, task);
  checkLength(x, w.dims.numTokens * w.dims.D, 'tokens [N, D]');
  const bw = w.blocks[block];
  const { D, numTokens: N } = w.dims;
  const h = layerNorm(x, N, D, bw.norm2w, bw.norm2b, new Float32Array(N * D), LN_EPS);
  const out = new Float32Array(N * D);
  if (bw.moe) {
    const r = moeMlp(bw, w.dims, h, task);
    for (let i = 0; i < out.length; i++) out[i] = x[i] + r.y[i];
    return { x: out, experts: r.experts, gateProbs: r.probs };
  }
  const y = denseMlp(bw, w.dims, h);
  for (let i = 0; i < out.length; i++) out[i] = x[i] + y[i];
  return { x: out, experts: null, gateProbs: null };
}

function checkBlock(dims: ModelDims, block: number): void {
  if (!Number.isInteger(block) || block < 0 || block >= dims.depth)
    throw new UserError(`block ${block} is out of range (0..${dims.depth - 1})`);
}

function checkLength(a: Float32Array, want: number, what: string): void {
  if (a.length !== want) throw new UserError(`${what}: expected ${want} values, got ${a.length}`);
}

// ---------------------------------------------------------------------------------------------

/**
 * Runs blocks [fromBlock, toBlock) (and the optional final norm) over a batch of token sequences.
 * `tokens` is [B, N, D] (not modified).
 */
export function forwardTokens(
  ckpt: Checkpoint,
  cfg: ModelConfig,
  tokens: Float32Array,
  batch: number,
  opts: ForwardOptions = {},
): ForwardResult {
  const w = weightsOf(ckpt, cfg);
  const { D, numTokens: N, depth, topK: K, experts: E } = w.dims;
  if (!Number.isInteger(batch) || batch < 1)
    throw new UserError(`batch must be a positive integer, got ${batch}`);
  checkLength(tokens, batch * N * D, `tokens [B=${batch}, N=${N}, D=${D}]`);
  const task = opts.task ?? 0;
  checkTask(cfg, task);
  const from = opts.fromBlock ?? 0;
  const to = opts.toBlock ?? depth;
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to > depth || from > to)
    throw new UserError(`block range [${from}, ${to}) is not within [0, ${depth}]`);
  const finalNorm = opts.finalNorm ?? cfg.final_norm;
  const moeBlockIndices: number[] = [];
  for (let i = from; i < to; i++) if (w.dims.moeBlocks[i]) moeBlockIndices.push(i);
  const M = moeBlockIndices.length;
  const size = N * D;

  const out = new Float32Array(batch * size);
  const experts = new Int32Array(batch * M * N * K);
  const gateProbs = new Float32Array(batch * M * N * K);
  const margins: GateMargins | undefined = opts.margins
    ? {
        prob: new Float32Array(batch * M * N),
        logit: new Float32Array(batch * M * N),
        relative: new Float32Array(batch * M * N),
      }
    : undefined;
  // ‖w_a − w_b‖ of the task's gate, per MoE block run (only with margins)
  const diffNorms = new Map<number, Float64Array>();
  if (margins)
    for (const i of moeBlockIndices) diffNorms.set(i, gateDiffNorms(w.blocks[i].gatesT![task], E, D));
  const inter: BlockIntermediates[] | undefined = opts.collect
    ? Array.from({ length: to - from }, (_, j) => {
        const f = () => new Float32Array(batch * size);
        const bi: BlockIntermediates = {
          norm1: f(),
          attn: f(),
          afterAttn: f(),
          norm2: f(),
          mlp: f(),
          out: f(),
        };
        if (w.dims.moeBlocks[from + j]) bi.gate = new Float32Array(batch * N * E);
        return bi;
      })
    : undefined;

  for (let b = 0; b < batch; b++) {
    const x = tokens.slice(b * size, (b + 1) * size);
    const h = new Float32Array(size);
    let m = 0;
    for (let i = from; i < to; i++) {
      const bw = w.blocks[i];
      const rec = inter?.[i - from];
      layerNorm(x, N, D, bw.norm1w, bw.norm1b, h, LN_EPS);
      rec?.norm1.set(h, b * size);
      const a = attention(bw, w.dims, h);
      for (let k = 0; k < size; k++) x[k] += a[k];
      rec?.attn.set(a, b * size);
      rec?.afterAttn.set(x, b * size);
      layerNorm(x, N, D, bw.norm2w, bw.norm2b, h, LN_EPS);
      rec?.norm2.set(h, b * size);
      let y: Float32Array;
      if (bw.moe) {
        const r = moeMlp(bw, w.dims, h, task, diffNorms.get(i));
        y = r.y;
        const at = (b * M + m) * N * K;
        experts.set(r.experts, at);
        gateProbs.set(r.probs, at);
        if (margins && r.margins) {
          margins.prob.set(r.margins.prob, (b * M + m) * N);
          margins.logit.set(r.margins.logit, (b * M + m) * N);
          margins.relative.set(r.margins.relative, (b * M + m) * N);
        }
        rec?.gate?.set(r.gate, b * N * E);
        m++;
      } else y = denseMlp(bw, w.dims, h);
      for (let k = 0; k < size; k++) x[k] += y[k];
      rec?.mlp.set(y, b * size);
      rec?.out.set(x, b * size);
    }
    if (finalNorm) layerNorm(x, N, D, w.normW, w.normB, x, LN_EPS);
    out.set(x, b * size);
    opts.onImage?.(b + 1);
  }
  return {
    tokens: out,
    experts,
    gateProbs,
    moeBlockIndices,
    gateMargins: margins,
    intermediates: inter ? { blocks: inter } : undefined,
  };
}

/**
 * Full forward of a batch of (already normalised) images [B, C, H, W] -> tokens [B, N, D], with the
 * per-token expert choices of every MoE block.
 */
export function forwardImages(
  ckpt: Checkpoint,
  cfg: ModelConfig,
  images: Float32Array,
  batch: number,
  opts: ForwardOptions = {},
): ForwardResult {
  const w = weightsOf(ckpt, cfg);
  const { D, numTokens: N } = w.dims;
  if (!Number.isInteger(batch) || batch < 1)
    throw new UserError(`batch must be a positive integer, got ${batch}`);
  const per = cfg.in_chans * cfg.img_h * cfg.img_w;
  checkLength(images, batch * per, `images [B=${batch}, C=${cfg.in_chans}, H=${cfg.img_h}, W=${cfg.img_w}]`);
  if (opts.fromBlock !== undefined || opts.toBlock !== undefined)
    throw new UserError('forwardImages runs the whole model; use forwardTokens for a block range');
  const embed = new Float32Array(batch * N * D);
  for (let b = 0; b < batch; b++)
    embed.set(embedImage(w, cfg, images.subarray(b * per, (b + 1) * per)), b * N * D);
  const r = forwardTokens(ckpt, cfg, embed, batch, opts);
  if (r.intermediates) r.intermediates.embed = embed;
  return r;
}
