/**
 * Whole-design estimate: composes the kernels' cycle and resource models (src/kernels/*.ts) into
 * per-block and total latency, throughput, GOPS and utilisation per SLR. Every figure here is a
 * prediction of the cost model (docs/cost-model.md), never a measurement.
 *
 * Two layers, so the search can cache per-kernel figures and recombine them cheaply:
 * `kernelFigures` (calls the kernel models) and `combine` (pure arithmetic over the figures).
 */
import { channelSlrs, slrCount, slrResources } from '../board/resources.js';
import { RESOURCE_KEYS, type Board, type Limits, type Resources } from '../board/schema.js';
import { COST } from '../kernels/costConstants.js';
import { addInto, zeroResources } from '../kernels/costModel.js';
import * as ffn from '../kernels/ffn_block.js';
import * as msa from '../kernels/msa_block.js';
import * as patch from '../kernels/patch_embed.js';
import { kernelPortCount, type FfnParams, type KernelName, type MsaParams, type PatchEmbedParams } from '../kernels/params.js';
import type { CycleEstimate, SharedParams } from '../kernels/types.js';
import type { ModelDims } from '../model/config.js';
import { UserError } from '../util/errors.js';
import { physicalBounds, type PhysicalBounds } from './bounds.js';
import type { Design } from './design.js';
import { designPower, powerJson, type PowerEstimate } from './power.js';

export type Placement = { patch_embed: number; msa_block: number; ffn_block: number };
export type ComputeUnits = { msa_block: number; ffn_block: number };
export type KernelParams = { patch_embed: PatchEmbedParams; msa_block: MsaParams; ffn_block: FfnParams };

/** Measured routing: for each MoE block (in block order), the tokens each expert received (may be an average over images). */
export interface Routing {
  tokensPerExpert: number[][];
}

/** Everything an estimate depends on (a resolved Design provides it; the search builds it directly). */
export interface EstimateInput {
  dims: ModelDims;
  board: Board;
  shared: SharedParams;
  kernels: KernelParams;
  placement: Placement;
  computeUnits: ComputeUnits;
  limits?: Limits; // default: the board's
  routing?: Routing;
  calibration?: KernelCalibration; // factors from synthesis results (src/toolchain/calibration.ts)
  powerLimitW?: number; // --limit power=W: the predicted board power may not exceed it
}

/** Per-kernel factors (synthesised / predicted) a board's calibration applies to the model's cycles and resources. */
export type KernelCalibration = Partial<
  Record<KernelName, Partial<Record<'latency_cycles' | keyof Resources, number>>>
>;

/** The kernel figures scaled by a calibration (a missing factor leaves the figure as the model has it). */
function calibrateFigures(fig: KernelFigures, c: KernelCalibration): KernelFigures {
  const cyc = (e: CycleEstimate, k: KernelName): CycleEstimate => {
    const f = c[k]?.latency_cycles ?? 1;
    return {
      cycles: e.cycles * f,
      parts: Object.fromEntries(Object.entries(e.parts).map(([p, v]) => [p, v * f])),
    };
  };
  const res = (r: Resources, k: KernelName): Resources =>
    Object.fromEntries(RESOURCE_KEYS.map((key) => [key, r[key] * (c[k]?.[key] ?? 1)])) as Resources;
  return {
    patch: {
      cycles: cyc(fig.patch.cycles, 'patch_embed'),
      resources: res(fig.patch.resources, 'patch_embed'),
    },
    msa: { cycles: cyc(fig.msa.cycles, 'msa_block'), resources: res(fig.msa.resources, 'msa_block') },
    ffn: {
      dense: fig.ffn.dense && cyc(fig.ffn.dense, 'ffn_block'),
      moe: fig.ffn.moe.map((m) => cyc(m, 'ffn_block')),
      resources: res(fig.ffn.resources, 'ffn_block'),
    },
  };
}

