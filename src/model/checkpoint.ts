/**
 * Checkpoint I/O: safetensors files with the M³ViT / timm parameter names of docs/model.md.
 *
 * - `checkpointSpec(cfg)`  every tensor a model needs (name + shape), in a fixed order.
 * - `readCheckpoint(path, cfg)`  reads F32/F16/BF16 tensors into float32, validated against the spec.
 * - `writeCheckpoint(path, ckpt)`  writes F32, atomically.
 * - `synthCheckpoint(cfg, seed)`  a deterministic synthetic checkpoint (see synth.ts).
 */
import { UserError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { ModelConfig } from './config.js';
import { checkpointSpec } from './spec.js';
import { decodeFloat, encodeSafetensors, f32Bytes, parseSafetensors, type RawTensor } from './safetensors.js';
import { formatShape, sameShape, shapeSize, type Checkpoint } from './tensor.js';
import { readUserFile } from '../util/readfile.js';

export type { Checkpoint, Tensor } from './tensor.js';
export { checkpointSpec, gateName, type TensorSpec } from './spec.js';
export { synthCheckpoint } from './synth.js';

/**
 * Checks an in-memory checkpoint against the model's spec: every tensor present with the right
 * shape and data length, all values finite. Returns the names of tensors the model does not use.
 * Errors (UserError) name the tensor, the expected and the found shape.
 */
export function validateCheckpoint(ckpt: Checkpoint, cfg: ModelConfig, what = 'checkpoint'): string[] {
  const spec = checkpointSpec(cfg);
  for (const { name, shape } of spec) {
    const t = ckpt.get(name);
    if (!t)
      throw new UserError(
        `${what}: missing tensor '${name}' (expected shape ${formatShape(shape)}) for model ${cfg.name}`,
      );
    if (!sameShape(t.shape, shape))
      throw new UserError(
        `${what}: tensor '${name}' has shape ${formatShape(t.shape)}, expected ${formatShape(shape)} for model ${cfg.name}`,
      );
    if (t.data.length !== shapeSize(shape))
      throw new UserError(
        `${what}: tensor '${name}' holds ${t.data.length} values, its shape needs ${shapeSize(shape)}`,
      );
    for (let i = 0; i < t.data.length; i++)
      if (!Number.isFinite(t.data[i]))
        throw new UserError(`${what}: tensor '${name}' contains NaN or Inf (at flat index ${i})`);
  }
  const known = new Set(spec.map((s) => s.name));
  return [...ckpt.keys()].filter((n) => !known.has(n));
}

/**
 * Reads a safetensors checkpoint for `cfg`. Only the tensors of `checkpointSpec(cfg)` are decoded
 * (F32, F16 or BF16, converted to float32); extra tensors (task heads, decoders) are ignored with
 * one notice on stderr. Missing/mis-shaped tensors, non-float dtypes, NaN/Inf and corrupt or
 * truncated files are UserErrors naming the file and the tensor.
 */
export function readCheckpoint(path: string, cfg: ModelConfig): Checkpoint {
  const file = parseSafetensors(readUserFile(path), path);
  const ckpt: Checkpoint = new Map();
  const prefix = namePrefix([...file.entries.keys()], path);
  const used = new Set<string>();
  for (const { name, shape } of checkpointSpec(cfg)) {
    const e = file.entries.get(prefix + name);
    used.add(prefix + name);
    if (!e)
      throw new UserError(
        `${path}: missing tensor '${name}' (expected shape ${formatShape(shape)}) for model ${cfg.name}`,
      );
    if (!sameShape(e.shape, shape))
      throw new UserError(
        `${path}: tensor '${name}' has shape ${formatShape(e.shape)}, expected ${formatShape(shape)} for model ${cfg.name}`,
      );
    if (e.dtype !== 'F32' && e.dtype !== 'F16' && e.dtype !== 'BF16')
      throw new UserError(
        `${path}: tensor '${name}' has dtype ${e.dtype}; only F32, F16 and BF16 are accepted`,
      );
    ckpt.set(name, { shape: [...shape], data: decodeFloat(file, e) });
  }
  validateCheckpoint(ckpt, cfg, path);
  const extra = [...file.entries.keys()].filter((n) => !used.has(n));
  if (extra.length) {
    const shown = extra.slice(0, 3).join(', ') + (extra.length > 3 ? ', ...' : '');
    process.stderr.write(
      `ubimoe: note: ${path}: ignoring ${extra.length} tensor(s) model ${cfg.name} does not use (${shown})\n`,
    );
  }
  return ckpt;
}

/**
 * The prefix a training wrapper put before every tensor name ('module.' from DataParallel,
 * 'model.', 'backbone.', ...): found from where the patch embedding is; '' when names are bare.
 */
function namePrefix(names: string[], path: string): string {
  const anchor = 'patch_embed.proj.weight';
  if (names.includes(anchor)) return '';
  const found = names
    .filter((n) => n.endsWith('.' + anchor))
    .map((n) => n.slice(0, n.length - anchor.length));
  if (found.length > 1)
    throw new UserError(`${path}: several models in one file (tensor name prefixes ${found.join(', ')})`);
  if (found.length === 1)
    process.stderr.write(
      `ubimoe: note: ${path}: tensor names carry the prefix '${found[0]}'; reading without it\n`,
    );
  return found[0] ?? '';
}

/** Safetensors bytes of a checkpoint: every tensor as F32, in the map's order. */
export function encodeCheckpoint(
  ckpt: Checkpoint,
  metadata: Record<string, string> = { format: 'pt' },
): Uint8Array {
  const raw = new Map<string, RawTensor>();
  for (const [name, t] of ckpt) {
    if (t.data.length !== shapeSize(t.shape))
      throw new Error(`tensor '${name}': ${t.data.length} values do not fit shape ${formatShape(t.shape)}`);
    raw.set(name, { dtype: 'F32', shape: t.shape, bytes: f32Bytes(t.data) });
  }
  return encodeSafetensors(raw, metadata);
}

/** Writes a checkpoint as an F32 safetensors file, atomically (temp file + rename). */
export function writeCheckpoint(path: string, ckpt: Checkpoint, metadata?: Record<string, string>): void {
  writeFileAtomic(path, encodeCheckpoint(ckpt, metadata));
}
