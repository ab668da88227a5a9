/**
 * `ubimoe run --power`: how a run's power is measured on its board, chosen by the board's flow.
 * Alveo: the XRT host samples the card's electrical info into a private log (--power-log). Zynq
 * (embedded): the driver reads the INA226 rails under /sys/class/hwmon (or $UBIMOE_HWMON_ROOT)
 * while the run streams. Either way the result is printed beside the prediction and saved as
 * <project>/reports/power.json for `ubimoe report`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { estimateDesign } from '../design/estimate.js';
import type { AcceleratorOptions } from './accelerator.js';
import {
  formatMeasuredPower,
  readXrtPowerLog,
  summarisePower,
  writePowerReport,
  type PowerSample,
} from './power.js';
import { HWMON_ROOT_ENV, HwmonSampler, findRails } from './powerHwmon.js';
import type { Project } from './project.js';

export interface PowerRun {
  acceleratorOptions: Pick<AcceleratorOptions, 'powerLog'>;
  start(): void;
  /** Stops sampling, writes reports/power.json, returns the lines to print. */
  finish(images: number, wallS: number, extra: Record<string, unknown>): string;
  /** Removes private files (idempotent). */
  dispose(): void;
}

export function preparePowerRun(project: Project, intervalMs: number): PowerRun {
  const board = project.design.board;
  const predicted = estimateDesign(project.design).power;
  const done = (
    samples: PowerSample[],
    source: string,
    images: number,
    wallS: number,
    extra: Record<string, unknown>,
  ) => {
    const m = summarisePower(samples, source, wallS, images);
    const path = writePowerReport(project.dir, m, samples, {
      ...extra,
      board: board.name,
      predicted: predicted
        ? {
            power_w: predicted.powerW,
            energy_j_per_image: predicted.energyJPerImage,
            gops_per_w: predicted.gopsPerW,
          }
        : null,
    });
    return formatMeasuredPower(m, predicted) + `wrote ${path}\n`;
  };
  if (board.flow === 'vitis-embedded') {
    const root = process.env[HWMON_ROOT_ENV] || '/sys/class/hwmon';
    const sampler = new HwmonSampler(findRails(root, board.power?.rails), intervalMs);
    return {
      acceleratorOptions: {},
      start: () => sampler.start(),
      finish: (images, wallS, extra) =>
        done(sampler.stop(), `INA226 rails under ${root}`, images, wallS, extra),
      dispose: () => {
        sampler.stop();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'ubimoe-power-'));
  const path = join(dir, 'power.log');
  return {
    acceleratorOptions: { powerLog: { path, intervalMs } },
    start: () => {},
    finish: (images, wallS, extra) =>
      done(readXrtPowerLog(path), 'XRT electrical info of the card', images, wallS, extra),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
