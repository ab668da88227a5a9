// The generated XRT host, run for real on a stand-in for XRT (fixtures/fake_xrt: a kernel run calls
// the project's C++ top function on the buffers' device copies). This exercises everything the host
// does on a card except the card: weight regions, buffer wiring, scalar arguments, activation
// packing, two images in flight, in-order answers, compute-unit dispatch, and, because the fake
// keeps host and device copies apart and checks banks against the project's link config, every
// sync and every bank. Its outputs must equal the csim runner's bit for bit.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Accelerator, type AcceleratorOutput } from '../../src/driver/accelerator.js';
import { openProject } from '../../src/driver/project.js';
import { FrameDecoder, encodeRequest, type Frame, type ResponseFrame } from '../../src/driver/protocol.js';
import { packedWeightsFor } from '../../src/driver/weights.js';
import type { AcceleratorInput } from '../../src/driver/inputs.js';
import type { DesignFileInput } from '../../src/design/schema.js';
import { defaultDesignFile, kernelWeightPorts } from '../../src/design/design.js';
import type { KernelName } from '../../src/kernels/params.js';
import {
  buildFakeHost,
  checkSyncDiscipline,
  kernelArgs,
  linkConfigText,
  parseFakeXrtLog,
  parseLinkConfig,
  writeFakeXclbin,
  type SyncReport,
} from './fixtures/fake_xrt/fake_xrt.js';
import { makeProject, randomImages, type TestProject } from './project.js';

interface Setup {
  p: TestProject;
  host: string;
  xclbin: string;
  weights: string;
  objDir: string;
  csim: AcceleratorOutput[]; // the csim runner's answers to inputs(), task 1
  logs: number;
}

const TASK = 1;

// weight ports: one count for every kernel, or [patch_embed, msa_block, ffn_block] (kernels.<k>.weight_ports)
type Ports = number | readonly [number, number, number];

async function setUp(
  board: string,
  computeUnits: DesignFileInput['compute_units'],
  weightPorts: Ports = 1,
  patchOnEngine = false,
): Promise<Setup> {
  const fused = computeUnits?.vit_block !== undefined;
  const def = defaultDesignFile('micro', board, fused ? 'fused' : 'split');
  const own = (i: number) => (typeof weightPorts === 'number' ? {} : { weight_ports: weightPorts[i] });
  // the patches on vit_block's engine: no patch_embed kernel, one call per image for images too
  const onEngine = { vit_block: { ...def.kernels.vit_block!, patch_on_engine: true } };
  const p = makeProject(
    'micro',
    board,
    fused
      ? { ...def, compute_units: computeUnits, weight_ports: weightPorts as number, ...(patchOnEngine ? { kernels: onEngine, placement: { vit_block: def.placement?.vit_block ?? 0 } } : {}) }
      : typeof weightPorts === 'number'
      ? { compute_units: computeUnits, weight_ports: weightPorts }
      : {
          compute_units: computeUnits,
          kernels: {
            patch_embed: { ...def.kernels.patch_embed, ...own(0) },
            msa_block: { ...def.kernels.msa_block!, ...own(1) },
            ffn_block: { ...def.kernels.ffn_block!, ...own(2) },
          },
        },
  );
  const xclbin = join(p.root, 'fake.xclbin');
  writeFakeXclbin(p, xclbin);
  const objDir = join(p.root, 'obj');
  const [host, weights, csim] = await Promise.all([
    buildFakeHost(p.dir, join(p.root, 'ubimoe_host_fake_xrt'), { objDir }),
    packedWeightsFor(openProject(p.dir), p.checkpoint),
    Accelerator.open({ project: p.dir, backend: 'csim', checkpoint: p.checkpoint }).then((acc) =>
      collect(acc, inputs(p), TASK),
    ),
  ]);
  return { p, host, xclbin, weights, objDir, csim, logs: 0 };
}

/** Five images and, third, one token input. */
function inputs(p: TestProject): AcceleratorInput[] {
  const m = p.design.model;
  const per = m.in_chans * m.img_h * m.img_w;
  const imgs = randomImages(p.design, 5, 9);
  const list: AcceleratorInput[] = Array.from({ length: 5 }, (_, i) => ({
    kind: 'image',
    data: imgs.subarray(i * per, (i + 1) * per),
  }));
  const tokens = (m.img_h / m.patch_size) * (m.img_w / m.patch_size) + 1;
  list.splice(2, 0, {
    kind: 'tokens',
    data: new Float32Array(tokens * m.embed_dim).map((_, i) => Math.cos(i * 0.3)),
  });
  return list;
}

