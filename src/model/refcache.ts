/**
 * The reference model's outputs, cached on disk per (checkpoint, input, task, options).
 *
 * The key is a sha256 over a format version, the model config, the checkpoint's tensors as the
 * model reads them (names, shapes and float32 values, in checkpointSpec order: a checkpoint saved
 * as F16 and as F32 with the same values shares entries), the input's kind, shape and values, and
 * the options that change the outputs (task, final norm, block range, margins). One file per entry,
 * `<key>.bin`, written atomically; an entry that cannot be read is recomputed and rewritten.
 *
 * Where: `<project>/build/reference/` for `ubimoe csim`; elsewhere `$UBIMOE_CACHE/reference`, else
 * the user's cache directory (`$XDG_CACHE_HOME` or ~/.cache on Linux, ~/Library/Caches on macOS,
 * %LOCALAPPDATA% on Windows) + `/ubimoe/reference`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import type { ModelConfig } from './config.js';
import { forwardBatch, type BatchOptions } from './parallel.js';
import type { ForwardResult } from './reference.js';
import { checkpointSpec } from './spec.js';
import type { Checkpoint } from './tensor.js';

/** Bump when the reference's results change (semantics or numerics), so old entries are not used. */
export const REFERENCE_CACHE_VERSION = 'ubimoe-reference-v1';
const MAGIC = 'UBIMOE-REF\n';

export interface CachedReferenceOptions extends BatchOptions {
  kind: 'images' | 'tokens';
  /** The cache directory; null: no cache (compute, read and write nothing). Default: referenceCacheDir(). */
  cacheDir?: string | null;
}

export interface CachedReference {
  result: ForwardResult;
  /** True when the result was read from the cache. */
  cached: boolean;
  /** The entry's key (hex sha256). */
  key: string;
  /** The entry's file (null without a cache). */
  path: string | null;
  /** Why the entry could not be written, if it could not (the result is still returned). */
  writeError?: string;
}

