import { describe, expect, test } from '@jest/globals';
import { loadBoard } from '../../src/board/load.js';
import type { Board } from '../../src/board/schema.js';
import { PRECISIONS, resolveDesign } from '../../src/design/design.js';
import { estimate } from '../../src/design/estimate.js';
import { validateDesign } from '../../src/design/validate.js';
import * as ffnCpp from '../../src/kernels/cpp/ffn_block.js';
import * as msaCpp from '../../src/kernels/cpp/msa_block.js';
import * as patchCpp from '../../src/kernels/cpp/patch_embed.js';
import { loadModel, modelDims } from '../../src/model/config.js';
import { Evaluator } from '../../search/evaluate.js';
import { exhaustive } from '../../search/exhaustive.js';
import { runSearch, searchArchitectures, type SearchOptions } from '../../search/index.js';
import { DEFAULT_GA } from '../../search/ga.js';
import { parseLimits, parseObjective } from '../../search/options.js';
import { better } from '../../search/objective.js';
import { paretoFront } from '../../search/pareto.js';
import { Rng } from '../../search/rng.js';
import { buildSpace, legalKernelValues } from '../../search/space.js';
import { runSearchCompiled, type CompiledSearch } from './compiled.js';
import { tinyBoard } from './helpers.js';

const micro = loadModel('micro');
const tiny = (over: Partial<SearchOptions> = {}): SearchOptions => ({
  model: micro,
  modelRef: 'micro',
  board: tinyBoard(),
  boardRef: 'tiny',
  objective: 'latency',
  seed: 1,
  clockMhz: 200,
  axiWidthBits: 128,
  streamDepth: 64,
  blocks: ['split'], // the search's mechanics on one architecture; both are searched in 'block architecture'
  ...over,
});