/** Figures of one kernel on one SLR: cycles per call kind and resources of one compute unit. */
export interface KernelFigures {
  patch: { cycles: CycleEstimate; resources: Resources };
  msa: { cycles: CycleEstimate; resources: Resources };
  ffn: { dense: CycleEstimate | null; moe: CycleEstimate[]; resources: Resources };
}

export interface KernelReport {
  name: KernelName;
  calls: number; // invocations per image
  cycles: number; // per image, summed over its calls (first compute unit)
  parts: Record<string, number>; // per image, by part
  computeUnits: number;
  slrs: number[]; // SLR of each compute unit
  slr: number; // SLR of the first compute unit
  resourcesPerCu: Resources;
  resources: Resources; // all compute units
}

export interface StageReport {
  label: string;
  kind: 'patch embed' | 'dense' | 'MoE';
  cycles: Partial<Record<KernelName, number>>;
}

export interface SlrReport {
  slr: number;
  used: Resources;
  available: Resources;
  limit: Resources; // limit fraction × available
}

export interface DesignEstimate {
  clockMhz: number;
  latencyCycles: number; // one image, kernels back to back (without host overhead)
  latencyMs: number; // one image, with the host's per-call overhead
  imagesPerSecond: number; // host pipelines kernels of different images
  throughputBound: string; // what limits imagesPerSecond
  macsPerImage: number;
  gops: number; // 2 × MACs / latency
  weightBytesPerImage: number;
  kernels: KernelReport[];
  stages: StageReport[];
  overhead: Array<{ name: string; slr: number; resources: Resources }>;
  resources: Resources; // everything in use by the design (kernels + interconnect), not the shell
  available: Resources; // what kernels may use on the board
  utilisation: Resources; // resources / available, as fractions
  slrs: SlrReport[];
  fmaxMhz: number; // predicted reachable clock at this utilisation (rule of thumb)
  overflow: number; // 0 when the design fits every limit; else the largest relative excess
  violations: string[]; // what does not fit, and by how much
  fits: boolean;
  bounds: PhysicalBounds; // the board's compute and weight-traffic bounds, and this design's distance to them
  power: PowerEstimate | null; // predicted (src/design/power.ts); null without the board's power facts
}

/** SLR of each compute unit: the kernel's placement, further CUs on the following SLRs in turn. */
export function cuSlrs(first: number, units: number, slrs: number): number[] {
  return Array.from({ length: units }, (_, i) => (first + i) % slrs);
}

/** Runs the kernel models for one design on the given SLRs (first CU of each kernel). */
export function kernelFigures(input: EstimateInput): KernelFigures {
  const { dims, board, shared, kernels, placement } = input;
  const moeCalls = ffnMoeCalls(input);
  const fig: KernelFigures = {
    patch: {
      cycles: patch.cycles(kernels.patch_embed, dims, shared, board, { slr: placement.patch_embed }),
      resources: patch.resources(kernels.patch_embed, dims, shared, board),
    },
    msa: {
      cycles: msa.cycles(kernels.msa_block, dims, shared, board, { slr: placement.msa_block }),
      resources: msa.resources(kernels.msa_block, dims, shared, board),
    },
    ffn: {
      dense: dims.moeBlocks.some((m) => !m)
        ? ffn.cycles(kernels.ffn_block, dims, shared, board, { moe: false, slr: placement.ffn_block })
        : null,
      moe: moeCalls.map((c) =>
        ffn.cycles(kernels.ffn_block, dims, shared, board, { ...c, slr: placement.ffn_block }),
      ),
      resources: ffn.resources(kernels.ffn_block, dims, shared, board),
    },
  };
  return input.calibration ? calibrateFigures(fig, input.calibration) : fig;
}

