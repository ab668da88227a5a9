/**
 * msa_block, generator side: validation, config structs and weight layout.
 * LayerNorm1 -> qkv linear (D -> 3D) -> streaming attention -> proj linear -> + residual.
 */
import type { ModelConfig, ModelDims } from '../../model/config.js';
import { kernelShared, type MsaParams } from '../params.js';
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

const FIELD = 'kernels.msa_block';
const F = FIELD;

/** `F`: the design field errors name (kernels.msa_block, or kernels.vit_block for the fused block's attention half). */
export function validate(params: MsaParams, dims: ModelDims, F = FIELD): void {
  mustDivide(`${F}.tile_in`, params.tile_in, 'embed_dim', dims.D);
  mustDivide(`${F}.tile_out`, params.tile_out, 'embed_dim', dims.D);
  // one qkv pass per head: a head's q | k | v columns are whole out tiles and whole column banks
  mustDivide(`${F}.tile_out`, params.tile_out, "a head's q, k and v columns (3 x head_dim)", 3 * dims.headDim);
  // proj runs in two passes split by the heads it reads (the last head's columns apart)
  mustDivide(`${F}.tile_in`, params.tile_in, 'the head dim', dims.headDim);
  atMost(`${F}.token_lanes`, params.token_lanes, 'the token count', dims.numTokens);
  atMost(`${F}.q_parallel`, params.q_parallel, 'the token count', dims.numTokens);
  atMost(`${F}.key_block`, params.key_block, 'the token count', dims.numTokens);
}

/**
 * proj's two partial layers, split by the heads of the attention output they read: `lead` the
 * columns of heads 0 .. H − 2 (none with one head), `last` head H − 1's, which carries the bias.
 */
export function projParts(D: number, hd: number): { lead: number[]; last: number[] } {
  const cols = Array.from({ length: D }, (_, c) => c);
  return { lead: cols.slice(0, D - hd), last: cols.slice(D - hd) };
}

/** The rows of the qkv tensor ([3D, D]: q, k, v of every head) that make head h's q | k | v. */
export function qkvHeadRows(D: number, hd: number, h: number): number[] {
  const rows: number[] = [];
  for (let part = 0; part < 3; part++) for (let j = 0; j < hd; j++) rows.push(part * D + h * hd + j);
  return rows;
}

export function weightLayout(params: MsaParams, dims: ModelDims, designShared: SharedParams): KernelWeights {
  const shared = kernelShared(designShared, params);
  const f = formats(shared.precision);
  const { D, headDim: hd } = dims;
  const blocks: BlockWeights[] = [];
  let offset = 0;
  for (let i = 0; i < dims.depth; i++) {
    const b = new LayoutBuilder(shared.axiWidthBits, shared.weightPorts ?? 1);
    const p = `blocks.${i}`;
    b.rows('norm1.weight', { name: `${p}.norm1.weight` }, 1, D, f.norm);
    b.rows('norm1.bias', { name: `${p}.norm1.bias` }, 1, D, f.norm);
    // the qkv projection as one layer per head (D -> 3·head_dim: the head's q, k and v rows), so
    // the head's attention can start while the next head's pass runs (the same values as one
    // layer: the exponent of a scaled layer is still the whole tensor's)
    for (let h = 0; h < dims.heads; h++)
      b.linear(
        `qkv.h${h}`,
        { name: `${p}.attn.qkv.weight` },
        { name: `${p}.attn.qkv.bias` },
        D,
        3 * hd,
        params.tile_in,
        params.tile_out,
        f.weight,
        f.bias,
        linearMaxShift(f, f.weight, params.tile_in),
        { rows: qkvHeadRows(D, hd, h) },
      );
    // proj as two layers split by the heads it reads (projParts): the heads but the last run
    // beside the last head's attention, the last head's columns after it (with the bias)
    const parts = projParts(D, hd);
    for (const [part, cols] of [
      ['lead', parts.lead],
      ['last', parts.last],
    ] as const)
      if (cols.length > 0)
        b.linear(
          `proj.${part}`,
          { name: `${p}.attn.proj.weight` },
          part === 'last' ? { name: `${p}.attn.proj.bias` } : null,
          cols.length,
          D,
          params.tile_in,
          params.tile_out,
          f.weight,
          f.bias,
          linearMaxShift(f, f.weight, params.tile_in),
          { cols },
        );
    blocks.push({ block: i, offset, words: b.words, segments: b.segments });
    offset += b.words;
  }
  return { kernel: 'msa_block', words: offset, blocks };
}

