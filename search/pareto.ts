/** Pareto front of (latency, DSP) over the feasible designs a search looked at. */
export interface FrontPoint {
  latencyMs: number;
  dsp: number;
  genome: number[];
}

/** Points no other point beats on both latency and DSP (ties keep the first), sorted by DSP. */
export function paretoFront<T extends FrontPoint>(points: T[]): T[] {
  // best latency per DSP count, then a sweep in DSP order
  const byDsp = new Map<number, T>();
  for (const p of points) {
    const q = byDsp.get(p.dsp);
    if (!q || p.latencyMs < q.latencyMs) byDsp.set(p.dsp, p);
  }
  const front: T[] = [];
  let bestLatency = Infinity;
  for (const dsp of [...byDsp.keys()].sort((a, b) => a - b)) {
    const p = byDsp.get(dsp)!;
    if (p.latencyMs < bestLatency) {
      front.push(p);
      bestLatency = p.latencyMs;
    }
  }
  return front;
}
