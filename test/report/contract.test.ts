/**
 * The report reads what the other commands write: the search report (runSearch), the estimate
 * (estimateJson) and the accuracy report (accuracyJson), produced here by their own code.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSearch } from '../../search/index.js';
import { loadBoard } from '../../src/board/load.js';
import { accuracyJson, compareTokens } from '../../src/toolchain/accuracy.js';
import { resolveDesign } from '../../src/design/design.js';
import { estimateDesign, estimateJson } from '../../src/design/estimate.js';
import { loadModel } from '../../src/model/config.js';
import { readAccuracy } from '../../src/report/read/accuracy.js';
import { readEstimate } from '../../src/report/read/estimate.js';
import { readSearch } from '../../src/report/read/search.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ubimoe-contract-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const write = (name: string, value: unknown) => {
  const p = join(tmp, name);
  writeFileSync(p, JSON.stringify(value));
  return p;
};

describe('report inputs as the other commands write them', () => {
  const model = loadModel('micro');
  const board = loadBoard('zcu102');
  const search = runSearch({
    model,
    modelRef: 'micro',
    board,
    boardRef: 'zcu102',
    objective: 'latency',
    seed: 3,
    ga: { population: 16, generations: 4, stall: 4 },
  });

  test('search.json from runSearch', () => {
    const s = readSearch(write('search.json', search.report))!;
    expect(s.front.length).toBeGreaterThan(0);
    expect(s.chosen?.latencyMs).toBeCloseTo(search.estimate.latencyMs, 9);
    expect(s.chosen?.dsp).toBe(search.estimate.resources.dsp);
    expect(s.history.length).toBeGreaterThan(0);
    expect(s.objective).toBe('latency');
  });

  test('estimate.json from estimateJson, for the design the search chose', () => {
    const design = resolveDesign(search.designFile, 'searched design');
    const e = estimateDesign(design);
    const p = readEstimate(write('estimate.json', estimateJson(e, { design: design.file })))!;
    expect(p.latencyMs).toBe(e.latencyMs);
    expect(p.kernels.map((k) => [k.name, k.calls, k.cyclesPerImage, k.slrs])).toEqual(
      e.kernels.map((k) => [k.name, k.calls, k.cycles, k.slrs]),
    );
    expect(p.stages).toHaveLength(1 + model.depth);
  });

  test('accuracy.json from accuracyJson', () => {
    const ref = Float32Array.from({ length: 2 * 17 * 32 }, (_, i) => Math.sin(i));
    const out = ref.map((v, i) => v + (i % 7) * 1e-4);
    const acc = { ...compareTokens(out, ref, 32, 2), expertAgreement: 0.75 };
    const a = readAccuracy(
      write('accuracy.json', accuracyJson(acc, { task: 1, design_hash: 'ab'.repeat(8) })),
    )!;
    expect(a.cosine).toHaveLength(34);
    expect(a.cosineMin).toBeCloseTo(acc.cosineMin, 8);
    expect(a.relL2).toBeCloseTo(acc.relL2, 8);
    expect(a.expertAgreement).toBe(0.75);
    expect([a.task, a.designHash]).toEqual([1, 'abababababababab']);
  });
});
