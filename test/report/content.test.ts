/**
 * What the report says (issue 15 item 10), read from the page as Chromium renders it: the accuracy
 * headline shows the error, the error chart shows a planted outlier, badges never call anything
 * measured, the footer lists only the files read, published figures only beside a like-for-like
 * design, the routing section, and the memory/compute bounds.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { loadDesign } from '../../src/design/design.js';
import { estimateDesign } from '../../src/design/estimate.js';
import { int, ms } from '../../src/report/html/markup.js';
import { stringify } from 'yaml';
import { writeReport } from '../../src/report/index.js';
import { packageRoot } from '../../src/util/paths.js';
import { renderInChromium, requireChromium, type Rendered } from './browser.js';

const fixtures = join(packageRoot, 'test', 'fixtures', 'report');
const artifacts = join(packageRoot, 'test', 'artifacts');
let tmp: string;

beforeAll(() => {
  requireChromium();
  tmp = mkdtempSync(join(tmpdir(), 'ubimoe-report-content-'));
  mkdirSync(artifacts, { recursive: true });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let copies = 0;
function copy(name: string): string {
  const dir = join(tmp, `${name}-${copies++}`);
  cpSync(join(fixtures, name), dir, { recursive: true });
  mkdirSync(join(dir, 'reports'), { recursive: true });
  return dir;
}

async function render(dir: string, probe?: (page: Page) => Promise<unknown>, screenshot?: string) {
  const out = join(dir, 'report.html');
  writeReport(dir, out);
  const r = await renderInChromium(out, screenshot, probe);
  expect(r.consoleErrors).toEqual([]);
  expect(r.overflowing).toEqual([]);
  for (const c of r.charts) expect({ id: c.id, clipped: c.textsOutside }).toEqual({ id: c.id, clipped: [] });
  return r;
}

/** int32 .npy (expert choices as `ubimoe csim --experts` writes them). */
function writeI32Npy(path: string, shape: number[], data: Int32Array): void {
  let header = `{'descr': '<i4', 'fortran_order': False, 'shape': (${shape.join(', ')}), }`;
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 11, ' ') + '\n';
  const head = Buffer.alloc(10);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  head.writeUInt16LE(header.length, 8);
  writeFileSync(path, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer)]));
}

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
/** Thousands grouped with a thin space, as the report writes them. */
const g = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009');

/** The full fixture (m3vit-tiny on u280, every report file), rendered once for the tests that only read it. */
let full: Rendered;
beforeAll(async () => {
  full = await render(copy('u280-full'), undefined, join(artifacts, 'report-content.png'));
}, 900_000);

