import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpy } from '../../src/io/npy.js';
import { comparisonText } from '../../src/report/compare.js';
import { gatherReport } from '../../src/report/gather.js';
import { renderReport } from '../../src/report/html/page.js';
import { packageRoot } from '../../src/util/paths.js';

const fixtures = join(packageRoot, 'test', 'fixtures', 'report');
const opts = { version: '0.0.0-test', now: new Date('2026-01-02T03:04:05Z') };
let tmp: string;

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ubimoe-gather-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

/** int32 .npy bytes (expert choices as `ubimoe csim --experts` writes them). */
function i32npy(shape: number[], data: Int32Array): Buffer {
  let header = `{'descr': '<i4', 'fortran_order': False, 'shape': (${shape.join(', ')}), }`;
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 11, ' ') + '\n';
  const head = Buffer.from([
    0x93,
    0x4e,
    0x55,
    0x4d,
    0x50,
    0x59,
    1,
    0,
    header.length & 0xff,
    header.length >> 8,
  ]);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer)]);
}

/** A copy of a fixture project, to break one file at a time. */
function copy(name: string): string {
  const dir = join(tmp, name);
  cpSync(join(fixtures, name), dir, { recursive: true });
  return dir;
}

describe('gathering a project', () => {
  test('a full project: every section has its data', () => {
    const d = gatherReport(join(fixtures, 'u280-full'), opts);
    expect(d.design.board.name).toBe('u280');
    expect(d.prediction?.kernels.map((k) => k.name)).toEqual(['patch_embed', 'msa_block', 'ffn_block']);
    expect(d.prediction?.stages).toHaveLength(13);
    expect(d.search?.front.length).toBeGreaterThan(5);
    // the search chose this very design: its chosen point is the estimate's
    expect(d.search?.chosen?.dsp).toBe(d.prediction!.kernels.reduce((a, k) => a + k.resources.dsp, 0));
    expect(d.search?.chosen?.latencyMs).toBeCloseTo(d.prediction!.latencyMs, 6);
    expect(d.accuracy?.cosine).toHaveLength(258);
    expect(d.accuracy?.expertAgreement).toBeCloseTo(0.9961);
    expect(d.comparison?.filter((r) => r.kernel === 'ffn_block').map((r) => r.metric)).toEqual([
      'latency_cycles',
      'clock_mhz',
      'dsp',
      'bram18',
      'uram',
      'lut',
      'ff',
    ]);
    // csynth's worst case is compared with the largest predicted call (a MoE block for ffn_block), per compute unit
    const ffnLatency = d.comparison!.find((r) => r.kernel === 'ffn_block' && r.metric === 'latency_cycles')!;
    expect(ffnLatency.predicted).toBe(Math.max(...d.prediction!.stages.map((s) => s.cycles.ffn_block ?? 0)));
    const synthJson = JSON.parse(readFileSync(join(fixtures, 'u280-full', 'reports', 'synth.json'), 'utf8'));
    expect(ffnLatency.synthesised).toBe(synthJson.kernels.ffn_block.latency.worst);
    expect(ffnLatency.ratio).toBeCloseTo(ffnLatency.synthesised! / ffnLatency.predicted!, 9);
    expect(d.comparison!.find((r) => r.kernel === 'msa_block' && r.metric === 'dsp')!.predicted).toBe(
      d.prediction!.kernels[1].resourcesPerCu.dsp,
    );
  });

  test('the predicted-vs-synthesised text table has a row per kernel and metric', () => {
    const d = gatherReport(join(fixtures, 'u280-full'), opts);
    const lines = comparisonText(d.comparison!).trimEnd().split('\n');
    expect(lines[0]).toBe('predicted vs synthesised (csynth)');
    expect(lines[1]).toMatch(/^kernel\s+metric\s+predicted\s+synthesised\s+synth\/pred$/);
    expect(lines).toHaveLength(2 + 3 * 7);
    expect(lines.filter((l) => /^msa_block {4}dsp {4,}[\d,]+ {2,}[\d,]+ {2,}1\.02$/.test(l))).toHaveLength(1);
    expect(
      lines.filter((l) => /^ffn_block {4}latency_cycles {2,}[\d,]+ {2,}[\d,]+ {2,}1\.64$/.test(l)),
    ).toHaveLength(1);
  });

  test('a bare project: the estimate is computed from design.yaml, the other sections are null and the page says why', () => {
    const d = gatherReport(join(fixtures, 'zcu102-bare'), opts);
    expect(d.prediction?.source).toBe('computed');
    expect(d.prediction?.kernels.map((k) => k.name)).toEqual(['patch_embed', 'msa_block', 'ffn_block']);
    expect([d.search, d.accuracy, d.synth, d.comparison]).toEqual([null, null, null, null]);
    const html = renderReport(d);
    expect(html).toContain('No search report: this design was not searched');
    expect(html).toContain('No accuracy report');
    expect(html).toContain('No synthesis reports');
    // without any prediction, the prediction sections say why
    const none = renderReport({
      ...d,
      prediction: null,
      predictionMissing: 'no reports/estimate.json, and the cost model cannot estimate this design: x',
    });
    expect(none).toContain(
      'No predicted figures: no reports/estimate.json, and the cost model cannot estimate this design: x.',
    );
    expect(none).toContain('No predicted resources: no reports/estimate.json');
  });

  test('an estimate.json on disk wins over computing one', () => {
    const d = gatherReport(join(fixtures, 'u280-full'), opts);
    expect(d.prediction?.source).toBe('file');
  });

  test('the page is self-contained: no script, no external URL, a CSP that forbids loading', () => {
    const html = renderReport(gatherReport(join(fixtures, 'u280-full'), opts));
    expect(html).not.toMatch(/<script|<link |<img |@import|url\(/i);
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
    expect(html).toContain(`default-src 'none'`);
    expect(html).toContain('Generated by ubimoe 0.0.0-test on 2026-01-02 03:04:05 UTC');
    // the same data renders to the same bytes
    expect(renderReport(gatherReport(join(fixtures, 'u280-full'), opts))).toBe(html);
  });

  test.each([
    ['reports/estimate.json', '{"clock_mhz": 300,', /reports\/estimate\.json: not valid JSON/],
    [
      'reports/search.json',
      '{"pareto": [{"latency_ms": -1, "dsp": 3}]}',
      /reports\/search\.json: pareto\.0\.latency_ms: must be positive/,
    ],
    [
      'reports/accuracy.json',
      '{"cosine": {"per_token": []}, "rel_l2": 0, "max_abs": 0}',
      /reports\/accuracy\.json: cosine\.per_token: must list at least one token/,
    ],
    [
      'reports/accuracy.json',
      '{"cosine": {"per_token": [1]}, "rel_l2": 0, "max_abs": 0, "expert_agreement": 1.5}',
      /accuracy\.json: expert_agreement: must be <= 1/,
    ],
    [
      'reports/synth.json',
      '{"format": "ubimoe-synth/1", "kernels": {"msa_block": {"top": "msa_block", "estimatedClockNs": 0}}}',
      /reports\/synth\.json: kernels\.msa_block\.estimatedClockNs: must be > 0/,
    ],
    ['reports/synth.json', '[]', /reports\/synth\.json: \(top level\): Expected object, received array/],
    ['manifest.json', 'nope', /manifest\.json: not valid JSON/],
  ])('a malformed %s is a user error naming the file and field', (file, content, re) => {
    const dir = copy('u280-full');
    writeFileSync(join(dir, file), content);
    expect(() => gatherReport(dir, opts)).toThrow(re);
  });

  test('report files made for another design are flagged, not shown as if they were this one’s', () => {
    const dir = copy('u280-full');
    expect(gatherReport(dir, opts).stale).toEqual({});
    const p = join(dir, 'design.yaml');
    writeFileSync(p, readFileSync(p, 'utf8').replace(/^clock_mhz: \d+$/m, 'clock_mhz: 250'));
    const m = join(dir, 'manifest.json');
    writeFileSync(
      m,
      readFileSync(m, 'utf8').replace(/"design_hash": "[0-9a-f]+"/, '"design_hash": "ffff0000ffff0000"'),
    );
    const d = gatherReport(dir, opts);
    expect(d.stale.estimate).toMatch(
      /reports\/estimate\.json was written for other design parameters than design\.yaml's/,
    );
    expect(d.stale.accuracy).toMatch(
      /reports\/accuracy\.json comes from a C-simulation of another design \(design a3f9c2e18b7d, this project is ffff0000ffff\)/,
    );
    const html = renderReport(d);
    expect(html).toContain('re-run ubimoe estimate --project');
    expect(html).toContain('re-run ubimoe csim on this project');
  });

  test('a directory that is not a project, or a missing one, is a user error', () => {
    expect(() => gatherReport(tmp, opts)).toThrow(/not a ubimoe project \(no design\.yaml or manifest\.json/);
    expect(() => gatherReport(join(tmp, 'nowhere'), opts)).toThrow(/no such project directory/);
    const dir = copy('zcu102-bare');
    rmSync(join(dir, 'design.yaml'));
    expect(() => gatherReport(dir, opts)).toThrow(/design\.yaml is missing/);
  });

  test('the files read: only those that exist (the footer lists these)', () => {
    expect(gatherReport(join(fixtures, 'zcu102-bare'), opts).filesRead).toEqual([
      'design.yaml',
      'manifest.json',
    ]);
    expect(gatherReport(join(fixtures, 'u280-full'), opts).filesRead).toEqual([
      'design.yaml',
      'manifest.json',
      'reports/estimate.json',
      'reports/search.json',
      'reports/accuracy.json',
      'reports/synth.json',
    ]);
    const dir = copy('u280-full');
    rmSync(join(dir, 'manifest.json'));
    rmSync(join(dir, 'reports', 'search.json'));
    expect(gatherReport(dir, opts).filesRead).toEqual([
      'design.yaml',
      'reports/estimate.json',
      'reports/accuracy.json',
      'reports/synth.json',
    ]);
  });

  test('the routing and bounds figures of the estimate, read from the file or computed', () => {
    const est = JSON.parse(readFileSync(join(fixtures, 'u280-full', 'reports', 'estimate.json'), 'utf8'));
    const p = gatherReport(join(fixtures, 'u280-full'), opts).prediction!;
    expect([p.routing, p.tokensPerExpert, p.macsPerImage, p.offchipBytesPerImage, p.fmaxMhz]).toEqual([
      'uniform',
      undefined,
      est.macs_per_image,
      est.offchip_bytes_per_image,
      est.fmax_mhz,
    ]);
    const c = gatherReport(join(fixtures, 'zcu102-bare'), opts).prediction!;
    expect(c.routing).toBe('uniform');
    expect(
      [c.macsPerImage, c.offchipBytesPerImage, c.fmaxMhz].every((v) => typeof v === 'number' && v > 0),
    ).toBe(true);
  });

  test('reports/experts.npy: counted per MoE block and expert, per image; a wrong one names the file', () => {
    const dir = copy('zcu102-bare'); // micro: one MoE block (block 1), 4 experts, 17 tokens, top-2
    mkdirSync(join(dir, 'reports'));
    const path = join(dir, 'reports', 'experts.npy');
    const choices = Int32Array.from({ length: 3 * 17 * 2 }, (_, i) => (i % 2 ? 3 : i % 4 === 0 ? 0 : 1));
    writeFileSync(path, i32npy([3, 1, 17, 2], choices));
    const seen = gatherReport(dir, opts).routingSeen!;
    // per image: 17 tokens; first choice alternates 0,1 (token 0 → 0): 9 and 8; second is always 3
    expect(seen).toEqual({
      file: 'reports/experts.npy',
      what: 'the C-simulation (ubimoe csim --experts)',
      images: 3,
      tokensPerExpert: [[(9 + 8 + 9) / 3, (8 + 9 + 8) / 3, 0, 17]],
    });
    writeFileSync(path, i32npy([1, 1, 17, 2], new Int32Array(34).fill(4)));
    expect(() => gatherReport(dir, opts)).toThrow(/experts\.npy: value 4 is not an expert index \(0\.\.3\)/);
    writeFileSync(path, encodeNpy([1, 1, 17, 2], new Float32Array(34)));
    expect(() => gatherReport(dir, opts)).toThrow(
      /experts\.npy: dtype float32, expert choices are int32 \[B, 1, 17, 2\]/,
    );
  });

  test('an invalid design.yaml is a user error naming the field', () => {
    const dir = copy('zcu102-bare');
    const p = join(dir, 'design.yaml');
    writeFileSync(p, readFileSync(p, 'utf8').replace('clock_mhz: 300', 'clock_mhz: -5'));
    expect(() => gatherReport(dir, opts)).toThrow(/design\.yaml: clock_mhz: must be positive/);
  });
});
