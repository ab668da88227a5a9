/** Predicted vs synthesised (Vitis HLS csynth): one row per kernel, one column per metric. */
import { formatRatio } from '../../compare.js';
import type { ComparisonRow, ReportData } from '../../types.js';
import { MEASURED, PREDICTED, absent, esc, h, int, table } from '../markup.js';

/** Within 25 % reads as good, within 2× as off, beyond as wrong. */
function ratioClass(r: number): string {
  const off = Number.isFinite(r) ? Math.abs(Math.log2(r)) : Infinity;
  return off <= Math.log2(1.25) ? 'ok' : off <= 1 ? 'warn' : 'bad';
}

function cell(r: ComparisonRow | undefined): string {
  if (!r) return '—';
  return (
    h('span', { class: `ratio ${ratioClass(r.ratio)}` }, formatRatio(r.ratio)) +
    h('div', { class: 'pair' }, `${int(r.synthesised)} `, h('span', { class: 'vs' }, `vs ${int(r.predicted)}`))
  );
}

export function synthSection(d: ReportData): string {
  const head = h('h2', {}, 'Predicted vs synthesised ', PREDICTED, ' ', MEASURED);
  if (!d.synth) return h('section', { id: 'synth' }, head, absent('No synthesis reports: run ubimoe build --target csynth where Vitis HLS is installed (reports/synth.json is absent).'));
  if (!d.prediction) return h('section', { id: 'synth' }, head, absent(`Synthesis results exist but there is no prediction to compare them with: ${d.predictionMissing ?? 'no estimate'}.`));
  const rows = d.comparison ?? [];
  if (!rows.length) return h('section', { id: 'synth' }, head, absent('The synthesis report names no kernel the prediction knows.'));
  const kernels = [...new Set(rows.map((r) => r.kernel))];
  const metrics = [...new Set(rows.map((r) => r.metric))];
  const body = kernels.map((k) => [h('code', {}, esc(k)), ...metrics.map((m) => cell(rows.find((r) => r.kernel === k && r.metric === m)))]);
  const clocks = d.synth.kernels
    .filter((k) => k.estimatedClockNs !== undefined)
    .map((k) => `${h('code', {}, esc(k.name))} ${k.estimatedClockNs!.toFixed(2)} ns${k.targetClockNs ? ` (target ${k.targetClockNs.toFixed(2)} ns)` : ''}`);
  return h(
    'section',
    { id: 'synth' },
    head,
    h(
      'p',
      { class: 'lede' },
      'Vitis HLS csynth estimates beside the cost model’s prediction, per kernel. Each cell: the ratio synthesised / predicted (1.00× = exact; green within 25 %, amber within 2×, red beyond), then the synthesised figure vs the predicted one. Latency is per call, csynth’s worst case.',
    ),
    table(['kernel', ...metrics.map((m) => esc(m.replace(' (cycles/call)', ' (cycles)')))], body, { numeric: metrics.map((_, i) => i + 1), className: 'compare' }),
    clocks.length ? h('p', { class: 'note' }, `Estimated clock period: ${clocks.join(' · ')}.`) : '',
  );
}
