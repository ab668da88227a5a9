/** The fixed-point exp / reciprocal / rsqrt / GELU of nonlinear.h, compiled with g++ and swept against double. */
import { afterAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hlsDir, packageRoot } from '../../src/util/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'ubimoe-nonlinear-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('fixed-point non-linear functions', () => {
  test('errors against double precision', () => {
    const exe = join(tmp, 'nonlinear');
    const src = join(packageRoot, 'test', 'csim', 'nonlinear.cpp');
    execFileSync('g++', [
      '-std=c++17',
      '-O2',
      '-Wall',
      '-Wno-unknown-pragmas',
      `-I${join(hlsDir, 'include')}`,
      `-I${join(hlsDir, 'csim')}`,
      src,
      '-o',
      exe,
    ]);
    const e = JSON.parse(execFileSync(exe, { encoding: 'utf8' }));
    expect(e.exp_abs).toBeLessThan(2e-7); // ~ one 2^-24 step of the result plus the table error
    expect(e.exp_rel).toBeLessThan(2e-6); // above 0.05, where 2^-24 steps are fine enough
    expect(e.recip_rel).toBeLessThan(1e-6);
    expect(e.rsqrt_rel).toBeLessThan(3e-6);
    expect(e.gelu_abs).toBeLessThan(1e-5);
  });
});
