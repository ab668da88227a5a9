/**
 * Building blocks of the per-kernel cost models (cycles and resources), shared by
 * patch_embed.ts, msa_block.ts and ffn_block.ts. Pure functions of numbers, the board and the
 * design-wide SharedParams; every constant comes from costConstants.ts.
 */
import { channelSlrs, kernelMemory } from '../board/resources.js';
import type { Board, Resources } from '../board/schema.js';
import { formats, linearMaxShift } from './cpp/formats.js';
import { linearWords } from './cpp/layout.js';
import { tableShape } from './cpp/tables.js';
import { COST, LATENCY } from './costConstants.js';
import type { LayerNormPlan } from './latency.js';
import type { SharedParams } from './types.js';

/** Where and how a kernel invocation runs, as far as its cost depends on it. */
export interface CallContext {
  slr?: number; // SLR the compute unit is placed on (its memory ports prefer that SLR's channels)
  bandwidthShare?: number; // fraction of its channel's bandwidth this CU gets (1 = alone)
}

export const zeroResources = (): Resources => ({ dsp: 0, bram18: 0, uram: 0, lut: 0, ff: 0 });

export function addInto(into: Resources, r: Partial<Resources>, times = 1): Resources {
  into.dsp += (r.dsp ?? 0) * times;
  into.bram18 += (r.bram18 ?? 0) * times;
  into.uram += (r.uram ?? 0) * times;
  into.lut += (r.lut ?? 0) * times;
  into.ff += (r.ff ?? 0) * times;
  return into;
}

export const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);

// ---------------------------------------------------------------------------- DSP

/** Pieces a signed operand of `width` bits is split into for a signed multiplier port of `port` bits. */
function pieces(width: number, port: number): number {
  // the top piece is signed and uses the whole port; lower pieces are unsigned (port − 1 bits)
  return width <= port ? 1 : 1 + Math.ceil((width - port) / (port - 1));
}

/**
 * DSP slices for one wa × wb signed multiply on the board's DSP kind: the operands are split
 * into port-sized pieces and each piece product takes one slice; the cheaper orientation wins.
 * DSP48E2 (27×18): 32×16 → 2, 32×32 → 4, 16×16 → 1. DSP58 (27×24): 32×16 → 2, 32×32 → 4, 24×24 → 1.
 */
export function dspPerMultiply(wa: number, wb: number, kind: string): number {
  const [pa, pb] = COST.DSP_PORTS[kind] ?? COST.DSP_PORTS.dsp48e2;
  return Math.min(pieces(wa, pa) * pieces(wb, pb), pieces(wb, pa) * pieces(wa, pb));
}

// ---------------------------------------------------------------------------- on-chip memory

/** BRAM18 blocks for one memory bank of width × depth, using the best aspect ratio. */
export function bram18ForBank(widthBits: number, depth: number): number {
  let best = Infinity;
  for (const [d, w] of COST.BRAM18_ASPECTS)
    best = Math.min(best, Math.ceil(widthBits / w) * Math.ceil(depth / d));
  return best;
}

/** Where HLS puts one on-chip array (the template binds 'uram' explicitly: BIND_STORAGE impl=uram). */
export type Storage = 'lutram' | 'bram' | 'uram';

/**
 * The storage of an array of `words` words of `widthBits` in `banks` banks: tiny banks become
 * LUTRAM, buffers of at least URAM_MIN_BUFFER_BITS go to URAM when the board has some, the rest to
 * BRAM18. Decided once here; bufferCost prices it and the templates bind it (bindsUram).
 */
export function bufferStorage(widthBits: number, words: number, banks: number, board: Board): Storage {
  const b = Math.max(1, Math.min(banks, words));
  if (Math.ceil(words / b) * widthBits <= COST.LUTRAM_MAX_BITS) return 'lutram';
  if (board.resources.uram > 0 && widthBits * words >= COST.URAM_MIN_BUFFER_BITS) return 'uram';
  return 'bram';
}

