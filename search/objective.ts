/**
 * The search's fast scorer: the same arithmetic as src/design/estimate.ts `combine` (latency,
 * throughput, utilisation per SLR, fmax, overflow), over precomputed per-kernel figures, without
 * building report objects. test/search/objective.test.ts checks it against `combine`.
 */
import { channelSlrs, slrResources } from '../src/board/resources.js';
import { RESOURCE_KEYS, type Board, type Limits, type Resources } from '../src/board/schema.js';
import { macsPerImage, weightBytesPerImage, type EstimateInput } from '../src/design/estimate.js';
import { COST } from '../src/kernels/costConstants.js';
import type { ModelDims } from '../src/model/config.js';
import { UserError } from '../src/util/errors.js';
import { designPower } from '../src/design/power.js';
import { sllLimit, spanFmaxMhz } from '../src/design/span.js';
import { blockKernels, type BlockKernelName } from '../src/design/design.js';
import { blockKernelCalls, type KernelName } from '../src/kernels/params.js';
import type { Objective } from './space.js';

/** One kernel's figures for a design: cycles per image of each compute unit (on its SLR) and resources per CU. */
export interface KernelCost {
  cycles: number[]; // per compute unit, in CU order (first = the latency path)
  slrs: number[]; // SLR of each compute unit
  resources: Resources; // one compute unit
  ports: number; // m_axi ports of one compute unit (gmem_act and the weight ports): the platform interconnect
  // a compute unit spanning SLRs (src/design/span.ts; one CU): its share of each SLR and the bits crossing a boundary
  span?: { shares: Array<{ slr: number; resources: Resources }>; crossingBits: number; local: boolean };
}

export interface Scored {
  score: number; // the objective, minimised: latency ms | ms per image at steady state | DSP per GOPS | J per image
  tie: number; // breaks exact ties of score (energy: latency ms; else the resources' summed shares of the board: e.g. a deeper weight FIFO that gains nothing loses)
  overflow: number; // 0 = fits
  latencyMs: number;
  imagesPerSecond: number;
  gops: number;
  dsp: number;
  powerW: number | null; // predicted board power, computed for the energy objective and --limit power only
  energyJ: number | null; // predicted J per image (idem)
  cycles: Partial<Record<KernelName, number>>; // per image, each kernel's first compute unit
}

/** The objective in its natural unit and direction, for people (ms, images/s, GOPS/DSP). */
export function objectiveValue(objective: Objective, s: Scored): number {
  if (objective === 'latency') return s.latencyMs;
  if (objective === 'throughput') return s.imagesPerSecond;
  if (objective === 'energy') return s.energyJ ?? NaN;
  return s.dsp > 0 ? s.gops / s.dsp : 0;
}

export const OBJECTIVE_UNITS: Record<Objective, string> = {
  latency: 'ms (predicted latency)',
  throughput: 'images/s (predicted)',
  'dsp-efficiency': 'GOPS per DSP (predicted)',
  energy: 'J/image (predicted, one image at a time)',
};

export class Scorer {
  private readonly avail: Resources[];
  private readonly limit: Resources[];
  private readonly local: boolean[];
  private readonly macs: number;
  private readonly memRate: number;
  private readonly calls: number;
  private readonly fmaxBase: number;
  private readonly used: Float64Array;
  private readonly bytes: number;
  private readonly needPower: boolean;
  private readonly blockKernels: BlockKernelName[];

  constructor(
    readonly dims: ModelDims,
    readonly board: Board,
    readonly limits: Limits,
    readonly objective: Objective,
    sharedForBytes: Pick<EstimateInput, 'shared' | 'routing' | 'kernels' | 'placement' | 'computeUnits'>,
    readonly powerLimitW?: number, // --limit power=W
  ) {
    this.avail = slrResources(board);
    this.limit = this.avail.map((a) => {
      const l = { ...a };
      for (const k of RESOURCE_KEYS) l[k] = limits[k] * a[k];
      return l;
    });
    this.local = this.avail.map((_, s) =>
      board.memory.some((m) => channelSlrs(m).some((c) => c === undefined || c === s)),
    );
    this.macs = macsPerImage(dims);
    const bytes = weightBytesPerImage({ dims, board, ...sharedForBytes });
    this.bytes = bytes;
    this.needPower = objective === 'energy' || powerLimitW !== undefined;
    if (this.needPower && !board.power)
      throw new UserError(
        `board ${board.name} has no power facts (power: static_w, platform_w): no energy objective or power limit on it`,
      );
    const memGBps = board.memory.reduce(
      (a, m) => a + m.count * m.gbps_each * (COST.CHANNEL_EFFICIENCY[m.kind] ?? 0.8),
      0,
    );
    this.memRate = (memGBps * 1e9) / bytes;
    this.blockKernels = blockKernels(sharedForBytes);
    this.calls = (sharedForBytes.kernels.patch_embed ? 1 : 0) + this.blockKernels.reduce((a, k) => a + blockKernelCalls(k, dims.depth), 0);
    this.fmaxBase = COST.FMAX_BASE_MHZ[board.dsp_kind] ?? 400;
    this.used = new Float64Array(this.avail.length * 5);
  }

  /** Adds resources to an SLR's use (a plain function: the exhaustive search scores millions). */
  private add(slr: number, r: Resources): void {
    const used = this.used;
    const o = slr * 5;
    used[o] += r.dsp;
    used[o + 1] += r.bram18;
    used[o + 2] += r.uram;
    used[o + 3] += r.lut;
    used[o + 4] += r.ff;
  }

