import { z } from 'zod';

const posInt = z.number().int('must be an integer').positive('must be a positive integer');

/** Parameters of each top kernel, as they appear under `kernels:` in design.yaml. */
export const patchEmbedParamsSchema = z.object({ tile_in: posInt, tile_out: posInt }).strict();

export const msaParamsSchema = z
  .object({
    tile_in: posInt, // linear (qkv, proj) input tile
    tile_out: posInt, // linear output tile
    token_lanes: posInt, // tokens sharing one weight tile per cycle
    q_parallel: posInt, // query rows processed in parallel by the streaming attention
    key_block: posInt, // keys per streamed K/V block
  })
  .strict();

export const ffnParamsSchema = z.object({ tile_in: posInt, tile_out: posInt, token_lanes: posInt }).strict();

export type PatchEmbedParams = z.infer<typeof patchEmbedParamsSchema>;
export type MsaParams = z.infer<typeof msaParamsSchema>;
export type FfnParams = z.infer<typeof ffnParamsSchema>;

export const KERNEL_NAMES = ['patch_embed', 'msa_block', 'ffn_block'] as const;
export type KernelName = (typeof KERNEL_NAMES)[number];