/** The distinct MoE calls: one (uniform routing) or one per MoE block (measured routing). */
function ffnMoeCalls(input: EstimateInput): ffn.FfnCall[] {
  const nMoe = input.dims.moeBlocks.filter(Boolean).length;
  if (nMoe === 0) return [];
  if (!input.routing) return [{ moe: true }];
  return input.routing.tokensPerExpert.map((t) => ({ moe: true, tokensPerExpert: t }));
}

/** Checks a measured routing table against the model (one row per MoE block, E counts summing to N·k). */
export function checkRouting(routing: Routing, dims: ModelDims, what = 'routing'): void {
  const nMoe = dims.moeBlocks.filter(Boolean).length;
  if (routing.tokensPerExpert.length !== nMoe)
    throw new UserError(`${what}: has ${routing.tokensPerExpert.length} MoE blocks, the model has ${nMoe}`);
  routing.tokensPerExpert.forEach((row, i) => {
    if (row.length !== dims.experts)
      throw new UserError(
        `${what}: MoE block ${i} lists ${row.length} experts, the model has ${dims.experts}`,
      );
    const sum = row.reduce((a, b) => a + b, 0);
    // counts may be averages over several images, hence not integers
    if (
      row.some((n) => !Number.isFinite(n) || n < 0) ||
      Math.abs(sum - dims.numTokens * dims.topK) > 1e-6 * sum + 1e-9
    )
      throw new UserError(
        `${what}: MoE block ${i}: token counts must be >= 0 and sum to tokens × top_k = ${dims.numTokens * dims.topK} (found ${sum})`,
      );
  });
}

/** Multiply-accumulates of one image (MoE: the tokens actually routed, top-k per token). */
export function macsPerImage(dims: ModelDims): number {
  const { D, numTokens: N, heads, headDim } = dims;
  let macs = dims.numPatches * dims.patchInputs * D;
  for (const moe of dims.moeBlocks) {
    macs += N * D * 3 * D + 2 * heads * N * N * headDim + N * D * D;
    macs += moe
      ? N * D * dims.experts + N * dims.topK * 2 * D * dims.expertHidden
      : 2 * N * D * dims.mlpHidden;
  }
  return macs;
}

const scaled = (r: Resources, k: number): Resources => addInto(zeroResources(), r, k);

