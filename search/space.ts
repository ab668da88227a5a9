/**
 * The design space: one gene per design.yaml parameter that matters for speed, each with its
 * legal values in increasing order of parallelism/speed (so "up" is always "faster, bigger").
 */
import { kernelMemory, slrCount } from '../src/board/resources.js';
import { WEIGHT_PORTS } from '../src/design/schema.js';
import type { Board } from '../src/board/schema.js';
import type { DesignKernels } from '../src/design/design.js';
import type { ComputeUnits, Placement } from '../src/design/estimate.js';
import type { BlockArchitecture, KernelName } from '../src/kernels/params.js';
import { WEIGHT_FIFO_DEPTHS } from '../src/kernels/latency.js';
import { hasDense, type ModelDims } from '../src/model/config.js';
import { UserError } from '../src/util/errors.js';

export type Objective = 'latency' | 'throughput' | 'dsp-efficiency' | 'energy';
export const OBJECTIVES: Objective[] = ['latency', 'throughput', 'dsp-efficiency', 'energy'];

export type KernelOfGene = 'shared' | KernelName;

export interface Gene {
  name: string; // design.yaml path, e.g. kernels.msa_block.token_lanes
  kernel: KernelOfGene;
  values: number[];
}

/** One point of the space, decoded. */
export interface Candidate {
  clockMhz: number;
  axiWidthBits: number;
  streamDepth: number;
  kernels: DesignKernels; // the space's kernels (split or fused block), each with its weight_ports
  placement: Placement;
  computeUnits: ComputeUnits;
  span: ComputeUnits; // SLRs each block kernel's compute unit spans (only vit_block's may be more than 1)
}

export interface SpaceOptions {
  objective: Objective;
  clockMhz?: number; // fix the clock
  axiWidthBits?: number; // fix the AXI width
  streamDepth?: number; // fix the stream depth
  weightPorts?: number; // fix every kernel's weight ports
  maxSpan?: number; // the most SLRs vit_block's compute unit may span (default: the board's SLRs)
  maxComputeUnits?: number; // replication searched for the throughput objective (default 4)
  block?: BlockArchitecture; // the block's kernels: split (msa_block + ffn_block, default) or fused (vit_block)
  patchOnEngine?: boolean; // fused only: the patch embedding on vit_block's engine (no patch_embed kernel)
}

