/**
 * MoE routing: what the prediction assumed (uniform, or a measured table), and the tokens each
 * expert received in each MoE block as a run actually routed them: the C-simulation's expert
 * choices (reports/experts.npy) when the project has them, else the table the estimate was
 * measured with (the float32 reference's choices), else only the uniform assumption.
 */
import { panelBars } from '../../svg/panels.js';
import type { ReportData } from '../../types.js';
import { PREDICTED, SIMULATED, absent, esc, figure, h } from '../markup.js';

const one = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));

export function routingSection(d: ReportData): string {
  const dims = d.design.dims;
  const head = (...badges: string[]) => h('h2', {}, 'MoE routing ', ...badges);
  const blocks = dims.moeBlocks.flatMap((moe, i) => (moe ? [i] : []));
  if (dims.experts === 0 || blocks.length === 0)
    return h(
      'section',
      { id: 'routing' },
      head(),
      absent(`The model ${d.design.model.name} is dense (no MoE blocks): there is no routing.`),
    );
  const p = d.prediction;
  const uniform = (dims.numTokens * dims.topK) / dims.experts;
  const assumed = !p
    ? 'No prediction, so no routing assumption.'
    : p.tokensPerExpert
      ? `The prediction used measured routing (${esc(p.routing ?? 'a routing table')}): each MoE block’s expert loads as listed in reports/estimate.json.`
      : `The prediction assumed ${esc(p.routing ?? 'uniform')} routing: each of the ${dims.experts} experts of a MoE block gets ${one(uniform)} of the ${dims.numTokens} tokens × top-${dims.topK} choices on average.`;

  const seen = d.routingSeen;
  const table = seen?.tokensPerExpert ?? p?.tokensPerExpert ?? null;
  const badges = seen ? [PREDICTED, ' ', SIMULATED] : [PREDICTED];
  if (!table)
    return h(
      'section',
      { id: 'routing' },
      head(...badges),
      h('p', {}, assumed),
      absent(
        'Uniform routing assumed: no run has recorded its expert choices for this project. ' +
          'Run ubimoe csim --project DIR … --experts DIR/reports/experts.npy to record the C-simulation’s choices, ' +
          'or ubimoe estimate --project DIR --routing-checkpoint F to predict with the reference model’s routing.',
      ),
    );
  const source = seen
    ? `as the C-simulation routed them (${esc(seen.file)}, ${seen.images} image${seen.images > 1 ? 's' : ''}, per image)`
    : `as the float32 reference model routed them when the estimate was made (${esc(p?.routing ?? 'measured')}; per image)`;
  const panels = table.map((row, m) => {
    const max = Math.max(...row);
    const idle = row.filter((v) => v === 0).length;
    return {
      title: `block ${blocks[m] ?? m} · max ${(max / uniform).toFixed(1)}× uniform${idle ? ` · ${idle} idle` : ''}`,
      values: row,
    };
  });
  const chart = panelBars({
    id: 'chart-routing',
    title: `Tokens per expert in each MoE block, ${seen ? 'C-simulation' : 'reference model'} routing, against uniform routing`,
    panels,
    itemLabel: (i) => String(i),
    barName: `tokens routed to each expert (per image), ${seen ? 'C-simulation' : 'reference model'}`,
    reference: { value: uniform, label: `uniform: ${one(uniform)} per expert` },
    valueLabel: 'tokens per image',
    formatValue: (v) => one(v),
    columns: Math.min(3, panels.length),
  });
  const worst = Math.max(...table.flat()) / uniform;
  const skewNote =
    p && !p.tokensPerExpert && worst > 1.5
      ? h(
          'p',
          { class: 'note' },
          `The run’s routing is skewed (up to ${worst.toFixed(1)}× the uniform load) while the prediction assumed uniform routing; ubimoe estimate --project DIR --routing-checkpoint F predicts with measured routing.`,
        )
      : '';
  return h(
    'section',
    { id: 'routing' },
    head(...badges),
    h('p', {}, assumed),
    skewNote,
    figure(
      chart,
      `Tokens each expert received in each MoE block, ${source}. The dashed line is the uniform load the cost model assumes without measured routing; an expert’s work in the MoE pass grows with its tokens.`,
    ),
  );
}
