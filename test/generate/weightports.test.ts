/**
 * weight_ports (docs/weights.md, docs/cost-model.md): P m_axi ports per kernel for its weights.
 * The layout pads tiles and segments to whole rows of P words; the packed file keeps one layout
 * per region (word j on port j % P at j / P when loaded); the link config puts each port on its
 * own bank; the cost model reads P times one port's rate; validation bounds P by the channels.
 */
import { describe, expect, test } from '@jest/globals';
import { loadBoard, validateBoard } from '../../src/board/load.js';
import { WEIGHTS_FORMAT_VERSION } from '../../src/design/hash.js';
import { validateDesign } from '../../src/design/validate.js';
import { designWeightLayout, packWeights } from '../../src/driver/pack.js';
import { linearWords, padToPorts, splitRegion } from '../../src/kernels/cpp/layout.js';
import { formats } from '../../src/kernels/cpp/formats.js';
import { portBytesPerCycle, tileLoadCycles, weightBytesPerCycle } from '../../src/kernels/costModel.js';
import { renderContext } from '../../src/generate/context.js';
import { synthCheckpoint } from '../../src/model/checkpoint.js';
import { assignConnectivity } from '../../src/toolchain/vitis/connectivity.js';
import { vitisFiles } from '../../src/toolchain/vitis/files.js';
import { testDesign } from './helpers.js';

// micro with 4×4 tiles: a 16-bit tile is 2 words of 128 bits, an 8-bit one 1 word, so P = 4 pads
const small = { patch_embed: { tile_in: 4, tile_out: 4 }, ffn_block: { tile_in: 4, tile_out: 4 } };
const design = (ports: number, precision: 'w16a32' | 'w8a8' = 'w16a32', board = 'zcu102') =>
  testDesign('micro', board, small, { weight_ports: ports, precision });

