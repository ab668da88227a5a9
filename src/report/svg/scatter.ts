/**
 * Scatter plot of design points with a Pareto front (drawn as a staircase, both axes minimised),
 * one marked point (the chosen design) and an optional vertical limit line.
 */
import {
  AXIS,
  GRID,
  MUTED,
  WARN,
  el,
  linearScale,
  niceTicks,
  px,
  text,
  textWidth,
  tickLabel,
} from './core.js';
import { FONT_SIZE, fitXTicks, legend, svgRoot, xAxis, type LegendItem } from './frame.js';

export interface Point {
  x: number;
  y: number;
  label?: string; // tooltip
}

export interface ScatterSpec {
  id: string;
  title: string;
  desc?: string;
  xLabel: string;
  yLabel: string;
  background?: { name: string; points: Point[] }; // e.g. every design evaluated
  front: { name: string; points: Point[] }; // the Pareto front
  marked?: { name: string; point: Point; label: string }; // the chosen design
  xLimit?: { value: number; label: string }; // e.g. the board's DSP limit
  logY?: boolean; // latencies spanning decades read better on a log axis
  width?: number;
  height?: number;
}

const FRONT = '#0072B2';
const BACKGROUND = '#9aa5b1';
const MARK = WARN;

/** Log-axis ticks at 1, 2, 5 × 10^k within [lo, hi] (lo > 0). */
function logTicks(lo: number, hi: number): { values: number[]; lo: number; hi: number } {
  const e0 = Math.floor(Math.log10(lo));
  const e1 = Math.ceil(Math.log10(hi));
  const all: number[] = [];
  for (let e = e0; e <= e1; e++) for (const m of [1, 2, 5]) all.push(Number((m * 10 ** e).toPrecision(3)));
  const below = all.filter((v) => v <= lo).pop() ?? all[0];
  const above = all.find((v) => v >= hi) ?? all[all.length - 1];
  const values = all.filter((v) => v >= below && v <= above);
  return { values, lo: below, hi: above };
}

function logLabel(v: number): string {
  return v >= 1 ? tickLabel(v, 1) : String(Number(v.toPrecision(2)));
}

