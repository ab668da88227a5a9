import { designKernels, type Design } from '../../design/design.js';
import type { VitisTarget } from './tools.js';

/** One step of a Vitis build: a target of the project's Makefile, logged to logs/<id>.log. */
export interface BuildStep {
  id: string;
  title: string;
  makeTarget: string;
  /** steps sharing a group and standing next to each other may run at once (up to --jobs) */
  group?: string;
}

export interface BuildPlan {
  steps: BuildStep[];
  /** the steps run the HLS test bench (csim_design, cosim_design): tb/ must exist first */
  testbench?: boolean;
  /** make variables for every step: TARGET (sw_emu/hw_emu/hw) and JOBS (Vivado jobs of v++ -l) */
  makeVars: Record<string, string>;
}

function perKernel(design: Design, prefix: string, title: string, group = 'kernels'): BuildStep[] {
  return designKernels(design).map((k) => ({
    id: `${prefix}-${k}`,
    title: `${title} ${k}`,
    makeTarget: `${prefix}-${k}`,
    group,
  }));
}

/**
 * The steps of `ubimoe build --target <t>` for a Vitis target, in order:
 * hls-csim/csynth/cosim/xo run Vitis HLS (or, for embedded .xo files, v++ -c) once per kernel;
 * hw_emu/hw then link with v++ -l, build the XRT host and, on Zynq/Versal boards, package the SD
 * card. hls-csim and cosim run the test bench, so tb/ comes first (`testbench`).
 */
export function planBuild(design: Design, target: VitisTarget, jobs: number): BuildPlan {
  const embedded = design.board.flow === 'vitis-embedded';
  const linkTarget = target === 'hw_emu' || target === 'hw' ? target : 'hw';
  const steps: BuildStep[] = [];
  if (target === 'hls-csim') steps.push(...perKernel(design, 'hls-csim', 'HLS C-simulation'));
  if (target === 'csynth') steps.push(...perKernel(design, 'csynth', 'HLS synthesis'));
  if (target === 'cosim') steps.push(...perKernel(design, 'cosim', 'HLS synthesis + C/RTL co-simulation'));
  if (target === 'xo' || target === 'hw_emu' || target === 'hw')
    steps.push(...perKernel(design, 'xo', 'kernel object'));
  if (target === 'hw_emu' || target === 'hw') {
    steps.push({ id: `link-${target}`, title: `v++ link (${target})`, makeTarget: 'xclbin' });
    steps.push({ id: 'host', title: 'XRT host program', makeTarget: 'host' });
    if (embedded)
      steps.push({
        id: `package-${target}`,
        title: `v++ package SD card (${target})`,
        makeTarget: 'package',
      });
  }
  const testbench = target === 'hls-csim' || target === 'cosim';
  return { steps, testbench, makeVars: { TARGET: linkTarget, JOBS: String(jobs) } };
}
