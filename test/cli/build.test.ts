/**
 * `ubimoe build` as a user runs it (the built CLI: `npm test` builds dist/ first). Without Vitis
 * the Vitis targets exit 2 with the setup message; with stand-ins for vitis_hls (the Tcl scripts
 * run under tclsh with stub commands), v++ and the host compiler, the whole pipeline runs: logs,
 * progress, reports/synth.json, xclbin / SD card, and a failing step exits 1 with its log tail.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/util/paths.js';
import { generateProject } from '../../src/generate/project.js';
import { designFor, stubsDir, writeProject } from '../toolchain/project.js';
import { runCli } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'ubimoe-cli-build-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const BASE_PATH = '/usr/local/bin:/usr/bin:/bin';

/** A machine without Vitis: only the system PATH, no Xilinx variables. */
function bareEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: BASE_PATH, HOME: tmp, UBIMOE_CALIBRATION_DIR: join(tmp, 'calibration'), ...extra };
}

/** A machine with (fake) Vitis, XRT, platforms and the embedded common image. */
function vitisEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const fakeBin = join(tmp, 'fake-bin');
  if (!existsSync(fakeBin)) {
    mkdirSync(fakeBin);
    symlinkSync(join(stubsDir, 'fake-vitis_hls'), join(fakeBin, 'vitis_hls'));
    symlinkSync(join(stubsDir, 'fake-v++'), join(fakeBin, 'v++'));
    symlinkSync(join(stubsDir, 'fake-host-cxx'), join(fakeBin, 'aarch64-linux-gnu-g++'));
    for (const p of ['xilinx_u280_gen3x16_xdma_1_202211_1', 'xilinx_zcu102_base_202220_1']) {
      mkdirSync(join(tmp, 'platforms', p), { recursive: true });
      writeFileSync(join(tmp, 'platforms', p, `${p}.xpfm`), '');
    }
    mkdirSync(join(tmp, 'xrt'));
    mkdirSync(join(tmp, 'common'));
    writeFileSync(join(tmp, 'common', 'rootfs.ext4'), '');
    writeFileSync(join(tmp, 'common', 'Image'), '');
  }
  return bareEnv({
    PATH: `${fakeBin}:${BASE_PATH}`,
    PLATFORM_REPO_PATHS: join(tmp, 'platforms'),
    XILINX_XRT: join(tmp, 'xrt'),
    EDGE_COMMON_SW: join(tmp, 'common'),
    UBIMOE_TCL_TRACE: join(tmp, 'tcl.trace'),
    UBIMOE_VPP_TRACE: join(tmp, 'vpp.trace'),
    UBIMOE_STUB_CSYNTH_DIR: join(packageRoot, 'test', 'fixtures', 'csynth', 'u280'),
    ...extra,
  });
}

const ubimoe = (env: NodeJS.ProcessEnv, ...args: string[]) => runCli(args, { env });

let n = 0;
const project = (model: string, board: string) =>
  writeProject(model, board, {}, join(tmp, `p${++n}-${board}`)).dir;

