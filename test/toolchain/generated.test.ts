/**
 * The Vitis files inside a project as `ubimoe generate` writes it (the real generator, kernels,
 * runner and host): the link config maps exactly the m_axi bundles the C++ top functions declare,
 * the HLS scripts find every file they add (Tcl stubs check), the Makefile's csim runner passes the
 * test bench against the golden output of ubimoe's own g++ build, and the host recipe compiles.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelBundles } from '../../src/toolchain/vitis/connectivity.js';
import { buildTestbenchProgram } from '../../src/toolchain/vitis/tbprogram.js';
import { testbenchArgs, writeTestbench } from '../../src/toolchain/vitis/testbench.js';
import { generateProject } from '../../src/generate/project.js';
import { defaultDesignFile, designKernels } from '../../src/design/design.js';
import { designFor, stubsDir } from './project.js';

// compiled csim runners are cached by content hash, shared with the other csim tests
process.env.UBIMOE_CSIM_CACHE ??= join(tmpdir(), 'ubimoe-test-csim-cache');
const tmp = mkdtempSync(join(tmpdir(), 'ubimoe-vitis-generated-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// (fused-pe: the fused block embedding the patches on its engine, no patch_embed kernel)
const onEngine = (board: string) => {
  const d = defaultDesignFile('micro', board, 'fused');
  return { kernels: { vit_block: { ...d.kernels.vit_block!, patch_on_engine: true } }, placement: { vit_block: d.placement?.vit_block ?? 0 } };
};
describe.each([
  ['u280', 'split'],
  ['zcu102', 'split'],
  ['u280', 'fused'],
  ['u280', 'fused-pe'],
] as const)('a generated micro project for %s, %s block', (board, block) => {
  const design = block === 'fused-pe' ? designFor('micro', board, onEngine(board), 'fused') : designFor('micro', board, {}, block);
  const dir = join(tmp, `${board}-${block}`);
  generateProject(design, dir);
  const KERNELS = designKernels(design);

  test('holds the HLS scripts, the link config, the Makefile (and the package config on Zynq)', () => {
    const expected = ['Makefile', `link/${board}.cfg`, ...KERNELS.map((k) => `hls/${k}.tcl`)];
    if (board === 'zcu102') expected.push('package/zcu102.cfg');
    for (const f of expected) expect(existsSync(join(dir, f))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    for (const f of expected) expect(manifest.files[f]).toMatch(/^[0-9a-f]{64}$/);
  });

  test.each(KERNELS)(
    '%s: the link config maps exactly the m_axi bundles the C++ top declares',
    (kernel) => {
      const src = readFileSync(join(dir, 'kernels', `${kernel}.cpp`), 'utf8');
      expect(src).toMatch(new RegExp(`extern "C" void ${kernel}\\(`));
      const declared = new Set(
        [...src.matchAll(/#pragma HLS INTERFACE m_axi port=\w+ bundle=(\w+)/g)].map((m) => m[1]),
      );
      expect([...declared].sort()).toEqual(
        kernelBundles(kernel)
          .map((b) => b.name)
          .sort(),
      );
      const cfg = readFileSync(join(dir, 'link', `${board}.cfg`), 'utf8');
      const mapped = [...cfg.matchAll(new RegExp(`^sp=${kernel}_1\\.m_axi_(\\w+):`, 'gm'))].map((m) => m[1]);
      expect(mapped.sort()).toEqual([...declared].sort());
    },
  );

  test('the csim runner the Makefile builds (-O0) passes the test bench against the golden of the -O2 build', async () => {
    await writeTestbench(dir, design, (await buildTestbenchProgram(dir)).exe);
    const make = spawnSync('make', ['--no-print-directory', 'csim', 'CSIM_CXXFLAGS=-std=c++17 -O0'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(make.stderr.split('\n').filter((l) => /error/i.test(l))).toEqual([]);
    expect(make.status).toBe(0);
    const run = spawnSync(join(dir, 'build', 'csim', 'ubimoe_csim'), testbenchArgs(dir), {
      encoding: 'utf8',
    });
    expect(run.stderr).toMatch(/^csim: image 0: [\d.]+ ms/);
    expect(run.stderr).toContain(`csim_main: output matches ${join(dir, 'tb', 'golden.npy')} bit for bit`);
    expect(run.status).toBe(0);
    expect(existsSync(join(dir, 'tb', 'output.npy'))).toBe(true);
  });

  test('every HLS script finds the files it adds (sources, test bench, data) and runs every step', () => {
    for (const kernel of KERNELS) {
      const trace = join(tmp, `${board}-${block}-${kernel}.trace`);
      const r = spawnSync('tclsh', [join(stubsDir, 'run.tcl'), join(dir, 'hls', `${kernel}.tcl`)], {
        env: { ...process.env, UBIMOE_TCL_TRACE: trace, UBIMOE_STEPS: 'csim csynth cosim export' },
        encoding: 'utf8',
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const added = readFileSync(trace, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as string[])
        .filter((c) => c[0] === 'add_files')
        .map((c) => c.find((a) => a.startsWith('/'))!.slice(dir.length + 1));
      expect(added).toEqual([
        `kernels/${kernel}.cpp`,
        'runner/forward.cpp',
        'runner/csim_main.cpp',
        ...KERNELS.filter((k) => k !== kernel).map((k) => `kernels/${k}.cpp`),
        'tb/golden.npy',
        'tb/input.npy',
        'tb/weights.bin',
        `tb/golden-${kernel}.npy`, // the golden of ONE call of this kernel (--stop-after)
      ]);
    }
  });
});

describe('the host recipe of the Makefile', () => {
  const xrt = process.env.XILINX_XRT ? join(process.env.XILINX_XRT, 'include') : '/usr/include/xrt';
  test.each(['u280-split', 'u280-fused', 'u280-fused-pe'])('compiles the generated XRT host of %s (needs XRT headers: libxrt-dev or $XILINX_XRT)', (project) => {
    if (!existsSync(join(xrt, 'xrt', 'xrt_device.h')))
      throw new Error(
        `no XRT headers in ${xrt}: apt-get install libxrt-dev (as .ci/run does) or source /opt/xilinx/xrt/setup.sh`,
      );
    const dir = join(tmp, project);
    const make = spawnSync('make', ['--no-print-directory', 'host'], { cwd: dir, encoding: 'utf8' });
    expect(make.stderr.split('\n').filter((l) => /error/i.test(l))).toEqual([]);
    expect(make.status).toBe(0);
    expect(existsSync(join(dir, 'build', 'host', 'ubimoe_host'))).toBe(true);
  });
});
