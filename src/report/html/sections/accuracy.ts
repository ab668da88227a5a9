/** C-simulation accuracy against the float32 reference: per-token cosine histogram and summary figures. */
import { histogram } from '../../svg/histogram.js';
import type { ReportData } from '../../types.js';
import { MEASURED, absent, alert, esc, figure, h, int, ms, pct } from '../markup.js';

function card(label: string, value: string, note?: string): string {
  return h(
    'div',
    { class: 'card' },
    h('div', { class: 'label' }, label),
    h('div', { class: 'value' }, value),
    note ? h('div', { class: 'note' }, note) : '',
  );
}

/** A cosine: 4 or 6 decimals, and as 1 − ε where six decimals would round it to 1. */
const cos = (v: number) =>
  v < 1 && 1 - v < 5e-7 ? `1 − ${(1 - v).toExponential(1)}` : v.toFixed(v >= 0.9999 ? 6 : 4);
const sci = (v: number) => (v === 0 ? '0' : v >= 0.01 && v < 1000 ? v.toPrecision(3) : v.toExponential(2));

export function accuracySection(d: ReportData): string {
  const a = d.accuracy;
  const head = h('h2', {}, 'C-simulation accuracy ', MEASURED);
  if (!a)
    return h(
      'section',
      { id: 'accuracy' },
      head,
      absent(
        'No accuracy report: the design has not been C-simulated against the reference model (run ubimoe csim --project DIR --checkpoint F --input images.npy; reports/accuracy.json is absent).',
      ),
    );
  const cards = h(
    'div',
    { class: 'cards' },
    card('min cosine', cos(a.cosineMin), 'worst token'),
    card('median cosine', cos(a.cosineMedian), 'per token'),
    card('rel. L2 error', pct(a.relL2, 3), '‖csim − ref‖ / ‖ref‖'),
    card('max abs error', sci(a.maxAbs), 'any element'),
    card(
      'expert choices',
      a.expertAgreement === undefined ? 'n/a' : pct(a.expertAgreement, 2),
      a.expertAgreement === undefined ? 'dense model' : 'equal to the reference',
    ),
  );
  const chart = histogram({
    id: 'chart-cosine',
    title: 'Histogram of per-token cosine similarity between C-simulation and the float32 reference',
    values: a.cosine,
    bins: 40,
    xLabel: 'cosine similarity to the float32 reference (1 = identical direction)',
    yLabel: 'tokens',
    barName: `tokens (${a.cosine.length}${a.images ? ` over ${a.images} image${a.images > 1 ? 's' : ''}` : ''})`,
    markers: [{ value: a.cosineMedian, label: `median ${cos(a.cosineMedian)}`, color: '#D55E00' }],
  });
  const facts: string[] = [];
  if (a.images)
    facts.push(
      `${int(a.images)} image${a.images > 1 ? 's' : ''}${a.input ? ` from ${h('code', {}, esc(a.input))}` : ''}`,
    );
  if (a.checkpoint) facts.push(`checkpoint ${h('code', {}, esc(a.checkpoint))}`);
  if (a.task !== undefined) facts.push(`task ${a.task}`);
  if (a.reference) facts.push(`compared with the ${esc(a.reference)}`);
  if (a.csimMsPerImage !== undefined) facts.push(`csim ${ms(a.csimMsPerImage)} ms/image on the host`);
  if (a.saturatedWeights !== undefined)
    facts.push(`${int(a.saturatedWeights)} weight values saturated when packed`);
  return h(
    'section',
    { id: 'accuracy' },
    head,
    h(
      'p',
      { class: 'lede' },
      'Output tokens of the generated HLS code, compiled with g++ and run as a C-simulation, compared with the float32 reference model on the same checkpoint and images.',
    ),
    d.stale.accuracy ? alert(d.stale.accuracy) : '',
    facts.length ? h('p', {}, facts.join(' · ')) : '',
    cards,
    figure(
      chart,
      'Distribution of the cosine similarity of each output token with the reference; bars further right are closer to the reference.',
    ),
  );
}
