/**
 * Cumulative distribution of small positive errors (such as 1 − cosine) on a log x axis, with the
 * largest values marked one by one.
 *
 * Why this and not a histogram: csim errors span decades (most tokens at 1e-7, a few at 1e-3).
 * Binned on a linear axis they all fall into one bar, and even a log-count axis still bins the
 * outliers together with the bulk. On a log x axis every token keeps its own position, the bulk
 * and the tail are both readable, and the worst tokens are drawn as individual points, so a single
 * outlier among thousands of tokens is visible and labelled.
 */
import { AXIS, GRID, INK, MUTED, el, linearScale, px, text, textWidth } from './core.js';
import { FONT_SIZE, legend, svgRoot, type LegendItem } from './frame.js';

export interface CdfSpec {
  id: string;
  title: string;
  desc?: string;
  values: number[]; // >= 0 expected; values <= 0 are drawn at the left edge of the axis
  xLabel: string;
  yLabel: string;
  lineName: string; // legend entry for the curve
  worst?: number; // how many of the largest values to mark as points (default 3)
  worstLabel?: (v: number) => string; // the label beside the largest value
  markers?: Array<{ value: number; label: string; color: string }>;
  width?: number;
  height?: number;
  color?: string;
}

/** A power of ten as an axis label: 1e-6, 0.001 ... 1 written as 1e-3 ... 1e0 for one style. */
export function decadeLabel(exp: number): string {
  return `1e${exp < 0 ? '−' : ''}${Math.abs(exp)}`;
}

/** The decades the axis spans: from the smallest positive value's down to the largest's up. */
export function logDomain(values: number[]): { lo: number; hi: number } {
  const pos = values.filter((v) => v > 0 && Number.isFinite(v));
  if (!pos.length) return { lo: -8, hi: 0 };
  let lo = Math.floor(Math.log10(Math.min(...pos)));
  let hi = Math.ceil(Math.log10(Math.max(...pos)));
  if (hi <= lo) hi = lo + 1;
  if (values.some((v) => !(v > 0))) lo -= 1; // room at the left edge for the values at or below 0
  return { lo, hi };
}

