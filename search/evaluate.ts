/**
 * Evaluates genomes: runs the kernels' cost models (cached per kernel parameters, shared
 * parameters and SLR) and scores the combination with the fast Scorer.
 */
import type { Board, Limits } from '../src/board/schema.js';
import type { Routing } from '../src/design/estimate.js';
import { PRECISIONS } from '../src/design/design.js';
import * as ffn from '../src/kernels/ffn_block.js';
import * as msa from '../src/kernels/msa_block.js';
import * as patch from '../src/kernels/patch_embed.js';
import * as vit from '../src/kernels/vit_block.js';
import { vitEngineFifos } from '../src/kernels/buffers.js';
import {
  kernelPortCount,
  patchOnEngine,
  type FfnParams,
  type KernelName,
  type MsaParams,
  type PatchEmbedParams,
  type VitParams,
  vitMsaParams,
} from '../src/kernels/params.js';
import type { Precision, SharedParams } from '../src/kernels/types.js';
import type { ModelDims } from '../src/model/config.js';
import { Scorer, type KernelCost, type Scored } from './objective.js';
import { cuSlrs } from '../src/design/estimate.js';
import { slrCount } from '../src/board/resources.js';
import { spanHasLocalMemory, spanShares } from '../src/design/span.js';
import type { Candidate, Objective, Space } from './space.js';

export interface Evaluated extends Scored {
  genome: number[];
}

export interface EvaluatorOptions {
  objective: Objective;
  limits: Limits;
  precision?: Precision;
  routing?: Routing;
  powerLimitW?: number; // --limit power=W
}

type AnyParams = PatchEmbedParams | MsaParams | FfnParams | VitParams;

/** Per-image cycles of a kernel: patch_embed once, msa_block per block, ffn_block / vit_block per dense and MoE block (vit_block: + once per call). */
export function kernelCycles(
  kernel: KernelName,
  params: AnyParams,
  dims: ModelDims,
  shared: SharedParams,
  board: Board,
  slr: number,
  routing?: Routing,
): number {
  if (kernel === 'patch_embed')
    return patch.cycles(params as PatchEmbedParams, dims, shared, board, { slr }).cycles;
  if (kernel === 'msa_block')
    return dims.depth * msa.cycles(params as MsaParams, dims, shared, board, { slr }).cycles;
  const att = kernel === 'vit_block' ? vit.attentionHalf(params as VitParams, dims, shared, board, { slr }) : undefined;
  const model = (call: ffn.FfnCall) =>
    kernel === 'vit_block'
      ? vit.cycles(params as VitParams, dims, shared, board, call, att).cycles
      : ffn.cycles(params as FfnParams, dims, shared, board, call).cycles;
  // vit_block: one call runs every block; its start and x in / out once
  let total = kernel === 'vit_block' ? vit.callCycles(params as VitParams, dims, shared, board, { slr }).cycles : 0;
  let dense: number | undefined;
  let uniformMoe: number | undefined;
  let m = 0;
  for (const isMoe of dims.moeBlocks) {
    if (!isMoe) total += dense ??= model({ moe: false, slr });
    else if (routing) total += model({ moe: true, slr, tokensPerExpert: routing.tokensPerExpert[m++] });
    else total += uniformMoe ??= model({ moe: true, slr });
  }
  return total;
}

/**
 * The shared parameters a kernel's cycles depend on: all but the stream depth, which sizes FIFOs
 * (resources) and no cycle count, so the search costs a kernel's cycles once for every stream
 * depth; likewise its resources once for every clock and SLR (test/search/search.test.ts checks both).
 */
const sharedCycleKey = (shared: SharedParams): string =>
  `${shared.clockMhz},${shared.axiWidthBits},${shared.weightPorts ?? 1}`;

/** One compute unit's resources. */
function kernelResources(kernel: KernelName, params: AnyParams, dims: ModelDims, shared: SharedParams, board: Board) {
  switch (kernel) {
    case 'patch_embed':
      return patch.resources(params as PatchEmbedParams, dims, shared, board);
    case 'msa_block':
      return msa.resources(params as MsaParams, dims, shared, board);
    case 'ffn_block':
      return ffn.resources(params as FfnParams, dims, shared, board);
    default:
      return vit.resources(params as VitParams, dims, shared, board);
  }
}

