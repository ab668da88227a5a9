/** The generated v++ link configurations: every m_axi bundle of every CU mapped once, to banks and SLRs the board has. */
import { describe, expect, test } from '@jest/globals';
import { boardNames, loadBoard } from '../../src/board/load.js';
import type { Board } from '../../src/board/schema.js';
import {
  assignConnectivity,
  bankName,
  boardBanks,
  kernelBundles,
} from '../../src/toolchain/vitis/connectivity.js';
import { vitisFiles } from '../../src/toolchain/vitis/files.js';
import type { Design } from '../../src/design/design.js';
import { designKernels } from '../../src/design/design.js';
import { designFor } from './project.js';

interface LinkConfig {
  nk: Array<{ kernel: string; count: number; names: string[] }>;
  sp: Array<{ cu: string; port: string; bank: string }>;
  slr: Array<{ cu: string; slr: string }>;
  freqHz: Array<{ hz: number; cu: string }>;
  sections: string[];
}

/** Reads a v++ config the way v++ does: [section] heads, key=value lines, # comments. */
function parseLinkConfig(text: string): LinkConfig {
  const cfg: LinkConfig = { nk: [], sp: [], slr: [], freqHz: [], sections: [] };
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const head = /^\[(\w+)\]$/.exec(line);
    if (head) {
      section = head[1];
      cfg.sections.push(section);
      continue;
    }
    const [key, value] = line.split(/=(.*)/s);
    const at = `${section}.${key}`;
    if (at === 'connectivity.nk') {
      const [kernel, count, names] = value.split(':');
      cfg.nk.push({ kernel, count: Number(count), names: names.split('.') }); // '.' between CU names (v++ up to 2022.x; later versions read it too)
    } else if (at === 'connectivity.sp') {
      const m = /^([^.]+)\.([^:]+):(.+)$/.exec(value);
      if (!m) throw new Error(`bad sp line: ${line}`);
      cfg.sp.push({ cu: m[1], port: m[2], bank: m[3] });
    } else if (at === 'connectivity.slr') {
      const [cu, slr] = value.split(':');
      cfg.slr.push({ cu, slr });
    } else if (at === 'clock.freqHz') {
      const [hz, cu] = value.split(':');
      cfg.freqHz.push({ hz: Number(hz), cu });
    } else throw new Error(`unexpected line in [${section}]: ${line}`);
  }
  return cfg;
}

function linkConfigOf(design: Design): LinkConfig {
  const f = vitisFiles(design).find((x) => x.path === `link/${design.board.name}.cfg`);
  if (!f) throw new Error('no link config generated');
  return parseLinkConfig(f.content);
}

function checkLinkConfig(design: Design, cfg: LinkConfig): void {
  const board: Board = design.board;
  const units: Record<string, number> = { patch_embed: 1, ...design.computeUnits };
  expect(cfg.sections).toEqual(['connectivity', 'clock']);
  // every top kernel of the design instantiated with its compute units, names unique
  expect(cfg.nk.map((n) => n.kernel).sort()).toEqual([...designKernels(design)].sort());
  const cus = cfg.nk.flatMap((n) => {
    expect(n.names).toHaveLength(n.count);
    expect(n.count).toBe(units[n.kernel]);
    return n.names.map((name) => ({ kernel: n.kernel, name }));
  });
  expect(new Set(cus.map((c) => c.name)).size).toBe(cus.length);
  // every m_axi bundle of every CU mapped exactly once, and nothing else mapped
  const banks = new Set(boardBanks(board).map((b) => b.name));
  const expected = cus
    .flatMap((cu) => kernelBundles(cu.kernel as never).map((b) => `${cu.name}.m_axi_${b.name}`))
    .sort();
  expect(cfg.sp.map((s) => `${s.cu}.${s.port}`).sort()).toEqual(expected);
  for (const s of cfg.sp) expect(banks).toContain(s.bank);
  // SLRs: one line per CU on multi-SLR devices, naming an SLR that exists, but for a CU spanning
  // SLRs (v++ places it); none elsewhere
  const nSlr = board.slrs?.length ?? 1;
  const spanning = (kernel: string) => kernel !== 'patch_embed' && design.span[kernel as keyof Design['span']] > 1;
  if (nSlr > 1) {
    expect(cfg.slr.map((s) => s.cu).sort()).toEqual(cus.filter((c) => !spanning(c.kernel)).map((c) => c.name).sort());
    for (const s of cfg.slr) {
      const n = Number(/^SLR(\d+)$/.exec(s.slr)?.[1]);
      expect(n).toBeGreaterThanOrEqual(0);
      expect(n).toBeLessThan(nSlr);
      const kernel = cus.find((c) => c.name === s.cu)!.kernel as keyof Design['placement'];
      expect(n).toBe(design.placement[kernel]);
    }
  } else expect(cfg.slr).toEqual([]);
  // the design's kernel clock on every CU
  expect(cfg.freqHz.map((f) => f.cu).sort()).toEqual(cus.map((c) => c.name).sort());
  for (const f of cfg.freqHz) expect(f.hz).toBe(design.shared.clockMhz * 1e6);
}

