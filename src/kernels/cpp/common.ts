/** What the three kernels' generator-side modules share: the context shape and validation helpers. */
import type { ModelConfig, ModelDims } from '../../model/config.js';
import { UserError } from '../../util/errors.js';
import type { KernelName } from '../params.js';
import type { AxiBundle, SharedParams } from '../types.js';
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

/**
 * The weight arguments of a top kernel with `ports` weight ports, and their m_axi bundles: one
 * port keeps the names `weights` / `gmem_w`; P > 1 ports are `weights0..` / `gmem_w0..`.
 */
export function weightPortNames(ports = 1): Array<{ arg: string; bundle: string }> {
  if (ports === 1) return [{ arg: 'weights', bundle: 'gmem_w' }];
  return Array.from({ length: ports }, (_, p) => ({ arg: `weights${p}`, bundle: `gmem_w${p}` }));
}

/** The weight bundles of a top kernel (src/kernels/cpp/<kernel>.ts axiBundles). */
export function weightBundles(ports = 1): AxiBundle[] {
  return weightPortNames(ports).map((w) => ({ name: w.bundle, args: [w.arg], role: 'weights' as const }));
}