describe('weight layout with P weight ports', () => {
  test('tiles are whole rows of P words; every segment offset and size, every block offset a multiple of P', () => {
    for (const ports of [2, 4])
      for (const precision of ['w16a32', 'w8a8'] as const) {
        const d = design(ports, precision);
        for (const region of designWeightLayout(d)) {
          expect(region.words % ports).toBe(0);
          for (const blk of region.blocks) {
            expect(blk.offset % ports).toBe(0);
            for (const seg of blk.segments) {
              expect([seg.name, seg.offset % ports, seg.words % ports]).toEqual([seg.name, 0, 0]);
              if (seg.kind === 'linear') {
                const lw = linearWords(seg.in, seg.out, seg.tileIn, seg.tileOut, seg.weightFx, seg.biasFx, 128, seg.maxShift, ports);
                expect(lw.tileWords % ports).toBe(0);
              }
            }
          }
        }
        // the config header carries the padded tile
        const ctx = renderContext(d);
        const eng = ctx.kernels.ffn_block.structs.find((s) => s.name === 'ffn_engine_cfg')!;
        const tileWords = eng.consts.find((c) => c.name === 'TILE_WORDS')!.value as number;
        expect(tileWords).toBe(padToPorts(Math.ceil((16 * formats(d.shared.precision).weight.width) / 128), ports));
        expect(eng.consts.find((c) => c.name === 'WEIGHT_PORTS')!.value).toBe(ports);
      }
  });

  test('one port: the layout of a design without weight_ports, word for word', () => {
    const plain = testDesign('micro', 'zcu102', small);
    expect(plain.shared.weightPorts).toBe(1);
    expect(designWeightLayout(design(1))).toEqual(designWeightLayout(plain));
    // padding is real at P = 4 here (a 16-bit 4×4 tile is 2 words: patch_embed and ffn_block)
    const words = (d: ReturnType<typeof design>) => designWeightLayout(d).map((r) => r.words);
    const [w1, w4] = [words(design(1)), words(design(4))];
    expect([w4[0] > w1[0], w4[2] > w1[2]]).toEqual([true, true]);
  });

  test('packed file: header version and weight ports; the same values at each word, padding zero', () => {
    const ckpt = synthCheckpoint(design(1).model, 3);
    const one = packWeights(design(1, 'w8a8'), ckpt);
    const four = packWeights(design(4, 'w8a8'), ckpt);
    const dv = new DataView(four.bytes.buffer, four.bytes.byteOffset);
    expect(dv.getUint32(8, true)).toBe(WEIGHTS_FORMAT_VERSION);
    expect(WEIGHTS_FORMAT_VERSION).toBe(7);
    // byte r of word 100: region r's weight ports
    expect(dv.getUint32(100, true)).toBe(0x040404);
    expect(new DataView(one.bytes.buffer, one.bytes.byteOffset).getUint32(100, true)).toBe(0x010101);
    // every segment: its words at P = 1 appear at P = 4 in order with the tiles re-spaced; the
    // scale word right after the biases (not at the segment's end), the pad words zero
    const l1 = designWeightLayout(design(1, 'w8a8'));
    const l4 = designWeightLayout(design(4, 'w8a8'));
    const word = (p: typeof one, r: number, j: number) =>
      Buffer.from(p.bytes.subarray(p.regions[r].offset + 16 * j, p.regions[r].offset + 16 * (j + 1))).toString('hex');
    const zero = '0'.repeat(32);
    let scaleWords = 0;
    l1.forEach((region, r) =>
      region.blocks.forEach((blk, b) =>
        blk.segments.forEach((seg, s) => {
          const seg4 = l4[r].blocks[b].segments[s];
          const at1 = (j: number) => word(one, r, blk.offset + seg.offset + j);
          const at4 = (j: number) => word(four, r, l4[r].blocks[b].offset + seg4.offset + j);
          if (seg.kind !== 'linear' || seg4.kind !== 'linear') {
            for (let j = 0; j < seg.words; j++) expect(at4(j)).toBe(at1(j));
            for (let j = seg.words; j < seg4.words; j++) expect(at4(j)).toBe(zero);
            return;
          }
          const a = linearWords(seg.in, seg.out, seg.tileIn, seg.tileOut, seg.weightFx, seg.biasFx, 128, seg.maxShift, 1);
          const c = linearWords(seg.in, seg.out, seg.tileIn, seg.tileOut, seg.weightFx, seg.biasFx, 128, seg.maxShift, 4);
          // the bias rows (biases, scale word, zero padding to a whole row of the ports), then the tiles
          for (let j = 0; j < a.biasWords + a.scaleWords; j++) expect(at4(j)).toBe(at1(j));
          for (let j = c.biasWords + c.scaleWords; j < c.tilesOffset; j++) expect(at4(j)).toBe(zero);
          expect(c.tilesOffset % 4).toBe(0);
          const tiles = a.weightWords / a.tileWords;
          for (let t = 0; t < tiles; t++)
            for (let j = 0; j < c.tileWords; j++)
              expect(at4(c.tilesOffset + t * c.tileWords + j)).toBe(
                j < a.tileWords ? at1(a.tilesOffset + t * a.tileWords + j) : zero,
              );
          expect(c.words).toBe(c.tilesOffset + c.weightWords);
          scaleWords += c.scaleWords;
        }),
      ),
    );
    expect(scaleWords).toBeGreaterThan(0); // w8a8: the scale words were checked
  });

  test('each kernel its own ports: its region is laid out and packed as that kernel alone would be', () => {
    const mixed = testDesign(
      'micro',
      'zcu102',
      {
        patch_embed: { ...small.patch_embed, weight_ports: 4 },
        msa_block: { ...testDesign('micro', 'zcu102', small).kernels.msa_block, weight_ports: 1 },
        ffn_block: { ...small.ffn_block, weight_ports: 2 },
      },
      { weight_ports: 1 },
    );
    const ckpt = synthCheckpoint(mixed.model, 3);
    const packed = packWeights(mixed, ckpt);
    expect(new DataView(packed.bytes.buffer, packed.bytes.byteOffset).getUint32(100, true)).toBe(0x020104);
    const region = (p: typeof packed, r: number) =>
      Buffer.from(p.bytes.subarray(p.regions[r].offset, p.regions[r].offset + p.regions[r].bytes));
    [4, 1, 2].forEach((ports, r) => {
      const alone = packWeights(design(ports), ckpt);
      expect([r, region(packed, r).equals(region(alone, r))]).toEqual([r, true]);
      expect(designWeightLayout(mixed)[r]).toEqual(designWeightLayout(design(ports))[r]);
    });
    // each engine's config carries its own kernel's ports
    const ctx = renderContext(mixed);
    const enginePorts = (k: 'patch_embed' | 'msa_block' | 'ffn_block', s: string) =>
      ctx.kernels[k].structs.find((x) => x.name === s)!.consts.find((c) => c.name === 'WEIGHT_PORTS')!.value;
    expect([enginePorts('patch_embed', 'pe_engine_cfg'), enginePorts('msa_block', 'msa_engine_cfg'), enginePorts('ffn_block', 'ffn_engine_cfg')]).toEqual([4, 1, 2]);
  });

  test('a region splits over its ports (word j to port j % P at j / P) and interleaves back', () => {
    const d = design(4);
    const packed = packWeights(d, synthCheckpoint(d.model, 3));
    for (const r of packed.regions) {
      const region = packed.bytes.subarray(r.offset, r.offset + r.bytes);
      const parts = splitRegion(region, 16, 4);
      expect(parts.map((p) => p.length)).toEqual(Array(4).fill(r.bytes / 4));
      const back = new Uint8Array(r.bytes);
      for (let j = 0; j < r.bytes / 16; j++) back.set(parts[j % 4].subarray((j >> 2) * 16, ((j >> 2) + 1) * 16), j * 16);
      expect(Buffer.from(back).equals(Buffer.from(region))).toBe(true);
      expect(Buffer.from(parts[1].subarray(0, 16)).equals(Buffer.from(region.subarray(16, 32)))).toBe(true);
    }
    expect(() => splitRegion(new Uint8Array(16 * 6), 16, 4)).toThrow(/does not split over 4 ports/);
  });
});

