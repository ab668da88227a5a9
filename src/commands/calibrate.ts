import type { Command } from 'commander';
import { calibrateSweep, formatFit } from '../sweep/fit.js';

export function registerCalibrate(program: Command): void {
  program
    .command('calibrate')
    .description(
      "fit the cost model's correction factors (per kernel: latency cycles, DSP, BRAM18, URAM, LUT, FF) by least " +
        "squares (of the log ratios) over every synthesised design of a sweep; write the board's calibration file, " +
        'which estimate and search apply; print the residuals before and after the fit',
    )
    .argument('<dir>', 'a sweep directory (ubimoe sweep --target csynth|xo|hw)')
    .option('--replace', "start the board's calibration afresh (default: keep other designs already in it)")
    .action((dir: string, opts: { replace?: boolean }) => {
      const r = calibrateSweep(dir, { replace: opts.replace });
      process.stdout.write(
        `calibrate ${dir}: ${r.designs} synthesised design(s) of board ${r.board}; relative residuals ` +
          'synthesised / (factor × predicted) - 1, before (factor 1, the uncalibrated model) and after the fit:\n' +
          formatFit(r) +
          `wrote ${r.path} (${r.fileDesigns} design(s); ubimoe estimate and search apply it, --no-calibration ignores it)\n`,
      );
    });
}
