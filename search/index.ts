/**
 * The two-stage search (a genetic algorithm, then a binary-search refinement), or an exhaustive
 * one, over design.yaml's parameters for one model and board. It asks the kernels (through the
 * design estimate) for cycles and resources; it never knows HLS syntax.
 */
import { slrCount } from '../src/board/resources.js';
import type { Board, Limits } from '../src/board/schema.js';
import { blockKernels, designKernels, PRECISIONS } from '../src/design/design.js';
import { estimate, type DesignEstimate, type Routing } from '../src/design/estimate.js';
import type { DesignFileInput } from '../src/design/schema.js';
import type { PRECISION_PRESETS } from '../src/design/schema.js';

type PrecisionPreset = (typeof PRECISION_PRESETS)[number];
import { modelDims, type ModelConfig } from '../src/model/config.js';
import type { BlockArchitecture } from '../src/kernels/params.js';
import { UserError } from '../src/util/errors.js';
import { formats } from '../src/kernels/cpp/formats.js';
import { patchOnEngineProblem } from '../src/kernels/cpp/vit_block.js';
import { Evaluator, type Evaluated } from './evaluate.js';
import { exhaustive } from './exhaustive.js';
import { DEFAULT_GA, restartSeed, runGa, type GaOptions } from './ga.js';
import { better, objectiveValue, OBJECTIVE_UNITS } from './objective.js';
import { paretoFront } from './pareto.js';
import { refine, type RefineResult, type RefineStep } from './refine.js';
import { Rng } from './rng.js';
import { buildSpace, type Candidate, type Objective, type Space } from './space.js';

export { OBJECTIVES, type Objective } from './space.js';

/**
 * Stage 2 refines this many of stage 1's best distinct designs and keeps the best result (24: 20/20
 * seeds within 1% of the exhaustive optimum on m3vit-tiny/zcu102 at ~0.8 s CPU; 8 gave 18/20).
 */
export const REFINE_STARTS = 24;

export interface SearchOptions {
  model: ModelConfig;
  modelRef: string | Record<string, unknown>; // what design.yaml names as its model
  board: Board; // limits already merged with --limit
  boardRef: string | Record<string, unknown>;
  objective: Objective;
  powerLimitW?: number; // --limit power=W: cap on the predicted board power
  seed: number;
  exhaustive?: boolean;
  clockMhz?: number;
  axiWidthBits?: number;
  streamDepth?: number;
  weightPorts?: number;
  /** the most SLRs the fused block's compute unit may span (default: all, where the board gives its SLLs; 1: none) */
  maxSpan?: number;
  /** the block architectures searched (default both: split and fused; the better design is chosen) */
  blocks?: BlockArchitecture[];
  /** where the patch embedding runs (default both: its own kernel, and with a fused block its engine where the precision allows) */
  patchEmbed?: PatchEmbedding;
  routing?: Routing;
  /** precision preset of every candidate (default w16a32) */
  precision?: PrecisionPreset;
  ga?: Partial<GaOptions>;
  onProgress?: (text: string) => void;
}

export interface SearchResult {
  designFile: DesignFileInput;
  candidate: Candidate;
  best: Evaluated;
  estimate: DesignEstimate;
  report: Record<string, unknown>;
  seconds: number;
  /** the Pareto front (latency, DSP) of the feasible designs looked at, as design files (ubimoe sweep --top) */
  front: Array<{ designFile: DesignFileInput; evaluated: Evaluated }>;
}

