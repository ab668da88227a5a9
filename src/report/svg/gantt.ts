/**
 * A timeline (Gantt) of dataflow processes: one row per process, grouped by region; each row is a
 * bar of busy cycles followed by a bar of stall cycles, starting where its region starts.
 */
import {
  GRID,
  INK,
  MUTED,
  PALETTE,
  el,
  groupThousands,
  linearScale,
  niceTicks,
  text,
  textWidth,
} from './core.js';
import { FONT_SIZE, legend, svgRoot } from './frame.js';

export interface GanttRow {
  label: string; // the process
  start: number; // cycles from the call's start
  busy: number;
  stall: number;
}

export interface GanttGroup {
  title: string; // the region
  start: number;
  cycles: number;
  rows: GanttRow[];
}

export interface GanttSpec {
  id: string;
  title: string;
  desc?: string;
  groups: GanttGroup[];
  width?: number;
}

const BUSY = PALETTE[0];
const STALL = '#f5c26b';

export function gantt(spec: GanttSpec): string {
  const width = spec.width ?? 880;
  const rowH = 22;
  const barH = 14;
  const headH = 22;
  const labels = spec.groups.flatMap((g) => g.rows.map((r) => r.label));
  const left = Math.min(260, Math.max(90, ...labels.map((l) => textWidth(l, FONT_SIZE) + 16)));
  const right = 24;
  const lg = legend(
    [
      { label: 'busy (the process’s own cycles)', color: BUSY, shape: 'rect' },
      { label: 'stall (waiting on its FIFOs)', color: STALL, shape: 'rect' },
    ],
    left,
    4,
    width - right - left,
  );
  const top = 10 + lg.height;
  const end = Math.max(
    1,
    ...spec.groups.flatMap((g) => [g.start + g.cycles, ...g.rows.map((r) => r.start + r.busy + r.stall)]),
  );
  const ticks = niceTicks(0, end, 6);
  const x = linearScale(0, ticks.hi, left, width - right);
  let y = top;
  const body: string[] = [];
  body.push(lg.markup);
  for (const g of spec.groups) {
    body.push(
      text(left, y + 15, `${g.title} · ${groupThousands(g.cycles)} cycles`, {
        fill: MUTED,
        class: 'gantt-region',
      }),
    );
    y += headH;
    for (const r of g.rows) {
      const x0 = x(r.start);
      const xb = x(r.start + r.busy);
      const xs = x(r.start + r.busy + r.stall);
      body.push(
        el(
          'g',
          { class: 'gantt-row', 'data-process': r.label, 'data-busy': r.busy, 'data-stall': r.stall },
          text(left - 8, y + barH - 2, r.label, { 'text-anchor': 'end' }),
          el(
            'rect',
            { class: 'busy', x: x0, y, width: Math.max(0.5, xb - x0), height: barH, fill: BUSY },
            el('title', {}, `${r.label}: busy ${groupThousands(r.busy)} cycles`),
          ),
          r.stall > 0
            ? el(
                'rect',
                { class: 'stall', x: xb, y, width: Math.max(0.5, xs - xb), height: barH, fill: STALL },
                el('title', {}, `${r.label}: stall ${groupThousands(r.stall)} cycles`),
              )
            : '',
        ),
      );
      y += rowH;
    }
  }
  const axisY = y + 4;
  body.push(el('line', { x1: left, x2: width - right, y1: axisY, y2: axisY, stroke: GRID }));
  for (let v = ticks.lo; v <= ticks.hi + ticks.step / 2; v += ticks.step) {
    body.push(
      el('line', { x1: x(v), x2: x(v), y1: top, y2: axisY, stroke: GRID, 'stroke-dasharray': '2 3' }),
    );
    body.push(text(x(v), axisY + 16, groupThousands(v), { 'text-anchor': 'middle', fill: MUTED }));
  }
  body.push(
    text((left + width - right) / 2, axisY + 34, 'cycles from the start of the kernel call', {
      'text-anchor': 'middle',
      fill: INK,
    }),
  );
  return svgRoot(
    { id: spec.id, width, height: axisY + 44, title: spec.title, desc: spec.desc, kind: 'gantt' },
    body.join(''),
  );
}
