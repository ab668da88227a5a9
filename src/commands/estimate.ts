import type { Command } from 'commander';
import { join } from 'node:path';
import { loadBoard } from '../board/load.js';
import { RESOURCE_KEYS, type Resources } from '../board/schema.js';
import { blockKernels, defaultDesignFile, loadDesign, resolveDesign, weightPortsText, type Design } from '../design/design.js';
import { boardCalibration } from '../toolchain/calibration.js';
import {
  checkRouting,
  estimateDesign,
  estimateJson,
  type DesignEstimate,
  type Routing,
} from '../design/estimate.js';
import { loadModel } from '../model/config.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { readYaml } from '../util/yamlfile.js';
import { parseLimits, splitPowerLimit } from '../../search/options.js';
import { formatPower } from './powerText.js';
import { measureRouting, readRouting } from '../../search/routing.js';
import { checkOutputFile } from '../util/outputs.js';
import { validateDesign } from '../design/validate.js';

interface EstimateOpts {
  model?: string;
  board?: string;
  design?: string;
  project?: string;
  json?: boolean;
  output?: string;
  limit?: string;
  routing?: string;
  routingCheckpoint?: string;
  routingInput?: string;
  task: string;
  calibration: boolean;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function table(rows: string[][], right: boolean[]): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => (right[i] ? c.padStart(w[i]) : c.padEnd(w[i])))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

const resCells = (r: Resources) => RESOURCE_KEYS.map((k) => int(r[k]));

