/**
 * The timing constants of a generated project (config.h): the cost model's latencies and each
 * kernel's m_axi port rate, rendered once from costConstants.ts / costModel.ts so the kernels'
 * timing statements (`UBIMOE_PIPELINE(ii, lat)`, `UBIMOE_CYCLES`, `UBIMOE_AXI_BURST`,
 * hls/include/ubimoe/timing.h) and the cost model read the same numbers. Every config struct of a
 * kernel carries `typedef <kernel>_timing_cfg TIMING` (withTiming), so the building blocks reach
 * them as `CFG::TIMING::X`.
 */
import type { Board } from '../../board/schema.js';
import { COST, LATENCY } from '../costConstants.js';
import { LINEAR_LOOP_DEPTH, portBytesPerCycle } from '../costModel.js';
import type { KernelName } from '../params.js';
import type { SharedParams } from '../types.js';
import { k, t, type CppStruct } from './struct.js';

/** m_axi rates are integers in 1/BYTE_UNITS byte (the timed C-simulation counts in integers). */
export const BYTE_UNITS = 1000;

/** Name of a kernel's timing struct. */
export const TIMING_STRUCT: Record<KernelName, string> = {
  patch_embed: 'pe_timing_cfg',
  msa_block: 'msa_timing_cfg',
  ffn_block: 'ffn_timing_cfg',
  vit_block: 'vit_timing_cfg',
};

/** What the timing constants depend on besides the cost constants. */
export interface TimingInput {
  board: Board;
  shared: SharedParams;
  kernels: KernelName[]; // the design's top kernels (design.ts designKernels)
  placement: Record<KernelName, number>; // SLR of each kernel's (first) compute unit
  weightPorts: Record<KernelName, number>; // each kernel's weight ports (design.ts designWeightPorts)
}

/** The port rate of a kernel, as the cost model computes it, in 1/BYTE_UNITS byte per cycle. */
export function portRateUnits(input: TimingInput, kernel: KernelName): number {
  const bpc = portBytesPerCycle(input.board, input.shared, { slr: input.placement[kernel] });
  return Math.max(1, Math.round(bpc * BYTE_UNITS));
}

/** timing_cfg (design-wide latencies) and one <kernel>_timing_cfg per kernel (its port rate). */
export function timingStructs(input: TimingInput): CppStruct[] {
  const shared: CppStruct = {
    name: 'timing_cfg',
    comment:
      "latencies of the kernels' loops (cycles; src/kernels/costConstants.ts, the cost model reads the same): " +
      'the arguments of the UBIMOE_PIPELINE / UBIMOE_CYCLES / UBIMOE_AXI_BURST statements (ubimoe/timing.h)',
    types: [],
    consts: [
      k('CLOCK_MHZ', input.shared.clockMhz),
      k('AXI_FIRST_BEAT_CYCLES', COST.AXI_FIRST_BEAT_CYCLES, 'm_axi: from a burst request to its first beat'),
      k('BYTE_UNITS', BYTE_UNITS, 'm_axi rates and burst sizes are counted in 1/BYTE_UNITS byte'),
      k('KERNEL_START_CYCLES', COST.KERNEL_START_CYCLES, 'per kernel call: start/done handshake, arguments'),
      k('LINEAR_LOOP_DEPTH', LINEAR_LOOP_DEPTH, "the linear engine's merged MAC + drain loop (its longer path)"),
      k('GATE_PIPELINE_DEPTH', COST.GATE_PIPELINE_DEPTH, 'the per-token softmax + top-k loop'),
      ...Object.entries(LATENCY).map(([name, value]) => k(name, value)),
    ],
  };
  const perKernel = input.kernels.map((kernel): CppStruct => ({
    name: TIMING_STRUCT[kernel],
    comment: `${kernel} on SLR ${input.placement[kernel]}: its m_axi ports sustain ${(portRateUnits(input, kernel) / BYTE_UNITS).toFixed(3)} bytes per cycle (costModel.ts portBytesPerCycle)`,
    base: 'timing_cfg',
    types: [],
    consts: [
      k('PORT_BYTE_UNITS_PER_CYCLE', portRateUnits(input, kernel)),
      k(
        'WEIGHT_BYTE_UNITS_PER_CYCLE',
        input.weightPorts[kernel] * portRateUnits(input, kernel),
        `the weight reads: ${input.weightPorts[kernel]} port(s), each on its own channel (costModel.ts weightBytesPerCycle)`,
      ),
    ],
  }));
  return [shared, ...perKernel];
}

/** Gives every struct of a kernel (but its per-layer shapes) `typedef <kernel>_timing_cfg TIMING`. */
export function withTiming(structs: CppStruct[], kernel: KernelName): CppStruct[] {
  return structs.map((s) =>
    s.name.endsWith('_layer')
      ? s
      : {
          ...s,
          types: [
            t('TIMING', TIMING_STRUCT[kernel], 'latencies and port rate (ubimoe/timing.h)'),
            ...s.types,
          ],
        },
  );
}