/** A kernel's cost with its compute unit spanning `span` SLRs (only vit_block's: src/design/span.ts). */
function withSpan(k: KernelCost, params: AnyParams, shared: SharedParams, span: number, board: Board): KernelCost {
  if (span <= 1) return k;
  const crossingBits = vit.spanCrossingBits(params as VitParams, shared, span);
  const shares = spanShares(k.resources, k.slrs[0], span, crossingBits);
  return { ...k, span: { shares, crossingBits, local: spanHasLocalMemory(board, k.slrs[0], span) } };
}

export class Evaluator {
  readonly scorer: Scorer;
  readonly precision: Precision;
  evaluations = 0; // distinct genomes scored
  kernelEvaluations = 0; // kernel cost-model runs (cache misses)
  /** Scored genomes by a 30-bit hash of the genome (a bucket holds the rare collisions). */
  private readonly cache = new Map<number, Evaluated[]>();
  /** Mixed-radix weights: per kernel, the number of the genes its cost depends on. */
  private readonly kernelStride: Partial<Record<KernelName, number[]>>;
  private readonly kernelCostCache: Partial<Record<KernelName, Map<number, KernelCost>>> = {};
  private readonly kernelCache = new Map<string, { cycles: number; resources: KernelCost['resources'] }>();
  /** Kernel cycles by kernel parameters, shared parameters but the stream depth (cycleKey), and SLR. */
  private readonly cycleCache = new Map<string, number>();
  /** Kernel resources by kernel parameters and the shared parameters but the clock (neither the clock nor the SLR sizes anything). */
  private readonly resourceCache = new Map<string, KernelCost['resources']>();
  /** vit_block's cycles without its LayerNorms, by its parameters but norm_lanes (vitCycles). */
  private readonly vitCoreCache = new Map<string, number>();
  /** vit_block's expert phases, by its parameters but norm_lanes (vitExperts). */
  private readonly vitExpertCache = new Map<string, number>();
  readonly nSlr: number;
  private readonly clockGene: number;
  private readonly fixedClock: number;

  constructor(
    readonly space: Space,
    readonly opts: EvaluatorOptions,
  ) {
    this.precision = opts.precision ?? PRECISIONS.w16a32;
    this.nSlr = slrCount(space.board);
    const strides = (use: (name: string, kernel: string) => boolean) => {
      let w = 1;
      return space.genes.map((g) => {
        if (!use(g.name, g.kernel)) return 0;
        const s = w;
        w *= g.values.length;
        return s;
      });
    };
    // kernel costs are cached by the mixed-radix number of the genes they depend on (exact below 2^53)
    if (space.size > Number.MAX_SAFE_INTEGER)
      throw new Error(`search space of ${space.size} designs is too large to index`);
    const sharedShape = ['clock_mhz', 'axi_width_bits', 'stream_depth'];
    const forKernel = (k: KernelName) =>
      strides(
        (name, kernel) =>
          kernel === k ||
          sharedShape.includes(name) ||
          name === `placement.${k}` ||
          name === `compute_units.${k}` ||
          name === `span.${k}`,
      );
    this.kernelStride = Object.fromEntries(space.kernels.map((k) => [k, forKernel(k)]));
    for (const k of space.kernels) this.kernelCostCache[k] = new Map();
    const probe = space.decode(space.genes.map(() => 0));
    this.clockGene = space.genes.findIndex((g) => g.name === 'clock_mhz');
    this.fixedClock = probe.clockMhz;
    this.scorer = new Scorer(
      space.dims,
      space.board,
      opts.limits,
      opts.objective,
      {
        shared: this.shared(probe),
        routing: opts.routing,
        kernels: probe.kernels,
        placement: probe.placement,
        computeUnits: probe.computeUnits,
      },
      opts.powerLimitW,
    );
  }

  shared(c: Pick<Candidate, 'clockMhz' | 'axiWidthBits' | 'streamDepth'>): SharedParams {
    return {
      clockMhz: c.clockMhz,
      axiWidthBits: c.axiWidthBits,
      streamDepth: c.streamDepth,
      precision: this.precision,
    };
  }

