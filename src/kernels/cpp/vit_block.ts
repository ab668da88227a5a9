/**
 * vit_block (the fused block), generator side: validation, config structs and weight layout.
 * One call runs every transformer block: msa_block's work, then ffn_block's, on ONE linear engine
 * with x kept on chip (R, the residual) between the halves and the blocks. The halves keep their own structs
 * (msa_cfg, msa_attn_cfg, the layers, ffn_cfg, ffn_gate_cfg, ...: offsets within their half of a
 * block) from msa_block.ts and ffn_block.ts on the same parameters; the engine is vit_engine_cfg
 * (every pass of both halves), and a block's weights are its attention half then its MLP half.
 */
import type { Board } from '../../board/schema.js';
import { hasMoe, type ModelConfig, type ModelDims } from '../../model/config.js';
import { vitArrays, vitBCols, vitBuffers, vitEngineFifos, vitMaxPasses } from '../buffers.js';
import { bindsUram } from '../costModel.js';
import { COST } from '../costConstants.js';
import { kernelShared, patchOnEngine, vitFfnParams, vitMsaParams, type VitParams } from '../params.js';
import type { AxiBundle, SharedParams } from '../types.js';
import { attentionStruct, layerNormStruct, linearEngineStruct } from './blocks.js';
import { mustDivide, weightBundles, type KernelContext } from './common.js';
import * as ffn from './ffn_block.js';
import { ensureWidth } from './fixed.js';
import { UserError } from '../../util/errors.js';
import { cppRaw, formats, frac, linearMaxShift, residualFx, type Formats } from './formats.js';
import { LayoutBuilder, type BlockWeights, type KernelWeights } from './layout.js';
import { patchEmbedStructs, patchSegments, type PatchWeights } from './patch_embed.js';
import * as msa from './msa_block.js';
import { k, type CppStruct } from './struct.js';

const F = 'kernels.vit_block';

export function validate(params: VitParams, dims: ModelDims): void {
  msa.validate(vitMsaParams(params), dims, F);
  ffn.validate(vitFfnParams(params), dims, F);
  if (params.norm_lanes !== undefined && params.norm_lanes > dims.D)
    throw new UserError(`${F}.norm_lanes: ${params.norm_lanes} must be <= the embedding dim ${dims.D}`);
  if (patchOnEngine(params)) mustDivide(`${F}.tile_in`, params.tile_in, 'the patch inputs C·P·P (patch_on_engine)', dims.patchInputs);
  const wf = params.weight_fifo;
  if (wf !== undefined && (wf < MIN_WEIGHT_FIFO || wf > MAX_WEIGHT_FIFO))
    throw new UserError(`${F}.weight_fifo: ${wf} must be ${MIN_WEIGHT_FIFO}..${MAX_WEIGHT_FIFO} weight tiles`);
}

/** weight_fifo's range: the reader's double buffer at least; at most what a BRAM FIFO sensibly holds. */
const MIN_WEIGHT_FIFO = 2;
const MAX_WEIGHT_FIFO = 4096;

/**
 * How the engine takes the patch projection's weights: as they are (`digits` 1: the engine's own
 * format, unscaled: w16a32), or split into two engine layers (`digits` 2: w8a8, 16-bit patch
 * weights on an 8-bit engine with per-layer exponents): each quantised weight q (patch_embed's,
 * unscaled) is hi·2^low + lo, hi in the engine's format with exponent 0 and lo in 0 .. 2^low − 1
 * with exponent `low`, two passes adding into R. Every partial sum is exact in act_t and in the
 * accumulator, so R is patch_embed's bit for bit, as long as each weight lies in the engine
 * format's range (the packer refuses a checkpoint with one outside). A string: why it cannot.
 */
export function patchWeightsOnEngine(f: Formats, tileIn: number): PatchWeights | string {
  const pw = f.patchWeight;
  const w = f.weight;
  const scaled = linearMaxShift(f, w, tileIn);
  const same = pw.width === w.width && pw.int === w.int && pw.signed === w.signed;
  if (same && scaled === 0) return { digits: 1 };
  const low = frac(pw) - frac(w);
  const why = `the patch weights (${pw.width} bits) differ from the engine's (${w.width} bits)`;
  if (scaled === 0) return why;
  if (!pw.signed || !w.signed || low < 1 || low > w.width - 1 || pw.width > w.width + low + 1) return `${why} and do not split into two of its digits`;
  if (low > scaled) return `${why}: their low digit needs a weight exponent of ${low}, the engine takes at most ${scaled}`;
  // patch_embed's quantisation (unscaled) and every partial sum exact in the accumulator and in act_t
  if (linearMaxShift(f, pw, tileIn) > 0 || frac(f.linIn) + frac(pw) > Math.min(frac(f.acc), frac(f.act)))
    return `${why}: their digits' sums are not exact`;
  return { digits: 2, low };
}

/** Why the engine cannot embed the patches at this precision, or null. */
export function patchOnEngineProblem(f: Formats, tileIn: number): string | null {
  const p = patchWeightsOnEngine(f, tileIn);
  return typeof p === 'string' ? p : null;
}

