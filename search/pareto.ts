/** Pareto front of (latency, DSP) over the feasible designs a search looked at. */
export interface FrontPoint {
  latencyMs: number;
  dsp: number;
  genome: number[];
}

/** Points no other point beats on both latency and DSP (ties keep the first), sorted by DSP. */
export function paretoFront<T extends FrontPoint>(points: T[]): T[] {
  const sorted = [...points].sort((a, b) => a.dsp - b.dsp || a.latencyMs - b.latencyMs);
  const front: T[] = [];
  let bestLatency = Infinity;
  for (const p of sorted) {
    if (p.latencyMs < bestLatency) {
      front.push(p);
      bestLatency = p.latencyMs;
    }
  }
  return front;
}
