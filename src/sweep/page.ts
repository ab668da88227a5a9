/**
 * DIR/report.html: one self-contained page for a sweep: the tasks (state, job, time), then per
 * design and kernel the cost model's predicted figures against the synthesised (Vitis HLS) and
 * simulated (timed csim) ones, and the csim accuracy.
 */
import { esc, h, table } from '../report/html/markup.js';
import { STYLE } from '../report/html/style.js';
import type { DesignResults } from './results.js';
import type { SweepFile } from './sweepfile.js';

const num = (v: number | null, digits = 0) =>
  v === null ? '-' : digits ? v.toFixed(digits) : Math.round(v).toLocaleString('en-US');
const ratio = (s: number | null, p: number | null) =>
  s === null || p === null || p === 0 ? '-' : (s / p).toFixed(2);

function designSection(sweep: SweepFile, name: string, r: DesignResults | undefined): string {
  const d = sweep.designs.find((x) => x.name === name)!;
  const parts: string[] = [
    h('h2', { id: name }, esc(`${name}: ${d.source}`)),
    h(
      'p',
      { class: 'meta' },
      esc(
        `project ${d.project} · design ${d.design_hash.slice(0, 12)} · predicted latency ${d.predicted.latency_ms.toFixed(3)} ms/image${d.predicted.fits ? '' : ' · predicted NOT to fit the board'}`,
      ),
    ),
  ];
  if (!r || (!r.synth && !r.accuracy && !r.cycles))
    parts.push(h('p', { class: 'absent' }, 'no reports (its tasks did not finish)'));
  if (r?.synth)
    parts.push(
      h('h3', {}, 'Predicted (cost model) vs synthesised (Vitis HLS), one call of each kernel'),
      table(
        ['kernel', 'metric', 'predicted', 'synthesised', 'synth / pred'],
        r.synth.map((x) => [
          esc(x.kernel),
          esc(x.metric),
          num(x.predicted, x.metric === 'clock_mhz' ? 1 : 0),
          num(x.synthesised, x.metric === 'clock_mhz' ? 1 : 0),
          x.ratio === null ? '-' : x.ratio.toFixed(2),
        ]),
        { numeric: [2, 3, 4] },
      ),
    );
  if (r?.cycles)
    parts.push(
      h('h3', {}, 'Predicted (cost model) vs simulated (timed C-simulation) cycles, per image'),
      table(
        ['kernel', 'predicted', 'simulated', 'simulated / predicted'],
        r.cycles.map((c) => [
          esc(c.kernel),
          num(c.predicted),
          num(c.simulated),
          ratio(c.simulated, c.predicted),
        ]),
        { numeric: [1, 2, 3] },
      ),
    );
  if (r?.accuracy)
    parts.push(
      h('h3', {}, 'C-simulation accuracy against the float32 reference model'),
      table(
        ['per-token cosine min', 'median', 'relative L2', 'expert agreement'],
        [
          [
            r.accuracy.cosine_min.toFixed(6),
            r.accuracy.cosine_median.toFixed(6),
            `${(100 * r.accuracy.rel_l2).toFixed(3)}%`,
            r.accuracy.expert_agreement === null
              ? 'n/a'
              : `${(100 * r.accuracy.expert_agreement).toFixed(2)}%`,
          ],
        ],
        { numeric: [0, 1, 2, 3] },
      ),
    );
  for (const p of r?.problems ?? []) parts.push(h('div', { class: 'alert' }, esc(p)));
  return h('section', {}, ...parts);
}

export function renderSweepPage(sweep: SweepFile, results: Record<string, DesignResults>): string {
  const title = `sweep: ${sweep.model} on ${sweep.board}, --target ${sweep.target}`;
  const tasks = table(
    ['task', 'state', 'scheduler', 'job', 'run time (s)', 'reason'],
    sweep.tasks.map((t) => [
      esc(t.id),
      esc(t.state),
      esc(t.scheduler ?? '-'),
      esc(t.job_id ?? '-'),
      t.seconds === null ? '-' : t.seconds.toFixed(1),
      esc(t.reason ?? ''),
    ]),
    { numeric: [4] },
  );
  return (
    '<!doctype html>\n' +
    h(
      'html',
      { lang: 'en' },
      h('head', {}, '<meta charset="utf-8">', h('title', {}, esc(title)), h('style', {}, STYLE)),
      h(
        'body',
        {},
        h(
          'header',
          { class: 'top' },
          h('p', { class: 'kicker' }, 'ubimoe sweep report'),
          h('h1', {}, esc(title)),
          h(
            'p',
            { class: 'meta' },
            esc(
              `${sweep.designs.length} designs · ${sweep.tasks.length} tasks · scheduler ${sweep.scheduler}`,
            ),
          ),
        ),
        h(
          'main',
          {},
          h('section', {}, h('h2', { id: 'tasks' }, 'Tasks'), tasks),
          ...sweep.designs.map((d) => designSection(sweep, d.name, results[d.name])),
        ),
      ),
    ) +
    '\n'
  );
}