function checkPatchOnEngine(params: VitParams, f: Formats): void {
  const problem = patchOnEngine(params) ? patchOnEngineProblem(f, params.tile_in) : null;
  if (problem) throw new UserError(`${F}.patch_on_engine: not at this precision: ${problem}`);
}

/** The array LayerNorms' chunk is whole banks of r and s (a chunk's elements in distinct banks, static selects). */
function checkNormLanes(params: VitParams, arr: { rCols: number; sCols: number }): void {
  const n = params.norm_lanes;
  if (n !== undefined && (arr.rCols % n !== 0 || arr.sCols % n !== 0))
    throw new UserError(
      `${F}.norm_lanes: ${n} must divide the column banks of the residual (${arr.rCols}) and of s (${arr.sCols})`,
    );
}

/** The residual holds both halves' values exactly: at most 64 bits. */
function checkFormats(shared: SharedParams): void {
  ensureWidth(residualFx(formats(shared.precision)), `${F}: the residual (activations and accumulators exactly)`);
}

/** A block's weights: its attention half (msa_block's layout) then its MLP half (ffn_block's). */
export function weightLayout(
  params: VitParams,
  dims: ModelDims,
  designShared: SharedParams,
  model: ModelConfig,
): KernelWeights {
  const shared = kernelShared(designShared, params);
  const att = msa.weightLayout(vitMsaParams(params), dims, shared);
  const mlp = ffn.weightLayout(vitFfnParams(params), dims, shared, model);
  const blocks: BlockWeights[] = [];
  let offset = 0;
  if (patchOnEngine(params)) {
    // the patch embedding first (block -1): its projection tiled for this engine, cls, pos_embed
    const b = new LayoutBuilder(shared.axiWidthBits, shared.weightPorts ?? 1);
    const f = formats(shared.precision);
    const split = patchWeightsOnEngine(f, params.tile_in);
    patchSegments(b, dims, f, params.tile_in, params.tile_out, typeof split === 'string' ? undefined : { split, maxShift: linearMaxShift(f, f.weight, params.tile_in) });
    blocks.push({ block: -1, offset: 0, words: b.words, segments: b.segments });
    offset = b.words;
  }
  for (let i = 0; i < dims.depth; i++) {
    const a = att.blocks[i];
    const m = mlp.blocks[i];
    blocks.push({
      block: i,
      offset,
      words: a.words + m.words,
      segments: [...a.segments, ...m.segments.map((s) => ({ ...s, offset: s.offset + a.words }))],
    });
    offset += a.words + m.words;
  }
  return { kernel: 'vit_block', words: offset, blocks };
}

