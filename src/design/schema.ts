import { z } from 'zod';
import { WEIGHT_SCALES } from '../kernels/types.js';
import {
  ffnParamsSchema,
  msaParamsSchema,
  patchEmbedParamsSchema,
  vitParamsSchema,
  weightPortsSchema,
} from '../kernels/params.js';

const posInt = z.number().int('must be an integer').positive('must be a positive integer');
const fixedType = z
  .object({
    width: z.number().int().min(2, 'must be >= 2').max(64, 'must be <= 64'),
    int: z.number().int().min(1, 'must be >= 1'),
  })
  .strict()
  .refine((t) => t.int <= t.width, 'int must be <= width');

export { WEIGHT_PORTS } from '../kernels/params.js';

export const PRECISION_PRESETS = ['w16a32', 'w8a8'] as const;

/**
 * design.yaml: everything that decides the generated hardware. `model` and `board` are a preset
 * name, a path, or an inline mapping (generated projects inline both so they are self-contained).
 */
export const designFileSchema = z
  .object({
    format: z.literal('ubimoe-design/1'),
    model: z.union([z.string(), z.record(z.unknown())]),
    board: z.union([z.string(), z.record(z.unknown())]),
    clock_mhz: z.number().positive('must be positive'),
    axi_width_bits: z
      .number()
      .int()
      .refine((w) => [64, 128, 256, 512].includes(w), 'must be 64, 128, 256 or 512'),
    stream_depth: posInt.default(64),
    // m_axi ports (each on its own memory channel) a top kernel reads its weights through, unless
    // the kernel sets its own (kernels.<k>.weight_ports)
    weight_ports: weightPortsSchema.default(1),
    precision: z.enum(PRECISION_PRESETS).default('w16a32'),
    // overrides of the preset's types, per tensor class
    types: z
      .object({
        activation: fixedType,
        accum: fixedType,
        weight: fixedType,
        bias: fixedType,
        norm: fixedType,
        patch_weight: fixedType,
        linear_input: fixedType,
        qkv: fixedType,
        // not a fixed type: how the linear weights are scaled (types.ts, Precision.weight_scale)
        weight_scale: z.enum(WEIGHT_SCALES),
      })
      .partial()
      .strict()
      .optional(),
    // patch_embed and the block: split (msa_block then ffn_block, an engine each) or fused
    // (vit_block: both halves on one engine, x on chip between them)
    kernels: z
      .object({
        patch_embed: patchEmbedParamsSchema.optional(),
        msa_block: msaParamsSchema.optional(),
        ffn_block: ffnParamsSchema.optional(),
        vit_block: vitParamsSchema.optional(),
      })
      .strict()
      .superRefine((k, ctx) => {
        const onEngine = k.vit_block?.patch_on_engine === true;
        if (onEngine && k.patch_embed !== undefined)
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            message: 'vit_block.patch_on_engine embeds the patches on the block engine: no patch_embed kernel then',
          });
        else if (!onEngine && k.patch_embed === undefined)
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            message: 'needs patch_embed (or vit_block with patch_on_engine: true)',
          });
        const split = k.msa_block !== undefined || k.ffn_block !== undefined;
        if (k.vit_block !== undefined && split)
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            message: 'either msa_block and ffn_block (split block) or vit_block (fused block), not both',
          });
        else if (k.vit_block === undefined && (k.msa_block === undefined || k.ffn_block === undefined))
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            message: `needs ${k.msa_block === undefined && k.ffn_block === undefined ? 'msa_block and ffn_block (split block) or vit_block (fused block)' : k.msa_block === undefined ? 'msa_block beside ffn_block' : 'ffn_block beside msa_block'}`,
          });
      }),
    // SLR of each kernel (multi-SLR boards); its memory ports go to that SLR's channels
    placement: z
      .object({
        patch_embed: z.number().int().min(0).optional(),
        msa_block: z.number().int().min(0).optional(),
        ffn_block: z.number().int().min(0).optional(),
        vit_block: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
    // compute units per kernel (replication where the board has room)
    compute_units: z
      .object({ msa_block: posInt.optional(), ffn_block: posInt.optional(), vit_block: posInt.optional() })
      .strict()
      .optional(),
    // SLRs the fused block's one compute unit spans (placement is the first; boards with
    // sll_per_boundary): Vivado places its logic across them (UG1393: no slr= for such a kernel)
    span: z.object({ vit_block: posInt.optional() }).strict().optional(),
  })
  .strict();

export type DesignFile = z.output<typeof designFileSchema>;
export type DesignFileInput = z.input<typeof designFileSchema>;