/** Words of one head's qkv layer (every head's the same; the layout puts them back to back). */
function headWords(weights: KernelWeights): number {
  const segs = weights.blocks[0].segments.filter((s) => s.name.startsWith('qkv.h'));
  for (let h = 1; h < segs.length; h++)
    if (segs[h].offset !== segs[0].offset + h * segs[0].words || segs[h].words !== segs[0].words)
      throw new Error('msa_block: the heads\' qkv layers are not back to back');
  return segs[0].words;
}

export function templateContext(
  params: MsaParams,
  dims: ModelDims,
  designShared: SharedParams,
  _model?: ModelConfig,
  board?: Board,
): KernelContext {
  const shared = kernelShared(designShared, params);
  validate(params, dims);
  const f = formats(shared.precision);
  const axi = shared.axiWidthBits;
  const { D, numTokens: N, headDim: hd } = dims;
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
        ? bindsUram(msaBuffers(params, dims, shared), board).filter((n) => ['x', 's', 'o', 'qkv'].includes(n))
        : [],
      blockOffsets: weights.blocks.map((b) => b.offset),
      // s, qkv and x are the engine's S, B and R in the lane layout [groups][LANES][...]
      // (msa_attn_cfg::ROW_GROUPS, LANES; tokens.h): the lanes completely partitioned, the columns
      // cyclic: s by tile_in (the engine reads TILE_IN columns of LANES rows per cycle; LayerNorm1
      // writes tile_in, the attention one), qkv by tile_out (the drain writes TILE_OUT columns;
      // the attention's reader reads KV_READS = as many columns of one row: attentionReaderPlan),
      // x by xCols (the AXI row reader/writer, LayerNorm1 (tile_in) and proj's drain (tile_out))
      sColBanks: params.tile_in,
      // proj's first pass (the heads but the last) exists with more than one head
      projLead: dims.heads > 1,
      bColBanks: msaQkvCols(params),
      xCols: msaXCols(params, f.act.width, axi),
    },
    structs: [
      tokensStruct('msa_tokens_cfg', f, axi, D, N),
      layerNormStruct('msa_ln_cfg', f, axi, D, N, params.tile_in, F, shared.weightPorts ?? 1),
      linearEngineStruct(
        {
          name: 'msa_engine_cfg',
          comment: `the linear engine: qkv, a pass per head (S -> B), and proj in two passes (S2 -> R += y), ${params.tile_in}x${params.tile_out} x ${lanes} lanes`,
          tileIn: params.tile_in,
          tileOut: params.tile_out,
          lanes,
          maxRows: N,
          sDim: D,
          bDim: 3 * D,
          rDim: D,
          maxOut: Math.max(3 * hd, D),
          maxWeights: Math.max(3 * hd, D) * D,
          queues: 1,
          maxPasses: dims.heads,
          bIsSource: false,
          hasS2: true,
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
      layer('msa_qkv_layer', `one head's qkv projection ${D} -> ${3 * hd} (q | k | v)`, D, 3 * hd),
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
      ...(dims.heads > 1
        ? [layer('msa_proj_lead_layer', `output projection, heads 0..${dims.heads - 2}'s columns ${D - hd} -> ${D}`, D - hd, D)]
        : []),
      layer('msa_proj_last_layer', `output projection, the last head's columns ${hd} -> ${D} (with the bias)`, hd, D),
      {
        name: 'msa_cfg',
        comment: 'msa_block: weight offsets within a block (words)',
        types: [],
        consts: [
          k('TOKENS', N),
          k('DIM', D),
          k('ELEM_LANES', params.tile_out, 'elements per cycle of the residual add (tile_out)'),
          k('DEPTH', dims.depth),
          k('HEADS', dims.heads),
          k('NORM_GAMMA_OFFSET', seg('norm1.weight')),
          k('NORM_BETA_OFFSET', seg('norm1.bias')),
          k('QKV_OFFSET', seg('qkv.h0'), "head 0's qkv layer; head h's at + h * QKV_HEAD_WORDS"),
          k('QKV_HEAD_WORDS', headWords(weights)),
          ...(dims.heads > 1 ? [k('PROJ_LEAD_OFFSET', seg('proj.lead'), "proj over heads 0 .. HEADS - 2's columns of o")] : []),
          k('PROJ_LAST_OFFSET', seg('proj.last'), "proj over the last head's columns of o (the bias)"),
          k('PROJ_LAST_IN_TILE0', (D - hd) / params.tile_in, "the last head's first column of o, in in tiles"),
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
