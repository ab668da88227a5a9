/**
 * Issue 13 items 2, 3, 5, 6 in the generated code: token lanes as a static bank index for any
 * LANES (the lane layout [groups][LANES][...], no cyclic partition by LANES on a row index the
 * engine computes at run time), partitions only at the arrays' declarations, gather_rows given
 * the queue array and its index, one ROM per non-linear unit with the unit counts in the configs.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateProject } from '../../src/generate/project.js';
import { fatalIssues, formatIssues, lintProject } from '../../src/generate/lint.js';
import { testDesign } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'ubimoe-lanes-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** `#pragma HLS ARRAY_PARTITION` lines of a source: variable, kind, factor, dim. */
function partitions(src: string): Array<{ v: string; kind: string; factor: string; dim: string }> {
  const out = [];
  for (const m of src.matchAll(
    /#pragma HLS ARRAY_PARTITION variable=(\w+) (cyclic|complete|block)(?: factor=(\w+))?(?: dim=(\d+))?/g,
  ))
    out.push({ v: m[1], kind: m[2], factor: m[3] ?? '', dim: m[4] ?? '' });
  return out;
}

describe('token lanes, partitions and non-linear units in the generated code (LANES = 3)', () => {
  // micro: 17 tokens; three lanes on both engines, tile_out 8
  const design = testDesign('micro', 'u280', {
    ffn_block: { tile_in: 8, tile_out: 8, token_lanes: 3 },
    msa_block: { token_lanes: 3 },
  });
  const dir = join(tmp, 'p');
  generateProject(design, dir);
  const read = (p: string) => readFileSync(join(dir, p), 'utf8');
  const ffn = read('kernels/ffn_block.cpp');
  const msa = read('kernels/msa_block.cpp');
  const config = read('kernels/config.h');
  const header = (h: string) => read(`include/ubimoe/${h}.h`);

  test('the lint is clean', () => {
    expect(formatIssues(fatalIssues(lintProject(dir)))).toBe('');
  });

  test('ffn_block: the engine arrays are [groups][3][...] with the lane dimension complete; nothing is cyclic by 3', () => {
    for (const a of ['s[G][L][D]', 'hidden[G][L][HID]', 'res[G][L][D]'])
      expect(ffn).toContain(`static ${a.startsWith('res') ? 'acc_t' : 'act_t'} ${a}`);
    expect(config).toMatch(/struct ffn_cfg[^}]*LANES = 3u;[^}]*ROW_GROUPS = 6u;/s);
    const p = partitions(ffn);
    for (const v of ['s', 'hidden', 'res'])
      expect(p).toContainEqual({ v, kind: 'complete', factor: '', dim: '2' });
    expect(p.filter((x) => x.kind === 'cyclic' && x.factor === '3')).toEqual([]);
    // msa_block's S, S2, B, R (s, o, qkv, x) too, as attention.h takes qkv and o (issue 13 item 1)
    for (const a of ['act_t x[G][L][D]', 'act_t s[G][L][D]', 'act_t o[G][L][D]', 'qkv_t qkv[G][L][3 * D]'])
      expect(msa).toContain(`static ${a}`);
    expect(config).toMatch(/struct msa_attn_cfg[^}]*LANES = 3u;[^}]*ROW_GROUPS = 6u;/s);
    const pm = partitions(msa);
    for (const v of ['x', 's', 'o', 'qkv'])
      expect(pm).toContainEqual({ v, kind: 'complete', factor: '', dim: '2' });
    expect(pm.filter((x) => x.kind === 'cyclic' && x.factor === '3')).toEqual([]);
  });

  test('linear.h: the accumulators are lane-indexed statically (no cyclic partition by the lane count)', () => {
    const p = partitions(header('linear'));
    // acc[bank][group][lane][output]: the double-buffer bank and the lane are register-file selects
    expect(p).toContainEqual({ v: 'acc', kind: 'complete', factor: '', dim: '1' });
    expect(p).toContainEqual({ v: 'acc', kind: 'complete', factor: '', dim: '3' });
    expect(header('linear')).toMatch(/static acc_t acc\[2\]\[CFG::ACC_ROWS \/ CFG::LANES\]\[CFG::LANES\]\[CFG::TILE_OUT\];/);
    expect(p.filter((x) => x.kind === 'cyclic' && /lane/i.test(x.factor))).toEqual([]);
  });

  test('no partition pragma on a function argument: tokens.h has none, layernorm.h only on its locals', () => {
    expect(partitions(header('tokens'))).toEqual([]);
    expect(new Set(partitions(header('layernorm')).map((x) => x.v))).toEqual(
      new Set(['gamma', 'beta', 'sum_lane', 'var_lane']),
    );
    // the kernel partitions every engine array where it declares it, once per dimension
    const dims = partitions(ffn).map((x) => `${x.v}/${x.dim}`);
    expect(new Set(dims).size).toBe(dims.length);
  });

  test('gather_rows gets the queue array and the expert, not a row at a run-time offset', () => {
    expect(ffn).toContain('ubimoe::gather_rows<ffn_cfg>(h, queue, d.expert, d.rows, s)');
    expect(ffn).not.toContain('queue[d.expert]');
  });

  test('non-linear units: each has its own dual-port ROM, and the configs count the units', () => {
    const nl = header('nonlinear');
    expect(nl.match(/#pragma HLS INLINE off/g)?.length).toBe(4);
    expect(nl.match(/BIND_STORAGE variable=table type=rom_np impl=bram/g)?.length).toBe(4);
    expect(header('tables')).not.toMatch(/static const (unsigned|int) \w+_TABLE\[/); // no shared global tables
    expect(config).toMatch(/struct ffn_engine_cfg[^}]*HAS_GELU = true;[^}]*GELU_UNITS = 24u;/s); // 3 lanes × 8
    expect(config).toMatch(/struct msa_engine_cfg[^}]*GELU_UNITS = 0u;/s);
    expect(config).toMatch(/struct ffn_gate_cfg[^}]*EXP_UNITS = 5u;[^}]*RECIP_UNITS = 1u;/s); // 4 − 1 + 2
    expect(config).toMatch(/struct ffn_ln_cfg[^}]*RSQRT_UNITS = 1u;/s);
  });
});
