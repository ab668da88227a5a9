/**
 * Weight packing: a checkpoint -> the device layout of one design (docs/weights.md): fixed point
 * in the design's formats (rounded to nearest, saturated, with a report of what saturated),
 * tiled and word-aligned exactly as the kernels read it (src/kernels/cpp/layout.ts segments),
 * behind a header carrying the design hash the runner checks.
 */
import { designWeightPorts, fusedKernel, splitKernels, weightPortsWord, type Design } from '../design/design.js';
import type { KernelName } from '../kernels/params.js';
import { designHash, WEIGHTS_FORMAT_VERSION } from '../design/hash.js';
import { weightLayout as ffnLayout } from '../kernels/cpp/ffn_block.js';
import { frac, type Fx } from '../kernels/cpp/fixed.js';
import type { WeightDigit } from '../kernels/cpp/layout.js';
import {
  linearWords,
  perWord,
  wordsFor,
  type KernelWeights,
  type Segment,
  type TensorSlice,
} from '../kernels/cpp/layout.js';
import { weightLayout as msaLayout } from '../kernels/cpp/msa_block.js';
import { weightLayout as patchLayout } from '../kernels/cpp/patch_embed.js';
import { weightLayout as vitLayout } from '../kernels/cpp/vit_block.js';
import { validateCheckpoint, type Checkpoint } from '../model/checkpoint.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';

export const WEIGHTS_MAGIC = 'UBIMOEW\0';
export const PAGE = 4096;
export const FIXED_HEADER_BYTES = 104;
export const REGION_ENTRY_BYTES = 32;

export interface ClippedTensor {
  tensor: string; // checkpoint name (with [e] for one expert's slice)
  values: number;
  clipped: number;
  maxAbs: number; // largest |value| in the checkpoint
  limit: number; // largest magnitude the format holds
  format: string; // e.g. ap_fixed<16,2>
}

export interface ClipReport {
  values: number; // values packed
  clipped: number; // values that saturated
  tensors: ClippedTensor[]; // tensors with at least one saturated value
}

/** The power-of-two scale of one scaled tensor (per-layer weight scales): stored as w·2^shift. */
export interface TensorScale {
  tensor: string; // checkpoint name (with [e] for one expert's slice)
  shift: number; // the exponent s written to the segment's scale word
  maxShift: number; // the largest the kernel applies
  maxAbs: number; // largest |value| in the checkpoint
}

export interface PackedWeights {
  bytes: Uint8Array;
  designHash: string;
  regions: Array<{ name: string; offset: number; bytes: number }>;
  clipped: ClipReport;
  scales: TensorScale[]; // one per scaled segment, in file order (empty without weight scales)
}

/**
 * The exponent of a tensor packed with a scale: the largest s <= maxShift for which every
 * value·2^s quantises to `f` (rounded to nearest, ties away from zero) without saturating; 0 when
 * even s = 0 saturates (the saturation is then reported as without scales).
 */
export function weightExponent(data: Float32Array, f: Fx, maxShift: number): number {
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v > hi) hi = v;
    else if (v < lo) lo = v;
  }
  const maxRaw = f.signed ? 2 ** (f.width - 1) - 1 : 2 ** f.width - 1;
  const minRaw = f.signed ? -(2 ** (f.width - 1)) : 0;
  for (let s = maxShift; s > 0; s--) {
    const scale = 2 ** (frac(f) + s);
    if (Math.round(hi * scale) <= maxRaw && -Math.round(-lo * scale) >= minRaw) return s;
  }
  return 0;
}

/** The weight regions of a design, one per kernel in call order (designKernels), in file order. */
export function designWeightLayout(design: Design): KernelWeights[] {
  const { dims, shared, kernels, model } = design;
  // (no patch_embed region when vit_block embeds the patches: its region starts with them, block -1)
  const patch = kernels.patch_embed ? [patchLayout(kernels.patch_embed, dims, shared)] : [];
  if (design.block === 'fused') return [...patch, vitLayout(fusedKernel(design), dims, shared, model)];
  const split = splitKernels(design);
  return [...patch, msaLayout(split.msa, dims, shared), ffnLayout(split.ffn, dims, shared, model)];
}

/**
 * The block table's two offsets of block b (words): where its attention half and its MLP half
 * start in their region (split: msa_block's and ffn_block's regions; fused: both in vit_block's,
 * the MLP half after the attention half).
 */