export function cdf(spec: CdfSpec): string {
  const width = spec.width ?? 880;
  const height = spec.height ?? 340;
  const color = spec.color ?? '#0072B2';
  const worstColor = '#D55E00';
  const values = spec.values.filter((v) => !Number.isNaN(v));
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const { lo, hi } = logDomain(sorted);
  const step = hi - lo > 8 ? 2 : 1;
  const decades: number[] = [];
  for (let e = lo; e <= hi; e += step) decades.push(e);
  if (decades[decades.length - 1] !== hi) decades.push(hi);

  const items: LegendItem[] = [{ label: spec.lineName, color, shape: 'line' }];
  const nWorst = Math.min(spec.worst ?? 3, n);
  if (nWorst > 0)
    items.push({
      label: nWorst === 1 ? 'the worst token' : `the ${nWorst} worst tokens`,
      color: worstColor,
      shape: 'dot',
    });
  for (const m of spec.markers ?? []) items.push({ label: m.label, color: m.color, shape: 'dash' });

  const yTicks = [0, 0.25, 0.5, 0.75, 1];
  const yTickLabel = (f: number) => `${Math.round(f * 100)} %`;
  const tickW = Math.max(...yTicks.map((t) => textWidth(yTickLabel(t), FONT_SIZE)));
  const left = tickW + 34;
  const right = Math.max(16, textWidth(decadeLabel(hi), FONT_SIZE) / 2 + 6);
  const lg = legend(items, left, 4, width - left - right);
  const top = lg.height + 18;
  const bottom = 50;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const lx = linearScale(lo, hi, left, left + plotW);
  const x = (v: number) => lx(v > 0 ? Math.max(lo, Math.log10(v)) : lo);
  const y = linearScale(0, 1, top + plotH, top);

  const parts: string[] = [];
  // y axis: share of tokens
  for (const t of yTicks) {
    parts.push(el('line', { x1: left, y1: y(t), x2: left + plotW, y2: y(t), stroke: GRID }));
    parts.push(text(left - 6, y(t) + 4, yTickLabel(t), { 'text-anchor': 'end', fill: MUTED }));
  }
  parts.push(el('line', { x1: left, y1: top, x2: left, y2: top + plotH, stroke: AXIS }));
  const ylx = left - tickW - 18;
  const ylMid = top + plotH / 2;
  parts.push(
    text(ylx, ylMid, spec.yLabel, {
      transform: `rotate(-90 ${px(ylx)} ${px(ylMid)})`,
      'text-anchor': 'middle',
      'font-weight': 600,
    }),
  );
  // x axis: decades, with faint minor lines at 2..9 × 10^e
  for (let e = lo; e < hi; e++)
    for (let k = 2; k <= 9; k++) {
      const mx = lx(e + Math.log10(k));
      parts.push(
        el('line', { x1: mx, y1: top, x2: mx, y2: top + plotH, stroke: GRID, 'stroke-opacity': 0.5 }),
      );
    }
  for (const e of decades) {
    const dx = lx(e);
    parts.push(el('line', { x1: dx, y1: top, x2: dx, y2: top + plotH, stroke: GRID }));
    parts.push(el('line', { x1: dx, y1: top + plotH, x2: dx, y2: top + plotH + 4, stroke: AXIS }));
    parts.push(text(dx, top + plotH + 17, decadeLabel(e), { 'text-anchor': 'middle', fill: MUTED }));
  }
  parts.push(el('line', { x1: left, y1: top + plotH, x2: left + plotW, y2: top + plotH, stroke: AXIS }));
  parts.push(
    text(left + plotW / 2, top + plotH + 36, spec.xLabel + ' (log scale)', {
      'text-anchor': 'middle',
      'font-weight': 600,
    }),
  );

  if (n === 0) {
    parts.push(
      text(left + plotW / 2, top + plotH / 2, 'no values', { 'text-anchor': 'middle', fill: MUTED }),
    );
  } else {
    // the empirical CDF as a step line; points falling on the same pixel column are merged
    let d = `M${px(x(sorted[0]))} ${px(y(0))}`;
    let lastX = x(sorted[0]);
    for (let i = 0; i < n; i++) {
      const xi = x(sorted[i]);
      if (xi - lastX >= 0.5) {
        d += ` H${px(xi)}`;
        lastX = xi;
      }
      if (i === n - 1 || x(sorted[i + 1]) - xi >= 0.5) d += ` V${px(y((i + 1) / n))}`;
    }
    parts.push(el('path', { d, fill: 'none', stroke: color, 'stroke-width': 2, class: 'cdf-line' }));
    for (const m of spec.markers ?? []) {
      const mx = x(m.value);
      parts.push(
        el('line', {
          x1: mx,
          y1: top,
          x2: mx,
          y2: top + plotH,
          stroke: m.color,
          'stroke-width': 1.5,
          'stroke-dasharray': '5 3',
        }),
      );
    }
    // the largest values, one point each, on the curve where it reaches them
    for (let j = 0; j < nWorst; j++) {
      const i = n - 1 - j;
      const v = sorted[i];
      parts.push(
        el(
          'circle',
          {
            cx: x(v),
            cy: y((i + 1) / n),
            r: 4.5,
            fill: worstColor,
            stroke: '#fff',
            'stroke-width': 1,
            class: 'worst',
          },
          el('title', {}, spec.worstLabel ? spec.worstLabel(v) : String(v)),
        ),
      );
    }
    if (nWorst > 0 && spec.worstLabel) {
      const v = sorted[n - 1];
      const label = spec.worstLabel(v);
      const wx = x(v);
      const w = textWidth(label, FONT_SIZE);
      // left of the point when it is near the right edge, else right of it; under the 100 % line
      const toLeft = wx + 10 + w > left + plotW;
      parts.push(
        text(toLeft ? wx - 10 : wx + 10, y(1) + 26, label, {
          'text-anchor': toLeft ? 'end' : 'start',
          fill: worstColor,
          'font-weight': 600,
          class: 'worst-label',
          // a white halo keeps the label readable where it crosses the curve or grid
          stroke: '#fff',
          'stroke-width': 4,
          'stroke-linejoin': 'round',
          'paint-order': 'stroke',
        }),
      );
    }
  }
  return svgRoot(
    { id: spec.id, width, height, title: spec.title, desc: spec.desc, kind: 'cdf' },
    lg.markup + el('g', { fill: INK }, ...parts),
  );
}