describe('accuracy', () => {
  test('the headline shows the minimum cosine and the relative L2 with the error visible; the CDF marks a planted outlier', async () => {
    const dir = copy('zcu102-bare');
    // 2000 tokens within 1e-6 of the reference, and one planted outlier at 1 − cos = 0.02
    const cosines = Array.from({ length: 2000 }, (_, i) => 1 - (1 + (i % 10)) * 1e-7);
    cosines[1234] = 0.98;
    writeFileSync(
      join(dir, 'reports', 'accuracy.json'),
      JSON.stringify({
        images: 4,
        cosine: { per_token: cosines },
        rel_l2: 2.5e-6,
        max_abs: 1e-3,
        expert_agreement: 0.999,
        saturated_values: { qkv_t: 1200, 'act_t/lin_in_t': 0 },
      }),
    );
    const r = await render(dir, (page) =>
      page.$eval('svg#chart-cosine-error', (svg) => {
        const s = svg as SVGSVGElement;
        const worst = Array.from(s.querySelectorAll('circle.worst')).map((c) => ({
          cx: Number(c.getAttribute('cx')),
          title: c.querySelector('title')?.textContent,
        }));
        const median = s.querySelector('line[stroke-dasharray="5 3"]');
        return {
          width: s.viewBox.baseVal.width,
          worst,
          medianX: Number(median?.getAttribute('x1')),
          label: s.querySelector('text.worst-label')?.textContent,
          lineRight: (() => {
            const b = (s.querySelector('path.cdf-line') as SVGPathElement).getBBox();
            return b.x + b.width;
          })(),
        };
      }),
    );
    // headline: the worst token and the relative L2, not a median rounded to 1.00000
    expect(r.summary).toMatch(
      /min cosine\s+C-SIMULATED\s+0\.9800\s+worst token vs float32 reference: 1 − cos = 2\.00e−2/i,
    );
    expect(r.summary).toMatch(/rel\. L2 error\s+C-SIMULATED\s+2\.50e−6/i);
    expect(r.summary).not.toMatch(/1\.00000/);
    const p = r.probe as {
      width: number;
      worst: Array<{ cx: number; title: string }>;
      medianX: number;
      label: string;
      lineRight: number;
    };
    // the outlier is its own point at the right, far from the bulk (1 − cos = 0.02 against ≤ 1e-6)
    expect(p.worst[0].title).toBe('worst: 1 − cos = 2.00e−2');
    expect(p.label).toBe('worst: 1 − cos = 2.00e−2');
    expect(p.worst[0].cx).toBeGreaterThan(p.medianX + 0.5 * (p.width - p.medianX - 30));
    expect(p.worst[0].cx - p.medianX).toBeGreaterThan(300);
    expect(Math.abs(p.lineRight - p.worst[0].cx)).toBeLessThan(2); // the curve reaches it
    // the next-worst points sit with the bulk
    expect(p.worst[1].cx).toBeLessThan(p.medianX + 100);
    expect(r.sections.accuracy).toMatch(/min cosine\s+0\.9800/i);
    expect(r.sections.accuracy).toMatch(/median cosine\s+0\.9999994/i);
    // the csim's saturation counts: the types that saturated (a zero count is not listed)
    expect(r.sections.accuracy).toMatch(/values saturated in the datapath: 1\D?200 qkv_t/);
    expect(r.sections.accuracy).not.toMatch(/act_t/);
  });
});

describe('provenance', () => {
  test('no synthesis data: the section says so; nothing anywhere is badged measured', async () => {
    const r = await render(copy('zcu102-bare'));
    expect(r.badges.synth).toEqual(['no synthesis data']);
    expect(
      Object.values(r.badges)
        .flat()
        .filter((b) => /measured/i.test(b)),
    ).toEqual([]);
    expect(r.sections.synth).toMatch(/No synthesis reports/);
  });

  test('with synthesis data: predicted and HLS synthesis, C-simulation is C-simulated, never measured', () => {
    const r = full;
    expect(r.badges.synth).toEqual(['predicted', 'HLS synthesis']);
    expect(r.badges.accuracy).toEqual(['C-simulated']);
    expect(r.badges.summary).toEqual(['predicted', 'predicted', 'predicted', 'C-simulated', 'C-simulated']);
    expect(
      Object.values(r.badges)
        .flat()
        .filter((b) => /measured/i.test(b)),
    ).toEqual([]);
    expect(r.footer).toMatch(/Nothing in this report was measured on an FPGA/);
  });

  test('the footer lists only the files read', async () => {
    const bare = await render(copy('zcu102-bare'));
    expect(bare.footer).toMatch(/Read from the project: design\.yaml, manifest\.json\.$/m);
    expect(full.footer).toMatch(
      /Read from the project: design\.yaml, manifest\.json, reports\/estimate\.json, reports\/search\.json, reports\/accuracy\.json, reports\/synth\.json\.$/m,
    );
  });
});

