/**
 * Where the reference forward runs: one WebAssembly memory per thread holding
 *
 *   [ the packed weights of one checkpoint | the workspace of one image ]
 *
 * - The weights of every linear layer (patch embedding, qkv, proj, fc1/fc2, each expert's htoh4 and
 *   h4toh, each task's gate) are packed once into the panel layout of kernels.ts (transposed where the
 *   checkpoint stores them [in, out]) with float64 biases. They stay resident for the next forward
 *   with the same checkpoint: the same Map holding the same tensor arrays. A checkpoint whose arrays
 *   are modified in place after a forward is not noticed; give a modified copy instead (a new Map, or
 *   new arrays for the changed tensors).
 * - The workspace (LayerNorm output, qkv, per-head panels, scores, probabilities, the MLP/expert
 *   hidden layers, …) is laid out once per model shape; JS views over it are made once, so a forward
 *   allocates nothing per image or per layer.
 * The memory only grows (WebAssembly memories cannot shrink): to the largest checkpoint plus
 * workspace the thread has used.
 */
import type { ModelDims } from './config.js';
import { ERF_COEFFS, kernelsOver, packPanels, type Kernels } from './kernels.js';

/** A linear layer in the memory: panels at byte offset `w`, float64 bias at `b` (0: none). */
export interface Lin {
  w: number;
  b: number;
  inDim: number;
  outDim: number;
}

export interface BlockLayout {
  qkv: Lin;
  proj: Lin;
  fc1?: Lin;
  fc2?: Lin;
  /** Per expert: htoh4 [He, D], h4toh [D, He]. */
  up?: Lin[];
  down?: Lin[];
  /** Per task: the gate [D, E] as a linear layer D -> E without bias. */
  gates?: Lin[];
}

export interface Layout {
  patch: Lin;
  blocks: BlockLayout[];
  /** Bytes used by the weights (the workspace starts here). */
  bytes: number;
}

/** The weights as the reference reads them from a checkpoint (see reference.ts weightsOf). */
export interface PackSource {
  patchW: Float32Array; // [D, C·P·P]
  patchB: Float32Array;
  blocks: {
    qkvW: Float32Array;
    qkvB: Float32Array;
    projW: Float32Array;
    projB: Float32Array;
    moe: boolean;
    fc1W?: Float32Array;
    fc1B?: Float32Array;
    fc2W?: Float32Array;
    fc2B?: Float32Array;
    w1?: Float32Array; // [E, He, D]
    b1?: Float32Array;
    w2?: Float32Array; // [E, D, He]
    b2?: Float32Array;
    gates?: Float32Array[]; // per task [D, E]
  }[];
}

const ALIGN = 16;
const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;
const pad4 = (n: number) => (n + 3) & ~3;
const PAGE = 65536;

/** Every array `src` packs from, in a fixed order (the residency check compares them by identity). */
function sourceArrays(src: PackSource): Float32Array[] {
  const out = [src.patchW, src.patchB];
  for (const b of src.blocks) {
    out.push(b.qkvW, b.qkvB, b.projW, b.projB);
    if (b.moe) out.push(b.w1!, b.b1!, b.w2!, b.b2!, ...b.gates!);
    else out.push(b.fc1W!, b.fc1B!, b.fc2W!, b.fc2B!);
  }
  return out;
}

/** Where the erf coefficients of the GELU kernel are (bytes 0..63 stay unused: offset 0 means "none"). */
const ERF_TABLE_AT = 64;

/** Assigns every layer its place, after the erf table. */
function planLayout(dims: ModelDims): Layout {
  let at = align(ERF_TABLE_AT + ERF_COEFFS.byteLength);
  const lin = (inDim: number, outDim: number, bias = true): Lin => {
    const w = at;
    at = align(at + pad4(outDim) * inDim * 4);
    let b = 0;
    if (bias) {
      b = at;
      at = align(at + pad4(outDim) * 8);
    }
    return { w, b, inDim, outDim };
  };
  const { D, mlpHidden: H, expertHidden: He, experts: E, tasks, patchInputs } = dims;
  const patch = lin(patchInputs, D);
  const blocks: BlockLayout[] = [];
  for (let i = 0; i < dims.depth; i++) {
    const b: BlockLayout = { qkv: lin(D, 3 * D), proj: lin(D, D) };
    if (dims.moeBlocks[i]) {
      b.up = [];
      b.down = [];
      for (let e = 0; e < E; e++) {
        b.up.push(lin(D, He));
        b.down.push(lin(He, D));
      }
      b.gates = Array.from({ length: tasks }, () => lin(D, E, false));
    } else {
      b.fc1 = lin(D, H);
      b.fc2 = lin(H, D);
    }
    blocks.push(b);
  }
  return { patch, blocks, bytes: align(at) };
}

