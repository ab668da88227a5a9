/**
 * Power and energy: the power model's prediction for design.yaml (per kernel and resource kind),
 * the power measured on a board by `ubimoe run --power` beside it when reports/power.json exists,
 * and published FPGA power figures with their sources, compared like with like only.
 */
import { RESOURCE_KEYS } from '../../../board/schema.js';
import { estimateDesign } from '../../../design/estimate.js';
import { PUBLISHED_POWER } from '../../publishedPower.js';
import type { PowerFile } from '../../read/power.js';
import type { ReportData } from '../../types.js';
import { PREDICTED, PUBLISHED, absent, esc, h, table } from '../markup.js';

const W = (v: number) => (v >= 10 ? v.toFixed(1) : v >= 0.1 ? v.toFixed(2) : v.toFixed(3));

export const MEASURED = h(
  'span',
  { class: 'badge measured', title: 'measured on the board during ubimoe run --power' },
  'measured',
);

export function powerSection(d: ReportData & { power?: PowerFile | null }): string {
  const head = h('h2', {}, 'Power and energy ', PREDICTED);
  let e;
  try {
    e = estimateDesign(d.design);
  } catch (err) {
    return h('section', { id: 'power' }, head, absent(`No prediction: ${(err as Error).message}`));
  }
  const p = e.power;
  if (!p)
    return h(
      'section',
      { id: 'power' },
      head,
      absent(
        `Board ${d.design.board.name} has no power facts (power: static_w, platform_w), so no prediction.`,
      ),
    );
  const parts = h(
    'p',
    {},
    esc(
      `Predicted board power ${W(p.powerW)} W, ${p.energyJPerImage.toPrecision(3)} J/image, ${p.imagesPerJ.toPrecision(3)} images/J, ${p.gopsPerW.toPrecision(3)} GOPS/W ` +
        `(one image at a time, computed from design.yaml by the power model; docs/power.md: a rough estimate). ` +
        `Static ${W(p.staticW)} W, platform ${W(p.platformW)} W, clocks ${W(p.clockW)} W, interconnect ${W(p.interconnectW)} W, ` +
        `${p.memoryKind} traffic ${W(p.memoryW)} W (${p.memoryPjPerBit} pJ/bit).`,
    ),
  );
  const kernels = table(
    ['kernel (predicted, mean W over an image)', 'busy', ...RESOURCE_KEYS.map(esc), 'clock tree', 'total'],
    p.kernels.map((k) => [
      esc(k.name),
      `${(100 * k.activity).toFixed(0)}%`,
      ...RESOURCE_KEYS.map((r) => W(k.active[r])),
      W(k.clockW),
      W(k.w),
    ]),
    { numeric: [1, 2, 3, 4, 5, 6, 7, 8] },
  );
  const m = d.power;
  const measured = m
    ? h('h3', {}, 'Measured on the board ', MEASURED) +
      table(
        ['', 'measured', 'predicted', 'measured / predicted'],
        [
          ['board power (W)', W(m.mean_w), W(p.powerW), `${(m.mean_w / p.powerW).toFixed(2)}×`],
          [
            'energy (J/image)',
            m.energy_j_per_image.toPrecision(3),
            p.energyJPerImage.toPrecision(3),
            `${(m.energy_j_per_image / p.energyJPerImage).toFixed(2)}×`,
          ],
        ],
        { numeric: [1, 2, 3] },
      ) +
      h(
        'p',
        { class: 'note' },
        esc(
          `${m.samples} samples from ${m.source} over ${m.wall_s.toFixed(2)} s and ${m.images} images (J/image = mean W × wall time / images; the run pipelines images, the prediction counts one at a time)` +
            (m.domains_w
              ? `; PS ${W(m.domains_w.ps)} W, PL ${W(m.domains_w.pl)} W, DDR ${W(m.domains_w.ddr)} W, other ${W(m.domains_w.other)} W`
              : '') +
            '.',
        ),
      )
    : absent(
        'Nothing measured: run ubimoe run --backend xrt --power on the board to add the measured figures.',
      );
  const pub =
    h('h3', {}, 'Published power figures ', PUBLISHED) +
    table(
      ['accelerator', 'board', 'model', 'power (W)', 'GOPS/W', 'compared?', 'source'],
      PUBLISHED_POWER.map((x) => {
        const like = x.board === d.design.board.name && x.model === d.design.model.name && x.powerW !== null;
        return [
          esc(x.who),
          esc(x.board),
          esc(x.model),
          x.powerW === null ? '—' : `${W(x.powerW)}${x.derived ? '²' : ''}`,
          x.gopsPerW === null ? '—' : String(x.gopsPerW),
          like ? `yes: predicted ${W(p.powerW)} W` : esc(`no: ${x.note}`),
          esc(x.source),
        ];
      }),
      { numeric: [3, 4] },
    ) +
    h('p', { class: 'note' }, '² derived: published GOPS / published GOPS/W.');
  return h('section', { id: 'power' }, head, parts, kernels, measured, pub);
}
