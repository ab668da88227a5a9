/**
 * Bars against limits: per resource, the share of the available amount used (stacked by who uses
 * it), with the utilisation limit as a dashed marker and 100 % as a solid one. Rows can be grouped
 * (one group per SLR).
 */
import {
  INK,
  MUTED,
  PALETTE,
  WARN,
  el,
  groupThousands,
  linearScale,
  niceTicks,
  text,
  textWidth,
} from './core.js';
import { FONT_SIZE, legend, svgRoot, xAxis } from './frame.js';

export interface LimitRow {
  label: string; // e.g. "DSP"
  values: number[]; // amount used, one per series
  available: number; // what the device/SLR has
  limit: number; // usable fraction of `available` (0..1]
}

export interface LimitGroup {
  title?: string; // e.g. "SLR 0"
  rows: LimitRow[];
}

export interface LimitBarsSpec {
  id: string;
  title: string;
  desc?: string;
  series: Array<{ name: string; color?: string }>;
  groups: LimitGroup[];
  width?: number;
}

const LIMIT_COLOR = '#323f4b';

/** "1 234 / 2 520 (49 %)": amounts are counts, so no decimals. */
function usageLabel(used: number, available: number): string {
  const pct = available > 0 ? (used / available) * 100 : 0;
  return `${groupThousands(used)} / ${groupThousands(available)} (${pct < 10 ? pct.toFixed(1) : Math.round(pct)} %)`;
}

const usedOf = (r: LimitRow) => r.values.reduce((a, b) => a + b, 0);
const isOver = (r: LimitRow) => r.available > 0 && usedOf(r) > r.limit * r.available;
/** The figures right of a bar; ▲ flags use above the limit. */
const rowValueLabel = (r: LimitRow) => usageLabel(usedOf(r), r.available) + (isOver(r) ? ' ▲' : '');

export function limitBars(spec: LimitBarsSpec): string {
  const width = spec.width ?? 880;
  const barH = 18;
  const rowH = 28;
  const groupHeadH = 24;
  const colors = spec.series.map((s, i) => s.color ?? PALETTE[i % PALETTE.length]);
  const allRows = spec.groups.flatMap((g) => g.rows);
  const share = (r: LimitRow) => (r.available > 0 ? r.values.reduce((a, b) => a + b, 0) / r.available : 0);
  const maxShare = Math.max(1, ...allRows.map(share), ...allRows.map((r) => r.limit));
  const ticks = niceTicks(0, maxShare * 100, 5);

  const labelW = Math.max(...allRows.map((r) => textWidth(r.label, FONT_SIZE))) + 16;
  const valueW =
    Math.max(...allRows.map((r) => textWidth(rowValueLabel(r), 11) * (isOver(r) ? 1.1 : 1))) + 20; // bold is wider
  const left = labelW + 8;
  const right = valueW;
  const items = [
    ...spec.series.map((s, i) => ({ label: s.name, color: colors[i] })),
    { label: 'utilisation limit', color: LIMIT_COLOR, shape: 'dash' as const },
  ];
  const lg = legend(items, 8, 4, width - 16);
  const top = lg.height + 14;
  const plotW = width - left - right;
  const x = linearScale(ticks.lo, ticks.hi, left, left + plotW);

  const body: string[] = [];
  let cy = top;
  for (const g of spec.groups) {
    if (g.title) {
      body.push(text(8, cy + 16, g.title, { 'font-weight': 700, fill: INK }));
      cy += groupHeadH;
    }
    for (const r of g.rows) {
      const yTop = cy + (rowH - barH) / 2;
      const over = isOver(r);
      body.push(el('rect', { x: left, y: yTop, width: plotW, height: barH, fill: '#f5f7fa' }));
      let acc = 0;
      r.values.forEach((v, s) => {
        if (v <= 0 || r.available <= 0) return;
        const x0 = x((acc / r.available) * 100);
        acc += v;
        const x1 = x((acc / r.available) * 100);
        body.push(
          el(
            'rect',
            { x: x0, y: yTop, width: Math.max(0.5, x1 - x0), height: barH, fill: colors[s] },
            el('title', {}, `${r.label} · ${spec.series[s].name}: ${groupThousands(v)}`),
          ),
        );
      });
      const lx = x(r.limit * 100);
      body.push(
        el('line', {
          x1: lx,
          y1: yTop - 4,
          x2: lx,
          y2: yTop + barH + 4,
          stroke: LIMIT_COLOR,
          'stroke-width': 2,
          'stroke-dasharray': '4 3',
        }),
      );
      body.push(text(left - 8, yTop + barH / 2 + 4, r.label, { 'text-anchor': 'end' }));
      body.push(
        text(left + plotW + 8, yTop + barH / 2 + 4, rowValueLabel(r), {
          'font-size': 11,
          fill: over ? WARN : MUTED,
          'font-weight': over ? 700 : 400,
        }),
      );
      cy += rowH;
    }
  }
  const x100 = x(100);
  body.push(el('line', { x1: x100, y1: top, x2: x100, y2: cy, stroke: INK, 'stroke-width': 1 }));
  const height = cy + 50;
  return svgRoot(
    { id: spec.id, width, height, title: spec.title, desc: spec.desc, kind: 'limit-bars' },
    lg.markup +
      xAxis({ ticks, scale: x, y: cy, top, label: '% of available' }) +
      el('g', { class: 'bars' }, ...body),
  );
}
