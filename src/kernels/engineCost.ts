/**
 * The resources of one linear engine (linear.h: engine_read + engine_pass), whichever kernel owns
 * it: msa_block, ffn_block or the fused vit_block (one engine for both halves).
 */
import type { Board } from '../board/schema.js';
import { formats, linearMaxShift, tileSumFx } from './cpp/formats.js';
import { addInto, engineMacResources, fifoCost, registers, weightShifterLuts, zeroResources } from './costModel.js';
import type { ResourceEstimate, SharedParams } from './types.js';

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
  addInto(r, fifoCost(tileIn * tileOut * p.weight.width, 2));
  addInto(r, fifoCost(tileOut * p.bias.width, 2));
  return r;
}
