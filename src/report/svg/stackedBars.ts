/** Stacked bar charts: one bar per category, one coloured segment per series (vertical or horizontal). */
import { INK, MUTED, PALETTE, el, linearScale, niceTicks, text, textWidth, tickLabel } from './core.js';
import { FONT_SIZE, legend, svgRoot, xAxis, yAxis } from './frame.js';

export interface Series {
  name: string;
  values: number[]; // one per category; 0 or missing = no segment
  color?: string;
}

export interface StackedBarsSpec {
  id: string;
  title: string; // accessible title (the visible heading is the HTML's)
  desc?: string;
  categories: string[];
  sublabels?: string[]; // a second, muted line under each category label (vertical only)
  series: Series[];
  valueLabel: string; // value axis label, with its unit
  categoryLabel?: string; // category axis label (vertical only)
  formatValue?: (v: number) => string; // totals and segment tooltips
  width?: number;
  barHeight?: number; // horizontal only
  height?: number; // vertical only
}

const fmtDefault = (v: number) => tickLabel(v, v >= 100 ? 1 : 0.01);

function colorOf(spec: StackedBarsSpec, i: number): string {
  return spec.series[i].color ?? PALETTE[i % PALETTE.length];
}

function totals(spec: StackedBarsSpec): number[] {
  return spec.categories.map((_, c) =>
    spec.series.reduce((s, ser) => s + Math.max(0, ser.values[c] ?? 0), 0),
  );
}

function legendItems(spec: StackedBarsSpec) {
  return spec.series.map((s, i) => ({ label: s.name, color: colorOf(spec, i) }));
}

/** Vertical stacked bars: categories along x, values up y. */
export function stackedBarsVertical(spec: StackedBarsSpec): string {
  const width = spec.width ?? 880;
  const height = spec.height ?? 360;
  const fmt = spec.formatValue ?? fmtDefault;
  const sums = totals(spec);
  const ticks = niceTicks(0, Math.max(...sums, 0) * 1.08 || 1, 5);
  const tickW = Math.max(...ticks.values.map((v) => textWidth(tickLabel(v, ticks.step), FONT_SIZE)));
  const left = tickW + 34;
  const right = 12;
  const lg = legend(legendItems(spec), left, 4, width - left - right);
  const top = lg.height + 22;
  const bottom = (spec.sublabels ? 34 : 22) + (spec.categoryLabel ? 22 : 0);
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const y = linearScale(ticks.lo, ticks.hi, top + plotH, top);
  const slot = plotW / Math.max(1, spec.categories.length);
  const barW = Math.min(56, slot * 0.68);
  const showTotals = spec.categories.length <= 24 && barW >= 14;

  const bars: string[] = [];
  spec.categories.forEach((cat, c) => {
    const cx = left + slot * (c + 0.5);
    let acc = 0;
    spec.series.forEach((ser, s) => {
      const v = Math.max(0, ser.values[c] ?? 0);
      if (v <= 0) return;
      const y0 = y(acc);
      const y1 = y(acc + v);
      acc += v;
      bars.push(
        el(
          'rect',
          { x: cx - barW / 2, y: y1, width: barW, height: Math.max(0.5, y0 - y1), fill: colorOf(spec, s) },
          el('title', {}, `${cat} · ${ser.name}: ${fmt(v)}`),
        ),
      );
    });
    if (showTotals && sums[c] > 0) {
      const label = fmt(sums[c]);
      const fs = textWidth(label, 11) > slot - 2 ? 9 : 11;
      bars.push(text(cx, y(sums[c]) - 5, label, { 'text-anchor': 'middle', 'font-size': fs, fill: MUTED }));
    }
    bars.push(text(cx, top + plotH + 16, cat, { 'text-anchor': 'middle', fill: INK }));
    if (spec.sublabels?.[c])
      bars.push(
        text(cx, top + plotH + 30, spec.sublabels[c], {
          'text-anchor': 'middle',
          'font-size': 10,
          fill: MUTED,
        }),
      );
  });

  const axisLabel = spec.categoryLabel
    ? text(left + plotW / 2, height - 6, spec.categoryLabel, { 'text-anchor': 'middle', 'font-weight': 600 })
    : '';
  return svgRoot(
    { id: spec.id, width, height, title: spec.title, desc: spec.desc, kind: 'stacked-bars' },
    lg.markup +
      yAxis({ ticks, scale: y, x: left, width: plotW, label: spec.valueLabel }) +
      el('g', { class: 'bars' }, ...bars) +
      axisLabel,
  );
}

/** Horizontal stacked bars: one row per category (label on the left), values along x. */
export function stackedBarsHorizontal(spec: StackedBarsSpec): string {
  const width = spec.width ?? 880;
  const barH = spec.barHeight ?? 26;
  const rowH = barH + 14;
  const fmt = spec.formatValue ?? fmtDefault;
  const sums = totals(spec);
  const labelW = Math.max(...spec.categories.map((c) => textWidth(c, FONT_SIZE))) + 14;
  const totalW = Math.max(...sums.map((v) => textWidth(fmt(v), 11))) + 12;
  const left = labelW + 8;
  const right = totalW + 8;
  const lg = legend(legendItems(spec), 8, 4, width - 16);
  const top = lg.height + 16;
  const plotW = width - left - right;
  const plotH = rowH * spec.categories.length;
  const height = top + plotH + 52;
  const ticks = niceTicks(0, Math.max(...sums, 0) || 1, 6);
  const x = linearScale(ticks.lo, ticks.hi, left, left + plotW);

  const rows: string[] = [];
  spec.categories.forEach((cat, c) => {
    const yTop = top + c * rowH + (rowH - barH) / 2;
    let acc = 0;
    spec.series.forEach((ser, s) => {
      const v = Math.max(0, ser.values[c] ?? 0);
      if (v <= 0) return;
      const x0 = x(acc);
      const x1 = x(acc + v);
      acc += v;
      const share = sums[c] > 0 ? v / sums[c] : 0;
      const pct = `${Math.round(share * 100)}%`;
      const inline = x1 - x0 > textWidth(pct, 11) + 8 && share >= 0.04;
      rows.push(
        el(
          'rect',
          { x: x0, y: yTop, width: Math.max(0.5, x1 - x0), height: barH, fill: colorOf(spec, s) },
          el('title', {}, `${cat} · ${ser.name}: ${fmt(v)} (${pct})`),
        ),
      );
      if (inline)
        rows.push(
          text((x0 + x1) / 2, yTop + barH / 2 + 4, pct, {
            'text-anchor': 'middle',
            'font-size': 11,
            fill: '#fff',
            'font-weight': 600,
          }),
        );
    });
    rows.push(text(left - 8, yTop + barH / 2 + 4, cat, { 'text-anchor': 'end' }));
    if (sums[c] > 0)
      rows.push(text(x(sums[c]) + 6, yTop + barH / 2 + 4, fmt(sums[c]), { 'font-size': 11, fill: MUTED }));
  });

  return svgRoot(
    { id: spec.id, width, height, title: spec.title, desc: spec.desc, kind: 'stacked-bars-h' },
    lg.markup +
      xAxis({ ticks, scale: x, y: top + plotH, top, label: spec.valueLabel }) +
      el('g', { class: 'bars' }, ...rows),
  );
}
