/**
 * Synthesisability lint of a generated project's kernel sources (kernels/*.cpp, kernels/config.h,
 * include/ubimoe/*.h): no dynamic memory, no STL or std:: at all, no float/double (types or
 * literals), no recursion, every loop whose bound is not a compile-time constant carries a
 * LOOP_TRIPCOUNT pragma, and the memory-port rules of banks.ts (docs/hls-rules.md). Conventions it relies on (the kernel library follows them): constant
 * bounds are literals, ALL_CAPS names, qualified names (cfg::X) or `const` locals initialised
 * from those.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configValues, lintBanks } from './banks.js';
import type { BankRule, LintIssue } from './lintTypes.js';

export type { LintIssue } from './lintTypes.js';

/**
 * Memory-port findings in library code other branches are fixing (issue 13 items 1-3, 5), kept
 * reported but not fatal until those fixes land; each entry is the exact header, rule and
 * function/loop label. Remove an entry once its fix is merged (the lint then holds it fixed).
 * Empty since attention.h takes qkv and its output in the lane layout (issue 13 item 1).
 */
export const KNOWN_SITES: Array<{ file: string; rule: BankRule; site: string; why: string }> = [];

const isKnown = (i: LintIssue) =>
  KNOWN_SITES.some((k) => k.file === i.file && k.rule === i.rule && k.site === i.site);

/** Comments and string/char literals blanked out (newlines kept, so line numbers stay right). */
export function stripCode(text: string): string {
  let out = '';
  let i = 0;
  const blank = (c: string) => (c === '\n' ? '\n' : ' ');
  while (i < text.length) {
    const c = text[i];
    const n = text[i + 1];
    if (c === '/' && n === '/') {
      while (i < text.length && text[i] !== '\n') {
        out += ' ';
        i++;
      }
    } else if (c === '/' && n === '*') {
      while (i < text.length && !(text[i] === '*' && text[i + 1] === '/')) {
        out += blank(text[i]);
        i++;
      }
      out += '  ';
      i += 2;
    } else if (c === '"' || c === "'") {
      out += c;
      i++;
      while (i < text.length && text[i] !== c) {
        if (text[i] === '\\') {
          out += ' ';
          i++;
        }
        out += blank(text[i] ?? ' ');
        i++;
      }
      out += c;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out.slice(0, text.length);
}

const lineOf = (text: string, index: number) => text.slice(0, index).split('\n').length;

const ALLOWED_INCLUDES =
  /^(ap_int\.h|ap_fixed\.h|hls_stream\.h|hls_math\.h|config\.h|ubimoe\/[a-z_]+\.h|[a-z_]+\.h)$/;

/** Finds the index of the bracket matching the one at `open`. */
function matching(text: string, open: number, a: string, b: string): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === a) depth++;
    else if (text[i] === b && --depth === 0) return i;
  }
  return -1;
}

/** Names declared `const <integral type> name = <constant expression>;` (a constant bound). */
function constNames(code: string): Set<string> {
  const names = new Set<string>();
  const re = /\bconst\s+(?:unsigned|int|long|unsigned\s+long)\s+([^;]+);/g;
  for (let m; (m = re.exec(code));)
    for (const decl of m[1].split(/,(?![^(]*\))/)) {
      const dm = /^\s*([A-Za-z_]\w*)\s*=\s*(.+)$/.exec(decl);
      if (dm && isConstantExpr(dm[2], names, '')) names.add(dm[1]);
    }
  return names;
}

function isConstantExpr(expr: string, consts: Set<string>, loopVar: string): boolean {
  const withoutQualified = expr.replace(/\b[A-Za-z_]\w*(::[A-Za-z_]\w*)+/g, ' ');
  const ids = withoutQualified.match(/\b[A-Za-z_]\w*\b/g) ?? [];
  return ids.every(
    (id) => id === loopVar || /^[A-Z][A-Z0-9_]*$/.test(id) || consts.has(id) || id === 'sizeof',
  );
}

