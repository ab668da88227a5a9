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
 * Where: the products, GELU, the attention softmax and the residual adds run in this thread's
 * engine (engine.ts: the checkpoint's weights packed once into a WebAssembly memory, the SIMD
 * kernels of kernels.ts, one workspace per model shape); LayerNorm, the gate's softmax and top-k,
 * the margins and the MoE sum run here. The kernels give the same bits as the plain loops of ops.ts.
 * A checkpoint's weights are packed on its first forward and kept for the next one with the same
 * Map and arrays: do not modify a checkpoint's arrays in place between forwards. forwardBatch
 * (parallel.ts) spreads a batch over worker threads; refcache.ts caches outputs on disk.
 *
 * Layouts: images [B, C, H, W]; tokens [B, N, D]; expert ids [B, moeBlocks, N, topK] (MoE blocks
 * in order, best expert first).
 */
import { UserError } from '../util/errors.js';
import type { ModelConfig, ModelDims } from './config.js';
import { modelDims } from './config.js';
import { checkpointSpec, gateName } from './spec.js';
import { formatShape, sameShape, type Checkpoint } from './tensor.js';
import { layerNorm, softmax, topK } from './ops.js';
import { engine, type BlockLayout, type Engine, type Layout, type Workspace } from './engine.js';

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
  gates?: Float32Array[]; // per task, w_gate [D, E]
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
      b.gates = Array.from({ length: dims.tasks }, (_, t) => get(gateName(cfg, i, t)));
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

function checkTask(cfg: ModelConfig, task: number): void {
  if (!Number.isInteger(task) || task < 0 || task >= cfg.tasks)
    throw new UserError(
      `task ${task} is out of range: model ${cfg.name} has ${cfg.tasks} task(s) (0..${cfg.tasks - 1})`,
    );
}

/** The checkpoint's weights, resident in this thread's engine, with a workspace for one image. */
interface Run {
  eng: Engine;
  w: Weights;
  layout: Layout;
  ws: Workspace;
}

function prepare(ckpt: Checkpoint, cfg: ModelConfig): Run {
  const w = weightsOf(ckpt, cfg);
  const eng = engine();
  const { layout, ws } = eng.prepare(ckpt, w, w.dims);
  return { eng, w, layout, ws };
}

// ---------------------------------------------------------------------------------------------
// One image at a time, in the workspace: the tokens x are [N, D].

/** Patch embedding + cls + pos for one image [C, H, W] -> `x` [N, D]. */
function embedImage(run: Run, cfg: ModelConfig, image: Float32Array, x: Float32Array): void {
  const { eng, w, ws, layout } = run;
  const { D, numPatches, patchInputs, patchesW } = w.dims;
  const P = cfg.patch_size;
  const C = cfg.in_chans;
  const H = cfg.img_h;
  const W = cfg.img_w;
  // gather each patch as a vector in the conv weight's (c, ky, kx) order, then one linear
  const patches = ws.patches;
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
  eng.linear(layout.patch, ws.patchesAt, patchInputs, ws.yAt, D, numPatches, ws.xtAt);
  const conv = ws.y;
  for (let d = 0; d < D; d++) x[d] = w.cls[d] + w.pos[d];
  for (let i = D; i < (numPatches + 1) * D; i++) x[i] = conv[i - D] + w.pos[i];
}

/** Attention branch of one image from ws.h: the proj output [N, D] (before the residual add) in ws.y. */
function attention(run: Run, bl: BlockLayout): Float32Array {
  const { eng, ws } = run;
  const { k } = eng;
  const { D, heads, headDim: hd, numTokens: N } = ws.dims;
  eng.linear(bl.qkv, ws.hAt, D, ws.qkvAt, 3 * D, N, ws.xtAt);
  const scale = 1 / sqrt(hd);
  for (let hh = 0; hh < heads; hh++) {
    const q = ws.qkvAt + hh * hd * 4; // this head's q, k and v columns of the qkv rows (stride 3D)
    const kk = q + D * 4;
    const v = q + 2 * D * 4;
    // q·kᵀ: k packed as panels of 4 keys
    k.pack(kk, 3 * D, N, hd, ws.kpAt);
    k.gemm(q, 3 * D, ws.kpAt, 16, hd * 16, 0, ws.scoresAt, N, N, hd, N, ws.xtAt);
    // softmax(q·kᵀ·scale) row by row: the attention weights, a float32 tensor as in PyTorch
    k.softmax(ws.scoresAt, ws.probsAt, N, N, scale, ws.rowAt);
    // A·v into this head's columns of o, v read in place: the panel of values 4j..4j+3 at key m is
    // v[m][4j..4j+3]
    k.gemm(ws.probsAt, N, v, 3 * D * 4, 16, 0, ws.oAt + hh * hd * 4, D, N, N, hd, ws.xtAt);
  }
  eng.linear(bl.proj, ws.oAt, D, ws.yAt, D, N, ws.xtAt);
  return ws.y;
}

