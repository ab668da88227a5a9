/**
 * PNG frames (issue 15 item 9): a frame of another aspect ratio than the model's is resized with
 * one note per distinct frame size; a corrupt or truncated PNG is one line naming the file and
 * what is wrong (never pngjs's raw "read requests waitng on finished stream"), exit 2 from
 * `ubimoe run`.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { loadInputFiles } from '../../src/driver/inputs.js';
import { decodePng } from '../../src/driver/png.js';
import { loadModel } from '../../src/model/config.js';
import { UserError } from '../../src/util/errors.js';
import { packageRoot } from '../../src/util/paths.js';
import { makeProject, type TestProject } from './project.js';

const bin = join(packageRoot, 'bin', 'ubimoe.js');
const micro = loadModel('micro'); // 3×32×32 images
const shape = { channels: 3, height: 32, width: 32, tokens: 17, dim: 32, moeBlocks: 1, topK: 2, tasks: 2 };
let p: TestProject;

beforeAll(() => {
  p = makeProject('micro');
}, 900_000);
afterAll(() => rmSync(p.root, { recursive: true, force: true }));

function pngBytes(width: number, height: number): Buffer {
  const img = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) img.data.set([(i * 7) % 256, (i * 3) % 256, 200, 255], 4 * i);
  return PNG.sync.write(img);
}

function file(name: string, bytes: Uint8Array | string): string {
  const path = join(p.root, name);
  writeFileSync(path, bytes);
  return path;
}

/** A chunk with a correct CRC (so only its content is wrong). */
function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

function ihdr(width: number, height: number, depth = 8, colour = 6): Buffer {
  const d = Buffer.alloc(13);
  d.writeUInt32BE(width, 0);
  d.writeUInt32BE(height, 4);
  d[8] = depth;
  d[9] = colour;
  return chunk('IHDR', d);
}

const SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('a frame of another aspect ratio', () => {
  test('is resized with one note per distinct frame size, naming both sizes', () => {
    const wide = file('wide.png', pngBytes(48, 24));
    const wide2 = file('wide2.png', pngBytes(48, 24));
    const tall = file('tall.png', pngBytes(20, 50));
    const square = file('square.png', pngBytes(64, 64)); // same aspect ratio: resized, nothing to say
    const notes: string[] = [];
    const inputs = loadInputFiles([wide, square, tall, wide2], micro, shape, { note: (l) => notes.push(l) });
    expect(inputs.map((i) => i.data.length)).toEqual([3072, 3072, 3072, 3072]);
    expect(notes).toEqual([
      `note: ${wide} (and 1 more frame of that size) is 48×24 (2:1), the model takes 32×32 (1:1): resized to 32×32 by bilinear interpolation, aspect ratio not kept`,
      `note: ${tall} is 20×50 (2:5), the model takes 32×32 (1:1): resized to 32×32 by bilinear interpolation, aspect ratio not kept`,
    ]);
  });

  test('frames of the model size or its aspect ratio give no note', () => {
    const notes: string[] = [];
    loadInputFiles([file('same.png', pngBytes(32, 32)), file('big.png', pngBytes(96, 96))], micro, shape, {
      note: (l) => notes.push(l),
    });
    expect(notes).toEqual([]);
  });
});