function blockHalves(layouts: KernelWeights[], b: number): [number, number] {
  const find = (l: KernelWeights) => l.blocks.find((x) => x.block === b)!;
  const vit = layouts.find((l) => l.kernel === 'vit_block');
  if (vit) {
    const block = find(vit);
    const mlp = block.segments.find((s) => s.name === 'norm2.weight');
    if (!mlp) throw new Error('internal: a vit_block block without its MLP half');
    return [block.offset, block.offset + mlp.offset];
  }
  const msa = layouts.find((l) => l.kernel === 'msa_block')!;
  const ffn = layouts.find((l) => l.kernel === 'ffn_block')!;
  return [find(msa).offset, find(ffn).offset];
}

const align = (n: number, to: number) => Math.ceil(n / to) * to;

/** Writes `width` bits of two's-complement `raw` at bit `pos` of `buf` (little-endian bit order). */
function putField(buf: Uint8Array, pos: number, width: number, raw: number): void {
  if (width <= 32) {
    let v = width === 32 ? raw >>> 0 : (raw & (2 ** width - 1)) >>> 0;
    let byte = pos >>> 3;
    let shift = pos & 7;
    let left = width;
    while (left > 0) {
      const take = Math.min(8 - shift, left);
      buf[byte] |= (v & ((1 << take) - 1)) << shift;
      v = Math.floor(v / 2 ** take);
      left -= take;
      shift = 0;
      byte++;
    }
  } else {
    let v = BigInt.asUintN(width, BigInt(raw));
    for (let i = 0; i < width; i++, v >>= 1n) if (v & 1n) buf[(pos + i) >>> 3] |= 1 << ((pos + i) & 7);
  }
}

/** Quantiser + field writer for one format: the per-value work of packing, kept allocation-free. */
function fieldWriter(
  buf: Uint8Array,
  f: Fx,
): { scale: number; min: number; max: number; write: (bitPos: number, raw: number) => void } {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const signed = f.signed;
  const write =
    f.width === 8
      ? (pos: number, raw: number) => (pos & 7 ? putField(buf, pos, 8, raw) : dv.setInt8(pos >>> 3, raw))
      : f.width === 16
        ? (pos: number, raw: number) =>
            pos & 7 ? putField(buf, pos, 16, raw) : dv.setInt16(pos >>> 3, raw, true)
        : f.width === 32
          ? (pos: number, raw: number) =>
              pos & 7 ? putField(buf, pos, 32, raw) : dv.setInt32(pos >>> 3, raw, true)
          : (pos: number, raw: number) => putField(buf, pos, f.width, raw);
  return {
    scale: 2 ** frac(f),
    max: signed ? 2 ** (f.width - 1) - 1 : 2 ** f.width - 1,
    min: signed ? -(2 ** (f.width - 1)) : 0,
    write,
  };
}

class Packer {
  readonly report: ClipReport = { values: 0, clipped: 0, tensors: [] };
  readonly scales: TensorScale[] = [];
  constructor(
    private readonly ckpt: Checkpoint,
    private readonly axi: number,
  ) {}

  /** The weight ports of the region being packed (its segments are padded to whole rows of them). */
  ports = 1;

  private length(slice: TensorSlice): number {
    return this.ckpt.get(slice.name)?.data.length ?? 0;
  }

  private source(slice: TensorSlice, count: number): { data: Float32Array; label: string } {
    const t = this.ckpt.get(slice.name);
    if (!t) throw new UserError(`checkpoint: missing tensor '${slice.name}'`);
    const start = (slice.index ?? 0) * count;
    if (start + count > t.data.length)
      throw new UserError(`checkpoint: tensor '${slice.name}' is too small for this design`);
    return {
      data: t.data.subarray(start, start + count),
      label: slice.index === undefined ? slice.name : `${slice.name}[${slice.index}]`,
    };
  }

  /**
   * Quantises `v`·2^shift to a writer's format (round to nearest, saturate) and writes it at
   * `pos`; a saturation is recorded with the checkpoint's |v|.
   */
  private clip = { count: 0, maxAbs: 0 };
  private shift = 0;
  private put(wr: ReturnType<typeof fieldWriter>, pos: number, v: number): void {
    const a = Math.abs(v);
    let raw = Math.round(a * wr.scale * 2 ** this.shift);
    if (v < 0) raw = -raw;
    if (raw > wr.max || raw < wr.min) {
      raw = raw > wr.max ? wr.max : wr.min;
      this.clip.count++;
      if (a > this.clip.maxAbs) this.clip.maxAbs = a;
    }
    wr.write(pos, raw);
  }

