import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { demoSummary, runDemo } from '../demo/pipeline.js';
import { UserError } from '../util/errors.js';
import { checkOutputDir } from '../util/outputs.js';

interface DemoOpts {
  model: string;
  board: string;
  images: string;
  output?: string;
  seed: string;
  workers: string;
  task: string;
}

/** A preset name as it is, a YAML path as its file name without the extension. */
function stem(nameOrPath: string): string {
  return basename(nameOrPath).replace(/\.ya?ml$/i, '');
}

function intFlag(text: string, flag: string, min: number, max: number): number {
  const v = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(v) || v < min || v > max)
    throw new UserError(`${flag}: '${text}' must be an integer ${min}..${max}`);
  return v;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'run the whole flow on one model and board: synthetic checkpoint (cached) -> two-stage search -> generate -> ' +
        'csim build -> stream images through the C-simulation with the driver -> compare with the float32 reference -> ' +
        'predicted estimate -> report.html. One line per step with its time, then a summary.',
    )
    .option('--model <name|file.yaml>', 'model preset or file', 'm3vit-tiny')
    .option('--board <name|file.yaml>', 'board name or file', 'zcu102')
    .option('--images <n>', 'synthetic test images to stream', '4')
    .option(
      '-o, --output <dir>',
      'output directory (checkpoint cache, design.yaml, project/, report.html); default out/demo/<model>-<board>, ' +
        'so demos of different boards or models do not overwrite each other',
    )
    .option('--seed <s>', 'seed of the checkpoint, the images and the search', '1')
    .option('--workers <n>', 'csim runner processes', '2')
    .option('--task <t>', 'task whose gate routes the MoE blocks', '0')
    .action(async (opts: DemoOpts) => {
      const o = {
        model: opts.model,
        board: opts.board,
        images: intFlag(opts.images, '--images', 1, 1024),
        out: opts.output ?? join('out', 'demo', `${stem(opts.model)}-${stem(opts.board)}`),
        seed: intFlag(opts.seed, '--seed', 0, 2 ** 31 - 1),
        workers: intFlag(opts.workers, '--workers', 1, 64),
        task: intFlag(opts.task, '--task', 0, 1023),
      };
      checkOutputDir(o.out, '-o');
      process.stdout.write(`ubimoe demo: ${o.model} on ${o.board}, ${o.images} images -> ${o.out}\n`);
      const t0 = performance.now();
      // on a terminal the running step stands on its own line until its result replaces it;
      // elsewhere (logs) a start line on stderr, so stdout keeps one line per step
      const tty = process.stdout.isTTY === true;
      const log = Object.assign((line: string) => process.stdout.write(`${tty ? '\r\x1b[K' : ''}${line}\n`), {
        start: (line: string) =>
          tty ? process.stdout.write(`\r\x1b[K${line}`) : process.stderr.write(`${line}\n`),
      });
      // step details (search generations, images done) only on a terminal, on the status line
      const detail = (line: string) => tty && process.stdout.write(`\r\x1b[K  ${line}`);
      const r = await runDemo(o, log, (line) => void detail(line));
      process.stdout.write(demoSummary(r));
      process.stdout.write(`total ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    });
}
