// The search's energy objective and power cap (predicted figures of src/design/power.ts).
import { describe, expect, test } from '@jest/globals';
import { loadModel } from '../../src/model/config.js';
import { runSearch, type SearchOptions } from '../../search/index.js';
import { splitPowerLimit } from '../../search/options.js';
import { loadBoard } from '../../src/board/load.js';
import { runSearchCompiled } from './compiled.js';
import { tinyBoard } from './helpers.js';

const micro = loadModel('micro');
// micro on ZCU102: the latency design's extra DSPs save less time than their dynamic power costs
// (found by running both objectives on every board; the two differ here)
const board = loadBoard('zcu102');
const opts = (over: Partial<SearchOptions> = {}): SearchOptions => ({
  model: micro,
  modelRef: 'micro',
  board,
  boardRef: 'zcu102',
  objective: 'latency',
  seed: 1,
  // the default GA: a smaller one (30 × 10) missed the latency optimum by 4% here (issue 14's model)
  ...over,
});

describe('search --objective energy', () => {
  // the latency objective's design: the two-stage search is a heuristic (with one GA population,
  // seed 1 landed 1.2% above seeds 2 and 3 here under issue 14's sixth-session model; the default
  // four populations find the fastest of those), and both checks below compare against it
  // (on the compiled code in a child node: test/search/compiled.ts)
  const latency = runSearchCompiled(opts());
  const energy = runSearchCompiled(opts({ objective: 'energy' }));

  test('picks a design with fewer predicted J/image than the latency objective (the two differ here)', () => {
    const jLat = latency.estimate.power!.energyJPerImage;
    const jEn = energy.estimate.power!.energyJPerImage;
    expect(jEn).toBeLessThan(jLat);
    // not faster than the latency design (with per-kernel weight ports the two tie on latency here:
    // the energy design drops a port where it costs no time)
    expect(energy.estimate.latencyMs).toBeGreaterThanOrEqual(latency.estimate.latencyMs);
    // the search's fast scorer and the full estimate agree on the chosen design's energy (the scorer
    // counts the off-chip bytes of one probe design, as for its bandwidth bound: a few hundred bytes apart)
    expect(Math.abs(energy.best.energyJ! / jEn - 1)).toBeLessThan(1e-3);
    expect(Math.abs(energy.best.powerW! / energy.estimate.power!.powerW - 1)).toBeLessThan(1e-3);
    expect(energy.report.objective_unit).toMatch(/J\/image/);
  });

  test('--limit power=W: the chosen design stays under the cap', () => {
    const cap = (latency.estimate.power!.powerW + energy.estimate.power!.powerW) / 2;
    const capped = runSearchCompiled(opts({ powerLimitW: cap }));
    expect(capped.estimate.power!.powerW).toBeLessThanOrEqual(cap);
    // a cap cannot buy speed: no faster than the latency objective's design, up to the two-stage
    // search's own spread (both are heuristic searches: within 1% of the optimum, README; with
    // issue 14's cost model this small GA's latency design is 0.14% slower than the capped one)
    expect(capped.estimate.latencyMs).toBeGreaterThanOrEqual(latency.estimate.latencyMs * 0.99);
    expect(() => runSearchCompiled(opts({ powerLimitW: 0.01 }))).toThrow(/no room|no design that fits/);
  });

  test('a board without power facts refuses the energy objective in one line', () => {
    expect(() => runSearch(opts({ board: tinyBoard(), objective: 'energy' }))).toThrow(
      /board tiny has no power facts/,
    );
  });
});

test('--limit parsing: power=W is taken out of the utilisation limits', () => {
  expect(splitPowerLimit('dsp=0.5,power=25W')).toEqual({ rest: 'dsp=0.5', powerW: 25 });
  expect(splitPowerLimit('power=7.5')).toEqual({ rest: undefined, powerW: 7.5 });
  expect(() => splitPowerLimit('power=-3')).toThrow(/power=-3 must be a positive number of watts/);
  expect(() => splitPowerLimit('power=3,power=4')).toThrow(/contradictory limits for power/);
});
