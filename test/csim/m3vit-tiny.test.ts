/**
 * The acceptance check of the kernels: M³ViT-tiny, W16A32 (UbiMoE's published parameters:
 * linear 16x16, 3 token lanes, 4 query rows x 8-key blocks), a synthetic checkpoint, 2 images.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { rmSync } from 'node:fs';
import { testDesign } from '../generate/helpers.js';
import { accuracy, prepare, scratch } from './harness.js';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

describe('m3vit-tiny W16A32 csim vs the float32 reference', () => {
  test('2 images: median cosine >= 0.9995, min >= 0.99, rel L2 <= 2%, expert agreement >= 99%', async () => {
    const design = testDesign('m3vit-tiny', 'u280');
    const root = scratch();
    roots.push(root);
    const c = await prepare(design, root);
    expect(c.lint).toBe('');
    const a = await accuracy(design, c, { batch: 2, task: 0 });
    process.stdout.write(
      `m3vit-tiny csim: cosine min ${a.cosineMin.toFixed(6)} median ${a.cosineMedian.toFixed(7)}, rel L2 ${(100 * a.relL2).toFixed(3)}%, ` +
        `max abs ${a.maxAbs.toPrecision(3)}, experts ${(100 * a.expertAgreement!).toFixed(2)}%, ${a.cpuMsPerImage.toFixed(0)} ms cpu/image\n`,
    );
    expect(a.cosineMedian).toBeGreaterThanOrEqual(0.9995);
    expect(a.cosineMin).toBeGreaterThanOrEqual(0.99);
    expect(a.relL2).toBeLessThanOrEqual(0.02);
    expect(a.expertAgreement!).toBeGreaterThanOrEqual(0.99);
  }, 600000);
});
