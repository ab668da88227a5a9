/**
 * The W8A8-style precision preset (design.ts PRECISIONS.w8a8) in C-simulation against the float32
 * reference, synthetic checkpoint (seed 1), 2 images. Thresholds sit just below what was measured
 * (figures in each test): 8-bit weights with one power-of-two scale for every linear layer are
 * what loses accuracy here (docs/csim.md, "Numerics (W8A8)"), so these are regression bounds for
 * this preset, not the W16A32 acceptance bounds.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { testDesign } from '../generate/helpers.js';
import { accuracy, prepare, scratch, type CsimCase } from './harness.js';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function report(what: string, a: Awaited<ReturnType<typeof accuracy>>): void {
  process.stdout.write(
    `${what} W8A8 csim: cosine min ${a.cosineMin.toFixed(6)} median ${a.cosineMedian.toFixed(6)}, ` +
      `rel L2 ${(100 * a.relL2).toFixed(3)}%, max abs ${a.maxAbs.toPrecision(3)}, ` +
      `experts ${(100 * a.expertAgreement!).toFixed(2)}%\n`,
  );
}

describe('micro W8A8 csim vs the float32 reference', () => {
  // the default design (tiles 16, 3 lanes) and the narrowest one (tiles 4, 1 lane, 64-bit AXI:
  // eight 8-bit weights per word)
  const designs = [
    { name: 'default design', kernels: {}, patch: {} },
    {
      name: 'tiles 4, 1 lane, 64-bit AXI',
      kernels: {
        patch_embed: { tile_in: 4, tile_out: 4 },
        msa_block: { tile_in: 4, tile_out: 4, token_lanes: 1, q_parallel: 1, key_block: 5 },
        ffn_block: { tile_in: 4, tile_out: 4, token_lanes: 1 },
      },
      patch: { axi_width_bits: 64 },
    },
  ];
  describe.each(designs)('$name', (d) => {
    const design = testDesign('micro', 'u280', d.kernels, { precision: 'w8a8', ...d.patch });
    let c: CsimCase;
    test('generates a lint-clean project whose linears read 8-bit MAC inputs, and compiles', async () => {
      const root = scratch();
      roots.push(root);
      c = await prepare(design, root);
      expect(c.lint).toBe('');
      const config = readFileSync(join(c.dir, 'kernels', 'config.h'), 'utf8');
      expect(config).toContain('typedef ap_fixed<8,4,AP_RND,AP_SAT> lin_in_t;');
      expect(config).toContain('typedef ap_fixed<8,1> weight_t;');
      expect(config).toContain('typedef ap_fixed<32,14> acc_t;');
      expect(config).toMatch(/struct ffn_engine_cfg \{[^}]*typedef ::lin_in_t mac_in_t;/);
    }, 300000);

    // measured (both designs give the same bits: tile sums are exact): task 0 cosine min 0.997528
    // median 0.999636, rel L2 2.905%, experts 97.06% (66/68); task 1 0.997306 / 0.999643, 2.922%, 97.06%
    test.each([0, 1])(
      'task %d: cosine min >= 0.997, median >= 0.9996, rel L2 <= 3%, experts >= 97%',
      async (task) => {
        const a = await accuracy(design, c, { batch: 2, task });
        report(`micro (${d.name}, task ${task})`, a);
        expect(a.cosineMin).toBeGreaterThanOrEqual(0.997);
        expect(a.cosineMedian).toBeGreaterThanOrEqual(0.9996);
        expect(a.relL2).toBeLessThanOrEqual(0.03);
        expect(a.expertAgreement!).toBeGreaterThanOrEqual(0.97);
      },
    );
  });
});

describe('m3vit-tiny W8A8 csim vs the float32 reference', () => {
  // measured: cosine min 0.986195 median 0.993696, rel L2 11.423%, max abs 0.931, experts 85.72%
  // (W16A32 on the same inputs: 0.995784 / 0.999999, 0.926%, 99.48%)
  test('2 images: cosine min >= 0.986, median >= 0.9935, rel L2 <= 11.5%, experts >= 85%', async () => {
    const design = testDesign('m3vit-tiny', 'u280', {}, { precision: 'w8a8' });
    const root = scratch();
    roots.push(root);
    const c = await prepare(design, root);
    expect(c.lint).toBe('');
    const a = await accuracy(design, c, { batch: 2, task: 0 });
    report('m3vit-tiny', a);
    expect(a.cosineMin).toBeGreaterThanOrEqual(0.986);
    expect(a.cosineMedian).toBeGreaterThanOrEqual(0.9935);
    expect(a.relL2).toBeLessThanOrEqual(0.115);
    expect(a.expertAgreement!).toBeGreaterThanOrEqual(0.85);
  }, 600000);
});
