import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { checkInput, loadInputFiles } from '../../src/driver/inputs.js';
import { imageToInput, resizeBilinear } from '../../src/driver/png.js';
import { summarise, formatSummary } from '../../src/driver/summary.js';
import { encodeNpy } from '../../src/io/npy.js';
import { loadModel, normalisation } from '../../src/model/config.js';
import { UserError } from '../../src/util/errors.js';

const micro = loadModel('micro'); // 3×32×32 images, 17 tokens × 32
const shape = { channels: 3, height: 32, width: 32, tokens: 17, dim: 32, moeBlocks: 1, topK: 2, tasks: 2 };
const dir = mkdtempSync(join(tmpdir(), 'ubimoe-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function png(
  width: number,
  height: number,
  pixel: (x: number, y: number) => [number, number, number],
): string {
  const img = new PNG({ width, height });
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      img.data.set([r, g, b, 255], 4 * (y * width + x));
    }
  const p = join(dir, `img-${width}x${height}-${Math.random().toString(36).slice(2)}.png`);
  writeFileSync(p, PNG.sync.write(img));
  return p;
}

function npy(name: string, dims: number[], data?: Float32Array): string {
  const p = join(dir, name);
  writeFileSync(
    p,
    encodeNpy(dims, data ?? new Float32Array(dims.reduce((a, b) => a * b, 1)).map((_, i) => (i % 7) / 7)),
  );
  return p;
}

describe('bilinear resize', () => {
  test('same size is the identity; constant stays constant; a ramp stays a ramp', () => {
    const src = Float32Array.from([0, 1, 2, 3]);
    expect(Array.from(resizeBilinear(src, 2, 2, 2, 2))).toEqual([0, 1, 2, 3]);
    expect(
      Array.from(resizeBilinear(new Float32Array(9).fill(5), 3, 3, 7, 5)).every(
        (v) => Math.abs(v - 5) < 1e-6,
      ),
    ).toBe(true);
    // 2 -> 4 columns, half-pixel centres: 0, 0.25, 0.75, 1 (clamped at the edges)
    expect(Array.from(resizeBilinear(Float32Array.from([0, 1]), 2, 1, 4, 1))).toEqual([0, 0.25, 0.75, 1]);
  });
});

describe('PNG frames', () => {
  test('decoded, resized to the model, scaled to [0,1] and normalised per channel', () => {
    const p = png(64, 48, () => [255, 128, 0]);
    const [input] = loadInputFiles([p], micro, shape);
    expect(input.kind).toBe('image');
    expect(input.data.length).toBe(3 * 32 * 32);
    const { mean, std } = normalisation(micro);
    const expected = [1, 128 / 255, 0].map((v, c) => (v - mean[c]) / std[c]);
    for (let c = 0; c < 3; c++) expect(input.data[c * 1024 + 517]).toBeCloseTo(expected[c], 5);
  });

  test('a PNG of the model size is not resampled', () => {
    const img = { width: 32, height: 32, data: new Uint8Array(32 * 32 * 4).map((_, i) => (i * 37) % 256) };
    const out = imageToInput(img, micro, 'x.png');
    const { mean, std } = normalisation(micro);
    expect(out[1024 + 5]).toBeCloseTo((img.data[4 * 5 + 1] / 255 - mean[1]) / std[1], 5);
  });

  test('a file that is not a PNG is one clear error', () => {
    const p = join(dir, 'broken.png');
    writeFileSync(p, 'not a png at all');
    expect(() => loadInputFiles([p], micro, shape)).toThrow(UserError);
    expect(() => loadInputFiles([p], micro, shape)).toThrow(
      /broken\.png: not a readable PNG \(no PNG signature: not a PNG file\)/,
    );
    expect(() => loadInputFiles([join(dir, 'missing.png')], micro, shape)).toThrow(
      /missing\.png: no such file/,
    );
  });
});

describe('.npy inputs', () => {
  test('images [B,C,H,W] and tokens [B,N,D] are split per item, in order', () => {
    const imgs = npy('imgs.npy', [3, 3, 32, 32]);
    const toks = npy('toks.npy', [2, 17, 32]);
    const all = loadInputFiles([imgs, toks], micro, shape);
    expect(all.map((i) => i.kind)).toEqual(['image', 'image', 'image', 'tokens', 'tokens']);
    expect(all[1].data[0]).toBe(Math.fround((3072 % 7) / 7));
    expect(all[4].source).toMatch(/toks\.npy\[1\]$/);
  });

  test('wrong shapes, dtypes, NaN/Inf and unknown extensions are refused with one line', () => {
    expect(() => loadInputFiles([npy('bad.npy', [2, 3, 16, 16])], micro, shape)).toThrow(
      /bad\.npy: shape \(2, 3, 16, 16\) is neither images \(B, 3, 32, 32\) nor tokens \(B, 17, 32\)/,
    );
    expect(() => loadInputFiles([npy('empty.npy', [0, 3, 32, 32])], micro, shape)).toThrow(/holds no images/);
    const nan = new Float32Array(2 * 3 * 32 * 32);
    nan[3000 + 3072] = NaN;
    expect(() => loadInputFiles([npy('nan.npy', [2, 3, 32, 32], nan)], micro, shape)).toThrow(
      /input 1 \(.*nan\.npy\[1\]\): value 3000 is NaN/,
    );
    const inf = new Float32Array(17 * 32);
    inf[7] = -Infinity;
    expect(() => loadInputFiles([npy('inf.npy', [1, 17, 32], inf)], micro, shape)).toThrow(
      /value 7 is -Infinity/,
    );
    const u8 = join(dir, 'u8.npy');
    const header = "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 3, 32, 32), }";
    const pad = 64 - ((10 + header.length + 1) % 64);
    const h = header + ' '.repeat(pad) + '\n';
    writeFileSync(
      u8,
      Buffer.concat([
        Buffer.from([0x93]),
        Buffer.from('NUMPY'),
        Buffer.from([1, 0, h.length & 255, h.length >> 8]),
        Buffer.from(h),
        Buffer.alloc(3072),
      ]),
    );
    expect(() => loadInputFiles([u8], micro, shape)).toThrow(
      /u8\.npy: dtype uint8, inputs must be float32 \(or float16\)/,
    );
    expect(() => loadInputFiles([join(dir, 'x.jpg')], micro, shape)).toThrow(/must be a \.npy .* or a \.png/);
    expect(() => loadInputFiles([], micro, shape)).toThrow(/no input given/);
  });

  test('checkInput names the input and the expected size', () => {
    expect(() => checkInput({ kind: 'image', data: new Float32Array(5), source: 'a.png' }, shape, 4)).toThrow(
      /input 4 \(a\.png\): 5 values, but an image of this model is \[3, 32, 32\] = 3072/,
    );
  });
});

describe('run summary', () => {
  test('throughput and nearest-rank percentiles', () => {
    const s = summarise([10, 20, 30, 40, 1000], 2000);
    expect(s).toMatchObject({ count: 5, perSecond: 2.5, meanMs: 220, p50Ms: 30, p99Ms: 1000 });
    expect(formatSummary(s, 'images', 'csim, 2 workers')).toBe(
      '5 images in 2.00 s (csim, 2 workers): 2.50 images/s, latency mean 220 ms, p50 30 ms, p99 1.00 s',
    );
  });
});
