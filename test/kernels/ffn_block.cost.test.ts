import { describe, expect, test } from '@jest/globals';
import { COST } from '../../src/kernels/costConstants.js';
import { linearCycles, linearWeightBytes, portBytesPerCycle } from '../../src/kernels/costModel.js';
import { cycles, expertWeightBytes, resources, weightBytes } from '../../src/kernels/ffn_block.js';
import type { FfnParams } from '../../src/kernels/params.js';
import { dimsOf, lcg, pick, propertyCases, shared, testBoard } from './costHelpers.js';

const P: FfnParams = { tile_in: 8, tile_out: 8, token_lanes: 2 };

describe('ffn_block cost model', () => {
  test('hand-worked DSP (micro MoE model): one linear engine, LayerNorm, GELU per drained output, gate, scatter', () => {
    const r = resources(P, dimsOf('micro'), shared(), testBoard());
    // ONE engine runs dense fc1/fc2 and expert fc1/fc2: one 8·8·2 MAC array, 32 × 16 bits
    const linear = 8 * 8 * 2 * 2;
    const layerNorm = 2 * 8 * 4 + 8 * 2 + COST.RSQRT_MULTS * 4;
    const gelu = 8 * 2 * COST.GELU_MULTS * 2; // the drain: 2 rows × 8 outputs per cycle
    // the logits run on the engine (no MACs of their own); E + k = 6 exps, 3 rescale multiplies
    // (25 × 25), a reciprocal
    const gate = 6 * COST.EXP_MULTS * 2 + 3 * 2 + COST.RECIP_MULTS * 4;
    const scatter = 8 * 4; // score × expert output, 32 × 32
    expect(r.dsp).toBe(linear + layerNorm + gelu + gate + scatter);
  });

  test('dense block: layernorm + fc1 + fc2 + write; MoE block: gate + experts + write', () => {
    const d = dimsOf('micro');
    const sh = shared();
    const b = testBoard();
    const bpc = portBytesPerCycle(b, sh);
    const dense = cycles(P, d, sh, b, { moe: false });
    const fc1 = linearCycles({ tokens: 17, inDim: 32, outDim: 64, tileIn: 8, tileOut: 8, lanes: 2 }, sh, bpc);
    expect(dense.parts.fc1).toBeCloseTo(fc1, 9);
    // fc2's biases and first tiles load while fc1 runs
    const fc2 = linearCycles(
      { tokens: 17, inDim: 64, outDim: 32, tileIn: 8, tileOut: 8, lanes: 2 },
      sh,
      bpc,
      {
        prefetched: true,
      },
    );
    expect(dense.parts.fc2).toBeCloseTo(fc2, 9);
    expect(dense.cycles).toBeCloseTo(
      dense.parts.start + dense.parts.layernorm + dense.parts.fc1 + dense.parts.fc2 + dense.parts.write,
      9,
    );
    const moe = cycles(P, d, sh, b, { moe: true });
    expect(moe.cycles).toBeCloseTo(
      moe.parts.start + moe.parts.layernorm + moe.parts.gate + moe.parts.experts + moe.parts.write,
      9,
    );
    // the gate: a first (not prefetched) engine pass 32 -> 4 experts padded to 8 outputs, then per
    // token the softmax + top-k at II = ceil(4 / (2·8)) = 1, its pipeline depth, the copy of the
    // normalised tokens (17 rows × 32/8 cycles)
    const gatePass = linearCycles(
      { tokens: 17, inDim: 32, outDim: 8, tileIn: 8, tileOut: 8, lanes: 2 },
      sh,
      bpc,
    );
    expect(moe.parts.gate).toBeCloseTo(gatePass + 17 + COST.GATE_PIPELINE_DEPTH + 17 * 4, 9);
  });

  test('measured routing: all tokens on two experts is cheaper than uniform routing over four', () => {
    const d = dimsOf('micro'); // 17 tokens, top-2 of 4 experts
    const sh = shared();
    const b = testBoard();
    const uniform = cycles(P, d, sh, b, { moe: true }).parts.experts;
    const skewed = cycles(P, d, sh, b, { moe: true, tokensPerExpert: [17, 17, 0, 0] }).parts.experts;
    expect(skewed).toBeLessThan(uniform);
    // the gate: 4 experts padded to one 8-wide output tile, with its (zero) biases
    expect(weightBytes(P, d, sh, { moe: true, tokensPerExpert: [17, 17, 0, 0] })).toBeCloseTo(
      linearWeightBytes(32, 8, sh) + (2 * 32 * 16) / 8 + 2 * expertWeightBytes(d, sh),
      9,
    );
  });

  test('property: more lanes never more cycles (dense and MoE) and never fewer DSP', () => {
    const r = lcg(5);
    for (const { board, dims, sh } of propertyCases())
      for (let i = 0; i < 40; i++) {
        const p: FfnParams = {
          tile_in: pick(r, [1, 2, 4, 8, 16]),
          tile_out: pick(r, [1, 2, 4, 8, 16]),
          token_lanes: pick(r, [1, 2, 3, 4, 5, 6, 7]),
        };
        const q = { ...p, token_lanes: p.token_lanes + 1 };
        for (const moe of dims.experts > 0 ? [false, true] : [false])
          expect(cycles(q, dims, sh, board, { moe }).cycles).toBeLessThanOrEqual(
            cycles(p, dims, sh, board, { moe }).cycles + 1e-9,
          );
        expect(resources(q, dims, sh, board).dsp).toBeGreaterThanOrEqual(resources(p, dims, sh, board).dsp);
      }
  });
});
