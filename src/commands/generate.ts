import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultDesignFile, resolveDesign, type Design } from '../design/design.js';
import { estimateDesign } from '../design/estimate.js';
import { PRECISION_PRESETS } from '../design/schema.js';
import { generateProject } from '../generate/project.js';
import { REPORT_FILES } from '../report/gather.js';
import { readSearch } from '../report/read/search.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { readYaml } from '../util/yamlfile.js';
import { checkOutputDir } from '../util/outputs.js';

interface GenerateOpts {
  model?: string;
  board?: string;
  design?: string;
  precision?: string;
  output: string;
  searchReport?: string;
}

/**
 * A search report to copy into the project (`--search-report`): it must be one `ubimoe search
 * --report` wrote, for this design's model and board. Returns its text, copied as it is.
 */
function checkSearchReport(path: string, design: Design): string {
  if (!existsSync(path)) throw new UserError(`--search-report ${path}: no such file`);
  readSearch(path); // the report's own reader: a malformed file is one line naming it and the field
  const text = readFileSync(path, 'utf8');
  const f = JSON.parse(text) as { model?: unknown; board?: unknown };
  const made = [f.model, f.board];
  const want = [design.model.name, design.board.name];
  if (made.some((v, i) => typeof v === 'string' && v !== want[i]))
    throw new UserError(
      `${path}: a search for ${String(f.model ?? '?')} on ${String(f.board ?? '?')}, but this design is ${want[0]} on ${want[1]}`,
    );
  return text;
}

/**
 * The design to generate: design.yaml (its model/board overridden by --model/--board), else the
 * board's default; --precision replaces either's precision preset (design.yaml's per-class
 * `types` still override it).
 */
export function designFor(opts: {
  model?: string;
  board?: string;
  design?: string;
  precision?: string;
}): Design {
  if (opts.precision !== undefined && !(PRECISION_PRESETS as readonly string[]).includes(opts.precision))
    throw new UserError(`--precision: '${opts.precision}' is not a preset (${PRECISION_PRESETS.join(', ')})`);
  const withPrecision = (value: Record<string, unknown>) =>
    opts.precision ? { ...value, precision: opts.precision } : value;
  if (opts.design) {
    const file = readYaml(opts.design);
    if (!file || typeof file !== 'object' || Array.isArray(file))
      throw new UserError(`design ${opts.design}: not a mapping`);
    const value = { ...(file as Record<string, unknown>) };
    if (opts.model) value.model = opts.model;
    if (opts.board) value.board = opts.board;
    return resolveDesign(withPrecision(value), `design ${opts.design}`);
  }
  if (!opts.model || !opts.board) throw new UserError('give --model and --board (or --design design.yaml)');
  return resolveDesign(
    withPrecision(defaultDesignFile(opts.model, opts.board) as Record<string, unknown>),
    `default design for ${opts.model} on ${opts.board}`,
  );
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description(
      'write a self-contained project: HLS kernels + config.h, building blocks, csim headers and runner, XRT host, ' +
        'Vitis scripts, design.yaml (model and board inlined) and manifest.json',
    )
    .option('--model <name|file.yaml>', 'model preset or model YAML (overrides the design file)')
    .option('--board <name|file.yaml>', 'board name or board YAML (overrides the design file)')
    .option(
      '--design <design.yaml>',
      "kernel parameters and precision (default: UbiMoE's published parameters for the board)",
    )
    .option(
      '--precision <preset>',
      `precision preset (${PRECISION_PRESETS.join(', ')}; default: the design file's, else w16a32); ` +
        'w8a8 = 8-bit weights and linear inputs, 32-bit accumulators and residual stream (docs/csim.md)',
    )
    .requiredOption('-o, --output <dir>', 'project directory (new, empty, or a ubimoe project to regenerate)')
    .option(
      '--search-report <search.json>',
      `the search report of this design (ubimoe search --report): copied to <dir>/${REPORT_FILES.search}, ` +
        'where ubimoe report finds it (ubimoe demo puts it there itself)',
    )
    .action((opts: GenerateOpts) => {
      checkOutputDir(opts.output, '-o');
      const design = designFor(opts);
      const searchReport = opts.searchReport ? checkSearchReport(opts.searchReport, design) : undefined;
      const r = generateProject(design, opts.output);
      if (searchReport !== undefined) writeFileAtomic(join(opts.output, REPORT_FILES.search), searchReport);
      process.stdout.write(
        `generated ${opts.output}: ${r.files} files, design ${r.manifest.design_hash.slice(0, 12)} ` +
          `(${design.model.name} on ${design.board.name}, ${design.shared.clockMhz} MHz, ${design.file.precision})` +
          (searchReport !== undefined
            ? `; search report copied to ${join(opts.output, REPORT_FILES.search)}`
            : '') +
          '\n',
      );
      // after the project is written, so a refused output directory stays a one-line error
      const e = estimateDesign(design);
      if (searchReport !== undefined) {
        const chosen = readSearch(join(opts.output, REPORT_FILES.search))?.chosen;
        if (chosen && Math.abs(chosen.latencyMs - e.latencyMs) > 1e-6 * e.latencyMs)
          process.stderr.write(
            `note: the search report's chosen design (${chosen.latencyMs.toFixed(2)} ms/image predicted) is not this design ` +
              `(${e.latencyMs.toFixed(2)} ms/image predicted): the report will show that search as it is\n`,
          );
      }
      if (!e.fits)
        process.stderr.write(
          `note: ${opts.design ? `the design ${opts.design} is` : 'the default parameters are'} predicted not to fit ${design.board.name} (${e.violations[0]}); ` +
            `the project still C-simulates, but run 'ubimoe search' for a design that fits\n`,
        );
    });
}
