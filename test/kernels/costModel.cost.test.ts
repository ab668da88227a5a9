import { describe, expect, test } from '@jest/globals';
import { COST } from '../../src/kernels/costConstants.js';
import {
  bram18ForBank,
  bufferCost,
  dspPerMultiply,
  linearCycles,
  portBytesPerCycle,
  tileLoadCycles,
  tokenGroups,
  transferCycles,
  uniformExpertLoad,
} from '../../src/kernels/costModel.js';
import { shared, testBoard } from './costHelpers.js';

describe('DSP per multiply from operand widths', () => {
  test.each([
    [32, 16, 'dsp48e2', 2], // W16A32 linear MAC: the 32-bit activation needs two 27-bit pieces
    [16, 32, 'dsp48e2', 2],
    [32, 32, 'dsp48e2', 4],
    [16, 16, 'dsp48e2', 1],
    [27, 18, 'dsp48e2', 1],
    [18, 27, 'dsp48e2', 1],
    [28, 18, 'dsp48e2', 2],
    [8, 8, 'dsp48e2', 1],
    [32, 16, 'dsp58', 2], // 27×24: 32 still splits; 16 fits the 24-bit port
    [24, 24, 'dsp58', 1],
    [27, 24, 'dsp58', 1],
    [32, 24, 'dsp58', 2],
    [32, 32, 'dsp58', 4],
  ])('%i × %i on %s takes %i', (a, b, kind, n) => {
    expect(dspPerMultiply(a, b, kind)).toBe(n);
  });
});

describe('on-chip memory mapping', () => {
  test('BRAM18 picks the best aspect ratio', () => {
    expect(bram18ForBank(32, 512)).toBe(1); // 512 × 36
    expect(bram18ForBank(32, 1024)).toBe(2);
    expect(bram18ForBank(16, 9216)).toBe(9); // 1K × 18, nine deep
    expect(bram18ForBank(1, 16384)).toBe(1);
    expect(bram18ForBank(72, 512)).toBe(2);
  });

  test('partitioning multiplies banks; tiny banks become LUTRAM; big buffers URAM when the board has it', () => {
    const b = testBoard();
    // 32-bit × 4096 words in 8 banks of 512 -> 8 BRAM18
    expect(bufferCost(32, 4096, 8, b)).toEqual({ dsp: 0, bram18: 8, uram: 0, lut: 0, ff: 0 });
    // 32-bit × 256 words in 16 banks of 16 words = 512 bits each -> LUTRAM, 8 LUTs per bank
    expect(bufferCost(32, 256, 16, b)).toEqual({ dsp: 0, bram18: 0, uram: 0, lut: 16 * 8, ff: 0 });
    // 32-bit × 98304 words (3 Mbit) in 16 banks of 6144: URAM 2 per bank on a URAM board
    const u = testBoard({ resources: { dsp: 1000, bram18: 500, uram: 100, lut: 100000, ff: 200000 } });
    expect(bufferCost(32, 98304, 16, u).uram).toBe(32);
    expect(bufferCost(32, 98304, 16, b)).toMatchObject({ uram: 0, bram18: 16 * 12 });
  });
});

describe('memory ports', () => {
  test('AXI width × burst efficiency, capped by the channel, throttled by shallow FIFOs', () => {
    const b = testBoard();
    // 128 bit = 16 B × 0.85 = 13.6 B/cycle; the channel gives 25.6 GB/s × 0.85 / 100 MHz = 217.6 B/cycle
    expect(portBytesPerCycle(b, shared())).toBeCloseTo(16 * COST.BURST_EFFICIENCY, 9);
    // at 16 deep the burst reader runs at half rate
    expect(portBytesPerCycle(b, shared({ streamDepth: 16 }))).toBeCloseTo(8 * COST.BURST_EFFICIENCY, 9);
    // a 512-bit port at 300 MHz (54.4 B/cycle) on a 12.8 GB/s channel is capped by the channel
    const slow = testBoard({
      memory: [{ kind: 'ddr', bank_prefix: 'DDR', count: 1, gbps_each: 12.8, axi_width_bits: 128 }],
    });
    const capped = (12.8e9 * COST.CHANNEL_EFFICIENCY.ddr) / 300e6;
    expect(portBytesPerCycle(slow, shared({ axiWidthBits: 512, clockMhz: 300 }))).toBeCloseTo(capped, 9);
    expect(portBytesPerCycle(b, shared({ axiWidthBits: 512, clockMhz: 300 }))).toBeCloseTo(
      64 * COST.BURST_EFFICIENCY,
      9,
    );
    expect(transferCycles(1000, 10)).toBe(COST.AXI_FIRST_BEAT_CYCLES + 100);
    expect(transferCycles(0, 10)).toBe(0);
  });
});

