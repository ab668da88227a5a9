import { describe, expect, test } from '@jest/globals';
import { defaultDesignFile, resolveDesign } from '../../src/design/design.js';
import { macsPerImage } from '../../src/design/estimate.js';
import { defaultTimeoutMs } from '../../src/driver/timeout.js';

const project = (model: string) => ({
  dir: '/nowhere',
  designHash: '',
  design: resolveDesign(defaultDesignFile(model, 'u280'), 'test'),
});

describe('default per-request timeout', () => {
  test('csim: scaled from the image MACs, at least 30 s', () => {
    expect(defaultTimeoutMs(project('micro'), 'csim')).toBe(30_000);
    const tiny = project('m3vit-tiny');
    const macs = macsPerImage(tiny.design.dims);
    expect(macs).toBeGreaterThan(0.5e9);
    expect(defaultTimeoutMs(tiny, 'csim')).toBe(Math.round((1000 * 10 * macs) / 50e6));
  });
  test('xrt: 100× the predicted latency, at least 10 s', () => {
    expect(defaultTimeoutMs(project('micro'), 'xrt')).toBe(10_000);
    expect(defaultTimeoutMs(project('m3vit-small'), 'xrt')).toBeGreaterThanOrEqual(10_000);
  });
});