export function scatter(spec: ScatterSpec): string {
  const width = spec.width ?? 880;
  const height = spec.height ?? 420;
  const all = [
    ...(spec.background?.points ?? []),
    ...spec.front.points,
    ...(spec.marked ? [spec.marked.point] : []),
  ];
  const xs = all.map((p) => p.x).concat(spec.xLimit ? [spec.xLimit.value] : []);
  const ys = all.map((p) => p.y);
  const { ticks: xt, overhang } = fitXTicks(0, Math.max(...xs, 1) * 1.04, width - 80);
  const useLog =
    !!spec.logY && ys.length > 0 && Math.min(...ys) > 0 && Math.max(...ys) / Math.min(...ys) >= 8;
  const yLin = niceTicks(0, Math.max(...ys, 0) * 1.06 || 1, 5);
  const yl = useLog
    ? logTicks(Math.min(...ys), Math.max(...ys))
    : { values: yLin.values, lo: yLin.lo, hi: yLin.hi };
  const yLabelOf = (v: number) => (useLog ? logLabel(v) : tickLabel(v, yLin.step));

  const items: LegendItem[] = [];
  if (spec.background?.points.length)
    items.push({ label: spec.background.name, color: BACKGROUND, shape: 'dot' });
  items.push({ label: spec.front.name, color: FRONT, shape: 'dot' });
  if (spec.marked) items.push({ label: spec.marked.name, color: MARK, shape: 'ring' });
  if (spec.xLimit) items.push({ label: spec.xLimit.label, color: '#323f4b', shape: 'dash' });

  const tickW = Math.max(...yl.values.map((v) => textWidth(yLabelOf(v), FONT_SIZE)));
  const left = tickW + 36;
  const right = Math.max(16, overhang); // room for the last x tick label
  const lg = legend(items, left, 4, width - left - right);
  const top = lg.height + 18;
  const bottom = 50;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const x = linearScale(xt.lo, xt.hi, left, left + plotW);
  const y = useLog
    ? (() => {
        const s = linearScale(Math.log10(yl.lo), Math.log10(yl.hi), top + plotH, top);
        return (v: number) => s(Math.log10(v));
      })()
    : linearScale(yl.lo, yl.hi, top + plotH, top);

  const parts: string[] = [];
  // y axis (own implementation so the log variant shares it)
  for (const v of yl.values) {
    parts.push(el('line', { x1: left, y1: y(v), x2: left + plotW, y2: y(v), stroke: GRID }));
    parts.push(text(left - 6, y(v) + 4, yLabelOf(v), { 'text-anchor': 'end', fill: MUTED }));
  }
  parts.push(el('line', { x1: left, y1: top, x2: left, y2: top + plotH, stroke: AXIS }));
  const ylx = left - tickW - 18;
  const ylMid = top + plotH / 2;
  parts.push(
    text(ylx, ylMid, spec.yLabel + (useLog ? ' (log scale)' : ''), {
      transform: `rotate(-90 ${px(ylx)} ${px(ylMid)})`,
      'text-anchor': 'middle',
      'font-weight': 600,
    }),
  );
  parts.push(xAxis({ ticks: xt, scale: x, y: top + plotH, top, label: spec.xLabel }));

  if (spec.xLimit) {
    const lx = x(spec.xLimit.value);
    parts.push(
      el('line', {
        x1: lx,
        y1: top,
        x2: lx,
        y2: top + plotH,
        stroke: '#323f4b',
        'stroke-width': 1.5,
        'stroke-dasharray': '5 4',
      }),
    );
  }
  for (const p of spec.background?.points ?? [])
    parts.push(
      el(
        'circle',
        { cx: x(p.x), cy: y(p.y), r: 2.6, fill: BACKGROUND, 'fill-opacity': 0.45 },
        p.label ? el('title', {}, p.label) : '',
      ),
    );

  const front = [...spec.front.points].sort((a, b) => a.x - b.x || a.y - b.y);
  if (front.length > 1) {
    let d = `M${px(x(front[0].x))} ${px(y(front[0].y))}`;
    for (let i = 1; i < front.length; i++) d += ` H${px(x(front[i].x))} V${px(y(front[i].y))}`;
    parts.push(el('path', { d, fill: 'none', stroke: FRONT, 'stroke-width': 1.8, 'stroke-opacity': 0.7 }));
  }
  for (const p of front)
    parts.push(
      el(
        'circle',
        { cx: x(p.x), cy: y(p.y), r: 4.2, fill: FRONT, stroke: '#fff', 'stroke-width': 1 },
        p.label ? el('title', {}, p.label) : '',
      ),
    );

  if (spec.marked) {
    const m = spec.marked;
    const mx = x(m.point.x);
    const my = y(m.point.y);
    parts.push(
      el(
        'circle',
        { cx: mx, cy: my, r: 8, fill: 'none', stroke: MARK, 'stroke-width': 2.5 },
        el('title', {}, m.point.label ?? m.label),
      ),
    );
    const w = textWidth(m.label, FONT_SIZE) + 12;
    const toLeft = mx + 14 + w > left + plotW;
    const lx = toLeft ? mx - 14 - w : mx + 14;
    const ly = Math.max(top + 12, my - 14);
    parts.push(
      el('rect', {
        x: lx,
        y: ly - 13,
        width: w,
        height: 19,
        rx: 3,
        fill: '#fff',
        stroke: MARK,
        'stroke-width': 1,
      }),
    );
    parts.push(text(lx + 6, ly + 1, m.label, { fill: MARK, 'font-weight': 600 }));
  }

  return svgRoot(
    { id: spec.id, width, height, title: spec.title, desc: spec.desc, kind: 'scatter' },
    lg.markup + el('g', {}, ...parts),
  );
}