/** Kernel runs the host must start for `inputs`: patch_embed for images; msa+ffn per block, or vit_block once, for all. */
function expectedStarts(s: Setup): number {
  const depth = s.p.design.model.depth;
  const blockCalls = s.p.design.block === 'fused' ? 1 : 2 * depth;
  const patchCalls = s.p.design.kernels.patch_embed ? 1 : 0;
  return inputs(s.p).reduce((n, x) => n + (x.kind === 'image' ? patchCalls : 0) + blockCalls, 0);
}

async function collect(
  acc: Accelerator,
  list: AcceleratorInput[],
  task: number,
): Promise<AcceleratorOutput[]> {
  const outs: AcceleratorOutput[] = [];
  for await (const o of acc.stream(list, { task })) outs.push(o);
  await acc.close();
  return outs;
}

/** The fake's log of one host run, checked against the project's kernel sources and link config. */
function syncReport(s: Setup, log: string): SyncReport {
  return checkSyncDiscipline(
    parseFakeXrtLog(readFileSync(log, 'utf8')),
    kernelArgs(s.p.dir),
    parseLinkConfig(linkConfigText(s.p.dir)),
  );
}

const newLog = (s: Setup) => {
  const path = join(s.p.root, `fake_xrt.${s.logs++}.log`);
  writeFileSync(path, '');
  return path;
};

/** The host through the driver, as `ubimoe run --backend xrt` would start it, logging to `log`. */
async function viaDriver(s: Setup, log: string): Promise<AcceleratorOutput[]> {
  const acc = await Accelerator.open({
    project: s.p.dir,
    backend: 'xrt',
    checkpoint: s.p.checkpoint,
    xclbin: s.xclbin,
    runnerCommand: { command: 'env', args: [`FAKE_XRT_LOG=${log}`, s.host, '--xclbin', s.xclbin] },
  });
  expect(acc.model.tokens).toBe(17);
  return collect(acc, inputs(s.p), TASK);
}

function expectSameBits(
  a: { output: Float32Array; experts: Int32Array }[],
  b: { output: Float32Array; experts: Int32Array }[],
): void {
  expect(a).toHaveLength(b.length);
  for (let i = 0; i < a.length; i++) {
    expect(Buffer.from(a[i].output.buffer).equals(Buffer.from(b[i].output.buffer))).toBe(true);
    expect(Array.from(a[i].experts)).toEqual(Array.from(b[i].experts));
  }
}

/** The sync log of a correct host: nothing stale, every request's input synced in, every result synced out. */
function expectCleanLog(s: Setup, report: SyncReport): void {
  expect(report.violations).toEqual([]);
  const requests = inputs(s.p).length;
  const cus = Object.values(parseLinkConfig(linkConfigText(s.p.dir)).units).flat();
  // weights once per CU that ran and weight port of its kernel (one buffer each), then one input per
  // request; tokens and expert routing out per request
  const weightBuffers = Object.keys(report.starts)
    .map((cu) => kernelWeightPorts(s.p.design, cu.replace(/_\d+$/, '') as KernelName))
    .reduce((a, b) => a + b, 0);
  expect(report.inputsSynced).toBe(weightBuffers + requests);
  expect(report.outputsSynced).toBe(2 * requests);
  expect(Object.values(report.starts).reduce((a, b) => a + b, 0)).toBe(expectedStarts(s));
  for (const cu of Object.keys(report.starts)) expect(cus).toContain(cu);
}

/**
 * Runs a host binary directly on the protocol, every request already in its stdin (a file), with
 * the fake's log. The fake runs a kernel only once the host's reader thread is blocked, so from the
 * second step on two images are in flight, whatever this machine's speed.
 */