  /** Each kernel's first-CU cycles (a plain loop: the exhaustive search scores millions). */
  private cyclesOf(patch: KernelCost | null, blocks: KernelCost[]): Partial<Record<KernelName, number>> {
    const cycles: Partial<Record<KernelName, number>> = patch ? { patch_embed: patch.cycles[0] } : {};
    for (let i = 0; i < blocks.length; i++) cycles[this.blockKernels[i]] = blocks[i].cycles[0];
    return cycles;
  }

  /**
   * Scores a design from its kernels' costs: patch_embed's (null when vit_block embeds the
   * patches), then the block kernels' (the space's order).
   */
  score(clockMhz: number, patch: KernelCost | null, blocks: KernelCost[]): Scored {
    const used = this.used;
    used.fill(0);
    let dsp = 0;
    let overflow = 0;
    let spanning = false;
    let infraLut = 0;
    let infraFf = 0;
    for (let i = patch ? 0 : 1; i <= blocks.length; i++) {
      const k = i === 0 ? patch! : blocks[i - 1];
      const r = k.resources;
      for (const s of k.slrs) {
        const o = s * 5;
        const local = k.span ? k.span.local : this.local[s];
        const lut = k.ports * COST.INFRA_LUT_PER_PORT + (local ? 0 : COST.SLR_CROSSING_LUT);
        const ff = k.ports * COST.INFRA_FF_PER_PORT + (local ? 0 : COST.SLR_CROSSING_FF);
        infraLut += lut;
        infraFf += ff;
        used[o + 3] += lut;
        used[o + 4] += ff;
        dsp += r.dsp;
        if (k.span) for (const x of k.span.shares) this.add(x.slr, x.resources);
        else this.add(s, r);
      }
      if (k.span) {
        spanning = true;
        const sll = sllLimit(this.board.sll_per_boundary ?? 0, this.limits.lut);
        if (k.span.crossingBits > sll) overflow = Math.max(overflow, sll > 0 ? k.span.crossingBits / sll - 1 : k.span.crossingBits);
      }
    }
    let fullest = 0;
    let share = 0; // the resources' shares of the board summed: exact ties go to the leaner design
    for (let s = 0; s < this.avail.length; s++) {
      const a = this.avail[s];
      const l = this.limit[s];
      for (let i = 0; i < 5; i++) {
        const key = RESOURCE_KEYS[i];
        const u = used[s * 5 + i];
        const frac = a[key] > 0 ? u / a[key] : u > 0 ? Infinity : 0;
        if (frac > fullest) fullest = Math.min(frac, 1);
        if (a[key] > 0) share += frac;
        if (u > l[key]) overflow = Math.max(overflow, l[key] > 0 ? u / l[key] - 1 : u);
      }
    }
    const congested = this.fmaxBase * (1 - COST.FMAX_CONGESTION * fullest * fullest);
    const fmax = spanning ? spanFmaxMhz(congested) : congested;
    if (clockMhz > fmax) overflow = Math.max(overflow, clockMhz / fmax - 1);

    let latencyCycles = patch ? patch.cycles[0] : 0;
    for (const b of blocks) latencyCycles += b.cycles[0];
    const latencyMs = latencyCycles / (clockMhz * 1e3) + (this.calls * COST.INVOCATION_OVERHEAD_US) / 1e3;
    const hz = clockMhz * 1e6;
    // kernels of different images overlap: each block kernel's compute units together
    let imagesPerSecond = Math.min(patch ? hz / patch.cycles[0] : Infinity, 1e6 / (this.calls * COST.INVOCATION_OVERHEAD_US), this.memRate);
    for (const b of blocks) {
      let rate = 0;
      for (const c of b.cycles) rate += hz / c;
      imagesPerSecond = Math.min(imagesPerSecond, rate);
    }
    const gops = (2 * this.macs) / (latencyMs * 1e6);
    let powerW: number | null = null;
    let energyJ: number | null = null;
    if (this.needPower) {
      const kernels = [
        ...(patch ? [{ name: 'patch_embed', k: patch }] : []),
        ...this.blockKernels.map((name, i) => ({ name, k: blocks[i] })),
      ].map(({ name, k }) => ({
        name,
        resourcesPerCu: k.resources,
        computeUnits: k.slrs.length,
        busyCycles: k.cycles[0],
      }));
      const p = designPower({
        board: this.board,
        clockMhz,
        latencyMs,
        gops,
        kernels,
        overhead: { dsp: 0, bram18: 0, uram: 0, lut: infraLut, ff: infraFf },
        offchipBytes: this.bytes,
      })!;
      powerW = p.powerW;
      energyJ = p.energyJPerImage;
      if (this.powerLimitW !== undefined && powerW > this.powerLimitW)
        overflow = Math.max(overflow, powerW / this.powerLimitW - 1);
    }
    const score =
      this.objective === 'latency'
        ? latencyMs
        : this.objective === 'throughput'
          ? 1000 / imagesPerSecond
          : this.objective === 'energy'
            ? energyJ!
            : dsp / gops;
    return {
      score,
      tie: this.objective === 'energy' ? latencyMs : share,
      overflow,
      latencyMs,
      imagesPerSecond,
      gops,
      dsp,
      powerW,
      energyJ,
      cycles: this.cyclesOf(patch, blocks),
    };
  }
}

/** Deb's rules: a feasible design beats an infeasible one; infeasible ones by overflow; feasible ones by score. */
export function better(a: Scored, b: Scored): boolean {
  if (a.overflow === 0 && b.overflow === 0)
    return a.score < b.score || (a.score === b.score && a.tie < b.tie);
  if (a.overflow === 0 || b.overflow === 0) return a.overflow === 0;
  return a.overflow < b.overflow || (a.overflow === b.overflow && a.score < b.score);
}
