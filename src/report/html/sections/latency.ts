/** Predicted latency: per stage of the forward pass (stacked by kernel) and per kernel (stacked by part). */
import { stackedBarsHorizontal, stackedBarsVertical } from '../../svg/stackedBars.js';
import type { ReportData } from '../../types.js';
import { kernelColor } from '../colors.js';
import { PREDICTED, absent, alert, esc, figure, h, int, ms, rate } from '../markup.js';

/** Kernel names in the order the stages use them, then any other the estimate lists. */
function kernelOrder(d: NonNullable<ReportData['prediction']>): string[] {
  const names = d.kernels.map((k) => k.name);
  for (const s of d.stages) for (const k of Object.keys(s.cycles)) if (!names.includes(k)) names.push(k);
  return names;
}

export function latencySection(d: ReportData): string {
  const p = d.prediction;
  const head = h('h2', {}, 'Latency ', PREDICTED);
  if (!p)
    return h(
      'section',
      { id: 'latency' },
      head,
      absent(`No predicted figures: ${d.predictionMissing ?? 'no estimate'}.`),
    );
  const toMs = (cycles: number) => cycles / (p.clockMhz * 1e3);
  const kernels = kernelOrder(p);

  const perStage = stackedBarsVertical({
    id: 'chart-latency-stages',
    title: 'Predicted latency per stage of the forward pass, stacked by kernel',
    categories: p.stages.map((s) => s.label),
    sublabels: p.stages.map((s) => s.kind),
    series: kernels.map((k, i) => ({
      name: k,
      color: kernelColor(k, i),
      values: p.stages.map((s) => toMs(s.cycles[k] ?? 0)),
    })),
    valueLabel: 'predicted latency (ms)',
    categoryLabel: 'stage (patch embedding, then transformer block index)',
    formatValue: (v) => `${ms(v)}`,
  });

  const partNames: string[] = [];
  for (const k of p.kernels)
    for (const part of Object.keys(k.parts)) if (!partNames.includes(part)) partNames.push(part);
  const withParts = p.kernels.filter((k) => Object.keys(k.parts).length > 0);
  const perKernel = withParts.length
    ? figure(
        stackedBarsHorizontal({
          id: 'chart-latency-kernels',
          title: 'Predicted latency per image of each kernel, by part',
          categories: withParts.map((k) => `${k.name} ×${k.calls}`),
          series: partNames.map((part) => ({
            name: part,
            values: withParts.map((k) => toMs(k.parts[part] ?? 0)),
          })),
          valueLabel: 'predicted time per image (ms)',
          formatValue: (v) => `${ms(v)} ms`,
        }),
        'Where each kernel spends its time over one image (all its calls), split into the parts its cycle model adds up. Percentages are shares of the kernel’s own time.',
      )
    : '';

  const kernelMs = toMs(p.latencyCycles);
  const hostMs = p.latencyMs - kernelMs;
  const stats = h(
    'p',
    {},
    `Predicted end-to-end latency: <strong>${ms(p.latencyMs)} ms</strong> per image: ${int(p.latencyCycles)} kernel cycles at ${esc(String(p.clockMhz))} MHz (${ms(kernelMs)} ms)`,
    hostMs > kernelMs * 0.001 ? ` plus ${ms(hostMs)} ms of host call overhead` : '',
    '. ',
    p.imagesPerSecond
      ? `Predicted throughput <strong>${rate(p.imagesPerSecond)} images/s</strong> with the kernels of successive images overlapped${p.throughputBound ? ` (bound by ${esc(p.throughputBound)})` : ''}. `
      : '',
    p.gops ? `${p.gops.toFixed(1)} GOPS.` : '',
  );
  return h(
    'section',
    { id: 'latency' },
    head,
    h(
      'p',
      { class: 'lede' },
      'Cycle counts from the cost model, converted to time at the design’s clock. Not measured on hardware.',
      p.routing ? ` MoE routing assumed: ${p.routing}.` : '',
      p.source === 'computed'
        ? ' The project has no reports/estimate.json: these figures were computed from design.yaml by the current cost model when this report was written.'
        : '',
    ),
    d.stale.estimate ? alert(d.stale.estimate) : '',
    stats,
    figure(
      perStage,
      'Predicted latency of each stage of one image. Bars are stacked by the kernel that runs; the figure above each bar is the stage total in ms.',
    ),
    perKernel,
  );
}
