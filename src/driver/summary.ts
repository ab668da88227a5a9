/** Throughput and latency figures of a run, and the one summary line `ubimoe run` prints. */

export interface RunSummary {
  count: number;
  wallMs: number;
  perSecond: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function summarise(latenciesMs: number[], wallMs: number): RunSummary {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const n = sorted.length;
  return {
    count: n,
    wallMs,
    perSecond: wallMs > 0 ? (1000 * n) / wallMs : 0,
    meanMs: n ? sorted.reduce((a, b) => a + b, 0) / n : 0,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
  };
}

function ms(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v < 10 ? 2 : 0)} ms`;
}

export function formatSummary(s: RunSummary, what: string, how: string): string {
  return (
    `${s.count} ${what} in ${ms(s.wallMs)} (${how}): ${s.perSecond.toFixed(2)} ${what}/s, ` +
    `latency mean ${ms(s.meanMs)}, p50 ${ms(s.p50Ms)}, p99 ${ms(s.p99Ms)}`
  );
}