describe('published figures', () => {
  test('m3vit-tiny on u280 at W16A32: UbiMoE’s published point beside the prediction, with ratios', () => {
    const est = json(join(fixtures, 'u280-full', 'reports', 'estimate.json'));
    const r = full;
    const s = r.sections.published;
    expect(s).toMatch(/Same model, board and precision: UbiMoE on Alveo U280, m3vit-tiny W16A32 at 200 MHz/);
    // like with like (issue 13 item 10): the published 10.33 ms is most likely 1 / throughput, so it
    // is set beside the predicted 1000 / 282.99 images/s = 3.53 ms, not the 6.98 ms of one image
    expect(s).toMatch(/ms\/image at throughput²\s+10\.33\s+3\.53\s+0\.34×/);
    expect(s).toMatch(
      /² UbiMoE's 10\.33 ms\/image is most likely 1 \/ throughput .* one image alone takes a predicted 6\.98 ms/,
    );
    const dsp =
      est.kernels.reduce((a: number, k: { resources: { dsp: number } }) => a + k.resources.dsp, 0) +
      est.overhead.reduce((a: number, o: { resources: { dsp: number } }) => a + o.resources.dsp, 0);
    expect(s).toContain(`DSP\t${g(3413)}\t${g(dsp)}\t${(dsp / 3413).toFixed(2)}×`);
    expect(s).toContain(`LUT\t${g(316100)}\t`);
    expect(s).toContain(`FF\t${g(385900)}\t`);
    expect(s).toMatch(/BRAM\s+974\s+[\d\u2009]+ BRAM18\s+not compared¹/);
    expect(s).toMatch(/clocks differ: this design runs at 300 MHz, the published one at 200 MHz/);
    expect(s).not.toMatch(/not comparable/);
    expect(r.summary).toMatch(/UbiMoE published 10\.33 ms at 200 MHz/);
  });

  test('another model and board, or another precision: marked not comparable, saying why, no ratios', async () => {
    const micro = await render(copy('zcu102-bare'));
    expect(micro.sections.published).toMatch(/not comparable/i);
    expect(micro.sections.published).toMatch(
      /because the model is micro, the published point is m3vit-tiny; the board is zcu102, the published point is Alveo U280 \(u280\)\./,
    );
    expect(micro.sections.published).not.toMatch(/predicted \/ published|×/);
    expect(micro.summary).not.toMatch(/published/);

    const dir = copy('u280-full');
    const p = join(dir, 'design.yaml');
    writeFileSync(p, readFileSync(p, 'utf8').replace(/^precision: w16a32$/m, 'precision: w8a8'));
    const w8 = await render(dir);
    expect(w8.sections.published).toMatch(
      /because the precision is w8a8 \(8-bit weights, 32-bit activations\), the published point is W16A32\./,
    );
    expect(w8.sections.published).not.toMatch(/the model is|the board is/);
  });
});