describe('ubimoe build without Vitis', () => {
  test('--target hw on u280 exits 2 naming every missing tool and how to set it up', () => {
    const dir = project('micro', 'u280');
    const r = ubimoe(bareEnv(), 'build', '--project', dir, '--target', 'hw');
    expect(r.code).toBe(2);
    const line = r.stderr.trim();
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(/^ubimoe: error: --target hw needs Vitis tools this machine lacks: /);
    expect(line).toMatch(
      /vitis_hls \/ vitis-run \(Vitis HLS, not on PATH\): install Vitis and run `source <Vitis install>\/settings64\.sh`/,
    );
    expect(line).toMatch(/v\+\+ \(Vitis compiler, not on PATH\)/);
    expect(line).toMatch(/platform xilinx_u280_gen3x16_xdma_1_202211_1 .*export PLATFORM_REPO_PATHS=/);
    expect(line).toMatch(
      /XILINX_XRT \(not set\): install XRT and run `source \/opt\/xilinx\/xrt\/setup\.sh`/,
    );
    expect(line).toMatch(/--target csim and --target tb need only g\+\+/);
    expect(existsSync(join(dir, 'logs'))).toBe(false);
  });

  test('--target hw on zcu102 also asks for the common image and the cross compiler', () => {
    const r = ubimoe(bareEnv(), 'build', '--project', project('micro', 'zcu102'), '--target', 'hw');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /the Vitis common image for zcu102 \(EDGE_COMMON_SW not set\): .*export EDGE_COMMON_SW=/,
    );
    expect(r.stderr).toMatch(/aarch64-linux-gnu-g\+\+ \(cross compiler for the host program, not on PATH\)/);
  });

  test('--target csynth needs only Vitis HLS', () => {
    const r = ubimoe(bareEnv(), 'build', '--project', project('micro', 'u280'), '--target', 'csynth');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/vitis_hls \/ vitis-run/);
    expect(r.stderr).not.toMatch(/v\+\+|XILINX_XRT|platform/);
  });

  test('--dry-run lists the make steps and what is missing, and runs nothing', () => {
    const dir = project('micro', 'zcu102');
    const r = ubimoe(bareEnv(), 'build', '--project', dir, '--target', 'hw', '--dry-run', '--jobs', '2');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^ {2}make xo-msa_block TARGET=hw JOBS=2 +# kernel object msa_block -> logs\/xo-msa_block\.log$/m,
    );
    expect(r.stdout).toMatch(/^ {2}make xclbin TARGET=hw JOBS=2 .*\n {2}make host .*\n {2}make package /m);
    expect(r.stdout).toMatch(/^ {2}missing: v\+\+/m);
    expect(existsSync(join(dir, 'logs'))).toBe(false);
  });

  test.each([
    [
      ['--target', 'bitstream'],
      /--target: 'bitstream' is not one of csim, tb, hls-csim, csynth, cosim, xo, hw_emu, hw/,
    ],
    [['--target', 'csynth', '--jobs', '0'], /--jobs: '0' is not a positive integer/],
    // checked for every target, also those that do not use it
    [['--target', 'csim', '--jobs', '0'], /--jobs: '0' is not a positive integer/],
    [['--target', 'csim', '--jobs', '-1'], /--jobs: '-1' is not a positive integer/],
  ])('bad flags exit 2: %s', (args, message) => {
    const r = ubimoe(bareEnv(), 'build', '--project', project('micro', 'u280'), ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  test('a directory that is not a project exits 2', () => {
    const r = ubimoe(bareEnv(), 'build', '--project', tmp, '--target', 'csynth');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no design\.yaml \(not a ubimoe project; create one with ubimoe generate\)/);
    expect(ubimoe(bareEnv(), 'build', '--project', join(tmp, 'nope'), '--target', 'hw').stderr).toMatch(
      /nope: no such directory/,
    );
  });
});

describe('ubimoe build --target csim (g++ only)', () => {
  test('builds both C-simulation runners of a generated micro project without Vitis', () => {
    const dir = join(tmp, 'generated-micro');
    generateProject(designFor('micro', 'u280'), dir);
    const r = ubimoe(bareEnv({ PATH: process.env.PATH }), 'build', '--project', dir, '--target', 'csim');
    expect(r.stderr).not.toMatch(/✗|error/);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^ {2}✓ {2}C-simulation runner \(g\+\+\) +\d/m);
    const exe = /^C-simulation runner \(g\+\+\): (\S+)$/m.exec(r.stdout)?.[1];
    expect(exe && existsSync(exe)).toBe(true);
    expect(r.stdout).toMatch(/^protocol runner for ubimoe run \(g\+\+\): \S+protocol_main$/m);
    // a second build is served from the csim build cache
    const again = ubimoe(bareEnv({ PATH: process.env.PATH }), 'build', '--project', dir, '--target', 'csim');
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/C-simulation runner \(g\+\+\) +[\d.]+ s {2}\(cached\)/);
  });

  test('--save-calibration needs a synthesis target', () => {
    const r = ubimoe(
      bareEnv(),
      'build',
      '--project',
      project('micro', 'u280'),
      '--target',
      'csim',
      '--save-calibration',
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--save-calibration needs a synthesis target/);
  });
});