/** Dense MLP of one image from ws.h: fc2(GELU(fc1(h))) in ws.y. */
function denseMlp(run: Run, bl: BlockLayout): Float32Array {
  const { eng, ws } = run;
  const { D, mlpHidden: H, numTokens: N } = ws.dims;
  eng.linear(bl.fc1!, ws.hAt, D, ws.hiddenAt, H, N, ws.xtAt);
  eng.gelu(ws.hiddenAt, N * H);
  eng.linear(bl.fc2!, ws.hiddenAt, H, ws.yAt, D, N, ws.xtAt);
  return ws.y;
}

interface Margins {
  prob: Float32Array;
  logit: Float32Array;
  relative: Float32Array;
}

/** ‖w_a − w_b‖ for every pair of columns of the gate g [D, E]: [E, E]. */
function gateDiffNorms(g: Float32Array, E: number, D: number): Float64Array {
  const n = new Float64Array(E * E);
  for (let a = 0; a < E; a++)
    for (let b = a + 1; b < E; b++) {
      let s = 0;
      for (let d = 0; d < D; d++) {
        const v = g[d * E + a] - g[d * E + b];
        s += v * v;
      }
      n[a * E + b] = n[b * E + a] = sqrt(s);
    }
  return n;
}

/** GateMargins (see there) of the N tokens of one image, written at `at` of `out`'s arrays. */
function gateMargins(
  ws: Workspace,
  diffNorms: Float64Array,
  out: Margins,
  at: number,
  isChosen: Uint8Array,
): void {
  const { D, experts: E, topK: K, numTokens: N } = ws.dims;
  const { h, logits, gate, chosen } = ws;
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
    out.prob[at + n] = pGap;
    out.logit[at + n] = zGap;
    out.relative[at + n] = rel;
  }
}

/**
 * MoE branch of one image from ws.h: gate softmax over all experts, top-k, Σ p_k·expert_k(h)
 * without renormalisation, in ws.y. The choices are left in ws.chosen / ws.chosenProbs, the gate
 * softmax in ws.gate, the logits in ws.logits.
 */
function moeMlp(run: Run, bl: BlockLayout, task: number): Float32Array {
  const { eng, ws } = run;
  const { D, experts: E, topK: K, expertHidden: He, numTokens: N } = ws.dims;
  eng.linear(bl.gates![task], ws.hAt, D, ws.logitsAt, E, N, ws.xtAt);
  const { logits, gate, chosen, chosenProbs: probs, acc, routed, routedProb, eout, mem } = ws;
  const hAt = ws.hAt >> 2;
  const xinAt = ws.xinAt >> 2;
  for (let n = 0; n < N; n++) {
    softmax(logits, gate, E, n * E, n * E); // rounded to float32 on store, then ranked
    topK(gate, K, chosen, E, n * E, n * K);
    for (let j = 0; j < K; j++) probs[n * K + j] = gate[n * E + chosen[n * K + j]];
  }
  // run each expert once over the tokens routed to it (gathered into xin)
  acc.fill(0);
  for (let e = 0; e < E; e++) {
    let m = 0;
    for (let n = 0; n < N; n++)
      for (let j = 0; j < K; j++)
        if (chosen[n * K + j] === e) {
          routed[m] = n;
          routedProb[m] = probs[n * K + j];
          mem.copyWithin(xinAt + m * D, hAt + n * D, hAt + (n + 1) * D);
          m++;
        }
    if (m === 0) continue;
    eng.linear(bl.up![e], ws.xinAt, D, ws.hiddenAt, He, m, ws.xtAt);
    eng.gelu(ws.hiddenAt, m * He);
    eng.linear(bl.down![e], ws.hiddenAt, He, ws.eoutAt, D, m, ws.xtAt);
    for (let r = 0; r < m; r++) {
      const p = routedProb[r];
      const dst = routed[r] * D;
      for (let d = 0; d < D; d++) acc[dst + d] += p * eout[r * D + d];
    }
  }
  const y = ws.y;
  for (let i = 0; i < N * D; i++) y[i] = acc[i];
  return y;
}