/**
 * Storage cost of an on-chip array of `words` words of `widthBits`, cyclically partitioned into
 * `banks` banks (HLS array_partition), where bufferStorage puts it.
 */
export function bufferCost(widthBits: number, words: number, banks: number, board: Board): Resources {
  const r = zeroResources();
  if (words <= 0) return r;
  const b = Math.max(1, Math.min(banks, words));
  const depth = Math.ceil(words / b);
  const storage = bufferStorage(widthBits, words, banks, board);
  if (storage === 'lutram') r.lut = b * Math.ceil((depth * widthBits) / 64);
  else if (storage === 'uram')
    r.uram = b * Math.ceil(widthBits / COST.URAM_WIDTH) * Math.ceil(depth / COST.URAM_DEPTH);
  else r.bram18 = b * bram18ForBank(widthBits, depth);
  return r;
}

/** An on-chip array a kernel declares: its name in the template and its shape, priced once. */
export interface Buffer {
  name: string;
  widthBits: number;
  words: number;
  banks: number;
}

/** The arrays of `buffers` the model puts in URAM: the template binds each (BIND_STORAGE impl=uram). */
export const bindsUram = (buffers: Buffer[], board: Board): string[] =>
  buffers
    .filter((b) => b.words > 0 && bufferStorage(b.widthBits, b.words, b.banks, board) === 'uram')
    .map((b) => b.name);

/** A dataflow FIFO (hls::stream) of width × depth: SRL in LUTs when shallow, BRAM otherwise. */
export function fifoCost(widthBits: number, depth: number): Resources {
  const r = zeroResources();
  if (depth <= COST.SRL_MAX_DEPTH) {
    r.lut = Math.ceil(widthBits * Math.ceil(depth / 32));
    r.ff = widthBits;
  } else {
    r.bram18 = bram18ForBank(widthBits, depth);
    r.lut = 60;
    r.ff = 2 * widthBits;
  }
  return r;
}

/** Registers (complete partitioning) of `bits` bits. */
export const registers = (bits: number): Resources => ({ ...zeroResources(), ff: bits });

// ---------------------------------------------------------------------------- compute

/** Token groups of `lanes` tokens for `tokens` tokens, floored by the accumulator dependence distance. */
export function tokenGroups(tokens: number, lanes: number): number {
  if (tokens <= 0) return 0;
  return Math.max(Math.ceil(tokens / lanes), COST.ACC_DEPENDENCE_DISTANCE);
}

/** Shape of one call of the linear engine. */
export interface LinearShape {
  tokens: number;
  inDim: number;
  outDim: number;
  tileIn: number;
  tileOut: number;
  lanes: number;
}

/** The weight ports of a design (weight_ports; 1 when absent). */
export const weightPortCount = (shared: SharedParams): number => shared.weightPorts ?? 1;

/**
 * Cycles to bring one tile_in × tile_out weight tile on chip through the weight ports sustaining
 * `bytesPerCycle` together (weightBytesPerCycle): engine_read reads one row of P words (one per
 * port) per cycle, or slower when the ports are; a tile is padded to whole rows (layout.ts), and
 * the padding crosses AXI too. A layer's tiles are one sequential burst per port after its
 * biases (its AXI latency: passFetchCycles).
 */
export function tileLoadCycles(
  tileIn: number,
  tileOut: number,
  shared: SharedParams,
  bytesPerCycle: number,
): number {
  const ports = weightPortCount(shared);
  const bits = tileIn * tileOut * shared.precision.weight.width;
  const words = Math.ceil(bits / shared.axiWidthBits);
  const rows = Math.ceil(words / ports);
  const padBits = (rows * ports - words) * shared.axiWidthBits;
  return Math.max(rows, (bits + padBits) / 8 / bytesPerCycle);
}

