/** The parts every chart shares: the <svg> root, the legend and the axes. */
import {
  AXIS,
  GRID,
  INK,
  MUTED,
  el,
  esc,
  niceTicks,
  px,
  text,
  textWidth,
  tickLabel,
  type Ticks,
} from './core.js';

export const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
export const FONT_SIZE = 12;

export interface Margin {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

/**
 * The <svg> root: fixed intrinsic size (so it has a box before any CSS), a viewBox (so CSS can
 * shrink it), and an accessible title/description.
 */
export function svgRoot(
  opts: { id: string; width: number; height: number; title: string; desc?: string; kind: string },
  body: string,
): string {
  const id = opts.id;
  return el(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      id,
      class: `chart chart-${opts.kind}`,
      width: opts.width,
      height: opts.height,
      viewBox: `0 0 ${px(opts.width)} ${px(opts.height)}`,
      role: 'img',
      'aria-labelledby': `${id}-t${opts.desc ? ` ${id}-d` : ''}`,
      'font-family': FONT,
      'font-size': FONT_SIZE,
      fill: INK,
    },
    el('title', { id: `${id}-t` }, esc(opts.title)),
    opts.desc ? el('desc', { id: `${id}-d` }, esc(opts.desc)) : '',
    body,
  );
}

export type LegendShape = 'rect' | 'dot' | 'ring' | 'line' | 'dash';

export interface LegendItem {
  label: string;
  color: string;
  shape?: LegendShape;
}

function swatch(shape: LegendShape, x: number, y: number, color: string): string {
  switch (shape) {
    case 'dot':
      return el('circle', { cx: x + 6, cy: y, r: 4.5, fill: color });
    case 'ring':
      return el('circle', { cx: x + 6, cy: y, r: 5, fill: 'none', stroke: color, 'stroke-width': 2.5 });
    case 'line':
      return el('line', { x1: x, y1: y, x2: x + 14, y2: y, stroke: color, 'stroke-width': 2.5 });
    case 'dash':
      return el('line', {
        x1: x,
        y1: y,
        x2: x + 14,
        y2: y,
        stroke: color,
        'stroke-width': 2,
        'stroke-dasharray': '4 3',
      });
    default:
      return el('rect', { x, y: y - 5.5, width: 12, height: 11, rx: 2, fill: color });
  }
}

/** A legend that wraps into rows within `maxWidth`; returns its markup and height. */
export function legend(
  items: LegendItem[],
  x: number,
  y: number,
  maxWidth: number,
): { markup: string; height: number } {
  const rowHeight = 18;
  let cx = x;
  let cy = y + rowHeight / 2;
  const parts: string[] = [];
  for (const item of items) {
    const w = 20 + textWidth(item.label, FONT_SIZE) + 16;
    if (cx > x && cx + w > x + maxWidth) {
      cx = x;
      cy += rowHeight;
    }
    parts.push(
      swatch(item.shape ?? 'rect', cx, cy, item.color),
      text(cx + 19, cy + 4, item.label, { fill: MUTED }),
    );
    cx += w;
  }
  return {
    markup: el('g', { class: 'legend' }, ...parts),
    height: items.length ? cy - y + rowHeight / 2 : 0,
  };
}

/** Vertical value axis with horizontal grid lines across the plot and a rotated label. */
export function yAxis(o: {
  ticks: Ticks;
  scale: (v: number) => number;
  x: number;
  width: number;
  label: string;
}): string {
  const parts: string[] = [];
  for (const v of o.ticks.values) {
    const y = o.scale(v);
    parts.push(el('line', { x1: o.x, y1: y, x2: o.x + o.width, y2: y, stroke: GRID }));
    parts.push(text(o.x - 6, y + 4, tickLabel(v, o.ticks.step), { 'text-anchor': 'end', fill: MUTED }));
  }
  const top = o.scale(o.ticks.hi);
  const bottom = o.scale(o.ticks.lo);
  const labelX =
    o.x - 14 - Math.max(...o.ticks.values.map((v) => textWidth(tickLabel(v, o.ticks.step), FONT_SIZE)));
  parts.push(el('line', { x1: o.x, y1: top, x2: o.x, y2: bottom, stroke: AXIS }));
  parts.push(
    text(labelX, (top + bottom) / 2, o.label, {
      transform: `rotate(-90 ${px(labelX)} ${px((top + bottom) / 2)})`,
      'text-anchor': 'middle',
      'font-weight': 600,
      fill: INK,
    }),
  );
  return el('g', { class: 'axis axis-y' }, ...parts);
}

/** Horizontal value axis with vertical grid lines through the plot and a label underneath. */
export function xAxis(o: {
  ticks: Ticks;
  scale: (v: number) => number;
  y: number;
  top: number;
  label: string;
  grid?: boolean;
}): string {
  const parts: string[] = [];
  for (const v of o.ticks.values) {
    const x = o.scale(v);
    if (o.grid !== false) parts.push(el('line', { x1: x, y1: o.top, x2: x, y2: o.y, stroke: GRID }));
    parts.push(el('line', { x1: x, y1: o.y, x2: x, y2: o.y + 4, stroke: AXIS }));
    parts.push(text(x, o.y + 17, tickLabel(v, o.ticks.step), { 'text-anchor': 'middle', fill: MUTED }));
  }
  const left = o.scale(o.ticks.lo);
  const right = o.scale(o.ticks.hi);
  parts.push(el('line', { x1: left, y1: o.y, x2: right, y2: o.y, stroke: AXIS }));
  parts.push(text((left + right) / 2, o.y + 36, o.label, { 'text-anchor': 'middle', 'font-weight': 600 }));
  return el('g', { class: 'axis axis-x' }, ...parts);
}

/**
 * Ticks for a horizontal axis about `width` wide whose labels do not collide (long labels such
 * as 0.99999990 get fewer ticks), and the margin the last label needs past the axis end.
 */
export function fitXTicks(
  lo: number,
  hi: number,
  width: number,
  target = 6,
): { ticks: Ticks; overhang: number } {
  let ticks = niceTicks(lo, hi, target);
  for (let t = target; t > 2; t--) {
    ticks = niceTicks(lo, hi, t);
    const widest = Math.max(...ticks.values.map((v) => textWidth(tickLabel(v, ticks.step), FONT_SIZE)));
    if ((widest + 16) * ticks.values.length <= width) break;
  }
  const last = tickLabel(ticks.values[ticks.values.length - 1], ticks.step);
  return { ticks, overhang: textWidth(last, FONT_SIZE) / 2 + 4 };
}
