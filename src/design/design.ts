import { loadBoard, validateBoard } from '../board/load.js';
import type { Board } from '../board/schema.js';
import { loadModel, modelDims, validateModel, type ModelConfig, type ModelDims } from '../model/config.js';
import {
  KERNEL_NAMES,
  kernelPortCount,
  patchOnEngine,
  type BlockArchitecture,
  type FfnParams,
  type KernelName,
  type MsaParams,
  type PatchEmbedParams,
  type VitParams,
} from '../kernels/params.js';
import type { Precision, SharedParams } from '../kernels/types.js';
import { parseWith, readYaml } from '../util/yamlfile.js';
import { designFileSchema, type DesignFile, type DesignFileInput } from './schema.js';

/**
 * The precision presets (UbiMoE's W16A32 is the default). docs/csim.md ("Numerics") gives the
 * value ranges each choice rests on.
 */
export const PRECISIONS: Record<string, Precision> = {
  w16a32: {
    activation: { width: 32, int: 10 },
    accum: { width: 48, int: 16 },
    weight: { width: 16, int: 2 },
    bias: { width: 16, int: 5 },
    norm: { width: 16, int: 5 },
    patch_weight: { width: 16, int: 2 },
  },
  // W8A8-style: 8-bit operands at the MACs of every linear layer (weights; inputs quantised to
  // linear_input where the engine reads them), exact 32-bit accumulation (18 fractional bits hold
  // every product exactly). The residual stream, LayerNorm, attention, gate inputs and GELU keep
  // W16A32's 32-bit activations (trained ViTs put values far outside an 8-bit range into the
  // LayerNorm inputs). The patch projection (about 2% of the MACs) keeps 16-bit weights: 8 bits
  // cost more accuracy there than in any other layer (docs/csim.md). Each linear layer's and MoE
  // gate's weights carry a power-of-two scale chosen at pack time (weight_scale; W16A32 has none).
  w8a8: {
    activation: { width: 32, int: 10 },
    accum: { width: 32, int: 14 },
    weight: { width: 8, int: 1 },
    bias: { width: 16, int: 5 },
    norm: { width: 16, int: 5 },
    patch_weight: { width: 16, int: 2 },
    linear_input: { width: 8, int: 4 },
    // q, k, v at 18 bits (W16A32: 24, 8 integer): q·k and the probabilities × v then take one
    // DSP48E2 multiplier each instead of two; ±32 holds the synthetic checkpoints' |q|, |k|, |v|
    // <= 5 with headroom, 12 fractional bits keep the accuracy of 24 (docs/csim.md, "Numerics (W8A8)")
    qkv: { width: 18, int: 6 },
    weight_scale: 'per-layer',
  },
};

/** A resolved design: model + board + kernel parameters + precision, all validated. */
export interface Design {
  file: DesignFile; // as written in design.yaml (model/board possibly by name)
  model: ModelConfig;
  dims: ModelDims;
  board: Board;
  shared: SharedParams;
  /** The block's kernels: split (msa_block, ffn_block) or fused (vit_block); designKernels lists them. */
  block: BlockArchitecture;
  kernels: DesignKernels;
  placement: Record<KernelName, number>; // every kernel's SLR (0 when not given; only designKernels' matter)
  computeUnits: Record<BlockKernelName, number>; // 1 when not given
  span: Record<BlockKernelName, number>; // SLRs a block kernel's compute unit spans (1 when not given; only vit_block's may be more)
  /** Where it came from (e.g. "design d.yaml"): the prefix of validation errors. */
  source: string;
}

/**
 * The kernels' parameters: patch_embed and either msa_block + ffn_block or vit_block; or vit_block
 * alone when it embeds the patches on its engine (patch_on_engine).
 */
export interface DesignKernels {
  patch_embed?: PatchEmbedParams;
  msa_block?: MsaParams;
  ffn_block?: FfnParams;
  vit_block?: VitParams;
}

/** The kernels that run a block (and may have several compute units). */
export type BlockKernelName = Exclude<KernelName, 'patch_embed'>;

/** The top kernels of a design, in call order: patch_embed (unless the block engine embeds the patches), then the block's. */
export function designKernels(design: Pick<Design, 'kernels'>): KernelName[] {
  if (patchOnEngine(design.kernels.vit_block)) return ['vit_block'];
  return design.kernels.vit_block !== undefined ? ['patch_embed', 'vit_block'] : ['patch_embed', 'msa_block', 'ffn_block'];
}

/** A design's patch_embed parameters (an internal error when the block engine embeds the patches: callers check). */
export function patchKernel(design: Pick<Design, 'kernels'>): PatchEmbedParams {
  if (!design.kernels.patch_embed) throw new Error('internal: the design embeds the patches on vit_block (no patch_embed)');
  return design.kernels.patch_embed;
}

/** The block kernels of a design, in call order. */
export const blockKernels = (design: Pick<Design, 'kernels'>): BlockKernelName[] =>
  designKernels(design).filter((k): k is BlockKernelName => k !== 'patch_embed');

/** Split or fused block, from the kernels a design file lists. */
export const blockArchitecture = (kernels: DesignKernels): BlockArchitecture =>
  kernels.vit_block !== undefined ? 'fused' : 'split';

/** A split design's two block kernels (an internal error on a fused design: callers check design.block). */
export function splitKernels(design: Pick<Design, 'kernels'>): { msa: MsaParams; ffn: FfnParams } {
  const { msa_block: msa, ffn_block: ffn } = design.kernels;
  if (!msa || !ffn) throw new Error('internal: a fused design has no msa_block/ffn_block parameters');
  return { msa, ffn };
}

