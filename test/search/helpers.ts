// Shared fixtures of the search tests (not a test file itself).
import { validateBoard } from '../../src/board/load.js';
import type { Board } from '../../src/board/schema.js';

/** A small single-die board on which the micro preset's space is small enough to enumerate. */
export const tinyBoardYaml = {
  name: 'tiny',
  description: 'a small test board',
  part: 'xc-tiny',
  platform: 'tiny_platform',
  flow: 'vitis-embedded',
  dsp_kind: 'dsp48e2',
  clocks_mhz: { default: 200, allowed: [100, 200] },
  resources: { dsp: 400, bram18: 400, uram: 0, lut: 200000, ff: 400000 },
  memory: [{ kind: 'ddr', bank_prefix: 'DDR', count: 2, gbps_each: 12.8, axi_width_bits: 128 }],
};

export const tinyBoard = (over: Record<string, unknown> = {}): Board =>
  validateBoard({ ...tinyBoardYaml, ...over }, 'tiny board');
