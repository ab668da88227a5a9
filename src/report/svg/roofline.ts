/**
 * A roofline on log-log axes: x = operational intensity (MACs per byte of off-chip traffic),
 * y = MAC rate (GMAC/s). Two roofs: the compute roof (every DSP doing MACs) and the bandwidth
 * roof (bytes/s × intensity); the design is one point. Its height under the roof is how far the
 * design is from the physical bound.
 */
import { GRID, INK, MUTED, PALETTE, WARN, el, text } from './core.js';
import { legend, svgRoot } from './frame.js';

export interface RooflineSpec {
  id: string;
  title: string;
  desc?: string;
  computeGmacs: number; // the compute roof, GMAC/s
  bandwidthGBps: number; // the bandwidth roof's slope, GB/s
  point: { label: string; intensity: number; gmacs: number }; // the design
  width?: number;
}

const decades = (lo: number, hi: number) => {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
};
const label = (v: number) => (v >= 1 ? String(Math.round(v)) : String(Number(v.toPrecision(1))));

export function roofline(spec: RooflineSpec): string {
  const width = spec.width ?? 640;
  const left = 64;
  const right = 24;
  const lg = legend(
    [
      { label: 'roof: min(compute, bandwidth × intensity)', color: INK, shape: 'line' },
      { label: spec.point.label, color: WARN, shape: 'dot' },
    ],
    left,
    4,
    width - right - left,
  );
  const top = 12 + lg.height;
  const plotH = 260;
  const bottom = top + plotH;
  const ridge = spec.computeGmacs / spec.bandwidthGBps; // MAC/byte where the roofs meet
  const xLo = Math.min(spec.point.intensity, ridge) / 10;
  const xHi = Math.max(spec.point.intensity, ridge) * 10;
  const roofAt = (i: number) => Math.min(spec.computeGmacs, spec.bandwidthGBps * i);
  const yLo = Math.min(spec.point.gmacs, roofAt(xLo)) / 3;
  const yHi = spec.computeGmacs * 3;
  const lx = (v: number) =>
    left + ((Math.log10(v) - Math.log10(xLo)) / (Math.log10(xHi) - Math.log10(xLo))) * (width - right - left);
  const ly = (v: number) =>
    bottom - ((Math.log10(v) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo))) * plotH;
  const body: string[] = [lg.markup];
  for (const v of decades(xLo, xHi).filter((v) => v >= xLo && v <= xHi)) {
    body.push(
      el('line', { x1: lx(v), x2: lx(v), y1: top, y2: bottom, stroke: GRID, 'stroke-dasharray': '2 3' }),
    );
    body.push(text(lx(v), bottom + 16, label(v), { 'text-anchor': 'middle', fill: MUTED }));
  }
  for (const v of decades(yLo, yHi).filter((v) => v >= yLo && v <= yHi)) {
    body.push(
      el('line', {
        x1: left,
        x2: width - right,
        y1: ly(v),
        y2: ly(v),
        stroke: GRID,
        'stroke-dasharray': '2 3',
      }),
    );
    body.push(text(left - 6, ly(v) + 4, label(v), { 'text-anchor': 'end', fill: MUTED }));
  }
  const pts = [xLo, ridge, xHi].map((i) => `${lx(i).toFixed(1)},${ly(roofAt(i)).toFixed(1)}`).join(' ');
  body.push(el('polyline', { class: 'roof', points: pts, fill: 'none', stroke: INK, 'stroke-width': 2 }));
  body.push(
    text(lx(xHi) - 4, ly(spec.computeGmacs) - 6, `compute ${label(spec.computeGmacs)} GMAC/s`, {
      'text-anchor': 'end',
      fill: INK,
    }),
  );
  const p = spec.point;
  body.push(
    el(
      'circle',
      {
        class: 'design-point',
        cx: lx(p.intensity),
        cy: ly(p.gmacs),
        r: 5,
        fill: WARN,
        'data-intensity': p.intensity.toPrecision(6),
        'data-gmacs': p.gmacs.toPrecision(6),
      },
      el(
        'title',
        {},
        `${p.label}: ${p.gmacs.toPrecision(3)} GMAC/s at ${p.intensity.toPrecision(3)} MAC/byte`,
      ),
    ),
  );
  body.push(
    text(
      lx(p.intensity) + 8,
      ly(p.gmacs) + 4,
      `${((p.gmacs / roofAt(p.intensity)) * 100).toFixed(1)}% of the roof`,
      {
        fill: WARN,
      },
    ),
  );
  body.push(el('line', { x1: left, x2: width - right, y1: bottom, y2: bottom, stroke: PALETTE[7] ?? MUTED }));
  body.push(
    text(
      (left + width - right) / 2,
      bottom + 34,
      'operational intensity (MACs per byte of off-chip traffic, log)',
      {
        'text-anchor': 'middle',
        fill: INK,
      },
    ),
  );
  body.push(
    text(14, (top + bottom) / 2, 'GMAC/s (log)', {
      'text-anchor': 'middle',
      fill: INK,
      transform: `rotate(-90 14 ${(top + bottom) / 2})`,
    }),
  );
  return svgRoot(
    { id: spec.id, width, height: bottom + 44, title: spec.title, desc: spec.desc, kind: 'roofline' },
    body.join(''),
  );
}