/** Composes kernel figures into the whole-design estimate (pure arithmetic; see kernelFigures). */
export function combine(
  input: EstimateInput,
  fig: KernelFigures,
  slrFigures?: (kernel: 'msa_block' | 'ffn_block', slr: number) => number,
): DesignEstimate {
  const { dims, board, shared, placement, computeUnits } = input;
  const limits = input.limits ?? board.limits;
  const clock = shared.clockMhz;
  const nSlr = slrCount(board);

  // ---- latency: patch_embed once, then msa_block and ffn_block per block, back to back
  const stages: StageReport[] = [
    { label: 'patch', kind: 'patch embed', cycles: { patch_embed: fig.patch.cycles.cycles } },
  ];
  const msaParts: Record<string, number> = {};
  const ffnParts: Record<string, number> = {};
  const addParts = (into: Record<string, number>, parts: Record<string, number>) => {
    for (const [k, v] of Object.entries(parts)) into[k] = (into[k] ?? 0) + v;
  };
  let msaTotal = 0;
  let ffnTotal = 0;
  let moeIndex = 0;
  dims.moeBlocks.forEach((isMoe, i) => {
    const f = isMoe ? fig.ffn.moe[Math.min(moeIndex++, fig.ffn.moe.length - 1)] : fig.ffn.dense!;
    msaTotal += fig.msa.cycles.cycles;
    ffnTotal += f.cycles;
    addParts(msaParts, fig.msa.cycles.parts);
    addParts(ffnParts, f.parts);
    stages.push({
      label: String(i),
      kind: isMoe ? 'MoE' : 'dense',
      cycles: { msa_block: fig.msa.cycles.cycles, ffn_block: f.cycles },
    });
  });
  const calls = 1 + 2 * dims.depth;
  const latencyCycles = fig.patch.cycles.cycles + msaTotal + ffnTotal;
  const latencyMs = latencyCycles / (clock * 1e3) + (calls * COST.INVOCATION_OVERHEAD_US) / 1e3;
  const macs = macsPerImage(dims);

  // ---- placement of compute units and resources per SLR
  const slrsOf = {
    patch_embed: cuSlrs(placement.patch_embed, 1, nSlr),
    msa_block: cuSlrs(placement.msa_block, computeUnits.msa_block, nSlr),
    ffn_block: cuSlrs(placement.ffn_block, computeUnits.ffn_block, nSlr),
  };
  const kernels: KernelReport[] = [
    {
      name: 'patch_embed',
      calls: 1,
      cycles: fig.patch.cycles.cycles,
      parts: { ...fig.patch.cycles.parts },
      res: fig.patch.resources,
    },
    { name: 'msa_block', calls: dims.depth, cycles: msaTotal, parts: msaParts, res: fig.msa.resources },
    { name: 'ffn_block', calls: dims.depth, cycles: ffnTotal, parts: ffnParts, res: fig.ffn.resources },
  ].map((k) => {
    const slrs = slrsOf[k.name as KernelName];
    return {
      name: k.name as KernelName,
      calls: k.calls,
      cycles: k.cycles,
      parts: k.parts,
      computeUnits: slrs.length,
      slrs,
      slr: slrs[0],
      resourcesPerCu: k.res,
      resources: scaled(k.res, slrs.length),
    };
  });
  const avail = slrResources(board);
  const used = avail.map(() => zeroResources());
  const overhead: DesignEstimate['overhead'] = [];
  const infra = avail.map(() => zeroResources());
  for (const k of kernels)
    for (const s of k.slrs) {
      addInto(used[s], k.resourcesPerCu);
      // platform interconnect for the CU's m_axi ports (gmem_act and the weight ports); SLR-crossing
      // slices if no local memory
      const ports = 1 + kernelPortCount(shared, input.kernels[k.name]);
      infra[s].lut += ports * COST.INFRA_LUT_PER_PORT;
      infra[s].ff += ports * COST.INFRA_FF_PER_PORT;
      const local = board.memory.some((m) => channelSlrs(m).some((c) => c === undefined || c === s));
      if (!local) {
        infra[s].lut += COST.SLR_CROSSING_LUT;
        infra[s].ff += COST.SLR_CROSSING_FF;
      }
    }
  infra.forEach((r, s) => {
    addInto(used[s], r);
    if (r.lut > 0) overhead.push({ name: 'interconnect', slr: s, resources: r });
  });
  const total = zeroResources();
  used.forEach((u) => addInto(total, u));
  const available = zeroResources();
  avail.forEach((a) => addInto(available, a));

  // ---- fit: every SLR within limit × available
  let overflow = 0;
  const violations: string[] = [];
  let fullest = 0;
  const slrReports: SlrReport[] = used.map((u, s) => {
    const limit = zeroResources();
    for (const key of RESOURCE_KEYS) {
      limit[key] = limits[key] * avail[s][key];
      const frac = avail[s][key] > 0 ? u[key] / avail[s][key] : u[key] > 0 ? Infinity : 0;
      fullest = Math.max(fullest, Math.min(frac, 1));
      if (u[key] > limit[key]) {
        const excess = limit[key] > 0 ? u[key] / limit[key] - 1 : u[key];
        overflow = Math.max(overflow, excess);
        const where = nSlr > 1 ? ` on SLR${s}` : '';
        violations.push(
          `${key}${where}: needs ${Math.ceil(u[key])}, limit ${Math.floor(limit[key])} (${Math.round(limits[key] * 100)}% of ${avail[s][key]}), over by ${Math.ceil(u[key] - limit[key])}`,
        );
      }
    }
    return { slr: s, used: u, available: avail[s], limit };
  });
  const fmaxMhz =
    (COST.FMAX_BASE_MHZ[board.dsp_kind] ?? 400) * (1 - COST.FMAX_CONGESTION * fullest * fullest);
  if (clock > fmaxMhz) {
    overflow = Math.max(overflow, clock / fmaxMhz - 1);
    violations.push(
      `clock: ${clock} MHz is above the predicted reachable ${Math.floor(fmaxMhz)} MHz at this utilisation`,
    );
  }

  // ---- throughput: kernels of different images overlap; each kernel's CUs work in parallel
  const perCu = (name: 'msa_block' | 'ffn_block', total: number, slrs: number[]) =>
    slrs.reduce((acc, s, i) => acc + 1 / (i === 0 || !slrFigures ? total : slrFigures(name, s)), 0);
  const rates = [
    { what: 'patch_embed', rate: (clock * 1e6) / fig.patch.cycles.cycles },
    { what: 'msa_block', rate: clock * 1e6 * perCu('msa_block', msaTotal, slrsOf.msa_block) },
    { what: 'ffn_block', rate: clock * 1e6 * perCu('ffn_block', ffnTotal, slrsOf.ffn_block) },
    { what: 'host call overhead', rate: 1e6 / (calls * COST.INVOCATION_OVERHEAD_US) },
  ];
  const bytes = weightBytesPerImage(input);
  const memGBps = board.memory.reduce(
    (a, m) => a + m.count * m.gbps_each * (COST.CHANNEL_EFFICIENCY[m.kind] ?? 0.8),
    0,
  );
  rates.push({ what: 'off-chip bandwidth', rate: (memGBps * 1e9) / bytes });
  const bound = rates.reduce((a, b) => (b.rate < a.rate ? b : a));

  const gops = (2 * macs) / (latencyMs * 1e6);
  const power = designPower({
    board,
    clockMhz: clock,
    latencyMs,
    gops,
    kernels: kernels.map((k) => ({
      name: k.name,
      resourcesPerCu: k.resourcesPerCu,
      computeUnits: k.computeUnits,
      busyCycles: k.cycles,
    })),
    overhead: infra.reduce((a, r) => addInto(a, r), zeroResources()),
    offchipBytes: bytes,
  });
  if (input.powerLimitW !== undefined && power && power.powerW > input.powerLimitW) {
    overflow = Math.max(overflow, power.powerW / input.powerLimitW - 1);
    violations.push(
      `power: predicted ${power.powerW.toFixed(1)} W, limit ${input.powerLimitW} W, over by ${(power.powerW - input.powerLimitW).toFixed(1)} W`,
    );
  }

  return {
    clockMhz: clock,
    latencyCycles,
    latencyMs,
    imagesPerSecond: bound.rate,
    throughputBound: bound.what,
    macsPerImage: macs,
    gops,
    weightBytesPerImage: bytes,
    kernels,
    stages,
    overhead,
    resources: total,
    available,
    utilisation: Object.fromEntries(
      RESOURCE_KEYS.map((k) => [k, available[k] > 0 ? total[k] / available[k] : 0]),
    ) as Resources,
    slrs: slrReports,
    fmaxMhz,
    overflow,
    violations,
    fits: overflow === 0,
    bounds: physicalBounds(dims, board, input.shared, macs, total.dsp, latencyCycles, latencyMs),
    power,
  };
}

