import type { Command } from 'commander';
import { loadModel, modelDims, presetNames } from '../model/config.js';

export function registerModels(program: Command): void {
  program
    .command('models')
    .description('list the model presets (models/*.yaml) with their main dimensions')
    .option('--json', 'print as JSON')
    .action((opts: { json?: boolean }) => {
      const rows = presetNames().map((n) => {
        const m = loadModel(n);
        const d = modelDims(m);
        return {
          name: n,
          D: d.D,
          depth: d.depth,
          heads: d.heads,
          experts: d.experts,
          top_k: d.topK,
          tokens: d.numTokens,
          image: `${m.img_h}x${m.img_w}`,
          tasks: d.tasks,
        };
      });
      if (opts.json) {
        process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
        return;
      }
      process.stdout.write('name          D    depth heads experts top-k tokens image    tasks\n');
      for (const r of rows)
        process.stdout.write(
          `${r.name.padEnd(13)} ${String(r.D).padEnd(4)} ${String(r.depth).padEnd(5)} ${String(r.heads).padEnd(5)} ${String(r.experts).padEnd(7)} ${String(r.top_k || '-').padEnd(5)} ${String(r.tokens).padEnd(6)} ${r.image.padEnd(8)} ${r.tasks}\n`,
        );
    });
}