/** The human-readable estimate: per kernel, per block, totals, % of board, predicted figures. */
export function formatEstimate(d: Design, e: DesignEstimate): string {
  const ms = (c: number) => (c / (e.clockMhz * 1e3)).toFixed(3);
  const multi = e.slrs.length > 1;
  let out = `ubimoe estimate: ${d.model.name} on ${d.board.name} at ${e.clockMhz} MHz, AXI ${d.shared.axiWidthBits}-bit, ${weightPortsText(d)} — every figure is PREDICTED by the cost model (docs/cost-model.md), not measured\n\n`;
  const head = [
    'per kernel (predicted)',
    'calls',
    'CUs',
    'cycles/image',
    'ms/image',
    'DSP',
    'BRAM18',
    'URAM',
    'LUT',
    'FF',
    ...(multi ? ['SLR'] : []),
  ];
  const rows = [head];
  for (const k of e.kernels)
    rows.push([
      k.name,
      String(k.calls),
      String(k.computeUnits),
      int(k.cycles),
      ms(k.cycles),
      ...resCells(k.resources),
      ...(multi ? [k.span > 1 ? `${k.slr}-${k.slr + k.span - 1}` : k.slrs.join(',')] : []),
    ]);
  for (const o of e.overhead)
    rows.push([
      `${o.name}${multi ? ` SLR${o.slr}` : ''}`,
      '',
      '',
      '',
      '',
      ...resCells(o.resources),
      ...(multi ? [String(o.slr)] : []),
    ]);
  rows.push([
    'total',
    String(e.kernels.reduce((a, k) => a + k.calls, 0)),
    '',
    int(e.latencyCycles),
    ms(e.latencyCycles),
    ...resCells(e.resources),
    ...(multi ? [''] : []),
  ]);
  rows.push([
    '% of board',
    '',
    '',
    '',
    '',
    ...RESOURCE_KEYS.map((k) => pct(e.utilisation[k])),
    ...(multi ? [''] : []),
  ]);
  rows.push([
    'limit',
    '',
    '',
    '',
    '',
    ...RESOURCE_KEYS.map((k) => pct(d.board.limits[k])),
    ...(multi ? [''] : []),
  ]);
  out += table(
    rows,
    head.map((_, i) => i > 0),
  );
  if (multi) {
    out += '\n';
    const srows = [['per SLR (predicted)', ...RESOURCE_KEYS.map((k) => `${k} used`)]];
    for (const s of e.slrs)
      srows.push([
        `SLR${s.slr}`,
        ...RESOURCE_KEYS.map(
          (k) => `${int(s.used[k])} (${pct(s.available[k] ? s.used[k] / s.available[k] : 0)})`,
        ),
      ]);
    out += table(
      srows,
      srows[0].map((_, i) => i > 0),
    );
  }
  out += '\n';
  const blockNames = blockKernels(d);
  const brows = [['per block (predicted)', 'kind', ...blockNames.map((k) => `${k} cycles`), 'ms']];
  for (const s of e.stages) {
    const c = s.cycles;
    const sum = Object.values(c).reduce((a, v) => a + (v ?? 0), 0);
    brows.push([
      s.label === 'patch' ? 'patch embedding' : `block ${s.label}`,
      s.kind,
      ...blockNames.map((k) => (c[k] !== undefined ? int(c[k]) : '')),
      ms(sum),
    ]);
  }
  out += table(brows, [false, false, ...blockNames.map(() => true), true]);
  out +=
    `\npredicted latency ${e.latencyMs.toFixed(3)} ms/image (${int(e.latencyCycles)} cycles + host call overhead), ` +
    `throughput ${e.imagesPerSecond.toFixed(1)} images/s (bound: ${e.throughputBound}), ${e.gops.toFixed(1)} GOPS ` +
    `(${e.macsPerImage >= 1e8 ? `${(e.macsPerImage / 1e9).toFixed(3)} GMAC` : `${(e.macsPerImage / 1e6).toFixed(2)} MMAC`}/image), off-chip ${(e.weightBytesPerImage / 1e6).toFixed(1)} MB/image, ` +
    `predicted fmax ≈ ${Math.floor(e.fmaxMhz)} MHz\n`;
  const b = e.bounds;
  out +=
    `physical bound ${b.boundMs.toFixed(3)} ms/image (${b.boundBy}; compute ${b.computeBoundMs.toFixed(3)} ms with every DSP at ` +
    `${b.dspPerMac} per MAC, weight traffic ${b.weightBoundMs.toFixed(3)} ms): predicted latency ${b.latencyOverBound.toFixed(1)}× the bound, ` +
    `useful-MAC efficiency ${(100 * b.macEfficiency).toFixed(1)}% of the design's DSP MAC slots\n`;
  out += formatPower(e);
  out += e.fits ? 'fits the board limits\n' : `does NOT fit: ${e.violations.join('; ')}\n`;
  return out;
}

/** The design to estimate: --project, --design (optionally on another --model/--board), or the default for --model/--board. */
function designFrom(opts: EstimateOpts): Design {
  if (opts.project) {
    if (opts.design) throw new UserError('use either --project or --design, not both');
    return loadDesign(join(opts.project, 'design.yaml'));
  }
  if (opts.design) {
    if (!opts.model && !opts.board) return loadDesign(opts.design);
    const file = readYaml(opts.design) as Record<string, unknown>;
    return resolveDesign(
      { ...file, ...(opts.model ? { model: opts.model } : {}), ...(opts.board ? { board: opts.board } : {}) },
      `design ${opts.design}`,
    );
  }
  if (!opts.model || !opts.board)
    throw new UserError('give --model and --board (and optionally --design), or --design, or --project');
  loadModel(opts.model);
  loadBoard(opts.board);
  return resolveDesign(
    defaultDesignFile(opts.model, opts.board),
    `default design for ${opts.model} on ${opts.board}`,
  );
}

