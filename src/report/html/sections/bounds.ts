/**
 * Memory and compute bounds of the predicted design: off-chip traffic per image and the bandwidth
 * it takes, the time the multipliers need at best (compute bound), and the predicted fmax.
 */
import { splitKernels, type Design } from '../../../design/design.js';
import type { ReportData } from '../../types.js';
import { roofline } from '../../svg/roofline.js';
import { PREDICTED, absent, esc, h, int, ms, pct, rate } from '../markup.js';

/**
 * Multiply-accumulate lanes per cycle of the whole design, from design.yaml: each kernel's linear
 * engine (tile_in × tile_out × token lanes) and the attention's two products (q_parallel ×
 * key_block each for q·kᵀ and A·v), times the compute units. The MACs the cost model counts per
 * image (macs_per_image) run on exactly these lanes.
 */
export function macLanes(d: Design): Array<{ kernel: string; lanes: number; units: number }> {
  const k = d.kernels;
  // an engine's MACs, plus the attention's score and A·V MACs
  const engine = (p: { tile_in: number; tile_out: number; token_lanes: number }) => p.tile_in * p.tile_out * p.token_lanes;
  const attention = (p: { q_parallel: number; key_block: number }) => 2 * p.q_parallel * p.key_block;
  const rows = k.patch_embed ? [{ kernel: 'patch_embed', lanes: k.patch_embed.tile_in * k.patch_embed.tile_out, units: 1 }] : [];
  if (k.vit_block)
    rows.push({ kernel: 'vit_block', lanes: engine(k.vit_block) + attention(k.vit_block), units: d.computeUnits.vit_block });
  else {
    const { msa, ffn } = splitKernels(d);
    rows.push(
      { kernel: 'msa_block', lanes: engine(msa) + attention(msa), units: d.computeUnits.msa_block },
      { kernel: 'ffn_block', lanes: engine(ffn), units: d.computeUnits.ffn_block },
    );
  }
  return rows;
}

function kv(rows: Array<[string, string]>): string {
  return h(
    'table',
    { class: 'kv' },
    h('tbody', {}, ...rows.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v)))),
  );
}

const gbps = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

