import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatIssues, lintProject, lintRecursion, lintSource, stripCode } from '../../src/generate/lint.js';
import { generateProject } from '../../src/generate/project.js';
import { testDesign } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'ubimoe-lint-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('synthesisability lint', () => {
  test.each([
    ['micro', 'u280'],
    ['m3vit-tiny', 'u280'],
    ['m3vit-small', 'u280'],
    ['vit-tiny', 'zcu102'],
  ])('the generated %s project on %s is clean', (model, board) => {
    const dir = join(tmp, `${model}-${board}`);
    generateProject(testDesign(model, board), dir);
    const issues = lintProject(dir);
    expect(formatIssues(issues)).toBe('');
  });

  test.each([
    ['int *p = new int[4];', 'heap'],
    ['void f() { int *p = (int *)malloc(4); }', 'heap'],
    ['std::vector<int> v;', 'stl'],
    ['#include <vector>\n', 'include'],
    ['float x;', 'float'],
    ['act_t y = x * 0.5;', 'float'],
    ['void f(unsigned n) { for (unsigned i = 0; i < n; i++) { g(i); } }', 'tripcount'],
  ])('flags %j', (src, rule) => {
    expect(lintSource('x.h', src).map((i) => i.rule)).toContain(rule);
  });

  test('constant bounds, commented code and tripcounted loops pass', () => {
    const src = [
      '// float in a comment, 0.5, new thing',
      'const char *s = "double";',
      'template <class CFG> void f(unsigned rows) {',
      '  const unsigned tiles = CFG::IN / CFG::TILE_IN;',
      '  for (unsigned t = 0; t < tiles; t++) { }',
      '  for (unsigned i = 0; i < CFG::N; i++) { }',
      '  for (unsigned r = 0; r < rows; r++) {',
      '#pragma HLS LOOP_TRIPCOUNT min=1 max=17',
      '  }',
      '}',
    ].join('\n');
    expect(lintSource('x.h', src)).toEqual([]);
    expect(stripCode('a /* b */ "c" // d').length).toBe('a /* b */ "c" // d'.length);
  });

  test('finds recursion, direct and mutual', () => {
    const direct = lintRecursion([{ file: 'a.h', code: 'int f(int n) { return f(n - 1); }' }]);
    expect(direct[0]?.rule).toBe('recursion');
    const mutual = lintRecursion([
      { file: 'a.h', code: 'int g(int n);\nint f(int n) { return g(n); }\nint g(int n) { return f(n); }' },
    ]);
    expect(mutual.length).toBeGreaterThan(0);
    expect(
      lintRecursion([{ file: 'a.h', code: 'int g(int n) { return n; }\nint f(int n) { return g(n); }' }]),
    ).toEqual([]);
  });
});
