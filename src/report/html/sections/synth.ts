/** Predicted vs synthesised (Vitis HLS csynth): one row per kernel, one column per metric. */
import { METRIC_LABELS } from '../../compare.js';
import type { ComparisonRow, ReportData } from '../../types.js';
import { PREDICTED, SYNTHESISED, absent, esc, h, int, noData, table } from '../markup.js';

/**
 * Within 25 % reads as good, within 2× as off, beyond as wrong. For the clock the ratio is
 * HLS's Fmax over the design clock: at or above 1 is slack, below 10 % short is a warning.
 */
function ratioClass(r: ComparisonRow): string {
  if (r.ratio === null) return 'none';
  if (r.metric === 'clock_mhz') return r.ratio >= 1 ? 'ok' : r.ratio >= 0.9 ? 'warn' : 'bad';
  const off = Math.abs(Math.log2(r.ratio));
  return off <= Math.log2(1.25) ? 'ok' : off <= 1 ? 'warn' : 'bad';
}

function value(r: ComparisonRow, v: number | null): string {
  if (v === null) return 'n/a';
  return r.metric === 'clock_mhz' ? v.toFixed(1) : int(v);
}

function cell(r: ComparisonRow | undefined): string {
  if (!r) return '—';
  return (
    h('span', { class: `ratio ${ratioClass(r)}` }, r.ratio === null ? '—' : `${r.ratio.toFixed(2)}×`) +
    h('div', { class: 'pair' }, value(r, r.synthesised)) +
    h('div', { class: 'pair vs' }, `pred. ${value(r, r.predicted)}`)
  );
}

export function synthSection(d: ReportData): string {
  // the badges say what the section holds: never 'measured' (csynth figures are the tool's estimates)
  const head = d.synth
    ? h('h2', {}, 'Predicted vs synthesised ', PREDICTED, ' ', SYNTHESISED)
    : h('h2', {}, 'Predicted vs synthesised ', noData('no synthesis data'));
  if (!d.synth)
    return h(
      'section',
      { id: 'synth' },
      head,
      absent(
        'No synthesis reports: run ubimoe build --target csynth where Vitis HLS is installed (reports/synth.json is absent).',
      ),
    );
  if (!d.prediction)
    return h(
      'section',
      { id: 'synth' },
      head,
      absent(
        `Synthesis results exist but there is no prediction to compare them with: ${d.predictionMissing ?? 'no estimate'}.`,
      ),
    );
  const rows = d.comparison ?? [];
  if (!rows.length)
    return h(
      'section',
      { id: 'synth' },
      head,
      absent('The synthesis report names no kernel the prediction knows.'),
    );
  const kernels = [...new Set(rows.map((r) => r.kernel))];
  const metrics = [...new Set(rows.map((r) => r.metric))];
  const body = kernels.map((k) => [
    h('code', {}, esc(k)),
    ...metrics.map((m) => cell(rows.find((r) => r.kernel === k && r.metric === m))),
  ]);
  const header = metrics.map((m) =>
    esc(m === 'latency_cycles' ? 'latency (cycles)' : m === 'clock_mhz' ? 'Fmax (MHz)' : METRIC_LABELS[m]),
  );
  return h(
    'section',
    { id: 'synth' },
    head,
    h(
      'p',
      { class: 'lede' },
      'Vitis HLS csynth estimates (the synthesis tool’s figures, not measured on a board) beside the cost model’s prediction, per kernel (one compute unit). Each cell: the ratio synthesised / predicted (1.00× = exact; green within 25 %, amber within 2×, red beyond), then the synthesised figure and, under it, the predicted one. Latency: csynth’s worst case against the predicted largest call. Fmax: HLS’s estimated maximum clock vs the design clock (above 1.00× is slack).',
    ),
    table(['kernel', ...header], body, { numeric: metrics.map((_, i) => i + 1), className: 'compare' }),
  );
}
