/**
 * ffn_block, generator side: validation, config structs and weight layout.
 * LayerNorm2 -> dense MLP (fc1 + GELU, fc2) or MoE (gate, top-k, per-expert fc1 + GELU, fc2,
 * score-weighted scatter) -> + residual; the optional final LayerNorm after the last block.
 * Every linear layer runs on the same reusable linear kernel (tile_in x tile_out x token_lanes).
 */
import { gateName } from '../../model/spec.js';
import { hasDense, hasMoe, type ModelConfig, type ModelDims } from '../../model/config.js';
import { kernelShared, type FfnParams } from '../params.js';
import type { AxiBundle, SharedParams } from '../types.js';
import type { Board } from '../../board/schema.js';
import { ffnArrays, ffnBuffers } from '../buffers.js';
import { bindsUram } from '../costModel.js';
import {
  gateStruct,
  layerNormStruct,
  linearEngineStruct,
  linearLayerStruct,
  tokensStruct,
} from './blocks.js';
import { atMost, mustDivide, weightBundles, type KernelContext } from './common.js';
import { formats, linearMaxShift } from './formats.js';
import { LayoutBuilder, linearWords, type BlockWeights, type KernelWeights } from './layout.js';
import { k, type CppStruct } from './struct.js';

const FIELD = 'kernels.ffn_block';
const F = FIELD;

/** The gate's output columns: the E experts padded up to whole output tiles. */
export const gateOut = (dims: ModelDims, tileOut: number) => Math.ceil(dims.experts / tileOut) * tileOut;


/** `F`: the design field errors name (kernels.ffn_block, or kernels.vit_block for the fused block's MLP half). */
export function validate(params: FfnParams, dims: ModelDims, F = FIELD): void {
  const { tile_in: ti, tile_out: to } = params;
  mustDivide(`${F}.tile_in`, ti, 'embed_dim', dims.D);
  mustDivide(`${F}.tile_out`, to, 'embed_dim', dims.D);
  if (hasDense(dims)) {
    mustDivide(`${F}.tile_in`, ti, 'the MLP hidden size', dims.mlpHidden);
    mustDivide(`${F}.tile_out`, to, 'the MLP hidden size', dims.mlpHidden);
  }
  if (hasMoe(dims)) {
    mustDivide(`${F}.tile_in`, ti, 'the expert hidden size', dims.expertHidden);
    mustDivide(`${F}.tile_out`, to, 'the expert hidden size', dims.expertHidden);
  }
  atMost(`${F}.token_lanes`, params.token_lanes, 'the token count', dims.numTokens);
}

export function weightLayout(
  params: FfnParams,
  dims: ModelDims,
  designShared: SharedParams,
  model: ModelConfig,
): KernelWeights {
  const shared = kernelShared(designShared, params);
  const f = formats(shared.precision);
  const { D } = dims;
  const { tile_in: ti, tile_out: to } = params;
  const shift = linearMaxShift(f, f.weight, ti); // > 0: per-layer weight scales (a scale word per layer)
  const blocks: BlockWeights[] = [];
  let offset = 0;
  for (let i = 0; i < dims.depth; i++) {
    const b = new LayoutBuilder(shared.axiWidthBits, shared.weightPorts ?? 1);
    const p = `blocks.${i}`;
    b.rows('norm2.weight', { name: `${p}.norm2.weight` }, 1, D, f.norm);
    b.rows('norm2.bias', { name: `${p}.norm2.bias` }, 1, D, f.norm);
    if (dims.moeBlocks[i]) {
      // each task's gate as a linear layer on the engine: w_gate [D, E] (transposed), E padded to
      // whole output tiles with zero columns, zero biases
      for (let task = 0; task < dims.tasks; task++)
        b.linear(
          `gate.${task}`,
          { name: gateName(model, i, task) },
          null,
          D,
          gateOut(dims, to),
          ti,
          to,
          f.weight,
          f.bias,
          shift,
          { used: dims.experts, transposed: true },
        );
      const He = dims.expertHidden;
      for (let e = 0; e < dims.experts; e++) {
        b.linear(
          `expert.${e}.fc1`,
          { name: `${p}.mlp.experts.htoh4.weight`, index: e },
          { name: `${p}.mlp.experts.htoh4.bias`, index: e },
          D,
          He,
          ti,
          to,
          f.weight,
          f.bias,
          shift,
        );
        b.linear(
          `expert.${e}.fc2`,
          { name: `${p}.mlp.experts.h4toh.weight`, index: e },
          { name: `${p}.mlp.experts.h4toh.bias`, index: e },
          He,
          D,
          ti,
          to,
          f.weight,
          f.bias,
          shift,
        );
      }
    } else {
      const H = dims.mlpHidden;
      b.linear(
        'fc1',
        { name: `${p}.mlp.fc1.weight` },
        { name: `${p}.mlp.fc1.bias` },
        D,
        H,
        ti,
        to,
        f.weight,
        f.bias,
        shift,
      );
      b.linear(
        'fc2',
        { name: `${p}.mlp.fc2.weight` },
        { name: `${p}.mlp.fc2.bias` },
        H,
        D,
        ti,
        to,
        f.weight,
        f.bias,
        shift,
      );
    }
    if (model.final_norm && i === dims.depth - 1) {
      b.rows('norm.weight', { name: 'norm.weight' }, 1, D, f.norm);
      b.rows('norm.bias', { name: 'norm.bias' }, 1, D, f.norm);
    }
    blocks.push({ block: i, offset, words: b.words, segments: b.segments });
    offset += b.words;
  }
  return { kernel: 'ffn_block', words: offset, blocks };
}

