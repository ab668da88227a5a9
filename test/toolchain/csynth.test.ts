/** csynth.xml parsing (fixtures in test/fixtures/csynth/), reports/synth.json, predicted vs synthesised. */
import { afterAll, describe, expect, test } from '@jest/globals';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareWithPrediction, formatComparison, type Prediction } from '../../src/toolchain/compare.js';
import {
  collectSynthReport,
  parseCsynthXml,
  readCsynthXml,
  readSynthReport,
  writeSynthReport,
} from '../../src/toolchain/csynth.js';
import { parseXml } from '../../src/toolchain/xml.js';
import { readSynth } from '../../src/report/read/synth.js';
import { UserError } from '../../src/util/errors.js';
import { packageRoot } from '../../src/util/paths.js';

const fixtures = join(packageRoot, 'test', 'fixtures', 'csynth');
const tmp = mkdtempSync(join(tmpdir(), 'ubimoe-csynth-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('parseCsynthXml', () => {
  test('reads clock, latency, interval, used and available resources of a Vitis HLS 2022.2 report', () => {
    const k = readCsynthXml(join(fixtures, 'u280', 'msa_block.xml'));
    expect(k).toMatchObject({
      top: 'msa_block',
      part: 'xcu280-fsvh2892-2L-e',
      toolVersion: '2022.2',
      targetClockNs: 3.33,
      estimatedClockNs: 2.851,
      estimatedFmaxMhz: 350.8,
      latency: { best: 62015, average: 62015, worst: 62015 },
      interval: { min: 62016, max: 62016 },
      used: { dsp: 1120, bram18: 212, uram: 16, lut: 121877, ff: 160552 },
      available: { dsp: 9024, bram18: 4032, uram: 960, lut: 1303680, ff: 2607360 },
    });
  });

  test('an older report: DSP48E, no URAM element (counted as 0)', () => {
    const k = readCsynthXml(join(fixtures, 'variants', 'dsp48e_no_uram.xml'));
    expect(k.used).toEqual({ dsp: 200, bram18: 30, uram: 0, lut: 28000, ff: 30000 });
    expect(k.available?.dsp).toBe(2520);
    expect(k.latency).toEqual({ best: 9000, average: 9000, worst: 9500 });
  });

  test('"undef" latencies (variable trip counts) become null', () => {
    const k = readCsynthXml(join(fixtures, 'variants', 'undef_latency.xml'));
    expect(k.latency).toEqual({ best: 20482, average: null, worst: null });
    expect(k.interval).toEqual({ min: 20483, max: null });
  });

  test.each([
    [
      'malformed.xml',
      /malformed\.xml: not well-formed XML: line \d+: end tag <\/SummaryOfTiming> does not match <SummaryOfTimingAnalysis> \(line \d+\)/,
    ],
    ['truncated.xml', /truncated\.xml: not well-formed XML: line \d+: <\w+> \(line \d+\) is never closed/],
    [
      'missing_clock.xml',
      /missing_clock\.xml: PerformanceEstimates\/SummaryOfTimingAnalysis\/EstimatedClockPeriod is missing/,
    ],
    ['bad_number.xml', /bad_number\.xml: AreaEstimates\/Resources\/DSP: 'many' is not a non-negative number/],
    [
      'not_profile.xml',
      /not_profile\.xml: not a Vitis HLS csynth report \(root element <report>, expected <profile>\)/,
    ],
  ])('%s: one clear line', (file, message) => {
    let err: unknown;
    try {
      readCsynthXml(join(fixtures, 'variants', file));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  });

  test('a file that does not exist, and text that is not XML', () => {
    expect(() => readCsynthXml(join(tmp, 'nope.xml'))).toThrow(/nope\.xml: no such file/);
    expect(() => parseCsynthXml('csynth ok', 'x.xml')).toThrow(
      /x\.xml: not well-formed XML: line 1: text outside the root element/,
    );
  });
});

describe('the XML reader', () => {
  test('entities, CDATA, comments, attributes, self-closing elements', () => {
    const root = parseXml(
      `<?xml version="1.0"?>\n<!-- c --><a x="1 &amp; 2"><b/><c>&lt;none&gt; &#65;<![CDATA[<raw>]]></c></a>`,
    );
    expect(root.attrs).toEqual({ x: '1 & 2' });
    expect(root.children.map((c) => c.name)).toEqual(['b', 'c']);
    expect(root.children[1].text).toBe('<none> A<raw>');
  });
  test.each([
    ['<a><b></a>', /line 1: end tag <\/a> does not match <b>/],
    ['<a></a><b/>', /a second root element <b>/],
    ['<a>&nbsp;</a>', /unknown entity &nbsp;/],
    ['', /no root element/],
  ])('rejects %s', (text, message) => expect(() => parseXml(text)).toThrow(message));
});

describe('reports/synth.json', () => {
  const project = join(tmp, 'project');
  for (const k of ['patch_embed', 'msa_block', 'ffn_block']) {
    mkdirSync(join(project, 'build', 'hls', k, 'sol', 'syn', 'report'), { recursive: true });
    cpSync(
      join(fixtures, 'u280', `${k}.xml`),
      join(project, 'build', 'hls', k, 'sol', 'syn', 'report', 'csynth.xml'),
    );
  }

  test('collects every kernel of a project, writes and reads it back', () => {
    const report = collectSynthReport(project);
    expect(Object.keys(report.kernels)).toEqual(['patch_embed', 'msa_block', 'ffn_block']);
    expect(report.kernels.patch_embed?.source).toBe('build/hls/patch_embed/sol/syn/report/csynth.xml');
    const path = writeSynthReport(project, report);
    expect(path).toBe(join(project, 'reports', 'synth.json'));
    expect(readSynthReport(project)).toEqual(report);
  });

  test('ubimoe report reads what the build writes', () => {
    const summary = readSynth(join(project, 'reports', 'synth.json'));
    expect(summary?.kernels.map((k) => [k.name, k.latencyWorst, k.resources.dsp])).toEqual([
      ['patch_embed', 13650, 260],
      ['msa_block', 62015, 1120],
      ['ffn_block', 118000, 1056],
    ]);
  });

  test('finds a report v++ -c left in its temp dir, by its top name', () => {
    const other = join(tmp, 'vpp-project');
    const deep = join(
      other,
      'build',
      'hw',
      '_x_compile',
      'msa_block',
      'msa_block',
      'msa_block',
      'solution',
      'syn',
      'report',
    );
    mkdirSync(deep, { recursive: true });
    cpSync(join(fixtures, 'u280', 'msa_block.xml'), join(deep, 'csynth.xml'));
    const report = collectSynthReport(other);
    expect(Object.keys(report.kernels)).toEqual(['msa_block']);
  });

  test('a project without synthesis results, a broken synth.json', () => {
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    expect(() => collectSynthReport(empty)).toThrow(
      /no csynth\.xml under build\/ \(run: ubimoe build --project .* --target csynth\)/,
    );
    expect(readSynthReport(empty)).toBeNull();
    mkdirSync(join(empty, 'reports'));
    writeFileSync(join(empty, 'reports', 'synth.json'), '{"kernels": []}');
    expect(() => readSynthReport(empty)).toThrow(/not a ubimoe synthesis report/);
  });
});

describe('compareWithPrediction', () => {
  const synth = collectSynthReport(join(tmp, 'project'));
  const prediction: Prediction = {
    msa_block: { cycles: 50000, resources: { dsp: 1000, bram18: 200, uram: 16, lut: 100000, ff: 150000 } },
    ffn_block: { cycles: 100000, resources: { dsp: 1056, bram18: 250, uram: 0, lut: 120000, ff: 150000 } },
  };

  test('rows per kernel present on both sides, ratio = synthesised / predicted', () => {
    const rows = compareWithPrediction(prediction, synth, 300);
    expect(new Set(rows.map((r) => r.kernel))).toEqual(new Set(['msa_block', 'ffn_block']));
    expect(rows.find((r) => r.kernel === 'msa_block' && r.metric === 'latency_cycles')).toEqual({
      kernel: 'msa_block',
      metric: 'latency_cycles',
      predicted: 50000,
      synthesised: 62015,
      ratio: 62015 / 50000,
    });
    expect(rows.find((r) => r.kernel === 'ffn_block' && r.metric === 'dsp')?.ratio).toBe(1);
    // predicted 0 URAM: no ratio
    expect(rows.find((r) => r.kernel === 'ffn_block' && r.metric === 'uram')?.ratio).toBeNull();
    expect(rows.find((r) => r.kernel === 'msa_block' && r.metric === 'clock_mhz')).toMatchObject({
      predicted: 300,
      synthesised: 350.8,
    });
  });

  test('formats as a table', () => {
    const text = formatComparison(compareWithPrediction(prediction, synth, 300));
    expect(text.split('\n')[0]).toMatch(/^kernel +metric +predicted +synthesised +synth\/pred$/);
    expect(text).toMatch(/^msa_block +latency_cycles +50,000 +62,015 +1\.24$/m);
    expect(text).toMatch(/^ffn_block +uram +0 +32 +-$/m);
  });
});
