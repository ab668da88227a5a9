/**
 * The demo: every stage of ubimoe on one model and board, end to end, with the real pieces —
 * synthetic checkpoint (cached) -> two-stage search -> generate -> csim build -> stream images
 * through the csim backend with the driver -> float32 reference -> comparison -> estimate -> report.html.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { loadBoard } from '../board/load.js';
import type { Board } from '../board/schema.js';
import { msPerImageNote, predictedMsPerImage, publishedFor } from '../report/published.js';
import { accuracyJson, compareTokens, expertAgreement, type Accuracy } from '../toolchain/accuracy.js';
import { saturationReport } from '../toolchain/saturation.js';
import { resolveDesign, weightPortsText, type Design } from '../design/design.js';
import { estimateDesign, estimateJson, type DesignEstimate } from '../design/estimate.js';
import { Accelerator } from '../driver/accelerator.js';
import { generateProject } from '../generate/project.js';
import { writeNpy } from '../io/npy.js';
import { readCheckpoint, synthCheckpoint, writeCheckpoint } from '../model/checkpoint.js';
import { loadModel, modelDims, type ModelConfig } from '../model/config.js';
import { forwardImages } from '../model/reference.js';
import { writeReport } from '../report/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import { ensure } from '../util/errors.js';
import { runSearchParallel } from '../../search/parallel.js';
import { DEFAULT_GA } from '../../search/ga.js';
import { demoImages } from './images.js';

export interface DemoOptions {
  model: string;
  board: string;
  images: number;
  out: string;
  seed: number;
  workers: number;
  task: number;
}

export interface DemoResult {
  out: string;
  projectDir: string;
  reportPath: string;
  model: ModelConfig;
  board: Board;
  design: Design;
  estimate: DesignEstimate;
  accuracy: Accuracy;
  saturation: string; // what saturated in the C-simulation's datapath, one line (toolchain/saturation.ts)
  csimMsPerImage: number;
  searchSeconds: number;
}

/** A step logger: prints "[n/N] what ... 1.23 s" as each step ends. */
/** One line per finished step; `start`, when given, is told when a step begins (long steps show life). */
export type StepLog = ((line: string) => void) & { start?: (line: string) => void };

const STEPS = 8;

async function step<T>(
  log: StepLog,
  n: number,
  what: string,
  work: () => Promise<T> | T,
  detail?: (r: T) => string,
): Promise<T> {
  log.start?.(`[${n}/${STEPS}] ${what} …`);
  const t0 = performance.now();
  const r = await work();
  const s = ((performance.now() - t0) / 1000).toFixed(2).padStart(6);
  const extra = detail ? `  ${detail(r)}` : '';
  log(`[${n}/${STEPS}] ${what.padEnd(34)} ${s} s${extra}`);
  return r;
}

