/** The report as a reader sees it: opened in headless Chromium, every chart drawn, nothing broken. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
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
        'chart-cosine',
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
});