describe('routing', () => {
  test('no recorded routing: the uniform assumption is stated and no plot is drawn', () => {
    const r = full;
    expect(r.badges.routing).toEqual(['predicted']);
    expect(r.sections.routing).toMatch(
      /The prediction assumed uniform routing: each of the 16 experts of a MoE block gets 16\.1 of the 129 tokens × top-2 choices on average\./,
    );
    expect(r.sections.routing).toMatch(/Uniform routing assumed: no run has recorded its expert choices/);
    expect(r.charts.map((c) => c.id)).not.toContain('chart-routing');
  });

  test('the C-simulation’s expert choices (reports/experts.npy): tokens per expert per MoE block, against uniform', async () => {
    const dir = copy('u280-full');
    const [B, M, N, K] = [2, 6, 129, 2];
    const choices = new Int32Array(B * M * N * K);
    for (let b = 0; b < B; b++)
      for (let m = 0; m < M; m++)
        for (let t = 0; t < N; t++) {
          const at = ((b * M + m) * N + t) * K;
          choices[at] = t % 4; // experts 0..3
          choices[at + 1] = 4 + (t % 2); // experts 4, 5: 65 and 64 (4.0× the uniform 16.125)
        }
    writeI32Npy(join(dir, 'reports', 'experts.npy'), [B, M, N, K], choices);
    const r = await render(dir, (page) =>
      page.$$eval('svg#chart-routing g.panel', (gs) =>
        gs.map((g) => ({
          title: g.querySelector('text')?.textContent,
          bars: Array.from(g.querySelectorAll('rect title')).map((t) => t.textContent),
        })),
      ),
    );
    expect(r.badges.routing).toEqual(['predicted', 'C-simulated']);
    expect(r.sections.routing).toMatch(
      /as the C-simulation routed them \(reports\/experts\.npy, 2 images, per image\)/,
    );
    expect(r.sections.routing).toMatch(
      /The run’s routing is skewed \(up to 4\.0× the uniform load\) while the prediction assumed uniform routing/,
    );
    const panels = r.probe as Array<{ title: string; bars: string[] }>;
    expect(panels.map((p) => p.title)).toEqual(
      [1, 3, 5, 7, 9, 11].map((b) => `block ${b} · max 4.0× uniform · 10 idle`),
    );
    expect(panels[0].bars).toEqual([
      // 129 tokens: t % 4 gives expert 0 33 of them, experts 1..3 32; 4 + t % 2 gives expert 4 65, expert 5 64
      ...[33, 32, 32, 32, 65, 64].map((n, e) => `block 1 · max 4.0× uniform · 10 idle · ${e}: ${n}`),
    ]);
    expect(r.footer).toMatch(/reports\/accuracy\.json, reports\/experts\.npy, reports\/synth\.json\.$/m);
  });

  test('without csim choices, the table the estimate measured with the reference model', async () => {
    const dir = copy('u280-full');
    const e = json(join(dir, 'reports', 'estimate.json'));
    const table = Array.from({ length: 6 }, (_, m) =>
      Array.from({ length: 16 }, (_, x) => (x === m ? 48.375 : 14)),
    );
    e.routing = 'measured with w.safetensors';
    e.tokens_per_expert = table;
    writeFileSync(join(dir, 'reports', 'estimate.json'), JSON.stringify(e));
    const r = await render(dir);
    expect(r.badges.routing).toEqual(['predicted']);
    expect(r.sections.routing).toMatch(
      /The prediction used measured routing \(measured with w\.safetensors\)/,
    );
    expect(r.sections.routing).toMatch(
      /as the float32 reference model routed them when the estimate was made/,
    );
    expect(r.charts.map((c) => c.id)).toContain('chart-routing');
  });

  test('a malformed experts.npy is a one-line user error naming it', () => {
    const dir = copy('u280-full');
    writeI32Npy(join(dir, 'reports', 'experts.npy'), [1, 5, 129, 2], new Int32Array(5 * 129 * 2));
    expect(() => writeReport(dir, join(dir, 'r.html'))).toThrow(
      /reports\/experts\.npy: shape \(1, 5, 129, 2\), expert choices of this model are \[B, 6, 129, 2\]/,
    );
  });
});

describe('a compute unit spanning SLRs', () => {
  test('the design table names its SLRs; its resources count on each of them', async () => {
    const dir = join(tmp, 'span');
    mkdirSync(join(dir, 'reports'), { recursive: true });
    const d = loadDesign(join(fixtures, 'u280-full', 'design.yaml'));
    const file = { ...d.file, board: 'u280', clock_mhz: 250, kernels: { vit_block: { tile_in: 32, tile_out: 16, token_lanes: 2, q_parallel: 10, key_block: 16, norm_lanes: 16, patch_on_engine: true } }, placement: { vit_block: 0 }, span: { vit_block: 3 } };
    writeFileSync(join(dir, 'design.yaml'), stringify(file));
    const r = await render(dir);
    expect(r.sections.design).toMatch(/vit_block[^\n]*\t0–2\t1/);
    const vit = estimateDesign(loadDesign(join(dir, 'design.yaml'))).kernels.find((k) => k.name === 'vit_block')!;
    expect(r.sections.resources).not.toMatch(/not to fit/);
    expect(r.sections.resources).toMatch(/vit_block\t0, 1, 2\t/);
    // each SLR's bar: a third of its DSPs (it is alone there)
    for (const share of vit.perSlr)
      expect(r.sections.resources).toContain(`SLR ${share.slr}\nDSP\n${int(share.resources.dsp)} / `);
  });
});