/** How a pass uses the engine besides its shape (linear.h). */
export interface PassOptions {
  /**
   * Its biases and first tiles were read while the previous pass ran (not the kernel call's
   * first). `true`: assume that read hid completely; a number: the cycles the previous pass still
   * computed after the reader was free (passTailCycles), so the pass waits for whatever of its
   * fetch (passFetchCycles) did not hide behind them.
   */
  prefetched?: boolean | number;
  /** Expert mode: the drain scatters one queued token per cycle (else LANES rows per cycle). */
  scatter?: boolean;
}

/**
 * What a pass's reader fetches before its first tile can be used (linear.h engine_read): the
 * layer is one burst (one AXI latency), its bias rows (the biases and the scale word, whole rows
 * of the weight ports: layout.ts linearWords) before its tiles, up to the first tile; then that
 * tile's last word through the reader's loop (its depth) and the tile FIFO's hop to the MACs.
 */
export function passFetchCycles(s: LinearShape, shared: SharedParams, bytesPerCycle: number): number {
  // the search's hot path (every pass of every candidate): cached per shared facts and layer shape
  // (the token count does not enter)
  let byRate = fetchCache.get(shared);
  if (!byRate) fetchCache.set(shared, (byRate = new Map()));
  let byShape = byRate.get(bytesPerCycle);
  if (!byShape) byRate.set(bytesPerCycle, (byShape = new Map()));
  // (dims and tiles below 2^13 each: a key exact in a double)
  if (Math.max(s.inDim, s.outDim, s.tileIn, s.tileOut) >= 8192) return passFetchCyclesOf(s, shared, bytesPerCycle);
  const key = ((s.inDim * 8192 + s.outDim) * 8192 + s.tileIn) * 8192 + s.tileOut;
  let c = byShape.get(key);
  if (c === undefined) byShape.set(key, (c = passFetchCyclesOf(s, shared, bytesPerCycle)));
  return c;
}
const fetchCache = new WeakMap<SharedParams, Map<number, Map<number, number>>>();

function passFetchCyclesOf(s: LinearShape, shared: SharedParams, bytesPerCycle: number): number {
  const f = formats(shared.precision);
  const ports = weightPortCount(shared);
  const axi = shared.axiWidthBits;
  const shift = linearMaxShift(f, f.weight, s.tileIn);
  const { tilesOffset } = linearWords(s.inDim, s.outDim, s.tileIn, s.tileOut, f.weight, f.bias, axi, shift, ports);
  const biasRows = tilesOffset / ports;
  const biasCycles = Math.max(biasRows, (tilesOffset * axi) / 8 / bytesPerCycle);
  const toMacs = LATENCY.AXI_READ_DEPTH - 1 + LATENCY.FIFO_READ_LATENCY;
  return COST.AXI_FIRST_BEAT_CYCLES + biasCycles + tileLoadCycles(s.tileIn, s.tileOut, shared, bytesPerCycle) + toMacs;
}

/**
 * Weight tiles the engine's reader runs ahead of the MACs: the tile FIFO (depth 2, linear.h) and
 * the tile in use.
 */
export const ENGINE_TILES_AHEAD = LATENCY.DEFAULT_STREAM_DEPTH + 1;

/**
 * Iteration latency of the engine's merged loop (linear.h engine_pass `mac_drain`): the MAC path
 * and the drain path of one iteration run side by side, so the longer of the two.
 */
export const LINEAR_LOOP_DEPTH = Math.max(COST.LINEAR_PIPELINE_DEPTH, COST.LINEAR_DRAIN_DEPTH);

/** Drain iterations per out tile: a token group (LANES rows) each, or one queued token in expert mode. */
export const drainIterations = (s: LinearShape, scatter = false): number =>
  scatter ? Math.ceil(s.tokens) : ceilDiv(s.tokens, s.lanes);

/**
 * Iterations the drain of out tile r − 1 adds to the run of out tile r beyond its MACs (the run
 * lasts max(MAC iterations, drain iterations): few in tiles, many tokens or expert mode). Run 0
 * drains nothing; the last run (r = out tiles) has no MACs and is counted apart.
 */
