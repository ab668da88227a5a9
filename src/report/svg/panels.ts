/**
 * Small multiples of bar charts sharing one value scale: one panel per group (e.g. per MoE
 * block), one bar per item (e.g. per expert), with an optional dashed reference level (e.g. what
 * uniform routing would give each expert).
 */
import {
  AXIS,
  GRID,
  INK,
  MUTED,
  WARN,
  el,
  linearScale,
  niceTicks,
  text,
  textWidth,
  tickLabel,
} from './core.js';
import { FONT_SIZE, legend, svgRoot, type LegendItem } from './frame.js';

export interface PanelBarsSpec {
  id: string;
  title: string;
  desc?: string;
  panels: Array<{ title: string; values: number[] }>;
  itemLabel: (i: number) => string; // x label of bar i
  barName: string; // legend entry for the bars
  reference?: { value: number; label: string };
  valueLabel: string; // y axis (shown once, left of the first column)
  formatValue?: (v: number) => string; // bar tooltips
  columns?: number;
  width?: number;
  panelHeight?: number;
  color?: string;
}

export function panelBars(spec: PanelBarsSpec): string {
  const width = spec.width ?? 880;
  const cols = Math.max(1, Math.min(spec.columns ?? 3, spec.panels.length));
  const rows = Math.ceil(spec.panels.length / cols);
  const panelH = spec.panelHeight ?? 170;
  const color = spec.color ?? '#0072B2';
  const fmt = spec.formatValue ?? ((v: number) => tickLabel(v, 0.1));
  const max = Math.max(spec.reference?.value ?? 0, ...spec.panels.flatMap((p) => p.values), 1);
  const ticks = niceTicks(0, max, 3);
  const tickW = Math.max(...ticks.values.map((v) => textWidth(tickLabel(v, ticks.step), FONT_SIZE - 1)));

  const items: LegendItem[] = [{ label: spec.barName, color }];
  if (spec.reference) items.push({ label: spec.reference.label, color: WARN, shape: 'dash' });
  const outerLeft = 22; // the rotated value label
  const lg = legend(items, outerLeft, 4, width - outerLeft - 8);
  const top0 = lg.height + 14;
  const gap = 16;
  const panelW = (width - outerLeft - 8 - gap * (cols - 1)) / cols;
  const inner = { left: tickW + 10, right: 4, top: 28, bottom: 22 };
  const height = top0 + rows * panelH + (rows - 1) * 10 + 4;

  const parts: string[] = [];
  spec.panels.forEach((panel, pi) => {
    const c = pi % cols;
    const r = Math.floor(pi / cols);
    const x0 = outerLeft + c * (panelW + gap);
    const y0 = top0 + r * (panelH + 10);
    const plotL = x0 + inner.left;
    const plotR = x0 + panelW - inner.right;
    const plotT = y0 + inner.top;
    const plotB = y0 + panelH - inner.bottom;
    const y = linearScale(ticks.lo, ticks.hi, plotB, plotT);
    const g: string[] = [text(x0, y0 + 13, panel.title, { 'font-weight': 600, fill: INK })];
    for (const v of ticks.values) {
      g.push(el('line', { x1: plotL, y1: y(v), x2: plotR, y2: y(v), stroke: GRID }));
      g.push(
        text(plotL - 4, y(v) + 4, tickLabel(v, ticks.step), {
          'text-anchor': 'end',
          fill: MUTED,
          'font-size': FONT_SIZE - 1,
        }),
      );
    }
    g.push(el('line', { x1: plotL, y1: plotB, x2: plotR, y2: plotB, stroke: AXIS }));
    const n = panel.values.length;
    const slot = (plotR - plotL) / Math.max(1, n);
    const barW = Math.max(1, slot * 0.72);
    const every = Math.max(1, Math.ceil(textWidth('00', 9) / slot + 0.2));
    panel.values.forEach((v, i) => {
      const cx = plotL + slot * (i + 0.5);
      if (v > 0)
        g.push(
          el(
            'rect',
            { x: cx - barW / 2, y: y(v), width: barW, height: Math.max(0.5, y(0) - y(v)), fill: color },
            el('title', {}, `${panel.title} · ${spec.itemLabel(i)}: ${fmt(v)}`),
          ),
        );
      if (i % every === 0)
        g.push(
          text(cx, plotB + 12, spec.itemLabel(i), { 'text-anchor': 'middle', 'font-size': 9, fill: MUTED }),
        );
    });
    if (spec.reference) {
      const ry = y(spec.reference.value);
      g.push(
        el('line', {
          x1: plotL,
          y1: ry,
          x2: plotR,
          y2: ry,
          stroke: WARN,
          'stroke-width': 1.5,
          'stroke-dasharray': '5 3',
        }),
      );
    }
    parts.push(el('g', { class: 'panel' }, ...g));
  });
  const midY = top0 + (rows * panelH) / 2;
  parts.push(
    text(12, midY, spec.valueLabel, {
      transform: `rotate(-90 12 ${Math.round(midY)})`,
      'text-anchor': 'middle',
      'font-weight': 600,
    }),
  );
  return svgRoot(
    { id: spec.id, width, height, title: spec.title, desc: spec.desc, kind: 'panels' },
    lg.markup + el('g', {}, ...parts),
  );
}