  /** Cycles per image and resources of one kernel on one SLR (cached). */
  kernelFigure(
    kernel: KernelName,
    params: AnyParams,
    shared: SharedParams,
    slr: number,
  ): { cycles: number; resources: KernelCost['resources'] } {
    const paramsKey = `${kernel}|${Object.values(params).join(',')}`;
    const cycleKey = `${paramsKey}|${sharedCycleKey(shared)}|${slr}`;
    const key = `${cycleKey}|${shared.streamDepth}`;
    let f = this.kernelCache.get(key);
    if (!f) {
      this.kernelEvaluations++;
      const { dims, board } = this.space;
      const resourceKey = `${paramsKey}|${shared.axiWidthBits},${shared.weightPorts ?? 1},${shared.streamDepth}`;
      let resources = this.resourceCache.get(resourceKey);
      if (!resources) {
        resources = kernelResources(kernel, params, dims, shared, board);
        this.resourceCache.set(resourceKey, resources);
      }
      let cycles = this.cycleCache.get(cycleKey);
      if (cycles === undefined) {
        cycles =
          kernel === 'vit_block'
            ? this.vitCycles(params as VitParams, shared, slr)
            : kernelCycles(kernel, params, dims, shared, board, slr, this.opts.routing);
        this.cycleCache.set(cycleKey, cycles);
      }
      f = { cycles, resources };
      this.kernelCache.set(key, f);
    }
    return f;
  }

  /**
   * kernelCycles of vit_block, factored: norm_lanes changes only its LayerNorms (vit.normCycles)
   * and weight_fifo only its expert phases (vit.expertsCycles), so the rest (both halves' engine
   * passes and the attention: the costly part) is computed once for every value of those (test/search/search.test.ts, "the scorer agrees with the design estimate", checks it on fused designs).
   */
  vitCycles(params: VitParams, shared: SharedParams, slr: number): number {
    const { dims, board } = this.space;
    // every vit_block parameter but norm_lanes
    const core: VitParams = patchOnEngine(params) ? { ...vitMsaParams(params), patch_on_engine: true } : vitMsaParams(params);
    const key = `${Object.values(core).join(',')}|${sharedCycleKey(shared)}|${slr}`;
    let rest = this.vitCoreCache.get(key);
    if (rest === undefined) {
      rest =
        kernelCycles('vit_block', core, dims, shared, board, slr, this.opts.routing) -
        vit.normCycles(core, dims, shared, board, { slr }) -
        this.vitExperts(core, shared, slr, key);
      this.vitCoreCache.set(key, rest);
    }
    return rest + vit.normCycles(params, dims, shared, board, { slr }) + this.vitExperts(params, shared, slr, key);
  }

  /** vit_block's expert phases (every MoE block's) with `params`' weight_fifo, cached by the core's key. */
  private vitExperts(params: VitParams, shared: SharedParams, slr: number, coreKey: string): number {
    const { dims, board } = this.space;
    const key = `${coreKey}|${vitEngineFifos(params, dims).tiles}`;
    let t = this.vitExpertCache.get(key);
    if (t === undefined) {
      const routing = this.opts.routing;
      t = 0;
      let m = 0;
      let uniform: number | undefined;
      for (const isMoe of dims.moeBlocks) {
        if (!isMoe) continue;
        if (routing) t += vit.expertsCycles(params, dims, shared, board, { moe: true, slr, tokensPerExpert: routing.tokensPerExpert[m++] });
        else t += uniform ??= vit.expertsCycles(params, dims, shared, board, { moe: true, slr });
      }
      this.vitExpertCache.set(key, t);
    }
    return t;
  }

  /** KernelCost of a kernel with `units` compute units starting on SLR `first` (one spanning `span` SLRs). */
  kernelCost(
    kernel: KernelName,
    params: AnyParams,
    shared: SharedParams,
    first: number,
    units: number,
    span = 1,
  ): KernelCost {
    const slrs = cuSlrs(first, units, this.nSlr);
    const figs = slrs.map((s) => this.kernelFigure(kernel, params, shared, s));
    return withSpan({ cycles: figs.map((f) => f.cycles), slrs, resources: figs[0].resources, ports: 1 + kernelPortCount(shared, params) }, params, shared, span, this.space.board);
  }