const drainExcess = (r: number, macIterations: number, drain: number): number =>
  r >= 1 ? Math.max(0, drain - macIterations) : 0;

/**
 * Cycles a pass still computes after its reader read its last tile: the tiles still in the FIFO
 * and in use, each ending MAC run among them (its drain excess), the run that only drains the last
 * out tile and the loop's depth (once: the runs are one loop).
 */
export function passTailCycles(
  s: LinearShape,
  shared: SharedParams,
  bytesPerCycle: number,
  scatter = false,
): number {
  if (s.tokens <= 0) return 0;
  const outTiles = ceilDiv(s.outDim, s.tileOut);
  const inTiles = ceilDiv(s.inDim, s.tileIn);
  const groups = tokenGroups(s.tokens, s.lanes);
  const load = tileLoadCycles(s.tileIn, s.tileOut, shared, bytesPerCycle);
  const drain = drainIterations(s, scatter);
  // memory-bound, the FIFO is empty when the reader is done: only the last tile is left
  const left = load > groups ? 1 : Math.min(ENGINE_TILES_AHEAD, outTiles * inTiles);
  let tail = left * groups + drain + LINEAR_LOOP_DEPTH;
  // the runs ending among those tiles: the last MAC run's, and one every in_tiles tiles before it
  for (let k = 0; k <= Math.floor((left - 1) / inTiles); k++)
    tail += drainExcess(outTiles - 1 - k, inTiles * groups, drain);
  return tail;
}

/**
 * Cycles of one pass (a linear layer, tokens × inDim → tokens × outDim) on the kernel's linear
 * engine (linear.h engine_pass): per out tile r one run of iterations of the merged II=1 loop,
 * which do the MACs of tile r over (in tile, token group) — the token groups padded to
 * ACC_DEPENDENCE_DISTANCE, a tile costing max(groups, its load) (the reader prefetches tiles
 * through a depth-2 FIFO) — and, side by side, the drain of tile r − 1 (LANES rows per iteration,
 * one queued token in expert mode; the accumulators are double-buffered), for max(MACs, drain)
 * iterations; then one run that only drains the last tile. The runs are ONE loop: the pass pays
 * its depth once. The first pass of a kernel call waits for its biases and first tile (two
 * bursts: passFetchCycles); a later pass for what of that fetch the previous pass's tail did not
 * hide (PassOptions.prefetched).
 */
export function linearCycles(
  s: LinearShape,
  shared: SharedParams,
  bytesPerCycle: number,
  opts: PassOptions = {},
): number {
  if (s.tokens <= 0) return 0;
  const outTiles = ceilDiv(s.outDim, s.tileOut);
  const inTiles = ceilDiv(s.inDim, s.tileIn);
  const groups = tokenGroups(s.tokens, s.lanes);
  const load = tileLoadCycles(s.tileIn, s.tileOut, shared, bytesPerCycle);
  const drain = drainIterations(s, opts.scatter);
  const macs = inTiles * groups; // MAC iterations of one run
  const depth = LINEAR_LOOP_DEPTH;
  const fetch = passFetchCycles(s, shared, bytesPerCycle);
  const start =
    opts.prefetched === true
      ? 0
      : typeof opts.prefetched === 'number'
        ? Math.max(0, fetch - opts.prefetched)
        : fetch;
  // runs 0 .. outTiles − 1 (MACs; from run 1 on, the previous tile's drain beside them), then the
  // run that only drains the last tile, then the loop's depth
  if (load <= groups) return start + macs + (outTiles - 1) * Math.max(macs, drain) + drain + depth;
  // memory-bound (a tile loads longer than its token groups take): the reader sets the pace; it
  // keeps loading the next out tile's first tiles into the FIFO (ENGINE_TILES_AHEAD − 1) while a
  // run finishes (the last tile's groups, the drain excess), and stalls only for what of that
  // outlasts them; the pass ends with the last run's rest after the last load (the first tile's
  // load is in start), the drain-only run and the loop's depth
  const finish = (r: number) => groups + drainExcess(r, macs, drain);
  const stall = (r: number) => Math.max(0, finish(r) - (ENGINE_TILES_AHEAD - 1) * load);
  // stalls after runs 0 .. outTiles − 2 (run 0 has no drain excess, the others the same one)
  const stalls = outTiles >= 2 ? stall(0) + (outTiles - 2) * stall(1) : 0;
  return start + (outTiles * inTiles - 1) * load + stalls + finish(outTiles - 1) + drain + depth;
}

