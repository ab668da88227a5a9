/**
 * Measured power on Zynq boards: the INA226 monitors Linux exposes under /sys/class/hwmon
 * (hwmonN/name, hwmonN/power1_input in µW), read every interval while a run streams, grouped into
 * PS / PL / DDR by the board file's `power.rails` (hwmon name -> domain; other INA226 rails count
 * as "other"). The root is overridable (UBIMOE_HWMON_ROOT) so tests can serve a fake tree.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import type { Domain, PowerSample } from './power.js';

export const HWMON_ROOT_ENV = 'UBIMOE_HWMON_ROOT';

export type { Domain } from './power.js';

interface Rail {
  name: string;
  file: string; // power1_input
  domain: Domain;
}

/** The INA226 rails under `root` (hwmon devices whose name starts with ina226), with their domains. */
export function findRails(root: string, map: Record<string, Domain> = {}): Rail[] {
  if (!existsSync(root)) throw new UserError(`--power: ${root} does not exist (no hwmon power monitors)`);
  const rails = readdirSync(root)
    .sort()
    .flatMap((d) => {
      const nameFile = join(root, d, 'name');
      const file = join(root, d, 'power1_input');
      if (!existsSync(nameFile) || !existsSync(file)) return [];
      const name = readFileSync(nameFile, 'utf8').trim();
      if (!/^ina2\d\d/i.test(name)) return [];
      return [{ name, file, domain: map[name] ?? ('other' as Domain) }];
    });
  if (rails.length === 0)
    throw new UserError(
      `--power: no INA226 power monitors under ${root} (hwmon*/name ina226*, power1_input)`,
    );
  return rails;
}

/** Samples the rails every `intervalMs` from start() to stop() (one sample at each end). */
export class HwmonSampler {
  private readonly samples: PowerSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private t0 = 0;

  constructor(
    private readonly rails: Rail[],
    private readonly intervalMs = 100,
  ) {}

  private sample(): void {
    const domains: Record<Domain, number> = { ps: 0, pl: 0, ddr: 0, other: 0 };
    for (const r of this.rails) {
      const uw = Number(readFileSync(r.file, 'utf8').trim());
      if (!Number.isFinite(uw)) throw new Error(`${r.file}: not a number of µW`);
      domains[r.domain] += uw / 1e6;
    }
    const watts = domains.ps + domains.pl + domains.ddr + domains.other;
    this.samples.push({ t: (performance.now() - this.t0) / 1e3, watts, domains });
  }

  start(): void {
    this.t0 = performance.now();
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  stop(): PowerSample[] {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    return this.samples;
  }
}
