// Shared fixtures of the cost-model tests (not a test file itself).
import { validateBoard } from '../../src/board/load.js';
import { loadBoard } from '../../src/board/load.js';
import type { Board } from '../../src/board/schema.js';
import { PRECISIONS } from '../../src/design/design.js';
import type { SharedParams } from '../../src/kernels/types.js';
import { loadModel, modelDims, type ModelDims } from '../../src/model/config.js';

/** A one-channel test board: 25.6 GB/s DDR, no URAM. */
export const testBoard = (over: Record<string, unknown> = {}): Board =>
  validateBoard(
    {
      name: 'test',
      part: 'xc-test',
      platform: 'test_platform',
      flow: 'vitis-embedded',
      dsp_kind: 'dsp48e2',
      clocks_mhz: { default: 100, allowed: [100, 200] },
      resources: { dsp: 1000, bram18: 500, uram: 0, lut: 100000, ff: 200000 },
      memory: [{ kind: 'ddr', bank_prefix: 'DDR', count: 1, gbps_each: 25.6, axi_width_bits: 128 }],
      ...over,
    },
    'test board',
  );

/**
 * A board for hand counts: one plram channel (CHANNEL_EFFICIENCY.plram = 1) of `gbps` GB/s, so at
 * 100 MHz a port sustains exactly gbps × 10 bytes per cycle (3.2 GB/s: 32 B/cycle, below a 512-bit
 * port's 64 B × BURST_EFFICIENCY 0.85 = 54.4 B/cycle, so the channel sets the rate).
 */
export const cleanBoard = (gbps = 3.2, axiWidthBits = 512): Board =>
  testBoard({
    memory: [
      { kind: 'plram', bank_prefix: 'PLRAM', count: 1, gbps_each: gbps, axi_width_bits: axiWidthBits },
    ],
  });

export const shared = (over: Partial<SharedParams> = {}): SharedParams => ({
  clockMhz: 100,
  axiWidthBits: 128,
  streamDepth: 64,
  precision: PRECISIONS.w16a32,
  ...over,
});

export const dimsOf = (name: string): ModelDims => modelDims(loadModel(name));

/** Boards and models the monotonicity properties run over. */
export const propertyCases = (): Array<{ board: Board; dims: ModelDims; sh: SharedParams }> => [
  { board: loadBoard('zcu102'), dims: dimsOf('m3vit-tiny'), sh: shared({ clockMhz: 300 }) },
  { board: loadBoard('u280'), dims: dimsOf('m3vit-small'), sh: shared({ clockMhz: 300, axiWidthBits: 512 }) },
  { board: loadBoard('vck190'), dims: dimsOf('vit-tiny'), sh: shared({ clockMhz: 200, axiWidthBits: 256 }) },
  { board: testBoard(), dims: dimsOf('micro'), sh: shared({ streamDepth: 16 }) },
];

/** A tiny deterministic PRNG for property tests. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}
export const pick = <T>(r: () => number, xs: T[]): T => xs[Math.floor(r() * xs.length)];
