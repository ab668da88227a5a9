/** The design summary: what was built, for which model and board, with which parameters. */
import { designKernels, weightPortsText } from '../../../design/design.js';
import type { FixedType } from '../../../kernels/types.js';
import type { ReportData } from '../../types.js';
import { esc, h, int, table } from '../markup.js';

const fixed = (t: FixedType) => `ap_fixed&lt;${t.width},${t.int}&gt;`;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function kv(rows: Array<[string, string]>): string {
  return h(
    'table',
    { class: 'kv' },
    h('tbody', {}, ...rows.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, esc(k)), h('td', {}, v)))),
  );
}

export function designSection(d: ReportData): string {
  const { design } = d;
  const m = design.model;
  const dims = design.dims;
  const b = design.board;
  const moe = dims.experts > 0;
  const model = kv([
    ['model', h('code', {}, esc(m.name))],
    ['embedding dim × depth', `${dims.D} × ${dims.depth} blocks`],
    ['attention heads', `${dims.heads} (head dim ${dims.headDim})`],
    [
      'image → tokens',
      `${m.in_chans}×${m.img_h}×${m.img_w}, patch ${m.patch_size} → ${dims.numTokens} tokens`,
    ],
    [
      'MLP',
      moe
        ? `${plural(dims.moeBlocks.filter(Boolean).length, 'MoE block')}: ${dims.experts} experts, top-${dims.topK}, hidden ${dims.expertHidden}; dense hidden ${dims.mlpHidden}`
        : `dense, hidden ${dims.mlpHidden}`,
    ],
    ['tasks', String(dims.tasks)],
  ]);
  const p = design.shared.precision;
  const hw = kv([
    ['board', `${h('code', {}, esc(b.name))}${b.description ? ` — ${esc(b.description)}` : ''}`],
    ['part / platform', `${esc(b.part)} / ${esc(b.platform)}`],
    ['flow', esc(b.flow)],
    ['kernel clock', `${design.shared.clockMhz} MHz`],
    ['AXI width / stream depth', `${design.shared.axiWidthBits} bit / ${design.shared.streamDepth}`],
    ['weight ports', weightPortsText(design)],
    [
      'precision',
      `${esc(design.file.precision)}: activations ${fixed(p.activation)}, weights ${fixed(p.weight)}, accumulators ${fixed(p.accum)}`,
    ],
  ]);
  const k = design.kernels;
  const params = (o: object) =>
    Object.entries(o)
      .map(([name, v]) => `${h('code', {}, esc(name))}&nbsp;${esc(String(v))}`)
      .join(', ');
  const kernels = table(
    ['kernel', 'parameters', 'SLR', 'compute units'],
    designKernels(design).map((name) => [
      h('code', {}, name),
      params(k[name] ?? {}),
      // a compute unit spanning SLRs (span): its first and last
      name !== 'patch_embed' && design.span[name] > 1 ? `${design.placement[name]}–${design.placement[name] + design.span[name] - 1}` : String(design.placement[name]),
      name === 'patch_embed' ? '1' : int(design.computeUnits[name]),
    ]),
    { numeric: [2, 3] },
  );
  return h(
    'section',
    { id: 'design' },
    h('h2', {}, 'Design'),
    h(
      'p',
      { class: 'lede' },
      'The model, the board and the hardware parameters this project was generated from (',
      h('code', {}, 'design.yaml'),
      ').',
    ),
    h(
      'div',
      { class: 'two-col' },
      h('div', {}, h('h3', {}, 'Model'), model),
      h('div', {}, h('h3', {}, 'Hardware'), hw),
    ),
    h('h3', {}, 'Kernel parameters'),
    kernels,
  );
}