/** Bytes of a linear layer's weights and biases. */
export function linearWeightBytes(inDim: number, outDim: number, shared: SharedParams): number {
  const p = shared.precision;
  return (inDim * outDim * p.weight.width + outDim * p.bias.width) / 8;
}

/**
 * A read_vector loop (tokens.h: `words` AXI words of `wordBytes`, one per cycle, one burst through
 * ports sustaining `bytesPerCycle`), up to the next statement: the burst latency, the slower of
 * the words and the bytes, the loop's depth.
 */
export function vectorReadCycles(words: number, wordBytes: number, bytesPerCycle: number): number {
  if (words <= 0) return 0;
  return (
    COST.AXI_FIRST_BEAT_CYCLES + Math.max(words, Math.ceil((words * wordBytes) / bytesPerCycle)) - 1 + LATENCY.AXI_READ_DEPTH
  );
}

/** Where layernorm.h's rows come from: the kernel's token port (read_layernorm) or an on-chip array (layernorm). */
export type LayerNormSource = { kind: 'axi'; bytesPerCycle: number; wordBytes: number } | { kind: 'array' };

/**
 * The streaming LayerNorm region (layernorm.h) over `rows` rows: every process takes a chunk a
 * cycle, so rows overlap and the region lasts the source's chunks, then the last row through the
 * mean, the variance, the rsqrt and the output (the variance of a row waits for its mean, the
 * output for its rsqrt: two passes of a row after the source is done). From the token port the
 * source is the m_axi reader (a word a cycle after the burst latency, or the port's rate) split
 * into chunks; from an array a chunk a cycle. γ and β load at the output process's start: if
 * that is later than the first row's rsqrt, the output runs behind from its start.
 */
export function layerNormCycles(
  rows: number,
  plan: LayerNormPlan,
  source: LayerNormSource,
  params: { words: number; wordBytes: number; bytesPerCycle: number },
): number {
  if (rows <= 0) return 0;
  const L = LATENCY;
  const C = plan.chunksPerRow;
  const chunks = rows * C;
  // the mean process's last iteration
  let meanLast: number;
  if (source.kind === 'axi') {
    const words = rows * plan.rowWords;
    const wordReady = (n: number) => COST.AXI_FIRST_BEAT_CYCLES + Math.ceil((n * source.wordBytes) / source.bytesPerCycle) - 1;
    const arrives = L.AXI_READ_DEPTH + L.FIFO_READ_LATENCY; // a word's issue to its read by the splitter
    const splitLast = Math.max(
      Math.max(0, wordReady(1)) + arrives + chunks - 1, // the splitter's pace after the first word
      Math.max(words - 1, wordReady(words)) + arrives + plan.wordChunks - 1, // the last word's arrival
    );
    meanLast = splitLast + L.LAYERNORM_SPLIT_DEPTH + L.FIFO_READ_LATENCY;
  } else {
    meanLast = chunks - 1 + L.ELEMENTWISE_DEPTH + L.FIFO_READ_LATENCY;
  }
  const steady =
    meanLast +
    L.LAYERNORM_SUM_DEPTH +
    L.LAYERNORM_MEAN_CYCLES +
    L.FIFO_READ_LATENCY +
    C +
    L.LAYERNORM_VAR_DEPTH +
    L.LAYERNORM_RSQRT_CYCLES +
    L.FIFO_READ_LATENCY +
    C -
    1 +
    L.LAYERNORM_OUT_DEPTH;
  const paramsDone = 2 * vectorReadCycles(params.words, params.wordBytes, params.bytesPerCycle);
  return Math.max(steady, paramsDone + chunks - 1 + L.LAYERNORM_OUT_DEPTH);
}

