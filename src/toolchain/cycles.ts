/**
 * `ubimoe csim --cycles`: the timed C-simulation's cycles ("simulated", ubimoe-cycles/1 from the
 * runner, hls/csim/README.md "Timed C-simulation") next to the cost model's ("predicted",
 * src/design/estimate.ts) for the same images: each image's prediction uses the routing that image
 * really had (its tokens per expert per MoE block, counted from the C-simulation's own expert
 * choices, as search/routing.ts counts the reference's). Per kernel (its calls in one image summed)
 * and per stage (the kernels' UBIMOE_STAGE names against the model's parts of the same name).
 */
import { join } from 'node:path';
import type { Design } from '../design/design.js';
import { estimateDesign, type Routing } from '../design/estimate.js';
import { patchOnEngine } from '../kernels/params.js';
import * as vit from '../kernels/vit_block.js';
import type { ModelDims } from '../model/config.js';
import { writeFileAtomic } from '../util/atomic.js';

/** What the runner writes (the fields read here). */
export interface CyclesJson {
  format: string;
  clock_mhz: number;
  per_image: Array<{
    total_cycles: number;
    kernels: Record<string, number>;
    calls: Array<{
      kernel: string;
      cycles: number;
      stages: Array<{ name: string; calls: number; cycles: number }>;
    }>;
  }>;
}

/** One side (simulated or predicted) of one image. */
export interface CycleFigures {
  total: number;
  kernels: Record<string, number>; // per kernel, its calls in the image summed
  stages: Record<string, Record<string, number>>; // per kernel, per stage (or model part)
}

export interface ImageCycles {
  simulated: CycleFigures;
  predicted: CycleFigures;
  routing: Routing | null; // what the prediction used (null: no MoE blocks)
}

/**
 * Simulated stages whose prediction is a sum of model parts (a dense MLP's dataflow region holds
 * fc1 and fc2; the model prices them apart).
 */
const STAGE_PARTS: Record<string, string[]> = { mlp: ['fc1', 'fc2'] };

/** Checks the runner's JSON enough to read it (one entry per image). */
export function checkCyclesJson(v: unknown, images: number): CyclesJson {
  const c = v as CyclesJson;
  if (!c || c.format !== 'ubimoe-cycles/1' || !Array.isArray(c.per_image))
    throw new Error('csim runner: --cycles did not write ubimoe-cycles/1 JSON');
  if (c.per_image.length !== images)
    throw new Error(`csim runner: cycles for ${c.per_image.length} image(s), ${images} were run`);
  return c;
}

/** The tokens per expert of each MoE block of image `b` (experts: [B, moe_blocks, N, top_k]). */
export function imageRouting(experts: Int32Array, dims: ModelDims, b: number): Routing | null {
  const nMoe = dims.moeBlocks.filter(Boolean).length;
  if (nMoe === 0 || dims.experts === 0) return null;
  const per = dims.numTokens * dims.topK;
  const counts = Array.from({ length: nMoe }, () => new Array<number>(dims.experts).fill(0));
  for (let m = 0; m < nMoe; m++)
    for (let i = 0; i < per; i++) {
      const e = experts[(b * nMoe + m) * per + i];
      if (!(e >= 0 && e < dims.experts)) throw new Error(`csim runner: expert choice ${e} out of range`);
      counts[m][e]++;
    }
  return { tokensPerExpert: counts };
}

function simulatedFigures(img: CyclesJson['per_image'][number]): CycleFigures {
  const stages: CycleFigures['stages'] = {};
  for (const call of img.calls) {
    const into = (stages[call.kernel] ??= {});
    for (const s of call.stages) into[s.name] = (into[s.name] ?? 0) + s.cycles;
  }
  return { total: img.total_cycles, kernels: { ...img.kernels }, stages };
}

/** The image was tokens on a design whose vit_block embeds the patches: its call read x_in instead (its stages say so). */
const tokensOnEngine = (design: Design, simulated: CycleFigures): boolean =>
  patchOnEngine(design.kernels.vit_block) && simulated.stages.vit_block?.x_in !== undefined;

