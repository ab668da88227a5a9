/**
 * Measured power of a run (`ubimoe run --power`): the samples (the XRT host's --power-log on Alveo,
 * the hwmon rails on Zynq), their mean, energy per image (mean W × wall time / images), and the
 * saved report reports/power.json that `ubimoe report` sets beside the prediction.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';

/** Where a Zynq power rail's watts go (INA226 rails mapped by the board file). */
export type Domain = 'ps' | 'pl' | 'ddr' | 'other';

export interface PowerSample {
  t: number; // seconds since sampling started
  watts: number;
  domains?: Record<Domain, number>; // Zynq: W per rail group
}

export interface MeasuredPower {
  source: string;
  samples: number;
  meanW: number;
  wallS: number;
  images: number;
  energyJPerImage: number;
  domainsW?: Record<Domain, number>; // mean per domain (Zynq)
}

/** The XRT host's power log ("<seconds> <watts>" lines; "error <why>" when the card gave no figure). */
export function readXrtPowerLog(path: string): PowerSample[] {
  const samples: PowerSample[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n').filter(Boolean)) {
    if (line.startsWith('error '))
      throw new Error(`measured power unavailable: ${line.slice(6)} (XRT electrical info)`);
    const [t, w] = line.split(' ').map(Number);
    if (!Number.isFinite(t) || !Number.isFinite(w)) throw new Error(`${path}: bad power sample '${line}'`);
    samples.push({ t, watts: w });
  }
  if (samples.length === 0) throw new Error(`${path}: the host wrote no power sample`);
  return samples;
}

export function summarisePower(
  samples: PowerSample[],
  source: string,
  wallS: number,
  images: number,
): MeasuredPower {
  const mean = (f: (s: PowerSample) => number) => samples.reduce((a, s) => a + f(s), 0) / samples.length;
  const meanW = mean((s) => s.watts);
  const withDomains = samples.every((s) => s.domains);
  return {
    source,
    samples: samples.length,
    meanW,
    wallS,
    images,
    energyJPerImage: images > 0 ? (meanW * wallS) / images : 0,
    ...(withDomains
      ? {
          domainsW: {
            ps: mean((s) => s.domains!.ps),
            pl: mean((s) => s.domains!.pl),
            ddr: mean((s) => s.domains!.ddr),
            other: mean((s) => s.domains!.other),
          },
        }
      : {}),
  };
}

export function formatMeasuredPower(
  m: MeasuredPower,
  predicted: { powerW: number; energyJPerImage: number } | null,
): string {
  const dom = m.domainsW
    ? ` (PS ${m.domainsW.ps.toFixed(2)}, PL ${m.domainsW.pl.toFixed(2)}, DDR ${m.domainsW.ddr.toFixed(2)}, other ${m.domainsW.other.toFixed(2)} W)`
    : '';
  const pred = predicted
    ? `; predicted ${predicted.powerW.toFixed(2)} W, ${predicted.energyJPerImage.toPrecision(3)} J/image (one image at a time)`
    : '';
  return (
    `measured power: mean ${m.meanW.toFixed(2)} W${dom} over ${m.samples} samples (${m.source}), ` +
    `${m.energyJPerImage.toPrecision(3)} J/image (mean W × ${m.wallS.toFixed(2)} s / ${m.images} images)${pred}\n`
  );
}

/** reports/power.json of a project (atomically). */
export function writePowerReport(
  projectDir: string,
  m: MeasuredPower,
  samples: PowerSample[],
  extra: Record<string, unknown>,
): string {
  const path = join(projectDir, 'reports', 'power.json');
  writeFileAtomic(
    path,
    JSON.stringify(
      {
        format: 'ubimoe-power/1',
        note: 'measured on the board during ubimoe run --power',
        ...extra,
        source: m.source,
        samples: m.samples,
        mean_w: m.meanW,
        wall_s: m.wallS,
        images: m.images,
        energy_j_per_image: m.energyJPerImage,
        ...(m.domainsW ? { domains_w: m.domainsW } : {}),
        per_sample: samples.map((s) => ({
          t: s.t,
          w: s.watts,
          ...(s.domains ? { domains: s.domains } : {}),
        })),
      },
      null,
      2,
    ) + '\n',
  );
  return path;
}
