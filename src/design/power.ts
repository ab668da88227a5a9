/**
 * Design-level power and energy per image (PREDICTED): the board's static and platform power, the
 * clock trees of every compute unit, each kernel's active power weighted by the time it computes
 * (its cycles per image from the cycle model), the interconnect while any kernel computes, and the
 * off-chip traffic (bytes per image × pJ per bit of the board's memory kind).
 *
 * Energy is counted over one image at a time (the latency figure, host call overhead included), so
 * an idle kernel costs only its clock tree and static power; board power = energy / latency.
 * Coefficients: src/kernels/powerConstants.ts, sources in docs/power.md.
 */
import { RESOURCE_KEYS, type Board, type Resources } from '../board/schema.js';
import { activePower, clockPower, fabricScale, sumPower, type PowerByKind } from '../kernels/power.js';
import { POWER } from '../kernels/powerConstants.js';

export interface PowerKernelInput {
  name: string;
  resourcesPerCu: Resources;
  computeUnits: number;
  busyCycles: number; // per image, of the compute unit on the latency path (the others idle at one image at a time)
}

export interface PowerInput {
  board: Board;
  clockMhz: number;
  latencyMs: number; // one image, host call overhead included
  gops: number;
  kernels: PowerKernelInput[];
  overhead: Resources; // platform interconnect of the kernels' ports: active while any kernel computes
  offchipBytes: number; // per image
}

export interface KernelPower {
  name: string;
  activity: number; // fraction of the image the kernel computes
  active: PowerByKind; // mean W per resource kind (active power × activity, all its CUs)
  clockW: number; // clock tree of all its CUs
  w: number; // mean W, active + clock
}

export interface PowerEstimate {
  powerW: number; // mean board power over an image (predicted)
  energyJPerImage: number;
  gopsPerW: number;
  imagesPerJ: number;
  staticW: number; // the part's static power
  platformW: number; // Alveo shell and card / Zynq PS and board
  clockW: number; // clock generators and every clock tree
  interconnectW: number; // active only (its clock tree is in clockW)
  memoryW: number; // off-chip traffic, averaged over the image
  memoryKind: string;
  memoryPjPerBit: number;
  kernels: KernelPower[];
  byKind: PowerByKind; // mean active W per resource kind, all kernels and the interconnect
}

/** The board's memory kind the traffic is charged to: the first memory listed (the kernels' main one). */
export function memoryPjPerBit(board: Board): { kind: string; pj: number } {
  const kind = board.memory[0].kind;
  return { kind, pj: POWER.MEMORY_PJ_PER_BIT[kind] ?? POWER.MEMORY_PJ_PER_BIT.ddr };
}

/** Predicted power of a design, or null when the board file has no `power` facts. */
export function designPower(input: PowerInput): PowerEstimate | null {
  const { board, clockMhz } = input;
  if (!board.power) return null;
  const scale = fabricScale(board);
  const seconds = input.latencyMs / 1e3;
  const zero = (): PowerByKind => ({ dsp: 0, bram18: 0, uram: 0, lut: 0, ff: 0 });
  const byKind = zero();
  let busySeconds = 0;
  let clockW = POWER.CLOCK_GENERATOR_W;
  const kernels: KernelPower[] = input.kernels.map((k) => {
    const busy = k.busyCycles / (clockMhz * 1e6);
    busySeconds += busy;
    const activity = seconds > 0 ? Math.min(1, busy / seconds) : 0;
    const act = activePower(k.resourcesPerCu, clockMhz, scale);
    const active = zero();
    for (const key of RESOURCE_KEYS) {
      active[key] = act[key] * activity; // only the latency-path CU computes
      byKind[key] += active[key];
    }
    const clk = sumPower(clockPower(k.resourcesPerCu, clockMhz, scale)) * k.computeUnits;
    clockW += clk;
    return { name: k.name, activity, active, clockW: clk, w: sumPower(active) + clk };
  });
  const anyBusy = seconds > 0 ? Math.min(1, busySeconds / seconds) : 0;
  const infraActive = activePower(input.overhead, clockMhz, scale);
  for (const key of RESOURCE_KEYS) byKind[key] += infraActive[key] * anyBusy;
  const infraClock = sumPower(clockPower(input.overhead, clockMhz, scale));
  clockW += infraClock;
  const interconnectW = sumPower(infraActive) * anyBusy; // its clock tree is in clockW
  const mem = memoryPjPerBit(board);
  const memoryJ = input.offchipBytes * 8 * mem.pj * 1e-12;
  const memoryW = seconds > 0 ? memoryJ / seconds : 0;
  const { static_w: staticW, platform_w: platformW } = board.power;
  const powerW = staticW + platformW + clockW + memoryW + sumPower(byKind); // byKind holds kernels' and interconnect's active W
  const energy = powerW * seconds;
  return {
    powerW,
    energyJPerImage: energy,
    gopsPerW: input.gops / powerW,
    imagesPerJ: energy > 0 ? 1 / energy : 0,
    staticW,
    platformW,
    clockW,
    interconnectW,
    memoryW,
    memoryKind: mem.kind,
    memoryPjPerBit: mem.pj,
    kernels,
    byKind,
  };
}

/** The estimate's power fields for reports/estimate.json (snake_case). */
export function powerJson(p: PowerEstimate | null): Record<string, unknown> {
  if (!p)
    return {
      power_w: null,
      energy_j_per_image: null,
      gops_per_w: null,
      images_per_j: null,
      power_note: 'the board file has no power facts (power: static_w, platform_w)',
    };
  return {
    power_w: p.powerW,
    energy_j_per_image: p.energyJPerImage,
    gops_per_w: p.gopsPerW,
    images_per_j: p.imagesPerJ,
    power: {
      note: 'predicted by the ubimoe power model (docs/power.md), one image at a time; a rough estimate',
      static_w: p.staticW,
      platform_w: p.platformW,
      clock_w: p.clockW,
      interconnect_w: p.interconnectW,
      memory_w: p.memoryW,
      memory_kind: p.memoryKind,
      memory_pj_per_bit: p.memoryPjPerBit,
      by_kind_w: p.byKind,
      kernels: p.kernels.map((k) => ({
        name: k.name,
        activity: k.activity,
        w: k.w,
        clock_w: k.clockW,
        active_w: k.active,
      })),
    },
  };
}
