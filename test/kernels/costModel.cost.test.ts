// The cost model's building blocks against hand counts. Every expected number is a literal: a
// count of the loops in hls/include/ubimoe/*.h (trip count × II) plus the model's documented
// estimates (LINEAR_PIPELINE_DEPTH 14, LINEAR_DRAIN_DEPTH 10 — the engine's merged loop is
// LINEAR_LOOP_DEPTH = max of the two = 14 —, the LayerNorm depths (split 2, mean 3 + 5, variance
// 6, rsqrt 10, output 6),
// AXI_FIRST_BEAT_CYCLES 64: no synthesis has measured them), so a changed formula fails here
// instead of being re-derived from the same code. Known gaps between the model and the HLS are
// named where they occur and listed in docs/cost-model.md ("Known gaps").
import { describe, expect, test } from '@jest/globals';
import {
  bram18ForBank,
  bufferCost,
  dspPerMultiply,
  layerNormCycles,
  LINEAR_LOOP_DEPTH,
  linearCycles,
  passFetchCycles,
  passTailCycles,
  portBytesPerCycle,
  tileLoadCycles,
  tokenGroups,
  transferCycles,
  uniformExpertLoad,
} from '../../src/kernels/costModel.js';
import { layerNormPlan } from '../../src/kernels/latency.js';
import { cleanBoard, shared, testBoard } from './costHelpers.js';

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
  test('AXI width × burst efficiency 0.85, capped by the channel', () => {
    const b = testBoard(); // one DDR channel of 25.6 GB/s
    // 128 bit = 16 B × 0.85 = 13.6 B/cycle; the channel gives 25.6 GB/s × 0.85 / 100 MHz = 217.6 B/cycle
    expect(portBytesPerCycle(b, shared())).toBeCloseTo(13.6, 9);
    // the stream depth (the attention's score FIFO) does not throttle the weight reader
    expect(portBytesPerCycle(b, shared({ streamDepth: 2 }))).toBeCloseTo(13.6, 9);
    // a 512-bit port at 300 MHz (54.4 B/cycle) on a 12.8 GB/s channel: 12.8e9 × 0.85 / 300e6 B/cycle
    const slow = testBoard({
      memory: [{ kind: 'ddr', bank_prefix: 'DDR', count: 1, gbps_each: 12.8, axi_width_bits: 128 }],
    });
    expect(portBytesPerCycle(slow, shared({ axiWidthBits: 512, clockMhz: 300 }))).toBeCloseTo(36.2666667, 6);
    expect(portBytesPerCycle(b, shared({ axiWidthBits: 512, clockMhz: 300 }))).toBeCloseTo(54.4, 9);
    // the hand-count board of the kernel tests: 3.2 GB/s of plram at 100 MHz = 32 B/cycle
    expect(portBytesPerCycle(cleanBoard(), shared({ axiWidthBits: 512 }))).toBe(32);
    expect(portBytesPerCycle(cleanBoard(0.8, 128), shared())).toBe(8);
    // a transfer: the AXI latency (AXI_FIRST_BEAT_CYCLES 64, an estimate) + bytes at the port's rate
    expect(transferCycles(1000, 10)).toBe(164);
    expect(transferCycles(0, 10)).toBe(0);
  });
});