export async function runDemo(
  o: DemoOptions,
  log: StepLog,
  progress: (line: string) => void = () => {},
): Promise<DemoResult> {
  const out = resolve(o.out);
  const model = loadModel(o.model);
  const board = loadBoard(o.board);
  const dims = modelDims(model);
  ensure(
    o.task < dims.tasks,
    `--task: ${o.task} is not a task of ${model.name} (tasks 0..${dims.tasks - 1})`,
  );

  // 1. the synthetic checkpoint, cached by model and seed
  const ckptPath = join(out, `${model.name}-seed${o.seed}.safetensors`);
  const ckpt = await step(
    log,
    1,
    'synthetic checkpoint',
    () => {
      if (existsSync(ckptPath)) return { ckpt: readCheckpoint(ckptPath, model), cached: true };
      const c = synthCheckpoint(model, o.seed);
      writeCheckpoint(ckptPath, c);
      return { ckpt: c, cached: false };
    },
    (r) => (r.cached ? `(cached: ${ckptPath})` : ckptPath),
  );

  // 2. the two-stage search for this board
  const search = await step(
    log,
    2,
    `search (GA + binary) for ${board.name}`,
    () =>
      runSearchParallel({
        model,
        modelRef: o.model,
        board,
        boardRef: o.board,
        objective: 'latency',
        seed: o.seed,
        onProgress: progress,
      }),
    (r) => `predicted ${r.estimate.latencyMs.toFixed(2)} ms/image`,
  );
  writeFileAtomic(
    join(out, 'design.yaml'),
    `# written by ubimoe demo (two-stage search, ${DEFAULT_GA.restarts} GA populations, objective latency, seed ${o.seed})\n${stringify(search.designFile)}`,
  );
  const design = resolveDesign(search.designFile, 'searched design');

  // 3. the HLS project, with the search report and the predicted figures beside it
  const projectDir = join(out, 'project');
  const estimate = await step(
    log,
    3,
    'generate HLS project',
    () => {
      generateProject(design, projectDir);
      const e = estimateDesign(design);
      writeFileAtomic(
        join(projectDir, 'reports', 'search.json'),
        JSON.stringify(search.report, null, 2) + '\n',
      );
      writeFileAtomic(
        join(projectDir, 'reports', 'estimate.json'),
        JSON.stringify(estimateJson(e), null, 2) + '\n',
      );
      return e;
    },
    () => projectDir,
  );

  // 4. test images
  const images = await step(
    log,
    4,
    `${o.images} test images`,
    () => {
      const im = demoImages(model, o.images, o.seed);
      writeNpy(join(out, 'images.npy'), [o.images, model.in_chans, model.img_h, model.img_w], im);
      return im;
    },
    () => join(out, 'images.npy'),
  );

  // 5. csim build (g++, cached by source hash) + weight packing, runners started
  const acc = await step(log, 5, `csim build + ${o.workers} runner(s)`, () =>
    Accelerator.open({
      project: projectDir,
      backend: 'csim',
      checkpoint: ckptPath,
      workers: o.workers,
      log: progress,
    }),
  );

  // 6. stream the images through the C-simulated accelerator
  const imageSize = model.in_chans * model.img_h * model.img_w;
  const tokensSize = dims.numTokens * dims.D;
  const csimTokens = new Float32Array(o.images * tokensSize);
  const csimExperts = new Int32Array(
    o.images * dims.moeBlocks.filter(Boolean).length * dims.numTokens * dims.topK,
  );
  let deviceMs = 0;
  await step(
    log,
    6,
    'stream images through csim',
    async () => {
      try {
        const inputs = Array.from({ length: o.images }, (_, b) => ({
          kind: 'image' as const,
          data: images.subarray(b * imageSize, (b + 1) * imageSize),
          source: `demo image ${b}`,
        }));
        for await (const r of acc.stream(inputs, { task: o.task })) {
          csimTokens.set(r.output, r.index * tokensSize);
          csimExperts.set(r.experts, r.index * r.experts.length);
          deviceMs += (r.deviceNs ?? 0) / 1e6;
          progress(`image ${r.index + 1}/${o.images} done`);
        }
      } finally {
        await acc.close();
      }
    },
    () => `${(deviceMs / o.images).toFixed(0)} ms/image (csim compute)`,
  );
  writeNpy(join(out, 'tokens.npy'), [o.images, dims.numTokens, dims.D], csimTokens);
  const { counts, complete } = acc.saturations();
  const saturation = saturationReport(counts, design, o.images, complete);

  // 7. the float32 reference model and the comparison
  const accuracy = await step(
    log,
    7,
    'float32 reference + compare',
    () => {
      const ref = forwardImages(ckpt.ckpt, model, images, o.images, { task: o.task });
      const a: Accuracy = {
        ...compareTokens(csimTokens, ref.tokens, dims.D, o.images),
        expertAgreement: dims.topK > 0 ? expertAgreement(csimExperts, ref.experts, dims.topK) : null,
      };
      const json = accuracyJson(a, {
        task: o.task,
        input: join(out, 'images.npy'),
        checkpoint: ckptPath,
        reference: 'float32 reference model',
        expert_agreement_note:
          "fraction of (image, MoE block, token) whose top-k expert set equals the reference model's",
        csim_ms_per_image: Number((deviceMs / o.images).toFixed(2)),
        saturated_values: saturation.json,
      });
      writeFileAtomic(join(projectDir, 'reports', 'accuracy.json'), JSON.stringify(json, null, 2) + '\n');
      return a;
    },
    (a) => `median cosine ${a.cosineMedian.toFixed(6)}`,
  );

  // 8. the report
  const reportPath = join(out, 'report.html');
  await step(
    log,
    8,
    'report.html',
    () => writeReport(projectDir, reportPath),
    () => reportPath,
  );

  return {
    out,
    projectDir,
    reportPath,
    model,
    board,
    design,
    estimate,
    accuracy,
    saturation: saturation.text,
    csimMsPerImage: deviceMs / o.images,
    searchSeconds: search.seconds,
  };
}