/** Per-image working memory: float32 views into the wasm memory, plus plain JS arrays. */
export interface Workspace {
  dims: ModelDims;
  // in the wasm memory (byte offsets and views)
  h: Float32Array; // [N, D] LayerNorm output
  hAt: number;
  qkvAt: number;
  kpAt: number;
  scoresAt: number;
  probsAt: number;
  oAt: number;
  y: Float32Array; // [N, D] branch output (proj, fc2, MoE sum, patch conv)
  yAt: number;
  patches: Float32Array; // [numPatches, C·P·P]
  patchesAt: number;
  hiddenAt: number;
  xinAt: number;
  eout: Float32Array; // [N·K, D]
  eoutAt: number;
  logits: Float32Array; // [N, E]
  logitsAt: number;
  xtAt: number; // gemm tile scratch, float64
  rowAt: number; // softmax row scratch, float64 [N]
  x: Float32Array; // [N, D] the tokens of the image being run
  xAt: number;
  /** The whole memory as float32 (for copies between regions). */
  mem: Float32Array;
  // plain JS
  acc: Float64Array; // [N, D]
  gate: Float32Array; // [N, E]
  chosen: Int32Array; // [N, K]
  chosenProbs: Float32Array; // [N, K]
  routed: Int32Array; // [N·K] token of each gathered row
  routedProb: Float32Array; // [N·K]
}

function workspaceBytes(dims: ModelDims): { bytes: number; at: Record<string, number> } {
  const { D, numTokens: N, headDim: hd, mlpHidden: H, expertHidden: He, experts: E, topK: K } = dims;
  const sizes: [string, number][] = [
    ['x', N * D * 4],
    ['h', N * D * 4],
    ['qkv', N * 3 * D * 4],
    ['kp', pad4(N) * hd * 4],
    ['scores', N * N * 4],
    ['probs', N * N * 4],
    ['o', N * D * 4],
    ['y', N * D * 4],
    ['patches', dims.numPatches * dims.patchInputs * 4],
    ['hidden', Math.max(N * H, N * K * He, 1) * 4],
    ['xin', Math.max(N * K * D, 1) * 4],
    ['eout', Math.max(N * K * D, 1) * 4],
    ['logits', Math.max(N * E, 1) * 4],
    ['xt', 4 * Math.max(D, H, He, N, hd, dims.patchInputs) * 8],
    ['row', N * 8],
  ];
  const at: Record<string, number> = {};
  let bytes = 0;
  for (const [name, n] of sizes) {
    at[name] = bytes;
    bytes = align(bytes + n);
  }
  return { bytes, at };
}

function dimsKey(d: ModelDims): string {
  return [
    d.D,
    d.numTokens,
    d.heads,
    d.headDim,
    d.mlpHidden,
    d.expertHidden,
    d.experts,
    d.topK,
    d.numPatches,
    d.patchInputs,
  ].join(',');
}

/** One per thread: the memory, the kernel, the resident weights and the workspace. */
export class Engine {
  readonly memory = new WebAssembly.Memory({ initial: 1 });
  readonly k: Kernels;
  private resident: { ckpt: object; arrays: Float32Array[]; layout: Layout } | null = null;
  private ws: { key: string; base: number; buffer: ArrayBuffer; ws: Workspace } | null = null;
  /** How many times weights were packed (tests: residency). */
  packs = 0;

  constructor(preferJs = false) {
    this.k = kernelsOver(this.memory, preferJs);
    new Float64Array(this.memory.buffer, ERF_TABLE_AT, ERF_COEFFS.length).set(ERF_COEFFS);
  }

  /**
   * Makes `src` (read from checkpoint object `ckpt`) resident and returns its layout and a workspace
   * for `dims`. Packs only when the checkpoint or any of its arrays changed since the last call.
   */
  prepare(ckpt: object, src: PackSource, dims: ModelDims): { layout: Layout; ws: Workspace } {
    const arrays = sourceArrays(src);
    const r = this.resident;
    const same =
      r !== null &&
      r.ckpt === ckpt &&
      r.arrays.length === arrays.length &&
      r.arrays.every((a, i) => a === arrays[i]);
    const layout = same ? r.layout : planLayout(dims);
    const wsBytes = workspaceBytes(dims);
    this.reserve(layout.bytes + wsBytes.bytes);
    if (!same) {
      this.resident = null; // a failed pack leaves nothing resident
      this.pack(layout, src, dims);
      this.resident = { ckpt, arrays, layout };
    }
    return { layout, ws: this.workspace(dims, layout.bytes, wsBytes.at) };
  }

