// CountProgress off a terminal: lines driven by the count (first item, each tenth, the end).
import { expect, test } from '@jest/globals';
import { CountProgress } from '../../src/util/progress.js';

/** A non-terminal stream that hands each write to `take`, synchronously. */
function sink(take: (s: string) => void): NodeJS.WritableStream {
  return { write: (s: string) => (take(s), true) } as unknown as NodeJS.WritableStream;
}

test('off a terminal: a line for the first item, each further tenth and the last', () => {
  let text = '';
  const out = sink((s) => (text += s));
  let t = 0;
  const p = new CountProgress('running', 25, 'images', out, () => (t += 100));
  for (let i = 0; i < 25; i++) p.tick();
  p.stop();
  const counts = text
    .trim()
    .split('\n')
    .map((l) => Number(/^running: (\d+)\/25 images \(\d+\.\d\d images\/s\)$/.exec(l)?.[1]));
  // tenths of 25 are crossed at 3 (1.2 -> 1), 5, 8, 10, 13, 15, 18, 20, 23, 25
  expect(counts).toEqual([1, 3, 5, 8, 10, 13, 15, 18, 20, 23, 25]);
});

test('a batch of ticks and a total of 1', () => {
  let text = '';
  const out = sink((s) => (text += s));
  const p = new CountProgress('csim', 1, 'images', out);
  p.tick();
  expect(text).toMatch(/^csim: 1\/1 images/);
});