  // per tensor (a tensor split over several segments, qkv's heads, is one entry): its report
  // entry, listed once it has a saturated value
  private readonly tensorEntries = new Map<string, ClipReport['tensors'][number]>();

  private record(label: string, f: Fx, values: number): void {
    this.report.values += values;
    let entry = this.tensorEntries.get(label);
    if (!entry) {
      entry = {
        tensor: label,
        values: 0,
        clipped: 0,
        maxAbs: 0,
        limit: 2 ** (f.int - 1 - this.shift),
        format: `ap_fixed<${f.width},${f.int}>` + (this.shift ? ` x 2^-${this.shift}` : ''),
      };
      this.tensorEntries.set(label, entry);
    }
    entry.values += values;
    if (this.clip.count) {
      this.report.clipped += this.clip.count;
      if (entry.clipped === 0) this.report.tensors.push(entry);
      entry.clipped += this.clip.count;
      entry.maxAbs = Math.max(entry.maxAbs, this.clip.maxAbs);
    }
    this.clip = { count: 0, maxAbs: 0 };
  }

  /** Picks the exponent of a scaled tensor (maxShift > 0), records it; `put` then applies it. */
  private scaleFor(data: Float32Array, label: string, f: Fx, maxShift: number): void {
    this.shift = maxShift > 0 ? weightExponent(data, f, maxShift) : 0;
    if (maxShift > 0 && !this.scales.some((x) => x.tensor === label)) {
      let maxAbs = 0;
      for (let i = 0; i < data.length; i++) maxAbs = Math.max(maxAbs, Math.abs(data[i]));
      this.scales.push({ tensor: label, shift: this.shift, maxShift, maxAbs });
    }
  }

  /**
   * The scale word (docs/weights.md): the exponent in the low 32 bits of word `at` of the segment
   * (right after its biases or rows; the words after it, if any, pad the segment to the weight ports).
   */
  private putScaleWord(buf: Uint8Array, base: number, seg: Segment, at: number): void {
    if (seg.maxShift > 0) putField(buf, (base + seg.offset + at) * this.axi, 32, this.shift);
    this.shift = 0;
  }

  /**
   * Writes one digit of a weight quantised to its own format (digit.of, unscaled, as put would):
   * q = hi·2^low + lo; the high digit must fit the engine's format (else the checkpoint is refused).
   */
  private digitWriter(wr: ReturnType<typeof fieldWriter>, engine: Fx, digit: WeightDigit, label: string, inDim: number) {
    const of = fieldWriter(new Uint8Array(0), digit.of);
    const unit = 2 ** digit.low;
    return (pos: number, v: number, out: number, col: number): void => {
      let q = Math.round(Math.abs(v) * of.scale);
      if (v < 0) q = -q;
      if (q > of.max || q < of.min) {
        q = q > of.max ? of.max : of.min;
        this.clip.count++;
        this.clip.maxAbs = Math.max(this.clip.maxAbs, Math.abs(v));
      }
      const hi = Math.floor(q / unit);
      if (hi > wr.max || hi < wr.min)
        throw new UserError(
          `checkpoint: ${label}[${out * inDim + col}] is ${v}: on the block engine (kernels.vit_block.patch_on_engine) the patch weights split into a ${engine.width}-bit high digit and a ${digit.low}-bit low digit, which hold |w| < ${(wr.max + 1) * unit / of.scale}; a design with a patch_embed kernel takes it`,
        );
      wr.write(pos, digit.part === 'hi' ? hi : q - hi * unit);
    };
  }

