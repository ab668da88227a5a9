/** Predicted resource use against the board's limits (per SLR on multi-SLR boards). */
import { slrResources } from '../../../board/resources.js';
import { RESOURCE_KEYS, type Resources } from '../../../board/schema.js';
import { RESOURCE_LABELS } from '../../compare.js';
import { limitBars, type LimitGroup } from '../../svg/limitBars.js';
import type { ReportData } from '../../types.js';
import { kernelColor, overheadColor } from '../colors.js';
import { PREDICTED, absent, alert, esc, figure, h, int, pct, table } from '../markup.js';

/** Who uses resources: a kernel (all its compute units) or an overhead such as the interconnect. */
interface User {
  name: string;
  color: string;
  perSlr: Map<number, Resources>;
}

function addTo(m: Map<number, Resources>, slr: number, r: Resources): void {
  const cur = m.get(slr) ?? { dsp: 0, bram18: 0, uram: 0, lut: 0, ff: 0 };
  for (const k of RESOURCE_KEYS) cur[k] += r[k];
  m.set(slr, cur);
}

function users(d: ReportData): User[] {
  const p = d.prediction!;
  const out: User[] = p.kernels.map((k, i) => {
    const perSlr = new Map<number, Resources>();
    for (const s of k.perSlr) addTo(perSlr, s.slr, s.resources);
    return { name: k.name, color: kernelColor(k.name, i), perSlr };
  });
  for (const o of p.overhead ?? []) {
    let u = out.find((x) => x.name === o.name);
    if (!u) out.push((u = { name: o.name, color: overheadColor(), perSlr: new Map() }));
    addTo(u.perSlr, o.slr, o.resources);
  }
  return out;
}

export function resourcesSection(d: ReportData): string {
  const p = d.prediction;
  const head = h('h2', {}, 'Resources vs board limits ', PREDICTED);
  if (!p)
    return h(
      'section',
      { id: 'resources' },
      head,
      absent(`No predicted resources: ${d.predictionMissing ?? 'no estimate'}.`),
    );
  const board = d.design.board;
  const regions = slrResources(board);
  const who = users(d);
  const multi = regions.length > 1;
  const used = (u: User, slr: number, k: keyof Resources) => u.perSlr.get(slr)?.[k] ?? 0;
  const groups: LimitGroup[] = regions.map((avail, slr) => ({
    title: multi ? `SLR ${slr}` : undefined,
    rows: RESOURCE_KEYS.filter((k) => avail[k] > 0 || who.some((u) => used(u, slr, k) > 0)).map((k) => ({
      label: RESOURCE_LABELS[k],
      values: who.map((u) => used(u, slr, k)),
      available: avail[k],
      limit: board.limits[k],
    })),
  }));
  const chart = limitBars({
    id: 'chart-resources',
    title: `Predicted resource use on ${board.name}${multi ? ', per SLR' : ''}, against the utilisation limits`,
    series: who.map((u) => ({ name: u.name, color: u.color })),
    groups,
  });

  const sum = (u: User, k: keyof Resources) => [...u.perSlr.values()].reduce((a, r) => a + r[k], 0);
  const total = (k: keyof Resources) => who.reduce((a, u) => a + sum(u, k), 0);
  const avail = (k: keyof Resources) => regions.reduce((a, r) => a + r[k], 0);
  const slrList = (u: User) => [...u.perSlr.keys()].sort((a, b) => a - b).join(', ');
  const rows = who.map((u) => [
    h('code', {}, esc(u.name)),
    ...(multi ? [slrList(u)] : []),
    ...RESOURCE_KEYS.map((k) => int(sum(u, k))),
  ]);
  const blank = multi ? [''] : [];
  rows.push([
    h('strong', {}, 'total'),
    ...blank,
    ...RESOURCE_KEYS.map((k) => h('strong', {}, int(total(k)))),
  ]);
  rows.push(['available to kernels', ...(multi ? ['all'] : []), ...RESOURCE_KEYS.map((k) => int(avail(k)))]);
  rows.push([
    'share used',
    ...blank,
    ...RESOURCE_KEYS.map((k) => (avail(k) > 0 ? pct(total(k) / avail(k)) : '—')),
  ]);
  rows.push(['limit', ...blank, ...RESOURCE_KEYS.map((k) => pct(board.limits[k], 0))]);
  const first = multi ? 2 : 1;
  const numbers = table(
    ['', ...(multi ? ['SLR'] : []), ...RESOURCE_KEYS.map((k) => RESOURCE_LABELS[k])],
    rows,
    {
      numeric: RESOURCE_KEYS.map((_, i) => i + first).concat(multi ? [1] : []),
    },
  );
  const where = multi
    ? 'each compute unit counts on the SLR it is placed on (one spanning SLRs, its share on each); the available amounts are each SLR’s dynamic region (the platform shell excluded)'
    : 'the available amounts are what the platform leaves to kernels';
  const verdict =
    p.fits === false
      ? h(
          'div',
          { class: 'alert' },
          h('strong', {}, 'Predicted not to fit the board’s limits:'),
          h('ul', {}, ...p.violations.map((v) => h('li', {}, esc(v)))),
        )
      : '';
  return h(
    'section',
    { id: 'resources' },
    head,
    h('p', { class: 'lede' }, `Resource use from the cost model; ${where}. BRAM is counted in 18 Kb blocks.`),
    d.stale.estimate ? alert(d.stale.estimate) : '',
    verdict,
    figure(
      chart,
      'Bars: share of the available amount used, stacked by kernel. Dashed marker: the board’s utilisation limit the search respects. A ▲ flags use above the limit.',
    ),
    numbers,
  );
}
