/**
 * msa_block, generator side: validation, config structs and weight layout.
 * LayerNorm1 -> qkv linear (D -> 3D) -> streaming attention -> proj linear -> + residual.
 */
import type { ModelConfig, ModelDims } from '../../model/config.js';
import type { MsaParams } from '../params.js';
import type { AxiBundle, SharedParams } from '../types.js';
import type { Board } from '../../board/schema.js';
import { msaBuffers, msaQkvCols, msaXCols } from '../buffers.js';
import { bindsUram } from '../costModel.js';
import {
  attentionStruct,
  layerNormStruct,
  linearEngineStruct,
  linearLayerStruct,
  tokensStruct,
} from './blocks.js';
import { atMost, mustDivide, weightBundles, type KernelContext } from './common.js';
import { formats, linearMaxShift } from './formats.js';
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
    const b = new LayoutBuilder(shared.axiWidthBits, shared.weightPorts ?? 1);
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
      linearMaxShift(f, f.weight, params.tile_in),
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
      linearMaxShift(f, f.weight, params.tile_in),
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
  board?: Board,
): KernelContext {
  validate(params, dims);
  const f = formats(shared.precision);
  const axi = shared.axiWidthBits;
  const { D, numTokens: N } = dims;
  const weights = weightLayout(params, dims, shared);
  const seg = (n: string) => weights.blocks[0].segments.find((s) => s.name === n)!.offset;
  const layer = (name: string, comment: string, inDim: number, outDim: number) =>
    linearLayerStruct(
      {
        name,
        comment,
        inDim,
        outDim,
        tileIn: params.tile_in,
        tileOut: params.tile_out,
        gelu: false,
        weightFx: f.weight,
      },
      f,
      axi,
      shared.weightPorts ?? 1,
    );
  const lanes = params.token_lanes;
  return {
    kernel: 'msa_block',
    weights,
    values: {
      // the template's arrays the model puts in URAM (bound there: BIND_STORAGE impl=uram)
      uram: board
        ? bindsUram(msaBuffers(params, dims, shared), board).filter((n) => ['x', 's', 'qkv'].includes(n))
        : [],
      blockOffsets: weights.blocks.map((b) => b.offset),
      // s, qkv and x are the engine's S, B and R in the lane layout [groups][LANES][...]
      // (msa_attn_cfg::ROW_GROUPS, LANES; tokens.h): the lanes completely partitioned, the columns
      // cyclic: s by tile_in (the engine reads TILE_IN columns of LANES rows per cycle; LayerNorm1
      // writes tile_in, the attention one), qkv by tile_out (the drain writes TILE_OUT columns;
      // the attention's reader reads KV_READS = as many columns of one row: attentionReaderPlan),
      // x by xCols (the AXI row reader/writer, LayerNorm1 (tile_in) and proj's drain (tile_out))
      sColBanks: params.tile_in,
      bColBanks: msaQkvCols(params),
      xCols: msaXCols(params, f.act.width, axi),
    },
    structs: [
      tokensStruct('msa_tokens_cfg', f, axi, D, N),
      layerNormStruct('msa_ln_cfg', f, axi, D, N, params.tile_in, F, shared.weightPorts ?? 1),
      linearEngineStruct(
        {
          name: 'msa_engine_cfg',
          comment: `the linear engine: qkv (S -> B) and proj (S -> R += y), ${params.tile_in}x${params.tile_out} x ${lanes} lanes`,
          tileIn: params.tile_in,
          tileOut: params.tile_out,
          lanes,
          maxRows: N,
          sDim: D,
          bDim: 3 * D,
          rDim: D,
          maxOut: 3 * D,
          maxWeights: 3 * D * D,
          queues: 1,
          maxPasses: 2,
          bIsSource: false,
          hasR: true,
          scatter: false,
          bType: 'qkv_t',
          rType: 'act_t',
          weightFx: f.weight,
          weightType: 'weight_t',
          what: F,
        },
        f,
        axi,
        shared.weightPorts ?? 1,
      ),
      layer('msa_qkv_layer', `qkv projection ${D} -> ${3 * D}`, D, 3 * D),
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
          lanes,
          qkvColBanks: msaQkvCols(params),
        },
        F,
      ),
      layer('msa_proj_layer', `attention output projection ${D} -> ${D}`, D, D),
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

export function axiBundles(ports = 1): AxiBundle[] {
  return [
    { name: 'gmem_act', args: ['x_in', 'x_out'], role: 'activations' },
    ...weightBundles(ports),
  ];
}
