/**
 * The few primitives every hand-written SVG chart needs: escaping, element strings, linear scales,
 * "nice" axis ticks and a text-width guess (no browser here, so layout uses an average glyph width).
 */

export type Attrs = Record<string, string | number | undefined | null | false>;

export function esc(s: string | number): string {
  return String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** Rounds coordinates so the markup stays short and byte-stable. */
export function px(v: number): string {
  const r = Math.round(v * 10) / 10;
  return Object.is(r, -0) ? '0' : String(r);
}

function attrString(attrs: Attrs): string {
  let out = '';
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    out += ` ${k}="${esc(typeof v === 'number' ? px(v) : v)}"`;
  }
  return out;
}

/** One element as a string; children are already-rendered markup. */
export function el(tag: string, attrs: Attrs = {}, ...children: string[]): string {
  const inner = children.join('');
  return inner ? `<${tag}${attrString(attrs)}>${inner}</${tag}>` : `<${tag}${attrString(attrs)}/>`;
}

/** A text element (content escaped). */
export function text(x: number, y: number, content: string, attrs: Attrs = {}): string {
  return `<text${attrString({ x, y, ...attrs })}>${esc(content)}</text>`;
}

/** Maps [d0, d1] onto [r0, r1] linearly (a flat domain maps everything to the range's middle). */
export function linearScale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  if (d1 === d0) return () => (r0 + r1) / 2;
  const k = (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

export interface Ticks {
  lo: number; // axis start (a tick)
  hi: number; // axis end (a tick)
  step: number;
  values: number[];
}

/** About `target` round ticks (1, 2, 2.5, 5 × 10^k) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, target = 5): Ticks {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { lo: 0, hi: 1, step: 1, values: [0, 1] };
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const start = Math.floor(lo / step + 1e-9) * step;
  const end = Math.ceil(hi / step - 1e-9) * step;
  const values: number[] = [];
  for (let i = 0; start + i * step <= end + step * 1e-9; i++) values.push(roundTo(start + i * step, step));
  return { lo: values[0], hi: values[values.length - 1], step, values };
}

function roundTo(v: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 2);
  return Number(v.toFixed(Math.min(decimals, 15)));
}

/** Number of decimals that tell ticks `step` apart. */
export function stepDecimals(step: number): number {
  if (step <= 0 || !Number.isFinite(step)) return 0;
  let d = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
  // 0.25 or 2.5e-7 need one digit more than their magnitude
  while (d < 15 && Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) > 1e-6) d++;
  return d;
}

/** Groups thousands with a thin space (12 345), the typographic convention that reads in any locale. */
export function groupThousands(v: number, decimals = 0): string {
  const neg = v < 0;
  const [int, frac] = Math.abs(v).toFixed(decimals).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009');
  return (neg ? '−' : '') + grouped + (frac ? `.${frac}` : '');
}

/** A tick label: thousands grouped, as many decimals as the tick step needs, k/M suffixes for big values. */
export function tickLabel(v: number, step: number): string {
  const abs = Math.abs(v);
  if (abs >= 1e6 && step >= 1e5) return `${groupThousands(v / 1e6, stepDecimals(step / 1e6))}M`;
  if (abs >= 1e4 && step >= 1e3) return `${groupThousands(v / 1e3, stepDecimals(step / 1e3))}k`;
  return groupThousands(v, stepDecimals(step));
}

/** Approximate rendered width of `s` in the report's sans-serif font (average glyph ≈ 0.56 em). */
export function textWidth(s: string, fontSize: number): number {
  let w = 0;
  for (const ch of s)
    w += /[il.,:;|'! ]/.test(ch) ? 0.3 : /[mwMW%]/.test(ch) ? 0.85 : /[A-Z0-9]/.test(ch) ? 0.64 : 0.54;
  return w * fontSize;
}

/**
 * Colour-blind-safe categorical palette (Okabe–Ito order, blue first), the same everywhere so a
 * kernel keeps its colour from one chart to the next.
 */
export const PALETTE = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#F0E442',
  '#6A3D9A',
  '#8C8C8C',
  '#882255',
  '#999933',
  '#332288',
];

export const INK = '#1f2933';
export const MUTED = '#52606d';
export const GRID = '#e4e7eb';
export const AXIS = '#9aa5b1';
export const WARN = '#D55E00';