export function templateContext(
  params: VitParams,
  dims: ModelDims,
  designShared: SharedParams,
  model: ModelConfig,
  board?: Board,
): KernelContext {
  const shared = kernelShared(designShared, params);
  validate(params, dims);
  checkFormats(shared);
  const f = formats(shared.precision);
  checkPatchOnEngine(params, f);
  const patch = patchOnEngine(params);
  const axi = shared.axiWidthBits;
  const ports = shared.weightPorts ?? 1;
  const { D, numTokens: N, headDim: hd } = dims;
  const att = msa.templateContext(vitMsaParams(params), dims, shared, model);
  const mlp = ffn.templateContext(vitFfnParams(params), dims, shared, model);
  const weights = weightLayout(params, dims, shared, model);
  const arr = vitArrays(params, dims, f.act.width, axi, model.final_norm);
  checkNormLanes(params, arr);
  const msaWords = att.weights.blocks[0].words;
  const blockWeights = weights.blocks.filter((b) => b.block >= 0);
  const patchSeg = (n: string) => weights.blocks[0].segments.find((s) => s.name === n)!.offset;
  // the patch weights split into two digit layers (w8a8): a second patch pass
  const patchLo = patch ? weights.blocks[0].segments.find((s) => s.name === 'proj_lo') : undefined;
  const engine = linearEngineStruct(
    {
      name: 'vit_engine_cfg',
      comment: `the ONE linear engine of both halves${patch ? ' and the patch embedding (B -> R += y, from row 1)' : ''}: qkv (S -> B, a pass per head), proj (S2 -> R += y), ${hasMoe(dims) ? 'gate (S -> B logits), ' : ''}fc1 (S -> B, GELU), fc2 (B -> R += y or expert scatter), ${params.tile_in}x${params.tile_out} x ${params.token_lanes} lanes`,
      tileIn: params.tile_in,
      tileOut: params.tile_out,
      lanes: params.token_lanes,
      maxRows: N,
      sDim: D,
      bDim: arr.bDim,
      rDim: D,
      // the widest layer output: a head's q | k | v, proj's D, the hidden layer or the logits
      maxOut: Math.max(3 * hd, D, arr.mlpOut),
      maxWeights: Math.max(Math.max(3 * hd, D, arr.mlpOut) * D, patch ? dims.patchInputs * D : 0),
      queues: hasMoe(dims) ? dims.experts : 1,
      maxPasses: vitMaxPasses(dims),
      fifos: vitEngineFifos(params, dims),
      bIsSource: true,
      hasS2: true,
      hasR: true,
      scatter: hasMoe(dims),
      bType: 'act_t',
      rType: cppRaw(residualFx(f)),
      mixedR: { act: 'act_t', acc: 'acc_t' },
      weightFx: f.weight,
      weightType: 'weight_t',
      what: F,
      gelu: true,
    },
    f,
    axi,
    ports,
  );
  const attention = attentionStruct(
    'msa_attn_cfg',
    f,
    {
      streamDepth: shared.streamDepth,
      tokens: N,
      dim: D,
      heads: dims.heads,
      headDim: hd,
      qParallel: params.q_parallel,
      keyBlock: params.key_block,
      lanes: params.token_lanes,
      qkvColBanks: vitBCols(params),
      store: { type: 'act_t', cols: arr.bDim },
    },
    F,
  );
  // the halves' structs but their engines (and msa's attention, rebuilt to read q | k | v from B)
  const own = (structs: CppStruct[], drop: string[]) => structs.filter((s) => !drop.includes(s.name));
  const structs: CppStruct[] = [
    ...own(att.structs, ['msa_engine_cfg', 'msa_attn_cfg']),
    attention,
    ...own(mlp.structs, ['ffn_engine_cfg']),
    engine,
    // the LayerNorms that stream R (every LayerNorm1 and LayerNorm2): norm_lanes a cycle
    layerNormStruct('vit_ln_cfg', f, axi, D, N, params.tile_in, F, ports, params.norm_lanes),
    ...(hasMoe(dims)
      ? [
          {
            name: 'vit_gather_cfg',
            comment: "an expert's gather: its tokens' rows of s into B's columns COL0 .. COL0 + DIM (tokens.h gather_rows)",
            types: [],
            consts: [
              k('TOKENS', N),
              k('DIM', D),
              k('ELEM_LANES', arr.gatherLanes, 'elements per cycle: max(tile_in, tile_out), the banks of s and B'),
              k('COL0', arr.gatherCol0, "B's first gathered column: after the hidden layer's, on a bank boundary"),
            ],
          },
        ]
      : []),
    ...(patch ? patchStructs(params, dims, f, axi, ports, model) : []),
    {
      name: 'vit_cfg',
      comment: `vit_block: ${patch ? 'the patch embedding (its projection, cls_token, pos_embed), then ' : ''}a block's weights: its attention half (msa_cfg's offsets) then its MLP half (ffn_cfg's)`,
      types: [],
      consts: [
        k('DEPTH', dims.depth),
        k('MSA_WORDS', msaWords, "words of a block's attention half: its MLP half's offset"),
        ...(patch
          ? [
              k('PATCH_LINEAR_OFFSET', patchSeg('proj')),
              ...(patchLo ? [k('PATCH_LO_OFFSET', patchLo.offset, "the patch weights' low digits: a second pass (its scale word holds their exponent)")] : []),
              k('PATCH_ROW0', 1, "the first patch's token row (row 0 is the cls token's): the gather's first row and the patch pass's first drained row"),
              k('CLS_OFFSET', patchSeg('cls_token')),
              k('POS_OFFSET', patchSeg('pos_embed')),
            ]
          : []),
        k('WORDS', weights.words),
      ],
    },
  ];
  return {
    kernel: 'vit_block',
    weights,
    structs,
    values: {
      uram: board
        ? bindsUram(vitBuffers(params, dims, shared, model.final_norm), board).filter((n) => ['s', 'o', 'b', 'r', 'h'].includes(n))
        : [],
      blockOffsets: blockWeights.map((b) => b.offset),
      patchOnEngine: patch,
      patchPasses: patchLo ? 2 : 1,
      moeIndex: mlp.values.moeIndex,
      projLead: dims.heads > 1,
      // a weight FIFO too deep for shift registers: BRAM, as the cost model prices it (fifoCost)
      deepTileFifo: vitEngineFifos(params, dims).tiles > COST.SRL_MAX_DEPTH,
      sCols: arr.sCols,
      oCols: arr.oCols,
      bCols: arr.bCols,
      rCols: arr.rCols,
    },
  };
}

/** The patch embedding's structs in a vit_block that runs it on its engine: pixels, the layer, the cls row. */
function patchStructs(params: VitParams, dims: ModelDims, f: Formats, axi: number, ports: number, model: ModelConfig): CppStruct[] {
  const s = patchEmbedStructs(
    { pixels: 'vit_pixels_cfg', layer: 'vit_patch_layer', row: 'vit_row_cfg' },
    params.tile_in,
    params.tile_out,
    dims,
    model,
    f,
    axi,
    ports,
    ' on the block engine',
    // (its two digit layers, proj and proj_lo, have the engine's format: one struct for both)
    f.weight,
  );
  return [s.pixels, s.layer, s.row];
}

export function axiBundles(ports = 1): AxiBundle[] {
  return [
    { name: 'gmem_act', args: ['x_in', 'x_out', 'routing_out'], role: 'activations' },
    ...weightBundles(ports),
  ];
}