function msaInto(run: Run, i: number, x: Float32Array): Float32Array {
  const bw = run.w.blocks[i];
  const { D, numTokens: N } = run.w.dims;
  layerNorm(x, N, D, bw.norm1w, bw.norm1b, run.ws.h, LN_EPS);
  return attention(run, run.layout.blocks[i]);
}

// ---------------------------------------------------------------------------------------------
// Per-kernel entry points (one image): what the patch_embed / msa_block / ffn_block kernels compute.

/** patch_embed kernel semantics: one image [C, H, W] -> tokens [N, D] (conv + bias, cls, + pos). */
export function refPatchEmbed(ckpt: Checkpoint, cfg: ModelConfig, image: Float32Array): Float32Array {
  const run = prepare(ckpt, cfg);
  checkLength(image, cfg.in_chans * cfg.img_h * cfg.img_w, 'image [C, H, W]');
  const x = new Float32Array(run.w.dims.numTokens * run.w.dims.D);
  embedImage(run, cfg, image, x);
  return x;
}

/** msa_block kernel semantics: x [N, D] -> x + proj(attn(LayerNorm(x; norm1))). */
export function refMsaBlock(
  ckpt: Checkpoint,
  cfg: ModelConfig,
  block: number,
  x: Float32Array,
): Float32Array {
  const run = prepare(ckpt, cfg);
  checkBlock(run.w.dims, block);
  checkLength(x, run.w.dims.numTokens * run.w.dims.D, 'tokens [N, D]');
  const a = msaInto(run, block, x);
  const out = new Float32Array(x.length);
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
  const run = prepare(ckpt, cfg);
  checkBlock(run.w.dims, block);
  checkTask(cfg, task);
  checkLength(x, run.w.dims.numTokens * run.w.dims.D, 'tokens [N, D]');
  const bw = run.w.blocks[block];
  const { D, numTokens: N } = run.w.dims;
  layerNorm(x, N, D, bw.norm2w, bw.norm2b, run.ws.h, LN_EPS);
  const y = bw.moe ? moeMlp(run, run.layout.blocks[block], task) : denseMlp(run, run.layout.blocks[block]);
  const out = new Float32Array(x.length);
  for (let i = 0; i < out.length; i++) out[i] = x[i] + y[i];
  if (!bw.moe) return { x: out, experts: null, gateProbs: null };
  return { x: out, experts: run.ws.chosen.slice(), gateProbs: run.ws.chosenProbs.slice() };
}

function checkBlock(dims: ModelDims, block: number): void {
  if (!Number.isInteger(block) || block < 0 || block >= dims.depth)
    throw new UserError(`block ${block} is out of range (0..${dims.depth - 1})`);
}

function checkLength(a: Float32Array, want: number, what: string): void {
  if (a.length !== want) throw new UserError(`${what}: expected ${want} values, got ${a.length}`);
}

// ---------------------------------------------------------------------------------------------

/** Checks the options shared by forwardTokens and forwardImages; returns the resolved ones. */
function resolveOptions(cfg: ModelConfig, dims: ModelDims, batch: number, opts: ForwardOptions) {
  if (!Number.isInteger(batch) || batch < 1)
    throw new UserError(`batch must be a positive integer, got ${batch}`);
  const task = opts.task ?? 0;
  checkTask(cfg, task);
  const from = opts.fromBlock ?? 0;
  const to = opts.toBlock ?? dims.depth;
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to > dims.depth || from > to)
    throw new UserError(`block range [${from}, ${to}) is not within [0, ${dims.depth}]`);
  return { task, from, to, finalNorm: opts.finalNorm ?? cfg.final_norm };
}

/**
 * Runs blocks [from, to) and the optional final norm over `batch` inputs, image by image: `load(b, x)`
 * puts input b's tokens [N, D] into x (and returns nothing).
 */
