/** A dense float32 tensor in C (row-major) order. */
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

/** A model checkpoint: parameter name (M³ViT / timm naming, see docs/model.md) -> tensor. */
export type Checkpoint = Map<string, Tensor>;

/** Number of elements of a shape (1 for a scalar shape []). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** `[1, 2, 3]` -> "[1, 2, 3]", for error messages. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
