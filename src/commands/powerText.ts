/** The predicted power lines of `ubimoe estimate` (and of the search summary). */
import type { DesignEstimate } from '../design/estimate.js';

const w = (x: number) => (x >= 10 ? x.toFixed(1) : x >= 0.1 ? x.toFixed(2) : x.toFixed(3));

export function formatPower(e: Pick<DesignEstimate, 'power'>): string {
  const p = e.power;
  if (!p)
    return 'predicted power: unknown (the board file has no power facts: power: {static_w, platform_w})\n';
  const kernelsW = p.kernels.reduce((a, k) => a + k.w - k.clockW, 0);
  let out =
    `predicted power ${w(p.powerW)} W (static ${w(p.staticW)}, platform ${w(p.platformW)}, clocks ${w(p.clockW)}, ` +
    `kernels ${w(kernelsW)}, interconnect ${w(p.interconnectW)}, ${p.memoryKind} traffic ${w(p.memoryW)}), ` +
    `${p.energyJPerImage.toPrecision(3)} J/image, ${p.imagesPerJ.toPrecision(3)} images/J, ` +
    `${p.gopsPerW.toPrecision(3)} GOPS/W (one image at a time; a rough estimate, docs/power.md)\n`;
  out +=
    'predicted power per kernel: ' +
    p.kernels
      .map((k) => `${k.name} ${w(k.w)} W (busy ${(100 * k.activity).toFixed(0)}% of the image)`)
      .join(', ') +
    '\n';
  return out;
}