  private reserve(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / PAGE));
  }

  private pack(layout: Layout, src: PackSource, dims: ModelDims): void {
    this.packs++;
    const f32 = new Float32Array(this.memory.buffer);
    const f64 = new Float64Array(this.memory.buffer);
    const put = (l: Lin, W: Float32Array, wAt: number, bias: Float32Array | null, bAt = 0, t = false) => {
      packPanels(f32, l.w >> 2, W, wAt, l.outDim, l.inDim, t);
      if (l.b) {
        const b = l.b >> 3;
        f64.fill(0, b, b + pad4(l.outDim));
        for (let o = 0; o < l.outDim; o++) f64[b + o] = bias![bAt + o];
      }
    };
    const { D, expertHidden: He, experts: E } = dims;
    put(layout.patch, src.patchW, 0, src.patchB);
    layout.blocks.forEach((bl, i) => {
      const s = src.blocks[i];
      put(bl.qkv, s.qkvW, 0, s.qkvB);
      put(bl.proj, s.projW, 0, s.projB);
      if (s.moe) {
        for (let e = 0; e < E; e++) {
          put(bl.up![e], s.w1!, e * He * D, s.b1!, e * He);
          put(bl.down![e], s.w2!, e * D * He, s.b2!, e * D);
        }
        bl.gates!.forEach((g, t) => put(g, s.gates![t], 0, null, 0, true));
      } else {
        put(bl.fc1!, s.fc1W!, 0, s.fc1B!);
        put(bl.fc2!, s.fc2W!, 0, s.fc2B!);
      }
    });
  }

  private workspace(dims: ModelDims, base: number, at: Record<string, number>): Workspace {
    const key = dimsKey(dims);
    const c = this.ws;
    if (c && c.key === key && c.base === base && c.buffer === this.memory.buffer) return c.ws;
    const buffer = this.memory.buffer;
    const { D, numTokens: N, experts: E, topK: K } = dims;
    const view = (name: string, n: number) => new Float32Array(buffer, base + at[name], n);
    const prev = c?.key === key ? c.ws : null; // keep the JS arrays across a move of the views
    const ws: Workspace = {
      dims,
      h: view('h', N * D),
      hAt: base + at.h,
      qkvAt: base + at.qkv,
      kpAt: base + at.kp,
      scoresAt: base + at.scores,
      probsAt: base + at.probs,
      oAt: base + at.o,
      y: view('y', N * D),
      yAt: base + at.y,
      patches: view('patches', dims.numPatches * dims.patchInputs),
      patchesAt: base + at.patches,
      hiddenAt: base + at.hidden,
      xinAt: base + at.xin,
      eout: view('eout', N * K * D),
      eoutAt: base + at.eout,
      logits: view('logits', N * E),
      logitsAt: base + at.logits,
      xtAt: base + at.xt,
      rowAt: base + at.row,
      x: view('x', N * D),
      xAt: base + at.x,
      mem: new Float32Array(buffer),
      acc: prev?.acc ?? new Float64Array(N * D),
      gate: prev?.gate ?? new Float32Array(N * E),
      chosen: prev?.chosen ?? new Int32Array(N * K),
      chosenProbs: prev?.chosenProbs ?? new Float32Array(N * K),
      routed: prev?.routed ?? new Int32Array(N * K),
      routedProb: prev?.routedProb ?? new Float32Array(N * K),
    };
    this.ws = { key, base, buffer, ws };
    return ws;
  }

  /** Exact GELU in place on n float32 values at byte offset `at` (ops.ts `gelu`, the same bits). */
  gelu(at: number, n: number): void {
    this.k.gelu(at, n, ERF_TABLE_AT);
  }

  /** y = x·Wᵀ + b for `rows` rows (x and y byte offsets, strides in elements). */
  linear(l: Lin, x: number, ldx: number, y: number, ldy: number, rows: number, xtAt: number): void {
    this.k.gemm(x, ldx, l.w, 16, l.inDim * 16, l.b, y, ldy, rows, l.inDim, l.outDim, xtAt);
  }
}

let threadEngine: Engine | undefined;

/** This thread's engine (made on first use). */
export function engine(): Engine {
  threadEngine ??= new Engine();
  return threadEngine;
}

/** Runs `fn` with `e` as this thread's engine (tests: the JS twins against the SIMD kernels). */
export function withEngine<T>(e: Engine, fn: () => T): T {
  const saved = threadEngine;
  threadEngine = e;
  try {
    return fn();
  } finally {
    threadEngine = saved;
  }
}