/** Off-chip bytes one image moves: every kernel's weights plus activations in and out. */
export function weightBytesPerImage(input: EstimateInput): number {
  const { dims, shared, kernels } = input;
  const act = (dims.numTokens * dims.D * shared.precision.activation.width) / 8;
  let bytes =
    patch.weightBytes(dims, shared) +
    (dims.numPatches * dims.patchInputs * shared.precision.activation.width) / 8 +
    act;
  const moeCalls = ffnMoeCalls(input);
  let m = 0;
  for (const isMoe of dims.moeBlocks) {
    bytes += msa.weightBytes(dims, shared) + 3 * act;
    bytes +=
      (isMoe
        ? ffn.weightBytes(kernels.ffn_block, dims, shared, moeCalls[Math.min(m++, moeCalls.length - 1)])
        : ffn.weightBytes(kernels.ffn_block, dims, shared, { moe: false })) +
      2 * act;
  }
  return bytes;
}

/** The estimate of a whole design (compute units beyond the first evaluated on their own SLRs). */
export function estimate(input: EstimateInput): DesignEstimate {
  if (input.routing) checkRouting(input.routing, input.dims);
  const fig = kernelFigures(input);
  const cache = new Map<string, number>();
  const onSlr = (kernel: 'msa_block' | 'ffn_block', slr: number): number => {
    const key = `${kernel}@${slr}`;
    let v = cache.get(key);
    if (v === undefined) {
      const f = kernelFigures({ ...input, placement: { ...input.placement, [kernel]: slr } });
      v = kernel === 'msa_block' ? f.msa.cycles.cycles * input.dims.depth : sumFfn(input.dims, f);
      cache.set(key, v);
    }
    return v;
  };
  return combine(input, fig, onSlr);
}

