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
/**
 * C-simulation results: the generated HLS code compiled with g++ and run on the CPU. Not a
 * hardware measurement, so never badged "measured".
 */
export const SIMULATED = h(
  'span',
  {
    class: 'badge simulated',
    title:
      'from running the generated HLS code as a C-simulation (g++) on this computer; not a hardware measurement',
  },
  'C-simulated',
);
/** Vitis HLS csynth figures: the synthesis tool's own estimates, not a measurement on a board. */
export const SYNTHESISED = h(
  'span',
  {
    class: 'badge synthesised',
    title: 'Vitis HLS csynth estimates (reports/synth.json); not measured on a board',
  },
  'HLS synthesis',
);
/** Published results of another accelerator. */
export const PUBLISHED = h(
  'span',
  { class: 'badge published', title: 'figures published by the accelerator’s authors' },
  'published',
);
/** A badge saying what is missing, e.g. "no synthesis data". */
export function noData(what: string): string {
  return h('span', { class: 'badge none' }, esc(what));
}

/**
 * A cosine with enough decimals to show how far it is from 1 (two significant digits of 1 − v):
 * 0.99874 → "0.99874", 1 − 1.3e-8 → "0.9999999870".
 */
export function cosine(v: number): string {
  if (v === 1) return '1';
  if (v > 1) return v.toFixed(9); // above 1 by float rounding
  const d = 1 - v;
  return v.toFixed(Math.min(12, Math.max(4, Math.ceil(-Math.log10(d)) + 2)));
}

/** A small quantity in scientific notation with three significant digits (0 stays "0"). */
export function sci(v: number): string {
  if (v === 0) return '0';
  return v.toExponential(2).replace('e-', 'e−');
}
