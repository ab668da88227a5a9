// Fuzzes the C++ side of the protocol: the protocol runner main (templates/runner/protocol_main.cpp.ejs
// + hls/runner/ubimoe_protocol.h) built with -fsanitize=address,undefined against a stub forward
// (fixtures/stub_forward.cpp, micro shapes). Random, truncated, bit-flipped and re-checksummed
// streams must end in an error frame and exit 3 (or a clean exit 0) — never a crash, a sanitizer
// report, a hang or a frame the TS decoder cannot read.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { spawnSync } from 'node:child_process';
import ejs from 'ejs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCsim } from '../../src/toolchain/csim.js';
import { openProject } from '../../src/driver/project.js';
import { packedWeightsFor } from '../../src/driver/weights.js';
import { makeProject, type TestProject } from './project.js';
import { requires } from '../requires.js';
import {
  FrameDecoder,
  NO_REQUEST,
  crc32,
  encodeFrame,
  encodeRequest,
  encodeShutdown,
  type Frame,
} from '../../src/driver/protocol.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const HASH = '5eed'.repeat(16);
let dir = '';
let runner = '';
let weights = '';
const gxx = requires('g++', spawnSync('g++', ['--version']).status === 0, 'apt-get install g++');
const maybe = gxx ? describe : describe.skip;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ubimoe-fuzz-'));
  writeFileSync(
    join(dir, 'forward.h'),
    ejs.render(readFileSync(join(root, 'templates/runner/forward.h.ejs'), 'utf8'), { hash: 'stub' }),
  );
  writeFileSync(
    join(dir, 'main.cpp'),
    ejs.render(readFileSync(join(root, 'templates/runner/protocol_main.cpp.ejs'), 'utf8'), {}),
  );
  runner = join(dir, 'runner');
  const r = await execa(
    'g++',
    [
      '-std=c++17',
      '-O1',
      '-g',
      '-fsanitize=address,undefined',
      '-fno-sanitize-recover=all',
      '-Wall',
      '-Werror',
      `-I${dir}`,
      `-I${join(root, 'hls/runner')}`,
      join(dir, 'main.cpp'),
      join(here, 'fixtures/stub_forward.cpp'),
      '-o',
      runner,
    ],
    { reject: false, all: true },
  );
  if (r.exitCode !== 0) throw new Error(`runner build failed:\n${r.all}`);
  weights = join(dir, 'weights.bin');
  writeFileSync(weights, Buffer.concat([Buffer.from('STUBW'), Buffer.from(HASH), Buffer.alloc(32)]));
}, 900_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Outcome {
  exitCode?: number;
  signal?: string;
  frames: Frame[];
  decodeError?: string;
  stderr: string;
}

