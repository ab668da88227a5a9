/** Per-board calibration saved from synthesis results, and the factors estimate applies. */
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  boardCalibration,
  calibrated,
  calibrationPath,
  loadCalibration,
  ratiosFromComparison,
  saveCalibration,
} from '../../src/toolchain/calibration.js';
import type { ComparisonRow } from '../../src/toolchain/compare.js';

const dir = mkdtempSync(join(tmpdir(), 'ubimoe-cal-'));
const env = { UBIMOE_CALIBRATION_DIR: dir };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const row = (
  kernel: ComparisonRow['kernel'],
  metric: ComparisonRow['metric'],
  ratio: number | null,
): ComparisonRow => ({
  kernel,
  metric,
  predicted: 1,
  synthesised: ratio,
  ratio,
});

describe('calibration', () => {
  test('ratios keep the calibrated metrics with a usable ratio', () => {
    const r = ratiosFromComparison([
      row('msa_block', 'latency_cycles', 1.2),
      row('msa_block', 'clock_mhz', 1.1), // informational, not a cost-model factor
      row('msa_block', 'uram', null),
      row('ffn_block', 'dsp', 0.5),
    ]);
    expect(r).toEqual({ msa_block: { latency_cycles: 1.2 }, ffn_block: { dsp: 0.5 } });
  });

  test('no calibration yet: null, and values pass through unchanged', () => {
    expect(loadCalibration('u280', env)).toBeNull();
    expect(boardCalibration('u280', env)).toBeNull();
    expect(calibrated(null, 'msa_block', 'dsp', 100)).toBe(100);
  });

  test('factors are the geometric mean over designs; saving a design again replaces it', () => {
    saveCalibration(
      'u280',
      {
        design: 'aaa',
        model: 'micro',
        project: '/p/a',
        ratios: { msa_block: { dsp: 2, latency_cycles: 1.5 } },
      },
      env,
    );
    saveCalibration(
      'u280',
      { design: 'bbb', model: 'm3vit-tiny', project: '/p/b', ratios: { msa_block: { dsp: 8 } } },
      env,
    );
    let f = boardCalibration('u280', env)!;
    expect(f.designs).toBe(2);
    expect(f.path).toBe(calibrationPath('u280', env));
    expect(f.factors.msa_block?.dsp).toBeCloseTo(4, 12);
    expect(f.factors.msa_block?.latency_cycles).toBeCloseTo(1.5, 12);
    expect(calibrated(f, 'msa_block', 'dsp', 100)).toBeCloseTo(400, 9);
    expect(calibrated(f, 'ffn_block', 'dsp', 100)).toBe(100);
    saveCalibration(
      'u280',
      { design: 'bbb', model: 'm3vit-tiny', project: '/p/b', ratios: { msa_block: { dsp: 2 } } },
      env,
    );
    f = boardCalibration('u280', env)!;
    expect(f.designs).toBe(2);
    expect(f.factors.msa_block?.dsp).toBeCloseTo(2, 12);
    expect(boardCalibration('zcu102', env)).toBeNull();
  });

  test('nothing to save, and a damaged file, are user errors', () => {
    expect(() =>
      saveCalibration('u50', { design: 'x', model: 'micro', project: '/p', ratios: {} }, env),
    ).toThrow(/nothing to calibrate/);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'u250.json'), '{ not json');
    expect(() => loadCalibration('u250', env)).toThrow(
      /u250\.json: not valid JSON: .* \(delete it to start over\)/,
    );
    writeFileSync(
      join(dir, 'u250.json'),
      JSON.stringify({ format: 'ubimoe-calibration/1', board: 'u250', designs: [{ design: 'x' }] }),
    );
    expect(() => loadCalibration('u250', env)).toThrow(
      /calibration .*u250\.json: designs\.0\.model: Required/,
    );
  });
});
