/**
 * The house plan's import rules, checked on the sources: no import cycles (type-only imports
 * included: a cycle of types is still a knot for the next reader), and data flowing one way
 * (model/board -> search -> design -> generate -> build -> runner -> driver): generate never
 * imports the driver or the commands, the kernels never import generate or the driver.
 */
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { packageRoot } from '../../src/util/paths.js';

const src = join(packageRoot, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** file (relative to src) -> the src files it imports (relative imports only). */
function importGraph(files: string[], root: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const deps = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+'(\.{1,2}\/[^']+)'/g)].map(
      (m) => relative(root, resolve(dirname(f), m[1].replace(/\.js$/, '.ts'))),
    );
    graph.set(relative(root, f), [...new Set(deps)]);
  }
  return graph;
}

/** Every cycle's files (one representative path per strongly connected component), none if acyclic. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, 'open');
    stack.push(n);
    for (const d of graph.get(n) ?? []) {
      if (state.get(d) === 'open') found.push([...stack.slice(stack.indexOf(d)), d]);
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of [...graph.keys()].sort()) if (!state.has(n)) visit(n);
  return found;
}

describe('import rules', () => {
  const graph = importGraph(sources(src), src);

  test('the checker sees a cycle when there is one', () => {
    const g = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(cycles(g)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
    expect(cycles(new Map([['a.ts', ['b.ts']]]))).toEqual([]);
  });

  test('no import cycles in src/', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(cycles(graph).map((c) => c.join(' -> '))).toEqual([]);
  });

  test('data flows one way: generate and the kernels never import what runs after them', () => {
    const bad: string[] = [];
    const rules: Array<[string, string[]]> = [
      ['generate/', ['driver/', 'commands/', 'demo/', 'report/']],
      ['kernels/', ['generate/', 'driver/', 'commands/', 'toolchain/', 'report/']],
      ['design/', ['generate/', 'driver/', 'commands/', 'toolchain/']],
      ['model/', ['generate/', 'driver/', 'commands/', 'toolchain/', 'kernels/']],
      ['driver/', ['commands/']],
    ];
    for (const [file, deps] of graph)
      for (const [from, banned] of rules)
        if (file.startsWith(from))
          for (const d of deps) if (banned.some((b) => d.startsWith(b))) bad.push(`${file} imports ${d}`);
    expect(bad).toEqual([]);
  });
});
