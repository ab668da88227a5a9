// The generated XRT host, run for real on a stand-in for XRT (fixtures/fake_xrt: a kernel run calls
// the project's C++ top function on the buffer bytes). This exercises everything the host does on
// a card except the card: weight regions, buffer wiring, scalar arguments, activation packing,
// two images in flight and in-order answers. Its outputs must equal the csim runner's bit for bit.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Accelerator } from '../../src/driver/accelerator.js';
import { FrameDecoder, encodeRequest } from '../../src/driver/protocol.js';
import type { AcceleratorInput } from '../../src/driver/inputs.js';
import { makeProject, randomImages, type TestProject } from './project.js';

const here = dirname(fileURLToPath(import.meta.url));
let p: TestProject;
let fakeHost = '';
let xclbin = '';

beforeAll(async () => {
  p = makeProject('micro', 'u280', { compute_units: { msa_block: 1, ffn_block: 1 } });
  fakeHost = join(p.root, 'ubimoe_host_fake_xrt');
  xclbin = join(p.root, 'fake.xclbin');
  writeFileSync(xclbin, 'xclbin2\0 (stand-in)');
  const src = (d: string) =>
    readdirSync(join(p.dir, d))
      .filter((f) => f.endsWith('.cpp'))
      .map((f) => join(p.dir, d, f));
  const inc = [join(here, 'fixtures', 'fake_xrt'), 'host', 'kernels', 'include', 'csim'].map(
    (d) => `-I${d.startsWith('/') ? d : join(p.dir, d)}`,
  );
  const r = await execa(
    'g++',
    [
      '-std=c++17',
      '-O2',
      '-Wno-unknown-pragmas',
      ...inc,
      ...src('host'),
      ...src('kernels'),
      '-o',
      fakeHost,
      '-pthread',
    ],
    {
      reject: false,
      all: true,
    },
  );
  if (r.exitCode !== 0) throw new Error(`fake-XRT host build failed:\n${r.all}`);
}, 240_000);
afterAll(() => {
  if (p) rmSync(p.root, { recursive: true, force: true });
});

function inputs(): AcceleratorInput[] {
  const per = 3 * 32 * 32;
  const imgs = randomImages(p.design, 5, 9);
  const list: AcceleratorInput[] = Array.from({ length: 5 }, (_, i) => ({
    kind: 'image',
    data: imgs.subarray(i * per, (i + 1) * per),
  }));
  list.splice(2, 0, { kind: 'tokens', data: new Float32Array(17 * 32).map((_, i) => Math.cos(i * 0.3)) });
  return list;
}

async function collect(acc: Accelerator, task: number) {
  const outs = [];
  for await (const o of acc.stream(inputs(), { task })) outs.push(o);
  await acc.close();
  return outs;
}

describe('generated XRT host on a stand-in XRT', () => {
  test('answers in order with the same bits as the csim runner (images and tokens, two in flight)', async () => {
    const host = await Accelerator.open({
      project: p.dir,
      backend: 'xrt',
      checkpoint: p.checkpoint,
      xclbin,
      runnerCommand: { command: fakeHost, args: ['--xclbin', xclbin] },
    });
    expect(host.model.tokens).toBe(17);
    const viaHost = await collect(host, 1);
    const csim = await Accelerator.open({ project: p.dir, backend: 'csim', checkpoint: p.checkpoint });
    const viaCsim = await collect(csim, 1);
    expect(viaHost.map((o) => o.index)).toEqual([0, 1, 2, 3, 4, 5]);
    for (let i = 0; i < viaHost.length; i++) {
      expect(Buffer.from(viaHost[i].output.buffer).equals(Buffer.from(viaCsim[i].output.buffer))).toBe(true);
      expect(Array.from(viaHost[i].experts)).toEqual(Array.from(viaCsim[i].experts));
      expect(viaHost[i].deviceNs).toBeGreaterThan(0);
    }
  }, 240_000);

  test('--trace shows msa_block of one image overlapping ffn_block of the other', async () => {
    const weights = join(p.dir, 'build', 'weights', readdirSync(join(p.dir, 'build', 'weights'))[0]);
    const frames = inputs().map((x, id) =>
      Buffer.concat(
        encodeRequest({
          id,
          task: 0,
          kind: x.kind,
          dims: x.kind === 'image' ? [3, 32, 32] : [17, 32, 1],
          data: x.data,
        }),
      ),
    );
    const r = await execa(fakeHost, ['--xclbin', xclbin, '--weights', weights, '--trace'], {
      input: Buffer.concat(frames),
      encoding: 'buffer',
      stripFinalNewline: false,
      reject: false,
    });
    expect(r.exitCode).toBe(0);
    const types = new FrameDecoder(1 << 20).push(r.stdout as Uint8Array).map((f) => f.type);
    expect(types).toEqual(['hello', ...Array(6).fill('response')]);
    const trace = Buffer.from(r.stderr as Uint8Array).toString();
    expect(trace).toMatch(
      /step \d+: slot\d\(request \d\) msa_block\[\d\] slot\d\(request \d\) ffn_block\[\d\]/,
    );
    expect(trace).toMatch(
      /step \d+: slot\d\(request \d\) ffn_block\[\d\] slot\d\(request \d\) msa_block\[\d\]/,
    );
  }, 60_000);
});