/** A short description of a candidate (for Pareto labels and logs). */
export function describeCandidate(c: Candidate): string {
  const k = c.kernels;
  const v = k.vit_block;
  // weight ports: one figure when every kernel has the same, else per kernel in call order
  const pe = k.patch_embed;
  const ports = [pe, ...(v ? [v] : [k.msa_block!, k.ffn_block!])].filter((p) => p !== undefined).map((p) => p.weight_ports ?? 1);
  const w = ports.every((p) => p === ports[0]) ? `${ports[0]}` : ports.join('/');
  // "pe on vit": the patch embedding runs on the fused block's engine (no patch_embed kernel)
  const head = `${c.clockMhz}MHz axi${c.axiWidthBits} w${w} pe ${pe ? `${pe.tile_in}x${pe.tile_out}` : 'on vit'}`;
  // "span 3": its compute unit across three SLRs
  const span = c.span.vit_block > 1 ? ` span ${c.span.vit_block}` : '';
  if (v) return `${head} vit ${v.tile_in}x${v.tile_out}x${v.token_lanes} attn ${v.q_parallel}x${v.key_block}${v.norm_lanes ? ` ln ${v.norm_lanes}` : ''}${(v.weight_fifo ?? 2) > 2 ? ` fifo ${v.weight_fifo}` : ''}${span}`;
  const m = k.msa_block!;
  const f = k.ffn_block!;
  return (
    `${head} msa ${m.tile_in}x${m.tile_out}x${m.token_lanes} attn ${m.q_parallel}x${m.key_block}` +
    ` ffn ${f.tile_in}x${f.tile_out}x${f.token_lanes}`
  );
}

/** The design.yaml content of a candidate. */
export function candidateDesignFile(
  c: Candidate,
  opts: Pick<SearchOptions, 'modelRef' | 'boardRef' | 'board' | 'precision'>,
): DesignFileInput {
  const multiSlr = slrCount(opts.board) > 1;
  const kernels = designKernels(c);
  const blocks = blockKernels(c);
  const replicated = blocks.some((k) => c.computeUnits[k] > 1);
  return {
    format: 'ubimoe-design/1',
    model: opts.modelRef,
    board: opts.boardRef,
    clock_mhz: c.clockMhz,
    axi_width_bits: c.axiWidthBits,
    stream_depth: c.streamDepth,
    precision: opts.precision ?? 'w16a32',
    kernels: c.kernels,
    ...(multiSlr ? { placement: Object.fromEntries(kernels.map((k) => [k, c.placement[k]])) as DesignFileInput['placement'] } : {}),
    ...(replicated
      ? { compute_units: Object.fromEntries(blocks.map((k) => [k, c.computeUnits[k]])) as DesignFileInput['compute_units'] }
      : {}),
    ...(c.span.vit_block > 1 ? { span: { vit_block: c.span.vit_block } } : {}),
  };
}

/** The cheapest genome: smallest kernel parameters, lowest clock, each kernel on its own SLR when there are several. */
function cheapestGenome(space: Space): number[] {
  const nSlr = slrCount(space.board);
  return space.genes.map((g) => {
    const k = space.kernels.map((n) => `placement.${n}`).indexOf(g.name);
    return k >= 0 ? Math.min(k % nSlr, g.values.length - 1) : 0;
  });
}

function estimateOf(space: Space, c: Candidate, opts: SearchOptions, limits: Limits): DesignEstimate {
  return estimate({
    dims: space.dims,
    board: space.board,
    shared: {
      clockMhz: c.clockMhz,
      axiWidthBits: c.axiWidthBits,
      streamDepth: c.streamDepth,
      precision: PRECISIONS[opts.precision ?? 'w16a32'],
    },
    kernels: c.kernels,
    placement: c.placement,
    computeUnits: c.computeUnits,
    span: c.span,
    limits,
    routing: opts.routing,
    powerLimitW: opts.powerLimitW,
  });
}

/** An architecture: the block's kernels, and with the fused block where the patches are embedded. */
export interface Architecture {
  block: BlockArchitecture;
  patchOnEngine: boolean;
}

/**
 * One architecture's search as plain data (a worker thread posts it back, search/parallel.ts):
 * its best design, every fitting design it scored, its counts and the stages' records.
 */