export function templateContext(
  params: FfnParams,
  dims: ModelDims,
  designShared: SharedParams,
  model: ModelConfig,
  board?: Board,
): KernelContext {
  const shared = kernelShared(designShared, params);
  validate(params, dims);
  const f = formats(shared.precision);
  const axi = shared.axiWidthBits;
  const { D, numTokens: N } = dims;
  const weights = weightLayout(params, dims, shared, model);
  const firstOf = (moe: boolean) => weights.blocks.find((b) => dims.moeBlocks[b.block] === moe);
  const segIn = (blk: BlockWeights | undefined, n: string) =>
    blk?.segments.find((s) => s.name === n)?.offset ?? 0;
  const dense = firstOf(false);
  const moe = firstOf(true);
  const last = weights.blocks[weights.blocks.length - 1];
  const layer = (name: string, comment: string, inDim: number, outDim: number, gelu: boolean) =>
    linearLayerStruct(
      {
        name,
        comment,
        inDim,
        outDim,
        tileIn: params.tile_in,
        tileOut: params.tile_out,
        gelu,
        weightFx: f.weight,
      },
      f,
      axi,
      shared.weightPorts ?? 1,
    );
  const lanes = params.token_lanes;
  const hidden = Math.max(hasDense(dims) ? dims.mlpHidden : 0, hasMoe(dims) ? dims.expertHidden : 0);
  // B also holds the gate's logits (MoE)
  const bDim = Math.max(hidden, hasMoe(dims) ? gateOut(dims, params.tile_out) : 0);
  const structs: CppStruct[] = [
    tokensStruct('ffn_tokens_cfg', f, axi, D, N),
    layerNormStruct('ffn_ln_cfg', f, axi, D, N, params.tile_in, F, shared.weightPorts ?? 1),
    linearEngineStruct(
      {
        name: 'ffn_engine_cfg',
        comment: `the linear engine: ${hasMoe(dims) ? 'gate (S -> B logits), ' : ''}fc1 (S -> B, GELU), fc2 (B -> R += y or expert scatter), ${params.tile_in}x${params.tile_out} x ${lanes} lanes`,
        tileIn: params.tile_in,
        tileOut: params.tile_out,
        lanes,
        maxRows: N,
        sDim: D,
        bDim,
        rDim: D,
        maxOut: Math.max(bDim, D),
        maxWeights: bDim * D,
        queues: hasMoe(dims) ? dims.experts : 1,
        maxPasses: hasMoe(dims) ? 2 * dims.experts : 2,
        bIsSource: true,
        hasR: true,
        scatter: hasMoe(dims),
        bType: 'act_t',
        rType: 'acc_t',
        weightFx: f.weight,
        weightType: 'weight_t',
        what: F,
        gelu: true,
      },
      f,
      axi,
      shared.weightPorts ?? 1,
    ),
  ];
  if (hasDense(dims))
    structs.push(
      layer('ffn_fc1_layer', `dense fc1 ${D} -> ${dims.mlpHidden} + GELU`, D, dims.mlpHidden, true),
      layer('ffn_fc2_layer', `dense fc2 ${dims.mlpHidden} -> ${D}`, dims.mlpHidden, D, false),
    );
  let expertWords = 0;
  if (hasMoe(dims)) {
    const He = dims.expertHidden;
    structs.push(
      gateStruct('ffn_gate_cfg', f, dims.experts, dims.topK, N),
      layer(
        'ffn_gate_layer',
        `MoE gate logits ${D} -> ${dims.experts} (padded to ${gateOut(dims, params.tile_out)})`,
        D,
        gateOut(dims, params.tile_out),
        false,
      ),
      layer('ffn_expert_fc1_layer', `expert fc1 (htoh4) ${D} -> ${He} + GELU`, D, He, true),
      layer('ffn_expert_fc2_layer', `expert fc2 (h4toh) ${He} -> ${D}`, He, D, false),
    );
    const shift = linearMaxShift(f, f.weight, params.tile_in);
    expertWords =
      linearWords(D, He, params.tile_in, params.tile_out, f.weight, f.bias, axi, shift, shared.weightPorts).words +
      linearWords(He, D, params.tile_in, params.tile_out, f.weight, f.bias, axi, shift, shared.weightPorts).words;
  }
  if (model.final_norm) structs.push(layerNormStruct('final_ln_cfg', f, axi, D, N, params.tile_in, F, shared.weightPorts ?? 1));
  const gate0 = segIn(moe, 'gate.0');
  structs.push({
    name: 'ffn_cfg',
    comment: 'ffn_block: weight offsets within a block (words)',
    types: [],
    consts: [
      k('TOKENS', N),
      k('DIM', D),
      k('ELEM_LANES', params.tile_out, 'elements per cycle of residual adds and row copies (tile_out)'),
      k('LANES', lanes, "token lanes: the engine arrays' lane dimension"),
      k('ROW_GROUPS', Math.ceil(N / lanes), 'groups of LANES token rows'),
      k('DEPTH', dims.depth),
      k('EXPERTS', dims.experts),
      k('TOP_K', dims.topK),
      k('TASKS', dims.tasks),
      k('HAS_DENSE', hasDense(dims)),
      k('HAS_MOE', hasMoe(dims)),
      k('FINAL_NORM', model.final_norm),
      k('NORM_OFFSET', 0),
      k('FC1_OFFSET', segIn(dense, 'fc1')),
      k('FC2_OFFSET', segIn(dense, 'fc2')),
      k('GATE_OFFSET', gate0),
      k('GATE_TASK_WORDS', hasMoe(dims) ? segIn(moe, dims.tasks > 1 ? 'gate.1' : 'expert.0.fc1') - gate0 : 0),
      k('EXPERTS_OFFSET', segIn(moe, 'expert.0.fc1')),
      k('EXPERT_WORDS', expertWords),
      k('EXPERT_FC2_OFFSET', hasMoe(dims) ? segIn(moe, 'expert.0.fc2') - segIn(moe, 'expert.0.fc1') : 0),
      k('FINAL_NORM_OFFSET', model.final_norm ? segIn(last, 'norm.weight') : 0, 'within the last block'),
      k('MOE_BLOCKS', dims.moeBlocks.filter((m) => m).length),
      k('WORDS', weights.words),
    ],
  });
  let moeIndex = 0;
  return {
    kernel: 'ffn_block',
    weights,
    structs,
    values: {
      // the template's arrays the model puts in URAM (bound there: BIND_STORAGE impl=uram)
      uram: board
        ? bindsUram(ffnBuffers(params, dims, shared), board).filter((n) =>
            ['x', 's', 'hidden', 'res', 'h'].includes(n),
          )
        : [],
      blockOffsets: weights.blocks.map((b) => b.offset),
      // index of each block among the MoE blocks (its slice of routing_out), -1 when dense
      moeIndex: dims.moeBlocks.map((m) => (m ? moeIndex++ : -1)),
      // the arrays' partitions (ffnArrays): cyclic by the larger need serves every user, as any
      // run of that many consecutive features falls in distinct banks
      ...ffnArrays(params, f.act.width, axi, model.final_norm),
    },
  };
}

export function axiBundles(ports = 1): AxiBundle[] {
  return [
    { name: 'gmem_act', args: ['x_in', 'x_out', 'routing_out'], role: 'activations' },
    ...weightBundles(ports),
  ];
}
