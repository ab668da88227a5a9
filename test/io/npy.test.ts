import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeNpy, encodeNpy, readNpy, readNpyFloat32, writeNpy } from '../../src/io/npy.js';
import { f32ToF16 } from '../../src/io/halffloat.js';

const dir = mkdtempSync(join(tmpdir(), 'ubimoe-npy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const path = (n: string) => join(dir, n);

/** A .npy file with a hand-written header (version 1.0 or 2.0) and raw data bytes. */
function npyBytes(header: string, data: Uint8Array, major = 1): Uint8Array {
  const pre = major === 1 ? 10 : 12;
  const total = Math.ceil((pre + header.length + 1) / 64) * 64;
  const h = header.padEnd(total - pre - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, h.length, true);
  else view.setUint32(8, h.length, true);
  for (let i = 0; i < h.length; i++) out[pre + i] = h.charCodeAt(i);
  out.set(data, total);
  return out;
}

describe('.npy', () => {
  test('float32 round trip, header as numpy writes it', () => {
    const data = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 0.5 - 3);
    writeNpy(path('a.npy'), [2, 3, 4], data);
    const back = readNpy(path('a.npy'));
    expect(back).toEqual({ shape: [2, 3, 4], dtype: 'float32', data });
    const bytes = readFileSync(path('a.npy'));
    expect(
      bytes
        .subarray(10, 10 + bytes.readUInt16LE(8))
        .toString('latin1')
        .trimEnd(),
    ).toBe("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }");
    expect((10 + bytes.readUInt16LE(8)) % 64).toBe(0);
    expect(bytes[10 + bytes.readUInt16LE(8) - 1]).toBe(0x0a);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('1-D and 0-D shapes', () => {
    expect(decodeNpy(encodeNpy([5], new Float32Array(5).fill(2)), 'x').shape).toEqual([5]);
    const scalar = decodeNpy(encodeNpy([], Float32Array.of(7)), 'x');
    expect(scalar.shape).toEqual([]);
    expect(Array.from(scalar.data)).toEqual([7]);
  });

  test('float16 is converted to float32; uint8 stays bytes; version 2.0 headers; big-endian float32', () => {
    const half = new Uint8Array(6);
    const hv = new DataView(half.buffer);
    [1, -2.5, 65504].forEach((v, i) => hv.setUint16(2 * i, f32ToF16(v), true));
    const f16 = decodeNpy(npyBytes("{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }", half), 'h');
    expect(f16.dtype).toBe('float16');
    expect(Array.from(f16.data)).toEqual([1, -2.5, 65504]);
    const u8 = decodeNpy(
      npyBytes(
        "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }",
        Uint8Array.of(0, 1, 254, 255),
        2,
      ),
      'u',
    );
    expect(u8).toEqual({ shape: [2, 2], dtype: 'uint8', data: Uint8Array.of(0, 1, 254, 255) });
    // int32 (the runner's expert choices), both byte orders
    const i4 = new Uint8Array(8);
    new DataView(i4.buffer).setInt32(0, -7, true);
    new DataView(i4.buffer).setInt32(4, 65536 + 3, true);
    const ints = decodeNpy(npyBytes("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", i4), 'i');
    expect(ints).toEqual({ shape: [2], dtype: 'int32', data: Int32Array.of(-7, 65539) });
    const i4be = new Uint8Array(4);
    new DataView(i4be.buffer).setInt32(0, 258, false);
    expect(
      decodeNpy(npyBytes("{'descr': '>i4', 'fortran_order': False, 'shape': (1,), }", i4be), 'j').data,
    ).toEqual(Int32Array.of(258));
    const be = new Uint8Array(4);
    new DataView(be.buffer).setFloat32(0, 1.5, false);
    expect(
      Array.from(
        decodeNpy(npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", be), 'b').data,
      ),
    ).toEqual([1.5]);
  });

  test('readNpyFloat32 checks the shape (null = any) and converts uint8', () => {
    writeFileSync(
      path('u.npy'),
      npyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 3), }", Uint8Array.of(1, 2, 3)),
    );
    expect(Array.from(readNpyFloat32(path('u.npy'), [null, 3]).data)).toEqual([1, 2, 3]);
    expect(() => readNpyFloat32(path('u.npy'), [null, 4])).toThrow(
      /u.npy: shape \(1, 3\) does not match the expected \(any, 4\)/,
    );
  });

  const good = encodeNpy([2, 2], Float32Array.of(1, 2, 3, 4));
  test.each([
    ['bad magic', () => Uint8Array.from([0x50, ...good.subarray(1)]), /not a valid .npy file: bad magic/],
    ['too short', () => good.subarray(0, 5), /bad magic/],
    [
      'version 9',
      () => {
        const b = good.slice();
        b[6] = 9;
        return b;
      },
      /unsupported format version 9.0/,
    ],
    ['truncated header', () => good.subarray(0, 40), /header length \d+ runs past the end of the file/],
    [
      'truncated data',
      () => good.subarray(0, good.length - 1),
      /needs 16 data bytes, the file has 15 \(truncated\?\)/,
    ],
    ['extra data', () => Uint8Array.from([...good, 0]), /needs 16 data bytes, the file has 17/],
    [
      'header not a dict',
      () => npyBytes('hello', new Uint8Array(0)),
      /header is not a dict with descr, fortran_order and shape/,
    ],
    [
      'fortran order',
      () => npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", new Uint8Array(4)),
      /Fortran-order arrays are not supported/,
    ],
    [
      'float64',
      () => npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8)),
      /dtype '<f8' is not supported \(float32, float16, uint8 or int32\)/,
    ],
    [
      'bad shape',
      () => npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1, -2), }", new Uint8Array(0)),
      /shape \(1, -2\) is not a tuple of non-negative integers/,
    ],
  ] as Array<[string, () => Uint8Array, RegExp]>)('%s is a UserError naming the file', (name, make, re) => {
    const file = path(`${name.replace(/ /g, '_')}.npy`);
    writeFileSync(file, make());
    expect(() => readNpy(file)).toThrow(re);
    expect(() => readNpy(file)).toThrow(file);
    try {
      readNpy(file);
    } catch (err) {
      expect((err as Error).name).toBe('UserError');
    }
  });

  test('missing file', () => {
    expect(() => readNpy(path('none.npy'))).toThrow(/none.npy: no such file/);
  });
});