function sumFfn(dims: ModelDims, f: KernelFigures): number {
  let m = 0;
  return dims.moeBlocks.reduce(
    (acc, isMoe) =>
      acc + (isMoe ? f.ffn.moe[Math.min(m++, f.ffn.moe.length - 1)].cycles : f.ffn.dense!.cycles),
    0,
  );
}

/** The estimate of a resolved design. */
export function estimateDesign(
  design: Design,
  opts: { routing?: Routing; limits?: Limits; calibration?: KernelCalibration; powerLimitW?: number } = {},
): DesignEstimate {
  return estimate({
    dims: design.dims,
    board: design.board,
    shared: design.shared,
    kernels: design.kernels,
    placement: design.placement,
    computeUnits: design.computeUnits,
    limits: opts.limits,
    routing: opts.routing,
    calibration: opts.calibration,
    powerLimitW: opts.powerLimitW,
  });
}

/** reports/estimate.json (snake_case, the shape src/report reads). */
export function estimateJson(
  e: DesignEstimate,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    note: 'predicted by the ubimoe cost model (docs/cost-model.md), not measured',
    ...extra,
    clock_mhz: e.clockMhz,
    latency_cycles: e.latencyCycles,
    latency_ms: e.latencyMs,
    images_per_s: e.imagesPerSecond,
    throughput_bound: e.throughputBound,
    gops: e.gops,
    macs_per_image: e.macsPerImage,
    offchip_bytes_per_image: e.weightBytesPerImage,
    fmax_mhz: e.fmaxMhz,
    fits: e.fits,
    violations: e.violations,
    physical_bounds: {
      note: 'compute: all kernel DSPs doing one MAC each per cycle at the clock; weight traffic: every weight once per image at the total off-chip bandwidth',
      compute_bound_ms: e.bounds.computeBoundMs,
      weight_traffic_bound_ms: e.bounds.weightBoundMs,
      bound_ms: e.bounds.boundMs,
      bound_by: e.bounds.boundBy,
      latency_over_bound: e.bounds.latencyOverBound,
      mac_efficiency: e.bounds.macEfficiency,
      dsp_per_mac: e.bounds.dspPerMac,
    },
    ...powerJson(e.power),
    kernels: e.kernels.map((k) => ({
      name: k.name,
      calls: k.calls,
      cycles: k.cycles,
      parts: k.parts,
      compute_units: k.computeUnits,
      slr: k.slr,
      slrs: k.slrs,
      resources: k.resources,
      resources_per_cu: k.resourcesPerCu,
    })),
    stages: e.stages,
    overhead: e.overhead,
    resources: e.resources,
    available: e.available,
    utilisation: e.utilisation,
    slrs: e.slrs,
  };
}
