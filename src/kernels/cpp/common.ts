/** What the three kernels' generator-side modules share: the context shape and validation helpers. */
import type { ModelConfig, ModelDims } from '../../model/config.js';
import { UserError } from '../../util/errors.js';
import type { KernelName } from '../params.js';
import type { SharedParams } from '../types.js';
import type { KernelWeights } from './layout.js';
import type { CppStruct } from './struct.js';

/** What a kernel's template renders from: its config structs plus named values for the .cpp. */
export interface KernelContext {
  kernel: KernelName;
  structs: CppStruct[];
  weights: KernelWeights;
  values: Record<string, number | boolean | number[] | string[] | ArrayPartition[]>;
}

/** One ARRAY_PARTITION a template emits at an array's declaration (only for factors > 1). */
export interface ArrayPartition {
  name: string;
  dim: number;
  factor: number;
}

export type TemplateContextFn<P> = (
  params: P,
  dims: ModelDims,
  shared: SharedParams,
  model: ModelConfig,
) => KernelContext;

/** "kernels.ffn_block.tile_in: 24 must divide embed_dim 192" */
export function mustDivide(field: string, value: number, what: string, dim: number): void {
  if (dim % value !== 0) throw new UserError(`${field}: ${value} must divide ${what} ${dim}`);
}

export function atMost(field: string, value: number, what: string, limit: number): void {
  if (value > limit) throw new UserError(`${field}: ${value} must be <= ${what} ${limit}`);
}
