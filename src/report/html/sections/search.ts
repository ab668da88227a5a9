/** The design-space search: its Pareto front (latency vs DSP) with the chosen design marked. */
import { kernelResources } from '../../../board/resources.js';
import { scatter } from '../../svg/scatter.js';
import type { DesignPoint, ReportData } from '../../types.js';
import { PREDICTED, absent, esc, figure, h, int, ms, table } from '../markup.js';

const describe = (p: DesignPoint) =>
  `${ms(p.latencyMs)} ms, ${int(p.dsp)} DSP${p.label ? ` — ${p.label}` : ''}`;

export function searchSection(d: ReportData): string {
  const s = d.search;
  const head = h('h2', {}, 'Design-space search ', PREDICTED);
  if (!s)
    return h(
      'section',
      { id: 'search' },
      head,
      absent(
        'No search report: this design was not searched, or its search report was not given to the project (reports/search.json is absent; ubimoe search --report search.json, then ubimoe generate --search-report search.json, puts it there).',
      ),
    );
  const board = d.design.board;
  const dspLimit = board.limits.dsp * kernelResources(board).dsp;
  const chart = scatter({
    id: 'chart-pareto',
    title: 'Pareto front of the search: predicted latency against DSP use, chosen design marked',
    xLabel: 'predicted DSP use (slices)',
    yLabel: 'predicted latency (ms/image)',
    background: s.evaluated.length
      ? {
          name: 'evaluated designs',
          points: s.evaluated.map((p) => ({ x: p.dsp, y: p.latencyMs, label: describe(p) })),
        }
      : undefined,
    front: {
      name: 'Pareto front',
      points: s.front.map((p) => ({ x: p.dsp, y: p.latencyMs, label: describe(p) })),
    },
    marked: s.chosen
      ? {
          name: 'chosen design',
          point: { x: s.chosen.dsp, y: s.chosen.latencyMs, label: describe(s.chosen) },
          label: `chosen: ${ms(s.chosen.latencyMs)} ms, ${int(s.chosen.dsp)} DSP`,
        }
      : undefined,
    xLimit: {
      value: dspLimit,
      label: `DSP limit (${Math.round(board.limits.dsp * 100)} % of ${int(kernelResources(board).dsp)})`,
    },
    logY: true,
  });
  const facts: string[] = [];
  if (s.method) facts.push(esc(s.method));
  if (s.objective) facts.push(`objective <strong>${esc(s.objective)}</strong>`);
  if (s.seed !== undefined) facts.push(`seed ${esc(String(s.seed))}`);
  if (s.evaluations !== undefined) facts.push(`${int(s.evaluations)} designs evaluated`);
  const populations = new Set(s.history.map((x) => x.population)).size;
  if (s.history.length)
    facts.push(
      `${s.history.length} generations of the genetic algorithm${populations > 1 ? ` in ${populations} populations` : ''}`,
    );
  if (s.steps.length) facts.push(`${s.steps.length} refinement steps`);
  if (s.seconds !== undefined) facts.push(`${s.seconds.toFixed(2)} s`);
  const steps = s.steps.length
    ? h(
        'details',
        {},
        h('summary', {}, `Stage 2: ${s.steps.length} refinement steps of the stage-1 winner`),
        table(
          ['#', 'step', `score after the step${s.scoreUnit ? ` (${esc(s.scoreUnit)})` : ''}`],
          s.steps.map((st, i) => [
            String(i + 1),
            esc(st.description),
            st.objective === undefined ? '—' : esc(st.objective.toPrecision(4)),
          ]),
          { numeric: [0, 2] },
        ),
      )
    : '';
  return h(
    'section',
    { id: 'search' },
    head,
    h(
      'p',
      { class: 'lede' },
      'The search over the kernel parameters that produced this design (reports/search.json); every point is a cost-model prediction for one candidate design.',
    ),
    facts.length ? h('p', {}, facts.join(' · ')) : '',
    s.front.length || s.chosen
      ? figure(
          chart,
          'Each point is a design the cost model evaluated. The Pareto front links the designs no other design beats on both latency and DSP; the ring marks the design this project was generated from.',
        )
      : absent('The search report lists no Pareto front.'),
    steps,
  );
}