  segment(buf: Uint8Array, base: number, seg: Segment): void {
    const axi = this.axi;
    if (seg.kind === 'linear') {
      // `used` outputs come from the tensor ([out, in], or [in, used] when transposed), or the
      // listed `rows` / `cols` of an [out, in] tensor (the exponent below still over the whole tensor); the
      // padding columns and a missing bias stay zero (the buffer starts zeroed)
      const { rows, cols } = seg;
      // with `rows` or `cols`: the whole tensor (the listed rows and columns must lie in it)
      const tensorIn = cols ? Math.max(Math.max(...cols) + 1, this.length(seg.weight) / seg.used) : seg.in;
      const tensorRows = rows ? Math.max(Math.max(...rows) + 1, this.length(seg.weight) / tensorIn) : seg.used;
      const { data: w, label } = this.source(seg.weight, tensorIn * tensorRows);
      const b = seg.bias ? this.source(seg.bias, tensorRows) : null;
      const row = rows ? (o: number) => rows[o] : (o: number) => o;
      const column = cols ? (c: number) => cols[c] : (c: number) => c;
      const wAt = seg.transposed
        ? (o: number, c: number) => w[c * seg.used + o]
        : (o: number, c: number) => w[row(o) * tensorIn + column(c)];
      const wb = seg.weightFx.width;
      const wpw = perWord(wb, axi);
      const { tileWords, tilesOffset, biasWords } = linearWords(
        seg.in,
        seg.out,
        seg.tileIn,
        seg.tileOut,
        seg.weightFx,
        seg.biasFx,
        axi,
        seg.maxShift,
        this.ports,
      );
      const inTiles = seg.in / seg.tileIn;
      const { tileIn: TI, tileOut: TO } = seg;
      const wr = fieldWriter(buf, seg.weightFx);
      const digit = seg.digit;
      if (digit) this.shift = digit.part === 'lo' ? digit.low : 0;
      else this.scaleFor(w, label, seg.weightFx, seg.maxShift);
      const at = digit ? this.digitWriter(wr, seg.weightFx, digit, label, tensorIn) : null;
      for (let to = 0; to < seg.out / TO; to++)
        for (let ti = 0; ti < inTiles; ti++) {
          const tileBit = (base + seg.offset + tilesOffset + (to * inTiles + ti) * tileWords) * axi;
          for (let i = 0; i < TI; i++) {
            const col = ti * TI + i;
            for (let o = 0; o < TO; o++) {
              const out = to * TO + o;
              if (out >= seg.used) continue;
              const kIdx = i * TO + o;
              const word = (kIdx / wpw) | 0;
              const pos = tileBit + word * axi + (kIdx - word * wpw) * wb;
              if (at) at(pos, wAt(out, col), out, col);
              else this.put(wr, pos, wAt(out, col));
            }
          }
        }
      // (a tensor split into digits counts once, with its own format)
      if (digit?.part !== 'lo') this.record(label, digit?.of ?? seg.weightFx, seg.in * seg.used);
      this.putScaleWord(buf, base, seg, biasWords);
      const bw = seg.biasFx.width;
      const bpw = perWord(bw, axi);
      const biasBase = base + seg.offset;
      if (b) {
        const br = fieldWriter(buf, seg.biasFx);
        for (let c = 0; c < seg.used; c++)
          this.put(br, (biasBase + Math.floor(c / bpw)) * axi + (c % bpw) * bw, b.data[row(c)]);
        this.record(b.label, seg.biasFx, seg.used);
      }
    } else {
      const { data, label } = this.source(seg.tensor, seg.rows * seg.cols);
      const fw = seg.fx.width;
      const pw = perWord(fw, axi);
      const rowWords = wordsFor(seg.cols, fw, axi);
      const { rows, cols } = seg;
      const wr = fieldWriter(buf, seg.fx);
      this.scaleFor(data, label, seg.fx, seg.maxShift);
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < cols; c++)
          this.put(
            wr,
            (base + seg.offset + r * rowWords + Math.floor(c / pw)) * axi + (c % pw) * fw,
            seg.transpose ? data[c * rows + r] : data[r * cols + c],
          );
      this.record(label, seg.fx, rows * cols);
      this.putScaleWord(buf, base, seg, rows * rowWords);
    }
  }
}