describe('memory and compute bounds', () => {
  test('off-chip MB per image, bandwidth against the board’s, compute bound and fmax, all predicted', () => {
    const e = json(join(fixtures, 'u280-full', 'reports', 'estimate.json'));
    const r = full;
    expect(r.badges.bounds).toEqual(['predicted']);
    const s = r.sections.bounds;
    expect(s).toContain(
      `off-chip traffic per image\t${(e.offchip_bytes_per_image / 1e6).toFixed(1)} MB (predicted`,
    );
    // U280: 32 HBM pseudo-channels × 14.375 GB/s + 2 DDR4 × 19.2 GB/s = 498.4 GB/s
    const used = e.offchip_bytes_per_image / (e.latency_ms * 1e-3) / 1e9;
    expect(s).toContain(
      `bandwidth used\t${used.toFixed(2)} GB/s = traffic / predicted latency (6.98 ms), ${((100 * used) / 498.4).toFixed(1)} % of the board’s 498 GB/s data-sheet peak (32 × HBM 14.375 GB/s + 2 × DDR 19.2 GB/s)`,
    );
    // MAC lanes by hand from design.yaml: patch_embed 16×64 = 1024; msa_block 16×32×1 + 2×15×8 = 752;
    // ffn_block 8×16×8 = 1024; 2800 in all
    const bound = e.macs_per_image / (2800 * 300e3);
    expect(s).toContain(
      `compute bound\t${bound.toPrecision(3)} ms/image = MACs / (2\u2009800 MAC lanes × 300 MHz)`,
    );
    // each kernel's figure kept on one line (no-break spaces)
    expect(s).toMatch(
      /lanes from design\.yaml: patch_embed\u00a01\u00a0024, msa_block\u00a0752, ffn_block\u00a01\u00a0024\)/,
    );
    expect(s).toContain(`the predicted latency is ${(e.latency_ms / bound).toFixed(1)}× that`);
    expect(s).toContain(`fmax\t≈ ${Math.floor(e.fmax_mhz)} MHz predicted at this utilisation`);
    expect(s).toMatch(/the design clock of 300 MHz is below it/);
  });

  test('the board’s physical bound, the useful-MAC efficiency and the roofline, from the estimate', async () => {
    const dir = copy('zcu102-bare');
    const r = await render(dir, (page) =>
      page.evaluate(() => {
        const dot = document.querySelector('#chart-roofline .design-point');
        return dot
          ? {
              intensity: Number(dot.getAttribute('data-intensity')),
              gmacs: Number(dot.getAttribute('data-gmacs')),
            }
          : null;
      }),
    );
    const e = estimateDesign(loadDesign(join(dir, 'design.yaml')));
    const b = e.bounds;
    const s = r.sections.bounds;
    expect(s).toContain(`physical bound of the board\t${ms(b.boundMs)} ms/image (${b.boundBy})`);
    expect(s).toContain(`The predicted latency is ${b.latencyOverBound.toFixed(1)}× the bound`);
    expect(s).toMatch(/useful-MAC efficiency\t[\d.]+\s?% = MACs/);
    // the design's point: MACs per off-chip byte, MACs per second at the predicted latency
    const point = r.probe as { intensity: number; gmacs: number };
    // (the SVG attributes carry 6 significant digits)
    expect(point.intensity / (e.macsPerImage / e.weightBytesPerImage)).toBeCloseTo(1, 4);
    expect(point.gmacs / (e.macsPerImage / (e.latencyMs * 1e6))).toBeCloseTo(1, 4);
  });

  test('an estimate.json without these fields says what to re-run', async () => {
    const dir = copy('u280-full');
    const e = json(join(dir, 'reports', 'estimate.json'));
    delete e.offchip_bytes_per_image;
    delete e.macs_per_image;
    delete e.fmax_mhz;
    delete e.physical_bounds;
    writeFileSync(join(dir, 'reports', 'estimate.json'), JSON.stringify(e));
    const r = await render(dir);
    expect(r.sections.bounds.match(/not in reports\/estimate\.json/g)).toHaveLength(4);
    expect(r.sections.bounds).toMatch(/re-run ubimoe estimate --project/);
  });
});
