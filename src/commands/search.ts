import type { Command } from 'commander';
import { stringify } from 'yaml';
import { loadBoard } from '../board/load.js';
import { resolveDesign } from '../design/design.js';
import { PRECISION_PRESETS } from '../design/schema.js';
import { validateDesign } from '../design/validate.js';
import { loadModel } from '../model/config.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import {
  parseLimits,
  parseObjective,
  parsePositiveInt,
  parseSeed,
  splitPowerLimit,
} from '../../search/options.js';
import { formatPower } from './powerText.js';
import { BLOCK_ARCHITECTURES, describeCandidate, PATCH_EMBEDDINGS, type PatchEmbedding, type SearchResult } from '../../search/index.js';
import { runSearchParallel } from '../../search/parallel.js';
import type { BlockArchitecture } from '../kernels/params.js';
import { objectiveValue, OBJECTIVE_UNITS } from '../../search/objective.js';
import { measureRouting, readRouting } from '../../search/routing.js';
import { checkRouting, type Routing } from '../design/estimate.js';
import { modelDims } from '../model/config.js';
import { AXI_WIDTHS, STREAM_DEPTHS } from '../../search/space.js';
import { DEFAULT_GA } from '../../search/ga.js';
import { checkOutputFile } from '../util/outputs.js';

interface SearchOpts {
  model: string;
  board: string;
  objective: string;
  seed: string;
  populations?: string;
  threads?: string;
  limit?: string;
  exhaustive?: boolean;
  clock?: string;
  axiWidth?: string;
  streamDepth?: string;
  weightPorts?: string;
  maxSpan?: string;
  block: string;
  patchEmbed: string;
  routing?: string;
  routingCheckpoint?: string;
  routingInput?: string;
  task: string;
  output: string;
  report?: string;
  quiet?: boolean;
  precision: string;
}

const isPath = (s: string) => s.includes('/') || s.endsWith('.yaml') || s.endsWith('.yml');

/** design.yaml text: a comment header with the predicted figures, then the design. */
/** --block: split, fused or both. */
function parseBlocks(text: string): BlockArchitecture[] {
  if (text === 'both') return [...BLOCK_ARCHITECTURES];
  if (text === 'split' || text === 'fused') return [text];
  throw new UserError(`--block: '${text}' must be split, fused or both`);
}

export function designYaml(
  r: SearchResult,
  opts: { model: string; board: string; objective: string; seed: number; exhaustive?: boolean; populations?: number },
): string {
  const e = r.estimate;
  const header = [
    `# written by ubimoe search: ${opts.exhaustive ? 'exhaustive search' : `two-stage search (${opts.populations ?? DEFAULT_GA.restarts} GA populations)`}, objective ${opts.objective}, seed ${opts.seed}`,
    `# model ${opts.model}, board ${opts.board}; predicted (cost model, not measured):`,
    `#   latency ${e.latencyMs.toFixed(3)} ms/image, ${e.imagesPerSecond.toFixed(1)} images/s, ${e.gops.toFixed(1)} GOPS`,
    `#   DSP ${e.resources.dsp}, BRAM18 ${e.resources.bram18}, URAM ${e.resources.uram}, LUT ${e.resources.lut}, FF ${e.resources.ff}`,
  ];
  return header.join('\n') + '\n' + stringify(r.designFile);
}

/** How much was searched: designs evaluated, or for --exhaustive how the whole space was covered. */
function searchedText(report: Record<string, unknown>): string {
  const x = report.exhaustive as
    { points: number; kernel_configurations: number; combinations: number } | undefined;
  if (!x) return `${String(report.evaluations)} designs evaluated`;
  return (
    `all ${x.points.toExponential(2)} designs covered: ${x.kernel_configurations} kernel configurations costed, ` +
    `${x.combinations} combinations scored (the rest are dominated or cannot beat the best; exact)`
  );
}