describe('link/<board>.cfg', () => {
  test.each(boardNames())('micro on %s with the default design', (board) => {
    const design = designFor('micro', board);
    checkLinkConfig(design, linkConfigOf(design));
  });

  test('u280 with kernels spread over the three SLRs and two CUs of msa_block and ffn_block', () => {
    const design = designFor('m3vit-tiny', 'u280', {
      placement: { patch_embed: 0, msa_block: 1, ffn_block: 2 },
      compute_units: { msa_block: 2, ffn_block: 2 },
    });
    const cfg = linkConfigOf(design);
    checkLinkConfig(design, cfg);
    expect(cfg.nk.find((n) => n.kernel === 'msa_block')).toEqual({
      kernel: 'msa_block',
      count: 2,
      names: ['msa_block_1', 'msa_block_2'],
    });
    expect(cfg.slr).toContainEqual({ cu: 'ffn_block_2', slr: 'SLR2' });
    // HBM hangs off SLR0: activations and weights in two pseudo-channels there
    expect(new Set(cfg.sp.map((s) => s.bank))).toEqual(new Set(['HBM[0]', 'HBM[1]']));
  });

  test('u280 with the fused block spanning SLR0..SLR2: no slr= line for it, a comment saying why', () => {
    const design = designFor('m3vit-tiny', 'u280', { placement: { patch_embed: 1, vit_block: 0 }, span: { vit_block: 3 } }, 'fused');
    const text = vitisFiles(design).find((x) => x.path === 'link/u280.cfg')!.content;
    const cfg = parseLinkConfig(text);
    checkLinkConfig(design, cfg);
    expect(cfg.slr).toEqual([{ cu: 'patch_embed_1', slr: 'SLR1' }]);
    expect(text).toContain('# vit_block_1 spans SLR0..SLR2: no slr= line');
    // its ports on HBM (SLR0, where it starts)
    expect(cfg.sp.filter((s) => s.cu === 'vit_block_1').every((s) => /^HBM\[\d+\]$/.test(s.bank))).toBe(true);
  });

  test('activation and weight bundles share one bank each, near the SLR that holds most CUs', () => {
    const design = designFor('micro', 'u250', { placement: { patch_embed: 2, msa_block: 2, ffn_block: 2 } });
    const conn = assignConnectivity(design);
    expect(conn.activationBank).toBe('DDR[2]');
    expect(['DDR[1]', 'DDR[3]']).toContain(conn.weightBank);
    for (const cu of conn.computeUnits)
      for (const p of cu.ports)
        expect(p.bank).toBe(p.role === 'weights' ? conn.weightBank : conn.activationBank);
  });

  test('bank names follow v++: HBM[n], DDR[n], Zynq HP ports HPn, a single bank by its bare tag', () => {
    expect(
      boardBanks(loadBoard('u280'))
        .map((b) => b.name)
        .slice(30, 34),
    ).toEqual(['HBM[30]', 'HBM[31]', 'DDR[0]', 'DDR[1]']);
    expect(boardBanks(loadBoard('zcu102')).map((b) => b.name)).toEqual(['HP0', 'HP1', 'HP2', 'HP3']);
    expect(
      bankName({ kind: 'ddr', bank_prefix: 'DDR', count: 1, gbps_each: 25.6, axi_width_bits: 128 }, 0),
    ).toBe('DDR');
  });

  test.each([
    [
      'u280',
      { patch_embed: 0, msa_block: 3, ffn_block: 0 },
      /placement\.msa_block: SLR 3 does not exist \(board u280 has 3 SLRs: 0\.\.2\)/,
    ],
    [
      'zcu102',
      { patch_embed: 0, msa_block: 0, ffn_block: 1 },
      /placement\.ffn_block: SLR 1 does not exist \(board zcu102 has 1 SLR: 0\.\.0\)/,
    ],
  ])('a placement on an SLR %s lacks is a user error', (board, placement, message) => {
    expect(() => vitisFiles(designFor('micro', board, { placement }))).toThrow(message);
  });
});