// ---------------------------------------------------------------------------- off-chip memory

/**
 * Sustained bytes per kernel cycle of one m_axi port of this design on `slr`: the AXI width ×
 * burst efficiency, capped by the best memory channel the port can
 * reach (local channels at full rate, others through the SLR crossing), times its share.
 */
export function portBytesPerCycle(board: Board, shared: SharedParams, call: CallContext = {}): number {
  // (the stream depth does not enter: the kernels' weight readers feed depth-2 FIFOs whatever it
  // is, and the m_axi adapter's own buffering covers the burst latency)
  const axi = (shared.axiWidthBits / 8) * COST.BURST_EFFICIENCY;
  const slr = call.slr ?? 0;
  let bestGBps = 0;
  for (const m of board.memory) {
    const local = channelSlrs(m).some((s) => s === undefined || s === slr);
    const gbps =
      m.gbps_each * (COST.CHANNEL_EFFICIENCY[m.kind] ?? 0.8) * (local ? 1 : COST.SLR_CROSSING_BANDWIDTH);
    bestGBps = Math.max(bestGBps, gbps);
  }
  const channel = (bestGBps * 1e9) / (shared.clockMhz * 1e6);
  return Math.min(axi, channel) * (call.bandwidthShare ?? 1);
}

/**
 * Sustained bytes per kernel cycle of a kernel's weight reads: weight_ports ports, each on its own
 * channel of the kernels' memory group (connectivity.ts), so P times one port's rate; capped at
 * the channels the group has (validation keeps P within them). The activations keep one port.
 */
export function weightBytesPerCycle(board: Board, shared: SharedParams, call: CallContext = {}): number {
  const ports = Math.min(weightPortCount(shared), kernelMemory(board).count);
  return ports * portBytesPerCycle(board, shared, call);
}

/**
 * Cycles of a weight read loop taking `cycles` iterations at II=1 (one word, or one row of P words,
 * per cycle) for `bytes` through ports sustaining `bytesPerCycle`: the slower of the two, after
 * the AXI latency. With one port the port is the slower (it sustains less than a word a cycle).
 */
export function weightTransferCycles(bytes: number, cycles: number, bytesPerCycle: number): number {
  if (bytes <= 0) return 0;
  return COST.AXI_FIRST_BEAT_CYCLES + Math.max(cycles, Math.ceil(bytes / bytesPerCycle));
}

/** Cycles to stream `bytes` through a port sustaining `bytesPerCycle` (one long burst sequence). */
export function transferCycles(bytes: number, bytesPerCycle: number): number {
  if (bytes <= 0) return 0;
  return COST.AXI_FIRST_BEAT_CYCLES + Math.ceil(bytes / bytesPerCycle);
}

/** LUT/FF/BRAM of one m_axi port (the HLS adapter; not the platform interconnect). */
export function axiPortResources(widthBits: number): Resources {
  return {
    dsp: 0,
    bram18: COST.AXI_BRAM18_PER_64_BITS * Math.ceil(widthBits / 64),
    uram: 0,
    lut: COST.AXI_LUT_BASE + COST.AXI_LUT_PER_BIT * widthBits,
    ff: COST.AXI_FF_BASE + COST.AXI_FF_PER_BIT * widthBits,
  };
}

