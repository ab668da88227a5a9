/**
 * Published figures beside the predicted ones, compared only like with like (same model, board and
 * precision); otherwise the page says they are not comparable, and why.
 */
import { RESOURCE_KEYS, type Resources } from '../../../board/schema.js';
import { msPerImageNote, predictedMsPerImage, publishedFor, type Comparability } from '../../published.js';
import type { Prediction, ReportData } from '../../types.js';
import { PREDICTED, PUBLISHED, esc, h, int, table } from '../markup.js';

/** What the design uses in total: its kernels (every compute unit) and the interconnect. */
export function predictedTotals(p: Prediction): Resources {
  const t: Resources = { dsp: 0, bram18: 0, uram: 0, lut: 0, ff: 0 };
  for (const k of p.kernels) for (const r of RESOURCE_KEYS) t[r] += k.resources[r];
  for (const o of p.overhead ?? []) for (const r of RESOURCE_KEYS) t[r] += o.resources[r];
  return t;
}

const ratio = (pred: number, pub: number) => `${(pred / pub).toFixed(2)}×`;

/** Published figures as printed (10.33 ms stays 10.33). */
const asPublished = (v: number) => (Number.isInteger(v) ? int(v) : String(v));

function comparableTable(c: Comparability, p: Prediction | null): string {
  const pt = c.point;
  const t = p ? predictedTotals(p) : null;
  const row = (metric: string, pub: number, fmt: (v: number) => string, pred?: number, compare = true) => [
    esc(metric),
    asPublished(pub),
    pred === undefined ? '—' : fmt(pred),
    pred === undefined ? '—' : compare ? ratio(pred, pub) : 'not compared¹',
  ];
  return (
    table(
      ['', `${esc(pt.who)} (published)`, 'this design (predicted)', 'predicted / published'],
      [
        row(
          pt.msPerImageIs === 'throughput' ? 'ms/image at throughput²' : 'latency (ms/image)',
          pt.latencyMs,
          (v) => v.toFixed(2),
          p ? predictedMsPerImage(pt, p) : undefined,
        ),
        row('clock (MHz)', pt.clockMhz, (v) => String(v), p?.clockMhz),
        row('DSP', pt.dsp, int, t?.dsp),
        row('BRAM', pt.bram, (v) => `${int(v)} BRAM18`, t?.bram18, false),
        row('LUT', pt.lut, int, t?.lut),
        row('FF', pt.ff, int, t?.ff),
      ],
      { numeric: [1, 2, 3], className: 'published' },
    ) +
    h(
      'p',
      { class: 'note' },
      '¹ The paper gives 974 BRAM without saying whether it counts 18 Kb or 36 Kb blocks; the prediction counts 18 Kb blocks.',
    ) +
    h(
      'p',
      { class: 'note' },
      `² ${esc(msPerImageNote(pt))}` +
        (p ? ` (this design: one image alone takes a predicted ${p.latencyMs.toFixed(2)} ms).` : '.'),
    )
  );
}

function pointFigures(c: Comparability): string {
  const pt = c.point;
  return `${esc(pt.who)} on ${esc(pt.boardLabel)}, ${esc(pt.model)} ${esc(pt.precision.label)} at ${pt.clockMhz} MHz: ${asPublished(pt.latencyMs)} ms/image, ${int(pt.dsp)} DSP, ${int(pt.bram)} BRAM, ${int(pt.lut)} LUT, ${int(pt.ff)} FF`;
}

export function publishedSection(d: ReportData): string {
  const points = publishedFor(d.design);
  const blocks = points.map((c) => {
    if (!c.comparable)
      return h(
        'div',
        { class: 'not-comparable' },
        h(
          'p',
          {},
          h('span', { class: 'badge warn' }, 'not comparable'),
          ' ',
          pointFigures(c),
          ` (${esc(c.point.source)}).`,
        ),
        h('p', {}, 'Not set beside this design’s prediction, because ', esc(c.reasons.join('; ')), '.'),
      );
    return h(
      'div',
      { class: 'comparable' },
      h('p', {}, `Same model, board and precision: ${pointFigures(c)} (${esc(c.point.source)}).`),
      comparableTable(c, d.prediction),
      c.caveats.length ? h('ul', { class: 'caveats' }, ...c.caveats.map((x) => h('li', {}, esc(x)))) : '',
    );
  });
  return h(
    'section',
    { id: 'published' },
    h('h2', {}, 'Published figures ', PUBLISHED, ' ', PREDICTED),
    h(
      'p',
      { class: 'lede' },
      'Results published for other accelerators of this model family, beside this design’s predicted figures when they describe the same model, board and precision. Edge-MoE’s figures are not recorded in this project and are not shown.',
    ),
    ...blocks,
  );
}
