import { kernelMemory } from '../../board/resources.js';
import type { Board, Memory } from '../../board/schema.js';
import { designKernels, designWeightPorts, type Design } from '../../design/design.js';
import type { KernelName } from '../../kernels/params.js';
import { axiBundles as ffnBundles } from '../../kernels/cpp/ffn_block.js';
import { axiBundles as msaBundles } from '../../kernels/cpp/msa_block.js';
import { axiBundles as patchBundles } from '../../kernels/cpp/patch_embed.js';
import { axiBundles as vitBundles } from '../../kernels/cpp/vit_block.js';
import type { AxiBundle } from '../../kernels/types.js';
import { checkPlacement } from '../../design/validate.js';

/** One memory bank as v++ names it (`HBM[3]`, `DDR[1]`, `HP2`), with the SLR it is attached to. */
export interface Bank {
  name: string;
  kind: Memory['kind'];
  channel: number;
  slr: number | null; // null: the board does not say (single-SLR devices)
}

export interface PortMapping {
  bundle: string; // HLS bundle, e.g. gmem_w
  port: string; // the CU's AXI master port as v++ knows it: m_axi_<bundle>
  role: AxiBundle['role'];
  bank: string;
}

export interface ComputeUnit {
  kernel: KernelName;
  name: string; // <kernel>_<n>, n from 1 (v++ default naming; the XRT host opens "<kernel>:{<name>}")
  slr: number | null; // null on single-SLR boards and for a CU spanning SLRs: no slr= line
  spans: { first: number; last: number } | null; // the SLRs a CU spanning several occupies (design span)
  ports: PortMapping[];
}

export interface Connectivity {
  computeUnits: ComputeUnit[];
  clockHz: number;
  activationBank: string;
  weightBank: string; // weight port 0's bank
  weightBanks: string[]; // the bank of each weight port (weight_ports of them)
}

/** The m_axi bundles of each top kernel, as the kernel declares them (src/kernels/cpp/<kernel>.ts). */
export function kernelBundles(kernel: KernelName, weightPorts = 1): AxiBundle[] {
  const bundles: Record<KernelName, (ports: number) => AxiBundle[]> = {
    patch_embed: patchBundles,
    msa_block: msaBundles,
    ffn_block: ffnBundles,
    vit_block: vitBundles,
  };
  return bundles[kernel](weightPorts);
}

function slrList(m: Memory): (number | null)[] {
  if (m.slr === undefined) return Array.from({ length: m.count }, () => null);
  if (Array.isArray(m.slr)) return m.slr;
  return Array.from({ length: m.count }, () => m.slr as number);
}

/** v++ bank tag of channel `i`: PS HP ports are HP0..HP3; a single bank is its bare tag; otherwise TAG[i]. */
export function bankName(m: Memory, i: number): string {
  if (m.kind === 'ps-ddr') return `${m.bank_prefix}${i}`;
  if (m.count === 1) return m.bank_prefix;
  return `${m.bank_prefix}[${i}]`;
}

/** Every bank of the board, in board order. */
export function boardBanks(board: Board): Bank[] {
  return board.memory.flatMap((m) => {
    const slrs = slrList(m);
    return Array.from({ length: m.count }, (_, i) => ({
      name: bankName(m, i),
      kind: m.kind,
      channel: i,
      slr: slrs[i],
    }));
  });
}

export function slrCount(board: Board): number {
  return board.slrs?.length ?? 1;
}


function computeUnitCount(design: Design, k: KernelName): number {
  return k === 'patch_embed' ? 1 : design.computeUnits[k];
}

/**
 * Assigns every CU's m_axi bundles to banks and every CU to its SLR.
 *
 * All activation bundles share one bank and all weight bundles another: the kernels pass
 * activation buffers to each other (patch_embed -> msa_block -> ffn_block) and read one packed
 * weight buffer, and XRT can only hand a buffer to ports connected to the bank it lives in. The
 * kernels run one after another, so sharing costs no bandwidth; two banks (when the board has
 * two) keep weight bursts and activation traffic apart. The banks are taken near the SLR that
 * holds most CUs. With P weight ports, weight port k of every CU is on the (k+1)-th nearest bank
 * (cyclically): P distinct channels, so the weights stream at P times one port's rate; port 0
 * keeps the single-port bank, and only when P is the whole group does the last port share the
 * activations' bank (the activations move little next to the weights).
 */
export function assignConnectivity(design: Design): Connectivity {
  const board = design.board;
  const nSlr = slrCount(board);
  checkPlacement(design);
  const perSlr = new Array<number>(nSlr).fill(0);
  const kernels = designKernels(design);
  for (const k of kernels) perSlr[design.placement[k]] += computeUnitCount(design, k);
  const homeSlr = perSlr.indexOf(Math.max(...perSlr));

  const mem = kernelMemory(board);
  const slrs = slrList(mem);
  const order = Array.from({ length: mem.count }, (_, i) => i).sort((a, b) => {
    const da = slrs[a] === null ? 0 : Math.abs((slrs[a] as number) - homeSlr);
    const db = slrs[b] === null ? 0 : Math.abs((slrs[b] as number) - homeSlr);
    return da - db || a - b;
  });
  const activationBank = bankName(mem, order[0]);
  // a kernel with P weight ports uses the first P of these banks
  const ports = designWeightPorts(design);
  const weightBanks = Array.from({ length: Math.max(...kernels.map((k) => ports[k])) }, (_, k) =>
    bankName(mem, order[order.length > 1 ? (1 + k) % order.length : 0]),
  );
  const weightBank = weightBanks[0];

  const span = (k: KernelName) => (k === 'patch_embed' ? 1 : design.span[k]);
  const computeUnits: ComputeUnit[] = [];
  for (const k of kernels) {
    for (let n = 1; n <= computeUnitCount(design, k); n++) {
      computeUnits.push({
        kernel: k,
        name: `${k}_${n}`,
        // a CU spanning SLRs gets no slr= line: Vivado places it across them (UG1393)
        slr: nSlr > 1 && span(k) === 1 ? design.placement[k] : null,
        spans: span(k) > 1 ? { first: design.placement[k], last: design.placement[k] + span(k) - 1 } : null,
        ports: kernelBundles(k, ports[k]).map((b) => ({
          bundle: b.name,
          port: `m_axi_${b.name}`,
          role: b.role,
          bank: b.role === 'weights' ? weightBanks[weightPortIndex(b.name)] : activationBank,
        })),
      });
    }
  }
  return { computeUnits, clockHz: Math.round(design.shared.clockMhz * 1e6), activationBank, weightBank, weightBanks };
}

/** Port index of a weight bundle: gmem_w (the only one) is 0, gmem_w<k> is k. */
function weightPortIndex(bundle: string): number {
  const m = /^gmem_w(\d*)$/.exec(bundle);
  if (!m) throw new Error(`${bundle} is not a weight bundle`);
  return m[1] === '' ? 0 : Number(m[1]);
}
