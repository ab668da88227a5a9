/**
 * `ubimoe calibrate DIR` recovers known correction factors: a csynth sweep (local pool, stub Vitis
 * HLS) of 3 micro designs whose stub synthesis reports were made from the cost model's own
 * prediction for each design times known factors, per kernel and metric.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { predictionForDesign } from '../../src/toolchain/prediction.js';
import { designFor } from '../../src/commands/generate.js';
import { packageRoot } from '../../src/util/paths.js';
import { readJson, ubimoe, vitisEnv } from './cluster.js';
import { sweepArgs, writeDesign } from './designs.js';

const tmp = mkdtempSync(join(tmpdir(), 'ubimoe-calibrate-'));
const at = (p: string) => join(tmp, p);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const KERNELS = ['patch_embed', 'msa_block', 'ffn_block'] as const;
// synthesised = factor × predicted; different per kernel, so a mix-up shows
const FACTORS: Record<string, Record<string, number>> = {
  patch_embed: { latency_cycles: 1.7, dsp: 0.8, bram18: 1.25, lut: 0.9, ff: 1.1 },
  msa_block: { latency_cycles: 2.3, dsp: 0.65, bram18: 1.5, lut: 1.2, ff: 0.75 },
  ffn_block: { latency_cycles: 1.4, dsp: 0.9, bram18: 0.7, lut: 1.35, ff: 1.05 },
};
const XML_TAG: Record<string, string> = { dsp: 'DSP', bram18: 'BRAM_18K', lut: 'LUT', ff: 'FF' };

/** The fixture's csynth.xml with the latency and the used resources replaced. */
function stubReport(kernel: string, values: Record<string, number>): string {
  let xml = readFileSync(join(packageRoot, 'test', 'fixtures', 'csynth', 'u280', `${kernel}.xml`), 'utf8');
  const lat = String(values.latency_cycles);
  for (const tag of ['Best-caseLatency', 'Average-caseLatency', 'Worst-caseLatency'])
    xml = xml.replace(new RegExp(`<${tag}>[^<]*</${tag}>`), `<${tag}>${lat}</${tag}>`);
  const start = xml.indexOf('<Resources>');
  const end = xml.indexOf('</Resources>', start);
  let used = xml.slice(start, end);
  for (const [m, tag] of Object.entries(XML_TAG))
    used = used.replace(new RegExp(`<${tag}>\\d+</${tag}>`), `<${tag}>${values[m]}</${tag}>`);
  return xml.slice(0, start) + used + xml.slice(end);
}

describe('ubimoe calibrate', () => {
  test('recovers known factors within 2% from stub synthesis reports made with them', () => {
    const variants: Array<Record<string, Record<string, number>>> = [
      { patch_embed: { tile_out: 8 }, msa_block: { q_parallel: 2 } },
      { patch_embed: { tile_out: 32 }, ffn_block: { tile_in: 8 } },
      { msa_block: { tile_out: 4 }, ffn_block: { tile_out: 32 } },
    ];
    const designs = variants.map((v, i) => {
      const f = at(`design${i}.yaml`);
      writeDesign(f, v);
      return f;
    });
    // the stub copies <dir>/<project dir name>/<kernel>.xml: d00, d01, d02 in the sweep's order
    const reports = at('reports');
    designs.forEach((f, i) => {
      const pred = predictionForDesign(designFor({ design: f }));
      const dir = join(reports, `d0${i}`);
      mkdirSync(dir, { recursive: true });
      for (const k of KERNELS) {
        const p = pred[k]!;
        const values: Record<string, number> = {
          latency_cycles: Math.round(FACTORS[k].latency_cycles * p.cycles!),
        };
        for (const m of ['dsp', 'bram18', 'lut', 'ff'] as const)
          values[m] = Math.round(FACTORS[k][m] * p.resources[m]);
        writeFileSync(join(dir, `${k}.xml`), stubReport(k, values));
      }
    });
    const env = vitisEnv(tmp, {
      HOME: tmp,
      UBIMOE_STUB_CSYNTH_DIR: reports,
      UBIMOE_CALIBRATION_DIR: at('calibration'),
    });
    const dir = at('sweep');
    const s = ubimoe(
      env,
      ...sweepArgs(['--designs', ...designs], 'csynth', dir, '--scheduler', 'local', '--poll', '0.2'),
    );
    expect(s.stderr).toMatch(/^sweep: 0 queued, 0 running, 9 done, 0 failed \(of 9 tasks\)$/m);
    expect(s.code).toBe(0);

    const r = ubimoe(env, 'calibrate', dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^calibrate .*: 3 synthesised design\(s\) of board u280/);
    expect(r.stdout).toMatch(
      /^kernel +metric +points +factor +rms before +rms after +max before +max after$/m,
    );
    const cal = readJson(join(at('calibration'), 'u280.json'));
    expect(cal.designs.length).toBe(3);
    for (const k of KERNELS)
      for (const [m, f] of Object.entries(FACTORS[k])) {
        // the printed row: 3 points, the factor, residuals that drop below 2% after the fit
        const row = new RegExp(
          `^${k} +${m} +3 +([\\d.]+) +([\\d.]+)% +([\\d.]+)% +[\\d.]+% +([\\d.]+)%$`,
          'm',
        ).exec(r.stdout);
        expect(row).not.toBeNull();
        const fitted = Number(row![1]);
        expect(Math.abs(fitted / f - 1)).toBeLessThan(0.02);
        expect(Number(row![3])).toBeLessThan(2);
        // reports hold integers: a few BRAMs carry a rounding error of up to 0.5 / count
        expect(Number(row![4])).toBeLessThan(5);
        if (Math.abs(f - 1) > 0.1) expect(Number(row![2])).toBeGreaterThan(5);
      }

    // ubimoe estimate applies the fitted factors: calibrated/uncalibrated = factor
    const est = (...a: string[]) =>
      JSON.parse(ubimoe(env, 'estimate', '--project', join(dir, 'designs', 'd01'), '--json', ...a).stdout);
    const cu = (
      e: { kernels: Array<{ name: string; resources_per_cu: Record<string, number> }> },
      k: string,
    ) => e.kernels.find((x) => x.name === k)!.resources_per_cu;
    const calibrated = est();
    const raw = est('--no-calibration');
    expect(calibrated.calibration.designs).toBe(3);
    const ratio = cu(calibrated, 'msa_block').lut / cu(raw, 'msa_block').lut;
    expect(Math.abs(ratio / FACTORS.msa_block.lut - 1)).toBeLessThan(0.02);

    // a sweep without synthesis reports: one line, exit 2
    const none = ubimoe(env, 'calibrate', at('nowhere'));
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^ubimoe: error: .*nowhere: no sweep\.json \(not a sweep directory\)\n$/);
  }, 900_000);
});
