/**
 * Device weight layout (docs/weights.md): how a kernel's parameters sit in its gmem_w region,
 * in AXI words. The kernels' templates read exactly this (offsets are rendered into config.h)
 * and src/driver/pack.ts writes exactly this (it walks the segments).
 */
import type { Fx } from './fixed.js';

/** A checkpoint tensor, optionally one slice of its first dimension (expert e of [E, ...]). */
export interface TensorSlice {
  name: string;
  index?: number;
}

/**
 * `linear`: tiles of TILE_IN x TILE_OUT weights in (out tile, in tile) order, each tile's elements
 *   [i][o] row-major, `perWord` to a word, every tile starting on a word; then the OUT biases.
 *   The weight tensor is [out, in] (PyTorch's Linear layout; a conv weight flattened to it), or
 *   with `transposed` [in, used] (MoE gates: w_gate [D, E]). Only the first `used` (<= out) outputs
 *   come from the tensor: the rest are zero columns padding out to a multiple of tileOut (a gate's
 *   E experts). `bias` null: zero biases (the gate has none; the engine reads biases every pass).
 *   `rows` (a list of output rows of the [out, in] tensor): the layer's outputs are those rows and
 *   their biases, in that order (one head's q, k and v rows of the qkv projection); a scaled
 *   layer's exponent is still chosen over the whole tensor, so splitting a layer changes no value.
 *   `cols` (a list of input columns of the [out, in] tensor): likewise, the layer's inputs are
 *   those columns (the attention output projection split by the heads it reads); the partial
 *   layers' outputs add up to the whole layer's, each rounded on its own (the bias in one of them).
 * `rows`: `rows` rows of `cols` values, every row starting on a word. `transpose`: the tensor is
 *   [cols, rows] and row r is its column r (MoE gates: w_gate [D, E] stored per expert).
 * `maxShift` > 0 (per-layer weight scales): the weights are stored as w·2^s, and one more word
 *   follows the segment (after the biases of a linear, after the last row): the scale word, s as
 *   an unsigned integer in its low 32 bits (0 <= s <= maxShift; the packer picks s).
 * With P weight ports (`weight_ports`), every tile takes a multiple of P words and every segment
 *   is padded with zero words to a multiple of P (so every offset is one too): word j of a region
 *   sits on port j % P at index j / P, and each port reads its share of a layer as one burst.
 */
export type Segment =
  | {
      kind: 'linear';
      name: string;
      offset: number;
      words: number;
      weight: TensorSlice;
      bias: TensorSlice | null;
      in: number;
      out: number;
      used: number;
      transposed: boolean;
      rows?: number[];
      cols?: number[];
      tileIn: number;
      tileOut: number;
      weightFx: Fx;
      biasFx: Fx;
      maxShift: number;
      // one digit of the tensor quantised to `of` (q = hi·2^low + lo): the layer holds hi (in
      // weightFx, exponent 0) or lo (0 .. 2^low − 1, exponent low); see patchWeightsOnEngine
      digit?: WeightDigit;
    }
  | {
      kind: 'rows';
      name: string;
      offset: number;
      words: number;
      tensor: TensorSlice;
      rows: number;
      cols: number;
      fx: Fx;
      transpose: boolean;
      maxShift: number;
    };

/** One digit of a weight tensor split over two engine layers (vit_block's patch projection at w8a8). */
export interface WeightDigit {
  of: Fx; // the tensor's own format (the patch weights')
  low: number; // bits of the low digit
  part: 'hi' | 'lo';
}

/** Fields of `bits` bits in one `axiBits` word. */
export function perWord(bits: number, axiBits: number): number {
  const n = Math.floor(axiBits / bits);
  if (n < 1) throw new Error(`a ${bits}-bit field does not fit a ${axiBits}-bit AXI word`);
  return n;
}

/** Words holding `count` fields of `bits` bits. */
export function wordsFor(count: number, bits: number, axiBits: number): number {
  return Math.ceil(count / perWord(bits, axiBits));
}

/** `words` rounded up to whole rows of `ports` words (one word on each weight port). */
export function padToPorts(words: number, ports = 1): number {
  return Math.ceil(words / ports) * ports;
}

/** Where word `j` of a region lives with `ports` weight ports: port j % P, index j / P. */
export function portOf(j: number, ports: number): { port: number; index: number } {
  return { port: j % ports, index: Math.floor(j / ports) };
}

