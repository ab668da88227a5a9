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
import type { FfnParams, MsaParams, PatchEmbedParams } from '../src/kernels/params.js';
import type { Precision, SharedParams } from '../src/kernels/types.js';
import type { ModelDims } from '../src/model/config.js';
import { Scorer, type KernelCost, type Scored } from './objective.js';
import { cuSlrs } from '../src/design/estimate.js';
import { slrCount } from '../src/board/resources.js';
import type { Candidate, Objective, Space } from './space.js';

export interface Evaluated extends Scored {
  genome: number[];
}

export interface EvaluatorOptions {
  objective: Objective;
  limits: Limits;
  precision?: Precision;
  routing?: Routing;
}

/** Per-image cycles of msa (all blocks) and ffn (dense + MoE blocks) for given parameters. */
export function kernelCycles(
  kernel: 'patch_embed' | 'msa_block' | 'ffn_block',
  params: PatchEmbedParams | MsaParams | FfnParams,
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
  const p = params as FfnParams;
  let total = 0;
  let dense: number | undefined;
  let uniformMoe: number | undefined;
  let m = 0;
  for (const isMoe of dims.moeBlocks) {
    if (!isMoe) total += dense ??= ffn.cycles(p, dims, shared, board, { moe: false, slr }).cycles;
    else if (routing)
      total += ffn.cycles(p, dims, shared, board, {
        moe: true,
        slr,
        tokensPerExpert: routing.tokensPerExpert[m++],
      }).cycles;
    else total += uniformMoe ??= ffn.cycles(p, dims, shared, board, { moe: true, slr }).cycles;
  }
  return total;
}

export class Evaluator {
  readonly scorer: Scorer;
  readonly precision: Precision;
  evaluations = 0; // distinct genomes scored
  kernelEvaluations = 0; // kernel cost-model runs (cache misses)
  private readonly cache = new Map<string, Evaluated>();
  private readonly kernelCache = new Map<string, { cycles: number; resources: KernelCost['resources'] }>();
  readonly nSlr: number;

  constructor(
    readonly space: Space,
    readonly opts: EvaluatorOptions,
  ) {
    this.precision = opts.precision ?? PRECISIONS.w16a32;
    this.nSlr = slrCount(space.board);
    const probe = space.decode(space.genes.map(() => 0));
    this.scorer = new Scorer(space.dims, space.board, opts.limits, opts.objective, {
      shared: this.shared(probe),
      routing: opts.routing,
      kernels: probe.kernels,
      placement: probe.placement,
      computeUnits: probe.computeUnits,
    });
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
    kernel: 'patch_embed' | 'msa_block' | 'ffn_block',
    params: PatchEmbedParams | MsaParams | FfnParams,
    shared: SharedParams,
    slr: number,
  ): { cycles: number; resources: KernelCost['resources'] } {
    const key = `${kernel}|${Object.values(params).join(',')}|${shared.clockMhz},${shared.axiWidthBits},${shared.streamDepth}|${slr}`;
    let f = this.kernelCache.get(key);
    if (!f) {
      this.kernelEvaluations++;
      const { dims, board } = this.space;
      const resources =
        kernel === 'patch_embed'
          ? patch.resources(params as PatchEmbedParams, dims, shared, board)
          : kernel === 'msa_block'
            ? msa.resources(params as MsaParams, dims, shared, board)
            : ffn.resources(params as FfnParams, dims, shared, board);
      f = { cycles: kernelCycles(kernel, params, dims, shared, board, slr, this.opts.routing), resources };
      this.kernelCache.set(key, f);
    }
    return f;
  }

  /** KernelCost of a kernel with `units` compute units starting on SLR `first`. */
  kernelCost(
    kernel: 'patch_embed' | 'msa_block' | 'ffn_block',
    params: PatchEmbedParams | MsaParams | FfnParams,
    shared: SharedParams,
    first: number,
    units: number,
  ): KernelCost {
    const slrs = cuSlrs(first, units, this.nSlr);
    const figs = slrs.map((s) => this.kernelFigure(kernel, params, shared, s));
    return { cycles: figs.map((f) => f.cycles), slrs, resources: figs[0].resources };
  }

  /** Like kernelCost, without filling the cache (the exhaustive search costs millions once each). */
  kernelCostUncached(
    kernel: 'patch_embed' | 'msa_block' | 'ffn_block',
    params: PatchEmbedParams | MsaParams | FfnParams,
    shared: SharedParams,
    first: number,
    units: number,
  ): KernelCost {
    const { dims, board } = this.space;
    const slrs = cuSlrs(first, units, this.nSlr);
    const resources =
      kernel === 'patch_embed'
        ? patch.resources(params as PatchEmbedParams, dims, shared, board)
        : kernel === 'msa_block'
          ? msa.resources(params as MsaParams, dims, shared, board)
          : ffn.resources(params as FfnParams, dims, shared, board);
    const bySlr = new Map<number, number>();
    const cycles = slrs.map((s) => {
      let c = bySlr.get(s);
      if (c === undefined)
        bySlr.set(s, (c = kernelCycles(kernel, params, dims, shared, board, s, this.opts.routing)));
      return c;
    });
    return { cycles, slrs, resources };
  }

  scoreCandidate(c: Candidate): Scored {
    const shared = this.shared(c);
    return this.scorer.score(
      c.clockMhz,
      this.kernelCost('patch_embed', c.kernels.patch_embed, shared, c.placement.patch_embed, 1),
      this.kernelCost(
        'msa_block',
        c.kernels.msa_block,
        shared,
        c.placement.msa_block,
        c.computeUnits.msa_block,
      ),
      this.kernelCost(
        'ffn_block',
        c.kernels.ffn_block,
        shared,
        c.placement.ffn_block,
        c.computeUnits.ffn_block,
      ),
    );
  }

  evaluate(genome: number[]): Evaluated {
    const key = genome.join(',');
    let e = this.cache.get(key);
    if (!e) {
      this.evaluations++;
      e = { ...this.scoreCandidate(this.space.decode(genome)), genome: [...genome] };
      this.cache.set(key, e);
    }
    return e;
  }

  /** Every genome scored so far. */
  all(): Evaluated[] {
    return [...this.cache.values()];
  }
}
