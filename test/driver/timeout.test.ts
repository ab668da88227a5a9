import { describe, expect, test } from '@jest/globals';
import { defaultDesignFile, resolveDesign } from '../../src/design/design.js';
import { macsPerImage } from '../../src/design/estimate.js';
import {
  ADAPTIVE_WINDOW,
  RequestTimeout,
  adaptiveTimeoutMs,
  defaultTimeoutMs,
  median,
} from '../../src/driver/timeout.js';

const project = (model: string) => ({
  dir: '/nowhere',
  designHash: '',
  design: resolveDesign(defaultDesignFile(model, 'u280'), 'test'),
});

describe('default per-request timeout (the start value)', () => {
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

describe('adaptive timeout: 10× the median answer time, at least the floor', () => {
  test('median', () => {
    expect(median([3])).toBe(3);
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow();
  });

  test('the start value until an answer is seen', () => {
    expect(adaptiveTimeoutMs([], 30_000)).toBe(30_000);
    expect(adaptiveTimeoutMs([], 1_000)).toBe(1_000); // the start value, even under the floor
  });

  test('the floor (5 s by default) when 10× the median is shorter', () => {
    expect(adaptiveTimeoutMs([120], 30_000)).toBe(5000); // 0.12 s/image: 1.2 s -> 5 s
    expect(adaptiveTimeoutMs([100, 120, 90_000], 30_000)).toBe(5000); // an outlier moves nothing
    expect(adaptiveTimeoutMs([499], 30_000)).toBe(5000);
    expect(adaptiveTimeoutMs([120], 30_000, 2000)).toBe(2000);
  });

  test('10× the median above the floor, whatever the start value', () => {
    expect(adaptiveTimeoutMs([800, 900, 1000, 60_000], 30_000)).toBe(9500); // median 950
    expect(adaptiveTimeoutMs([7000, 6000, 8000], 30_000)).toBe(70_000); // above the start value too
    expect(adaptiveTimeoutMs([501], 30_000)).toBe(5010);
    expect(adaptiveTimeoutMs([1234.56], 30_000)).toBe(12_346); // whole ms
  });

  test('RequestTimeout.fixed ignores answers', () => {
    const t = RequestTimeout.fixed(2000);
    t.record(1);
    expect(t.ms).toBe(2000);
    expect(t.describe()).toBe('');
    expect(t.advice).toBe('raise the limit with --timeout');
  });

  test('RequestTimeout.adaptive: start value, then the rule; listeners hear each change once', () => {
    const t = RequestTimeout.adaptive(30_000);
    let changes = 0;
    const off = t.onChange(() => changes++);
    expect(t.ms).toBe(30_000);
    expect(t.describe()).toMatch(/start value/);
    t.record(120);
    expect(t.ms).toBe(5000);
    expect(changes).toBe(1);
    t.record(130); // median 125: still the floor, no change
    expect(changes).toBe(1);
    t.record(2000);
    t.record(2000); // median 1065 -> 10650
    expect(t.ms).toBe(10_650);
    expect(changes).toBe(2);
    expect(t.describe()).toBe(' (10× the median answer time 1.1 s, at least 5.0 s)');
    expect(t.advice).toBe('set a fixed limit with --timeout');
    t.record(NaN);
    t.record(-1);
    expect(t.answersSeen).toBe(4);
    off();
    t.record(9000);
    expect(changes).toBe(2);
  });

  test('the median is over the last 100 answers', () => {
    const t = RequestTimeout.adaptive(30_000);
    for (let i = 0; i < ADAPTIVE_WINDOW; i++) t.record(1000);
    expect(t.ms).toBe(10_000);
    for (let i = 0; i < ADAPTIVE_WINDOW / 2; i++) t.record(3000);
    expect(t.ms).toBe(20_000); // half and half: median (1000 + 3000) / 2
    for (let i = 0; i < ADAPTIVE_WINDOW / 2; i++) t.record(3000);
    expect(t.ms).toBe(30_000); // the 1000s have all left the window
    expect(t.answersSeen).toBe(ADAPTIVE_WINDOW);
  });
});
