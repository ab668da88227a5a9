/** `ubimoe report` as a user runs it (the built CLI: `npm test` builds dist/ first). */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/util/paths.js';
import { runCli } from './helpers.js';

const fixtures = join(packageRoot, 'test', 'fixtures', 'report');
let tmp: string;

const ubimoe = (...args: string[]) => runCli(args);

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ubimoe-cli-report-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('ubimoe report', () => {
  test('writes <project>/report.html and prints the predicted-vs-synthesised table', () => {
    const dir = join(tmp, 'full');
    cpSync(join(fixtures, 'u280-full'), dir, { recursive: true });
    const r = ubimoe('report', '--project', dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^predicted vs synthesised \(csynth\)\nkernel +metric +predicted +synthesised +synth\/pred\n/,
    );
    expect(r.stdout).toMatch(/^ffn_block +latency_cycles +[\d,]+ +[\d,]+ +1\.64$/m);
    expect(r.stdout).toMatch(/^msa_block +dsp +[\d,]+ +[\d,]+ +1\.02$/m);
    expect(r.stdout).toContain(`report written to ${join(dir, 'report.html')}\n`);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect((html.match(/<svg /g) ?? []).length).toBe(5);
  });

  test('-o chooses the output; a bare project says what was computed and what is absent, and prints no table', () => {
    const out = join(tmp, 'sub', 'bare.html');
    const r = ubimoe('report', '--project', join(fixtures, 'zcu102-bare'), '-o', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `report written to ${out} (estimate computed from design.yaml; no search, accuracy, synthesis data)\n`,
    );
    expect(existsSync(out)).toBe(true);
    expect(existsSync(join(fixtures, 'zcu102-bare', 'report.html'))).toBe(false);
  });

  test('not a project: exit 2 with one line', () => {
    const r = ubimoe('report', '--project', tmp);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `ubimoe: error: ${tmp}: not a ubimoe project (no design.yaml or manifest.json; create one with ubimoe generate)\n`,
    );
    expect(r.stdout).toBe('');
  });

  test('a malformed report file: exit 2 naming it, and no report.html is written', () => {
    const dir = join(tmp, 'broken');
    cpSync(join(fixtures, 'u280-full'), dir, { recursive: true });
    writeFileSync(join(dir, 'reports', 'accuracy.json'), '{"cosine": ');
    const r = ubimoe('report', '--project', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ubimoe: error: .*reports\/accuracy\.json: not valid JSON: .*\n$/);
    expect(readdirSync(dir).filter((f) => f.includes('report.html'))).toEqual([]);
  });

  test('-o naming a directory: exit 2 with one line', () => {
    const r = ubimoe('report', '--project', join(fixtures, 'zcu102-bare'), '-o', tmp);
    expect(r.code).toBe(2);
    // checked before anything is read (src/util/outputs.ts words it for every command's -o)
    expect(r.stderr).toBe(
      `ubimoe: error: -o ${tmp}: is a directory; give a file name (e.g. ${join(tmp, 'report.html')})\n`,
    );
  });

  test('outside the demo: generate --search-report copies the search into the project, and report shows it', () => {
    const design = join(tmp, 'searched.yaml');
    const search = join(tmp, 'search.json');
    const s = ubimoe('search', '--model', 'micro', '--board', 'zcu102', '-o', design, '--report', search);
    expect({ code: s.code, stderr: s.stderr }).toEqual({ code: 0, stderr: '' });
    const proj = join(tmp, 'searched');
    const g = ubimoe('generate', '--design', design, '-o', proj, '--search-report', search);
    expect({ code: g.code, stderr: g.stderr }).toEqual({ code: 0, stderr: '' });
    expect(g.stdout).toMatch(
      new RegExp(`^generated .*; search report copied to ${join(proj, 'reports', 'search.json')}\n$`),
    );
    expect(readFileSync(join(proj, 'reports', 'search.json'), 'utf8')).toBe(readFileSync(search, 'utf8'));
    const r = ubimoe('report', '--project', proj);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toBe(
      `report written to ${join(proj, 'report.html')} (estimate computed from design.yaml; no accuracy, synthesis data)\n`,
    );
    const html = readFileSync(join(proj, 'report.html'), 'utf8');
    expect(html).toContain('id="chart-pareto"');
    expect(html).toContain('<code>reports/search.json</code>');
    expect(ubimoe('generate', '--help').stdout).toMatch(
      /--search-report <search\.json>\s+the search report of this design/,
    );
  });

  test('generate --search-report refuses a missing, malformed or mismatched report: exit 2, one line, no project', () => {
    const search = join(tmp, 'search-zcu102.json');
    const s = ubimoe(
      'search',
      '--model',
      'micro',
      '--board',
      'zcu102',
      '-o',
      join(tmp, 'd.yaml'),
      '--report',
      search,
    );
    expect({ code: s.code, stderr: s.stderr }).toEqual({ code: 0, stderr: '' });
    const bad = join(tmp, 'bad-search.json');
    writeFileSync(bad, '{"pareto": 3}');
    const cases: Array<[string, RegExp]> = [
      [join(tmp, 'none.json'), /--search-report .*none\.json: no such file/],
      [bad, /bad-search\.json: pareto: Expected array, received number/],
      [search, /search-zcu102\.json: a search for micro on zcu102, but this design is micro on u280/],
    ];
    for (const [file, re] of cases) {
      const out = join(tmp, 'refused');
      const r = ubimoe('generate', '--model', 'micro', '--board', 'u280', '-o', out, '--search-report', file);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(re) });
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
    }
  });

  test('--project is required', () => {
    const r = ubimoe('report');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/required option '--project <dir>' not specified/);
  });
});
