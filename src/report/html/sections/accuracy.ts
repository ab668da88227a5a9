/** C-simulation accuracy against the float32 reference: per-token error distribution and summary figures. */
import { cdf } from '../../svg/cdf.js';
import type { ReportData } from '../../types.js';
import { SIMULATED, absent, alert, cosine, esc, figure, h, int, ms, pct, sci } from '../markup.js';

function card(label: string, value: string, note?: string): string {
  return h(
    'div',
    { class: 'card' },
    h('div', { class: 'label' }, label),
    // long figures (a cosine with ten decimals) in a smaller size so they stay inside the card
    h('div', { class: value.replace(/<[^>]*>|&[a-z]+;/g, '').length > 9 ? 'value long' : 'value' }, value),
    note ? h('div', { class: 'note' }, note) : '',
  );
}

export function accuracySection(d: ReportData): string {
  const a = d.accuracy;
  const head = h('h2', {}, 'C-simulation accuracy ', SIMULATED);
  if (!a)
    return h(
      'section',
      { id: 'accuracy' },
      head,
      absent(
        'No accuracy report: the design has not been C-simulated against the reference model (run ubimoe csim --project DIR --checkpoint F --input images.npy; reports/accuracy.json is absent).',
      ),
    );
  const errors = a.cosine.map((c) => 1 - c);
  const cards = h(
    'div',
    { class: 'cards' },
    card('min cosine', esc(cosine(a.cosineMin)), `worst token: 1 − cos = ${sci(1 - a.cosineMin)}`),
    card(
      'rel. L2 error',
      sci(a.relL2),
      `‖csim − ref‖ / ‖ref‖ = ${a.relL2 === 0 ? '0' : (a.relL2 * 100).toPrecision(3)} %`,
    ),
    card('median cosine', esc(cosine(a.cosineMedian)), `per token: 1 − cos = ${sci(1 - a.cosineMedian)}`),
    card('max abs error', sci(a.maxAbs), 'any element'),
    card(
      'expert choices',
      a.expertAgreement === undefined ? 'n/a' : pct(a.expertAgreement, 2),
      a.expertAgreement === undefined ? 'dense model' : 'equal to the reference',
    ),
  );
  const tokens = `${a.cosine.length} tokens${a.images ? ` over ${a.images} image${a.images > 1 ? 's' : ''}` : ''}`;
  const chart = cdf({
    id: 'chart-cosine-error',
    title:
      'Cumulative distribution of 1 − cosine similarity per token between C-simulation and the float32 reference, log scale, worst tokens marked',
    values: errors,
    xLabel: '1 − cosine similarity to the float32 reference (0 = identical direction)',
    yLabel: 'share of tokens at or below',
    lineName: `tokens (${tokens})`,
    worst: 3,
    worstLabel: (v) => `worst: 1 − cos = ${sci(v)}`,
    markers: [{ value: 1 - a.cosineMedian, label: `median ${sci(1 - a.cosineMedian)}`, color: '#009E73' }],
  });
  const exact = errors.filter((e) => !(e > 0)).length;
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
  if (a.saturatedValues !== undefined) {
    const hit = Object.entries(a.saturatedValues).filter(([, n]) => n > 0);
    facts.push(
      hit.length
        ? `values saturated in the datapath: ${hit.map(([t, n]) => `${int(n)} ${h('code', {}, esc(t))}`).join(', ')}`
        : 'no value saturated in the datapath',
    );
  }
  return h(
    'section',
    { id: 'accuracy' },
    head,
    h(
      'p',
      { class: 'lede' },
      'Output tokens of the generated HLS code, compiled with g++ and run as a C-simulation on this computer (not on an FPGA), compared with the float32 reference model on the same checkpoint and images.',
    ),
    d.stale.accuracy ? alert(d.stale.accuracy) : '',
    facts.length ? h('p', {}, facts.join(' · ')) : '',
    cards,
    figure(
      chart,
      'For each error level on the x axis (1 − cosine, log scale), the share of tokens whose error is at most that. A curve far to the left is close to the reference; the orange points are the worst tokens, so a single outlier stands out at the right.' +
        (exact
          ? ` ${int(exact)} token${exact > 1 ? 's have' : ' has'} 1 − cos ≤ 0 (identical within float precision), drawn at the left edge.`
          : ''),
    ),
  );
}