export function registerSearch(program: Command): void {
  program
    .command('search')
    .description(
      'search the hardware parameters for a model on a board (two-stage: a genetic algorithm, then binary-search ' +
        'refinement; or --exhaustive) and write the chosen design.yaml',
    )
    .requiredOption('--model <name|file.yaml>', 'model preset or model YAML')
    .requiredOption('--board <name|file.yaml>', 'board name (see `ubimoe boards`) or board YAML')
    .requiredOption(
      '-o, --output <design.yaml>',
      'the chosen design (written atomically; `ubimoe generate --design` reads it)',
    )
    .option(
      '--objective <o>',
      'latency | throughput | dsp-efficiency | energy (predicted J/image, latency breaks ties)',
      'latency',
    )
    .option('--seed <n>', 'random seed (same seed, same result)', '1')
    .option(
      '--populations <n>',
      `stage-1 genetic-algorithm populations, each from its own random start; the best designs of each are refined (default ${DEFAULT_GA.restarts}: more find a good design at more seeds, each adds ~1-2 s on m3vit-tiny)`,
    )
    .option(
      '--threads <n>',
      'worker threads the architectures are searched on side by side (each its own space; the result does not depend on it) (default: the CPUs available)',
    )
    .option(
      '--limit <key=value,...>',
      'override the board utilisation limits, e.g. dsp=0.6,bram=0.7; power=W caps the predicted board power',
    )
    .option(
      '--exhaustive',
      'enumerate the whole space instead (only for spaces small enough, e.g. with --clock)',
    )
    .option('--clock <MHz>', "fix the clock (one of the board's allowed clocks)")
    .option('--axi-width <bits>', `fix the AXI width (${AXI_WIDTHS.join(', ')})`)
    .option(
      '--weight-ports <n>',
      "fix every kernel's weight ports (1, 2 or 4; at most the channels of the board's kernel memory); by default the search picks each kernel's",
    )
    .option('--stream-depth <n>', `fix the stream depth (${STREAM_DEPTHS.join(', ')})`)
    .option(
      '--max-span <n>',
      "the most SLRs the fused block's one compute unit may span (boards that give sll_per_boundary, e.g. u280; v++ then places it across them, at the clock an SLL hop in the period allows); 1: each kernel on one SLR (default: all the board's)",
    )
    .option(
      '--block <arch>',
      'the block kernels searched: split (msa_block + ffn_block, an engine each), fused (vit_block: one engine for both halves, x on chip) or both (each searched, the better design kept)',
      'both',
    )
    .option(
      '--patch-embed <where>',
      "where the patch embedding runs: kernel (its own patch_embed kernel), engine (on the fused block's engine, no patch_embed kernel; at w8a8 its 16-bit patch weights as two passes of 8-bit digits) or both (each searched where it applies, the better design kept)",
      'both',
    )
    .option(
      '--precision <preset>',
      `precision preset of every candidate (${PRECISION_PRESETS.join(', ')}; default w16a32)`,
      'w16a32',
    )
    .option('--routing <file.json>', 'measured MoE routing (as for `ubimoe estimate --routing`)')
    .option(
      '--routing-checkpoint <file.safetensors>',
      'measure the MoE routing with this checkpoint on the reference model',
    )
    .option('--routing-input <images.npy>', 'images for --routing-checkpoint (default: 2 synthetic images)')
    .option('--task <t>', 'task whose gate routes the MoE blocks with --routing-checkpoint', '0')
    .option(
      '--report <search.json>',
      'write the search report: stage-1 history, stage-2 steps, Pareto front, time',
    )
    .option('--quiet', 'no progress on stderr')
    .action(async (opts: SearchOpts) => {
      const objective = parseObjective(opts.objective);
      const seed = parseSeed(opts.seed);
      const model = loadModel(opts.model);
      checkOutputFile(opts.output, '-o');
      if (opts.report) checkOutputFile(opts.report, '--report');
      const board0 = loadBoard(opts.board);
      const { rest: limitText, powerW: powerLimitW } = splitPowerLimit(opts.limit);
      const board = { ...board0, limits: parseLimits(limitText, board0) };
      const clockMhz = opts.clock !== undefined ? parsePositiveInt(opts.clock, '--clock') : undefined;
      const axiWidthBits =
        opts.axiWidth !== undefined ? parsePositiveInt(opts.axiWidth, '--axi-width') : undefined;
      if (axiWidthBits !== undefined && !AXI_WIDTHS.includes(axiWidthBits))
        throw new UserError(`--axi-width: ${axiWidthBits} must be one of ${AXI_WIDTHS.join(', ')}`);
      const streamDepth =
        opts.streamDepth !== undefined ? parsePositiveInt(opts.streamDepth, '--stream-depth') : undefined;
      const populations =
        opts.populations !== undefined ? parsePositiveInt(opts.populations, '--populations') : undefined;
      const weightPorts =
        opts.weightPorts !== undefined ? parsePositiveInt(opts.weightPorts, '--weight-ports') : undefined;
      const maxSpan = opts.maxSpan !== undefined ? parsePositiveInt(opts.maxSpan, '--max-span') : undefined;
      const threads = opts.threads !== undefined ? parsePositiveInt(opts.threads, '--threads') : undefined;
      const blocks = parseBlocks(opts.block);
      if (!(PATCH_EMBEDDINGS as string[]).includes(opts.patchEmbed))
        throw new UserError(`--patch-embed: '${opts.patchEmbed}' must be kernel, engine or both`);
      if (!(PRECISION_PRESETS as readonly string[]).includes(opts.precision))
        throw new UserError(
          `--precision: '${opts.precision}' is not a preset (${PRECISION_PRESETS.join(', ')})`,
        );
      let routing: Routing | undefined;
      if (opts.routing && opts.routingCheckpoint)
        throw new UserError('use either --routing or --routing-checkpoint, not both');
      if (opts.routing) routing = readRouting(opts.routing);
      if (opts.routingCheckpoint) {
        const task = /^\d+$/.test(opts.task) ? Number(opts.task) : NaN;
        if (!(task < model.tasks))
          throw new UserError(
            `--task: '${opts.task}' is not a task of model ${model.name} (0..${model.tasks - 1})`,
          );
        routing = measureRouting(model, opts.routingCheckpoint, opts.routingInput, task);
      }
      if (routing) checkRouting(routing, modelDims(model), opts.routing ?? 'measured routing');
      const tty = !opts.quiet && process.stderr.isTTY === true;
      let last = 0;
      const r = await runSearchParallel({
        model,
        modelRef: isPath(opts.model) ? (model as unknown as Record<string, unknown>) : opts.model,
        board,
        boardRef: isPath(opts.board) ? (board0 as unknown as Record<string, unknown>) : opts.board,
        objective,
        powerLimitW,
        seed,
        ...(populations !== undefined ? { ga: { restarts: populations } } : {}),
        exhaustive: opts.exhaustive,
        clockMhz,
        axiWidthBits,
        streamDepth,
        weightPorts,
        maxSpan,
        blocks,
        patchEmbed: opts.patchEmbed as PatchEmbedding,
        routing,
        precision: opts.precision as (typeof PRECISION_PRESETS)[number],
        onProgress: tty
          ? (text) => {
              const now = Date.now();
              if (now - last < 100) return;
              last = now;
              process.stderr.write(`\r\x1b[K${text}`);
            }
          : undefined,
      }, threads);
      if (tty) process.stderr.write('\r\x1b[K');
      // the emitted design must be one the generator accepts (the space only holds kernel-legal values)
      validateDesign(
        resolveDesign(
          { ...r.designFile, board: board0 as unknown as Record<string, unknown> },
          'searched design',
        ),
      );
      writeFileAtomic(
        opts.output,
        designYaml(r, { model: model.name, board: board.name, objective, seed, exhaustive: opts.exhaustive, populations }),
      );
      if (opts.report) writeFileAtomic(opts.report, JSON.stringify(r.report, null, 2) + '\n');
      const e = r.estimate;
      process.stdout.write(
        `ubimoe search: ${model.name} on ${board.name}, objective ${objective}, ${opts.exhaustive ? 'exhaustive' : `seed ${seed}`}: ` +
          `${searchedText(r.report)} in ${r.seconds.toFixed(2)} s\n` +
          `chosen: ${describeCandidate(r.candidate)}\n` +
          `predicted: latency ${e.latencyMs.toFixed(3)} ms/image, ${e.imagesPerSecond.toFixed(1)} images/s, ${e.gops.toFixed(1)} GOPS, ` +
          `DSP ${e.resources.dsp} (${(100 * e.utilisation.dsp).toFixed(1)}%), LUT ${(100 * e.utilisation.lut).toFixed(1)}%, ` +
          `BRAM18 ${(100 * e.utilisation.bram18).toFixed(1)}% — objective ${objectiveValue(objective, r.best).toPrecision(5)} ${OBJECTIVE_UNITS[objective]}\n` +
          formatPower(e) +
          `wrote ${opts.output}${opts.report ? ` and ${opts.report}` : ''}\n`,
      );
    });
}
