/**
 * The render context every template of a generated project sees: the resolved design, its hash,
 * the kernels' template contexts (config structs, weight layouts) and safe rendering helpers.
 * Templates only render what is here; nothing is recomputed in a template.
 */
import ejs from 'ejs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { designKernels, designWeightPorts, splitKernels, weightPortsWord, type Design } from '../design/design.js';
import { designHash, WEIGHTS_FORMAT_VERSION } from '../design/hash.js';
import { validateDesign } from '../design/validate.js';
import { templateContext as ffnContext } from '../kernels/cpp/ffn_block.js';
import type { KernelContext } from '../kernels/cpp/common.js';
import { cppAct, cppRaw, formats, PROB } from '../kernels/cpp/formats.js';
import { cComment, cIdent, cInt, cUint } from '../kernels/cpp/ident.js';
import { wordsFor } from '../kernels/cpp/layout.js';
import { templateContext as msaContext } from '../kernels/cpp/msa_block.js';
import { templateContext as patchContext } from '../kernels/cpp/patch_embed.js';
import { templateContext as vitContext } from '../kernels/cpp/vit_block.js';
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
  kernelNames: KernelName[]; // the design's top kernels in call order (design.ts designKernels)
  kernels: Partial<Record<KernelName, KernelContext>>; // those kernels' contexts
  globalTypes: CppType[];
  modelStruct: CppStruct;
  timingStructs: CppStruct[]; // timing_cfg and each kernel's <kernel>_timing_cfg (src/kernels/cpp/timing.ts)
  values: { tokenWords: number; pixelWords: number; routingWords: number };
  weightPorts: Partial<Record<KernelName, WeightPortsContext>>; // per kernel of the design: its own weight_ports
  weightPortsHeader: { word: number; max: number }; // the packed file's ports word (design.ts weightPortsWord), the most ports of a kernel
  /** The weight regions, one per top kernel in call order (docs/weights.md): its name, its config struct (WORDS), its ports macro. */
  regions: Array<{ kernel: KernelName; cfg: string; portsMacro: string }>;
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

/** Each kernel's config struct with its region's WORDS, and its short name in macros. */
const KERNEL_CFG: Record<KernelName, string> = { patch_embed: 'pe_cfg', msa_block: 'msa_cfg', ffn_block: 'ffn_cfg', vit_block: 'vit_cfg' };
const KERNEL_SHORT: Record<KernelName, string> = { patch_embed: 'PE', msa_block: 'MSA', ffn_block: 'FFN', vit_block: 'VIT' };

export function renderContext(design: Design): RenderContext {
  validateDesign(design);
  const { dims, shared, model } = design;
  const f = formats(shared.precision);
  const axi = shared.axiWidthBits;
  const ports = designWeightPorts(design);
  // every kernel's config structs carry its timing constants (typedef <kernel>_timing_cfg TIMING)
  const timed = (c: KernelContext): KernelContext => ({ ...c, structs: withTiming(c.structs, c.kernel) });
  const kernelNames = designKernels(design);
  const kernels: Partial<Record<KernelName, KernelContext>> = {};
  if (design.kernels.patch_embed)
    kernels.patch_embed = timed(patchContext(design.kernels.patch_embed, dims, shared, model, design.board));
  if (design.block === 'fused') {
    kernels.vit_block = timed(vitContext(design.kernels.vit_block!, dims, shared, model, design.board));
  } else {
    const { msa, ffn } = splitKernels(design);
    kernels.msa_block = timed(msaContext(msa, dims, shared, model, design.board));
    kernels.ffn_block = timed(ffnContext(ffn, dims, shared, model, design.board));
  }
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
    kernelNames,
    kernels,
    globalTypes,
    modelStruct,
    timingStructs: timingStructs({
      board: design.board,
      shared,
      kernels: kernelNames,
      placement: design.placement,
      weightPorts: ports,
    }),
    values: {
      tokenWords: dims.numTokens * wordsFor(dims.D, f.act.width, axi),
      pixelWords: model.in_chans * model.img_h * wordsFor(model.img_w, f.act.width, axi),
      routingWords: Math.max(1, moeBlocks * dims.numTokens * dims.topK),
    },
    weightPortsHeader: { word: weightPortsWord(design), max: Math.max(...kernelNames.map((k) => ports[k])) },
    weightPorts: Object.fromEntries(kernelNames.map((k) => [k, weightPortsContext(ports[k])])),
    regions: kernelNames.map((k) => ({ kernel: k, cfg: KERNEL_CFG[k], portsMacro: `UBIMOE_${KERNEL_SHORT[k]}_WEIGHT_PORTS` })),
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