async function runHost(s: Setup, exe: string, extra: string[] = []) {
  const log = newLog(s);
  const m = s.p.design.model;
  const requests = join(s.p.root, 'requests.bin');
  const frames = inputs(s.p).map((x, id) =>
    Buffer.concat(
      encodeRequest({
        id,
        task: TASK,
        kind: x.kind,
        dims:
          x.kind === 'image' ? [m.in_chans, m.img_h, m.img_w] : [x.data.length / m.embed_dim, m.embed_dim, 1],
        data: x.data,
      }),
    ),
  );
  writeFileSync(requests, Buffer.concat(frames));
  const r = await execa(exe, ['--xclbin', s.xclbin, '--weights', s.weights, ...extra], {
    inputFile: requests,
    encoding: 'buffer',
    stripFinalNewline: false,
    reject: false,
    env: { FAKE_XRT_LOG: log },
  });
  const out = new FrameDecoder(1 << 20).push(r.stdout as Uint8Array) as Frame[];
  return {
    exitCode: r.exitCode,
    frames: out,
    responses: out.filter((f): f is ResponseFrame => f.type === 'response'),
    stderr: Buffer.from(r.stderr as Uint8Array).toString(),
    report: () => syncReport(s, log),
  };
}

// one project per board and compute-unit count, shared by the describes below
const setups = new Map<string, Promise<Setup>>();
function setUpOnce(
  board: string,
  computeUnits: NonNullable<DesignFileInput['compute_units']>,
  weightPorts: Ports = 1,
  patchOnEngine = false,
): Promise<Setup> {
  const key = `${board} ${JSON.stringify(computeUnits)} ${String(weightPorts)} ${patchOnEngine}`;
  if (!setups.has(key)) setups.set(key, setUp(board, computeUnits, weightPorts, patchOnEngine));
  return setups.get(key)!;
}
afterAll(async () => {
  for (const s of await Promise.allSettled(setups.values()))
    if (s.status === 'fulfilled') rmSync(s.value.p.root, { recursive: true, force: true });
});

