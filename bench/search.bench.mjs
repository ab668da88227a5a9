#!/usr/bin/env node
// The two-stage search against the exhaustive optimum (issue 5's acceptance figures):
//  1. m3vit-tiny on zcu102 with the clock fixed (300 MHz), objective latency: the exhaustive
//     optimum once, then the two-stage search with 20 seeds: how many land within 1% of it, and
//     how much faster the two-stage search is (CPU time, so a busy machine does not skew it).
//  2. `ubimoe search` for m3vit-tiny on zcu102 and u280 (default options): time and predicted latency.
// Usage: npm run bench -- search   (or: node bench/search.bench.mjs [seeds])
import { cpus } from 'node:os';
import { loadBoard } from '../dist/src/board/load.js';
import { loadModel } from '../dist/src/model/config.js';
import { runSearch } from '../dist/search/index.js';

const seeds = Number(process.argv[2] ?? 20);
const model = loadModel('m3vit-tiny');

/** Runs fn, returning its result with wall and CPU seconds. */
function timed(fn) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = fn();
  const c = process.cpuUsage(c0);
  return { result, wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

const base = {
  model,
  modelRef: 'm3vit-tiny',
  board: loadBoard('zcu102'),
  boardRef: 'zcu102',
  objective: 'latency',
  clockMhz: 300,
};
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'})`);
console.log('\n-- m3vit-tiny on zcu102, clock fixed at 300 MHz, objective latency');
const ex = timed(() => runSearch({ ...base, seed: 0, exhaustive: true }));
const exr = ex.result.report.exhaustive;
console.log(
  `exhaustive: optimum ${ex.result.best.score.toFixed(4)} ms (predicted) in ${ex.cpu.toFixed(1)} s CPU (${ex.wall.toFixed(1)} s wall); ` +
    `space ${exr.points.toExponential(2)} designs, ${exr.kernel_configurations} kernel configurations costed, ${exr.combinations} combinations scored`,
);
let within = 0;
let cpu = 0;
let wall = 0;
const gaps = [];
for (let seed = 1; seed <= seeds; seed++) {
  const r = timed(() => runSearch({ ...base, seed }));
  const gap = r.result.best.score / ex.result.best.score - 1;
  gaps.push(gap);
  if (gap <= 0.01) within++;
  cpu += r.cpu;
  wall += r.wall;
}
gaps.sort((a, b) => a - b);
const pct = (x) => `${(100 * x).toFixed(2)}%`;
console.log(
  `two-stage, ${seeds} seeds: ${within}/${seeds} (${pct(within / seeds)}) within 1% of the optimum ` +
    `(gap median ${pct(gaps[Math.floor(seeds / 2)])}, worst ${pct(gaps[seeds - 1])}); ` +
    `mean ${(cpu / seeds).toFixed(2)} s CPU (${(wall / seeds).toFixed(2)} s wall) per search`,
);
console.log(
  `speed-up over exhaustive: ${(ex.cpu / (cpu / seeds)).toFixed(0)}× (CPU time), ${(ex.wall / (wall / seeds)).toFixed(0)}× (wall)`,
);
console.log(
  `targets: >= 95% within 1% -> ${within / seeds >= 0.95 ? 'met' : 'NOT met'}; >= 50× faster -> ${ex.cpu / (cpu / seeds) >= 50 ? 'met' : 'NOT met'}`,
);

console.log('\n-- ubimoe search --model m3vit-tiny (default options, seed 1)');
for (const board of ['zcu102', 'u280']) {
  const r = timed(() =>
    runSearch({
      model,
      modelRef: 'm3vit-tiny',
      board: loadBoard(board),
      boardRef: board,
      objective: 'latency',
      seed: 1,
    }),
  );
  const e = r.result.estimate;
  console.log(
    `${board}: ${r.wall.toFixed(2)} s wall (${r.cpu.toFixed(2)} s CPU), ${r.result.report.evaluations} designs; predicted ${e.latencyMs.toFixed(3)} ms/image, ` +
      `${e.imagesPerSecond.toFixed(1)} images/s, DSP ${(100 * e.utilisation.dsp).toFixed(1)}%, fits: ${e.fits} (target < 10 s: ${r.wall < 10 ? 'met' : 'NOT met'})`,
  );
}
