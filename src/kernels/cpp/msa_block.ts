/**
 * msa_block, generator side: validation, config structs and weight layout.
 * LayerNorm1 -> qkv linear (D -> 3D) -> streaming attention -> proj linear -> + residual.
 */
import type { ModelConfig, ModelDims } from '../../model/config.js';
import type { MsaParams } from '../params.js';
import type { AxiBundle, SharedParams } from '../types.js';
import { attentionStruct, layerNormStruct, linearStruct, tokensStruct } from './blocks.js';
import { atMost, mustDivide, type KernelContext } from './common.js';
import { formats } from './formats.js';
import { LayoutBuilder, type BlockWeights, type KernelWeights } from './layout.js';
import { k } from './struct.js';

const F = 'kernels.msa_block';

export function validate(params: MsaParams, dims: ModelDims): void {
  mustDivide(`${F}.tile_in`, params.tile_in, 'embed_dim', dims.D);
  mustDivide(`${F}.tile_out`, params.tile_out, 'embed_dim', dims.D);
  atMost(`${F}.token_lanes`, params.token_lanes, 'the token count', dims.numTokens);
  atMost(`${F}.q_parallel`, params.q_parallel, 'the token count', dims.numTokens);
  atMost(`${F}.key_block`, params.key_block, 'the token count', dims.numTokens);
}

export function weightLayout(params: MsaParams, dims: ModelDims, shared: SharedParams): KernelWeights {
  const f = formats(shared.precision);
  const { D } = dims;
  const blocks: BlockWeights[] = [];
  let offset = 0;
  for (let i = 0; i < dims.depth; i++) {
    const b = new LayoutBuilder(shared.axiWidthBits);
    const p = `blocks.${i}`;
    b.rows('norm1.weight', { name: `${p}.norm1.weight` }, 1, D, f.norm);
    b.rows('norm1.bias', { name: `${p}.norm1.bias` }, 1, D, f.norm);
    b.linear(
      'qkv',
      { name: `${p}.attn.qkv.weight` },
      { name: `${p}.attn.qkv.bias` },
      D,
      3 * D,
      params.tile_in,
      params.tile_out,
      f.weight,
      f.bias,
    );
    b.linear(
      'proj',
      { name: `${p}.attn.proj.weight` },
      { name: `${p}.attn.proj.bias` },
      D,
      D,
      params.tile_in,
      params.tile_out,
      f.weight,
      f.bias,
    );
    blocks.push({ block: i, offset, words: b.words, segments: b.segments });
    offset += b.words;
  }
  return { kernel: 'msa_block', words: offset, blocks };
}

export function templateContext(
  params: MsaParams,
  dims: ModelDims,
  shared: SharedParams,
  _model?: ModelConfig,
): KernelContext {
  validate(params, dims);
  const f = formats(shared.precision);
  const axi = shared.axiWidthBits;
  const { D, numTokens: N } = dims;
  const weights = weightLayout(params, dims, shared);
  const seg = (n: string) => weights.blocks[0].segments.find((s) => s.name === n)!.offset;
  const lin = (name: string, comment: string, inDim: number, outDim: number, outType: string) =>
    linearStruct(
      {
        name,
        comment,
        inDim,
        outDim,
        tileIn: params.tile_in,
        tileOut: params.tile_out,
        lanes: params.token_lanes,
        maxRows: N,
        gelu: false,
        inFx: f.act,
        inType: 'act_t',
        outType,
        weightFx: f.weight,
        weightType: 'weight_t',
        what: F,
      },
      f,
      axi,
    );
  return {
    kernel: 'msa_block',
    weights,
    values: { blockOffsets: weights.blocks.map((b) => b.offset) },
    structs: [
      tokensStruct('msa_tokens_cfg', f, axi, D, N),
      layerNormStruct('msa_ln_cfg', f, axi, D, N, params.tile_in, F),
      lin('msa_qkv_cfg', `qkv projection ${D} -> ${3 * D}`, D, 3 * D, 'qkv_t'),
      attentionStruct(
        'msa_attn_cfg',
        f,
        {
          streamDepth: shared.streamDepth,
          tokens: N,
          dim: D,
          heads: dims.heads,
          headDim: dims.headDim,
          qParallel: params.q_parallel,
          keyBlock: params.key_block,
        },
        F,
      ),
      lin('msa_proj_cfg', `attention output projection ${D} -> ${D}`, D, D, 'act_t'),
      {
        name: 'msa_cfg',
        comment: 'msa_block: weight offsets within a block (words)',
        types: [],
        consts: [
          k('TOKENS', N),
          k('DIM', D),
          k('ELEM_LANES', params.tile_out, 'elements per cycle of the residual add (tile_out)'),
          k('DEPTH', dims.depth),
          k('NORM_GAMMA_OFFSET', seg('norm1.weight')),
          k('NORM_BETA_OFFSET', seg('norm1.bias')),
          k('QKV_OFFSET', seg('qkv')),
          k('PROJ_OFFSET', seg('proj')),
          k('BLOCK_WORDS', weights.blocks[0].words),
          k('WORDS', weights.words),
        ],
      },
    ],
  };
}

export function axiBundles(): AxiBundle[] {
  return [
    { name: 'gmem_act', args: ['x_in', 'x_out'], role: 'activations' },
    { name: 'gmem_w', args: ['weights'], role: 'weights' },
  ];
}
