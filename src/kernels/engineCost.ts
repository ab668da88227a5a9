/**
 * The resources of one linear engine (linear.h: engine_read + engine_pass), whichever kernel owns
 * it: msa_block, ffn_block or the fused vit_block (one engine for both halves).
 */
import type { Board } from '../board/schema.js';
import { formats, linearMaxShift, tileSumFx } from './cpp/formats.js';
import { addInto, engineMacResources, fifoCost, registers, weightShifterLuts, zeroResources } from './costModel.js';
import { LATENCY } from './costConstants.js';
import { engineFifos } from './latency.js';
import type { ResourceEstimate, SharedParams } from './types.js';

/** Bits of a pass descriptor (linear.h linear_pass: ten 32-bit fields, six flags). */
const LINEAR_PASS_BITS = 10 * 32 + 6;

/**
 * tile_in × tile_out × lanes MACs (the linear-input class × the weight), the weight-scale shifters
 * (w8a8), the tile in use and the bias chunks of the out tile computed and the one drained, the
 * bias and residual adders, the double-buffered weight-tile and bias FIFOs.
 */
export function engineResources(
  tileIn: number,
  tileOut: number,
  lanes: number,
  shared: SharedParams,
  board: Board,
  fifos: { tiles: number; biases: number; passes: number } = engineFifos(),
): ResourceEstimate {
  const p = shared.precision;
  const f = formats(p);
  const r = zeroResources();
  const maxShift = linearMaxShift(f, f.weight, tileIn);
  const tree = tileSumFx(f.linIn, f.weight, tileIn, maxShift).width;
  addInto(r, engineMacResources(tileIn * tileOut * lanes, f.linIn.width, p.weight.width, tree, board));
  r.lut += weightShifterLuts(tileOut * lanes, maxShift, tree + maxShift);
  addInto(r, registers(tileIn * tileOut * p.weight.width));
  addInto(r, registers(2 * tileOut * p.bias.width));
  r.lut += 2 * tileOut * lanes * p.activation.width;
  addInto(r, fifoCost(tileIn * tileOut * p.weight.width, fifos.tiles));
  addInto(r, fifoCost(tileOut * p.bias.width, fifos.biases));
  // a deeper descriptor FIFO than the default (the default's is in the kernel's control estimate)
  if (fifos.passes > LATENCY.DEFAULT_STREAM_DEPTH) addInto(r, fifoCost(LINEAR_PASS_BITS, fifos.passes));
  return r;
}
