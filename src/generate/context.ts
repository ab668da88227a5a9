/**
 * The render context every template of a generated project sees: the resolved design, its hash,
 * the kernels' template contexts (config structs, weight layouts) and safe rendering helpers.
 * Templates only render what is here; nothing is recomputed in a template.
 */
import ejs from 'ejs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { designWeightPorts, weightPortsWord, type Design } from '../design/design.js';
import { designHash, WEIGHTS_FORMAT_VERSION } from '../design/hash.js';
import { validateDesign } from '../design/validate.js';
import { templateContext as ffnContext } from '../kernels/cpp/ffn_block.js';
import type { KernelContext } from '../kernels/cpp/common.js';
import { cppAct, cppRaw, formats, PROB } from '../kernels/cpp/formats.js';
import { cComment, cIdent, cInt, cUint } from '../kernels/cpp/ident.js';
import { wordsFor } from '../kernels/cpp/layout.js';
import { templateContext as msaContext } from '../kernels/cpp/msa_block.js';
import { templateContext as patchContext } from '../kernels/cpp/patch_embed.js';
import { cType, k, renderStruct, t, type CppStruct, type CppType } from '../kernels/cpp/struct.js';
import { timingStructs, withTiming } from '../kernels/cpp/timing.js';
import { weightPortNames } from '../kernels/cpp/common.js';
import type { KernelName } from '../kernels/params.js';
import type { ModelConfig, ModelDims } from '../model/config.js';
import { packageRoot, templatesDir } from '../util/paths.js';

export interface RenderContext {
  design: Design;
  model: ModelConfig;
  dims: ModelDims;
  hash: string; // design hash (hex sha256)
  version: string; // ubimoe version
  weightsFormatVersion: number;
  kernels: Record<KernelName, KernelContext>;
  globalTypes: CppType[];
  modelStruct: CppStruct;
  timingStructs: CppStruct[]; // timing_cfg and each kernel's <kernel>_timing_cfg (src/kernels/cpp/timing.ts)
  values: { tokenWords: number; pixelWords: number; routingWords: number };
  weightPorts: Record<KernelName, WeightPortsContext>; // per kernel: its own weight_ports
  weightPortsHeader: { word: number; max: number }; // the packed file's ports word (design.ts weightPortsWord), the most ports of a kernel
  /** Renders templates/<template> (ejs) with this context plus `extra`. */
  render(template: string, extra?: Record<string, unknown>): string;
}

/** Helpers every template may call; names and numbers are checked before they reach C++. */
export const templateHelpers = {
  cIdent,
  cUint,
  cUintPlain: (n: number) =>
    cUint(n)
      .replace(/u(LL)?$/, '')
      .replace(/ULL$/, ''),
  cInt,
  cComment,
  cType,
  renderStruct,
};

/**
 * How the templates spell a kernel's weight ports (its weight_ports): the top function's
 * arguments (`params`, `names`), and the four port pointers every weight reader takes (`args4`:
 * the spare ones repeat the first; ubimoe/common.h).
 */
export interface WeightPortsContext {
  count: number;
  names: string[];
  bundles: string[];
  params: string;
  args4: string;
}

export function weightPortsContext(ports: number): WeightPortsContext {
  const ws = weightPortNames(ports);
  const names = ws.map((w) => w.arg);
  return {
    count: ports,
    names,
    bundles: ws.map((w) => w.bundle),
    params: names.map((n) => `const word_t *${n}`).join(', '),
    args4: [0, 1, 2, 3].map((i) => names[i] ?? names[0]).join(', '),
  };
}

export function ubimoeVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

export function renderContext(design: Design): RenderContext {
  validateDesign(design);
  const { dims, shared, model } = design;
  const f = formats(shared.precision);
  const axi = shared.axiWidthBits;
  const ports = designWeightPorts(design);
  // every kernel's config structs carry its timing constants (typedef <kernel>_timing_cfg TIMING)
  const timed = (c: KernelContext): KernelContext => ({ ...c, structs: withTiming(c.structs, c.kernel) });
  const kernels: Record<KernelName, KernelContext> = {
    patch_embed: timed(patchContext(design.kernels.patch_embed, dims, shared, model, design.board)),
    msa_block: timed(msaContext(design.kernels.msa_block, dims, shared, model, design.board)),
    ffn_block: timed(ffnContext(design.kernels.ffn_block, dims, shared, model, design.board)),
  };
  const globalTypes: CppType[] = [
    t('word_t', `ap_uint<${axi}>`, 'one AXI word'),
    t('act_t', cppAct(f.act), 'activations (rounded, saturating)'),
    t('lin_in_t', cppAct(f.linIn), 'activations at the linear MAC inputs (rounded, saturating)'),
    t('acc_t', cppRaw(f.acc), 'accumulators'),
    t('weight_t', cppRaw(f.weight), 'linear weights'),
    t('bias_t', cppRaw(f.bias), 'linear biases'),
    t('norm_t', cppRaw(f.norm), 'LayerNorm gamma/beta'),
    t('patch_weight_t', cppRaw(f.patchWeight), 'patch-embedding weights'),
    t('qkv_t', cppAct(f.qkv), 'attention q/k/v'),
    t('score_t', cppAct(f.score), 'attention scores, gate logits'),
    t('prob_t', cppRaw(PROB), 'softmax probabilities'),
  ];
  const moeBlocks = dims.moeBlocks.filter((m) => m).length;
  const modelStruct: CppStruct = {
    name: 'model_cfg',
    comment: `model ${model.name}`,
    types: [],
    consts: [
      k('CHANNELS', model.in_chans),
      k('HEIGHT', model.img_h),
      k('WIDTH', model.img_w),
      k('PATCH', model.patch_size),
      k('TOKENS', dims.numTokens),
      k('DIM', dims.D),
      k('HEADS', dims.heads),
      k('DEPTH', dims.depth),
      k('EXPERTS', dims.experts),
      k('TOP_K', dims.topK),
      k('MOE_BLOCKS', moeBlocks),
      k('TASKS', dims.tasks),
      k('AXI_BITS', axi),
    ],
  };
  const ctx: RenderContext = {
    design,
    model,
    dims,
    hash: designHash(design),
    version: ubimoeVersion(),
    weightsFormatVersion: WEIGHTS_FORMAT_VERSION,
    kernels,
    globalTypes,
    modelStruct,
    timingStructs: timingStructs({ board: design.board, shared, placement: design.placement, weightPorts: ports }),
    values: {
      tokenWords: dims.numTokens * wordsFor(dims.D, f.act.width, axi),
      pixelWords: model.in_chans * model.img_h * wordsFor(model.img_w, f.act.width, axi),
      routingWords: Math.max(1, moeBlocks * dims.numTokens * dims.topK),
    },
    weightPortsHeader: { word: weightPortsWord(design), max: Math.max(...Object.values(ports)) },
    weightPorts: {
      patch_embed: weightPortsContext(ports.patch_embed),
      msa_block: weightPortsContext(ports.msa_block),
      ffn_block: weightPortsContext(ports.ffn_block),
    },
    render(template: string, extra: Record<string, unknown> = {}): string {
      const file = join(templatesDir, template);
      return ejs.render(
        readFileSync(file, 'utf8'),
        { ...templateHelpers, ...ctx, ...extra },
        { filename: file },
      );
    },
  };
  return ctx;
}

/** One file of a generated project. */
export interface ProducedFile {
  path: string; // relative to the project root, '/'-separated
  content: string | Uint8Array;
}

/** A function of the resolved design and the render context returning project files. */
export type Producer = (design: Design, ctx: RenderContext) => ProducedFile[];
