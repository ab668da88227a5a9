/**
 * gate.h route's running order of the experts (busiest, idlest, second busiest, ...), compiled
 * with g++, against the cost model's expertRunOrder: the deep-FIFO expert phase
 * (ffn_block.ts expertPhaseCycles) costs the experts in that order.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expertRunOrder } from '../../src/kernels/costModel.js';
import { hlsDir, packageRoot } from '../../src/util/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'ubimoe-route-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Deterministic pseudo-random routings: uniform, skewed to a few experts, and with ties. */
function routings(): number[][][] {
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const cases: number[][][] = [];
  for (let c = 0; c < 40; c++) {
    const rows = 1 + Math.floor(rnd() * 200);
    const hot = 1 + Math.floor(rnd() * 16); // experts the skewed cases draw from
    cases.push(
      Array.from({ length: rows }, () => {
        const a = Math.floor(rnd() * (c % 2 ? hot : 16));
        let b = Math.floor(rnd() * 16);
        if (b === a) b = (a + 1) % 16;
        return [a, b];
      }),
    );
  }
  // ties: every expert the same count, and two pairs of equal counts
  cases.push(Array.from({ length: 8 }, (_, t) => [2 * t, 2 * t + 1]));
  cases.push([[0, 1], [0, 1], [2, 3], [2, 3], [4, 5]]);
  return cases;
}

describe('MoE routing: the experts run busiest, idlest, second busiest, ...', () => {
  test('gate.h route lists the active experts in expertRunOrder', () => {
    const exe = join(tmp, 'route');
    execFileSync('g++', [
      '-std=c++17',
      '-O1',
      '-Wall',
      '-Wno-unknown-pragmas',
      '-Wno-unused-label',
      `-I${join(hlsDir, 'include')}`,
      `-I${join(hlsDir, 'csim')}`,
      join(packageRoot, 'test', 'csim', 'route.cpp'),
      '-o',
      exe,
    ]);
    const cases = routings();
    const input = cases.map((r) => `${r.length}\n${r.map((c) => c.join(' ')).join('\n')}`).join('\n');
    const out = JSON.parse(execFileSync(exe, { input, encoding: 'utf8' })) as Array<{ counts: number[]; order: number[] }>;
    expect(out).toHaveLength(cases.length);
    let skewed = 0;
    for (const [i, r] of out.entries()) {
      const counts = new Array(16).fill(0);
      for (const c of cases[i]) for (const e of c) counts[e]++;
      expect(r.counts).toEqual(counts);
      expect(r.order).toEqual(expertRunOrder(counts));
      if (Math.max(...counts) > 3 * Math.min(...counts.filter((n) => n > 0))) skewed++;
    }
    expect(skewed).toBeGreaterThan(10);
  });

  test('expertRunOrder: busiest, idlest, ...; ties by index; idle experts not listed', () => {
    expect(expertRunOrder([1, 61, 0, 0, 24, 98, 0, 5, 29, 2, 1, 0, 0, 0, 2, 35])).toEqual([5, 10, 1, 0, 15, 14, 8, 9, 4, 7]);
    expect(expertRunOrder([3, 3, 3])).toEqual([0, 2, 1]);
    expect(expertRunOrder([0, 0])).toEqual([]);
    expect(expertRunOrder([7])).toEqual([0]);
  });
});
