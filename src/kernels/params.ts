import { z } from 'zod';

import type { SharedParams } from './types.js';

const posInt = z.number().int('must be an integer').positive('must be a positive integer');

/** The weight port counts the kernels are written for (the helpers in ubimoe/common.h take 4 pointers). */
export const WEIGHT_PORTS = [1, 2, 4] as const;

/**
 * m_axi ports (each on its own memory channel) a kernel reads its weights through; absent: the
 * design's top-level `weight_ports` (docs/weights.md, "Weight ports").
 */
export const weightPortsSchema = z
  .number()
  .int('must be an integer')
  .refine((p) => (WEIGHT_PORTS as readonly number[]).includes(p), `must be one of ${WEIGHT_PORTS.join(', ')}`);

/** Parameters of each top kernel, as they appear under `kernels:` in design.yaml. */
export const patchEmbedParamsSchema = z
  .object({ tile_in: posInt, tile_out: posInt, weight_ports: weightPortsSchema.optional() })
  .strict();

export const msaParamsSchema = z
  .object({
    tile_in: posInt, // linear (qkv, proj) input tile
    tile_out: posInt, // linear output tile
    token_lanes: posInt, // tokens sharing one weight tile per cycle
    q_parallel: posInt, // query rows processed in parallel by the streaming attention
    key_block: posInt, // keys per streamed K/V block
    weight_ports: weightPortsSchema.optional(),
  })
  .strict();

export const ffnParamsSchema = z
  .object({ tile_in: posInt, tile_out: posInt, token_lanes: posInt, weight_ports: weightPortsSchema.optional() })
  .strict();

/**
 * vit_block: a whole transformer block (the attention half and the MLP half) in ONE kernel with
 * ONE linear engine, x kept on chip between the halves (issue 14): the engine's parameters and the
 * attention's, as msa_block has them.
 */
export const vitParamsSchema = msaParamsSchema.extend({
  // lanes of the LayerNorms, which all read the residual array (every LayerNorm1 and LayerNorm2):
  // elements per cycle; default the token port's chunk (an AXI word's activations, at most tile_in)
  norm_lanes: posInt.optional(),
  // the patch embedding as one more pass of the engine (the image's first, pixels in): the design
  // then has no patch_embed kernel (its MACs, arrays and port go to the engine). Where the patch
  // projection's weights have the engine's format (w16a32), or split exactly into two digit passes
  // of it (w8a8's 16-bit patch weights: cpp/vit_block.ts patchWeightsOnEngine)
  patch_on_engine: z.boolean().optional(),
  // weight tiles the engine's reader may run ahead of its MACs (the tile FIFO's depth; default 2,
  // registers): a deep one (BRAM) carries a compute-bound expert's idle reader cycles over to the
  // weight-bound experts after it (latency.ts engineFifos, ffn_block.ts expertPhaseCycles)
  weight_fifo: posInt.optional(),
});

export type PatchEmbedParams = z.infer<typeof patchEmbedParamsSchema>;
export type MsaParams = z.infer<typeof msaParamsSchema>;
export type FfnParams = z.infer<typeof ffnParamsSchema>;
export type VitParams = z.infer<typeof vitParamsSchema>;

/** The fused block's attention half as msa_block's parameters (the same engine and attention). */
/** The fused block embeds the patches on its engine (no patch_embed kernel). */
export const patchOnEngine = (v: VitParams | undefined): boolean => v?.patch_on_engine === true;

export function vitMsaParams(v: VitParams): MsaParams {
  const { tile_in, tile_out, token_lanes, q_parallel, key_block, weight_ports } = v;
  const msa = { tile_in, tile_out, token_lanes, q_parallel, key_block };
  return weight_ports === undefined ? msa : { ...msa, weight_ports };
}
/** The fused block's MLP half as ffn_block's parameters (the same engine). */
export function vitFfnParams(v: VitParams): FfnParams {
  const { tile_in, tile_out, token_lanes, weight_ports } = v;
  return weight_ports === undefined ? { tile_in, tile_out, token_lanes } : { tile_in, tile_out, token_lanes, weight_ports };
}

/**
 * Every top kernel ubimoe generates. A design has patch_embed and either the split block
 * (msa_block then ffn_block, each with its own engine) or the fused one (vit_block):
 * design.ts designKernels.
 */
export const KERNEL_NAMES = ['patch_embed', 'msa_block', 'ffn_block', 'vit_block'] as const;
export type KernelName = (typeof KERNEL_NAMES)[number];
/** The kernels a block is made of, split or fused. */
export type BlockArchitecture = 'split' | 'fused';

/**
 * Host calls of a block kernel per image: msa_block and ffn_block are called once per block,
 * vit_block once (one call runs every block, x kept on chip).
 */
export const blockKernelCalls = (kernel: Exclude<KernelName, 'patch_embed'>, depth: number): number =>
  kernel === 'vit_block' ? 1 : depth;

/**
 * The design-wide facts as one kernel sees them: its own weight ports (`kernels.<k>.weight_ports`)
 * replace the design's default. Every kernel model and C++ context starts from this, so a kernel's
 * port count is decided in one place.
 */
export function kernelShared(shared: SharedParams, params: { weight_ports?: number }): SharedParams {
  const p = params.weight_ports;
  if (p === undefined || p === shared.weightPorts) return shared;
  // one object per (shared, ports): the cost model asks many times per kernel (the search's hot
  // path); SharedParams are never mutated, so sharing the copy is safe
  let byPorts = kernelSharedCache.get(shared);
  if (!byPorts) kernelSharedCache.set(shared, (byPorts = new Map()));
  let s = byPorts.get(p);
  if (!s) byPorts.set(p, (s = { ...shared, weightPorts: p }));
  return s;
}
const kernelSharedCache = new WeakMap<SharedParams, Map<number, SharedParams>>();

/** A kernel's weight port count (kernelShared's; 1 when neither the kernel nor the design sets one). */
export function kernelPortCount(shared: SharedParams, params: { weight_ports?: number }): number {
  return kernelShared(shared, params).weightPorts ?? 1;
}
