import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { boardNames, loadBoard, validateBoard } from '../../src/board/load.js';
import {
  channelSlrs,
  kernelResources,
  localMemory,
  slrCount,
  slrResources,
} from '../../src/board/resources.js';
import { DEFAULT_LIMITS, RESOURCE_KEYS } from '../../src/board/schema.js';
import { boardsDir } from '../../src/util/paths.js';
import { readYaml } from '../../src/util/yamlfile.js';

const SHIPPED = ['kv260', 'u250', 'u280', 'u50', 'vck190', 'zcu102', 'zcu104'];
const raw = (name: string) => readYaml(join(boardsDir, `${name}.yaml`)) as Record<string, unknown>;

describe('shipped boards', () => {
  test('the seven boards are shipped and load', () => {
    expect(boardNames()).toEqual(expect.arrayContaining(SHIPPED));
    for (const n of SHIPPED) {
      const b = loadBoard(n);
      expect(b.name).toBe(n);
      expect(b.limits).toEqual(DEFAULT_LIMITS);
      expect(b.clocks_mhz.allowed).toContain(b.clocks_mhz.default);
    }
  });

  test('per-SLR resources plus the shell make the device total', () => {
    for (const n of SHIPPED) {
      const b = loadBoard(n);
      const avail = kernelResources(b);
      for (const k of RESOURCE_KEYS) expect(avail[k] + (b.shell?.[k] ?? 0)).toBe(b.resources[k]);
    }
  });

  test('U280 figures of the data sheet and UG1120', () => {
    const b = loadBoard('u280');
    expect(b.part).toBe('xcu280-fsvh2892-2L-e');
    expect(b.platform).toBe('xilinx_u280_gen3x16_xdma_1_202211_1');
    expect(slrCount(b)).toBe(3);
    expect(slrResources(b)[0]).toEqual({ dsp: 2736, bram18: 1200, uram: 320, lut: 400800, ff: 801600 });
    expect(slrResources(b)[1].dsp).toBe(2880);
    const hbm = b.memory.find((m) => m.kind === 'hbm')!;
    expect([hbm.count, hbm.gbps_each]).toEqual([32, 14.375]);
    expect(channelSlrs(hbm).every((s) => s === 0)).toBe(true);
    // a kernel on SLR1 reaches only DDR[1] locally; on SLR0 HBM and DDR[0]
    expect(localMemory(b, 1)).toEqual([{ memory: b.memory[1], channels: 1 }]);
    expect(localMemory(b, 0).map((x) => x.channels)).toEqual([32, 1]);
  });

  test('ZCU102 figures of the data sheet', () => {
    const b = loadBoard('zcu102');
    expect(b.part).toBe('xczu9eg-ffvb1156-2-e');
    expect(b.resources).toEqual({ dsp: 2520, bram18: 1824, uram: 0, lut: 274080, ff: 548160 });
    expect(b.memory[0].count * b.memory[0].gbps_each).toBeCloseTo(19.2);
    expect(b.memory[0].axi_width_bits).toBe(128);
    expect(b.clocks_mhz.default).toBe(300);
    expect(loadBoard('vck190').dsp_kind).toBe('dsp58');
  });
});

describe('user boards', () => {
  test('a board from a path, with limits overridden', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ubimoe-board-'));
    const path = join(dir, 'mine.yaml');
    writeFileSync(path, stringify({ ...raw('zcu102'), name: 'mine', limits: { dsp: 0.5 } }));
    const b = loadBoard(path);
    expect(b.name).toBe('mine');
    expect(b.limits).toEqual({ ...DEFAULT_LIMITS, dsp: 0.5 });
  });

  test('unknown board names the boards', () => {
    expect(() => loadBoard('u9999')).toThrow(
      /unknown board 'u9999' \(boards: .*u280.*; or pass a \.yaml path\)/,
    );
  });

  test('a missing file is a user error naming it', () => {
    expect(() => loadBoard('/nonexistent/b.yaml')).toThrow(/\/nonexistent\/b\.yaml: no such file/);
  });

  const u280 = () => raw('u280');
  const zcu = () => raw('zcu102');
  test.each([
    ['name', zcu, { name: 'my board' }, /name: must be letters, digits/],
    ['flow', zcu, { flow: 'quartus' }, /flow: Invalid enum value/],
    ['dsp_kind', zcu, { dsp_kind: 'dsp48e1' }, /dsp_kind: Invalid enum value/],
    [
      'clock default',
      zcu,
      { clocks_mhz: { default: 333, allowed: [100, 300] } },
      /clocks_mhz: default must be one of allowed/,
    ],
    [
      'clock list',
      zcu,
      { clocks_mhz: { default: 100, allowed: [] } },
      /clocks_mhz\.allowed: Array must contain at least 1/,
    ],
    [
      'negative resource',
      zcu,
      { resources: { dsp: -1, bram18: 1, uram: 0, lut: 1, ff: 1 } },
      /resources\.dsp: must be >= 0/,
    ],
    [
      'missing resource',
      zcu,
      { resources: { dsp: 1, bram18: 1, uram: 0, lut: 1 } },
      /resources\.ff: Required/,
    ],
    ['limit > 1', zcu, { limits: { lut: 1.5 } }, /limits\.lut: must be <= 1/],
    ['limit 0', zcu, { limits: { dsp: 0 } }, /limits\.dsp: must be > 0/],
    ['unknown key', zcu, { colour: 'red' }, /\(top level\): unknown key\(s\) 'colour'/],
    ['no memory', zcu, { memory: [] }, /memory: Array must contain at least 1/],
    [
      'axi width',
      zcu,
      { memory: [{ kind: 'ps-ddr', bank_prefix: 'HP', count: 4, gbps_each: 4.8, axi_width_bits: 96 }] },
      /memory\.0\.axi_width_bits: must be 32\.\.512/,
    ],
    [
      'bank prefix',
      zcu,
      { memory: [{ kind: 'ddr', bank_prefix: 'D D', count: 1, gbps_each: 4.8, axi_width_bits: 64 }] },
      /memory\.0\.bank_prefix: must be a C-like identifier/,
    ],
    [
      'shell too big',
      zcu,
      { shell: { dsp: 9999 } },
      /shell\.dsp: 9999 exceeds the device total resources\.dsp = 2520/,
    ],
    [
      'slr list length',
      u280,
      {
        memory: [
          { kind: 'ddr', bank_prefix: 'DDR', count: 2, gbps_each: 19.2, axi_width_bits: 512, slr: [0] },
        ],
      },
      /memory\.0\.slr: slr list must have one entry per channel/,
    ],
    [
      'slr out of range',
      u280,
      {
        memory: [{ kind: 'ddr', bank_prefix: 'DDR', count: 1, gbps_each: 19.2, axi_width_bits: 512, slr: 3 }],
      },
      /memory\.0\.slr: SLR 3 does not exist \(the board has 3 SLRs\)/,
    ],
    [
      'slr sums',
      u280,
      { shell: { dsp: 0, bram18: 528, uram: 0, lut: 140000, ff: 280000 } },
      /slrs: dsp: sum over SLRs 8496 \+ shell 0 = 8496, but resources\.dsp = 9024/,
    ],
  ])('rejects %s with a field-naming error', (_what, base, patch, re) => {
    expect(() => validateBoard({ ...base(), ...patch }, 'board x')).toThrow(re);
  });
});