describe('search space', () => {
  test('every legal value is one the kernels accept', () => {
    for (const name of ['micro', 'm3vit-tiny', 'm3vit-small', 'vit-tiny']) {
      const dims = modelDims(loadModel(name));
      const v = legalKernelValues(dims);
      const first = (k: string) => v[k][0];
      for (const [gene, values] of Object.entries(v))
        for (const x of values) {
          const [, kernel, param] = gene.split('.');
          const params = Object.fromEntries(
            Object.keys(v)
              .filter((g) => g.split('.')[1] === kernel)
              .map((g) => [g.split('.')[2], first(g)]),
          );
          params[param] = x;
          const validate =
            kernel === 'patch_embed'
              ? patchCpp.validate
              : kernel === 'msa_block'
                ? msaCpp.validate
                : ffnCpp.validate;
          expect(() => validate(params as never, dims)).not.toThrow();
        }
      expect(v['kernels.msa_block.tile_out'].every((t) => dims.D % t === 0 && (t & (t - 1)) === 0)).toBe(
        true,
      );
    }
  });

  test("no kernel's cycles depend on the stream depth, nor its resources on the clock or SLR (the evaluator's caches)", () => {
    const rng = new Rng(5);
    for (const [board, block, patchOnEngine] of [
      ['zcu102', 'split', false],
      ['zcu102', 'fused', true],
      ['u280', 'fused', false],
    ] as const) {
      const b = loadBoard(board);
      const dims = modelDims(loadModel('m3vit-tiny'));
      const space = buildSpace(dims, b, { objective: 'latency', block, patchOnEngine });
      for (let i = 0; i < 12; i++) {
        const c = space.decode(space.genes.map((g) => rng.int(g.values.length)));
        const at = (streamDepth: number, clockMhz = c.clockMhz, placement = c.placement) =>
          estimate({
            dims,
            board: b,
            shared: { clockMhz, axiWidthBits: c.axiWidthBits, streamDepth, precision: PRECISIONS.w16a32 },
            kernels: c.kernels,
            placement,
            computeUnits: c.computeUnits,
            span: c.span,
          });
        const cycles = (e: ReturnType<typeof at>) => e.kernels.map((k) => [k.name, k.cycles, k.parts]);
        const resources = (e: ReturnType<typeof at>) => e.kernels.map((k) => [k.name, k.resourcesPerCu]);
        const base = at(16);
        for (const depth of [32, 256]) expect(cycles(at(depth))).toEqual(cycles(base));
        for (const clock of b.clocks_mhz.allowed) expect(resources(at(16, clock))).toEqual(resources(base));
        const moved = Object.fromEntries(Object.keys(c.placement).map((k) => [k, 0])) as typeof c.placement;
        expect(resources(at(16, c.clockMhz, moved))).toEqual(resources(base));
      }
    }
  });

  test('the scorer agrees with the design estimate (latency, throughput, DSP, fit), fused designs too', () => {
    const rng = new Rng(3);
    // (fused: the evaluator caches vit_block's cycles apart from its LayerNorms, across norm_lanes)
    // (patch on engine: no patch_embed kernel, its pass in vit_block's call, one call per image)
    for (const [board, objective, block, patchOnEngine] of [
      ['zcu102', 'latency', 'split', false],
      ['u280', 'throughput', 'split', false],
      ['u50', 'dsp-efficiency', 'split', false],
      ['zcu102', 'latency', 'fused', false],
      ['u280', 'throughput', 'fused', false],
      ['zcu102', 'latency', 'fused', true],
      ['u280', 'throughput', 'fused', true],
      ['u280', 'latency', 'fused', true], // (span: vit_block across SLRs)
    ] as const) {
      const b = loadBoard(board);
      const dims = modelDims(loadModel('m3vit-tiny'));
      const space = buildSpace(dims, b, { objective, block, patchOnEngine });
      const ev = new Evaluator(space, { objective, limits: b.limits });
      for (let i = 0; i < 25; i++) {
        const genome = space.genes.map((g) => rng.int(g.values.length));
        const s = ev.evaluate(genome);
        const c = space.decode(genome);
        const e = estimate({
          dims,
          board: b,
          shared: {
            clockMhz: c.clockMhz,
            axiWidthBits: c.axiWidthBits,
            streamDepth: c.streamDepth,
            precision: PRECISIONS.w16a32,
          },
          kernels: c.kernels,
          placement: c.placement,
          computeUnits: c.computeUnits,
          span: c.span,
        });
        expect(s.latencyMs).toBeCloseTo(e.latencyMs, 9);
        expect(s.imagesPerSecond / e.imagesPerSecond).toBeCloseTo(1, 9);
        expect(s.dsp).toBeCloseTo(e.resources.dsp, 6); // (a spanning kernel's shares sum to it up to rounding)
        expect(s.overflow).toBeCloseTo(e.overflow, 9);
        expect(s.overflow === 0).toBe(e.fits);
      }
    }
  });

  test('weight_fifo: a gene of the fused block; of designs equal but for it, the leaner one scores better', () => {
    const b = loadBoard('u280');
    const dims = modelDims(loadModel('m3vit-tiny'));
    const space = buildSpace(dims, b, { objective: 'latency', block: 'fused', patchOnEngine: true });
    const gene = space.genes.findIndex((g) => g.name === 'kernels.vit_block.weight_fifo');
    expect(space.genes[gene].values).toEqual([2, 512, 1024, 2048]);
    const ev = new Evaluator(space, { objective: 'latency', limits: b.limits });
    const rng = new Rng(5);
    let ties = 0;
    for (let i = 0; i < 20; i++) {
      const genome = space.genes.map((g) => rng.int(g.values.length));
      const at = (v: number) => ev.evaluate(genome.map((x, j) => (j === gene ? v : x)));
      const [s512, s2048] = [at(1), at(3)];
      // (uniform routing's representative experts are balanced: 512 tiles already bank what pays)
      expect(s2048.latencyMs).toBeLessThanOrEqual(s512.latencyMs);
      if (s512.overflow === 0 && s2048.overflow === 0 && s512.score === s2048.score) {
        ties++;
        expect(better(s512, s2048)).toBe(true);
        expect(better(s2048, s512)).toBe(false);
      }
    }
    expect(ties).toBeGreaterThan(0);
  });
});

