import { afterAll, describe, expect, jest, test } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel, validateModel } from '../../src/model/config.js';
import {
  checkpointSpec,
  encodeCheckpoint,
  readCheckpoint,
  synthCheckpoint,
  writeCheckpoint,
  type Checkpoint,
} from '../../src/model/checkpoint.js';
import { encodeSafetensors, type RawTensor } from '../../src/model/safetensors.js';
import { f32ToBf16, f32ToF16, f16ToF32, bf16ToF32 } from '../../src/io/halffloat.js';

const micro = loadModel('micro');
const dir = mkdtempSync(join(tmpdir(), 'ubimoe-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const path = (name: string) => join(dir, name);

/** Encodes a checkpoint with a chosen dtype (the writer only writes F32; tests need F16/BF16 inputs). */
function encodeAs(
  ck: Checkpoint,
  dtype: 'F16' | 'BF16',
  extra: Map<string, RawTensor> = new Map(),
): Uint8Array {
  const raw = new Map<string, RawTensor>();
  for (const [name, t] of ck) {
    const bytes = new Uint8Array(t.data.length * 2);
    const view = new DataView(bytes.buffer);
    t.data.forEach((v, i) => view.setUint16(2 * i, dtype === 'F16' ? f32ToF16(v) : f32ToBf16(v), true));
    raw.set(name, { dtype, shape: t.shape, bytes });
  }
  for (const [k, v] of extra) raw.set(k, v);
  return encodeSafetensors(raw);
}

/** Rewrites the JSON header of a safetensors file (to make it lie). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test edits arbitrary header fields
function patchHeader(bytes: Uint8Array, edit: (h: Record<string, any>) => void): Uint8Array {
  const len = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len)));
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + bytes.length - 8 - len);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(bytes.subarray(8 + len), 8 + json.length);
  return out;
}

describe('checkpoint spec', () => {
  test('micro: every MODEL.md tensor, per-task gates on the MoE block only', () => {
    const spec = checkpointSpec(micro);
    const names = spec.map((s) => s.name);
    expect(names.slice(0, 4)).toEqual([
      'patch_embed.proj.weight',
      'patch_embed.proj.bias',
      'cls_token',
      'pos_embed',
    ]);
    expect(spec[0].shape).toEqual([32, 3, 8, 8]);
    expect(spec[3].shape).toEqual([1, 17, 32]);
    expect(names).toContain('blocks.0.mlp.fc1.weight');
    expect(names).not.toContain('blocks.1.mlp.fc1.weight');
    expect(spec.find((s) => s.name === 'blocks.1.mlp.experts.htoh4.weight')!.shape).toEqual([4, 32, 32]);
    expect(spec.find((s) => s.name === 'blocks.1.mlp.experts.h4toh.bias')!.shape).toEqual([4, 32]);
    expect(spec.find((s) => s.name === 'blocks.1.mlp.gate.1.w_gate')!.shape).toEqual([32, 4]);
    expect(names.slice(-2)).toEqual(['norm.weight', 'norm.bias']);
    expect(names).toHaveLength(32);
  });

  test('one task: the gate has no task index; m3vit-tiny: 6 MoE blocks × 2 gates', () => {
    const one = validateModel({ ...micro, tasks: 1 }, 'x');
    expect(checkpointSpec(one).map((s) => s.name)).toContain('blocks.1.mlp.gate.w_gate');
    const tiny = checkpointSpec(loadModel('m3vit-tiny'));
    expect(tiny.filter((s) => s.name.endsWith('w_gate'))).toHaveLength(12);
    expect(tiny.find((s) => s.name === 'blocks.3.mlp.experts.htoh4.weight')!.shape).toEqual([16, 384, 192]);
  });
});

describe('safetensors round trip', () => {
  const ck = synthCheckpoint(micro, 5);

  test('F32: write then read gives the same tensors; the file is valid safetensors', () => {
    writeCheckpoint(path('a.safetensors'), ck);
    const back = readCheckpoint(path('a.safetensors'), micro);
    expect([...back.keys()]).toEqual([...ck.keys()]);
    for (const [k, t] of ck) {
      expect(back.get(k)!.shape).toEqual(t.shape);
      expect(Array.from(back.get(k)!.data)).toEqual(Array.from(t.data));
    }
    const bytes = readFileSync(path('a.safetensors'));
    const hlen = Number(bytes.readBigUInt64LE(0));
    expect(hlen % 8).toBe(0);
    const header = JSON.parse(bytes.subarray(8, 8 + hlen).toString());
    expect(header.__metadata__).toEqual({ format: 'pt' });
    expect(header['cls_token']).toEqual({ dtype: 'F32', shape: [1, 1, 32], data_offsets: expect.any(Array) });
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test.each(['F16', 'BF16'] as const)('%s input is converted to float32', (dtype) => {
    writeFileSync(path(`h.${dtype}`), encodeAs(ck, dtype));
    const back = readCheckpoint(path(`h.${dtype}`), micro);
    const conv =
      dtype === 'F16' ? (v: number) => f16ToF32(f32ToF16(v)) : (v: number) => bf16ToF32(f32ToBf16(v));
    for (const name of ['pos_embed', 'blocks.1.mlp.experts.h4toh.weight']) {
      const a = back.get(name)!.data;
      const b = ck.get(name)!.data;
      for (let i = 0; i < a.length; i += 7) {
        expect(a[i]).toBe(Math.fround(conv(b[i])));
        expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(
          Math.abs(b[i]) * (dtype === 'F16' ? 1e-3 : 8e-3) + 1e-7,
        );
      }
    }
  });

  test('extra tensors are ignored with one notice; any dtype allowed for them', () => {
    const extra = new Map<string, RawTensor>([
      ['head.weight', { dtype: 'F32', shape: [2], bytes: new Uint8Array(8) }],
      ['decoder.steps', { dtype: 'I64', shape: [], bytes: new Uint8Array(8) }],
    ]);
    writeFileSync(path('extra.safetensors'), encodeAs(ck, 'F16', extra));
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const back = readCheckpoint(path('extra.safetensors'), micro);
      expect(back.has('head.weight')).toBe(false);
      expect(spy).toHaveBeenCalledTimes(1);
      expect(String(spy.mock.calls[0][0])).toMatch(
        /ignoring 2 tensor\(s\) model micro does not use \(head.weight, decoder.steps\)/,
      );
    } finally {
      spy.mockRestore();
    }
  });

  test('same checkpoint -> same bytes', () => {
    expect(
      Buffer.from(encodeCheckpoint(ck)).equals(Buffer.from(encodeCheckpoint(synthCheckpoint(micro, 5)))),
    ).toBe(true);
  });
});

describe('bad checkpoints are UserErrors naming file, tensor and shapes', () => {
  const ck = synthCheckpoint(micro, 5);
  const good = encodeCheckpoint(ck);
  const attempt = (name: string, bytes: Uint8Array) => {
    writeFileSync(path(name), bytes);
    return () => readCheckpoint(path(name), micro);
  };

  test('missing tensor', () => {
    const partial = new Map(ck);
    partial.delete('blocks.1.mlp.gate.0.w_gate');
    expect(attempt('missing', encodeCheckpoint(partial))).toThrow(
      /missing: missing tensor 'blocks.1.mlp.gate.0.w_gate' \(expected shape \[32, 4\]\) for model micro/,
    );
  });

  test('mis-shaped tensor', () => {
    const wrong = new Map(ck);
    wrong.set('pos_embed', { shape: [1, 16, 32], data: new Float32Array(16 * 32) });
    expect(attempt('shape', encodeCheckpoint(wrong))).toThrow(
      /tensor 'pos_embed' has shape \[1, 16, 32\], expected \[1, 17, 32\]/,
    );
  });

  test('non-float dtype, NaN values', () => {
    const withInt = patchHeader(good, (h) => (h['norm.bias'].dtype = 'I32'));
    expect(attempt('int', withInt)).toThrow(/tensor 'norm.bias' has dtype I32; only F32, F16 and BF16/);
    const nan = new Map(ck);
    const data = ck.get('norm.bias')!.data.slice();
    data[3] = NaN;
    nan.set('norm.bias', { shape: [32], data });
    expect(attempt('nan', encodeCheckpoint(nan))).toThrow(
      /tensor 'norm.bias' contains NaN or Inf \(at flat index 3\)/,
    );
  });

  test.each([
    ['empty', () => new Uint8Array(0), /not a valid safetensors file: file is 0 bytes/],
    ['short', () => good.subarray(0, 5), /shorter than the 8-byte header length/],
    ['truncated header', () => good.subarray(0, 100), /header length \d+ runs past the end of the file/],
    [
      'truncated data',
      () => good.subarray(0, good.length - 10),
      /lie outside the \d+-byte data area \(truncated\?\)/,
    ],
    [
      'huge header length',
      () => {
        const b = good.slice();
        b[7] = 0x7f;
        return b;
      },
      /header length \d+ is implausibly large/,
    ],
    [
      'not JSON',
      () => {
        const b = good.slice();
        b[8] = 0x41;
        return b;
      },
      /header is not valid UTF-8 JSON/,
    ],
    ['JSON array', () => encodeRawHeader('[1, 2]'), /header is not a JSON object/],
    [
      'offsets past the end',
      () => patchHeader(good, (h) => (h['cls_token'].data_offsets = [0, 1e9])),
      /tensor 'cls_token': data_offsets \[0, 1000000000\] lie outside/,
    ],
    [
      'offsets too short',
      () => patchHeader(good, (h) => (h['cls_token'].data_offsets[1] -= 4)),
      /tensor 'cls_token': data_offsets span 124 bytes but F32 \[1,1,32\] needs 128/,
    ],
    [
      'offsets overlap',
      () => patchHeader(good, (h) => (h['norm.bias'].data_offsets = h['norm.weight'].data_offsets)),
      /tensors '.*' and '.*' overlap/,
    ],
    [
      'unknown dtype',
      () => patchHeader(good, (h) => (h['cls_token'].dtype = 'F128')),
      /tensor 'cls_token': unknown dtype 'F128'/,
    ],
    [
      'bad shape',
      () => patchHeader(good, (h) => (h['cls_token'].shape = [1, -1])),
      /tensor 'cls_token': shape is not a list of non-negative integers/,
    ],
    [
      'bad offsets',
      () => patchHeader(good, (h) => (h['cls_token'].data_offsets = 'x')),
      /data_offsets is not \[begin, end\]/,
    ],
  ] as Array<[string, () => Uint8Array, RegExp]>)('%s', (name, make, re) => {
    const f = attempt(name.replace(/ /g, '_'), make());
    expect(f).toThrow(re);
    try {
      f();
    } catch (err) {
      expect((err as Error).name).toBe('UserError');
      expect((err as Error).message).toContain(path(name.replace(/ /g, '_')));
    }
  });

  test('no such file', () => {
    expect(() => readCheckpoint(path('nope.safetensors'), micro)).toThrow(/nope.safetensors: no such file/);
  });
});

/** A file whose header is exactly `json`. */
function encodeRawHeader(json: string): Uint8Array {
  const j = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + j.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(j.length), true);
  out.set(j, 8);
  return out;
}

describe('tensor name prefixes of training wrappers', () => {
  test("'module.' (DataParallel) is found and read through; two prefixes are refused", () => {
    const ck = synthCheckpoint(micro, 4);
    const prefixed: Checkpoint = new Map([...ck].map(([n, t]) => [`module.${n}`, t]));
    writeFileSync(path('module.safetensors'), encodeCheckpoint(prefixed));
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const back = readCheckpoint(path('module.safetensors'), micro);
      expect([...back.keys()]).toEqual(checkpointSpec(micro).map((s) => s.name));
      expect(back.get('blocks.1.mlp.gate.0.w_gate')!.data).toEqual(
        ck.get('blocks.1.mlp.gate.0.w_gate')!.data,
      );
      expect(err.mock.calls.map((c) => String(c[0])).join('')).toContain("prefix 'module.'");
    } finally {
      err.mockRestore();
    }
    const twice: Checkpoint = new Map([...prefixed, ...[...ck].map(([n, t]) => [`ema.${n}`, t] as const)]);
    writeFileSync(path('two.safetensors'), encodeCheckpoint(twice));
    expect(() => readCheckpoint(path('two.safetensors'), micro)).toThrow('several models in one file');
  });
});