/** The short summary printed after the steps. */
export function demoSummary(r: DemoResult): string {
  const e = r.estimate;
  const pct = (k: 'dsp' | 'bram18' | 'uram' | 'lut' | 'ff') =>
    e.available[k] > 0 ? ` (${((100 * e.resources[k]) / e.available[k]).toFixed(0)}%)` : '';
  const k = r.design.kernels;
  const lines = [
    '',
    `design for ${r.board.name} (${r.board.part}), ${r.model.name}, ${r.design.shared.clockMhz} MHz, AXI ${r.design.shared.axiWidthBits}-bit, ${weightPortsText(r.design)}:`,
    k.vit_block
      ? `  vit_block (fused block, one engine) ${k.vit_block.tile_in}x${k.vit_block.tile_out} tile x ${k.vit_block.token_lanes} lanes, attention ${k.vit_block.q_parallel} rows x ${k.vit_block.key_block} keys${k.vit_block.norm_lanes ? `, LayerNorms on ${k.vit_block.norm_lanes} lanes` : ''}${(k.vit_block.weight_fifo ?? 2) > 2 ? `, weight FIFO ${k.vit_block.weight_fifo} tiles` : ''};` +
        (k.patch_embed ? ` patch_embed ${k.patch_embed.tile_in}x${k.patch_embed.tile_out}` : ' the patch embedding on its engine')
      : `  msa_block ${k.msa_block!.tile_in}x${k.msa_block!.tile_out} tile x ${k.msa_block!.token_lanes} lanes, attention ${k.msa_block!.q_parallel} rows x ${k.msa_block!.key_block} keys;` +
        ` ffn_block ${k.ffn_block!.tile_in}x${k.ffn_block!.tile_out} x ${k.ffn_block!.token_lanes} lanes; patch_embed ${k.patch_embed!.tile_in}x${k.patch_embed!.tile_out}`,
    `predicted (cost model, not measured): ${e.latencyMs.toFixed(2)} ms/image, ${e.imagesPerSecond.toFixed(1)} images/s, ${e.gops.toFixed(1)} GOPS`,
    `predicted resources: DSP ${e.resources.dsp}${pct('dsp')}, BRAM18 ${e.resources.bram18}${pct('bram18')}, URAM ${e.resources.uram}${pct('uram')}, LUT ${e.resources.lut}${pct('lut')}, FF ${e.resources.ff}${pct('ff')}`,
  ];
  // the published points, with whether they compare like with like (model, board, precision)
  for (const c of publishedFor(r.design)) {
    const p = c.point;
    const figures = `${p.latencyMs} ms/image at ${p.clockMhz} MHz, DSP ${p.dsp}, BRAM ${p.bram}, LUT ${p.lut}, FF ${p.ff}`;
    const like = predictedMsPerImage(p, e);
    lines.push(
      c.comparable
        ? `published: ${p.who} on ${p.boardLabel}, ${p.model} ${p.precision.label}: ${figures}; ${msPerImageNote(p)}` +
            (like !== undefined && p.msPerImageIs === 'throughput'
              ? ` (predicted ${like.toFixed(2)} ms/image at throughput)`
              : '')
        : `published: ${p.who} on ${p.boardLabel}, ${p.model} ${p.precision.label} (${figures}) is not comparable: ${c.reasons.join('; ')}`,
    );
  }
  const a = r.accuracy;
  const ea = a.expertAgreement === null ? 'n/a' : `${(100 * a.expertAgreement).toFixed(2)}%`;
  lines.push(
    `csim vs float32 reference (${a.images} images, ${a.cosine.length} tokens): cosine min ${a.cosineMin.toFixed(9)} (1 − cos ${(1 - a.cosineMin).toExponential(2)}), median ${a.cosineMedian.toFixed(9)}, rel L2 ${(100 * a.relL2).toFixed(3)}%, expert agreement ${ea}`,
    `csim datapath: ${r.saturation}`,
    `csim speed: ${r.csimMsPerImage.toFixed(0)} ms/image of compute per runner (C-simulation on this CPU, not the FPGA)`,
    `report: ${r.reportPath}`,
  );
  return lines.join('\n') + '\n';
}

