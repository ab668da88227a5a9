/**
 * Design validation beyond the schema: every kernel's parameters against the model (tiles must
 * divide the dimensions they tile; token remainders are handled by the kernels) and the
 * precision against what the kernels can represent. Errors name the design field.
 */
import * as ffn from '../kernels/cpp/ffn_block.js';
import * as msa from '../kernels/cpp/msa_block.js';
import * as patch from '../kernels/cpp/patch_embed.js';
import * as vit from '../kernels/cpp/vit_block.js';
import { formats } from '../kernels/cpp/formats.js';
import { kernelMemory } from '../board/resources.js';
import { UserError } from '../util/errors.js';
import { designKernels, kernelWeightPorts, splitKernels, type Design } from './design.js';

export function validateDesign(design: Design): void {
  try {
    checkDesign(design);
  } catch (err) {
    // every error names the design it is about (the file, or "default design for ...")
    if (err instanceof UserError && !err.message.startsWith(`${design.source}: `))
      throw new UserError(`${design.source}: ${err.message}`);
    throw err;
  }
}

function checkDesign(design: Design): void {
  const { dims, shared, kernels } = design;
  const clocks = design.board.clocks_mhz.allowed;
  if (!clocks.includes(shared.clockMhz))
    throw new UserError(
      `clock_mhz: ${shared.clockMhz} MHz is not a clock of board ${design.board.name} (allowed: ${clocks.join(', ')})`,
    );
  checkPlacement(design);
  checkWeightPorts(design);
  const p = shared.precision;
  for (const [name, t] of Object.entries(p))
    if (t.width > shared.axiWidthBits)
      throw new UserError(`types.${name}: ${t.width} bits do not fit a ${shared.axiWidthBits}-bit AXI word`);
  if (p.activation.width + p.weight.width > 64)
    throw new UserError(
      `types: activation (${p.activation.width} bits) × weight (${p.weight.width} bits) products need more than 64 bits`,
    );
  if (p.activation.width + p.patch_weight.width > 64)
    throw new UserError(
      `types: activation (${p.activation.width} bits) × patch_weight (${p.patch_weight.width} bits) products need more than 64 bits`,
    );
  formats(p);
  // building the contexts checks every derived width
  if (kernels.patch_embed) {
    patch.validate(kernels.patch_embed, dims);
    patch.templateContext(kernels.patch_embed, dims, shared, design.model);
  }
  if (design.block === 'fused') {
    vit.templateContext(kernels.vit_block!, dims, shared, design.model);
  } else {
    const split = splitKernels(design);
    msa.validate(split.msa, dims);
    ffn.validate(split.ffn, dims);
    msa.templateContext(split.msa, dims, shared, design.model);
    ffn.templateContext(split.ffn, dims, shared, design.model);
  }
}

/** At most one weight port per channel of the memory group the kernels use (connectivity.ts). */
export function checkWeightPorts(design: Design): void {
  const mem = kernelMemory(design.board);
  for (const k of designKernels(design)) {
    const ports = kernelWeightPorts(design, k);
    const field = design.kernels[k]?.weight_ports === undefined ? 'weight_ports' : `kernels.${k}.weight_ports`;
    if (ports > mem.count)
      throw new UserError(
        `${field}: ${ports} ports need ${ports} memory channels; board ${design.board.name} has ${mem.count} (${mem.kind}${mem.count > 1 ? ` ${mem.bank_prefix}0..${mem.count - 1}` : ''})`,
      );
  }
}

/** Every kernel placed on an SLR the board has. */
export function checkPlacement(design: Design): void {
  const nSlr = design.board.slrs?.length ?? 1;
  const kernels = designKernels(design);
  // placement and compute units only for the kernels the design has (split or fused block)
  for (const field of ['placement', 'compute_units', 'span'] as const)
    for (const k of Object.keys(design.file[field] ?? {}))
      if (!(kernels as string[]).includes(k))
        throw new UserError(
          `${field}.${k}: this design has no ${k} kernel (its kernels: ${kernels.join(', ')})`,
        );
  for (const k of kernels) {
    const slr = design.placement[k];
    if (slr >= nSlr)
      throw new UserError(
        `placement.${k}: SLR ${slr} does not exist (board ${design.board.name} has ${nSlr} SLR${nSlr > 1 ? 's' : ''}: 0..${nSlr - 1})`,
      );
  }
  const span = design.span.vit_block;
  if (span > 1) {
    if (design.board.sll_per_boundary === undefined)
      throw new UserError(
        `span.vit_block: board ${design.board.name} ${nSlr > 1 ? 'does not give sll_per_boundary (the SLLs between its SLRs)' : 'has one SLR'}: no kernel spans SLRs on it`,
      );
    const first = design.placement.vit_block;
    if (first + span > nSlr)
      throw new UserError(
        `span.vit_block: ${span} SLRs from placement.vit_block ${first} ends past SLR${nSlr - 1} (board ${design.board.name} has ${nSlr})`,
      );
    if (design.computeUnits.vit_block > 1)
      throw new UserError(`span.vit_block: only one compute unit spans SLRs (compute_units.vit_block is ${design.computeUnits.vit_block})`);
  }
}
