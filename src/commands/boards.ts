import type { Command } from 'commander';
import { boardNames, loadBoard } from '../board/load.js';

export function registerBoards(program: Command): void {
  program
    .command('boards')
    .description('list the boards (boards/*.yaml): part, flow, clock, resources')
    .option('--json', 'print as JSON')
    .action((opts: { json?: boolean }) => {
      const boards = boardNames().map((n) => loadBoard(n));
      if (opts.json) {
        process.stdout.write(JSON.stringify(boards, null, 2) + '\n');
        return;
      }
      process.stdout.write('name     part                      flow            MHz  DSP    BRAM18 URAM  LUT      FF\n');
      for (const b of boards) {
        const r = b.resources;
        process.stdout.write(
          `${b.name.padEnd(8)} ${b.part.padEnd(25)} ${b.flow.padEnd(15)} ${String(b.clocks_mhz.default).padEnd(4)} ${String(r.dsp).padEnd(6)} ${String(r.bram18).padEnd(6)} ${String(r.uram).padEnd(5)} ${String(r.lut).padEnd(8)} ${r.ff}\n`,
        );
      }
    });
}