/** $UBIMOE_CACHE/reference, else the user's cache directory + ubimoe/reference. */
export function referenceCacheDir(): string {
  const env = process.env.UBIMOE_CACHE;
  if (env) return join(env, 'reference');
  const home = homedir();
  const base =
    process.platform === 'darwin'
      ? join(home, 'Library', 'Caches')
      : process.platform === 'win32'
        ? (process.env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'))
        : process.env.XDG_CACHE_HOME || join(home, '.cache');
  return join(base, 'ubimoe', 'reference');
}

const f32Bytes = (a: Float32Array | Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** sha256 of the checkpoint's tensors as `cfg` reads them, per checkpoint object (and its arrays). */
const ckptHashes = new WeakMap<Checkpoint, { cfg: string; arrays: Float32Array[]; hash: string }>();

export function checkpointHash(ckpt: Checkpoint, cfg: ModelConfig): string {
  const spec = checkpointSpec(cfg);
  const arrays = spec.map((s) => ckpt.get(s.name)?.data ?? new Float32Array(0));
  const cfgKey = JSON.stringify(spec.map((s) => [s.name, s.shape]));
  const c = ckptHashes.get(ckpt);
  if (c && c.cfg === cfgKey && c.arrays.every((a, i) => a === arrays[i])) return c.hash;
  const h = createHash('sha256');
  spec.forEach((s, i) => {
    h.update(`${s.name} ${ckpt.get(s.name)?.shape.join(',') ?? 'missing'}\n`);
    h.update(f32Bytes(arrays[i]));
  });
  const hash = h.digest('hex');
  ckptHashes.set(ckpt, { cfg: cfgKey, arrays, hash });
  return hash;
}

/** JSON with sorted keys (a stable text for a config object). */
function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

export function referenceKey(
  ckpt: Checkpoint,
  cfg: ModelConfig,
  data: Float32Array,
  batch: number,
  opts: CachedReferenceOptions,
): string {
  const h = createHash('sha256');
  h.update(`${REFERENCE_CACHE_VERSION}\n`);
  h.update(`${stable(cfg)}\n`);
  h.update(`checkpoint ${checkpointHash(ckpt, cfg)}\n`);
  const options = {
    kind: opts.kind,
    batch,
    values: data.length,
    task: opts.task ?? 0,
    finalNorm: opts.finalNorm ?? cfg.final_norm,
    fromBlock: opts.fromBlock ?? 0,
    toBlock: opts.toBlock ?? cfg.depth,
    margins: !!opts.margins,
  };
  h.update(`${stable(options)}\n`);
  h.update(f32Bytes(data));
  return h.digest('hex');
}

interface Header {
  key: string;
  moeBlockIndices: number[];
  tokens: number;
  choices: number;
  margins: number;
}

function encode(key: string, r: ForwardResult): Uint8Array {
  const m = r.gateMargins;
  const header: Header = {
    key,
    moeBlockIndices: r.moeBlockIndices,
    tokens: r.tokens.length,
    choices: r.experts.length,
    margins: m ? m.prob.length : 0,
  };
  const text = Buffer.from(`${MAGIC}${JSON.stringify(header)}\n`);
  const start = Math.ceil(text.length / 4) * 4;
  const parts = [r.tokens, r.experts, r.gateProbs, ...(m ? [m.prob, m.logit, m.relative] : [])];
  const out = new Uint8Array(start + parts.reduce((n, p) => n + p.byteLength, 0));
  out.fill(0x20, 0, start);
  out.set(text, 0);
  let at = start;
  for (const p of parts) {
    out.set(f32Bytes(p), at);
    at += p.byteLength;
  }
  return out;
}

/** The entry at `path` for `key`, or null when it is missing, for another key, or damaged. */
function decode(path: string, key: string): ForwardResult | null {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    return null;
  }
  const nl = buf.indexOf(10, MAGIC.length);
  if (nl < 0 || buf.subarray(0, MAGIC.length).toString() !== MAGIC) return null;
  let h: Header;
  try {
    h = JSON.parse(buf.subarray(MAGIC.length, nl).toString()) as Header;
  } catch {
    return null;
  }
  const start = Math.ceil((nl + 1) / 4) * 4;
  if (h.key !== key || buf.length !== start + 4 * (h.tokens + 2 * h.choices + 3 * h.margins)) return null;
  const body = new Uint8Array(buf.length - start);
  body.set(buf.subarray(start)); // aligned copy
  let at = 0;
  const take = <T extends Float32Array | Int32Array>(
    make: new (b: ArrayBuffer, o: number, n: number) => T,
    n: number,
  ): T => {
    const a = new make(body.buffer, at, n);
    at += 4 * n;
    return a;
  };
  const tokens = take(Float32Array, h.tokens);
  const experts = take(Int32Array, h.choices);
  const gateProbs = take(Float32Array, h.choices);
  const gateMargins = h.margins
    ? {
        prob: take(Float32Array, h.margins),
        logit: take(Float32Array, h.margins),
        relative: take(Float32Array, h.margins),
      }
    : undefined;
  return { tokens, experts, gateProbs, moeBlockIndices: h.moeBlockIndices, gateMargins };
}

/**
 * The reference forward (forwardBatch: several threads for a batch) of `data`, read from the cache
 * when an entry for the same checkpoint, input, task and options exists, else computed and stored.
 * Intermediates (`collect`) are never cached: with `collect` this computes and stores nothing.
 */
export async function cachedReference(
  ckpt: Checkpoint,
  cfg: ModelConfig,
  data: Float32Array,
  batch: number,
  opts: CachedReferenceOptions,
): Promise<CachedReference> {
  const { kind, cacheDir = referenceCacheDir(), ...fwd } = opts;
  const compute = () => forwardBatch(ckpt, cfg, data, batch, kind, fwd);
  if (cacheDir === null || opts.collect)
    return { result: await compute(), cached: false, key: '', path: null };
  const key = referenceKey(ckpt, cfg, data, batch, opts);
  const path = join(cacheDir, `${key}.bin`);
  const hit = existsSync(path) ? decode(path, key) : null;
  if (hit) {
    for (let b = 1; b <= batch; b++) opts.onImage?.(b);
    return { result: hit, cached: true, key, path };
  }
  const result = await compute();
  try {
    writeFileAtomic(path, encode(key, result));
    return { result, cached: false, key, path };
  } catch (err) {
    return { result, cached: false, key, path, writeError: err instanceof Error ? err.message : String(err) };
  }
}