/** LUT/FF of `macs` MAC lanes plus their DSPs for wa × wb products. */
export function macResources(macs: number, wa: number, wb: number, board: Board): Resources {
  return {
    dsp: macs * dspPerMultiply(wa, wb, board.dsp_kind),
    bram18: 0,
    uram: 0,
    lut: macs * COST.LUT_PER_MAC,
    ff: macs * COST.FF_PER_MAC,
  };
}

/**
 * A linear engine's MACs (linear.h engine_pass): macResources, with the LUT and FF of their adder
 * trees (`treeBits`: tree_t's width, formats.ts tileSumFx) against the fit point's (COST.LUT_FIT_TREE_BITS).
 */
export function engineMacResources(macs: number, wa: number, wb: number, treeBits: number, board: Board): Resources {
  const r = macResources(macs, wa, wb, board);
  const bits = treeBits - COST.LUT_FIT_TREE_BITS;
  r.lut += macs * COST.LUT_PER_TREE_BIT * bits;
  r.ff += macs * COST.FF_PER_TREE_BIT * bits;
  return r;
}

/**
 * LUTs of the per-layer weight-scale shifters (w8a8): each of `sums` exact tile sums per cycle
 * (`bits` wide: the tree's width plus the exponent's) goes through a barrel shifter of up to
 * `maxShift` (one 2:1 mux level per exponent bit).
 */
export function weightShifterLuts(sums: number, maxShift: number, bits: number): number {
  if (maxShift <= 0) return 0;
  return sums * bits * Math.ceil(Math.log2(maxShift + 1));
}

export type NonlinearKind = 'exp' | 'gelu' | 'recip' | 'rsqrt';

/** nonlinear.h INTERP_BITS: the interpolation weight's bits (a signed operand of INTERP_BITS + 1). */
export const NONLINEAR_INTERP_BITS = 14;
const W = NONLINEAR_INTERP_BITS + 1;

/**
 * Each kind's ROM (hls/include/ubimoe/tables.h) and its multiplies as nonlinear.h writes them
 * (signed operand widths; `A` the input's width): every kind interpolates between two table
 * entries (the difference × the weight: `interp_u`'s 27 bits for the Q24 tables, GELU's 33); exp
 * also scales its input by log2(e) (the A-bit magnitude, unsigned, × the 25-bit unsigned constant).
 */
const NONLINEAR: Record<NonlinearKind, { table: Parameters<typeof tableShape>[0]; mults: (A: number) => Array<[number, number]> }> = {
  exp: { table: 'EXP2_NEG_TABLE', mults: (A) => [[A + 1, 26], [27, W]] },
  gelu: { table: 'GELU_TABLE', mults: () => [[33, W]] },
  recip: { table: 'RECIP_TABLE', mults: () => [[27, W]] },
  rsqrt: { table: 'RSQRT_TABLE', mults: () => [[27, W]] },
};

/**
 * BRAM18 of a dual-port ROM (bind_storage type=rom_np impl=bram) of `entries` × `bits`: both
 * ports read, so only the true-dual-port aspects (width <= 18) serve; the cheapest tiling of them.
 * E.g. the GELU table, 2049 × 29 bits: 2 × 1K×18 wide, 3 deep = 6 BRAM18.
 */
export function romBram18(entries: number, bits: number): number {
  let best = Infinity;
  for (const [d, w] of COST.BRAM18_ASPECTS)
    if (w <= COST.BRAM18_TDP_MAX_WIDTH) best = Math.min(best, Math.ceil(bits / w) * Math.ceil(entries / d));
  return best;
}

/**
 * One non-linear unit (nonlinear.h: exp, GELU, reciprocal or rsqrt; `inline off`, its own table):
 * its multiplies (DSP), its logic (range reduction, interpolation, pipeline registers: LUT/FF)
 * and its ROM (BRAM18). The kernels build as many units as their configs say (engineGeluUnits,
 * gateUnits in src/kernels/cpp/blocks.ts), and the estimate counts each. `actBits`: the
 * activation width (operand width of the multiplies).
 */