function runBatch(
  run: Run,
  cfg: ModelConfig,
  batch: number,
  opts: ForwardOptions,
  load: (b: number, x: Float32Array) => void,
): ForwardResult {
  const { w, ws } = run;
  const { D, numTokens: N, topK: K, experts: E } = w.dims;
  const { task, from, to, finalNorm } = resolveOptions(cfg, w.dims, batch, opts);
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
    for (const i of moeBlockIndices) diffNorms.set(i, gateDiffNorms(w.blocks[i].gates![task], E, D));
  const isChosen = new Uint8Array(E);
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

  const x = ws.x;
  for (let b = 0; b < batch; b++) {
    load(b, x);
    let m = 0;
    for (let i = from; i < to; i++) {
      const bw = w.blocks[i];
      const bl = run.layout.blocks[i];
      const rec = inter?.[i - from];
      const a = msaInto(run, i, x);
      rec?.norm1.set(ws.h, b * size);
      run.eng.k.add(ws.xAt, ws.yAt, size); // x += a
      rec?.attn.set(a, b * size);
      rec?.afterAttn.set(x, b * size);
      layerNorm(x, N, D, bw.norm2w, bw.norm2b, ws.h, LN_EPS);
      rec?.norm2.set(ws.h, b * size);
      let y: Float32Array;
      if (bw.moe) {
        y = moeMlp(run, bl, task);
        const at = (b * M + m) * N * K;
        experts.set(ws.chosen, at);
        gateProbs.set(ws.chosenProbs, at);
        if (margins) gateMargins(ws, diffNorms.get(i)!, margins, (b * M + m) * N, isChosen);
        rec?.gate?.set(ws.gate, b * N * E);
        m++;
      } else y = denseMlp(run, bl);
      run.eng.k.add(ws.xAt, ws.yAt, size); // x += y
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
 * The checks of forwardImages / forwardTokens on `data` ([B, C, H, W] images or [B, N, D] tokens),
 * with their errors, in their order; returns the model index of each MoE block the run covers.
 */
function checkInputs(
  w: Weights,
  cfg: ModelConfig,
  data: Float32Array,
  batch: number,
  kind: 'images' | 'tokens',
  opts: ForwardOptions,
): number[] {
  const { D, numTokens: N } = w.dims;
  if (!Number.isInteger(batch) || batch < 1)
    throw new UserError(`batch must be a positive integer, got ${batch}`);
  if (kind === 'images') {
    const per = cfg.in_chans * cfg.img_h * cfg.img_w;
    checkLength(data, batch * per, `images [B=${batch}, C=${cfg.in_chans}, H=${cfg.img_h}, W=${cfg.img_w}]`);
    if (opts.fromBlock !== undefined || opts.toBlock !== undefined)
      throw new UserError('forwardImages runs the whole model; use forwardTokens for a block range');
  } else checkLength(data, batch * N * D, `tokens [B=${batch}, N=${N}, D=${D}]`);
  const { from, to } = resolveOptions(cfg, w.dims, batch, opts);
  const moe: number[] = [];
  for (let i = from; i < to; i++) if (w.dims.moeBlocks[i]) moe.push(i);
  return moe;
}

/**
 * What forwardImages (`kind` 'images') or forwardTokens ('tokens') would check before computing,
 * without computing (forwardBatch, before it hands work to other threads).
 */
export function checkForward(
  ckpt: Checkpoint,
  cfg: ModelConfig,
  data: Float32Array,
  batch: number,
  kind: 'images' | 'tokens',
  opts: ForwardOptions = {},
): { moeBlockIndices: number[] } {
  return { moeBlockIndices: checkInputs(weightsOf(ckpt, cfg), cfg, data, batch, kind, opts) };
}

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
  const run = prepare(ckpt, cfg);
  checkInputs(run.w, cfg, tokens, batch, 'tokens', opts);
  const size = run.w.dims.numTokens * run.w.dims.D;
  return runBatch(run, cfg, batch, opts, (b, x) => x.set(tokens.subarray(b * size, (b + 1) * size)));
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
  const run = prepare(ckpt, cfg);
  checkInputs(run.w, cfg, images, batch, 'images', opts);
  const { D, numTokens: N } = run.w.dims;
  const per = cfg.in_chans * cfg.img_h * cfg.img_w;
  const embed = opts.collect ? new Float32Array(batch * N * D) : undefined;
  const r = runBatch(run, cfg, batch, opts, (b, x) => {
    embedImage(run, cfg, images.subarray(b * per, (b + 1) * per), x);
    embed?.set(x, b * N * D);
  });
  if (r.intermediates) r.intermediates.embed = embed;
  return r;
}