describe('ubimoe build with (stand-ins for) the Vitis tools', () => {
  test('--target csynth: each kernel through its HLS script, logs, progress, reports/synth.json', () => {
    const dir = project('micro', 'u280');
    const r = ubimoe(vitisEnv(), 'build', '--project', dir, '--target', 'csynth', '--jobs', '2');
    expect(r.stderr).toMatch(/^ubimoe build --target csynth: 3 steps \(micro on u280, logs in .*\/logs\)$/m);
    expect(r.code).toBe(0);
    for (const k of ['patch_embed', 'msa_block', 'ffn_block']) {
      expect(r.stderr).toMatch(new RegExp(`^ {2}✓ {2}HLS synthesis ${k} +\\d+\\.\\d s$`, 'm'));
      expect(readFileSync(join(dir, 'logs', `csynth-${k}.log`), 'utf8')).toContain(
        `ubimoe: HLS step csynth of ${k}`,
      );
    }
    const synth = JSON.parse(readFileSync(join(dir, 'reports', 'synth.json'), 'utf8'));
    expect(synth.format).toBe('ubimoe-synth/1');
    expect(Object.keys(synth.kernels)).toEqual(['patch_embed', 'msa_block', 'ffn_block']);
    expect(synth.kernels.ffn_block.latency).toEqual({ best: 20482, average: 51230, worst: 118000 });
    expect(r.stdout).toMatch(
      /^ {2}msa_block +clock 2\.851 ns \(Fmax 350\.8 MHz\) +latency 62015\.\.62015 cycles +DSP 1120 /m,
    );
  });

  test('--save-calibration: the comparison is saved for the board and ubimoe estimate applies it', () => {
    const dir = project('micro', 'u280');
    const env = vitisEnv({ UBIMOE_CALIBRATION_DIR: join(tmp, 'cal-roundtrip') });
    const r = ubimoe(env, 'build', '--project', dir, '--target', 'csynth', '--save-calibration');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^predicted \(cost model, uncalibrated\) vs synthesised \(Vitis HLS\), per call of each kernel:\nkernel +metric +predicted +synthesised +synth\/pred$/m,
    );
    expect(r.stdout).toMatch(/^msa_block +dsp +[\d,]+ +1,120 +\d+\.\d\d$/m);
    expect(r.stdout).toContain(
      `calibration for u280 saved to ${join(tmp, 'cal-roundtrip', 'u280.json')}: it now rests on 1 design`,
    );

    const est = (...args: string[]) => ubimoe(env, 'estimate', '--project', dir, '--json', ...args);
    const calibrated = JSON.parse(est().stdout);
    const raw = JSON.parse(est('--no-calibration').stdout);
    expect(calibrated.calibration.designs).toBe(1);
    expect(raw.calibration).toBe('none');
    // calibrated on this very design, the estimate reproduces what HLS reported for one CU
    const cu = (
      e: { kernels: Array<{ name: string; resources_per_cu: Record<string, number> }> },
      k: string,
    ) => e.kernels.find((x) => x.name === k)!.resources_per_cu;
    expect(cu(calibrated, 'msa_block').dsp).toBeCloseTo(1120, 6);
    expect(cu(calibrated, 'ffn_block').lut).toBeCloseTo(118403, 6);
    expect(cu(raw, 'msa_block').dsp).not.toBeCloseTo(1120, 0);
    expect(ubimoe(env, 'estimate', '--project', dir).stdout).toMatch(
      /^calibrated for u280 by synthesis results of 1 design \(.*u280\.json; --no-calibration to ignore\)$/m,
    );
  });

  test('a failing step exits 1 with the step, its log and the log tail; later steps do not run', () => {
    const dir = project('micro', 'u280');
    const r = ubimoe(
      vitisEnv({ UBIMOE_STUB_FAIL_TOP: 'msa_block' }),
      'build',
      '--project',
      dir,
      '--target',
      'csynth',
      '--jobs',
      '1',
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `ubimoe: build step 'HLS synthesis msa_block' failed; log: ${join(dir, 'logs', 'csynth-msa_block.log')}`,
    );
    expect(r.stderr).toMatch(
      /--- last lines ---\n(.*\n)*.*Compilation errors found \(injected by the stub for msa_block\)/,
    );
    expect(r.stderr).toMatch(/✗ {2}HLS synthesis msa_block +\d+\.\d s {2}\(exit 2\)/);
    expect(existsSync(join(dir, 'logs', 'csynth-ffn_block.log'))).toBe(false);
    expect(existsSync(join(dir, 'reports', 'synth.json'))).toBe(false);
  });

  test('--target hw on u280: kernel objects, v++ link with the board config, the host', () => {
    const dir = project('micro', 'u280');
    rmSync(join(tmp, 'vpp.trace'), { force: true });
    const r = ubimoe(
      vitisEnv({ HOST_CXX: join(stubsDir, 'fake-host-cxx') }),
      'build',
      '--project',
      dir,
      '--target',
      'hw',
    );
    expect(r.stderr).not.toMatch(/✗/);
    expect(r.code).toBe(0);
    for (const k of ['patch_embed', 'msa_block', 'ffn_block'])
      expect(existsSync(join(dir, 'build', 'xo', `${k}.xo`))).toBe(true);
    expect(existsSync(join(dir, 'build', 'hw', 'ubimoe.xclbin'))).toBe(true);
    expect(existsSync(join(dir, 'build', 'host', 'ubimoe_host'))).toBe(true);
    const vpp = readFileSync(join(tmp, 'vpp.trace'), 'utf8').trim().split('\n');
    expect(vpp).toEqual([
      'link hw xilinx_u280_gen3x16_xdma_1_202211_1 build/hw/ubimoe.xclbin build/xo/patch_embed.xo build/xo/msa_block.xo build/xo/ffn_block.xo',
    ]);
    expect(r.stdout).toContain(`xclbin: ${join(dir, 'build', 'hw', 'ubimoe.xclbin')}`);
    expect(readFileSync(join(dir, 'logs', 'link-hw.log'), 'utf8')).toContain('--config link/u280.cfg');
  });

  // --target cosim and hls-csim (the test bench with its golden output first): test/cli/testbench.test.ts

  test('--target hw on zcu102: v++ -c, -l, -p into an SD card', () => {
    const dir = project('micro', 'zcu102');
    rmSync(join(tmp, 'vpp.trace'), { force: true });
    const r = ubimoe(vitisEnv(), 'build', '--project', dir, '--target', 'hw');
    expect(r.stderr).not.toMatch(/✗|error/);
    expect(r.code).toBe(0);
    const vpp = readFileSync(join(tmp, 'vpp.trace'), 'utf8').trim().split('\n');
    const plat = 'xilinx_zcu102_base_202220_1';
    // the three v++ -c run concurrently (one batch), so their order in the trace is free;
    // link and package come after all of them, in this order
    expect(vpp.slice(0, 3).sort()).toEqual(
      [
        `compile hw ${plat} build/hw/xo/patch_embed.xo kernels/patch_embed.cpp`,
        `compile hw ${plat} build/hw/xo/msa_block.xo kernels/msa_block.cpp`,
        `compile hw ${plat} build/hw/xo/ffn_block.xo kernels/ffn_block.cpp`,
      ].sort(),
    );
    expect(vpp.slice(3)).toEqual([
      `link hw ${plat} build/hw/ubimoe_link.xclbin build/hw/xo/patch_embed.xo build/hw/xo/msa_block.xo build/hw/xo/ffn_block.xo`,
      `package hw ${plat} build/hw/ubimoe.xclbin build/hw/ubimoe_link.xclbin`,
    ]);
    expect(r.stdout).toContain(`SD card: ${join(dir, 'build', 'hw', 'package')}`);
    // v++ -c ran HLS itself: no csynth.xml of ours, so no synthesis report and no error either
    expect(r.stdout).not.toContain('synthesis results');
  });
});