describe.each([
  ['u280, one compute unit per kernel', 'u280', { msa_block: 1, ffn_block: 1 }],
  ['u280, two compute units for msa_block and ffn_block', 'u280', { msa_block: 2, ffn_block: 2 }],
  [
    'zcu102 (embedded: PS DDR via HP ports, 128-bit words), two msa_block units',
    'zcu102',
    { msa_block: 2, ffn_block: 1 },
  ],
  // weight_ports: one buffer per (region, port, CU), each in its port's bank (the fake checks every bank)
  ['zcu102, four weight ports (HP1, HP2, HP3, HP0), two msa_block units', 'zcu102', { msa_block: 2, ffn_block: 1 }, 4],
  // each kernel its own ports: the host's argument indices (the output after the kernel's own ports)
  ['u280, weight ports 1 / 2 / 4 (patch_embed / msa_block / ffn_block), two ffn_block units', 'u280', { msa_block: 1, ffn_block: 2 }, [1, 2, 4]],
  // the fused block: one vit_block call per image runs every block
  ['zcu102, the fused block (vit_block), two compute units, two weight ports', 'zcu102', { vit_block: 2 }, 2],
  // the patches on the fused engine: vit_block alone, pixels or tokens as its input per call
  ['u280, the fused block embedding the patches on its engine, two compute units', 'u280', { vit_block: 2 }, 1, true],
] as const)('generated XRT host on a stand-in XRT: %s', (_label, board, computeUnits, weightPorts: Ports = 1, patchOnEngine = false) => {
  let s: Setup;
  beforeAll(async () => {
    s = await setUpOnce(board, computeUnits, weightPorts, patchOnEngine);
  }, 900_000);

  test('through the driver: answers in order with the same bits as the csim runner; every sync and bank right', async () => {
    const log = newLog(s);
    const host = await viaDriver(s, log);
    // the log first: its violations name the buffer and the missing sync
    expectCleanLog(s, syncReport(s, log));
    expect(host.map((o) => o.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expectSameBits(host, s.csim);
    for (const o of host) expect(o.deviceNs).toBeGreaterThan(0);
  }, 900_000);

  test('all requests at once: two images in flight on every compute unit, same bits, every sync and bank right', async () => {
    const r = await runHost(s, s.host, ['--trace']);
    if (r.exitCode !== 0) throw new Error(`the host exited with ${r.exitCode}:\n${r.stderr}`);
    expect(r.frames.map((f) => f.type)).toEqual(['hello', ...Array(6).fill('response')]);
    const report = r.report();
    expectCleanLog(s, report);
    expect(r.responses.map((f) => f.id)).toEqual([0, 1, 2, 3, 4, 5]);
    expectSameBits(r.responses, s.csim);
    // every CU of the link config ran (slot n uses CU n % units)
    const cus = Object.values(parseLinkConfig(linkConfigText(s.p.dir)).units).flat();
    expect(Object.keys(report.starts).sort()).toEqual([...cus].sort());
    if (s.p.design.block === 'fused') {
      // the two images' blocks run together, one on each vit_block unit (a call runs every block)
      expect(r.stderr).toMatch(/step \d+: slot\d\(request \d\) vit_block slot\d\(request \d\) vit_block$/m);
      return;
    }
    // msa_block of one image overlaps ffn_block of the other, both ways round
    expect(r.stderr).toMatch(
      /step \d+: slot\d\(request \d\) msa_block\[\d\] slot\d\(request \d\) ffn_block\[\d\]/,
    );
    expect(r.stderr).toMatch(
      /step \d+: slot\d\(request \d\) ffn_block\[\d\] slot\d\(request \d\) msa_block\[\d\]/,
    );
  }, 900_000);
});

describe('the stand-in XRT catches host bugs (u280, one compute unit per kernel)', () => {
  // the generated device.cpp with one change each (`from` must occur exactly once)
  const mutations = {
    'no-pixel-sync': [
      'slot.pixels.write(bytes.data());\n    slot.pixels.sync(XCL_BO_SYNC_BO_TO_DEVICE);',
      'slot.pixels.write(bytes.data());',
    ],
    'no-output-sync': ['  out.sync(XCL_BO_SYNC_BO_FROM_DEVICE);\n', ''],
    'pixels-in-weight-bank': [
      'xrt::bo(device_, kPixelBytes, pe.group_id(0))',
      'xrt::bo(device_, kPixelBytes, pe.group_id(1))',
    ],
  } as const;
  let s: Setup;
  const mutants: Record<string, string> = {};
  beforeAll(async () => {
    s = await setUpOnce('u280', { msa_block: 1, ffn_block: 1 });
    const src = readFileSync(join(s.p.dir, 'host', 'device.cpp'), 'utf8');
    await Promise.all(
      Object.entries(mutations).map(async ([name, [from, to]]) => {
        if (src.split(from).length !== 2)
          throw new Error(`device.cpp: '${from}' does not occur exactly once`);
        const file = join(s.p.root, `device.${name}.cpp`);
        writeFileSync(file, src.replace(from, to));
        mutants[name] = await buildFakeHost(s.p.dir, join(s.p.root, `host.${name}`), {
          objDir: s.objDir,
          replace: { 'device.cpp': file },
        });
      }),
    );
  }, 900_000);

  test('a missing host-to-device sync of the pixels: the kernel reads stale memory', async () => {
    const r = await runHost(s, mutants['no-pixel-sync']);
    expect(r.report().violations.join('\n')).toMatch(
      /patch_embed_1 reads pixels \(bo\d+\): the host wrote it and did not sync it to the device/,
    );
    expect(r.responses).toHaveLength(6);
    expect(Buffer.from(r.responses[0].output.buffer).equals(Buffer.from(s.csim[0].output.buffer))).toBe(
      false,
    );
  });

  test('a missing device-to-host sync of the output tokens: the host reads stale memory', async () => {
    const r = await runHost(s, mutants['no-output-sync']);
    expect(r.report().violations.join('\n')).toMatch(
      /the host reads bo\d+ \[0, \+\d+\) that a kernel wrote, without a sync from the device/,
    );
    expect(r.responses).toHaveLength(6);
    expect(Buffer.from(r.responses[0].output.buffer).equals(Buffer.from(s.csim[0].output.buffer))).toBe(
      false,
    );
  });

  test('a buffer in the wrong memory bank: refused when it is set as a kernel argument (DEVICE, exit 5)', async () => {
    const r = await runHost(s, mutants['pixels-in-weight-bank']);
    expect(r.exitCode).toBe(5);
    expect(r.frames).toHaveLength(1);
    expect(r.frames[0]).toMatchObject({ type: 'error', codeName: 'DEVICE' });
    expect((r.frames[0] as Extract<Frame, { type: 'error' }>).message).toMatch(
      /set_arg\(0\): argument pixels of patch_embed_1 \(m_axi_gmem_act\) is connected to HBM\[0\] but the buffer was allocated in HBM\[1\]/,
    );
  });
});
