import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../util/errors.js';
import { modelsDir } from '../util/paths.js';
import { parseWith, readYaml } from '../util/yamlfile.js';

const posInt = z.number().int('must be an integer').positive('must be a positive integer');

/** The model config as written in models/*.yaml (snake_case keys, as in the YAML). */
export const modelConfigSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be letters, digits, _ . or -'),
    embed_dim: posInt,
    depth: posInt,
    num_heads: posInt,
    mlp_ratio: z.number().positive('must be positive'),
    num_experts: z.number().int('must be an integer').min(0, 'must be >= 0'),
    top_k: posInt.optional(),
    moe_mlp_ratio: z.number().positive('must be positive').optional(),
    moe_every: posInt.optional(),
    patch_size: posInt,
    img_h: posInt,
    img_w: posInt,
    in_chans: posInt,
    tasks: posInt.default(1),
    mean: z.array(z.number()).optional(),
    std: z.array(z.number().positive('must be positive')).optional(),
    final_norm: z.boolean().default(false),
  })
  .strict()
  .superRefine((m, ctx) => {
    const fail = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (m.embed_dim % m.num_heads !== 0)
      fail('num_heads', `embed_dim ${m.embed_dim} must be divisible by num_heads ${m.num_heads}`);
    if (m.img_h % m.patch_size !== 0)
      fail('img_h', `img_h ${m.img_h} must be divisible by patch_size ${m.patch_size}`);
    if (m.img_w % m.patch_size !== 0)
      fail('img_w', `img_w ${m.img_w} must be divisible by patch_size ${m.patch_size}`);
    if (!Number.isInteger(m.embed_dim * m.mlp_ratio))
      fail('mlp_ratio', `embed_dim × mlp_ratio = ${m.embed_dim * m.mlp_ratio} must be an integer`);
    if (m.num_experts > 0) {
      if (m.top_k === undefined) fail('top_k', 'required when num_experts > 0');
      else if (m.top_k > m.num_experts)
        fail('top_k', `top_k ${m.top_k} must be <= num_experts ${m.num_experts}`);
      if (m.moe_mlp_ratio === undefined) fail('moe_mlp_ratio', 'required when num_experts > 0');
      else if (!Number.isInteger(m.embed_dim * m.moe_mlp_ratio))
        fail(
          'moe_mlp_ratio',
          `embed_dim × moe_mlp_ratio = ${m.embed_dim * m.moe_mlp_ratio} must be an integer`,
        );
      if (m.moe_every === undefined) fail('moe_every', 'required when num_experts > 0');
    } else {
      for (const k of ['top_k', 'moe_mlp_ratio', 'moe_every'] as const)
        if (m[k] !== undefined) fail(k, 'only allowed when num_experts > 0');
    }
    for (const k of ['mean', 'std'] as const) {
      const v = m[k];
      if (v && v.length !== m.in_chans)
        fail(k, `must have in_chans = ${m.in_chans} entries, found ${v.length}`);
    }
  });

export type ModelConfigInput = z.input<typeof modelConfigSchema>;
export type ModelConfig = z.output<typeof modelConfigSchema>;

/** Facts derived from a model config, computed once here and used everywhere else. */
export interface ModelDims {
  D: number; // embed dim
  heads: number;
  headDim: number;
  depth: number;
  patchesH: number;
  patchesW: number;
  numPatches: number;
  numTokens: number; // patches + cls
  patchInputs: number; // in_chans × P × P
  inChans: number; // C
  patchSize: number; // P
  mlpHidden: number; // D × mlp_ratio (dense blocks)
  experts: number;
  topK: number;
  expertHidden: number; // D × moe_mlp_ratio
  tasks: number;
  moeBlocks: boolean[]; // per block: is it a MoE block?
}

export function modelDims(m: ModelConfig): ModelDims {
  const patchesH = m.img_h / m.patch_size;
  const patchesW = m.img_w / m.patch_size;
  const experts = m.num_experts;
  const moeEvery = m.moe_every ?? 0;
  return {
    D: m.embed_dim,
    heads: m.num_heads,
    headDim: m.embed_dim / m.num_heads,
    depth: m.depth,
    patchesH,
    patchesW,
    numPatches: patchesH * patchesW,
    numTokens: patchesH * patchesW + 1,
    patchInputs: m.in_chans * m.patch_size * m.patch_size,
    inChans: m.in_chans,
    patchSize: m.patch_size,
    mlpHidden: Math.round(m.embed_dim * m.mlp_ratio),
    experts,
    topK: experts > 0 ? (m.top_k ?? 0) : 0,
    expertHidden: experts > 0 ? Math.round(m.embed_dim * (m.moe_mlp_ratio ?? 0)) : 0,
    tasks: m.tasks,
    moeBlocks: Array.from({ length: m.depth }, (_, i) => experts > 0 && i % moeEvery === moeEvery - 1),
  };
}

/** Whether the model has MoE blocks (moeBlocks is all false without experts). */
export const hasMoe = (dims: ModelDims): boolean => dims.moeBlocks.some((m) => m);
/** Whether the model has dense (MLP) blocks. */
export const hasDense = (dims: ModelDims): boolean => dims.moeBlocks.some((m) => !m);

/** ImageNet normalisation, the default when a config gives no mean/std. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406];
export const IMAGENET_STD = [0.229, 0.224, 0.225];

/** Per-channel mean/std for input normalisation (config's, else ImageNet's, else 0/1). */
export function normalisation(m: ModelConfig): { mean: number[]; std: number[] } {
  const dflt = (v: number[], fill: number) => (m.in_chans === 3 ? v : Array(m.in_chans).fill(fill));
  return { mean: m.mean ?? dflt(IMAGENET_MEAN, 0), std: m.std ?? dflt(IMAGENET_STD, 1) };
}

export function validateModel(value: unknown, what: string): ModelConfig {
  return parseWith(modelConfigSchema, value, what);
}

/** Names of the presets shipped in models/. */
export function presetNames(): string[] {
  return readdirSync(modelsDir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => basename(f, '.yaml'))
    .sort();
}

/** `--model NAME` resolves a preset; `--model path.yaml` reads a user file. */
export function loadModel(nameOrPath: string): ModelConfig {
  const isPath = nameOrPath.includes('/') || nameOrPath.endsWith('.yaml') || nameOrPath.endsWith('.yml');
  const path = isPath ? nameOrPath : join(modelsDir, `${nameOrPath}.yaml`);
  if (!isPath && !existsSync(path))
    throw new UserError(
      `unknown model '${nameOrPath}' (presets: ${presetNames().join(', ')}; or pass a .yaml path)`,
    );
  return validateModel(readYaml(path), `model ${path}`);
}
