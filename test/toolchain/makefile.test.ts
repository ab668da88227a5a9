/** The generated Makefile, dry-run with `make -n`: the commands each target would run. */
import { afterAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeProject } from './project.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function project(model: string, board: string) {
  const p = writeProject(model, board);
  dirs.push(p.dir);
  return p.dir;
}

/** `make -n` in the project with a PATH that holds no Vitis tool (so the HLS command is vitis-run). */
function dryRun(dir: string, ...args: string[]) {
  const env = { PATH: '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' };
  const r = spawnSync('make', ['-n', '--no-print-directory', ...args], { cwd: dir, env, encoding: 'utf8' });
  return { code: r.status, out: r.stdout.replace(/\\\n\s*/g, ''), err: r.stderr };
}

describe('Makefile of a u280 project', () => {
  const dir = project('micro', 'u280');

  test('csynth runs the kernel HLS scripts with the step in UBIMOE_STEPS', () => {
    const r = dryRun(dir, 'csynth');
    expect(r.code).toBe(0);
    for (const k of ['patch_embed', 'msa_block', 'ffn_block'])
      expect(r.out).toContain(
        `mkdir -p build/hls && cd build/hls && UBIMOE_STEPS="csynth" vitis-run --mode hls --tcl ../../hls/${k}.tcl`,
      );
    expect(dryRun(dir, 'cosim-msa_block').out).toContain('UBIMOE_STEPS="csynth cosim"');
    expect(dryRun(dir, 'hls-csim-ffn_block').out).toContain(
      'UBIMOE_STEPS="csim" vitis-run --mode hls --tcl ../../hls/ffn_block.tcl',
    );
  });

  test('hls-csim and cosim need the test bench data in tb/ (written by ubimoe build --target tb)', () => {
    const bare = project('micro', 'u280');
    const env = { PATH: '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' };
    for (const target of ['hls-csim-msa_block', 'cosim', 'hls-csim']) {
      const r = spawnSync('make', ['--no-print-directory', target], { cwd: bare, env, encoding: 'utf8' });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(
        'tb/argv.txt is missing: hls-csim and cosim need the test bench data (weights, input, golden output); write it with: ubimoe build --project . --target tb',
      );
    }
    mkdirSync(join(bare, 'tb'));
    writeFileSync(join(bare, 'tb', 'argv.txt'), '--golden @TB@/golden.npy\n');
    const r = dryRun(bare, 'hls-csim-msa_block');
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('is missing');
    expect(r.out).toContain('UBIMOE_STEPS="csim" vitis-run --mode hls --tcl ../../hls/msa_block.tcl');
  });

  test('xclbin exports the kernels from Vitis HLS and links them with the link config', () => {
    const r = dryRun(dir, 'xclbin', 'TARGET=hw', 'JOBS=3');
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      'UBIMOE_STEPS="csynth export" vitis-run --mode hls --tcl ../../hls/msa_block.tcl',
    );
    expect(r.out).toMatch(
      /v\+\+ -l -t hw --platform xilinx_u280_gen3x16_xdma_1_202211_1 --save-temps --config link\/u280\.cfg .*--vivado\.synth\.jobs 3 --vivado\.impl\.jobs 3 -o build\/hw\/ubimoe\.xclbin build\/xo\/patch_embed\.xo build\/xo\/msa_block\.xo build\/xo\/ffn_block\.xo/,
    );
  });

  test('sw_emu compiles the kernels with v++ -c instead', () => {
    const r = dryRun(dir, 'xo', 'TARGET=sw_emu');
    expect(r.out).toMatch(
      /v\+\+ -c -t sw_emu --platform \S+ --save-temps -k msa_block -Ikernels -Iinclude --hls\.clock 300000000:msa_block .*-o build\/sw_emu\/xo\/msa_block\.xo kernels\/msa_block\.cpp/,
    );
  });

  test('host builds host/*.cpp against XRT; package says Alveo needs none; a bad TARGET stops', () => {
    expect(dryRun(dir, 'host').out).toMatch(
      /g\+\+ -std=c\+\+17 -O2 -Wall -Wno-unknown-pragmas -Ihost -Ikernels -Iinclude -Icsim .*-o build\/host\/ubimoe_host host\/host\.cpp -lxrt_coreutil -luuid -pthread/,
    );
    expect(dryRun(dir, 'package').out).toMatch(/only Zynq\/Versal \(embedded\) boards are packaged/);
    const bad = dryRun(dir, 'xo', 'TARGET=fpga');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/TARGET must be sw_emu, hw_emu or hw \(got 'fpga'\)/);
  });

  test('csim compiles kernels and runner with g++ and the csim/ types when Vitis is absent', () => {
    expect(dryRun(dir, 'csim').out).toMatch(
      /g\+\+ -std=c\+\+17 -O2 -Ikernels -Iinclude -Irunner -Icsim -Wno-unknown-pragmas -o build\/csim\/ubimoe_csim kernels\/patch_embed\.cpp kernels\/msa_block\.cpp kernels\/ffn_block\.cpp runner\/forward\.cpp runner\/csim_main\.cpp$/m,
    );
  });

  test('help lists the targets', () => {
    const r = spawnSync('make', ['--no-print-directory', 'help'], { cwd: dir, encoding: 'utf8' });
    expect(r.stdout).toMatch(/make csynth +Vitis HLS synthesis of each kernel/);
  });
});

describe('Makefile of a zcu102 project (embedded platform flow)', () => {
  const dir = project('micro', 'zcu102');

  test('v++ -c, v++ -l to an xclbin for v++ -p, then the SD card from the common image', () => {
    const r = dryRun(dir, 'package', 'TARGET=hw', 'EDGE_COMMON_SW=/opt/common');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /v\+\+ -c -t hw --platform xilinx_zcu102_base_202220_1 --save-temps -k patch_embed .* -o build\/hw\/xo\/patch_embed\.xo kernels\/patch_embed\.cpp/,
    );
    expect(r.out).toMatch(
      /v\+\+ -l -t hw --platform xilinx_zcu102_base_202220_1 --save-temps --config link\/zcu102\.cfg .* -o build\/hw\/ubimoe_link\.xclbin build\/hw\/xo\/patch_embed\.xo/,
    );
    expect(r.out).toMatch(/aarch64-linux-gnu-g\+\+ -std=c\+\+17 .*--sysroot=/);
    expect(r.out).toMatch(
      /v\+\+ -p -t hw --platform xilinx_zcu102_base_202220_1 --save-temps --config package\/zcu102\.cfg .*--package\.out_dir build\/hw\/package --package\.rootfs \/opt\/common\/rootfs\.ext4 --package\.kernel_image \/opt\/common\/Image -o build\/hw\/ubimoe\.xclbin build\/hw\/ubimoe_link\.xclbin/,
    );
  });

  test('Versal links to an .xsa', () => {
    const vck = project('micro', 'vck190');
    expect(dryRun(vck, 'xclbin').out).toMatch(/-o build\/hw\/ubimoe_link\.xsa/);
  });
});