export function lintSource(file: string, text: string): LintIssue[] {
  const issues: LintIssue[] = [];
  const code = stripCode(text);
  const add = (rule: LintIssue['rule'], index: number, message: string) =>
    issues.push({ file, line: lineOf(code, index), rule, message });

  for (const m of code.matchAll(/\b(new|delete|malloc|calloc|realloc|free)\b\s*[([A-Za-z_]/g))
    add('heap', m.index!, `dynamic memory ('${m[1]}')`);
  for (const m of code.matchAll(/\bstd::\w+/g)) add('stl', m.index!, `standard library use ('${m[0]}')`);
  for (const m of code.matchAll(/\b(float|double)\b/g))
    add('float', m.index!, `floating-point type '${m[1]}'`);
  for (const m of code.matchAll(/(?<![\w.])(\d+\.\d*|\.\d+)([eE][+-]?\d+)?[fFlL]?(?![\w.])/g))
    add('float', m.index!, `floating-point literal '${m[0]}'`);
  for (const m of text.matchAll(/^\s*#\s*include\s*[<"]([^>"]+)[>"]/gm))
    if (!ALLOWED_INCLUDES.test(m[1]))
      add('include', m.index!, `include of <${m[1]}> (only the Vitis headers and ubimoe's own)`);

  // loops: a bound that is not a compile-time constant needs a LOOP_TRIPCOUNT right inside the loop
  const consts = constNames(code);
  for (const m of code.matchAll(/\bfor\s*\(/g)) {
    const open = m.index! + m[0].length - 1;
    const close = matching(code, open, '(', ')');
    if (close < 0) continue;
    const parts = code.slice(open + 1, close).split(';');
    if (parts.length !== 3) continue;
    const loopVar = /([A-Za-z_]\w*)\s*=/.exec(parts[0])?.[1] ?? '';
    const cond = parts[1].replace(new RegExp(`\\b${loopVar}\\b`, 'g'), ' ');
    if (isConstantExpr(cond, consts, loopVar)) continue;
    const after = text.slice(close, close + 240);
    const bodyStart = after.slice(
      0,
      after.search(/\bfor\s*\(|}/) >= 0 ? after.search(/\bfor\s*\(|}/) : after.length,
    );
    if (!/#pragma\s+HLS\s+LOOP_TRIPCOUNT/i.test(bodyStart))
      add('tripcount', m.index!, `loop bound '${parts[1].trim()}' is not constant and has no LOOP_TRIPCOUNT`);
  }
  return issues;
}

/** Function definitions (name -> body) of a set of sources, for the recursion check. */
function functionBodies(
  codes: Array<{ file: string; code: string }>,
): Map<string, { file: string; index: number; body: string }[]> {
  const defs = new Map<string, { file: string; index: number; body: string }[]>();
  for (const { file, code } of codes) {
    const re = /\b([A-Za-z_]\w*)\s*(?:<[^;{}()]*>)?\s*\(([^;{}]*)\)\s*(?:const\s*)?\{/g;
    for (let m; (m = re.exec(code));) {
      const name = m[1];
      if (['if', 'for', 'while', 'switch', 'return', 'sizeof'].includes(name)) continue;
      const open = m.index + m[0].length - 1;
      const close = matching(code, open, '{', '}');
      if (close < 0) continue;
      const list = defs.get(name) ?? [];
      list.push({ file, index: m.index, body: code.slice(open + 1, close) });
      defs.set(name, list);
    }
  }
  return defs;
}

export function lintRecursion(codes: Array<{ file: string; code: string }>): LintIssue[] {
  const defs = functionBodies(codes);
  const calls = new Map<string, Set<string>>();
  for (const [name, list] of defs) {
    const set = new Set<string>();
    for (const d of list)
      for (const m of d.body.matchAll(/\b([A-Za-z_]\w*)\s*(?:<[^;{}()]*>)?\s*\(/g))
        if (defs.has(m[1])) set.add(m[1]);
    calls.set(name, set);
  }
  const issues: LintIssue[] = [];
  const state = new Map<string, 'active' | 'done'>();
  const visit = (n: string, path: string[]) => {
    if (state.get(n) === 'done') return;
    if (state.get(n) === 'active') {
      const d = defs.get(n)![0];
      const cycle = [...path.slice(path.indexOf(n)), n].join(' -> ');
      issues.push({
        file: d.file,
        line: lineOf(codes.find((c) => c.file === d.file)!.code, d.index),
        rule: 'recursion',
        message: `recursion: ${cycle}`,
      });
      return;
    }
    state.set(n, 'active');
    for (const c of calls.get(n) ?? []) visit(c, [...path, n]);
    state.set(n, 'done');
  };
  for (const n of defs.keys()) visit(n, []);
  return issues;
}

/** Lints the synthesisable sources of a generated project. */
export function lintProject(dir: string): LintIssue[] {
  const files: string[] = [];
  const kernels = join(dir, 'kernels');
  const lib = join(dir, 'include', 'ubimoe');
  if (existsSync(kernels))
    files.push(
      ...readdirSync(kernels)
        .filter((f) => /\.(cpp|h)$/.test(f))
        .map((f) => join('kernels', f)),
    );
  if (existsSync(lib))
    files.push(
      ...readdirSync(lib)
        .filter((f) => f.endsWith('.h'))
        .map((f) => join('include', 'ubimoe', f)),
    );
  const issues: LintIssue[] = [];
  const codes: Array<{ file: string; code: string }> = [];
  for (const f of files.sort()) {
    const text = readFileSync(join(dir, f), 'utf8');
    issues.push(...lintSource(f, text));
    codes.push({ file: f, code: stripCode(text) });
  }
  issues.push(...lintRecursion(codes));
  // the constants' values: config.h's structs, and the kernels' typedefs of them (typedef X ENG;)
  const cfg = configValues(
    files
      .filter((f) => f.startsWith('kernels'))
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('\n'),
  );
  for (const i of lintBanks(codes, cfg)) issues.push(isKnown(i) ? { ...i, known: true } : i);
  return issues;
}

/** The findings that fail a project (everything but the KNOWN_SITES entries). */
export const fatalIssues = (issues: LintIssue[]): LintIssue[] => issues.filter((i) => !i.known);

export function formatIssues(issues: LintIssue[]): string {
  return issues
    .map(
      (i) =>
        `${i.file}:${i.line}: ${i.rule}${i.known ? ' (known site)' : ''}: ${i.message}${i.site ? ` [${i.site}]` : ''}`,
    )
    .join('\n');
}