/** The prediction of a token input's vit_block call when the kernel embeds the patches: x_in in place of the patch parts. */
function tokenCall(design: Design, all: CycleFigures): CycleFigures {
  const plain = { ...design.kernels.vit_block!, patch_on_engine: false };
  const xIn = vit.callCycles(plain, design.dims, design.shared, design.board, { slr: design.placement.vit_block }).parts.x_in;
  const stages = Object.fromEntries(Object.entries(all.stages.vit_block ?? {}).filter(([p]) => !(vit.PATCH_PARTS as readonly string[]).includes(p)));
  const patch = vit.PATCH_PARTS.reduce((a, p) => a + (all.stages.vit_block?.[p] ?? 0), 0);
  const cycles = (all.kernels.vit_block ?? 0) - patch + xIn;
  return {
    total: all.total - patch + xIn,
    kernels: { ...all.kernels, vit_block: cycles },
    stages: { ...all.stages, vit_block: { ...stages, x_in: xIn } },
  };
}

/** Simulated and predicted cycles of every image of a `csim --cycles` run. */
export function compareCycles(design: Design, cycles: CyclesJson, experts: Int32Array): ImageCycles[] {
  const cache = new Map<string, CycleFigures>();
  return cycles.per_image.map((img, b) => {
    const simulated = simulatedFigures(img);
    const routing = imageRouting(experts, design.dims, b);
    const key = JSON.stringify(routing);
    let all = cache.get(key);
    if (!all) {
      const e = estimateDesign(design, routing ? { routing } : {});
      all = {
        total: e.latencyCycles,
        kernels: Object.fromEntries(e.kernels.map((k) => [k.name, k.cycles])),
        stages: Object.fromEntries(e.kernels.map((k) => [k.name, { ...k.parts }])),
      };
      cache.set(key, all);
    }
    // only the kernels this image ran (a token input skips patch_embed, or vit_block's patch pass)
    const ran = Object.keys(simulated.kernels);
    const own = tokensOnEngine(design, simulated) ? tokenCall(design, all) : all;
    const predicted: CycleFigures = {
      total: ran.reduce((a, k) => a + (own.kernels[k] ?? 0), 0),
      kernels: Object.fromEntries(ran.map((k) => [k, own.kernels[k] ?? 0])),
      stages: Object.fromEntries(ran.map((k) => [k, own.stages[k] ?? {}])),
    };
    return { simulated, predicted, routing };
  });
}

/** reports/cycles.json: the runner's ubimoe-cycles/1 with each image's prediction added. */
export function cyclesReportJson(
  cycles: CyclesJson,
  images: ImageCycles[],
  extra: Record<string, unknown>,
): Record<string, unknown> {
  return {
    ...cycles,
    ...extra,
    note:
      'simulated: the timed C-simulation of the generated kernels (per_image); predicted: the cost model ' +
      "(docs/cost-model.md) with each image's own routing (predicted.per_image)",
    predicted: {
      per_image: images.map((i) => ({
        total_cycles: i.predicted.total,
        kernels: i.predicted.kernels,
        parts: i.predicted.stages,
        tokens_per_expert: i.routing ? i.routing.tokensPerExpert : null,
      })),
    },
  };
}

/** The predicted figure of a simulated stage (a model part of the same name, or a sum of parts). */
function predictedStage(parts: Record<string, number>, stage: string): number | undefined {
  if (stage in parts) return parts[stage];
  const sum = STAGE_PARTS[stage];
  if (sum && sum.every((p) => p in parts)) return sum.reduce((a, p) => a + parts[p], 0);
  return undefined;
}

/** Stage rows of one kernel: the simulated stages in their order, then model parts not simulated. */
function stageNames(images: ImageCycles[], kernel: string): string[] {
  const names: string[] = [];
  const add = (n: string) => {
    if (!names.includes(n)) names.push(n);
  };
  for (const i of images) Object.keys(i.simulated.stages[kernel] ?? {}).forEach(add);
  for (const i of images) Object.keys(i.predicted.stages[kernel] ?? {}).forEach(add);
  return names;
}

const mean = (v: Array<number | undefined>): number | undefined => {
  const known = v.filter((x): x is number => x !== undefined);
  return known.length === v.length && known.length > 0
    ? known.reduce((a, b) => a + b, 0) / known.length
    : undefined;
};

/** One row of the comparison: a kernel (stage '(all calls)'), one of its stages, or the total. */
export interface CycleRow {
  kernel: string; // '' for the total
  stage: string; // '(all calls)' for a kernel's own row, '' for the total
  simulated: number | undefined; // mean over the images (undefined: not simulated)
  predicted: number | undefined; // mean over the images (undefined: the model has no such part)
}