/** A fused design's vit_block parameters (an internal error on a split design). */
export function fusedKernel(design: Pick<Design, 'kernels'>): VitParams {
  if (!design.kernels.vit_block) throw new Error('internal: a split design has no vit_block parameters');
  return design.kernels.vit_block;
}

function resolveModel(m: DesignFile['model'], what: string): ModelConfig {
  return typeof m === 'string' ? loadModel(m) : validateModel(m, `${what}: model`);
}
function resolveBoard(b: DesignFile['board'], what: string): Board {
  return typeof b === 'string' ? loadBoard(b) : validateBoard(b, `${what}: board`);
}

/**
 * The weight ports of one kernel: its own `kernels.<k>.weight_ports`, else the design's
 * `weight_ports` (1 when absent).
 */
export function kernelWeightPorts(design: Pick<Design, 'shared' | 'kernels'>, kernel: KernelName): number {
  return kernelPortCount(design.shared, design.kernels[kernel] ?? {});
}

/** Each kernel's weight ports (a kernel the design does not have: the design's default). */
export function designWeightPorts(design: Pick<Design, 'shared' | 'kernels'>): Record<KernelName, number> {
  return Object.fromEntries(KERNEL_NAMES.map((k) => [k, kernelWeightPorts(design, k)])) as Record<KernelName, number>;
}

/**
 * The packed weights' header word for the ports (docs/weights.md, offset 100): byte r holds region
 * r's (the design's kernels in call order). The packer writes it; config.h carries it for the readers.
 */
export function weightPortsWord(design: Pick<Design, 'shared' | 'kernels'>): number {
  const p = designWeightPorts(design);
  return designKernels(design).reduce((word, k, r) => word + p[k] * 2 ** (8 * r), 0);
}

/** "2 weight ports per kernel", or each kernel's when they differ ("weight ports: patch_embed 1, ..."). */
export function weightPortsText(design: Pick<Design, 'shared' | 'kernels'>): string {
  const ports = designWeightPorts(design);
  const kernels = designKernels(design);
  const p = ports[kernels[0]];
  if (kernels.every((k) => ports[k] === p)) return `${p} weight port${p > 1 ? 's' : ''} per kernel`;
  return `weight ports: ${kernels.map((k) => `${k} ${ports[k]}`).join(', ')}`;
}

/** Builds a Design from a design-file object (validated). `what` names the source in errors. */
export function resolveDesign(value: unknown, what: string): Design {
  const file = parseWith(designFileSchema, value, what);
  const model = resolveModel(file.model, what);
  const board = resolveBoard(file.board, what);
  const precision: Precision = { ...PRECISIONS[file.precision], ...(file.types ?? {}) };
  return {
    file,
    model,
    dims: modelDims(model),
    board,
    shared: {
      clockMhz: file.clock_mhz,
      axiWidthBits: file.axi_width_bits,
      streamDepth: file.stream_depth,
      weightPorts: file.weight_ports,
      precision,
    },
    block: blockArchitecture(file.kernels),
    kernels: file.kernels,
    placement: { patch_embed: 0, msa_block: 0, ffn_block: 0, vit_block: 0, ...file.placement },
    computeUnits: { msa_block: 1, ffn_block: 1, vit_block: 1, ...file.compute_units },
    span: { msa_block: 1, ffn_block: 1, vit_block: 1, ...file.span },
    source: what,
  };
}

export function loadDesign(path: string): Design {
  return resolveDesign(readYaml(path), `design ${path}`);
}

/**
 * UbiMoE's published architecture parameters as its public code runs them (linear 16×16, ONE
 * token lane on the attention side, 3 on the FFN side, attention 4 query rows × 8-wide key
 * blocks): the starting point when no searched design is given.
 */
export function defaultDesignFile(
  model: string | ModelConfig,
  board: string | Board,
  block: BlockArchitecture = 'split',
): DesignFileInput {
  const b = typeof board === 'string' ? loadBoard(board) : board;
  const axi = Math.max(...b.memory.map((m) => m.axi_width_bits));
  // on multi-SLR boards one kernel per SLR, so no SLR carries them all
  const slrs = b.slrs?.length ?? 1;
  const msa = { tile_in: 16, tile_out: 16, token_lanes: 1, q_parallel: 4, key_block: 8 };
  const placement =
    slrs > 1
      ? {
          placement:
            block === 'fused'
              ? { patch_embed: 0, vit_block: 1 % slrs }
              : { patch_embed: 0, msa_block: 1 % slrs, ffn_block: 2 % slrs },
        }
      : {};
  return {
    format: 'ubimoe-design/1',
    model: typeof model === 'string' ? model : (model as unknown as Record<string, unknown>),
    board: typeof board === 'string' ? board : (board as unknown as Record<string, unknown>),
    clock_mhz: b.clocks_mhz.default,
    axi_width_bits: Math.min(axi, 512),
    stream_depth: 64,
    precision: 'w16a32',
    // the fused block: msa_block's engine and attention for the whole block
    kernels:
      block === 'fused'
        ? { patch_embed: { tile_in: 16, tile_out: 16 }, vit_block: msa }
        : {
            patch_embed: { tile_in: 16, tile_out: 16 },
            msa_block: msa,
            ffn_block: { tile_in: 16, tile_out: 16, token_lanes: 3 },
          },
    ...placement,
  };
}
