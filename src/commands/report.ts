import type { Command } from 'commander';
import { writeReport } from '../report/index.js';
import { checkOutputFile } from '../util/outputs.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description(
      'write a self-contained HTML report of a generated project (design, predicted latency, bounds and resources, ' +
        'published figures, power and energy, MoE routing, search, csim accuracy, synthesis). It reads what exists of design.yaml, ' +
        'manifest.json and reports/: estimate.json (ubimoe estimate --project), search.json (ubimoe generate ' +
        '--search-report, or demo), accuracy.json (ubimoe csim), experts.npy (ubimoe csim --experts ' +
        '<project>/reports/experts.npy), synth.json (ubimoe build) and power.json (ubimoe run --power; shown ' +
        'beside the predicted power)',
    )
    .requiredOption('--project <dir>', 'generated project directory')
    .option('-o, --output <file>', 'where to write the report (default: <project>/report.html)')
    .action((opts: { project: string; output?: string }) => {
      if (opts.output) checkOutputFile(opts.output, '-o', 'report.html');
      const r = writeReport(opts.project, opts.output);
      if (r.comparison) process.stdout.write(r.comparison);
      const notes: string[] = [];
      if (r.data.prediction?.source === 'computed') notes.push('estimate computed from design.yaml');
      const absent = [
        r.data.prediction ? '' : 'estimate',
        r.data.search ? '' : 'search',
        r.data.accuracy ? '' : 'accuracy',
        r.data.synth ? '' : 'synthesis',
      ].filter(Boolean);
      if (absent.length) notes.push(`no ${absent.join(', ')} data`);
      process.stdout.write(`report written to ${r.path}${notes.length ? ` (${notes.join('; ')})` : ''}\n`);
    });
}
