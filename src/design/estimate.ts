/**
 * Whole-design estimate: composes the kernels' cycle and resource models (src/kernels/*.ts) into
 * per-block and total latency, throughput, GOPS and utilisation per SLR. Every figure here is a
 * prediction of the cost model (docs/cost-model.md), never a measurement.
 *
 * Two layers, so the search can cache per-kernel figures and recombine them cheaply:
 * `kernelFigures` (calls the kernel models) and `combine` (pure arithmetic over the figures).
 */
import { slrCount, slrResources } from '../board/resources.js';
import { RESOURCE_KEYS, type Board, type Limits, type Resources } from '../board/schema.js';
import { COST } from '../kernels/costConstants.js';
import { addInto, zeroResources } from '../kernels/costModel.js';
import * as ffn from '../kernels/ffn_block.js';
import * as msa from '../kernels/msa_block.js';
import * as patch from '../kernels/patch_embed.js';
import { blockKernelCalls, kernelPortCount, patchOnEngine, type KernelName } from '../kernels/params.js';
import * as vit from '../kernels/vit_block.js';
import type { CycleEstimate, SharedParams } from '../kernels/types.js';
import { hasDense, type ModelDims } from '../model/config.js';
import { UserError } from '../util/errors.js';
import { physicalBounds, type PhysicalBounds } from './bounds.js';
import { blockKernels, type BlockKernelName, type Design, type DesignKernels } from './design.js';
import { designPower, powerJson, type PowerEstimate } from './power.js';
import { sllLimit, spanFmaxMhz, spanHasLocalMemory, spanShares } from './span.js';

export type Placement = Record<KernelName, number>;
export type ComputeUnits = Record<BlockKernelName, number>;
/** patch_embed and the block's kernels: msa_block + ffn_block (split) or vit_block (fused). */
export type KernelParams = DesignKernels;

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
  span?: Partial<Record<BlockKernelName, number>>; // SLRs a block kernel's compute unit spans (1 when not given; span.ts)
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
  const blocks: KernelFigures['blocks'] = {};
  for (const [k, b] of Object.entries(fig.blocks) as [BlockKernelName, BlockKernelFigures][])
    blocks[k] = {
      dense: b.dense && cyc(b.dense, k),
      moe: b.moe.map((m) => cyc(m, k)),
      call: b.call && cyc(b.call, k),
      resources: res(b.resources, k),
    };
  return {
    patch: fig.patch && { cycles: cyc(fig.patch.cycles, 'patch_embed'), resources: res(fig.patch.resources, 'patch_embed') },
    blocks,
  };
}

/** A block kernel's figures on one SLR: its cycles per dense block and per MoE block, its resources per compute unit. */
export interface BlockKernelFigures {
  dense: CycleEstimate | null; // null: the model has no dense block
  moe: CycleEstimate[]; // one (uniform routing) or one per MoE block (measured routing); [] without MoE blocks
  call: CycleEstimate | null; // once per call beside its blocks (vit_block: start, x in and out); null: per-block calls
  resources: Resources;
}

/** Figures of one kernel on one SLR: cycles per call kind and resources of one compute unit. */
export interface KernelFigures {
  patch: { cycles: CycleEstimate; resources: Resources } | null; // null: vit_block embeds the patches (its call's PATCH_PARTS)
  blocks: Partial<Record<BlockKernelName, BlockKernelFigures>>; // the design's block kernels
}

/** A block kernel's cycles for block i (the m-th MoE block when MoE). */
function blockCycles(f: BlockKernelFigures, isMoe: boolean, moeIndex: number): CycleEstimate {
  return isMoe ? f.moe[Math.min(moeIndex, f.moe.length - 1)] : f.dense!;
}

