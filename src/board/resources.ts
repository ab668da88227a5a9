import { RESOURCE_KEYS, type Board, type Memory, type Resources } from './schema.js';

/** Adds resource counts key by key. */
export function addResources(...rs: Resources[]): Resources {
  const out: Resources = { dsp: 0, bram18: 0, uram: 0, lut: 0, ff: 0 };
  for (const r of rs) for (const k of RESOURCE_KEYS) out[k] += r[k];
  return out;
}

/** Number of SLRs kernels can be placed on (1 for monolithic devices). */
export function slrCount(board: Board): number {
  return board.slrs?.length ?? 1;
}

/**
 * What kernels may use on each SLR: the platform's dynamic region per SLR when given, else the
 * whole device minus the shell as a single region.
 */
export function slrResources(board: Board): Resources[] {
  if (board.slrs) return board.slrs.map((s) => ({ ...s }));
  const out = { ...board.resources };
  for (const k of RESOURCE_KEYS) out[k] = Math.max(0, out[k] - (board.shell?.[k] ?? 0));
  return [out];
}

/** What kernels may use on the whole device (sum over SLRs). */
export function kernelResources(board: Board): Resources {
  return addResources(...slrResources(board));
}

/** The SLR each channel of a memory group is attached to (undefined when the board does not say). */
export function channelSlrs(m: Memory): Array<number | undefined> {
  if (m.slr === undefined) return Array(m.count).fill(undefined);
  if (Array.isArray(m.slr)) return [...m.slr];
  return Array(m.count).fill(m.slr);
}

/** Memory channels a kernel placed on `slr` reaches without crossing SLRs (all, if none is local). */
export function localMemory(board: Board, slr: number): Array<{ memory: Memory; channels: number }> {
  const local = board.memory
    .map((memory) => ({
      memory,
      channels: channelSlrs(memory).filter((s) => s === undefined || s === slr).length,
    }))
    .filter((x) => x.channels > 0);
  return local.length ? local : board.memory.map((memory) => ({ memory, channels: memory.count }));
}

/** Total off-chip bandwidth of the board in GB/s. */
export function totalBandwidthGBps(board: Board): number {
  return board.memory.reduce((a, m) => a + m.count * m.gbps_each, 0);
}

/**
 * The memory group the kernels use: the group with the most bandwidth (HBM on U280/U50, DDR on
 * U250, the HP ports on Zynq). Its channel count bounds a design's weight_ports.
 */
export function kernelMemory(board: Board): Memory {
  const usable = board.memory.filter((m) => m.kind !== 'plram');
  const pool = usable.length ? usable : board.memory;
  return pool.reduce((best, m) => (m.count * m.gbps_each > best.count * best.gbps_each ? m : best));
}