export interface ArchitectureRun extends Architecture {
  best: Evaluated;
  feasible: Evaluated[]; // the designs that fit, in the order they were scored
  evaluations: number;
  kernelEvaluations: number;
  history: Array<{ generation: number; best: number; overflow: number; evaluations: number; population?: number }>;
  steps: RefineStep[];
  exhaustiveInfo?: Record<string, unknown>;
}

/** The block architectures searched by default: both, the better one chosen. */
export const BLOCK_ARCHITECTURES: BlockArchitecture[] = ['split', 'fused'];

/** Where the patch embedding may run: its own kernel, the fused block's engine, or either (each searched). */
export type PatchEmbedding = 'kernel' | 'engine' | 'both';
export const PATCH_EMBEDDINGS: PatchEmbedding[] = ['kernel', 'engine', 'both'];

/**
 * The spaces searched, one per architecture: each block architecture with a patch_embed kernel,
 * and the fused block with the patches on its engine where the precision allows it (the patch
 * weights in the engine's format, or split into its digits: cpp/vit_block.ts patchWeightsOnEngine)
 * and `patch` asks for it.
 */
export function searchArchitectures(
  blocks: BlockArchitecture[],
  patch: PatchEmbedding,
  precision: string,
  tileIn = 1,
): Architecture[] {
  const problem = patchOnEngineProblem(formats(PRECISIONS[precision]), tileIn);
  const engineOk = problem === null;
  const out: Architecture[] = [];
  // (engine asks for designs without a patch_embed kernel: the split block has none of those)
  for (const block of blocks) {
    if (patch !== 'engine') out.push({ block, patchOnEngine: false });
    if (block === 'fused' && patch !== 'kernel' && engineOk) out.push({ block, patchOnEngine: true });
  }
  if (out.length === 0)
    throw new UserError(
      engineOk
        ? "--patch-embed engine: the patch embedding runs on the fused block's engine only (--block fused or both)"
        : `--patch-embed engine: the engine cannot take ${precision}'s patch weights: ${problem}`,
    );
  return out;
}

const archName = (a: Architecture) => `${a.block} block${a.patchOnEngine ? ' (patches on its engine)' : ''}`;

/** The architectures a search runs (the options' blocks and patch embedding, where they apply). */
export const architecturesOf = (opts: SearchOptions): Architecture[] =>
  searchArchitectures(opts.blocks ?? BLOCK_ARCHITECTURES, opts.patchEmbed ?? 'both', opts.precision ?? 'w16a32');

/** An architecture's space for these options (deterministic: a worker and the main thread build the same). */
export function architectureSpace(opts: SearchOptions, arch: Architecture): Space {
  return buildSpace(modelDims(opts.model), opts.board, {
    objective: opts.objective,
    clockMhz: opts.clockMhz,
    axiWidthBits: opts.axiWidthBits,
    streamDepth: opts.streamDepth,
    weightPorts: opts.weightPorts,
    maxSpan: opts.maxSpan,
    block: arch.block,
    patchOnEngine: arch.patchOnEngine,
  });
}

/**
 * One architecture's search (`tagAll`: several are searched, progress names this one); a string
 * when the board has no room for even its cheapest design (why).
 */