export interface KernelReport {
  name: KernelName;
  calls: number; // invocations per image
  cycles: number; // per image, summed over its calls (first compute unit)
  parts: Record<string, number>; // per image, by part
  computeUnits: number;
  slrs: number[]; // SLR of each compute unit
  slr: number; // SLR of the first compute unit
  span: number; // SLRs its compute unit spans (1: it sits on slr; more: slr, slr + 1, ..; span.ts)
  perSlr: Array<{ slr: number; resources: Resources }>; // what its compute units take on each SLR
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
  const dense = hasDense(dims);
  const blocks: KernelFigures['blocks'] = {};
  for (const k of blockKernels(input)) {
    const slr = placement[k];
    if (k === 'msa_block') {
      const c = msa.cycles(kernels.msa_block!, dims, shared, board, { slr });
      blocks.msa_block = {
        dense: dense ? c : null,
        moe: moeCalls.length > 0 ? [c] : [],
        call: null,
        resources: msa.resources(kernels.msa_block!, dims, shared, board),
      };
    } else if (k === 'ffn_block') {
      const params = kernels.ffn_block!;
      blocks[k] = {
        dense: dense ? ffn.cycles(params, dims, shared, board, { moe: false, slr }) : null,
        moe: moeCalls.map((c) => ffn.cycles(params, dims, shared, board, { ...c, slr })),
        call: null,
        resources: ffn.resources(params, dims, shared, board),
      };
    } else {
      const params = kernels.vit_block!;
      blocks[k] = {
        dense: dense ? vit.cycles(params, dims, shared, board, { moe: false, slr }) : null,
        moe: moeCalls.map((c) => vit.cycles(params, dims, shared, board, { ...c, slr })),
        call: vit.callCycles(params, dims, shared, board, { slr }),
        resources: vit.resources(params, dims, shared, board),
      };
    }
  }
  const pe = kernels.patch_embed;
  const fig: KernelFigures = {
    patch: pe
      ? {
          cycles: patch.cycles(pe, dims, shared, board, { slr: placement.patch_embed }),
          resources: patch.resources(pe, dims, shared, board),
        }
      : null,
    blocks,
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
  slrFigures?: (kernel: BlockKernelName, slr: number) => number,
): DesignEstimate {
  const { dims, board, shared, placement, computeUnits } = input;
  const limits = input.limits ?? board.limits;
  const clock = shared.clockMhz;
  const nSlr = slrCount(board);

  // ---- latency: patch_embed once (or vit_block's patch pass at the start of its call), then the
  // block kernels per block, back to back
  const names = blockKernels(input);
  const enginePatch = fig.patch ? 0 : vit.PATCH_PARTS.reduce((a, p) => a + (fig.blocks.vit_block?.call?.parts[p] ?? 0), 0);
  const stages: StageReport[] = [
    {
      label: 'patch',
      kind: 'patch embed',
      cycles: fig.patch ? { patch_embed: fig.patch.cycles.cycles } : { vit_block: enginePatch },
    },
  ];
  const parts = Object.fromEntries(names.map((k) => [k, {} as Record<string, number>]));
  const totals = Object.fromEntries(names.map((k) => [k, 0])) as Record<BlockKernelName, number>;
  if (enginePatch) totals.vit_block = enginePatch;
  let moeIndex = 0;
  dims.moeBlocks.forEach((isMoe, i) => {
    const cycles: StageReport['cycles'] = {};
    for (const k of names) {
      const c = blockCycles(fig.blocks[k]!, isMoe, moeIndex);
      // a call running every block (vit_block): its start and x read count with block 0, its
      // x write with the last block
      const once = fig.blocks[k]!.call;
      const write = once?.parts.write ?? 0;
      const extra = !once ? 0 : (i === 0 ? once.cycles - write - enginePatch : 0) + (i === dims.depth - 1 ? write : 0);
      totals[k] += c.cycles + extra;
      cycles[k] = c.cycles + extra;
      for (const [p, v] of Object.entries(c.parts)) parts[k][p] = (parts[k][p] ?? 0) + v;
    }
    if (isMoe) moeIndex++;
    stages.push({ label: String(i), kind: isMoe ? 'MoE' : 'dense', cycles });
  });
  for (const k of names) {
    const once = fig.blocks[k]!.call;
    if (once) for (const [p, v] of Object.entries(once.parts)) parts[k][p] = (parts[k][p] ?? 0) + v;
  }
  const kernelCalls = (k: BlockKernelName) => blockKernelCalls(k, dims.depth);
  const calls = (fig.patch ? 1 : 0) + names.reduce((a, k) => a + kernelCalls(k), 0);
  const latencyCycles = (fig.patch?.cycles.cycles ?? 0) + names.reduce((a, k) => a + totals[k], 0);
  const latencyMs = latencyCycles / (clock * 1e3) + (calls * COST.INVOCATION_OVERHEAD_US) / 1e3;
  const macs = macsPerImage(dims);

  // ---- placement of compute units and resources per SLR
  const slrsOf: Partial<Record<KernelName, number[]>> = fig.patch ? { patch_embed: cuSlrs(placement.patch_embed, 1, nSlr) } : {};
  for (const k of names) slrsOf[k] = cuSlrs(placement[k], computeUnits[k], nSlr);
  const kernels: KernelReport[] = [
    ...(fig.patch
      ? [
          {
            name: 'patch_embed' as KernelName,
            calls: 1,
            cycles: fig.patch.cycles.cycles,
            parts: { ...fig.patch.cycles.parts },
            res: fig.patch.resources,
          },
        ]
      : []),
    ...names.map((k) => ({ name: k, calls: kernelCalls(k), cycles: totals[k], parts: parts[k], res: fig.blocks[k]!.resources })),
  ].map((k): KernelReport => {
    const slrs = slrsOf[k.name]!;
    const span = k.name === 'patch_embed' ? 1 : (input.span?.[k.name] ?? 1);
    // a spanning compute unit (only vit_block's) spreads over its SLRs with the registers of the bits it moves across
    const crossing = span > 1 ? vit.spanCrossingBits(input.kernels.vit_block!, shared, span) : 0;
    const perSlr = new Map<number, Resources>();
    for (const s of slrs)
      for (const share of span > 1 ? spanShares(k.res, s, span, crossing) : [{ slr: s, resources: k.res }])
        perSlr.set(share.slr, addInto(perSlr.get(share.slr) ?? zeroResources(), share.resources));
    return {
      name: k.name,
      calls: k.calls,
      cycles: k.cycles,
      parts: k.parts,
      computeUnits: slrs.length,
      slrs,
      slr: slrs[0],
      span,
      perSlr: [...perSlr].map(([slr, resources]) => ({ slr, resources })),
      resourcesPerCu: k.res,
      resources: scaled(k.res, slrs.length),
    };
  });
  const avail = slrResources(board);
  const used = avail.map(() => zeroResources());
  const overhead: DesignEstimate['overhead'] = [];
  const infra = avail.map(() => zeroResources());
  for (const k of kernels) {
    for (const share of k.perSlr) addInto(used[share.slr], share.resources);
    for (const s of k.slrs) {
      // platform interconnect for the CU's m_axi ports (gmem_act and the weight ports), on its first
      // SLR; SLR-crossing slices if none of its SLRs has local memory
      const ports = 1 + kernelPortCount(shared, input.kernels[k.name] ?? {});
      infra[s].lut += ports * COST.INFRA_LUT_PER_PORT;
      infra[s].ff += ports * COST.INFRA_FF_PER_PORT;
      const local = spanHasLocalMemory(board, s, k.span);
      if (!local) {
        infra[s].lut += COST.SLR_CROSSING_LUT;
        infra[s].ff += COST.SLR_CROSSING_FF;
      }
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
  for (const k of kernels.filter((k) => k.span > 1)) {
    const limit = sllLimit(board.sll_per_boundary ?? 0, limits.lut);
    const bits = vit.spanCrossingBits(input.kernels.vit_block!, shared, k.span);
    if (bits > limit) {
      overflow = Math.max(overflow, limit > 0 ? bits / limit - 1 : bits);
      violations.push(
        `SLLs between SLR${k.slr} and SLR${k.slr + 1}: ${k.name} needs ${bits}, limit ${Math.floor(limit)} (${Math.round(limits.lut * 100)}% of ${board.sll_per_boundary ?? 0}), over by ${Math.ceil(bits - limit)}`,
      );
    }
  }
  const congested = (COST.FMAX_BASE_MHZ[board.dsp_kind] ?? 400) * (1 - COST.FMAX_CONGESTION * fullest * fullest);
  const fmaxMhz = kernels.some((k) => k.span > 1) ? spanFmaxMhz(congested) : congested;
  if (clock > fmaxMhz) {
    overflow = Math.max(overflow, clock / fmaxMhz - 1);
    violations.push(
      `clock: ${clock} MHz is above the predicted reachable ${Math.floor(fmaxMhz)} MHz at this utilisation${fmaxMhz < congested ? ' with a kernel spanning SLRs (an SLL hop in the period)' : ''}`,
    );
  }

  // ---- throughput: kernels of different images overlap; each kernel's CUs work in parallel
  const perCu = (name: BlockKernelName, total: number, slrs: number[]) =>
    slrs.reduce((acc, s, i) => acc + 1 / (i === 0 || !slrFigures ? total : slrFigures(name, s)), 0);
  const rates = [
    ...(fig.patch ? [{ what: 'patch_embed', rate: (clock * 1e6) / fig.patch.cycles.cycles }] : []),
    ...names.map((k) => ({ what: k as string, rate: clock * 1e6 * perCu(k, totals[k], slrsOf[k]!) })),
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
  // the patch weights and the pixels, and patch_embed's tokens out (none with the patches on vit_block's engine)
  let bytes =
    patch.weightBytes(dims, shared) +
    (dims.numPatches * dims.patchInputs * shared.precision.activation.width) / 8 +
    (kernels.patch_embed ? act : 0);
  const moeCalls = ffnMoeCalls(input);
  let m = 0;
  for (const isMoe of dims.moeBlocks) {
    const call = isMoe ? moeCalls[Math.min(m++, moeCalls.length - 1)] : { moe: false };
    if (kernels.vit_block)
      // x in and out once per image (below): the fused block keeps it on chip between the blocks
      bytes += vit.weightBytes(kernels.vit_block, dims, shared, call);
    else bytes += msa.weightBytes(dims, shared) + 3 * act + ffn.weightBytes(kernels.ffn_block!, dims, shared, call) + 2 * act;
  }
  // the fused block reads x and writes it once per image; with the patches on its engine it makes x
  // itself (no patch_embed write, no x read)
  if (kernels.vit_block) bytes += patchOnEngine(kernels.vit_block) ? act : 2 * act;
  return bytes;
}

/** The estimate of a whole design (compute units beyond the first evaluated on their own SLRs). */
export function estimate(input: EstimateInput): DesignEstimate {
  if (input.routing) checkRouting(input.routing, input.dims);
  const fig = kernelFigures(input);
  const cache = new Map<string, number>();
  const onSlr = (kernel: BlockKernelName, slr: number): number => {
    const key = `${kernel}@${slr}`;
    let v = cache.get(key);
    if (v === undefined) {
      const f = kernelFigures({ ...input, placement: { ...input.placement, [kernel]: slr } });
      let m = 0;
      const once = f.blocks[kernel]!.call?.cycles ?? 0; // vit_block: once per call (every block in it)
      v = input.dims.moeBlocks.reduce((acc, isMoe) => acc + blockCycles(f.blocks[kernel]!, isMoe, isMoe ? m++ : m).cycles, once);
      cache.set(key, v);
    }
    return v;
  };
  return combine(input, fig, onSlr);
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
    span: design.span,
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
      span: k.span,
      per_slr: k.perSlr,
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
