/**
 * The report's "Cycles (simulated vs predicted)" section, read from the page as Chromium renders
 * it: reports/cycles.json (as `ubimoe csim --cycles` / `ubimoe run --cycles` write it) shown per
 * kernel and stage with simulated, predicted and their ratio, labelled C-simulated and predicted
 * (never measured), and the timeline of one MoE block's ffn_block processes (busy then stall).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDesign } from '../../src/design/design.js';
import { writeReport } from '../../src/report/index.js';
import { packageRoot } from '../../src/util/paths.js';
import { renderInChromium, requireChromium } from './browser.js';

const fixtures = join(packageRoot, 'test', 'fixtures', 'report');
let tmp: string;
beforeAll(() => {
  requireChromium();
  tmp = mkdtempSync(join(tmpdir(), 'ubimoe-report-cycles-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A two-image cycles.json for the fixture's design: block b's ffn_block call costs 1000 + b. */
function cyclesJson(dir: string) {
  const design = loadDesign(join(dir, 'design.yaml'));
  const { dims } = design;
  const image = (extra: number) => {
    const calls: unknown[] = [
      {
        kernel: 'patch_embed',
        cycles: 500 + extra,
        stages: [{ name: 'linear', calls: 1, cycles: 400 }],
        regions: [],
      },
    ];
    for (let b = 0; b < dims.depth; b++) {
      calls.push({
        kernel: 'msa_block',
        cycles: 3000,
        stages: [{ name: 'attention', calls: 1, cycles: 2000 }],
        regions: [],
      });
      calls.push({
        kernel: 'ffn_block',
        cycles: 1000 + b,
        stages: [{ name: 'layernorm', calls: 1, cycles: 100 }],
        regions: [
          {
            name: 'ffn_engine',
            calls: 3,
            cycles: 800,
            processes: [
              { name: 'engine_read', calls: 3, busy: 500, stall: 250 },
              { name: 'ffn_compute', calls: 3, busy: 700, stall: 100 },
            ],
            streams: [],
          },
        ],
      });
    }
    const total = 500 + extra + dims.depth * 3000 + dims.depth * 1000 + (dims.depth * (dims.depth - 1)) / 2;
    return {
      total_cycles: total,
      kernels: {
        patch_embed: 500 + extra,
        msa_block: dims.depth * 3000,
        ffn_block: total - 500 - extra - dims.depth * 3000,
      },
      calls,
    };
  };
  const per = [image(0), image(100)];
  return {
    dims,
    json: {
      format: 'ubimoe-cycles/1',
      clock_mhz: 300,
      per_image: per,
      predicted: {
        per_image: per.map((i) => ({
          total_cycles: i.total_cycles / 2,
          kernels: Object.fromEntries(Object.entries(i.kernels).map(([k, v]) => [k, v / 2])),
          parts: { patch_embed: { linear: 200 }, msa_block: { attention: 1000 * dims.depth } },
          tokens_per_expert: null,
        })),
      },
    },
  };
}

describe('report: cycles (simulated vs predicted)', () => {
  test('the table per kernel and stage, badges, and the MoE block timeline', async () => {
    const dir = join(tmp, 'full');
    cpSync(join(fixtures, 'u280-full'), dir, { recursive: true });
    mkdirSync(join(dir, 'reports'), { recursive: true });
    const { dims, json } = cyclesJson(dir);
    writeFileSync(join(dir, 'reports', 'cycles.json'), JSON.stringify(json));
    const out = join(dir, 'report.html');
    writeReport(dir, out);
    const r = await renderInChromium(out, undefined, async (page) => ({
      rows: await page.$$eval('section#cycles table tbody tr', (trs) =>
        trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent?.trim())),
      ),
      heading: await page.$eval('section#cycles h2', (e) => e.textContent),
      gantt: await page.$$eval('svg#chart-cycles-timeline g.gantt-row', (gs) =>
        gs.map((g) => {
          const busy = g.querySelector('rect.busy') as SVGRectElement;
          const stall = g.querySelector('rect.stall') as SVGRectElement | null;
          return {
            process: g.getAttribute('data-process'),
            busyX: Number(busy.getAttribute('x')),
            busyW: Number(busy.getAttribute('width')),
            stallX: stall ? Number(stall.getAttribute('x')) : null,
            stallW: stall ? Number(stall.getAttribute('width')) : 0,
          };
        }),
      ),
    }));
    expect(r.consoleErrors).toEqual([]);
    expect(r.overflowing).toEqual([]);
    for (const c of r.charts)
      expect({ id: c.id, clipped: c.textsOutside }).toEqual({ id: c.id, clipped: [] });
    const p = r.probe as {
      rows: string[][];
      heading: string;
      gantt: Array<{ process: string; busyX: number; busyW: number; stallX: number | null; stallW: number }>;
    };
    expect(p.heading).toMatch(/^Cycles \(simulated vs predicted\)/);
    expect(r.badges.cycles).toEqual(['C-simulated', 'predicted']);
    expect(r.sections.cycles).not.toMatch(/measured/i);
    const g = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009');
    // patch_embed: simulated mean (500 + 600) / 2 = 550, predicted half of it, ratio 2.00
    expect(p.rows[0]).toEqual(['patch_embed', 'all calls', '550', '275', '2.00']);
    expect(p.rows).toContainEqual(['', 'linear', '400', '200', '2.00']);
    // a stage only the simulation has: predicted and ratio are dashes
    expect(p.rows).toContainEqual(['', 'layernorm', g(100 * dims.depth), '—', '—']);
    const total = p.rows[p.rows.length - 1];
    expect(total[0]).toBe('total');
    expect(total[4]).toBe('2.00');
    // the timeline: the two processes of the first MoE block's ffn_block call, busy then stall
    expect(r.sections.cycles).toMatch(
      new RegExp(
        `ffn_block call of MoE block ${dims.moeBlocks.findIndex(Boolean)} \\(image 0, 1\u2009001 simulated cycles\\)`,
      ),
    );
    expect(p.gantt.map((x) => x.process)).toEqual(['engine_read', 'ffn_compute']);
    const [read, compute] = p.gantt;
    expect(read.busyX).toBeCloseTo(compute.busyX, 1); // they start together with their region
    expect(read.stallX).toBeCloseTo(read.busyX + read.busyW, 1);
    // widths in proportion to the cycles: read 500 busy + 250 stall, compute 700 + 100
    expect(read.busyW / compute.busyW).toBeCloseTo(500 / 700, 1);
    expect(read.stallW / read.busyW).toBeCloseTo(0.5, 1);
    expect(r.footer).toMatch(/reports\/cycles\.json/);
  }, 900_000);

  test('without reports/cycles.json the section says how to make it', async () => {
    const dir = join(tmp, 'bare');
    cpSync(join(fixtures, 'zcu102-bare'), dir, { recursive: true });
    const out = join(dir, 'report.html');
    writeReport(dir, out);
    const r = await renderInChromium(out);
    expect(r.sections.cycles).toMatch(/No timed C-simulation for this project/);
    expect(r.sections.cycles).toMatch(/--cycles/);
    expect(r.footer).not.toMatch(/cycles\.json/);
  }, 900_000);
});