/** Per kernel and stage, simulated and predicted (means over the images), then the total. */
export function cycleRows(images: ImageCycles[]): CycleRow[] {
  const rows: CycleRow[] = [];
  const kernels: string[] = [];
  for (const i of images)
    for (const k of Object.keys(i.simulated.kernels)) if (!kernels.includes(k)) kernels.push(k);
  for (const k of kernels) {
    rows.push({
      kernel: k,
      stage: '(all calls)',
      simulated: mean(images.map((i) => i.simulated.kernels[k])),
      predicted: mean(images.map((i) => i.predicted.kernels[k])),
    });
    for (const st of stageNames(images, k))
      rows.push({
        kernel: k,
        stage: st,
        simulated: mean(images.map((i) => i.simulated.stages[k]?.[st])),
        predicted: mean(images.map((i) => predictedStage(i.predicted.stages[k] ?? {}, st))),
      });
  }
  rows.push({
    kernel: '',
    stage: '',
    simulated: mean(images.map((i) => i.simulated.total)),
    predicted: mean(images.map((i) => i.predicted.total)),
  });
  return rows;
}

/** reports/cycles.json (as written above) read back into simulated and predicted figures per image. */
export function imagesFromReport(
  report: CyclesJson & { predicted?: { per_image?: unknown[] } },
): ImageCycles[] {
  const pred = (report.predicted?.per_image ?? []) as Array<{
    total_cycles: number;
    kernels: Record<string, number>;
    parts: Record<string, Record<string, number>>;
    tokens_per_expert: number[][] | null;
  }>;
  return report.per_image.map((img, b) => {
    const p = pred[b];
    return {
      simulated: simulatedFigures(img),
      predicted: p
        ? { total: p.total_cycles, kernels: { ...p.kernels }, stages: { ...p.parts } }
        : { total: NaN, kernels: {}, stages: {} },
      routing: p?.tokens_per_expert ? { tokensPerExpert: p.tokens_per_expert } : null,
    };
  });
}

/** The printed table: per kernel and stage, simulated, predicted and simulated / predicted (mean over images). */
export function cyclesTable(images: ImageCycles[], clockMhz: number): string {
  const fmt = (n: number | undefined) => (n === undefined ? '-' : String(Math.round(n)));
  const ratio = (s: number | undefined, p: number | undefined) =>
    s === undefined || p === undefined || p === 0 ? '-' : (s / p).toFixed(2);
  const rows: string[][] = [['kernel', 'stage', 'simulated', 'predicted', 'ratio']];
  for (const r of cycleRows(images))
    rows.push([
      r.kernel === '' ? 'total' : r.stage === '(all calls)' ? r.kernel : '',
      r.stage,
      fmt(r.simulated),
      fmt(r.predicted),
      ratio(r.simulated, r.predicted),
    ]);
  const width = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) =>
    r
      .map((x, c) => (c < 2 ? x.padEnd(width[c]) : x.padStart(width[c])))
      .join('  ')
      .trimEnd();
  const out = [
    `cycles per image at ${clockMhz} MHz (mean over ${images.length} image(s)): simulated = timed C-simulation ` +
      'of the kernels, predicted = cost model with the routing each image had',
    ...rows.map(line),
  ];
  if (images.length > 1)
    images.forEach((i, b) =>
      out.push(
        `image ${b}: simulated ${i.simulated.total}, predicted ${Math.round(i.predicted.total)}, ratio ${ratio(i.simulated.total, i.predicted.total)}`,
      ),
    );
  out.push(
    "stages: the kernels' UBIMOE_STAGE scopes at the resolved times (their FIFO waits included); ffn_block fc1, " +
      "fc2, gate_logits, expert_* run inside the engine's compute process; msa_block qkv_attention (the qkv " +
      "passes beside the attention of every head but the last), last_head (the last head's attention beside " +
      "proj over the other heads' columns) and proj, ffn_block mlp/gate/experts and patch_embed linear hold " +
      'whole dataflow region calls',
  );
  return out.join('\n') + '\n';
}

/**
 * Reads the runner's cycles, adds each image's prediction, writes `<project>/reports/cycles.json`
 * (atomically) and returns the table to print.
 */
export function writeCyclesReport(
  projectDir: string,
  design: Design,
  raw: unknown,
  experts: Int32Array,
  batch: number,
  extra: Record<string, unknown>,
): { path: string; table: string } {
  const cycles = checkCyclesJson(raw, batch);
  const images = compareCycles(design, cycles, experts);
  const path = join(projectDir, 'reports', 'cycles.json');
  writeFileAtomic(path, JSON.stringify(cyclesReportJson(cycles, images, extra), null, 1) + '\n');
  return { path, table: cyclesTable(images, cycles.clock_mhz) };
}
