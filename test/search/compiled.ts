// runSearch on the compiled code (dist/, which `npm test` builds before jest runs) in a child
// process, for the tests that run whole m3vit-tiny searches or exhaustive ones: the search's
// cost-model loops run about 10× slower inside jest's VM modules than in plain node (measured: the
// exhaustive micro search of the patches-on-engine space 5 s in node, 60–72 s under jest; the
// profile is the cost model's own small functions, so it is the VM, not the code). Not a test file.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DesignEstimate } from '../../src/design/estimate.js';
import type { DesignFileInput } from '../../src/design/schema.js';
import type { Evaluated } from '../../search/evaluate.js';
import { runSearch, type SearchOptions } from '../../search/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const entry = join(root, 'dist', 'search', 'index.js');

export interface CompiledSearch {
  best: Evaluated;
  designFile: DesignFileInput;
  report: Record<string, unknown>;
  estimate: Pick<DesignEstimate, 'fits' | 'latencyMs' | 'imagesPerSecond' | 'power' | 'fmaxMhz'>;
}

const script = `
import { runSearch } from ${JSON.stringify(entry)};
let text = '';
process.stdin.on('data', (d) => (text += d)).on('end', () => {
  const r = runSearch(JSON.parse(text));
  const { fits, latencyMs, imagesPerSecond, power, fmaxMhz } = r.estimate;
  process.stdout.write(JSON.stringify({ best: r.best, designFile: r.designFile, report: r.report, estimate: { fits, latencyMs, imagesPerSecond, power, fmaxMhz } }));
});`;

/**
 * runSearch(opts) in a child node on dist/ (options and result as JSON); without a built dist/ (a
 * test file run alone before `npm run build`), in this process, slower, saying so on stderr.
 */
export function runSearchCompiled(opts: Omit<SearchOptions, 'onProgress'>): CompiledSearch {
  if (!existsSync(entry)) {
    process.stderr.write(`\n*** ${entry} is missing (npm run build): the search runs under jest, about 10x slower ***\n\n`);
    const r = runSearch(opts);
    const { fits, latencyMs, imagesPerSecond, power, fmaxMhz } = r.estimate;
    return { best: r.best, designFile: r.designFile, report: r.report, estimate: { fits, latencyMs, imagesPerSecond, power, fmaxMhz } };
  }
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    input: JSON.stringify(opts),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`the compiled search failed (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as CompiledSearch;
}