export function boundsSection(d: ReportData): string {
  const p = d.prediction;
  const head = h('h2', {}, 'Memory and compute bounds ', PREDICTED);
  if (!p)
    return h(
      'section',
      { id: 'bounds' },
      head,
      absent(`No predicted figures: ${d.predictionMissing ?? 'no estimate'}.`),
    );
  const missing = (field: string) =>
    h(
      'span',
      { class: 'note' },
      `not in reports/estimate.json (${field}); re-run ubimoe estimate --project ${esc(d.projectDir)}`,
    );
  const board = d.design.board;
  const clock = p.clockMhz;
  const rows: Array<[string, string]> = [];

  // ---- off-chip memory
  const peak = board.memory.reduce((a, m) => a + m.count * m.gbps_each, 0);
  const memList = board.memory
    .map((m) => `${m.count} × ${esc(m.kind.toUpperCase())} ${m.gbps_each} GB/s`)
    .join(' + ');
  if (p.offchipBytesPerImage !== undefined) {
    const bytes = p.offchipBytesPerImage;
    rows.push([
      'off-chip traffic per image',
      `<strong>${(bytes / 1e6).toFixed(1)} MB</strong> (predicted: every block’s weights and the activations in and out)`,
    ]);
    const atLatency = bytes / (p.latencyMs * 1e-3) / 1e9;
    rows.push([
      'bandwidth used',
      `<strong>${gbps(atLatency)} GB/s</strong> = traffic / predicted latency (${ms(p.latencyMs)} ms), ` +
        `${pct(atLatency / peak)} of the board’s ${gbps(peak)} GB/s data-sheet peak (${memList})` +
        (p.imagesPerSecond
          ? `; ${gbps((bytes * p.imagesPerSecond) / 1e9)} GB/s (${pct((bytes * p.imagesPerSecond) / 1e9 / peak)}) at the predicted ${rate(p.imagesPerSecond)} images/s`
          : ''),
    ]);
  } else rows.push(['off-chip traffic per image', missing('offchip_bytes_per_image')]);

  // ---- compute bound
  const lanes = macLanes(d.design);
  const total = lanes.reduce((a, l) => a + l.lanes * l.units, 0);
  const laneText = lanes
    .map((l) =>
      `${l.kernel} ${int(l.lanes)}${l.units > 1 ? ` × ${l.units} CUs` : ''}`.replace(/[\u2009 ]/g, '\u00a0'),
    )
    .join(', ');
  if (p.macsPerImage !== undefined && total > 0) {
    const boundMs = p.macsPerImage / (total * clock * 1e3);
    rows.push([
      'MACs per image',
      `${p.macsPerImage >= 1e8 ? `${(p.macsPerImage / 1e9).toFixed(3)} G` : `${(p.macsPerImage / 1e6).toFixed(2)} M`} (top-${d.design.dims.topK || '–'} routing: only the chosen experts’ work)`,
    ]);
    rows.push([
      'compute bound',
      `<strong>${ms(boundMs)} ms/image</strong> = MACs / (${int(total)} MAC lanes × ${clock} MHz), the time if every multiplier were busy every cycle (lanes from design.yaml: ${laneText}); ` +
        `the predicted latency is ${(p.latencyMs / boundMs).toFixed(1)}× that (${pct(boundMs / p.latencyMs)} of the peak MAC rate)`,
    ]);
  } else rows.push(['compute bound', missing('macs_per_image')]);

  // ---- the board's physical bound (issue 14's yardstick) and the roofline
  let chart = '';
  const pb = p.physicalBounds;
  if (pb) {
    rows.push([
      'physical bound of the board',
      `<strong>${ms(pb.boundMs)} ms/image</strong> (${esc(pb.boundBy)}): every DSP the kernels may use doing a MAC each cycle ` +
        `(${pb.dspPerMac} DSP per MAC at the linear layers’ widths) takes ${ms(pb.computeBoundMs)} ms; every weight read once at the ` +
        `board’s peak bandwidth takes ${ms(pb.weightBoundMs)} ms. The predicted latency is <strong>${pb.latencyOverBound.toFixed(1)}×</strong> the bound`,
    ]);
    rows.push([
      'useful-MAC efficiency',
      `<strong>${pct(pb.macEfficiency)}</strong> = MACs / (the design’s DSPs / ${pb.dspPerMac} × predicted cycles): the share of the MAC slots the design pays for that do model work`,
    ]);
    if (p.macsPerImage !== undefined && p.offchipBytesPerImage)
      chart = roofline({
        id: 'chart-roofline',
        title: 'Roofline: the predicted design against the board’s compute and bandwidth roofs',
        computeGmacs: p.macsPerImage / (pb.computeBoundMs * 1e6),
        bandwidthGBps: peak,
        point: {
          label: `this design (predicted): ${ms(p.latencyMs)} ms/image`,
          intensity: p.macsPerImage / p.offchipBytesPerImage,
          gmacs: p.macsPerImage / (p.latencyMs * 1e6),
        },
      });
  } else rows.push(['physical bound of the board', missing('physical_bounds')]);

  // ---- fmax
  if (p.fmaxMhz !== undefined)
    rows.push([
      'fmax',
      `<strong>≈ ${Math.floor(p.fmaxMhz)} MHz</strong> predicted at this utilisation (a rule of thumb of the cost model, not a timing closure); ` +
        (clock <= p.fmaxMhz
          ? `the design clock of ${clock} MHz is below it`
          : `the design clock of ${clock} MHz is ABOVE it: the design may not close timing`),
    ]);
  else rows.push(['fmax', missing('fmax_mhz')]);

  return h(
    'section',
    { id: 'bounds' },
    head,
    h(
      'p',
      { class: 'lede' },
      'What limits the design, from the cost model: the off-chip traffic of one image and the bandwidth it takes, the best time the multipliers allow, and the clock the design is predicted to reach. Every figure here is predicted, none measured.',
    ),
    kv(rows),
    chart,
  );
}
