/** Histogram of a list of values, with optional labelled vertical markers (e.g. median, threshold). */
import { MUTED, el, linearScale, niceTicks, text, textWidth, tickLabel } from './core.js';
import { FONT_SIZE, fitXTicks, legend, svgRoot, xAxis, yAxis, type LegendItem } from './frame.js';

export interface HistogramSpec {
  id: string;
  title: string;
  desc?: string;
  values: number[];
  bins?: number;
  xLabel: string;
  yLabel: string;
  barName: string; // legend entry for the bars
  markers?: Array<{ value: number; label: string; color: string }>;
  width?: number;
  height?: number;
  color?: string;
}

export interface Bins {
  lo: number;
  hi: number;
  counts: number[];
}

/** Equal-width bins over a rounded domain that contains every value (the maximum falls in the last bin). */
export function binValues(values: number[], bins: number): Bins {
  const finite = values.filter(Number.isFinite);
  if (!finite.length) return { lo: 0, hi: 1, counts: Array(bins).fill(0) };
  const t = niceTicks(Math.min(...finite), Math.max(...finite), 5);
  const counts = Array(bins).fill(0) as number[];
  const w = (t.hi - t.lo) / bins;
  for (const v of finite) counts[Math.min(bins - 1, Math.max(0, Math.floor((v - t.lo) / w)))]++;
  return { lo: t.lo, hi: t.hi, counts };
}

export function histogram(spec: HistogramSpec): string {
  const width = spec.width ?? 880;
  const height = spec.height ?? 340;
  const nb = spec.bins ?? 30;
  const b = binValues(spec.values, nb);
  const { ticks: xt, overhang } = fitXTicks(b.lo, b.hi, width - 80);
  const yt = niceTicks(0, Math.max(...b.counts, 4), 5); // >= 4 keeps count ticks whole numbers
  const tickW = Math.max(...yt.values.map((v) => textWidth(tickLabel(v, yt.step), FONT_SIZE)));
  const left = tickW + 34;
  const right = Math.max(16, overhang); // room for the last x tick label
  const items: LegendItem[] = [{ label: spec.barName, color: spec.color ?? '#0072B2' }];
  for (const m of spec.markers ?? []) items.push({ label: m.label, color: m.color, shape: 'dash' });
  const lg = legend(items, left, 4, width - left - right);
  const top = lg.height + 18;
  const bottom = 50;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const x = linearScale(xt.lo, xt.hi, left, left + plotW);
  const y = linearScale(yt.lo, yt.hi, top + plotH, top);
  const binW = (b.hi - b.lo) / nb;

  const bars: string[] = [];
  b.counts.forEach((count, i) => {
    if (!count) return;
    const lo = b.lo + i * binW;
    const x0 = x(lo) + 0.5;
    const x1 = x(lo + binW) - 0.5;
    bars.push(
      el(
        'rect',
        {
          x: x0,
          y: y(count),
          width: Math.max(0.8, x1 - x0),
          height: Math.max(0.5, y(0) - y(count)),
          fill: spec.color ?? '#0072B2',
        },
        el('title', {}, `${tickLabel(lo, binW / 10)} – ${tickLabel(lo + binW, binW / 10)}: ${count}`),
      ),
    );
  });
  for (const m of spec.markers ?? []) {
    if (m.value < xt.lo || m.value > xt.hi) continue;
    const mx = x(m.value);
    bars.push(
      el('line', {
        x1: mx,
        y1: top,
        x2: mx,
        y2: top + plotH,
        stroke: m.color,
        'stroke-width': 2,
        'stroke-dasharray': '5 3',
      }),
    );
  }
  return svgRoot(
    { id: spec.id, width, height, title: spec.title, desc: spec.desc, kind: 'histogram' },
    lg.markup +
      yAxis({ ticks: yt, scale: y, x: left, width: plotW, label: spec.yLabel }) +
      xAxis({ ticks: xt, scale: x, y: top + plotH, top, label: spec.xLabel, grid: false }) +
      el('g', { class: 'bars' }, ...bars) +
      (b.counts.every((c) => c === 0)
        ? text(left + plotW / 2, top + plotH / 2, 'no values', { 'text-anchor': 'middle', fill: MUTED })
        : ''),
  );
}