export function registerEstimate(program: Command): void {
  program
    .command('estimate')
    .description(
      "predict a design's cycles, latency, throughput, GOPS, resources per kernel and per block, and board power, " +
        "energy per image, GOPS/W and images/J from the cost and power models, and the board's physical bound " +
        '(every DSP doing MACs, every weight read once) with the useful-MAC efficiency ' +
        "(without --design: UbiMoE's published parameters on the board)",
    )
    .option('--model <name|file.yaml>', 'model preset or model YAML')
    .option('--board <name|file.yaml>', 'board name (see `ubimoe boards`) or board YAML')
    .option(
      '--design <design.yaml>',
      'design to estimate (--model/--board, if given, replace its model/board)',
    )
    .option(
      '--project <dir>',
      'a generated project: estimates its design.yaml and writes <dir>/reports/estimate.json',
    )
    .option('--json', 'print the estimate as JSON')
    .option('-o, --output <file.json>', 'also write the JSON estimate to this file (atomically)')
    .option(
      '--limit <key=value,...>',
      'override the board utilisation limits, e.g. dsp=0.6,bram=0.7; power=W caps the predicted board power',
    )
    .option('--routing <file.json>', 'measured MoE routing: {"tokens_per_expert": [[...] per MoE block]}')
    .option(
      '--routing-checkpoint <file.safetensors>',
      'measure the MoE routing by running this checkpoint through the reference model',
    )
    .option('--routing-input <images.npy>', 'images for --routing-checkpoint (default: 2 synthetic images)')
    .option('--task <t>', 'task whose gate routes the MoE blocks with --routing-checkpoint', '0')
    .option('--no-calibration', "ignore the board's saved calibration (ubimoe build --save-calibration)")
    .action((opts: EstimateOpts) => {
      if (opts.output) checkOutputFile(opts.output, '-o');
      const design = designFrom(opts);
      validateDesign(design); // a design the generator refuses has no estimate either
      const { rest: limitText, powerW: powerLimitW } = splitPowerLimit(opts.limit);
      design.board = { ...design.board, limits: parseLimits(limitText, design.board) };
      if (powerLimitW !== undefined && !design.board.power)
        throw new UserError(
          `--limit power: board ${design.board.name} has no power facts (power: static_w, platform_w), so no predicted power to cap`,
        );
      let routing: Routing | undefined;
      if (opts.routing && opts.routingCheckpoint)
        throw new UserError('use either --routing or --routing-checkpoint, not both');
      if (opts.routing) routing = readRouting(opts.routing);
      if (opts.routingCheckpoint) {
        const task = Number(opts.task);
        if (!Number.isInteger(task) || task < 0 || task >= design.model.tasks)
          throw new UserError(
            `--task: '${opts.task}' is not a task of model ${design.model.name} (0..${design.model.tasks - 1})`,
          );
        routing = measureRouting(design.model, opts.routingCheckpoint, opts.routingInput, task);
      }
      if (routing) checkRouting(routing, design.dims, opts.routing ?? 'measured routing');
      const cal = opts.calibration ? boardCalibration(design.board.name) : null;
      const e = estimateDesign(design, { routing, calibration: cal?.factors, powerLimitW });
      const json = estimateJson(e, {
        model: design.model.name,
        board: design.board.name,
        routing: routing
          ? opts.routing
            ? `file ${opts.routing}`
            : `measured with ${opts.routingCheckpoint}`
          : 'uniform',
        // the table the prediction used (averaged over the images when measured)
        tokens_per_expert: routing ? routing.tokensPerExpert : null,
        design: design.file,
        calibration: cal ? { designs: cal.designs, file: cal.path, factors: cal.factors } : 'none',
      });
      const text = JSON.stringify(json, null, 2) + '\n';
      if (opts.output) writeFileAtomic(opts.output, text);
      if (opts.project) writeFileAtomic(join(opts.project, 'reports', 'estimate.json'), text);
      process.stdout.write(opts.json ? text : formatEstimate(design, e));
      if (cal && !opts.json)
        process.stdout.write(
          `calibrated for ${cal.board} by synthesis results of ${cal.designs} design${cal.designs === 1 ? '' : 's'} (${cal.path}; --no-calibration to ignore)\n`,
        );
    });
}