describe('a corrupt PNG is one clear line', () => {
  const good = () => pngBytes(20, 10);
  const cases: Array<[string, () => Uint8Array, RegExp]> = [
    ['empty', () => new Uint8Array(0), /empty file/],
    ['text', () => Buffer.from('not a png at all'), /no PNG signature: not a PNG file/],
    ['signature only', () => good().subarray(0, 8), /truncated: 8 bytes, no IEND chunk/],
    [
      'cut in a header',
      () => good().subarray(0, 12),
      /truncated: 12 bytes, cut inside a chunk header at byte 8/,
    ],
    ['cut in IDAT', () => good().subarray(0, 60), /truncated: 60 bytes, the IDAT chunk at byte 33 needs \d+/],
    ['cut before IEND', () => good().subarray(0, good().length - 12), /truncated: \d+ bytes, no IEND chunk/],
    [
      'a flipped bit',
      () => {
        const b = Buffer.from(good());
        b[50] ^= 0x10;
        return b;
      },
      /corrupted: the IDAT chunk at byte 33 fails its CRC check/,
    ],
    [
      'bad compressed data with a valid CRC',
      () =>
        Buffer.concat([
          SIG,
          ihdr(4, 4),
          chunk('IDAT', Buffer.from('garbage, not zlib')),
          chunk('IEND', Buffer.alloc(0)),
        ]),
      /its compressed image data is corrupt or too short/,
    ],
    [
      'too little image data',
      () =>
        Buffer.concat([
          SIG,
          ihdr(64, 64),
          chunk('IDAT', deflateSync(Buffer.alloc(10))),
          chunk('IEND', Buffer.alloc(0)),
        ]),
      /its compressed image data is corrupt or too short/,
    ],
    [
      'a bit depth PNG does not allow',
      () => Buffer.concat([SIG, ihdr(4, 4, 3, 2), chunk('IEND', Buffer.alloc(0))]),
      /bit depth 3 is not allowed for colour type 2/,
    ],
    [
      'a 0×4 image',
      () => Buffer.concat([SIG, ihdr(0, 4), chunk('IEND', Buffer.alloc(0))]),
      /the image is 0×4 pixels/,
    ],
    [
      'no IHDR first',
      () => Buffer.concat([SIG, chunk('IDAT', Buffer.alloc(3)), chunk('IEND', Buffer.alloc(0))]),
      /the first chunk is IDAT, not IHDR/,
    ],
  ];
  test.each(cases)('%s', (_, bytes, reason) => {
    let err: unknown;
    try {
      decodePng(bytes(), 'x.png');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    const m = (err as Error).message;
    expect(m).toMatch(/^x\.png: not a readable PNG \(.+\)$/);
    expect(m).toMatch(reason);
    expect(m).not.toMatch(/waitng|unrecognised content|\n/);
  });

  test('the good PNG these are cut from decodes', () => {
    expect(decodePng(good(), 'x.png')).toMatchObject({ width: 20, height: 10 });
  });
});

describe('ubimoe run with PNG frames', () => {
  function run(...args: string[]) {
    const r = spawnSync(
      process.execPath,
      [bin, 'run', '--project', p.dir, '--checkpoint', p.checkpoint, ...args],
      { encoding: 'utf8', timeout: 900_000 },
    );
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  test('a truncated PNG: exit 2, one line naming the file and why, no output', () => {
    const cut = file('cut.png', pngBytes(48, 24).subarray(0, 200));
    const out = join(p.root, 'never.npy');
    const r = run('--input', cut, '-o', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(
        `^ubimoe: error: ${cut.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a readable PNG \\(truncated: 200 bytes, the IDAT chunk at byte 33 needs \\d+\\)\\n$`,
      ),
    );
    expect(existsSync(out)).toBe(false);
  });

  test('non-square frames: the run succeeds and stderr carries one note per frame size', () => {
    const a = file('run-wide-a.png', pngBytes(48, 24));
    const b = file('run-wide-b.png', pngBytes(48, 24));
    const out = join(p.root, 'frames.npy');
    const r = run('--input', a, b, '-o', out);
    expect(r.code).toBe(0);
    const notes = r.stderr.split('\n').filter((l) => l.startsWith('note:'));
    expect(notes).toEqual([
      `note: ${a} (and 1 more frame of that size) is 48×24 (2:1), the model takes 32×32 (1:1): resized to 32×32 by bilinear interpolation, aspect ratio not kept`,
    ]);
    expect(r.stdout).toMatch(/^2 images in /);
  }, 900_000);
});