async function feed(input: Buffer, args = ['--weights', weights], exe = runner): Promise<Outcome> {
  const r = await execa(exe, args, {
    input,
    encoding: 'buffer',
    stripFinalNewline: false, // binary output: a CRC may end in 0x0a
    reject: false,
    timeout: 20_000,
    env: { ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0', UBSAN_OPTIONS: 'print_stacktrace=1' },
  });
  const dec = new FrameDecoder(1 << 20);
  let frames: Frame[] = [];
  let decodeError: string | undefined;
  try {
    frames = dec.push(r.stdout as Uint8Array);
    dec.end();
  } catch (err) {
    decodeError = (err as Error).message;
  }
  return {
    exitCode: r.exitCode,
    signal: r.signal ?? undefined,
    frames,
    decodeError,
    stderr: Buffer.from(r.stderr as Uint8Array).toString(),
  };
}

function image(seed: number): Float32Array {
  return new Float32Array(3 * 32 * 32).map((_, i) => Math.sin(i * 0.37 + seed));
}
function request(id: number, task = 0): Buffer {
  return Buffer.concat(encodeRequest({ id, task, kind: 'image', dims: [3, 32, 32], data: image(id) }));
}
function tokensRequest(id: number): Buffer {
  return Buffer.concat(
    encodeRequest({
      id,
      task: 1,
      kind: 'tokens',
      dims: [17, 32, 1],
      data: new Float32Array(17 * 32).fill(0.25),
    }),
  );
}

/** Every run must end like this: no crash, no sanitizer report, a decodable stream. */
function expectSane(o: Outcome, input?: Buffer): void {
  const last = o.frames[o.frames.length - 1];
  const problems = [
    o.signal && `killed by ${o.signal}`,
    /AddressSanitizer|runtime error:|LeakSanitizer/.test(o.stderr) && 'sanitizer report',
    ![0, 3].includes(o.exitCode ?? -1) && `exit status ${o.exitCode}`,
    o.decodeError && `undecodable output: ${o.decodeError}`,
    o.frames[0]?.type !== 'hello' && 'no hello first',
    o.exitCode === 3 &&
      !(last?.type === 'error' && last.id === NO_REQUEST) &&
      'exit 3 without a final error frame',
  ].filter(Boolean);
  if (problems.length && input) writeFileSync(join(tmpdir(), 'ubimoe-fuzz-failure.bin'), input);
  if (problems.length)
    throw new Error(
      `${problems.join('; ')}\nframes: ${o.frames.map((f) => (f.type === 'error' ? f.codeName : f.type)).join(' ')}\n` +
        `stderr: ${o.stderr.slice(-2000)}\ninput (${input?.length} bytes): ${input?.subarray(0, 64).toString('hex')}`,
    );
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

function resign(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  let at = 0;
  while (at + 16 <= out.length) {
    const end = at + 16 + out.readUInt32LE(at + 12);
    if (end + 4 > out.length) break;
    out.writeUInt32LE(crc32(out.subarray(at, end)), end);
    at = end + 4;
  }
  return out;
}

maybe('protocol runner main under ASan/UBSan', () => {
  test('valid requests are answered in order; end of input is a clean exit', async () => {
    const o = await feed(
      Buffer.concat([request(0), tokensRequest(1), request(2, 1), Buffer.concat(encodeShutdown())]),
    );
    expectSane(o);
    expect(o.exitCode).toBe(0);
    expect(o.frames.map((f) => f.type)).toEqual(['hello', 'response', 'response', 'response']);
    const hello = o.frames[0] as Extract<Frame, { type: 'hello' }>;
    expect(hello.designHash).toBe(HASH);
    expect(hello.model).toEqual({
      channels: 3,
      height: 32,
      width: 32,
      tokens: 17,
      dim: 32,
      moeBlocks: 1,
      topK: 2,
      tasks: 2,
    });
    const r2 = o.frames[3] as Extract<Frame, { type: 'response' }>;
    expect(r2.id).toBe(2);
    expect(r2.output[5]).toBeCloseTo(image(2)[5] * 0.5 + 1, 6);
  });

  test('well-formed but wrong requests get an error frame each and the runner goes on', async () => {
    const nan = image(0);
    nan[100] = NaN;
    const frames = [
      Buffer.concat(encodeRequest({ id: 1, task: 5, kind: 'image', dims: [3, 32, 32], data: image(1) })), // BAD_TASK
      Buffer.concat(encodeRequest({ id: 2, task: 0, kind: 'image', dims: [3, 16, 64], data: image(2) })), // BAD_SHAPE
      Buffer.concat(encodeRequest({ id: 3, task: 0, kind: 'image', dims: [3, 32, 32], data: nan })), // BAD_VALUE
      request(4),
    ];
    const o = await feed(Buffer.concat(frames));
    expectSane(o);
    expect(o.exitCode).toBe(0);
    expect(o.frames.slice(1).map((f) => (f.type === 'error' ? f.codeName : f.type))).toEqual([
      'BAD_TASK',
      'BAD_SHAPE',
      'BAD_VALUE',
      'response',
    ]);
  });

  test('framing errors: error frame, exit 3', async () => {
    const cases: Array<[Buffer, string]> = [
      [Buffer.from('definitely not a frame'), 'BAD_MAGIC'],
      [request(0).subarray(0, 100), 'TRUNCATED'],
      [request(0).subarray(0, 10), 'TRUNCATED'],
      [Buffer.concat(encodeFrame(2, 0, [Buffer.alloc(64 << 20)])).subarray(0, 64), 'BAD_LENGTH'],
      [Buffer.concat(encodeFrame(9, 0, [])), 'BAD_TYPE'],
    ];
    const flipped = request(0);
    flipped[200] ^= 0x10;
    cases.push([flipped, 'BAD_CHECKSUM']);
    const v2 = request(0);
    v2[4] = 2;
    cases.push([v2, 'BAD_VERSION']);
    for (const [input, code] of cases) {
      const o = await feed(input);
      expectSane(o);
      expect(o.exitCode).toBe(3);
      expect((o.frames[o.frames.length - 1] as Extract<Frame, { type: 'error' }>).codeName).toBe(code);
    }
  });

  test('weights for another design are refused before the hello (exit 4)', async () => {
    const other = join(dir, 'other.bin');
    writeFileSync(other, Buffer.concat([Buffer.from('STUBW'), Buffer.from('0123'.repeat(16))]));
    const o = await feed(request(0), ['--weights', other]);
    expect(o.exitCode).toBe(4);
    expect(o.frames).toHaveLength(1);
    expect(o.frames[0]).toMatchObject({ type: 'error', codeName: 'WEIGHTS' });
    expect((o.frames[0] as Extract<Frame, { type: 'error' }>).message).toMatch(
      /packed weights are for design 012301230123/,
    );
    const missing = await feed(Buffer.alloc(0), ['--weights', join(dir, 'nope.bin')]);
    expect(missing.exitCode).toBe(4);
    const usage = await feed(Buffer.alloc(0), []);
    expect(usage.exitCode).toBe(2);
    expect(usage.frames[0]).toMatchObject({ type: 'error', codeName: 'USAGE' });
  });

  test('fuzz: 400 random, truncated, bit-flipped and re-checksummed streams', async () => {
    const rand = rng(20240611);
    const valid = Buffer.concat([request(0), tokensRequest(1), request(2, 1)]);
    const inputs: Buffer[] = [];
    for (let i = 0; i < 400; i++) {
      const mode = i % 4;
      if (mode === 0)
        inputs.push(
          Buffer.from(Array.from({ length: Math.floor(rand() * 300) }, () => Math.floor(rand() * 256))),
        );
      else if (mode === 1) inputs.push(valid.subarray(0, Math.floor(rand() * valid.length)));
      else {
        const b = Buffer.from(valid);
        const flips = 1 + Math.floor(rand() * 3);
        // aim most flips at the headers and request heads, where the parser makes decisions
        for (let k = 0; k < flips; k++) {
          const frameLen = valid.length / 3;
          const at =
            rand() < 0.7
              ? Math.floor(rand() * 3) * frameLen + Math.floor(rand() * 40)
              : Math.floor(rand() * b.length);
          b[Math.floor(at)] ^= 1 << Math.floor(rand() * 8);
        }
        inputs.push(mode === 3 ? resign(b) : b);
      }
    }
    const outcomes: Outcome[] = [];
    for (let i = 0; i < inputs.length; i += 2)
      outcomes.push(...(await Promise.all(inputs.slice(i, i + 2).map((b) => feed(b)))));
    outcomes.forEach((o, i) => expectSane(o, inputs[i]));
    const codes = new Set(
      outcomes.flatMap((o) =>
        o.frames
          .filter((f) => f.type === 'error')
          .map((f) => (f as Extract<Frame, { type: 'error' }>).codeName),
      ),
    );
    // the fuzzer reached the parser's decisions, not just the magic check
    for (const c of ['BAD_MAGIC', 'TRUNCATED', 'BAD_CHECKSUM']) expect(codes).toContain(c);
    expect(
      [...codes].filter((c) => !['BAD_MAGIC', 'TRUNCATED', 'BAD_CHECKSUM'].includes(c)).length,
    ).toBeGreaterThan(0);
  }, 900_000);
});

maybe('the real micro runner (generated forward + kernels) under ASan/UBSan', () => {
  let project: TestProject | undefined;
  afterAll(() => {
    if (project) rmSync(project.root, { recursive: true, force: true });
  });

  test('valid requests, then 40 damaged streams: answers or a clean protocol error, never a sanitizer report', async () => {
    project = makeProject('micro');
    const { exe } = await buildCsim(project.dir, { main: 'protocol_main', sanitize: true });
    const realWeights = await packedWeightsFor(openProject(project.dir), project.checkpoint);
    const run = (input: Buffer) => feed(input, ['--weights', realWeights], exe);
    const valid = Buffer.concat([request(0), tokensRequest(1), request(2, 1)]);
    const ok = await run(valid);
    expectSane(ok, valid);
    expect(ok.exitCode).toBe(0);
    expect(ok.frames.map((f) => f.type)).toEqual(['hello', 'response', 'response', 'response']);
    const rand = rng(777);
    for (let i = 0; i < 40; i++) {
      let b: Buffer;
      if (i % 2 === 0) b = valid.subarray(0, Math.floor(rand() * valid.length));
      else {
        b = Buffer.from(valid);
        for (let k = 0; k < 2; k++)
          b[Math.floor(rand() * 3) * (valid.length / 3) + Math.floor(rand() * 40)] ^=
            1 << Math.floor(rand() * 8);
        b = resign(b);
      }
      expectSane(await run(b), b);
    }
  }, 900_000); // a hang guard, not a speed bound: the ASan build alone takes minutes on a loaded 2-core box
});
