/**
 * reports/cycles.json ("ubimoe-cycles/1", written by `ubimoe csim --cycles` and
 * `ubimoe run --backend csim --cycles`): the timed C-simulation's cycles next to the cost model's
 * prediction, per kernel and stage, and the per-process detail of one MoE block's ffn_block call
 * (the timeline). Null when absent; a UserError naming the file when it is not that format.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cycleRows, imagesFromReport, type CycleRow, type CyclesJson } from '../../toolchain/cycles.js';
import type { ModelDims } from '../../model/config.js';
import { UserError, describeError } from '../../util/errors.js';
import type { CyclesSummary } from '../types.js';

interface Region {
  name: string;
  calls: number;
  cycles: number;
  processes: Array<{ name: string; calls: number; busy: number; stall: number }>;
}

export function readCycles(path: string, rel: string, dims: ModelDims): CyclesSummary | null {
  if (!existsSync(path)) return null;
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`${path}: not valid JSON: ${describeError(err)}`);
  }
  const c = v as CyclesJson & { design_hash?: unknown; predicted?: { per_image?: unknown[] } };
  const ok =
    c &&
    c.format === 'ubimoe-cycles/1' &&
    typeof c.clock_mhz === 'number' &&
    Array.isArray(c.per_image) &&
    c.per_image.length > 0 &&
    c.per_image.every((i) => typeof i?.total_cycles === 'number' && Array.isArray(i.calls) && i.kernels);
  if (!ok) throw new UserError(`${path}: not a ubimoe-cycles/1 report with at least one image`);
  const images = imagesFromReport(c);
  const rows: CycleRow[] = cycleRows(images);
  const predicted =
    Array.isArray(c.predicted?.per_image) && c.predicted.per_image.length === c.per_image.length;

  // the timeline: image 0's ffn_block call of the first MoE block (ffn_block calls go block by block)
  let timeline: CyclesSummary['timeline'] = null;
  const ffn = c.per_image[0].calls.filter((k) => k.kernel === 'ffn_block');
  const block = dims.moeBlocks.findIndex(Boolean);
  const call = block >= 0 && ffn.length === dims.depth ? ffn[block] : undefined;
  const regions = (call as { regions?: Region[] } | undefined)?.regions;
  if (call && Array.isArray(regions) && regions.length > 0) {
    let start = 0;
    timeline = {
      block,
      callCycles: call.cycles,
      groups: regions.map((r) => {
        const g = {
          title: r.calls > 1 ? `${r.name} (${r.calls} calls)` : r.name,
          start,
          cycles: r.cycles,
          rows: r.processes.map((p) => ({ label: p.name, start, busy: p.busy, stall: p.stall })),
        };
        start += r.cycles;
        return g;
      }),
    };
  }
  return {
    file: rel,
    clockMhz: c.clock_mhz,
    images: c.per_image.length,
    designHash: typeof c.design_hash === 'string' ? c.design_hash : undefined,
    hasPrediction: predicted,
    rows,
    timeline,
  };
}