  /** Like kernelCost, without filling the cache (the exhaustive search costs millions once each). */
  kernelCostUncached(
    kernel: KernelName,
    params: AnyParams,
    shared: SharedParams,
    first: number,
    units: number,
    span = 1,
  ): KernelCost {
    const { dims, board } = this.space;
    const slrs = cuSlrs(first, units, this.nSlr);
    const resources = kernelResources(kernel, params, dims, shared, board);
    const bySlr = new Map<number, number>();
    const cycles = slrs.map((s) => {
      let c = bySlr.get(s);
      if (c === undefined)
        bySlr.set(s, (c = kernelCycles(kernel, params, dims, shared, board, s, this.opts.routing)));
      return c;
    });
    return withSpan({ cycles, slrs, resources, ports: 1 + kernelPortCount(shared, params) }, params, shared, span, this.space.board);
  }

  scoreCandidate(c: Candidate): Scored {
    const shared = this.shared(c);
    const cost = (k: KernelName) =>
      this.kernelCost(k, c.kernels[k]!, shared, c.placement[k], k === 'patch_embed' ? 1 : c.computeUnits[k], k === 'patch_embed' ? 1 : c.span[k]);
    const pe = this.space.kernels[0] === 'patch_embed';
    return this.scorer.score(c.clockMhz, pe ? cost('patch_embed') : null, this.space.kernels.filter((k) => k !== 'patch_embed').map(cost));
  }

  private number(genome: number[], stride: number[]): number {
    let n = 0;
    for (let i = 0; i < genome.length; i++) n += genome[i] * stride[i];
    return n;
  }

  /** The KernelCost of one kernel for a genome (cached by the genes it depends on). */
  private genomeKernelCost(kernel: KernelName, genome: number[], decoded: { c?: Candidate }): KernelCost {
    const key = this.number(genome, this.kernelStride[kernel]!);
    const cache = this.kernelCostCache[kernel]!;
    let k = cache.get(key);
    if (!k) {
      const c = (decoded.c ??= this.space.decode(genome));
      const units = kernel === 'patch_embed' ? 1 : c.computeUnits[kernel];
      k = this.kernelCost(kernel, c.kernels[kernel]!, this.shared(c), c.placement[kernel], units, kernel === 'patch_embed' ? 1 : c.span[kernel]);
      cache.set(key, k);
    }
    return k;
  }

  /**
   * Scores a genome (cached). The evaluator keeps the array: callers pass a fresh one and do not
   * change it afterwards.
   */
  evaluate(genome: number[]): Evaluated {
    let h = 0;
    for (let i = 0; i < genome.length; i++) h = (Math.imul(h, 0x9e3779b1) + genome[i] + 1) | 0;
    h &= 0x3fffffff;
    const bucket = this.cache.get(h);
    if (bucket)
      for (const e of bucket) {
        let same = true;
        for (let i = 0; i < genome.length && same; i++) same = e.genome[i] === genome[i];
        if (same) return e;
      }
    this.evaluations++;
    const decoded: { c?: Candidate } = {};
    const kernels = this.space.kernels;
    const first = kernels[0] === 'patch_embed' ? 1 : 0; // the patches on vit_block's engine: no patch_embed
    const p = first ? this.genomeKernelCost('patch_embed', genome, decoded) : null;
    const blocks: KernelCost[] = [];
    for (let i = first; i < kernels.length; i++) blocks.push(this.genomeKernelCost(kernels[i], genome, decoded));
    const clock =
      this.clockGene < 0 ? this.fixedClock : this.space.genes[this.clockGene].values[genome[this.clockGene]];
    const e = this.scorer.score(clock, p, blocks) as Evaluated;
    e.genome = genome;
    if (bucket) bucket.push(e);
    else this.cache.set(h, [e]);
    return e;
  }

  /** Every genome scored so far. */
  all(): Evaluated[] {
    return [...this.cache.values()].flat();
  }
}
