/**
 * Published power figures of FPGA transformer accelerators, for the power section's sanity check
 * (docs/power.md keeps the same table). Only figures a reader can check in the cited source are
 * listed; where a paper's power table could not be read for this project, it says so instead of
 * quoting a number from memory.
 */
export interface PublishedPower {
  who: string;
  source: string; // where the figures come from
  board: string; // board name in boards/ when there is one
  model: string;
  clockMhz: number | null;
  powerW: number | null; // board/chip power as published (or derived, see `derived`)
  gops: number | null;
  gopsPerW: number | null;
  derived?: string; // how powerW was derived from published figures
  note: string;
}

export const PUBLISHED_POWER: PublishedPower[] = [
  {
    who: 'EfficientViT accelerator (Shao et al., 2024)',
    source: 'arXiv:2403.20230, abstract: up to 780.2 GOPS and 105.1 GOPS/W at 200 MHz on ZCU102',
    board: 'zcu102',
    model: 'EfficientViT (convolution-transformer hybrid)',
    clockMhz: 200,
    powerW: 780.2 / 105.1,
    gops: 780.2,
    gopsPerW: 105.1,
    derived: '780.2 GOPS / 105.1 GOPS/W = 7.42 W',
    note: 'another model (8-bit, convolution and attention): a sanity check of the board power level, not like with like',
  },
  {
    who: 'UbiMoE (Dong et al., 2025)',
    source:
      'arXiv:2502.05602, abstract: 1.75× (ZCU102) and 1.54× (U280) the energy efficiency of the previous FPGA MoE-ViT designs',
    board: 'u280',
    model: 'm3vit-tiny',
    clockMhz: 200,
    powerW: null,
    gops: null,
    gopsPerW: null,
    note: 'the paper’s power and GOPS/W table was not available to this project: only the ratios are recorded',
  },
  {
    who: 'Edge-MoE (Sarkar et al., ICCAD 2023)',
    source: 'arXiv:2305.18691, abstract: 2.24× and 4.90× the energy efficiency of a GPU and a CPU',
    board: 'zcu102',
    model: 'm3vit-tiny (M³ViT)',
    clockMhz: null,
    powerW: null,
    gops: null,
    gopsPerW: null,
    note: 'the paper’s absolute power was not available to this project: only the ratios are recorded',
  },
];
