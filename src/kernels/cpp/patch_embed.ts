/**
 * patch_embed, generator side: validation, config structs, weight layout and the kernel's arrays.
 * Pixels -> patches (gather) -> one linear over the C·P·P patch inputs, drained into rows that
 * start as pos_embed[1..]; the cls row is cls_token + pos_embed[0].
 */
import type { Board } from '../../board/schema.js';
import type { ModelConfig, ModelDims } from '../../model/config.js';
import { bindsUram, type Buffer } from '../costModel.js';
import { kernelShared, type PatchEmbedParams } from '../params.js';
import type { AxiBundle, SharedParams } from '../types.js';
import { formats, linearMaxShift, type Formats } from './formats.js';
import type { Fx } from './fixed.js';
import {
  linearEngineStruct,
  linearLayerStruct,
  MIN_TOKEN_GROUPS,
  patchStruct,
  tokensStruct,
} from './blocks.js';
import { mustDivide, weightBundles, type ArrayPartition, type KernelContext } from './common.js';
import { LayoutBuilder, perWord, type KernelWeights } from './layout.js';
import { k, type CppStruct } from './struct.js';

const F = 'kernels.patch_embed';

export function validate(params: PatchEmbedParams, dims: ModelDims): void {
  mustDivide(`${F}.tile_in`, params.tile_in, 'the patch inputs C·P·P', dims.patchInputs);
  mustDivide(`${F}.tile_out`, params.tile_out, 'embed_dim', dims.D);
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Patch elements gather_patches writes per cycle: a chunk of consecutive columns of one patch, one
 * per bank of the patch array (cyclic by tile_in), so it divides the patch width, the pixels per
 * AXI word and tile_in.
 */
export function gatherWriteLanes(tileIn: number, patch: number, actsPerWord: number): number {
  return gcd(gcd(patch, actsPerWord), tileIn);
}

/**
 * Every on-chip array of one patch_embed unit (the template's names; the engine's accumulators and
 * bias vector as linear.h declares them), priced by resources() and bound by the template where
 * the model says URAM.
 */
export function patchBuffers(params: PatchEmbedParams, dims: ModelDims, designShared: SharedParams): Buffer[] {
  const shared = kernelShared(designShared, params);
  const p = shared.precision;
  const A = p.activation.width;
  const apw = perWord(A, shared.axiWidthBits);
  const accRows = Math.max(dims.numPatches, MIN_TOKEN_GROUPS);
  const banks = (name: string) => patchPartitions(params, apw).find((q) => q.name === name)?.factor ?? 1;
  return [
    { name: 'patches', widthBits: A, words: dims.numPatches * dims.patchInputs, banks: banks('patches') },
    { name: 'body', widthBits: A, words: dims.numPatches * dims.D, banks: banks('body') },
    { name: 'head', widthBits: A, words: dims.D, banks: banks('head') },
    { name: 'pos0', widthBits: A, words: dims.D, banks: apw }, // position_rows: pos_embed[0]
    { name: 'no_buffer', widthBits: A, words: dims.numPatches, banks: 1 }, // the engine's unused B
    // the engine's accumulators, double-buffered (linear.h: out tile t accumulates while t − 1 drains)
    { name: 'acc', widthBits: p.accum.width, words: 2 * accRows * params.tile_out, banks: 2 * params.tile_out },
    { name: 'bias', widthBits: p.bias.width, words: dims.D, banks: params.tile_out }, // engine_read
  ];
}

/**
 * The partitions the template emits at its arrays' declarations (factor 1 is no partition: nothing
 * emitted): the engine reads tile_in patch inputs and drains tile_out features a cycle; the token
 * rows also move one AXI word (acts per word) a cycle (read_rows, write_rows).
 */
export function patchPartitions(params: PatchEmbedParams, actsPerWord: number): ArrayPartition[] {
  return [
    { name: 'patches', dim: 2, factor: params.tile_in },
    { name: 'body', dim: 2, factor: Math.max(params.tile_out, actsPerWord) },
    { name: 'head', dim: 2, factor: actsPerWord },
  ].filter((q) => q.factor > 1);
}

/**
 * The patch embedding's parameters (the projection tiled for a tileIn × tileOut engine, cls_token,
 * pos_embed) appended to `b`: patch_embed's whole region, or the head of vit_block's when its
 * engine embeds the patches.
 */
/** How a block engine takes the patch weights (vit_block.ts patchWeightsOnEngine): as they are, or as two digit layers. */
export type PatchWeights = { digits: 1 } | { digits: 2; low: number };

/**
 * The patch embedding's segments: the projection, cls_token, pos_embed. On a block engine that
 * splits the weights into two digits (`engine`), the projection is two layers of the engine's
 * format: 'proj' (the high digits and the bias) and 'proj_lo' (the low digits, no bias).
 */
export function patchSegments(
  b: LayoutBuilder,
  dims: ModelDims,
  f: Formats,
  tileIn: number,
  tileOut: number,
  engine?: { split: PatchWeights; maxShift: number },
): void {
  const weight = { name: 'patch_embed.proj.weight' };
  const bias = { name: 'patch_embed.proj.bias' };
  const { patchInputs: I, D } = dims;
  if (engine?.split.digits === 2) {
    const low = engine.split.low;
    b.linear('proj', weight, bias, I, D, tileIn, tileOut, f.weight, f.bias, engine.maxShift, { digit: { of: f.patchWeight, low, part: 'hi' } });
    b.linear('proj_lo', weight, null, I, D, tileIn, tileOut, f.weight, f.bias, engine.maxShift, { digit: { of: f.patchWeight, low, part: 'lo' } });
  } else
    b.linear('proj', weight, bias, I, D, tileIn, tileOut, f.patchWeight, f.bias,
      linearMaxShift(f, f.patchWeight, tileIn), // 0 in both presets (docs/csim.md)
    );
  b.rows('cls_token', { name: 'cls_token' }, 1, dims.D, f.act);
  b.rows('pos_embed', { name: 'pos_embed' }, dims.numTokens, dims.D, f.act);
}

export function weightLayout(params: PatchEmbedParams, dims: ModelDims, designShared: SharedParams): KernelWeights {
  const shared = kernelShared(designShared, params);
  const b = new LayoutBuilder(shared.axiWidthBits, shared.weightPorts ?? 1);
  patchSegments(b, dims, formats(shared.precision), params.tile_in, params.tile_out);
  return {
    kernel: 'patch_embed',
    words: b.words,
    blocks: [{ block: -1, offset: 0, words: b.words, segments: b.segments }],
  };
}

/**
 * The patch embedding's structs for an engine of tileIn × tileOut (patch_embed's own, or vit_block's
 * with patch_on_engine): the image and its gather (gather_patches), the projection layer, one
 * token row (the cls row).
 */
export function patchEmbedStructs(
  names: { pixels: string; layer: string; row: string },
  tileIn: number,
  tileOut: number,
  dims: ModelDims,
  model: ModelConfig,
  f: Formats,
  axi: number,
  ports: number,
  where = '',
  layerWeight: Fx = f.patchWeight, // the layer's weight format: a block engine's own when it splits them into digits
): { pixels: CppStruct; layer: CppStruct; row: CppStruct } {
  return {
    pixels: patchStruct(names.pixels, f, axi, {
      channels: model.in_chans,
      height: model.img_h,
      width: model.img_w,
      patch: model.patch_size,
      writeLanes: gatherWriteLanes(tileIn, model.patch_size, perWord(f.act.width, axi)),
    }),
    layer: linearLayerStruct(
      {
        name: names.layer,
        comment: `patch projection ${dims.patchInputs} -> ${dims.D}${where}`,
        inDim: dims.patchInputs,
        outDim: dims.D,
        tileIn,
        tileOut,
        gelu: false,
        weightFx: layerWeight,
      },
      f,
      axi,
      ports,
    ),
    row: tokensStruct(names.row, f, axi, dims.D, 1),
  };
}

export function templateContext(
  params: PatchEmbedParams,
  dims: ModelDims,
  designShared: SharedParams,
  model: ModelConfig,
  board?: Board,
): KernelContext {
  const shared = kernelShared(designShared, params);
  validate(params, dims);
  const f = formats(shared.precision);
  const axi = shared.axiWidthBits;
  const weights = weightLayout(params, dims, shared);
  const seg = (n: string) => weights.blocks[0].segments.find((s) => s.name === n)!.offset;
  const pe = patchEmbedStructs(
    { pixels: 'pe_pixels_cfg', layer: 'pe_linear_layer', row: 'pe_row_cfg' },
    params.tile_in,
    params.tile_out,
    dims,
    model,
    f,
    axi,
    shared.weightPorts ?? 1,
  );
  // the template's own arrays (the engine binds nothing: its acc and bias stay below URAM size)
  const own = new Set(['patches', 'body', 'head']);
  return {
    kernel: 'patch_embed',
    weights,
    values: {
      partitions: patchPartitions(params, perWord(f.act.width, axi)),
      uram: board ? bindsUram(patchBuffers(params, dims, shared), board).filter((n) => own.has(n)) : [],
    },
    structs: [
      pe.pixels,
      linearEngineStruct(
        {
          name: 'pe_engine_cfg',
          comment: `the linear engine: the patch projection (S -> R += y), ${params.tile_in}x${params.tile_out} x 1 lane`,
          tileIn: params.tile_in,
          tileOut: params.tile_out,
          lanes: 1,
          maxRows: dims.numPatches,
          sDim: dims.patchInputs,
          bDim: 1,
          rDim: dims.D,
          maxOut: dims.D,
          maxWeights: dims.patchInputs * dims.D,
          queues: 1,
          maxPasses: 1,
          bIsSource: false,
          hasR: true,
          scatter: false,
          bType: 'act_t',
          rType: 'act_t',
          weightFx: f.patchWeight,
          weightType: 'patch_weight_t',
          what: F,
        },
        f,
        axi,
        shared.weightPorts ?? 1,
      ),
      pe.layer,
      pe.row,
      tokensStruct('pe_tokens_cfg', f, axi, dims.D, dims.numPatches),
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

export function axiBundles(ports = 1): AxiBundle[] {
  return [
    { name: 'gmem_act', args: ['pixels', 'tokens_out'], role: 'activations' },
    ...weightBundles(ports),
  ];
}
