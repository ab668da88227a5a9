/** Test helpers for the generator: designs from a preset + overrides. */
import { defaultDesignFile, resolveDesign, type Design } from '../../src/design/design.js';
import type { DesignFileInput } from '../../src/design/schema.js';

type KernelPatch = {
  patch_embed?: Partial<DesignFileInput['kernels']['patch_embed']>;
  msa_block?: Partial<DesignFileInput['kernels']['msa_block']>;
  ffn_block?: Partial<DesignFileInput['kernels']['ffn_block']>;
};

/** A design for `model` (preset name or inline config) on `board`, with kernel parameters patched. */
export function testDesign(
  model: string | Record<string, unknown>,
  board = 'u280',
  kernels: KernelPatch = {},
  patch: Partial<DesignFileInput> = {},
): Design {
  const base = defaultDesignFile(typeof model === 'string' ? model : 'micro', board);
  if (typeof model !== 'string') base.model = model;
  const k = base.kernels;
  const file: DesignFileInput = {
    ...base,
    ...patch,
    kernels: {
      patch_embed: { ...k.patch_embed, ...kernels.patch_embed },
      msa_block: { ...k.msa_block, ...kernels.msa_block },
      ffn_block: { ...k.ffn_block, ...kernels.ffn_block },
    },
  };
  return resolveDesign(file, 'test design');
}