describe('linear engine cycles (linear.h engine_read / engine_pass, hand-counted)', () => {
  // One pass: 17 tokens, 32 -> 64 features, tile 8 × 16, 2 lanes, 16-bit weights and biases,
  // 512-bit AXI words (64 B) on a port sustaining 32 B/cycle.
  const shape = { tokens: 17, inDim: 32, outDim: 64, tileIn: 8, tileOut: 16, lanes: 2 };
  const sh = shared({ axiWidthBits: 512 });

  test('a tile load: TILE_WORDS words, at most one per cycle (read_layer_words, II=1), at the port rate', () => {
    // 8·16 weights × 16 bit = 2048 bit = 4 words of 512 bit = 256 B: 256 / 32 B per cycle = 8 cycles
    expect(tileLoadCycles(8, 16, sh, 32)).toBe(8);
    // on a 128-bit port the same tile is 16 words; one word per cycle even if the port could do 32 B
    expect(tileLoadCycles(8, 16, shared(), 32)).toBe(16);
  });

  test('token groups: ceil(rows / LANES), padded to MIN_GROUPS = 4 (engine_pass `groups`)', () => {
    expect(tokenGroups(17, 2)).toBe(9);
    expect(tokenGroups(3, 8)).toBe(4); // one real group, padded to the accumulator RAW distance
    expect(tokenGroups(16, 4)).toBe(4);
    expect(tokenGroups(0, 8)).toBe(0);
  });

  test('compute-bound pass: per out tile a run of the merged loop (MACs of t beside the drain of t − 1), then a drain-only run, ONE loop', () => {
    // engine_pass runs its merged loop `mac_drain` once per pass: a run per out tile and one
    // more to drain the last one (out_tiles + 1 runs back to back, no pipeline drain between
    // them); run r has max(MAC iterations of tile r, drain iterations of tile r − 1) iterations at
    // II=1; the pass pays LINEAR_LOOP_DEPTH = max(14, 10) = 14 (estimates) once:
    //   MAC iterations: in_tiles × groups = (32/8 = 4) × (ceil(17/2) = 9) = 36 (each in tile's
    //        8-cycle load, above, overlaps the previous tile's 9 cycles: depth-2 FIFO)
    //   drain iterations: used_groups = 9 (NOT padded to MIN_GROUPS)
    //   run 0: 36; runs 1..3: max(36, 9) = 36 each; run 4 (drain only): 9; + 14
    //   = 4 × 36 + 9 + 14 = 167 (a loop instance per run, before: 4 × 50 + 23 = 223; the drain in
    //   series, before that: 4 × (36 + 14 + 9 + 10) = 276)
    expect(LINEAR_LOOP_DEPTH).toBe(14);
    expect(linearCycles(shape, sh, 32, { prefetched: true })).toBe(167);
    // the first pass of a kernel call waits in engine_read for the layer's first words: ONE burst
    // (at w_off: the bias rows, then the tiles): AXI latency 64, 64 biases × 16 bit = 128 B = 2
    // words -> 4, the first tile 8, its last word through the reader's depth (AXI_READ_DEPTH 3 −
    // 1) and the tile FIFO's hop (1) -> 79 (140 while the biases were a burst of their own, after
    // the tiles); 79 + 167 = 246
    expect(passFetchCycles(shape, sh, 32)).toBe(79);
    expect(linearCycles(shape, sh, 32)).toBe(246);
    // the reader is free for the next pass once it read this pass's last tile: the MACs still run
    // the tiles in the depth-2 FIFO and the one in use (3 × max(9 groups, 8-cycle load) = 27),
    // then the drain-only run 9 and the depth 14: 27 + 9 + 14 = 50
    expect(passTailCycles(shape, sh, 32)).toBe(50);
    // a pass after one with that tail waits for the rest of its fetch: 79 − 50 = 29; 29 + 167 = 196
    expect(linearCycles(shape, sh, 32, { prefetched: 50 })).toBe(196);
    expect(linearCycles(shape, sh, 32, { prefetched: 200 })).toBe(167);
    // expert mode (the scatter drain): one queued token per iteration, 17 instead of 9, still
    // under the 36 MAC iterations: runs 0..3 36 each, run 4 17, + 14 -> 175
    expect(linearCycles(shape, sh, 32, { prefetched: true, scatter: true })).toBe(175);
  });

  test('few in tiles: a run lasts as long as the drain of the previous tile when that is longer than its MACs', () => {
    // 17 tokens, 8 -> 32 features (1 in tile, 2 out tiles), tile 8 × 16, 2 lanes, expert mode:
    //   MAC iterations 1 × 9 = 9; drain iterations 17 (one queued token each)
    //   run 0: 9 (nothing to drain yet)
    //   run 1: max(9, 17) = 17 (tile 1's MACs end after 9; tile 0's drain runs on to 17)
    //   run 2: drain only, 17; + depth 14
    //   = 57
    const few = { ...shape, inDim: 8, outDim: 32 };
    expect(linearCycles(few, sh, 32, { prefetched: true, scatter: true })).toBe(57);
    // LANES rows a drain iteration: 9 ≤ 9 MAC iterations, no excess: 9 + 9 + 9 + 14 = 41
    expect(linearCycles(few, sh, 32, { prefetched: true })).toBe(41);
    // the tail: all 2 tiles are left (min(3, tiles)): 2 × 9 = 18, run 1's drain excess 8 (run 0's
    // end inside them has none), the drain-only run 17, the depth 14: 18 + 8 + 17 + 14 = 57 (the
    // whole pass: nothing of it overlaps a fetch)
    expect(passTailCycles(few, sh, 32, true)).toBe(57);
  });

  test('few tokens: the MAC loop still runs MIN_GROUPS groups per in tile, the drain only the real ones', () => {
    // 3 tokens, 2 lanes, tile 8 × 8 (2 words = 128 B: a 4-cycle load, hidden behind 4 groups):
    // groups = max(ceil(3/2) = 2, 4) = 4; MAC iterations 4 × 4 = 16, drain 2 (real groups);
    // 64/8 = 8 out tiles: 8 runs of 16, the drain-only run 2, + 14 -> 144 (a loop instance per
    // run: 256; the drain in series: 336)
    expect(linearCycles({ ...shape, tokens: 3, tileOut: 8 }, sh, 32, { prefetched: true })).toBe(144);
    expect(linearCycles({ ...shape, tokens: 0 }, sh, 32)).toBe(0); // no pass is planned for no rows
  });

  test('memory-bound pass: the reader sets the pace, the FIFO covering the ends of the runs', () => {
    // 128-bit port at 8 B/cycle: a tile is 16 words = 256 B -> 32 cycles > 9 groups: the reader is
    // the bottleneck. Hand count of the HLS (reader = one sequential burst per layer, depth-2 FIFO):
    //   AXI latency 64, the bias rows 128 / 8 = 16, then the 16 tiles back to back, tile k ready at
    //   80 + 32·(k+1); the MAC array takes each tile 9 cycles after it arrives (the drain of the
    //   previous tile, 9 iterations, runs beside the 36 MAC iterations of a run; a run follows the
    //   last without a break): the last tile is ready at 80 + 16·32 = 592, its 9 groups: 601, then
    //   the drain-only run 9 and the depth 14: 624.
    //   The model: the first tile's load is in the fetch (112, + 3 through the reader's depth and
    //   the FIFO hop: 115), the reader's other 15 loads, at each of the 3 out-tile boundaries a
    //   stall of max(0, 9 + 0 − 2 × 32) = 0, then the last run's 9, the drain-only run 9 and the
    //   depth 14: 115 + 15 × 32 + 0 + 9 + 9 + 14 = 627 (688 with the biases a burst of their own,
    //   702 with a loop instance per run; the hand count of the HLS above leaves the hops out)
    const slow = linearCycles(shape, shared(), 8);
    expect(slow).toBe(627);
    // what it leaves for the next pass: the last tile's 9 groups, the drain-only run 9, the depth 14
    expect(passTailCycles(shape, shared(), 8)).toBe(32);
  });
});

