/** HTML string helpers and the number formats every section uses. */
import { esc, groupThousands } from '../svg/core.js';

export { esc };

type HtmlAttrs = Record<string, string | number | boolean | undefined | null>;

/** One HTML element; children are already-rendered markup (escape text with esc). */
export function h(tag: string, attrs: HtmlAttrs = {}, ...children: string[]): string {
  let a = '';
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    a += v === true ? ` ${k}` : ` ${k}="${esc(String(v))}"`;
  }
  return `<${tag}${a}>${children.join('')}</${tag}>`;
}

/** A table from a header row and body rows; columns listed in `numeric` are right-aligned. */
export function table(
  head: string[],
  rows: string[][],
  opts: { numeric?: number[]; className?: string } = {},
): string {
  const isNum = (i: number) => opts.numeric?.includes(i) ?? false;
  const cls = (i: number) => (isNum(i) ? 'num' : undefined);
  // a wrapper that scrolls rather than letting a wide table spill out of its section on narrow screens
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: opts.className },
      h('thead', {}, h('tr', {}, ...head.map((c, i) => h('th', { class: cls(i), scope: 'col' }, c)))),
      h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c, i) => h('td', { class: cls(i) }, c))))),
    ),
  );
}

/** A plainly worded notice for a section whose data is absent. */
export function absent(message: string): string {
  return h('p', { class: 'absent' }, esc(message));
}

/** A warning that the data shown may mislead (stale, or not fitting). */
export function alert(message: string): string {
  return h('div', { class: 'alert' }, esc(message));
}

export function int(v: number): string {
  return groupThousands(Math.round(v));
}

/** Milliseconds with three significant digits (12.3 ms, 1.23 ms, 0.123 ms). */
export function ms(v: number): string {
  if (v >= 100) return groupThousands(v, 0);
  return v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

/** A rate such as images/s: grouped whole numbers from 100 up, one decimal below. */
export function rate(v: number): string {
  return v >= 100 ? groupThousands(v, 0) : v.toFixed(1);
}

export function pct(fraction: number, decimals = 1): string {
  return `${(fraction * 100).toFixed(decimals)} %`;
}

/** A figure: the chart's SVG with a caption under it. */
export function figure(svg: string, caption: string): string {
  return h('figure', {}, svg, h('figcaption', {}, caption));
}

/** The small "predicted" badge beside every predicted figure's heading. */
export const PREDICTED = h(
  'span',
  { class: 'badge predicted', title: 'from the ubimoe cost model, not measured' },
  'predicted',
);
export const MEASURED = h(
  'span',
  { class: 'badge measured', title: 'from a tool run (C-simulation or synthesis)' },
  'measured',
);