describe('two-stage search', () => {
  test('deterministic for a seed; the design fits, resolves and validates', () => {
    const a = runSearch(tiny({ seed: 7 }));
    const b = runSearch(tiny({ seed: 7 }));
    expect(b.designFile).toEqual(a.designFile);
    expect(b.report.stage1).toEqual(a.report.stage1);
    expect(a.estimate.fits).toBe(true);
    const d = resolveDesign({ ...a.designFile, board: tinyBoard() }, 'searched design');
    expect(() => validateDesign(d)).not.toThrow();
    // each population's best never gets worse from one generation to the next
    const history = (a.report.stage1 as { history: Array<{ best: number; population: number }> }).history;
    expect(new Set(history.map((h) => h.population)).size).toBe(DEFAULT_GA.restarts);
    for (let i = 1; i < history.length; i++)
      if (history[i].population === history[i - 1].population)
        expect(history[i].best).toBeLessThanOrEqual(history[i - 1].best);
  });

  test('stage 2 never worsens stage 1; the report has history, steps, a Pareto front and the time', () => {
    const r = runSearch(tiny({ seed: 2 }));
    const history = (r.report.stage1 as { history: Array<{ best: number }> }).history;
    expect(r.best.score).toBeLessThanOrEqual(Math.min(...history.map((h) => h.best)));
    const front = r.report.pareto as Array<{ latency_ms: number; dsp: number }>;
    expect(front.length).toBeGreaterThan(0);
    for (let i = 1; i < front.length; i++) {
      expect(front[i].dsp).toBeGreaterThan(front[i - 1].dsp);
      expect(front[i].latency_ms).toBeLessThan(front[i - 1].latency_ms);
    }
    expect(r.report.seconds).toBeGreaterThan(0);
  });

  test('more populations: never a worse design than the first population alone (same seed), sometimes a better one', () => {
    // a deliberately weak GA (8 designs, 3 generations), so one population often ends off the optimum
    const weak = { population: 8, generations: 3, stall: 3 };
    let better = 0;
    for (const seed of [1, 2, 3, 4]) {
      const one = runSearchCompiled(tiny({ seed, ga: { ...weak, restarts: 1 } }));
      const four = runSearchCompiled(tiny({ seed, ga: { ...weak, restarts: 4 } }));
      expect(four.best.score).toBeLessThanOrEqual(one.best.score);
      if (four.best.score < one.best.score) better++;
      expect(four.report.evaluations as number).toBeGreaterThan(one.report.evaluations as number);
    }
    expect(better).toBeGreaterThan(0);
  });

  test('exhaustive search is the optimum; the two-stage search comes within 3% of it on micro', () => {
    const ex = runSearchCompiled(tiny({ exhaustive: true }));
    for (const seed of [1, 2]) {
      const r = runSearchCompiled(tiny({ seed }));
      expect(r.best.score).toBeGreaterThanOrEqual(ex.best.score - 1e-12);
      expect(r.best.score / ex.best.score - 1).toBeLessThan(0.03);
    }
  });

  test('objectives: throughput may replicate kernels, dsp-efficiency runs', () => {
    const t = runSearchCompiled({
      model: loadModel('m3vit-tiny'),
      modelRef: 'm3vit-tiny',
      board: loadBoard('u280'),
      boardRef: 'u280',
      objective: 'throughput',
      seed: 1,
      ga: { population: 30, generations: 10, restarts: 1 },
      blocks: ['split'],
    });
    expect(t.estimate.fits).toBe(true);
    expect(t.estimate.imagesPerSecond).toBeGreaterThan(0);
    const d = runSearchCompiled(tiny({ objective: 'dsp-efficiency', ga: { population: 30, generations: 10, restarts: 1 } }));
    expect(d.estimate.fits).toBe(true);
  });

  test('m3vit-tiny on zcu102 and u280: designs that fit; the bigger board gets the faster design; both fuse the block and embed the patches on its engine, u280 across its SLRs', () => {
    const latency: Record<string, number> = {};
    const chosen: Record<string, CompiledSearch> = {};
    for (const board of ['zcu102', 'u280']) {
      const r = runSearchCompiled({
        model: loadModel('m3vit-tiny'),
        modelRef: 'm3vit-tiny',
        board: loadBoard(board),
        boardRef: board,
        objective: 'latency',
        seed: 1,
        ga: { restarts: 1 }, // (what the search finds is the subject of bench/architecture-figures.mjs)
      });
      expect(r.estimate.fits).toBe(true);
      // (its time is a benchmark figure: bench/search.bench.mjs)
      latency[board] = r.estimate.latencyMs;
      chosen[board] = r;
    }
    expect(latency.u280).toBeLessThan(latency.zcu102);
    // zcu102 (one die, LUT-bound): one engine for both halves of the block, busy all the time,
    // beats two engines each idle half the time, and the patch embedding on that engine beats a
    // patch_embed kernel of its own (its MACs, patch array and port go to the engine); its
    // weights (the experts' too) through more than one HP port
    const z = chosen.zcu102.designFile.kernels;
    expect(z.vit_block).toBeDefined();
    expect(z.msa_block).toBeUndefined();
    expect(z.patch_embed).toBeUndefined();
    expect(z.vit_block!.patch_on_engine).toBe(true);
    expect(z.vit_block!.weight_ports!).toBeGreaterThan(1);
    const zArchs = chosen.zcu102.report.architectures as Array<{ patch_on_engine: boolean; best_objective: number }>;
    expect(zArchs.map((a) => a.patch_on_engine)).toEqual([false, false, true]);
    expect(zArchs[2].best_objective).toBeLessThan(Math.min(zArchs[0].best_objective, zArchs[1].best_objective));
    // u280 (three SLRs): the fused kernel spans them (one engine larger than an SLR, at the
    // clock an SLL hop in the period allows) and beats the split kernels on an SLR each
    const u = chosen.u280.designFile;
    expect(u.kernels.vit_block?.patch_on_engine).toBe(true);
    expect(u.span?.vit_block).toBeGreaterThan(1);
    // and a deep weight FIFO (its experts weight-bound at few tokens, compute-bound at many)
    expect(u.kernels.vit_block?.weight_fifo).toBeGreaterThan(2);
    expect(chosen.u280.report.block).toBe('fused');
    expect(chosen.u280.estimate.fmaxMhz).toBeGreaterThanOrEqual(u.clock_mhz);
    const archs = chosen.u280.report.architectures as Array<{ block: string; patch_on_engine: boolean; best_objective: number }>;
    expect(archs.map((a) => `${a.block}${a.patch_on_engine ? ' pe' : ''}`)).toEqual(['split', 'fused', 'fused pe']);
    expect(archs[2].best_objective).toBeLessThan(Math.min(archs[0].best_objective, archs[1].best_objective));
  });

  test('block architecture: each searched in its own space, the better design kept; exhaustive over the fused one', () => {
    const ga = { restarts: 1 };
    const both = runSearchCompiled(tiny({ blocks: ['split', 'fused'], patchEmbed: 'kernel', ga }));
    const split = runSearchCompiled(tiny({ blocks: ['split'], ga }));
    const fused = runSearchCompiled(tiny({ blocks: ['fused'], patchEmbed: 'kernel', ga }));
    expect(both.best.score).toBe(Math.min(split.best.score, fused.best.score));
    expect(both.designFile).toEqual(split.best.score <= fused.best.score ? split.designFile : fused.designFile);
    // the fused space: vit_block's genes, no msa_block / ffn_block ones
    const genes = (fused.report.space as { genes: Array<{ name: string }> }).genes.map((g) => g.name);
    expect(genes.some((g) => g.startsWith('kernels.vit_block.'))).toBe(true);
    expect(genes.some((g) => /msa_block|ffn_block/.test(g))).toBe(false);
    expect(Object.keys(fused.designFile.kernels)).toEqual(['patch_embed', 'vit_block']);
    expect(() => validateDesign(resolveDesign({ ...fused.designFile, board: tinyBoard() }, 'fused'))).not.toThrow();
    // the two-stage search at its default budget against the exhaustive optimum of the fused space
    const ex = runSearchCompiled(tiny({ blocks: ['fused'], exhaustive: true }));
    const fusedDefault = runSearchCompiled(tiny({ blocks: ['fused'] }));
    expect(fusedDefault.best.score).toBeGreaterThanOrEqual(ex.best.score - 1e-12);
    expect(fusedDefault.best.score / ex.best.score - 1).toBeLessThan(0.03);
  });

  test('the patches on the fused engine: a space of its own (vit_block alone, tile_in dividing C·P·P), searched beside the others; exhaustive over it', () => {
    const ga = { restarts: 1 };
    const all = runSearchCompiled(tiny({ blocks: ['split', 'fused'], ga }));
    const archs = all.report.architectures as Array<{ block: string; patch_on_engine: boolean; best_objective: number }>;
    expect(archs.map((a) => `${a.block}${a.patch_on_engine ? ' pe' : ''}`)).toEqual(['split', 'fused', 'fused pe']);
    expect(all.best.score).toBe(Math.min(...archs.map((a) => a.best_objective)));
    const engine = runSearchCompiled(tiny({ blocks: ['fused'], patchEmbed: 'engine', ga }));
    expect(engine.best.score).toBe(archs[2].best_objective);
    expect(Object.keys(engine.designFile.kernels)).toEqual(['vit_block']);
    expect(engine.designFile.kernels.vit_block!.patch_on_engine).toBe(true);
    expect(engine.designFile.placement ?? {}).not.toHaveProperty('patch_embed');
    const genes = (engine.report.space as { genes: Array<{ name: string; values: number[] }> }).genes;
    expect(genes.some((g) => g.name.includes('patch_embed'))).toBe(false);
    const tileIn = genes.find((g) => g.name === 'kernels.vit_block.tile_in')?.values ?? [];
    expect(tileIn.every((t) => modelDims(micro).patchInputs % t === 0)).toBe(true);
    expect(() => validateDesign(resolveDesign({ ...engine.designFile, board: tinyBoard() }, 'engine'))).not.toThrow();
    const ex = runSearchCompiled(tiny({ blocks: ['fused'], patchEmbed: 'engine', exhaustive: true }));
    const engineDefault = runSearchCompiled(tiny({ blocks: ['fused'], patchEmbed: 'engine' }));
    expect(engineDefault.best.score).toBeGreaterThanOrEqual(ex.best.score - 1e-12);
    expect(engineDefault.best.score / ex.best.score - 1).toBeLessThan(0.03);
    // w8a8 too (its 16-bit patch weights as two passes of 8-bit digits)
    expect(searchArchitectures(['split', 'fused'], 'both', 'w8a8')).toEqual([
      { block: 'split', patchOnEngine: false },
      { block: 'fused', patchOnEngine: false },
      { block: 'fused', patchOnEngine: true },
    ]);
    expect(searchArchitectures(['split', 'fused'], 'engine', 'w16a32')).toEqual([{ block: 'fused', patchOnEngine: true }]);
    expect(() => searchArchitectures(['split'], 'engine', 'w16a32')).toThrow(/--patch-embed engine: .*only \(--block fused or both\)/);
  });

  test('weight_ports, one gene per kernel: the values the board allows; one channel in the kernel memory: one port', () => {
    const dims = modelDims(loadModel('m3vit-tiny'));
    const kernels = ['patch_embed', 'msa_block', 'ffn_block'] as const;
    const genes = (b: Board, opts = {}) =>
      kernels.map((k) => buildSpace(dims, b, { objective: 'latency', ...opts }).genes.find((g) => g.name === `kernels.${k}.weight_ports`));
    for (const g of genes(loadBoard('zcu102'))) expect(g!.values).toEqual([1, 2, 4]);
    for (const g of genes(tinyBoard())) expect(g!.values).toEqual([1, 2]); // two DDR channels
    expect(genes(loadBoard('zcu102'), { weightPorts: 2 })).toEqual([undefined, undefined, undefined]); // fixed for all
    const one = tinyBoard({ memory: [{ kind: 'ddr', bank_prefix: 'DDR', count: 1, gbps_each: 12.8, axi_width_bits: 128 }] });
    expect(genes(one)).toEqual([undefined, undefined, undefined]); // fixed
    const r = runSearch(tiny({ board: one }));
    for (const k of kernels) expect(r.designFile.kernels[k].weight_ports).toBe(1);
    expect(() => buildSpace(dims, one, { objective: 'latency', weightPorts: 2 })).toThrow(/--weight-ports 2: board tiny allows 1/);
  });
});