describe('LayerNorm (layernorm.h, one streaming region)', () => {
  test('plan: CHUNK the largest divisor of a word\'s fields up to tile_in; the row FIFOs a row + 28', () => {
    // 512-bit words of 16 activations, tile_in 8: chunks of 8, 2 a word, 2 words a row
    expect(layerNormPlan(32, 32, 16, 512, 8)).toEqual({ chunk: 8, wordChunks: 2, chunksPerRow: 4, rowWords: 2, fifoDepth: 32, paramWords: 1 });
    // 128-bit words of 4, tile_in 16: the word caps the chunk; γ at 16 bits, 8 a word: 24 words
    expect(layerNormPlan(192, 32, 16, 128, 16)).toEqual({ chunk: 4, wordChunks: 1, chunksPerRow: 48, rowWords: 48, fifoDepth: 76, paramWords: 24 });
    // 24-bit activations, 5 to a 128-bit word, tile_in 4: 4 does not divide 5, so chunks of 1; a
    // row of 20 is 4 words, 20 chunks (slack: mean 3 + 5, variance 6, rsqrt 10, four FIFO hops);
    // γ at 24 bits, 5 a word: 4 words
    expect(layerNormPlan(20, 24, 24, 128, 4)).toEqual({ chunk: 1, wordChunks: 5, chunksPerRow: 20, rowWords: 4, fifoDepth: 48, paramWords: 4 });
  });

  test('from the token port: the reader, then the last row through mean, variance, rsqrt and output; or γ/β first', () => {
    // micro (17 rows of 32) on 512-bit words at 32 B/cycle, tile_in 8: 4 chunks a row, 68 in all.
    // The reader's word n (1-based) is ready at 64 + 2n − 1; the splitter takes a chunk a cycle
    // from the first word (ready 65, + read depth 3 + FIFO 1): last chunk 65 + 4 + 67 = 136 (the
    // last word, ready 131, arrives earlier). The mean's last chunk 136 + split depth 2 + 1 = 139;
    // then + mean 3 + 5 + 1, the last row's 4 chunks, variance 6, rsqrt 10, + 1, 4 − 1 chunks, out 6:
    // 139 + 9 + 4 + 16 + 1 + 3 + 6 = 178. γ and β, one 64-B word each at 32 B/cycle: 2 × (64 + 2 − 1
    // + 3) = 136, then the 68 chunks: 136 + 67 + 6 = 209, later than 178.
    const micro = layerNormPlan(32, 32, 16, 512, 8);
    const port32 = { kind: 'axi', bytesPerCycle: 32, wordBytes: 64 } as const;
    expect(micro.paramWords).toBe(1);
    expect(layerNormCycles(17, micro, port32, { words: 1, wordBytes: 64, bytesPerCycle: 32 })).toBe(209);
    // m3vit-tiny (129 rows of 192) at tile_in 16 on the same port: 12 chunks (words) a row, 1548
    // words at 2 cycles each: the last ready at 64 + 3096 − 1 = 3159, + 4 = the splitter's last
    // 3163; mean 3166; + 9 + 12 + 16 + 1 + 11 + 6 = 3221. γ/β (6 words each, 12 cycles): 2 × 78 + 1547 + 6 = 1709.
    const tiny = layerNormPlan(192, 32, 16, 512, 16);
    expect(tiny.paramWords).toBe(6);
    expect(layerNormCycles(129, tiny, port32, { words: 6, wordBytes: 64, bytesPerCycle: 32 })).toBe(3221);
    // at 64 B/cycle the reader keeps up (a word a cycle): splitter 64 + 4 + 1547 = 1615, mean 1618,
    // steady 1618 + 55 = 1673; γ/β 2 × (64 + 6 − 1 + 3) = 144 + 1547 + 6 = 1697 is later
    const port64 = { kind: 'axi', bytesPerCycle: 64, wordBytes: 64 } as const;
    expect(layerNormCycles(129, tiny, port64, { words: 6, wordBytes: 64, bytesPerCycle: 64 })).toBe(1697);
  });

  test('from an array (the final norm): a chunk a cycle from the start', () => {
    // micro at chunk 8: the source's last chunk 67, + elementwise depth 3 + 1 = the mean's last 71;
    // + 39 = 110; γ/β bound 209 as above
    const micro = layerNormPlan(32, 32, 16, 512, 8);
    expect(layerNormCycles(17, micro, { kind: 'array' }, { words: 1, wordBytes: 64, bytesPerCycle: 32 })).toBe(209);
    expect(layerNormCycles(17, micro, { kind: 'array' }, { words: 0, wordBytes: 64, bytesPerCycle: 32 })).toBe(110);
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
    // micro: 17 tokens, top-2 of 4: each expert gets Binomial(17, 1/2) tokens, mean 8.5
    const micro = uniformExpertLoad(17, 4, 2);
    expect(micro.activeExperts).toBeCloseTo(4 * (1 - 0.5 ** 17), 9);
    expect(micro.buckets.find((b) => b.tokens === 8)!.experts).toBeCloseTo((4 * 24310) / 131072, 9); // C(17,8)/2^17
    // few tokens, many experts: most experts idle
    const sparse = uniformExpertLoad(4, 64, 1);
    expect(sparse.activeExperts).toBeCloseTo(64 * (1 - Math.pow(63 / 64, 4)), 9);
    expect(sparse.activeExperts).toBeLessThan(4);
  });
});