describe('validation', () => {
  test('weight_ports must be 1, 2 or 4, and at most the channels of the kernel memory', () => {
    expect(() => design(3)).toThrow(/weight_ports: must be one of 1, 2, 4/);
    const oneChannel = validateBoard(
      {
        ...JSON.parse(JSON.stringify(loadBoard('zcu102'))),
        name: 'zcu102-1hp',
        memory: [{ kind: 'ps-ddr', bank_prefix: 'HP', count: 1, gbps_each: 4.8, axi_width_bits: 128 }],
      },
      'test board',
    );
    const d = testDesign('micro', 'zcu102', {}, { weight_ports: 2 });
    expect(() => validateDesign({ ...d, board: oneChannel })).toThrow(
      /weight_ports: 2 ports need 2 memory channels; board zcu102-1hp has 1/,
    );
    expect(() => validateDesign(design(4))).not.toThrow();
    // a kernel's own weight_ports is checked and named as such
    const own = testDesign('micro', 'zcu102', { ffn_block: { ...small.ffn_block, weight_ports: 2 } });
    expect(() => validateDesign({ ...own, board: oneChannel })).toThrow(
      /kernels\.ffn_block\.weight_ports: 2 ports need 2 memory channels; board zcu102-1hp has 1/,
    );
  });
});

describe('connectivity', () => {
  const sp = (d: ReturnType<typeof design>) => {
    const cfg = vitisFiles(d).find((f) => f.path === `link/${d.board.name}.cfg`)!.content;
    return [...cfg.matchAll(/^sp=(\S+)\.(m_axi_\w+):(\S+)$/gm)].map((m) => `${m[1]}.${m[2]}:${m[3]}`);
  };
  test('zcu102, P = 4: weight port k of every CU on its own HP port, activations on HP0', () => {
    const lines = sp(design(4));
    for (const cu of ['patch_embed_1', 'msa_block_1', 'ffn_block_1'])
      expect(lines.filter((l) => l.startsWith(`${cu}.`))).toEqual([
        `${cu}.m_axi_gmem_act:HP0`,
        `${cu}.m_axi_gmem_w0:HP1`,
        `${cu}.m_axi_gmem_w1:HP2`,
        `${cu}.m_axi_gmem_w2:HP3`,
        `${cu}.m_axi_gmem_w3:HP0`,
      ]);
    expect(assignConnectivity(design(4)).weightBanks).toEqual(['HP1', 'HP2', 'HP3', 'HP0']);
  });
  test('u280, P = 2: two distinct HBM channels for the weights; P = 1 as before (gmem_w)', () => {
    const banks = assignConnectivity(design(2, 'w16a32', 'u280')).weightBanks;
    expect(new Set(banks).size).toBe(2);
    expect(banks.every((b) => /^HBM\[\d+\]$/.test(b))).toBe(true);
    const one = sp(design(1, 'w16a32', 'u280'));
    expect(one.some((l) => l.includes('m_axi_gmem_w:'))).toBe(true);
    expect(one.some((l) => /gmem_w\d/.test(l))).toBe(false);
  });
});

describe('cost model', () => {
  test('the weight reader streams at P times one port; a tile pays for its padding', () => {
    const board = loadBoard('zcu102');
    const d4 = design(4);
    const d1 = design(1);
    expect(weightBytesPerCycle(board, d4.shared)).toBeCloseTo(4 * portBytesPerCycle(board, d4.shared), 9);
    expect(weightBytesPerCycle(board, d1.shared)).toBeCloseTo(portBytesPerCycle(board, d1.shared), 9);
    // a 4×4 16-bit tile: 2 words, padded to one row of 4 (64 bytes through 4 × 12.8 B/cycle)
    const rate = weightBytesPerCycle(board, d4.shared);
    expect(tileLoadCycles(4, 4, d4.shared, rate)).toBeCloseTo(64 / rate, 9);
    // one port: the old figure (32 bytes at 12.8 B/cycle)
    expect(tileLoadCycles(4, 4, d1.shared, portBytesPerCycle(board, d1.shared))).toBeCloseTo(2.5, 9);
  });
});