describe('bad input', () => {
  test('a board with no room for even the smallest design: what does not fit and by how much', () => {
    expect(() =>
      runSearch(
        tiny({ board: tinyBoard({ resources: { dsp: 20, bram18: 400, uram: 0, lut: 200000, ff: 400000 } }) }),
      ),
    ).toThrow(
      /board tiny has no room for even the smallest micro design .*dsp: needs \d+, limit 16 \(80% of 20\), over by \d+/,
    );
  });

  test('a model too large for any tiling names its on-chip token buffers', () => {
    expect(() =>
      runSearch({
        model: loadModel('m3vit-small'),
        modelRef: 'm3vit-small',
        board: loadBoard('kv260'),
        boardRef: 'kv260',
        objective: 'latency',
        seed: 1,
      }),
    ).toThrow(
      /no room for even the smallest m3vit-small design.*(bram18|uram): needs \d+, limit \d+ .*over by \d+.*on-chip token buffers do not shrink with the tiling: 197 tokens × 384/,
    );
  });

  test('limits: contradictory, unknown, out of range', () => {
    const b = loadBoard('zcu102');
    expect(parseLimits('dsp=0.6,bram=70%', b)).toMatchObject({ dsp: 0.6, bram18: 0.7, lut: 0.7 });
    expect(() => parseLimits('dsp=0.6,dsp=0.7', b)).toThrow(
      /--limit: contradictory limits for dsp: 0.6 and 0.7/,
    );
    expect(() => parseLimits('dsps=0.6', b)).toThrow(/unknown resource 'dsps'/);
    expect(() => parseLimits('dsp=1.5', b)).toThrow(/dsp=1.5 must be a fraction in \(0, 1\]/);
    expect(() => parseLimits('dsp', b)).toThrow(/'dsp' is not key=value/);
    expect(() => parseObjective('speed')).toThrow(
      /--objective: 'speed' is not one of latency, throughput, dsp-efficiency/,
    );
  });

  test('--exhaustive refuses a space too large to enumerate', () => {
    const b = loadBoard('u280');
    const space = buildSpace(modelDims(loadModel('m3vit-tiny')), b, { objective: 'latency' });
    expect(() => exhaustive(new Evaluator(space, { objective: 'latency', limits: b.limits }))).toThrow(
      /--exhaustive: the space has .* designs .*fix the clock/,
    );
  });
});

test('Pareto front keeps the designs no other beats on both latency and DSP', () => {
  const pts = [
    { latencyMs: 5, dsp: 100, genome: [0] },
    { latencyMs: 4, dsp: 200, genome: [1] },
    { latencyMs: 6, dsp: 150, genome: [2] },
    { latencyMs: 4, dsp: 300, genome: [3] },
    { latencyMs: 2, dsp: 400, genome: [4] },
  ];
  expect(paretoFront(pts).map((p) => p.genome[0])).toEqual([0, 1, 4]);
});
