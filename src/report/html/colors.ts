/** One colour per kernel, the same in every chart of the report. */
import { PALETTE } from '../svg/core.js';

const KERNEL_COLORS: Record<string, string> = {
  patch_embed: '#56B4E9',
  msa_block: '#0072B2',
  ffn_block: '#E69F00',
  vit_block: '#009E73',
};
const OVERHEAD_COLOR = '#9aa5b1';

export function kernelColor(name: string, index = 0): string {
  return KERNEL_COLORS[name] ?? PALETTE[(index + 2) % PALETTE.length];
}

export function overheadColor(): string {
  return OVERHEAD_COLOR;
}