export function searchArchitecture(opts: SearchOptions, arch: Architecture, tagAll: boolean): ArchitectureRun | string {
  const { block, patchOnEngine } = arch;
  const dims = modelDims(opts.model);
  const limits = opts.board.limits;
  const space = architectureSpace(opts, arch);
  const ev = new Evaluator(space, {
    objective: opts.objective,
    limits,
    routing: opts.routing,
    precision: PRECISIONS[opts.precision ?? 'w16a32'],
    powerLimitW: opts.powerLimitW,
  });
  const tag = tagAll ? `${archName(arch)}: ` : '';

  // bad input first: a board with no room for even the cheapest design
  const cheapest = cheapestGenome(space);
  const floor = ev.evaluate(cheapest);
  if (floor.overflow > 0) {
    const e = estimateOf(space, space.decode(cheapest), opts, limits);
    const memory = e.violations.some((v) => /^(bram18|uram)/.test(v))
      ? ` (its on-chip token buffers do not shrink with the tiling: ${dims.numTokens} tokens × ${dims.D} × 32-bit per buffer; a smaller model or a bigger board is needed)`
      : '';
    return `board ${opts.board.name} has no room for even the smallest ${opts.model.name} design${tagAll ? ` with a ${archName(arch)}` : ''} (all tiles 1, 1 lane, attention 1×1, ${space.decode(cheapest).clockMhz} MHz): ${e.violations.join('; ')}${memory}`;
  }

  let best: Evaluated;
  const history: ArchitectureRun['history'] = [];
  let steps: RefineStep[] = [];
  let exhaustiveInfo: Record<string, unknown> | undefined;
  if (opts.exhaustive) {
    opts.onProgress?.(`${tag}exhaustive search over ${space.size.toExponential(2)} designs…`);
    const r = exhaustive(ev);
    best = r.best;
    exhaustiveInfo = {
      points: r.points,
      kernel_configurations: r.kernelConfigurations,
      combinations: r.combinations,
    };
  } else {
    const gaOpts: GaOptions = { ...DEFAULT_GA, ...opts.ga };
    // stage 1 from several random starts; stage 2 refines the best distinct designs of each
    const perRestart = REFINE_STARTS;
    const starts: Evaluated[] = [];
    for (let i = 0; i < gaOpts.restarts; i++) {
      const gaTag = `${tag}${gaOpts.restarts > 1 ? `stage 1 population ${i + 1}/${gaOpts.restarts}, ` : 'stage 1 '}`;
      const ga = runGa(ev, new Rng(restartSeed(opts.seed, i)), {
        ...gaOpts,
        onGeneration: (g, b) =>
          opts.onProgress?.(
            `${gaTag}generation ${g}/${gaOpts.generations}: best ${objectiveValue(opts.objective, b).toPrecision(5)} ${OBJECTIVE_UNITS[opts.objective]}${b.overflow > 0 ? ' (does not fit yet)' : ''}`,
          ),
      }, [cheapest]);
      history.push(...ga.history.map((h) => ({ ...h, population: i })));
      starts.push(ga.best, ...ga.finalists.slice(1, perRestart)); // finalists[0] is the best
    }
    opts.onProgress?.(`${tag}stage 2: refining the bottleneck kernels…`);
    // (populations often end in the same designs: each is refined once)
    const seen = new Set<string>();
    let r: RefineResult | undefined;
    for (const start of starts) {
      const key = start.genome.join(',');
      if (seen.has(key)) continue;
      seen.add(key);
      const alt = refine(ev, start);
      if (!r || better(alt.best, r.best)) r = alt;
    }
    best = r!.best;
    steps = r!.steps;
  }
  return {
    block,
    patchOnEngine,
    best,
    feasible: ev.all().filter((e) => e.overflow === 0),
    evaluations: ev.evaluations,
    kernelEvaluations: ev.kernelEvaluations,
    history,
    steps,
    exhaustiveInfo,
  };
}

/**
 * Runs the search: each architecture in its own space (its own genes), one after the other here
 * (search/parallel.ts runs them on worker threads), the best design kept.
 */
export function runSearch(opts: SearchOptions): SearchResult {
  const t0 = performance.now();
  const archs = architecturesOf(opts);
  return assembleSearch(
    opts,
    archs.map((a) => searchArchitecture(opts, a, archs.length > 1)),
    t0,
  );
}

