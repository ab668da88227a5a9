/**
 * Cycles (simulated vs predicted): reports/cycles.json, the timed C-simulation of the generated
 * kernels (`ubimoe csim --cycles`, `ubimoe run --backend csim --cycles`) beside the cost model's
 * prediction for the routing each image had, per kernel and stage; and a timeline of one MoE
 * block's dataflow processes (busy and stall cycles of each, from one ffn_block call).
 */
import { gantt } from '../../svg/gantt.js';
import type { ReportData } from '../../types.js';
import { PREDICTED, SIMULATED, absent, alert, esc, figure, h, int, table } from '../markup.js';

export function cyclesSection(d: ReportData): string {
  const head = (...badges: string[]) => h('h2', {}, 'Cycles (simulated vs predicted) ', ...badges);
  const c = d.cycles;
  if (!c)
    return h(
      'section',
      { id: 'cycles' },
      head(),
      absent(
        'No timed C-simulation for this project (reports/cycles.json): run ubimoe csim --project DIR … --cycles ' +
          '(or ubimoe run --backend csim … --cycles) to count the generated kernels’ cycles and compare them with the cost model.',
      ),
    );
  const own = d.manifest?.design_hash;
  const stale =
    typeof own === 'string' && c.designHash && c.designHash !== own
      ? alert(
          `${c.file} comes from a timed C-simulation of another design (design ${c.designHash.slice(0, 12)}, this project is ${own.slice(0, 12)}); re-run it on this project`,
        )
      : '';
  const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : int(v));
  const ratio = (s: number | undefined, p: number | undefined) =>
    s === undefined || p === undefined || !(p > 0) ? '—' : (s / p).toFixed(2);
  const rows = c.rows.map((r) => {
    const name =
      r.kernel === ''
        ? h('strong', {}, 'total')
        : r.stage === '(all calls)'
          ? h('code', {}, esc(r.kernel))
          : '';
    const stage = r.stage === '(all calls)' ? 'all calls' : esc(r.stage);
    return [name, stage, fmt(r.simulated), fmt(r.predicted), ratio(r.simulated, r.predicted)];
  });
  const tbl = table(
    ['kernel', 'stage', 'simulated cycles', 'predicted cycles', 'simulated / predicted'],
    rows,
    {
      numeric: [2, 3, 4],
      className: 'cycles',
    },
  );
  const t = c.timeline;
  const chart = t
    ? figure(
        gantt({
          id: 'chart-cycles-timeline',
          title: `Timeline of the dataflow processes of MoE block ${t.block}’s ffn_block call (timed C-simulation, image 0)`,
          groups: t.groups,
        }),
        `One ffn_block call of MoE block ${t.block} (image 0, ${int(t.callCycles)} simulated cycles): each dataflow region’s ` +
          'processes start together where the region starts; regions are drawn one after another in call order (the ' +
          'kernel’s sequential code between them is not drawn) and a region called several times shows its calls summed. ' +
          'A bar is a process’s busy cycles (its own clock) followed by its stall cycles (waiting on empty or full FIFOs).',
      )
    : absent('No MoE block’s ffn_block call with per-process detail in the file, so no timeline.');
  return h(
    'section',
    { id: 'cycles' },
    head(SIMULATED, ' ', PREDICTED),
    stale,
    h(
      'p',
      {},
      `Simulated: the timed C-simulation of the generated kernels (${esc(c.file)}, ${c.images} image${c.images > 1 ? 's' : ''}, ` +
        `cycles at ${c.clockMhz} MHz, mean per image). Predicted: the cost model evaluated with the routing each image had. ` +
        'Neither comes from an FPGA.',
    ),
    c.hasPrediction
      ? ''
      : absent('The file holds no prediction per image: only the simulated column is filled.'),
    tbl,
    chart,
  );
}