/** Packs `ckpt` (validated against the design's model) into the design's device layout. */
export function packWeights(design: Design, ckpt: Checkpoint): PackedWeights {
  validateCheckpoint(ckpt, design.model);
  const axi = design.shared.axiWidthBits;
  const wordBytes = axi / 8;
  const layouts = designWeightLayout(design);
  const depth = design.dims.depth;
  const headerBytes = align(FIXED_HEADER_BYTES + layouts.length * REGION_ENTRY_BYTES + depth * 8, PAGE);
  const regions: PackedWeights['regions'] = [];
  let at = headerBytes;
  for (const l of layouts) {
    regions.push({ name: l.kernel, offset: at, bytes: l.words * wordBytes });
    at = align(at + l.words * wordBytes, PAGE);
  }
  const total = at;
  const bytes = new Uint8Array(total);
  const dv = new DataView(bytes.buffer);
  const hash = designHash(design);
  for (let i = 0; i < 8; i++) bytes[i] = WEIGHTS_MAGIC.charCodeAt(i);
  dv.setUint32(8, WEIGHTS_FORMAT_VERSION, true);
  dv.setUint32(12, headerBytes, true);
  for (let i = 0; i < 64; i++) bytes[16 + i] = i < hash.length ? hash.charCodeAt(i) : 0;
  dv.setBigUint64(80, BigInt(total), true);
  dv.setUint32(88, axi, true);
  dv.setUint32(92, layouts.length, true);
  dv.setUint32(96, depth, true);
  const ports = designWeightPorts(design);
  dv.setUint32(100, weightPortsWord(design), true);
  regions.forEach((r, i) => {
    const e = FIXED_HEADER_BYTES + i * REGION_ENTRY_BYTES;
    for (let j = 0; j < 16; j++) bytes[e + j] = j < r.name.length ? r.name.charCodeAt(j) : 0;
    dv.setBigUint64(e + 16, BigInt(r.offset), true);
    dv.setBigUint64(e + 24, BigInt(r.bytes), true);
  });
  const table = FIXED_HEADER_BYTES + layouts.length * REGION_ENTRY_BYTES;
  for (let b = 0; b < depth; b++) {
    const [attention, mlp] = blockHalves(layouts, b);
    dv.setUint32(table + 8 * b, attention, true);
    dv.setUint32(table + 8 * b + 4, mlp, true);
  }

  const packer = new Packer(ckpt, axi);
  layouts.forEach((l, i) => {
    packer.ports = ports[l.kernel as KernelName];
    const region = bytes.subarray(regions[i].offset, regions[i].offset + regions[i].bytes);
    for (const blk of l.blocks) for (const seg of blk.segments) packer.segment(region, blk.offset, seg);
  });
  return { bytes, designHash: hash, regions, clipped: packer.report, scales: packer.scales };
}

/** Packs and writes atomically; returns the packing (with its clip report). */
export function writePackedWeights(path: string, design: Design, ckpt: Checkpoint): PackedWeights {
  const packed = packWeights(design, ckpt);
  writeFileAtomic(path, packed.bytes);
  return packed;
}

/** One line about saturated values, or null when none saturated. */
export function clipSummary(r: ClipReport): string | null {
  if (r.clipped === 0) return null;
  const worst = [...r.tensors].sort((a, b) => b.clipped - a.clipped).slice(0, 3);
  return (
    `${r.clipped} of ${r.values} weights saturated in packing: ` +
    worst
      .map(
        (t) => `${t.tensor} (${t.clipped}, max |w| ${t.maxAbs.toPrecision(3)} > ${t.limit} of ${t.format})`,
      )
      .join(', ') +
    (r.tensors.length > 3 ? ', ...' : '')
  );
}

/**
 * One line about the per-layer weight exponents (how many tensors got each s, and the smallest
 * and largest with an example), or null when the design has no weight scales.
 */
export function scaleSummary(scales: TensorScale[]): string | null {
  if (scales.length === 0) return null;
  const byShift = new Map<number, number>();
  for (const t of scales) byShift.set(t.shift, (byShift.get(t.shift) ?? 0) + 1);
  const counts = [...byShift.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([s, n]) => `s=${s}: ${n}`)
    .join(', ');
  const lo = scales.reduce((a, b) => (b.shift < a.shift ? b : a));
  const hi = scales.reduce((a, b) => (b.shift > a.shift ? b : a));
  const ex = (t: TensorScale) => `${t.tensor} s=${t.shift} (max |w| ${t.maxAbs.toPrecision(3)})`;
  return (
    `per-layer weight scales 2^s of ${scales.length} tensors (stored w·2^s): ${counts}; ` +
    (lo === hi ? ex(lo) : `e.g. ${ex(lo)}, ${ex(hi)}`)
  );
}
