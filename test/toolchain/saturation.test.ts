/** The csim runner's saturation counts, named by the design's saturating types (src/toolchain/saturation.ts). */
import { describe, expect, test } from '@jest/globals';
import { renderContext } from '../../src/generate/context.js';
import { parseSaturation, saturatingTypes, saturationJson, saturationText } from '../../src/toolchain/saturation.js';
import { testDesign } from '../generate/helpers.js';

describe('saturation counts', () => {
  test("parses the runner's lines and nothing else", () => {
    expect(parseSaturation('csim: saturated ap_fixed<24,8>: 12')).toEqual({ format: 'ap_fixed<24,8>', count: 12 });
    expect(parseSaturation('csim: saturated ap_ufixed<8,2>: 3\r')).toEqual({ format: 'ap_ufixed<8,2>', count: 3 });
    expect(parseSaturation('csim: image 0: 12.0 ms (11.0 ms cpu)')).toBeNull();
    expect(parseSaturation('csim: saturated ap_int<8>: 3')).toBeNull();
  });

  test("the design's saturating types by format: W16A32 shares act/lin_in, W8A8 narrows the MAC input", () => {
    const w16 = saturatingTypes(renderContext(testDesign('micro', 'zcu102')));
    expect(w16.get('ap_fixed<32,10>')).toEqual(['act_t', 'lin_in_t']);
    expect(w16.get('ap_fixed<24,8>')).toEqual(['qkv_t']);
    expect([...w16.values()].flat()).toEqual(expect.arrayContaining(['score_t', 'dn_t']));
    // no raw (wrapping) type: accumulators, weights, probabilities
    expect([...w16.values()].flat()).not.toEqual(expect.arrayContaining(['acc_t']));
    expect([...w16.values()].flat()).not.toContain('weight_t');
    expect([...w16.values()].flat()).not.toContain('prob_t');
    const w8 = saturatingTypes(renderContext(testDesign('micro', 'zcu102', {}, { precision: 'w8a8' })));
    const linIn = [...w8.entries()].find(([, names]) => names.includes('lin_in_t'))!;
    expect(linIn[0]).toMatch(/^ap_fixed<8,/);
    expect(linIn[1]).toEqual(['lin_in_t']);
  });

  test('one line naming what saturated (most first), or that nothing did; JSON keyed by the type names', () => {
    const types = new Map([
      ['ap_fixed<32,10>', ['act_t', 'lin_in_t']],
      ['ap_fixed<24,8>', ['qkv_t']],
    ]);
    expect(saturationText([], types, 2)).toBe('no value saturated in the datapath (act_t, lin_in_t, qkv_t)');
    const counts = [
      { format: 'ap_fixed<32,10>', count: 3 },
      { format: 'ap_fixed<24,8>', count: 1200 },
    ];
    const line = saturationText(counts, types, 2);
    expect(line).toMatch(/^1,203 value\(s\) saturated in the datapath over 2 image\(s\): 1,200 qkv_t \(ap_fixed<24,8>\), 3 act_t\/lin_in_t \(ap_fixed<32,10>\);/);
    expect(line).not.toContain('\n');
    expect(saturationJson(counts, types)).toEqual({ 'act_t/lin_in_t': 3, qkv_t: 1200 });
    // a format the design does not name (a building block's own type) is still reported, by its format
    expect(saturationJson([{ format: 'ap_fixed<9,4>', count: 1 }], types)).toEqual({ 'ap_fixed<9,4>': 1 });
  });
});
