/**
 * The values that saturated in a C-simulation's datapath (hls/csim/ubimoe_csim/saturation.h): the
 * runner prints a line per format (`csim: saturated ap_fixed<24,8>: 12`); here they are named by
 * the design's saturating types (config.h's act_t, lin_in_t, qkv_t, score_t, a LayerNorm's dn_t:
 * types with the same format share a count) and said in one line.
 */
import type { Design } from '../design/design.js';
import { renderContext, type RenderContext } from '../generate/context.js';

export interface Saturation {
  format: string; // ap_fixed<W,I> or ap_ufixed<W,I>
  count: number;
}

/** A runner line's saturation count, or null when the line is something else. */
export function parseSaturation(line: string): Saturation | null {
  const m = /^csim: saturated (ap_u?fixed<\d+,\d+>): (\d+)$/.exec(line.trim());
  return m ? { format: m[1], count: Number(m[2]) } : null;
}

/** A saturating C++ type spelling's format (`ap_fixed<24,8,AP_RND,AP_SAT>` -> `ap_fixed<24,8>`), or null. */
function saturatingFormat(spelling: string): string | null {
  const m = /^(ap_u?fixed<\d+,\d+),AP_[A-Z_]+,AP_SAT[A-Z_]*>$/.exec(spelling.replace(/\s+/g, ''));
  return m ? `${m[1]}>` : null;
}

/** The design's saturating types by format: each format's typedef names, in config.h's order. */
export function saturatingTypes(ctx: Pick<RenderContext, 'globalTypes' | 'kernels'>): Map<string, string[]> {
  const byFormat = new Map<string, string[]>();
  const types = [...ctx.globalTypes, ...Object.values(ctx.kernels).flatMap((k) => k!.structs.flatMap((s) => s.types))];
  for (const t of types) {
    const format = saturatingFormat(t.type);
    if (!format) continue;
    const names = byFormat.get(format) ?? [];
    if (!names.includes(t.name)) names.push(t.name);
    byFormat.set(format, names);
  }
  return byFormat;
}

/** Counts keyed by the types' names (`act_t/lin_in_t`), for reports/accuracy.json; {} when none saturated. */
export function saturationJson(counts: Saturation[], types: Map<string, string[]>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of counts) out[(types.get(s.format) ?? [s.format]).join('/')] = s.count;
  return out;
}

/** One line: which types saturated how often over `images` image(s), or that none did. */
export function saturationText(counts: Saturation[], types: Map<string, string[]>, images: number): string {
  const hit = counts.filter((s) => s.count > 0);
  if (hit.length === 0) {
    const names = [...types.values()].flat();
    return `no value saturated in the datapath (${names.length ? names.join(', ') : 'no saturating type'})`;
  }
  const total = hit.reduce((a, s) => a + s.count, 0);
  const parts = hit
    .sort((a, b) => b.count - a.count)
    .map((s) => `${s.count.toLocaleString('en-US')} ${(types.get(s.format) ?? ['?']).join('/')} (${s.format})`);
  return (
    `${total.toLocaleString('en-US')} value(s) saturated in the datapath over ${images} image(s): ${parts.join(', ')}; ` +
    'the design clamps them, so its output drifts from the reference: widen those types (precision) or check the input'
  );
}

/** What a C-simulation of `design` over `images` image(s) saturated: its line, its JSON, whether any value did. */
export function saturationReport(
  counts: Saturation[],
  design: Design,
  images: number,
  complete = true, // false: some images' counts were lost (a runner killed before it could print them)
): { text: string; json: Record<string, number>; saturated: boolean } {
  const types = saturatingTypes(renderContext(design));
  const lost = complete ? '' : ' (not counted: the images of a runner that was killed)';
  return {
    text: saturationText(counts, types, images) + lost,
    json: saturationJson(counts, types),
    saturated: counts.some((s) => s.count > 0),
  };
}

/** Where `report`'s line goes: a warning on stderr when a value saturated, else a note on stdout. */
export function writeSaturation(report: { text: string; saturated: boolean }): void {
  if (report.saturated) process.stderr.write(`ubimoe: warning: csim: ${report.text}\n`);
  else process.stdout.write(`csim: ${report.text}\n`);
}
