import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configValues, lintBanks } from '../../src/generate/banks.js';
import {
  fatalIssues,
  formatIssues,
  KNOWN_SITES,
  lintProject,
  lintRecursion,
  lintSource,
  stripCode,
} from '../../src/generate/lint.js';
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
    expect(formatIssues(fatalIssues(issues))).toBe('');
    // patch_embed's own code (issue 13 item 7) is not on the known list: it is clean
    expect(issues.filter((i) => /patch/.test(i.file))).toEqual([]);
  });

  test('patch_embed with tile_in = 1 and w8a8 (4 pixels a word per patch row) is clean', () => {
    for (const [name, design] of [
      ['tile1', testDesign('micro', 'u280', { patch_embed: { tile_in: 1 } })],
      ['w8a8', testDesign('m3vit-tiny', 'u280', {}, { precision: 'w8a8' })],
    ] as const) {
      const dir = join(tmp, name);
      generateProject(design, dir);
      expect(formatIssues(lintProject(dir).filter((i) => /patch/.test(i.file)))).toBe('');
    }
  });

  test('no factor-1 partitions, and URAM bound where the model prices it (issue 13 items 8, 9)', () => {
    // one lane, tiles of 1 on patch_embed: every factor-1 partition left out
    const dir = join(tmp, 'lanes1');
    generateProject(
      testDesign('m3vit-tiny', 'u280', {
        patch_embed: { tile_in: 1 },
        msa_block: { token_lanes: 1 },
        ffn_block: { token_lanes: 1 },
      }),
      dir,
    );
    const sources = ['patch_embed', 'msa_block', 'ffn_block'].map((k) =>
      readFileSync(join(dir, 'kernels', `${k}.cpp`), 'utf8'),
    );
    for (const text of sources) {
      expect(text).not.toMatch(/factor=1\b/);
      expect(text).not.toMatch(/= 1u?;\n#pragma HLS ARRAY_PARTITION/);
    }
    // m3vit-tiny on u280: the model puts the pixel buffer, qkv, hidden and res in URAM
    expect(sources[0]).toMatch(/BIND_STORAGE variable=patches type=ram_t2p impl=uram/);
    expect(sources[1]).toMatch(/BIND_STORAGE variable=qkv type=ram_t2p impl=uram/);
    expect(sources[2]).toMatch(/BIND_STORAGE variable=hidden type=ram_t2p impl=uram/);
    expect(sources[2]).toMatch(/BIND_STORAGE variable=res type=ram_t2p impl=uram/);
  });

  test('msa with 6 and 7 token lanes: qkv and o in the lane layout, no memory-port finding (issue 13 item 1)', () => {
    for (const [name, design] of [
      ['msa-l6', testDesign('micro', 'u280', { msa_block: { token_lanes: 6, q_parallel: 5, key_block: 4 } })],
      // the searched m3vit-tiny design on zcu102: msa 8 x 4 x 7 lanes, 15 query rows, 4-key blocks
      [
        'msa-l7',
        testDesign('m3vit-tiny', 'zcu102', {
          msa_block: { tile_in: 8, tile_out: 4, token_lanes: 7, q_parallel: 15, key_block: 4 },
        }),
      ],
    ] as const) {
      const dir = join(tmp, name);
      generateProject(design, dir);
      expect(formatIssues(lintProject(dir).filter((i) => /attention|msa/.test(i.file)))).toBe('');
      // the hazard put back: qkv's and o's lanes cyclic by the lane count instead of complete. The
      // reader's run-time row meets it; the finish writes o by an unrolled lane index (a static
      // bank whatever the partition), so o's mutation finds nothing there
      const kernel = join(dir, 'kernels', 'msa_block.cpp');
      const text = readFileSync(kernel, 'utf8');
      const lanes = design.kernels.msa_block.token_lanes;
      for (const [arr, site, finds] of [
        ['qkv', 'attention_reader/rows', true],
        ['o', 'attention_finish/lane_writes', false],
      ] as const) {
        const pragma = `#pragma HLS ARRAY_PARTITION variable=${arr} complete dim=2`;
        expect(text).toContain(pragma);
        writeFileSync(kernel, text.replace(pragma, pragma.replace('complete', `cyclic factor=${lanes}`)));
        const found = lintProject(dir)
          .filter((i) => i.rule === 'pow2-factor' && !i.known)
          .map((i) => `${i.file} ${i.site}`);
        if (finds) expect(found).toContain(`include/ubimoe/attention.h ${site}`);
        else expect(found.filter((s) => s.includes('attention_finish'))).toEqual([]);
      }
      writeFileSync(kernel, text);
    }
  });

  test('every known site names a library header and a reason', () => {
    for (const k of KNOWN_SITES) {
      expect(k.file).toMatch(/^(include\/ubimoe\/[a-z]+\.h|kernels\/[a-z_]+\.cpp)$/);
      expect(k.file).not.toMatch(/patch/);
      expect(k.why.length).toBeGreaterThan(5);
    }
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

  // ---- the memory-port rules (docs/hls-rules.md): each hazard is flagged, its fix is not ----
  const CONFIG = [
    'struct eng_cfg {',
    '  static const unsigned LANES = 3u;',
    '  static const unsigned TILE = 8u;',
    '  static const unsigned ROWS = 12u;',
    '};',
    'struct eng4_cfg {',
    '  static const unsigned LANES = 4u;',
    '  static const unsigned TILE = 8u;',
    '  static const unsigned ROWS = 12u;',
    '};',
  ].join('\n');
  const banks = (src: string) =>
    lintBanks([{ file: 'x.h', code: stripCode(src) }], configValues(CONFIG)).map((i) => i.rule);

  test('arg-partition: a partition pragma on a function argument', () => {
    const bad =
      'void f(int a[16][8]) {\n#pragma HLS ARRAY_PARTITION variable=a cyclic factor=4 dim=2\n  a[0][0] = 1;\n}';
    const good =
      'void f() {\n  static int a[16][8];\n#pragma HLS ARRAY_PARTITION variable=a cyclic factor=4 dim=2\n  a[0][0] = 1;\n}';
    expect(banks(bad)).toContain('arg-partition');
    expect(banks(good)).toEqual([]);
  });

  // gather_patches before issue 13 item 7: a word's pixels land at x % P (a bank that depends on
  // the run-time word index), and with tile_in = 1 in an array with no banks at all
  const gather = (factor: number, index: string) =>
    [
      'void g(const unsigned *pixels) {',
      '  static int p[4][64];',
      `  const unsigned f = ${factor};`,
      '#pragma HLS ARRAY_PARTITION variable=p cyclic factor=f dim=2',
      '  for (unsigned w = 0; w < 32; w++) {',
      '#pragma HLS PIPELINE II=1',
      '    const unsigned word = pixels[w];',
      '    int fields[8];',
      '    for (unsigned l = 0; l < 8; l++) {',
      '      fields[l] = word >> l;',
      '      const unsigned x = w * 8 + l;',
      `      p[w / 8][${index}] = fields[l];`,
      '    }',
      '  }',
      '}',
    ].join('\n');
  test('bank-index: an unrolled lane through a modulo, or into an array without banks', () => {
    expect(banks(gather(8, 'x % 16'))).toContain('bank-index');
    expect(banks(gather(1, '(w % 8) * 8 + l'))).toContain('bank-index'); // tile_in = 1: 8 writes, 1 bank
    expect(banks(gather(4, '(w % 8) * 8 + l'))).toContain('bank-index'); // 8 lanes, 4 banks
    expect(banks(gather(8, '(w % 8) * 8 + l'))).toEqual([]); // lane l is bank l
  });

  const lanes = (cfg: string) =>
    [
      'template <class CFG>',
      'void h(int out[CFG::ROWS][CFG::TILE], unsigned n) {',
      '  for (unsigned g = 0; g < n; g++) {',
      '#pragma HLS LOOP_TRIPCOUNT min=1 max=4',
      '    UBIMOE_PIPELINE(1, 3);',
      '    for (unsigned l = 0; l < CFG::LANES; l++) {',
      '      const unsigned r = g * CFG::LANES + l;',
      '      out[r][0] = r;',
      '    }',
      '  }',
      '}',
      'void top(unsigned n) {',
      '  static int rows[12][8];',
      `  const unsigned lanes = ${cfg}::LANES;`,
      '#pragma HLS ARRAY_PARTITION variable=rows cyclic factor=lanes dim=1',
      `  h<${cfg}>(rows, n);`,
      '}',
    ].join('\n');
  test('pow2-factor: a cyclic factor of 3 meets the run-time row index (followed into the callee)', () => {
    expect(banks(lanes('eng_cfg'))).toContain('pow2-factor');
    expect(banks(lanes('eng4_cfg'))).toEqual([]);
  });

  const rom = (units: number, bind: string) =>
    [
      'static const unsigned TABLE[64] = {1, 2, 3};',
      bind,
      'unsigned look(unsigned i) { return TABLE[i] + TABLE[i + 1]; }',
      'void k(const unsigned x[16][8], unsigned y[16][8]) {',
      '  for (unsigned r = 0; r < 16; r++) {',
      '    UBIMOE_PIPELINE(1, 3);',
      `    for (unsigned l = 0; l < ${units}; l++) {`,
      '      y[r][l] = look(x[r][l]);',
      '    }',
      '  }',
      '}',
    ].join('\n');
  test('rom-replication: a ROM table read by more than 2 units per cycle', () => {
    expect(banks(rom(8, ''))).toContain('rom-replication');
    expect(banks(rom(8, '#pragma HLS BIND_STORAGE variable=TABLE type=rom_np'))).not.toContain(
      'rom-replication',
    );
    expect(banks(rom(2, ''))).not.toContain('rom-replication');
  });
});
