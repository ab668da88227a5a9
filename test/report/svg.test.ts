import { describe, expect, test } from '@jest/globals';
import { esc, groupThousands, niceTicks, stepDecimals, tickLabel } from '../../src/report/svg/core.js';
import { cdf, decadeLabel, logDomain } from '../../src/report/svg/cdf.js';
import { limitBars } from '../../src/report/svg/limitBars.js';
import { panelBars } from '../../src/report/svg/panels.js';
import { scatter } from '../../src/report/svg/scatter.js';
import { stackedBarsHorizontal, stackedBarsVertical } from '../../src/report/svg/stackedBars.js';

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;

describe('svg primitives', () => {
  test('nice ticks cover the range with round steps', () => {
    expect(niceTicks(0, 0.53, 5).values).toEqual([0, 0.2, 0.4, 0.6]);
    expect(niceTicks(0, 7560, 6).values).toEqual([0, 2000, 4000, 6000, 8000]);
    expect(niceTicks(0.99831, 0.99999, 5)).toMatchObject({ lo: 0.998, hi: 1 });
    expect(niceTicks(5, 5).values.length).toBeGreaterThan(1); // a flat range still gets an axis
  });
  test('labels group thousands and keep the decimals the step needs', () => {
    expect(groupThousands(1623838)).toBe('1\u2009623\u2009838');
    expect(stepDecimals(0.0005)).toBe(4);
    expect(tickLabel(0.9995, 0.0005)).toBe('0.9995');
    expect(tickLabel(2000, 1000)).toBe('2\u2009000');
    expect(tickLabel(2_000_000, 500_000)).toBe('2.0M');
  });
  test('text is escaped', () => {
    expect(esc(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
  });
});

describe('charts', () => {
  test('vertical stacked bars: one rect per non-zero segment, a legend entry per series, escaped labels', () => {
    const svg = stackedBarsVertical({
      id: 'c1',
      title: 'latency <per> stage',
      categories: ['patch', '0', '1'],
      series: [
        { name: 'msa', values: [0, 2, 2] },
        { name: 'ffn & co', values: [0, 3, 5] },
        { name: 'patch', values: [1, 0, 0] },
      ],
      valueLabel: 'ms',
    });
    expect(svg).toMatch(/^<svg[^>]* id="c1"[^>]* width="880" height="360" viewBox="0 0 880 360"/);
    expect(count(svg, /<rect x=[^>]*fill="#/g)).toBe(5 + 3); // 5 segments + 3 legend swatches
    expect(svg).toContain('<title id="c1-t">latency &lt;per&gt; stage</title>');
    expect(svg).toContain('>ffn &amp; co</text>');
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  });

  test('horizontal stacked bars show shares inside wide segments', () => {
    const svg = stackedBarsHorizontal({
      id: 'c2',
      title: 't',
      categories: ['k'],
      series: [
        { name: 'a', values: [3] },
        { name: 'b', values: [1] },
      ],
      valueLabel: 'ms',
    });
    expect(svg).toContain('>75%</text>');
    expect(svg).toContain('>25%</text>');
  });

  test('limit bars mark the limit and flag use above it', () => {
    const svg = limitBars({
      id: 'c3',
      title: 't',
      series: [{ name: 'k' }],
      groups: [
        {
          title: 'SLR 0',
          rows: [
            { label: 'DSP', values: [900], available: 1000, limit: 0.8 },
            { label: 'LUT', values: [10], available: 1000, limit: 0.7 },
          ],
        },
      ],
    });
    expect(count(svg, /stroke-dasharray="4 3"/g)).toBe(2 + 1); // a limit marker per row + the legend's
    expect(svg).toContain('900 / 1\u2009000 (90 %) ▲');
    expect(svg).toContain('10 / 1\u2009000 (1.0 %)<');
    expect(svg).toContain('>SLR 0</text>');
  });

  test('scatter draws the front as a staircase and rings the marked point', () => {
    const svg = scatter({
      id: 'c4',
      title: 't',
      xLabel: 'DSP',
      yLabel: 'ms',
      front: {
        name: 'front',
        points: [
          { x: 100, y: 40 },
          { x: 1000, y: 4 },
          { x: 500, y: 10 },
        ],
      },
      marked: { name: 'chosen', point: { x: 500, y: 10 }, label: 'chosen: 10 ms' },
      xLimit: { value: 1200, label: 'limit' },
      logY: true,
    });
    expect(svg).toMatch(/<path d="M[\d.]+ [\d.]+ H[\d.]+ V[\d.]+ H[\d.]+ V[\d.]+"/);
    expect(svg).toContain('(log scale)');
    expect(svg).toContain('>chosen: 10 ms</text>');
    expect(count(svg, /<circle[^>]*r="8"/g)).toBe(1);
  });

  test('CDF on a log axis: decades around the values, one step per distinct value, the worst values marked', () => {
    expect(logDomain([2e-7, 5e-5, 0.03])).toEqual({ lo: -7, hi: -1 });
    expect(logDomain([0, 1e-6])).toEqual({ lo: -7, hi: -5 }); // a decade of room for the zeros
    expect(logDomain([1e-3, 1e-3])).toEqual({ lo: -3, hi: -2 });
    expect(decadeLabel(-6)).toBe('1e−6');
    const values = [1e-7, 2e-7, 2e-7, 3e-7, 0.01];
    const svg = cdf({
      id: 'c5',
      title: 't',
      values,
      xLabel: '1 − cos',
      yLabel: 'share',
      lineName: 'tokens',
      worst: 2,
      worstLabel: (v) => `worst ${v}`,
    });
    // steps up to 1/5, 3/5 (two equal values), 4/5, 5/5: four vertical moves
    const d = /<path d="([^"]+)"[^>]*class="cdf-line"/.exec(svg)![1];
    expect(d.match(/V/g)).toHaveLength(4);
    expect(count(svg, /<circle[^>]*class="worst"/g)).toBe(2);
    expect(svg).toContain('>worst 0.01</text>');
    expect(svg).toContain('(log scale)');
    for (const e of [-7, -6, -5, -4, -3, -2]) expect(svg).toContain(`>${decadeLabel(e)}</text>`);
    expect(cdf({ id: 'c6', title: 't', values: [], xLabel: 'x', yLabel: 'n', lineName: 'v' })).toContain(
      '>no values</text>',
    );
  });

  test('panel bars: one panel per group, one rect per non-zero value, the reference level in each', () => {
    const svg = panelBars({
      id: 'c7',
      title: 't',
      panels: [
        { title: 'block 1', values: [3, 0, 5, 8] },
        { title: 'block 3', values: [4, 4, 4, 4] },
      ],
      itemLabel: (i) => `e${i}`,
      barName: 'tokens',
      reference: { value: 4, label: 'uniform' },
      valueLabel: 'tokens per image',
    });
    expect(count(svg, /<g class="panel">/g)).toBe(2);
    expect(count(svg, /<rect x=[^>]*><title>/g)).toBe(7);
    expect(svg).toContain('<title>block 1 · e3: 8.0</title>');
    expect(count(svg, /stroke-dasharray="5 3"/g)).toBe(2); // the reference level, once per panel
  });
});