/**
 * Splits a region (`words` words of `wordBytes` bytes) into its `ports` per-port buffers (the
 * runner and the XRT host do the same when they load a packed file).
 */
export function splitRegion(region: Uint8Array, wordBytes: number, ports: number): Uint8Array[] {
  const words = region.length / wordBytes;
  if (!Number.isInteger(words / ports)) throw new Error(`a region of ${words} words does not split over ${ports} ports`);
  const out = Array.from({ length: ports }, () => new Uint8Array((words / ports) * wordBytes));
  for (let j = 0; j < words; j++) {
    const { port, index } = portOf(j, ports);
    out[port].set(region.subarray(j * wordBytes, (j + 1) * wordBytes), index * wordBytes);
  }
  return out;
}

/**
 * A linear layer's words (linear.h engine_read reads them as one burst): its biases, its scale
 * word, zero words to a whole row of the weight ports, then its tiles.
 */
export interface LinearWords {
  tileWords: number; // a multiple of the weight ports
  biasWords: number; // from the layer start
  scaleWords: number; // 1 when the layer carries a scale word (right after the biases), else 0
  tilesOffset: number; // words from the layer start to its first tile: the bias rows, whole rows of the ports
  weightWords: number; // all tiles
  words: number; // tilesOffset + weightWords: a multiple of the weight ports
}

export function linearWords(
  inDim: number,
  outDim: number,
  tileIn: number,
  tileOut: number,
  w: Fx,
  b: Fx,
  axi: number,
  maxShift = 0,
  ports = 1,
): LinearWords {
  const tileWords = padToPorts(wordsFor(tileIn * tileOut, w.width, axi), ports);
  const weightWords = (inDim / tileIn) * (outDim / tileOut) * tileWords;
  const biasWords = wordsFor(outDim, b.width, axi);
  const scaleWords = maxShift > 0 ? 1 : 0;
  const tilesOffset = padToPorts(biasWords + scaleWords, ports);
  return { tileWords, biasWords, scaleWords, tilesOffset, weightWords, words: tilesOffset + weightWords };
}

/** Appends segments at increasing word offsets. */
export class LayoutBuilder {
  readonly segments: Segment[] = [];
  words = 0;
  constructor(
    readonly axiBits: number,
    readonly ports = 1,
  ) {}

  linear(
    name: string,
    weight: TensorSlice,
    bias: TensorSlice | null,
    inDim: number,
    outDim: number,
    tileIn: number,
    tileOut: number,
    weightFx: Fx,
    biasFx: Fx,
    maxShift = 0,
    opts: { used?: number; transposed?: boolean; rows?: number[]; cols?: number[]; digit?: WeightDigit } = {},
  ): number {
    const offset = this.words;
    const { words } = linearWords(inDim, outDim, tileIn, tileOut, weightFx, biasFx, this.axiBits, maxShift, this.ports);
    this.segments.push({
      kind: 'linear',
      name,
      offset,
      words,
      weight,
      bias,
      in: inDim,
      out: outDim,
      used: opts.used ?? outDim,
      transposed: opts.transposed ?? false,
      ...(opts.rows ? { rows: opts.rows } : {}),
      ...(opts.cols ? { cols: opts.cols } : {}),
      tileIn,
      tileOut,
      weightFx,
      biasFx,
      maxShift,
      ...(opts.digit ? { digit: opts.digit } : {}),
    });
    this.words += words;
    return offset;
  }

  rows(
    name: string,
    tensor: TensorSlice,
    rows: number,
    cols: number,
    f: Fx,
    transpose = false,
    maxShift = 0,
  ): number {
    const offset = this.words;
    const words = padToPorts(rows * wordsFor(cols, f.width, this.axiBits) + (maxShift > 0 ? 1 : 0), this.ports);
    this.segments.push({ kind: 'rows', name, offset, words, tensor, rows, cols, fx: f, transpose, maxShift });
    this.words += words;
    return offset;
  }
}

/** One block's (or the patch embedding's) parameters inside a kernel's region. */
export interface BlockWeights {
  block: number; // -1 for the patch embedding
  offset: number; // words from the region start
  words: number;
  segments: Segment[]; // offsets relative to the block
}

/** A kernel's whole gmem_w region. */
export interface KernelWeights {
  kernel: string;
  words: number;
  blocks: BlockWeights[];
}