describe('linear engine cycles', () => {
  test('hand-worked: 17 tokens, 32 -> 64, tile 8 × 16, 2 lanes, 128-bit AXI at 100 MHz', () => {
    const sh = shared();
    const bpc = 16 * COST.BURST_EFFICIENCY; // 13.6 B/cycle
    // one tile: 8·16 weights × 16 bit = 2048 bit = 16 AXI words, or 256 B / 13.6 B per cycle = 18.82 cycles
    const load = 256 / bpc;
    expect(tileLoadCycles(8, 16, sh, bpc)).toBeCloseTo(
      COST.LINEAR_TILE_DOUBLE_BUFFERED ? load : load + COST.AXI_FIRST_BEAT_CYCLES,
      9,
    );
    const groups = Math.max(Math.ceil(17 / 2), COST.ACC_DEPENDENCE_DISTANCE); // 9
    expect(tokenGroups(17, 2)).toBe(groups);
    const step = COST.LINEAR_TILE_DOUBLE_BUFFERED
      ? Math.max(groups, load)
      : groups + load + COST.AXI_FIRST_BEAT_CYCLES;
    // per out tile: the MAC loop's fill, then the drain: 2 rows per cycle (9 cycles) + its fill
    const perOutTile = 4 * step + COST.LINEAR_PIPELINE_DEPTH + 9 + COST.LINEAR_DRAIN_DEPTH;
    const biases = COST.AXI_FIRST_BEAT_CYCLES + Math.ceil((64 * 16) / 8 / bpc);
    const shape = { tokens: 17, inDim: 32, outDim: 64, tileIn: 8, tileOut: 16, lanes: 2 };
    const first = biases + (COST.LINEAR_TILE_DOUBLE_BUFFERED ? load : 0);
    expect(linearCycles(shape, sh, bpc)).toBeCloseTo(first + 4 * perOutTile, 9);
    // a later pass of the same call: its biases and first tile were prefetched
    expect(linearCycles(shape, sh, bpc, { prefetched: true })).toBeCloseTo(4 * perOutTile, 9);
    // expert mode: the drain scatters one queued token per cycle (17 instead of 9)
    expect(linearCycles(shape, sh, bpc, { prefetched: true, scatter: true })).toBeCloseTo(
      4 * (perOutTile + 17 - 9),
      9,
    );
  });

  test('few tokens cannot beat the accumulator dependence distance', () => {
    expect(tokenGroups(3, 8)).toBe(COST.ACC_DEPENDENCE_DISTANCE);
    expect(tokenGroups(0, 8)).toBe(0);
  });
});

describe('uniform MoE routing', () => {
  test('expected active experts E·(1 − (1 − k/E)^N); expected assignments N·k', () => {
    const l = uniformExpertLoad(129, 16, 2);
    expect(l.activeExperts).toBeCloseTo(16 * (1 - Math.pow(1 - 2 / 16, 129)), 9);
    const experts = l.buckets.reduce((a, b) => a + b.experts, 0);
    const tokens = l.buckets.reduce((a, b) => a + b.experts * b.tokens, 0);
    expect(experts).toBeCloseTo(l.activeExperts, 6);
    expect(tokens).toBeCloseTo(129 * 2, 6);
    // few tokens, many experts: most experts idle
    const sparse = uniformExpertLoad(4, 64, 1);
    expect(sparse.activeExperts).toBeCloseTo(64 * (1 - Math.pow(63 / 64, 4)), 9);
    expect(sparse.activeExperts).toBeLessThan(4);
  });
});