export interface Space {
  block: BlockArchitecture;
  patchOnEngine: boolean; // vit_block embeds the patches (kernels has no patch_embed)
  kernels: KernelName[]; // patch_embed (unless patchOnEngine), then the block's kernels (call order)
  genes: Gene[];
  dims: ModelDims;
  board: Board;
  decode(genome: number[]): Candidate;
  size: number; // number of points
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** Powers of two that divide every one of `dims` (at most `cap`). */
export function pow2Divisors(dims: number[], cap: number): number[] {
  const g = dims.filter((d) => d > 0).reduce(gcd);
  const out: number[] = [];
  for (let t = 1; t <= cap && g % t === 0; t *= 2) out.push(t);
  return out;
}

const range = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

export const AXI_WIDTHS = [64, 128, 256, 512];

/** The weight port counts a board allows: those the kernels take, up to its kernel memory's channels. */
export function boardWeightPorts(board: Board): number[] {
  const channels = kernelMemory(board).count;
  return WEIGHT_PORTS.filter((p) => p <= channels);
}
export const STREAM_DEPTHS = [16, 32, 64, 128, 256];
export const MAX_TILE = 256;
export const MAX_LANES = 8;
export const MAX_Q_PARALLEL = 16;
export const MAX_KEY_BLOCK = 64;
/**
 * vit_block's LayerNorms: 4..32 elements a cycle (each lane costs multipliers: LUT and DSP). Below 4
 * (an AXI word's 32-bit activations at 128 bits) a LayerNorm is slower than the port it replaced;
 * 32 lanes cost 300+ DSPs, which pays where the rest of the block is fast (u280: the LayerNorms
 * are 12% of a block at 16 lanes), not on zcu102 (1% of the image there).
 */
export const NORM_LANES = { min: 4, max: 32 };

/**
 * Legal values per kernel parameter (what the kernels accept): tile_in divides every input
 * dimension it tiles and tile_out every output dimension (msa_block's qkv: a head's 3·head_dim
 * columns), both powers of two; lanes 1..8;
 * q_parallel 1..16 (a partial last group is handled); key_block a power of two 1..64; vit_block's
 * norm_lanes a power of two 4..32 dividing the embedding dim; weight_fifo one of
 * WEIGHT_FIFO_DEPTHS (latency.ts); lanes,
 * q_parallel and key_block at most the token count (src/kernels/cpp/*.ts validate()).
 */
export function legalKernelValues(dims: ModelDims): Record<string, number[]> {
  const N = dims.numTokens; // lanes, query rows and key blocks beyond the token count are refused by the kernels
  const ffnDims = [
    dims.D,
    ...(hasDense(dims) ? [dims.mlpHidden] : []),
    ...(dims.experts > 0 ? [dims.expertHidden] : []),
  ];
  return {
    'kernels.patch_embed.tile_in': pow2Divisors([dims.patchInputs], MAX_TILE),
    'kernels.patch_embed.tile_out': pow2Divisors([dims.D], MAX_TILE),
    // proj's passes split o's columns by head: tile_in divides the head dim too
    'kernels.msa_block.tile_in': pow2Divisors([dims.D, dims.headDim], MAX_TILE),
    // qkv runs a pass per head: tile_out divides a head's q | k | v columns too
    'kernels.msa_block.tile_out': pow2Divisors([dims.D, 3 * dims.headDim], MAX_TILE),
    'kernels.msa_block.token_lanes': range(1, Math.min(MAX_LANES, N)),
    'kernels.msa_block.q_parallel': range(1, Math.min(MAX_Q_PARALLEL, N)),
    'kernels.msa_block.key_block': pow2Divisors([MAX_KEY_BLOCK], Math.min(MAX_KEY_BLOCK, N)),
    'kernels.ffn_block.tile_in': pow2Divisors(ffnDims, MAX_TILE),
    'kernels.ffn_block.tile_out': pow2Divisors(ffnDims, MAX_TILE),
    'kernels.ffn_block.token_lanes': range(1, Math.min(MAX_LANES, N)),
    // the fused block: one engine for both halves (both halves' constraints), msa_block's attention
    'kernels.vit_block.tile_in': pow2Divisors([dims.D, dims.headDim, ...ffnDims], MAX_TILE),
    'kernels.vit_block.tile_out': pow2Divisors([dims.D, 3 * dims.headDim, ...ffnDims], MAX_TILE),
    'kernels.vit_block.token_lanes': range(1, Math.min(MAX_LANES, N)),
    'kernels.vit_block.q_parallel': range(1, Math.min(MAX_Q_PARALLEL, N)),
    'kernels.vit_block.key_block': pow2Divisors([MAX_KEY_BLOCK], Math.min(MAX_KEY_BLOCK, N)),
    // the LayerNorms that stream the residual array: a power of two (whole banks of r and s)
    'kernels.vit_block.norm_lanes': pow2Divisors([dims.D], NORM_LANES.max).filter((v) => v >= NORM_LANES.min),
    // the engine's weight-tile FIFO: 2 (registers) or deep (BRAM), where the experts' tokens vary
    'kernels.vit_block.weight_fifo': [...WEIGHT_FIFO_DEPTHS],
  };
}

/** The kernels of a design of block architecture `block`, in call order. */
export const spaceKernels = (block: BlockArchitecture, patchOnEngine = false): KernelName[] =>
  block === 'fused' ? (patchOnEngine ? ['vit_block'] : ['patch_embed', 'vit_block']) : ['patch_embed', 'msa_block', 'ffn_block'];

export function buildSpace(dims: ModelDims, board: Board, opts: SpaceOptions): Space {
  const genes: Gene[] = [];
  const fixed: Record<string, number> = {};
  const add = (name: string, kernel: KernelOfGene, values: number[]) => {
    if (values.length === 0) throw new UserError(`search: no legal value for ${name}`);
    if (values.length === 1) fixed[name] = values[0];
    else genes.push({ name, kernel, values });
  };
  if (opts.clockMhz !== undefined && !board.clocks_mhz.allowed.includes(opts.clockMhz))
    throw new UserError(
      `--clock ${opts.clockMhz}: board ${board.name} allows ${board.clocks_mhz.allowed.join(', ')} MHz`,
    );
  add(
    'clock_mhz',
    'shared',
    opts.clockMhz !== undefined ? [opts.clockMhz] : [...board.clocks_mhz.allowed].sort((a, b) => a - b),
  );
  add('axi_width_bits', 'shared', opts.axiWidthBits !== undefined ? [opts.axiWidthBits] : AXI_WIDTHS);
  add('stream_depth', 'shared', opts.streamDepth !== undefined ? [opts.streamDepth] : STREAM_DEPTHS);
  if (opts.weightPorts !== undefined && !boardWeightPorts(board).includes(opts.weightPorts))
    throw new UserError(
      `--weight-ports ${opts.weightPorts}: board ${board.name} allows ${boardWeightPorts(board).join(', ')}`,
    );
  const block = opts.block ?? 'split';
  const patchOnEngine = block === 'fused' && opts.patchOnEngine === true;
  const kernels = spaceKernels(block, patchOnEngine);
  // each kernel its own weight ports: the weight-bound experts may want more than the others
  for (const k of kernels)
    add(`kernels.${k}.weight_ports`, k, opts.weightPorts !== undefined ? [opts.weightPorts] : boardWeightPorts(board));
  for (const [name, values] of Object.entries(legalKernelValues(dims)))
    if ((kernels as string[]).includes(name.split('.')[1]))
      add(
        name,
        name.split('.')[1] as KernelOfGene,
        // the engine's patch pass tiles the C·P·P patch inputs by tile_in too
        patchOnEngine && name === 'kernels.vit_block.tile_in' ? values.filter((v) => dims.patchInputs % v === 0) : values,
      );
  const nSlr = slrCount(board);
  for (const k of kernels) add(`placement.${k}`, 'shared', range(0, nSlr - 1));
  const maxCu = opts.objective === 'throughput' ? (opts.maxComputeUnits ?? 4) : 1;
  for (const k of kernels.slice(1)) add(`compute_units.${k}`, 'shared', range(1, maxCu));
  // the fused block's one compute unit across adjacent SLRs, where the board gives the SLLs between them
  const maxSpan = Math.min(nSlr, opts.maxSpan ?? nSlr);
  const spans = block === 'fused' && maxSpan > 1 && board.sll_per_boundary !== undefined;
  if (spans) add('span.vit_block', 'shared', range(1, maxSpan));

  const index = new Map(genes.map((g, i) => [g.name, i]));
  const get = (genome: number[], name: string): number => {
    const i = index.get(name);
    return i === undefined ? fixed[name] : genes[i].values[genome[i]];
  };
  // each kernel's parameters (design.yaml's order: the legal values', then weight_ports)
  const paramNames = Object.fromEntries(
    kernels.map((k) => [
      k,
      [...Object.keys(legalKernelValues(dims)).filter((n) => n.startsWith(`kernels.${k}.`)), `kernels.${k}.weight_ports`],
    ]),
  ) as Record<KernelName, string[]>;
  const decode = (genome: number[]): Candidate => {
    const ks: Record<string, Record<string, number>> = {};
    for (const k of kernels) {
      const p: Record<string, number> = {};
      for (const n of paramNames[k]) p[n.slice(`kernels.${k}.`.length)] = get(genome, n);
      ks[k] = p;
    }
    // (a flag, not a gene: the space is the fused block with the patches on its engine)
    if (patchOnEngine) (ks.vit_block as Record<string, unknown>).patch_on_engine = true;
    const placement: Placement = { patch_embed: 0, msa_block: 0, ffn_block: 0, vit_block: 0 };
    const computeUnits: ComputeUnits = { msa_block: 1, ffn_block: 1, vit_block: 1 };
    for (const k of kernels) placement[k] = get(genome, `placement.${k}`);
    for (const k of kernels.slice(1)) computeUnits[k as keyof ComputeUnits] = get(genome, `compute_units.${k}`);
    const span: ComputeUnits = { msa_block: 1, ffn_block: 1, vit_block: spans ? get(genome, 'span.vit_block') : 1 };
    if (span.vit_block > 1) {
      // one compute unit, on SLRs that exist
      computeUnits.vit_block = 1;
      placement.vit_block = Math.min(placement.vit_block, nSlr - span.vit_block);
    }
    return {
      clockMhz: get(genome, 'clock_mhz'),
      axiWidthBits: get(genome, 'axi_width_bits'),
      streamDepth: get(genome, 'stream_depth'),
      kernels: ks as unknown as DesignKernels,
      placement,
      computeUnits,
      span,
    };
  };
  return { block, patchOnEngine, kernels, genes, dims, board, decode, size: genes.reduce((a, g) => a * g.values.length, 1) };
}

/** The genome whose every gene is at its smallest value (the cheapest design). */
export const smallestGenome = (space: Space): number[] => space.genes.map(() => 0);
