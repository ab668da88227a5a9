import type { Command } from 'commander';
import { boardNames, loadBoard } from '../board/load.js';
import { kernelResources, slrCount, totalBandwidthGBps } from '../board/resources.js';

export function registerBoards(program: Command): void {
  program
    .command('boards')
    .description('list the boards (boards/*.yaml): part, flow, clock, resources for kernels, memory')
    .option('--json', 'print as JSON')
    .action((opts: { json?: boolean }) => {
      const boards = boardNames().map((n) => loadBoard(n));
      if (opts.json) {
        process.stdout.write(JSON.stringify(boards, null, 2) + '\n');
        return;
      }
      const head = ['name', 'part', 'flow', 'MHz', 'SLRs', 'DSP', 'BRAM18', 'URAM', 'LUT', 'FF', 'mem GB/s'];
      const rows = boards.map((b) => {
        const r = kernelResources(b);
        return [
          b.name,
          b.part,
          b.flow,
          String(b.clocks_mhz.default),
          String(slrCount(b)),
          `${r.dsp}${b.dsp_kind === 'dsp58' ? '*' : ''}`,
          String(r.bram18),
          String(r.uram),
          String(r.lut),
          String(r.ff),
          totalBandwidthGBps(b).toFixed(1),
        ];
      });
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
      const line = (cells: string[]) =>
        cells
          .map((c, i) => c.padEnd(widths[i]))
          .join('  ')
          .trimEnd() + '\n';
      process.stdout.write(line(head));
      for (const r of rows) process.stdout.write(line(r));
      process.stdout.write(
        'resources are what kernels may use (device minus platform shell); * DSP58 (27×24)\n',
      );
    });
}
