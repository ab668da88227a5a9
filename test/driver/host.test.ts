// The XRT host program: generated for micro designs, compiled and linked against XRT (Debian's
// libxrt-dev here; .ci/run installs it), then started on a machine without an FPGA: it must say
// "no FPGA device / xclbin not loadable" (error frame DEVICE, exit 5), and the driver turns that
// into one user-facing line.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Accelerator } from '../../src/driver/accelerator.js';
import { buildHost, xrtFlags } from '../../src/driver/hostbuild.js';
import { openProject } from '../../src/driver/project.js';
import { FrameDecoder, type Frame } from '../../src/driver/protocol.js';
import { packedWeightsFor } from '../../src/driver/weights.js';
import { UserError } from '../../src/util/errors.js';
import { makeProject, type TestProject } from './project.js';

// Without the XRT headers these tests are skipped, except under CI, where the host build then fails them.
const runXrtTests = xrtFlags() !== null || process.env.CI === 'true';
if (!runXrtTests)
  process.stderr.write(
    'NOTICE: XRT host tests SKIPPED: libxrt-dev / uuid-dev not installed (apt-get install libxrt-dev uuid-dev; .ci/run installs them)\n',
  );
const maybe = runXrtTests ? describe : describe.skip;

const projects: TestProject[] = [];
afterAll(() => {
  for (const t of projects) rmSync(t.root, { recursive: true, force: true });
});

maybe('XRT host (libxrt-dev)', () => {
  // one build covers the most: an embedded board (DDR via HP ports) with two compute units per block
  // kernel (CU names msa_block_1/_2 ...); the HBM board differs only in data the host reads at run time
  let board: TestProject;
  let host = '';
  let weights = '';
  let junk = '';
  beforeAll(async () => {
    board = makeProject('micro', 'zcu102', { compute_units: { msa_block: 2, ffn_block: 2 } });
    projects.push(board);
    host = await buildHost(board.dir);
    weights = await packedWeightsFor(openProject(board.dir), board.checkpoint);
    junk = join(board.root, 'junk.xclbin');
    writeFileSync(junk, 'this is not an xclbin');
  }, 900_000);

  test('compiles and links (zcu102, two compute units per block kernel); a second build is cached', async () => {
    expect(host).toMatch(/build\/host\/ubimoe_host$/);
    // cached: the executable is not written again (its mtime and inode stay), whatever the speed
    const before = statSync(host);
    await expect(buildHost(board.dir)).resolves.toBe(host);
    const after = statSync(host);
    expect([after.mtimeMs, after.ino]).toEqual([before.mtimeMs, before.ino]);
  });

  test('without a device: error frame DEVICE "no FPGA device / xclbin not loadable", exit 5', async () => {
    const r = await execa(host, ['--xclbin', junk, '--weights', weights], {
      input: Buffer.alloc(0),
      encoding: 'buffer',
      stripFinalNewline: false,
      reject: false,
      timeout: 30_000,
    });
    expect(r.exitCode).toBe(5);
    const frames = new FrameDecoder(1 << 16).push(r.stdout as Uint8Array) as Frame[];
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ type: 'error', codeName: 'DEVICE' });
    expect((frames[0] as Extract<Frame, { type: 'error' }>).message).toMatch(
      /^no FPGA device \/ xclbin not loadable: /,
    );
    expect(Buffer.from(r.stderr as Uint8Array).toString()).toMatch(/no FPGA device \/ xclbin not loadable/);
  }, 900_000);

  test('weights for another design are refused before the device is touched (exit 4)', async () => {
    const bad = join(board.root, 'bad-weights.bin');
    writeFileSync(bad, 'UBIMOEW\0 but nothing else');
    const r = await execa(host, ['--xclbin', junk, '--weights', bad], {
      encoding: 'buffer',
      stripFinalNewline: false,
      reject: false,
    });
    expect(r.exitCode).toBe(4);
    const [f] = new FrameDecoder(1 << 16).push(r.stdout as Uint8Array) as Frame[];
    expect(f).toMatchObject({ type: 'error', codeName: 'WEIGHTS' });
  }, 900_000);

  test('the driver reports the missing device as one user-facing line', async () => {
    const err = await Accelerator.open({
      project: board.dir,
      backend: 'xrt',
      checkpoint: board.checkpoint,
      xclbin: junk,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(
      /^xrt runner #1 could not start: no FPGA device \/ xclbin not loadable: /,
    );
    expect((err as Error).message.split('\n')).toHaveLength(1);
  }, 900_000);
});
