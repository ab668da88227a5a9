/**
 * The default per-request timeout, scaled from the design's estimate (src/design/estimate.ts):
 * csim work is the image's multiply-accumulates, device time its predicted latency. Generous, so
 * only a runner that is really stuck trips it (override with --timeout / timeoutMs).
 */
import { estimateDesign, macsPerImage } from '../design/estimate.js';
import type { Project } from './project.js';

// csim is bit-accurate fixed point: assume a slow 50 M MAC/s (a sanitizer build, a busy machine;
// a quiet core does ~2 G), then allow 10× that; never less than 30 s. On a device: 100× the
// predicted latency, never less than 10 s (first calls, a busy PCIe link).
const CSIM_MACS_PER_SECOND = 50e6;
const CSIM_SAFETY = 10;
const DEVICE_SAFETY = 100;

export function defaultTimeoutMs(project: Project, backend: 'csim' | 'xrt'): number {
  const design = project.design;
  if (backend === 'csim') {
    const seconds = (CSIM_SAFETY * macsPerImage(design.dims)) / CSIM_MACS_PER_SECOND;
    return Math.max(30_000, Math.round(1000 * seconds));
  }
  let predictedMs: number;
  try {
    predictedMs = estimateDesign(design).latencyMs;
  } catch {
    predictedMs = (1000 * macsPerImage(design.dims)) / 1e9; // a design the estimator refuses: ~1 GMAC/s
  }
  return Math.max(10_000, Math.round(DEVICE_SAFETY * predictedMs));
}
