/**
 * The design hash: identifies a design (model, board, kernel parameters, precision, weight layout
 * version). It is written to manifest.json, compiled into the runner (config.h) and into every
 * packed weights file, so weights packed for one design are refused by another's runner.
 */
import { createHash } from 'node:crypto';
import type { Design } from './design.js';

/** Version of the packed weights layout (docs/weights.md); part of the hash. */
// 2: the MoE gates as tiled linear layers on the engine; 3: the weight port count in the header
// (word 100), segments and tiles padded to whole multiples of it; 4: msa_block's qkv as one layer
// per head (D -> 3·head_dim: the head's q, k and v rows); 5: msa_block's proj as two layers split
// by the heads they read (proj.lead: heads 0 .. H − 2's columns; proj.last: the last head's, the bias);
// 6: weight ports per region (kernels.<k>.weight_ports): byte r of word 100 is region r's
// 7: a linear layer's biases and scale word first (whole rows of the ports), then its tiles (one burst)
export const WEIGHTS_FORMAT_VERSION = 7;

/** JSON with object keys sorted at every level (a canonical form to hash). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Hex sha256 of everything that decides the generated hardware and its weight layout. */
export function designHash(design: Design): string {
  const content = {
    weights_format: WEIGHTS_FORMAT_VERSION,
    model: design.model,
    board: design.board,
    clock_mhz: design.shared.clockMhz,
    axi_width_bits: design.shared.axiWidthBits,
    stream_depth: design.shared.streamDepth,
    weight_ports: design.shared.weightPorts ?? 1,
    precision: design.shared.precision,
    kernels: design.kernels,
    placement: design.placement,
    compute_units: design.computeUnits,
    // (only when a kernel spans SLRs: the hashes of every other design stay as they were)
    ...(Object.values(design.span).some((s) => s > 1) ? { span: design.span } : {}),
  };
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}