/** The search's result from its architectures' runs (in the architectures' order) or their refusals. */
export function assembleSearch(opts: SearchOptions, results: Array<ArchitectureRun | string>, t0: number): SearchResult {
  const limits = opts.board.limits;
  const runs = results.filter((r): r is ArchitectureRun => typeof r !== 'string');
  const refusals = results.filter((r): r is string => typeof r === 'string');
  if (runs.length === 0) throw new UserError(refusals.join('; '));
  const run = runs.reduce((a, b) => (better(b.best, a.best) ? b : a));
  const { best, history, steps } = run;
  const spaces = new Map(runs.map((r) => [r, architectureSpace(opts, r)]));
  const space = spaces.get(run)!;
  // --exhaustive covers every architecture's space: the figures summed over them
  const sum = (key: string) => runs.reduce((a, r) => a + Number(r.exhaustiveInfo?.[key] ?? 0), 0);
  const exhaustiveInfo = run.exhaustiveInfo
    ? { points: sum('points'), kernel_configurations: sum('kernel_configurations'), combinations: sum('combinations') }
    : undefined;
  if (best.overflow > 0)
    throw new UserError(`search found no design that fits board ${opts.board.name}'s limits`);

  const candidate = space.decode(best.genome);
  const est = estimateOf(space, candidate, opts, limits);
  const seconds = (performance.now() - t0) / 1000;
  // every architecture's feasible designs (each decoded by its own space)
  const spaceOf = new Map<Evaluated, Space>();
  for (const r of runs) for (const e of r.feasible) spaceOf.set(e, spaces.get(r)!);
  const feasible = [...spaceOf.keys()];
  const decode = (e: Evaluated) => spaceOf.get(e)!.decode(e.genome);
  const point = (e: Evaluated) => ({
    latency_ms: e.latencyMs,
    dsp: e.dsp,
    label: describeCandidate(decode(e)),
  });
  const front = paretoFront(feasible);
  // the report lists at most this many evaluated designs (every k-th, deterministic)
  const cap = 2000;
  const stride = Math.max(1, Math.ceil(feasible.length / cap));
  const report = {
    format: 'ubimoe-search/1',
    note: 'all figures are predicted by the ubimoe cost model (docs/cost-model.md)',
    objective: opts.objective,
    objective_unit: OBJECTIVE_UNITS[opts.objective],
    score_unit:
      opts.objective === 'latency'
        ? 'ms'
        : opts.objective === 'throughput'
          ? 'ms per image (1000 / images/s)'
          : opts.objective === 'energy'
            ? 'J per image (latency breaks ties)'
            : 'DSP per GOPS',
    seed: opts.seed,
    model: opts.model.name,
    board: opts.board.name,
    limits,
    ...(opts.powerLimitW !== undefined ? { power_limit_w: opts.powerLimitW } : {}),
    method: opts.exhaustive ? 'exhaustive' : 'two-stage (genetic algorithm, then binary-search refinement)',
    block: run.block,
    patch_on_engine: run.patchOnEngine,
    architectures: runs.map((r) => ({
      block: r.block,
      patch_on_engine: r.patchOnEngine,
      space_size: spaces.get(r)!.size,
      best_objective: r.best.overflow === 0 ? objectiveValue(opts.objective, r.best) : null,
      label: describeCandidate(spaces.get(r)!.decode(r.best.genome)),
      evaluations: r.evaluations,
    })),
    space: { size: space.size, genes: space.genes.map((g) => ({ name: g.name, values: g.values })) },
    seconds,
    evaluations: runs.reduce((a, r) => a + r.evaluations, 0),
    kernel_evaluations: runs.reduce((a, r) => a + r.kernelEvaluations, 0),
    stage1: { history },
    stage2: { steps },
    ...(exhaustiveInfo ? { exhaustive: exhaustiveInfo } : {}),
    chosen: {
      ...point(best),
      objective: objectiveValue(opts.objective, best),
      images_per_s: best.imagesPerSecond,
      gops: best.gops,
    },
    pareto: front.map(point),
    evaluated: feasible.filter((_, i) => i % stride === 0).map(point),
  };
  return {
    designFile: candidateDesignFile(candidate, opts),
    candidate,
    best,
    estimate: est,
    report,
    seconds,
    front: front.map((e) => ({
      designFile: candidateDesignFile(decode(e), opts),
      evaluated: e,
    })),
  };
}
