/**
 * Published hardware points to set beside a design's predicted figures, and whether they compare
 * like with like. The only point recorded is UbiMoE's Alveo U280 result (docs/model.md, "Published
 * hardware points"). Edge-MoE (ZCU102) is not listed: its figures are not recorded in this project,
 * and a number quoted from memory would not be one a reader could trust.
 */
import type { Design } from '../design/design.js';
import { loadModel, type ModelConfig } from '../model/config.js';

export interface PublishedPoint {
  who: string; // the accelerator
  source: string; // where the figures come from
  model: string; // preset name
  board: string; // board name in boards/
  boardLabel: string;
  precision: { label: string; weightBits: number; activationBits: number };
  clockMhz: number;
  latencyMs: number; // as printed
  /** What the printed ms/image most likely measures: 'throughput' = 1 / images per second (kernels of successive images overlapped), 'latency' = one image alone. */
  msPerImageIs: 'throughput' | 'latency';
  dsp: number;
  bram: number; // the paper does not say BRAM18 or BRAM36
  lut: number;
  ff: number;
}

export const PUBLISHED_POINTS: PublishedPoint[] = [
  {
    who: 'UbiMoE',
    source: 'UbiMoE paper, as recorded in docs/model.md (“Published hardware points”)',
    model: 'm3vit-tiny',
    board: 'u280',
    boardLabel: 'Alveo U280',
    precision: { label: 'W16A32', weightBits: 16, activationBits: 32 },
    clockMhz: 200,
    latencyMs: 10.33,
    // UbiMoE overlaps the MSA and FFN of successive images: 10.33 ms is most likely 1 / throughput
    msPerImageIs: 'throughput',
    dsp: 3413,
    bram: 974,
    lut: 316_100,
    ff: 385_900,
  },
];

/** How to read a point's ms/image, in one sentence (the report, the demo's summary). */
export function msPerImageNote(p: PublishedPoint): string {
  return p.msPerImageIs === 'throughput'
    ? `${p.who}'s ${p.latencyMs} ms/image is most likely 1 / throughput (the MSA and FFN of successive images overlapped), not one image's latency: it is set beside the predicted 1 / throughput`
    : `${p.who}'s ${p.latencyMs} ms/image is one image's latency`;
}

/** The predicted figure a point's ms/image compares with: 1000 / images per second, or the latency. */
export function predictedMsPerImage(
  p: PublishedPoint,
  pred: { latencyMs: number; imagesPerSecond?: number },
): number | undefined {
  if (p.msPerImageIs === 'latency') return pred.latencyMs;
  return pred.imagesPerSecond ? 1000 / pred.imagesPerSecond : undefined;
}

/** The model fields that decide the work of one image (name and normalisation aside). */
const SHAPE_KEYS = [
  'embed_dim',
  'depth',
  'num_heads',
  'mlp_ratio',
  'num_experts',
  'top_k',
  'moe_mlp_ratio',
  'moe_every',
  'patch_size',
  'img_h',
  'img_w',
  'in_chans',
] as const;

function sameShape(a: ModelConfig, b: ModelConfig): boolean {
  return SHAPE_KEYS.every((k) => (a as Record<string, unknown>)[k] === (b as Record<string, unknown>)[k]);
}

export interface Comparability {
  point: PublishedPoint;
  comparable: boolean;
  reasons: string[]; // why not comparable (model, board, precision)
  caveats: string[]; // comparable, but read with care (clock, architecture)
}

/** Whether `d` and a published point are the same model, board and precision. */
export function compareWithPublished(d: Design, point: PublishedPoint): Comparability {
  const reasons: string[] = [];
  const caveats: string[] = [];
  const ref = loadModel(point.model);
  if (!sameShape(d.model, ref))
    reasons.push(
      `the model is ${d.model.name}${d.model.name === point.model ? ' with other dimensions' : ''}, the published point is ${point.model}`,
    );
  if (d.board.name !== point.board)
    reasons.push(`the board is ${d.board.name}, the published point is ${point.boardLabel} (${point.board})`);
  const p = d.shared.precision;
  const w = p.weight.width;
  const a = p.activation.width;
  if (w !== point.precision.weightBits || a !== point.precision.activationBits)
    reasons.push(
      `the precision is ${d.file.precision} (${w}-bit weights, ${a}-bit activations), the published point is ${point.precision.label}`,
    );
  if (d.shared.clockMhz !== point.clockMhz)
    caveats.push(
      `clocks differ: this design runs at ${d.shared.clockMhz} MHz, the published one at ${point.clockMhz} MHz`,
    );
  caveats.push(
    'the published figures are UbiMoE’s reported results for its own kernels; the predicted ones are the cost model’s for this project’s kernels (docs/cost-model.md)',
  );
  return { point, comparable: reasons.length === 0, reasons, caveats };
}

/** Every published point, with its comparability to `d`. */
export function publishedFor(d: Design): Comparability[] {
  return PUBLISHED_POINTS.map((p) => compareWithPublished(d, p));
}
