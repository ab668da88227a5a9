/** The report as a reader sees it: opened in headless Chromium, every chart drawn, nothing broken. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReport } from '../../src/report/index.js';
import { packageRoot } from '../../src/util/paths.js';
import { renderInChromium, requireChromium } from './browser.js';

const fixtures = join(packageRoot, 'test', 'fixtures', 'report');
const artifacts = join(packageRoot, 'test', 'artifacts');
let tmp: string;

beforeAll(() => {
  requireChromium(); // fails the suite with the install hint when Chromium is absent
  tmp = mkdtempSync(join(tmpdir(), 'ubimoe-report-'));
  mkdirSync(artifacts, { recursive: true });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('report.html in headless Chromium', () => {
  test('a project with every report: all charts drawn, labels inside their charts, no console errors, no requests', async () => {
    const out = join(tmp, 'full.html');
    writeReport(join(fixtures, 'u280-full'), out);
    const r = await renderInChromium(out, join(artifacts, 'report.png'));

    expect(r.consoleErrors).toEqual([]);
    expect(r.requests).toEqual([]); // self-contained: no fonts, images, scripts or styles fetched
    expect(r.overflowing).toEqual([]); // nothing wider than the page
    expect(r.title).toBe('ubimoe report — m3vit-tiny on u280');
    expect(r.charts.map((c) => c.id).sort()).toEqual(
      [
        'chart-cosine-error',
        'chart-latency-kernels',
        'chart-latency-stages',
        'chart-pareto',
        'chart-resources',
      ].sort(),
    );
    for (const c of r.charts) {
      expect({ id: c.id, nonZero: c.width > 100 && c.height > 100, hasText: c.texts > 5 }).toEqual({
        id: c.id,
        nonZero: true,
        hasText: true,
      });
      expect({ id: c.id, clipped: c.textsOutside }).toEqual({ id: c.id, clipped: [] });
    }
    expect(r.sections.latency).toMatch(/PREDICTED/i);
    expect(r.sections.latency).toMatch(/Predicted end-to-end latency: \d/);
    expect(r.sections.resources).toMatch(/SLR 2/);
    expect(r.sections.search).toMatch(/chosen: /);
    expect(r.sections.accuracy).toMatch(/99\.61 %/);
    expect(r.sections.synth).toMatch(/1\.64×/);
  });

  test('a project with only its design: the estimate is computed, every other section says plainly what is absent', async () => {
    const out = join(tmp, 'bare.html');
    writeReport(join(fixtures, 'zcu102-bare'), out);
    const r = await renderInChromium(out, join(artifacts, 'report-bare.png'));
    expect(r.consoleErrors).toEqual([]);
    expect(r.requests).toEqual([]);
    expect(r.overflowing).toEqual([]);
    expect(r.charts.map((c) => c.id).sort()).toEqual([
      'chart-latency-kernels',
      'chart-latency-stages',
      'chart-resources',
      'chart-roofline',
    ]);
    for (const c of r.charts)
      expect({ id: c.id, w: c.width > 100, h: c.height > 100, clipped: c.textsOutside }).toEqual({
        id: c.id,
        w: true,
        h: true,
        clipped: [],
      });
    expect(r.sections.design).toMatch(/micro/);
    expect(r.sections.latency).toMatch(
      /no reports\/estimate\.json: these figures were computed from design\.yaml/,
    );
    expect(r.sections.resources).not.toMatch(/SLR 0/); // one region on a Zynq board
    expect(r.sections.search).toMatch(/No search report: this design was not searched/);
    expect(r.sections.accuracy).toMatch(/No accuracy report/);
    expect(r.sections.synth).toMatch(/No synthesis reports/);
  });

  test('edge cases lay out cleanly: cosines within 1e-7 of 1, a one-point search, a partial synthesis with unknown latency', async () => {
    const dir = join(tmp, 'edges');
    cpSync(join(fixtures, 'zcu102-bare'), dir, { recursive: true });
    mkdirSync(join(dir, 'reports'));
    const cosines = Array.from({ length: 34 }, (_, i) => 1 - (i % 17) * 1.3e-8);
    writeFileSync(
      join(dir, 'reports', 'accuracy.json'),
      JSON.stringify({
        images: 2,
        cosine: { per_token: cosines },
        rel_l2: 4.4e-4,
        max_abs: 1.46e-3,
        expert_agreement: 1,
      }),
    );
    const one = { latency_ms: 0.0638, dsp: 1176, label: 'the only design' };
    writeFileSync(join(dir, 'reports', 'search.json'), JSON.stringify({ pareto: [one], chosen: one }));
    const kernel = {
      top: 'msa_block',
      targetClockNs: 3.333,
      estimatedClockNs: 3.9,
      estimatedFmaxMhz: 256.4,
      latency: { best: null, average: null, worst: null },
      interval: { min: null, max: null },
      used: { dsp: 900, bram18: 30, uram: 0, lut: 90000, ff: 100000 },
      available: null,
      source: 'build/hls/msa_block/sol/syn/report/csynth.xml',
    };
    writeFileSync(
      join(dir, 'reports', 'synth.json'),
      JSON.stringify({ format: 'ubimoe-synth/1', tool: 'vitis_hls', kernels: { msa_block: kernel } }),
    );
    const out = join(tmp, 'edges.html');
    writeReport(dir, out);
    const r = await renderInChromium(out, join(artifacts, 'report-edges.png'));
    expect(r.consoleErrors).toEqual([]);
    expect(r.overflowing).toEqual([]);
    expect(r.charts).toHaveLength(6);
    for (const c of r.charts)
      expect({ id: c.id, clipped: c.textsOutside }).toEqual({ id: c.id, clipped: [] });
    // the worst token, not a rounded 1.000000
    expect(r.sections.accuracy).toMatch(/min cosine\s+0\.999999792\s+worst token: 1 − cos = 2\.08e−7/i);
    expect(r.summary).toMatch(/0\.999999792/);
    expect(r.sections.synth).toMatch(/msa_block/);
    expect(r.sections.synth).not.toMatch(/patch_embed/);
  });
});
