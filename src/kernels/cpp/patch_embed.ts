/**
 * patch_embed, generator side: validation, config structs and weight layout.
 * Pixels -> patches (gather) -> one linear over the C·P·P patch inputs -> + cls, + pos_embed.
 */
import type { ModelConfig, ModelDims } from '../../model/config.js';
import type { PatchEmbedParams } from '../params.js';
import type { AxiBundle, SharedParams } from '../types.js';
import { formats, linearMaxShift } from './formats.js';
import { linearEngineStruct, linearLayerStruct, patchStruct, tokensStruct } from './blocks.js';
import { mustDivide, type KernelContext } from './common.js';
import { LayoutBuilder, type KernelWeights } from './layout.js';
import { k } from './struct.js';

const F = 'kernels.patch_embed';

export function validate(params: PatchEmbedParams, dims: ModelDims): void {
  mustDivide(`${F}.tile_in`, params.tile_in, 'the patch inputs C·P·P', dims.patchInputs);
  mustDivide(`${F}.tile_out`, params.tile_out, 'embed_dim', dims.D);
}

export function weightLayout(params: PatchEmbedParams, dims: ModelDims, shared: SharedParams): KernelWeights {
  const f = formats(shared.precision);
  const b = new LayoutBuilder(shared.axiWidthBits);
  b.linear(
    'proj',
    { name: 'patch_embed.proj.weight' },
    { name: 'patch_embed.proj.bias' },
    dims.patchInputs,
    dims.D,
    params.tile_in,
    params.tile_out,
    f.patchWeight,
    f.bias,
    linearMaxShift(f, f.patchWeight, params.tile_in), // 0 in both presets (docs/csim.md)
  );
  b.rows('cls_token', { name: 'cls_token' }, 1, dims.D, f.act);
  b.rows('pos_embed', { name: 'pos_embed' }, dims.numTokens, dims.D, f.act);
  return {
    kernel: 'patch_embed',
    words: b.words,
    blocks: [{ block: -1, offset: 0, words: b.words, segments: b.segments }],
  };
}

export function templateContext(
  params: PatchEmbedParams,
  dims: ModelDims,
  shared: SharedParams,
  model: ModelConfig,
): KernelContext {
  validate(params, dims);
  const f = formats(shared.precision);
  const axi = shared.axiWidthBits;
  const weights = weightLayout(params, dims, shared);
  const seg = (n: string) => weights.blocks[0].segments.find((s) => s.name === n)!.offset;
  const patch = patchStruct('pe_pixels_cfg', f, axi, {
    channels: model.in_chans,
    height: model.img_h,
    width: model.img_w,
    patch: model.patch_size,
  });
  return {
    kernel: 'patch_embed',
    weights,
    values: {},
    structs: [
      patch,
      linearEngineStruct(
        {
          name: 'pe_engine_cfg',
          comment: `the linear engine: the patch projection (S -> B), ${params.tile_in}x${params.tile_out} x 1 lane`,
          tileIn: params.tile_in,
          tileOut: params.tile_out,
          lanes: 1,
          maxRows: dims.numPatches,
          sDim: dims.patchInputs,
          bDim: dims.D,
          rDim: 1,
          maxOut: dims.D,
          maxWeights: dims.patchInputs * dims.D,
          queues: 1,
          maxPasses: 1,
          bIsSource: false,
          hasR: false,
          scatter: false,
          bType: 'act_t',
          rType: 'act_t',
          weightFx: f.patchWeight,
          weightType: 'patch_weight_t',
          what: F,
        },
        f,
        axi,
      ),
      linearLayerStruct(
        {
          name: 'pe_linear_layer',
          comment: `patch projection ${dims.patchInputs} -> ${dims.D}`,
          inDim: dims.patchInputs,
          outDim: dims.D,
          tileIn: params.tile_in,
          tileOut: params.tile_out,
          gelu: false,
          weightFx: f.patchWeight,
        },
        f,
        axi,
      ),
      tokensStruct('pe_tokens_cfg', f, axi, dims.D, dims.numTokens),
      {
        name: 'pe_cfg',
        comment: 'patch_embed: weight offsets (words from the region start)',
        types: [],
        consts: [
          k('PATCHES', dims.numPatches),
          k('TOKENS', dims.numTokens),
          k('DIM', dims.D),
          k('LINEAR_OFFSET', seg('proj')),
          k('CLS_OFFSET', seg('cls_token')),
          k('POS_OFFSET', seg('pos_embed')),
          k('WORDS', weights.words),
        ],
      },
    ],
  };
}

export function axiBundles(): AxiBundle[] {
  return [
    { name: 'gmem_act', args: ['pixels', 'tokens_out'], role: 'activations' },
    { name: 'gmem_w', args: ['weights'], role: 'weights' },
  ];
}
