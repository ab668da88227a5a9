import type { Board } from '../../board/schema.js';
import type { KernelName } from '../../kernels/params.js';

/**
 * Where the Vitis flow reads and writes inside a generated project (paths relative to the project
 * root). The TCL scripts, the Makefile and `ubimoe build` all take their paths from here, so the
 * three agree by construction.
 */
export const LAYOUT = {
  kernelSource: (k: KernelName) => `kernels/${k}.cpp`,
  includeDirs: ['kernels', 'include'] as const, // -I order: config.h first, then the building blocks
  csimIncludeDir: 'csim', // our ap_*/hls_stream headers, only when Vitis' own are absent
  runnerDir: 'runner',
  // the file-based csim runner (src/generate/producers.ts runnerSources): the HLS test bench and
  // `make csim`; runner/protocol_main.cpp (the driver's runner) has its own main and is not part of it
  testbenchSources: ['runner/forward.cpp', 'runner/csim_main.cpp'] as const,
  tbDataDir: 'tb', // test-bench data and its arguments (tb/argv.txt): `ubimoe build --target tb`
  tbArgv: 'tb/argv.txt',
  // what the HLS scripts add with add_files -tb (the test bench's inputs and its golden output)
  tbDataFiles: ['golden.npy', 'input.npy', 'weights.bin'] as const,
  hostDir: 'host',
  hlsScript: (k: KernelName) => `hls/${k}.tcl`,
  hlsProjectDir: 'build/hls', // one Vitis HLS project per kernel below it
  hlsSolution: 'sol',
  csynthXml: (k: KernelName) => `build/hls/${k}/sol/syn/report/csynth.xml`,
  xo: (k: KernelName) => `build/xo/${k}.xo`,
  linkConfig: (b: Board) => `link/${b.name}.cfg`,
  packageConfig: (b: Board) => `package/${b.name}.cfg`,
  targetDir: (t: string) => `build/${t}`,
  xclbinName: 'ubimoe.xclbin',
  hostExe: 'build/host/ubimoe_host',
  logsDir: 'logs',
  reportsDir: 'reports',
  synthReport: 'reports/synth.json',
} as const;

export const HLS_STEPS = ['csim', 'csynth', 'cosim', 'export'] as const;
export type HlsStep = (typeof HLS_STEPS)[number];



/** Versal devices (xcvc/xcvm/xcve/xcvp/xcvh parts) link to an .xsa that `v++ -p` turns into the xclbin. */
export function isVersal(board: Board): boolean {
  return /^xcv[cmeph]\d/i.test(board.part);
}
