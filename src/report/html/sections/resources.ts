/** Predicted resource use against the board's limits (per SLR on multi-SLR boards). */
import { slrResources } from '../../../board/resources.js';
import { RESOURCE_KEYS, type Resources } from '../../../board/schema.js';
import { RESOURCE_LABELS } from '../../compare.js';
import { limitBars, type LimitGroup } from '../../svg/limitBars.js';
import type { ReportData } from '../../types.js';
import { kernelColor, overheadColor } from '../colors.js';
import { PREDICTED, absent, figure, h, int, pct, table } from '../markup.js';

interface User {
  name: string;
  color: string;
  slr: number;
  resources: Resources;
}

export function resourcesSection(d: ReportData): string {
  const p = d.prediction;
  const head = h('h2', {}, 'Resources vs board limits ', PREDICTED);
  if (!p) return h('section', { id: 'resources' }, head, absent(`No predicted resources: ${d.predictionMissing ?? 'no estimate'}.`));
  const board = d.design.board;
  const regions = slrResources(board);
  const users: User[] = [
    ...p.kernels.map((k, i) => ({ name: k.name, color: kernelColor(k.name, i), slr: k.slr, resources: k.resources })),
    ...(p.overhead ?? []).map((o) => ({ name: o.name, color: overheadColor(), slr: o.slr, resources: o.resources })),
  ];
  const series = users.map((u) => ({ name: u.name, color: u.color }));
  const multi = regions.length > 1;
  const groups: LimitGroup[] = regions.map((avail, slr) => ({
    title: multi ? `SLR ${slr}` : undefined,
    rows: RESOURCE_KEYS.filter((k) => avail[k] > 0 || users.some((u) => u.slr === slr && u.resources[k] > 0)).map((k) => ({
      label: RESOURCE_LABELS[k],
      values: users.map((u) => (u.slr === slr ? u.resources[k] : 0)),
      available: avail[k],
      limit: board.limits[k],
    })),
  }));
  const chart = limitBars({
    id: 'chart-resources',
    title: `Predicted resource use on ${board.name}${multi ? ', per SLR' : ''}, against the utilisation limits`,
    series,
    groups,
  });

  const total = (k: keyof Resources) => users.reduce((a, u) => a + u.resources[k], 0);
  const avail = (k: keyof Resources) => regions.reduce((a, r) => a + r[k], 0);
  const rows = users.map((u) => [h('code', {}, u.name), ...(multi ? [String(u.slr)] : []), ...RESOURCE_KEYS.map((k) => int(u.resources[k]))]);
  rows.push([h('strong', {}, 'total'), ...(multi ? [''] : []), ...RESOURCE_KEYS.map((k) => h('strong', {}, int(total(k))))]);
  rows.push(['available to kernels', ...(multi ? ['all'] : []), ...RESOURCE_KEYS.map((k) => int(avail(k)))]);
  rows.push(['share used', ...(multi ? [''] : []), ...RESOURCE_KEYS.map((k) => (avail(k) > 0 ? pct(total(k) / avail(k)) : '—'))]);
  rows.push(['limit', ...(multi ? [''] : []), ...RESOURCE_KEYS.map((k) => pct(board.limits[k], 0))]);
  const first = multi ? 2 : 1;
  const numbers = table(['', ...(multi ? ['SLR'] : []), ...RESOURCE_KEYS.map((k) => RESOURCE_LABELS[k])], rows, {
    numeric: RESOURCE_KEYS.map((_, i) => i + first).concat(multi ? [1] : []),
  });
  const where = multi
    ? `each kernel counts on the SLR it is placed on; the available amounts are each SLR’s dynamic region`
    : `the available amounts are what the platform leaves to kernels`;
  return h(
    'section',
    { id: 'resources' },
    head,
    h('p', { class: 'lede' }, `Resource use from the cost model; ${where}. BRAM is counted in 18 Kb blocks.`),
    figure(chart, 'Bars: share of the available amount used, stacked by kernel. Dashed marker: the board’s utilisation limit the search respects. A ▲ flags use above the limit.'),
    numbers,
  );
}