export function nonlinearUnit(kind: NonlinearKind, actBits: number, board: Board): Resources {
  const u = NONLINEAR[kind];
  const t = tableShape(u.table);
  return {
    dsp: u.mults(actBits).reduce((n, [wa, wb]) => n + dspPerMultiply(wa, wb, board.dsp_kind), 0),
    bram18: romBram18(t.entries, t.bits),
    uram: 0,
    lut: COST.LUT_PER_NONLINEAR,
    ff: COST.FF_PER_NONLINEAR,
  };
}

// ---------------------------------------------------------------------------- MoE routing

/** Token counts of the experts of one MoE block: measured, or the uniform-routing distribution. */
/**
 * The order gate.h `route` runs the active experts in (`counts`: tokens per expert): the busiest,
 * the idlest, the second busiest, the second idlest, ...; ties by the lower index. Indices.
 */
export function expertRunOrder(counts: number[]): number[] {
  const byCount = counts.map((n, e) => ({ n, e })).sort((a, b) => b.n - a.n || a.e - b.e);
  const active = byCount.filter((x) => x.n > 0).map((x) => x.e);
  return active.map((_, a) => active[a % 2 === 0 ? a / 2 : active.length - 1 - (a - 1) / 2]);
}

export interface ExpertLoad {
  /** (probability-weighted) list of (tokens routed to one expert, expected number of such experts) */
  buckets: Array<{ tokens: number; experts: number }>;
  activeExperts: number; // expected number of experts with at least one token
  /**
   * The active experts' token counts in the order they run (expertRunOrder): measured,
   * or for uniform routing one representative routing (the distribution's E quantiles), which the
   * deep-FIFO expert phase (ffn_block.ts expertPhaseCycles) needs as a sequence.
   */
  sequence: number[];
}

const uniformCache = new Map<string, ExpertLoad>();

/**
 * Uniform routing: each token picks k of E experts uniformly, so an expert's token count is
 * Binomial(N, k/E); the expected number of active experts is E·(1 − (1 − k/E)^N).
 */
export function uniformExpertLoad(tokens: number, experts: number, topK: number): ExpertLoad {
  const key = `${tokens}/${experts}/${topK}`;
  const hit = uniformCache.get(key);
  if (hit) return hit;
  const p = topK / experts;
  const buckets: ExpertLoad['buckets'] = [];
  // binomial pmf by recurrence, in log space for stability
  let logP = tokens * Math.log1p(-p); // P(0)
  const ratio = Math.log(p) - Math.log1p(-p);
  for (let n = 1; n <= tokens; n++) {
    logP += Math.log((tokens - n + 1) / n) + ratio;
    const pn = Math.exp(logP);
    if (pn > 1e-12) buckets.push({ tokens: n, experts: experts * pn });
  }
  const activeExperts = experts * (1 - Math.pow(1 - p, tokens));
  // expert j of E takes the distribution's (j + ½)/E quantile (the idle experts' share first)
  const quantiles: number[] = [];
  let below = experts - activeExperts;
  let b = 0;
  for (let j = 0; j < experts; j++) {
    while (below < j + 0.5 && b < buckets.length) below += buckets[b++].experts;
    quantiles.push(below < j + 0.5 ? 0 : b === 0 ? 0 : buckets[b - 1].tokens);
  }
  const load = { buckets, activeExperts, sequence: expertRunOrder(quantiles).map((e) => quantiles[e]) };
  uniformCache.set(key, load);
  return load;
}

/** Measured routing: the token count of each expert in one MoE block. */
export function measuredExpertLoad(tokensPerExpert: number[]): ExpertLoad {
  // in the order the kernel runs them (gate.h route): its first expert is the costed first
  const sequence = expertRunOrder(tokensPerExpert).map((e) => tokensPerExpert[e]);
  const buckets = sequence.map((n) => ({ tokens: n, experts: 1 }));
  return { buckets, activeExperts: buckets.length, sequence };
}
