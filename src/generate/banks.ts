/**
 * The memory-port rules of the synthesisability lint (docs/hls-rules.md): partition pragmas sit at
 * array declarations, never on function arguments; in a pipelined loop a partitioned dimension is
 * indexed by an unrolled loop variable plus a term free of it (a static bank per unrolled copy);
 * a ROM table read by more than 2 units per cycle is replicated; a cyclic factor that meets a
 * run-time index is a power of two. A static, text-level analysis of the generated sources (the
 * conventions of the kernel library: one statement per line, pragmas right after what they name,
 * CFG::X constants whose values the project's config.h lists).
 */
import type { BankRule, LintIssue } from './lintTypes.js';

export type { BankRule } from './lintTypes.js';

/** Values of the constants of a project's config.h: `STRUCT::MEMBER` and, for template code, every value a MEMBER name has. */
export interface ConfigValues {
  qualified: Map<string, number>;
  byMember: Map<string, Set<number>>;
}

export function configValues(configText: string): ConfigValues {
  const qualified = new Map<string, number>();
  const byMember = new Map<string, Set<number>>();
  const put = (q: string, m: string, v: number) => {
    qualified.set(q, v);
    const set = byMember.get(m) ?? new Set<number>();
    set.add(v);
    byMember.set(m, set);
  };
  for (const s of configText.matchAll(/\bstruct\s+(\w+)[^{;]*\{([\s\S]*?)\n\};/g))
    for (const c of s[2].matchAll(
      /static\s+const\s+(?:unsigned|int|bool)\s+(\w+)\s*=\s*(true|false|-?\d+)u?\s*;/g,
    ))
      put(`${s[1]}::${c[1]}`, c[1], c[2] === 'true' ? 1 : c[2] === 'false' ? 0 : Number(c[2]));
  for (const t of configText.matchAll(/\btypedef\s+(\w+)\s+(\w+)\s*;/g))
    for (const [q, v] of [...qualified])
      if (q.startsWith(`${t[1]}::`)) qualified.set(`${t[2]}::${q.split('::')[1]}`, v);
  return { qualified, byMember };
}

const isPow2 = (n: number) => n > 0 && (n & (n - 1)) === 0;
const lineOf = (text: string, index: number) => text.slice(0, index).split('\n').length;

function matching(text: string, open: number, a: string, b: string): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === a) depth++;
    else if (text[i] === b && --depth === 0) return i;
  }
  return -1;
}

/** The pieces of `s` between occurrences of `sep` outside the brackets `opens`/`closes`. */
function splitAtDepth0(s: string, sep: string, opens: string, closes: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (opens.includes(c)) depth++;
    else if (closes.includes(c)) depth--;
    if (c === sep && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Splits at top-level commas (not inside (), <>, [] or {}). */
function splitTop(s: string): string[] {
  const out = splitAtDepth0(s, ',', '([{<', ')]}>');
  if (!out[out.length - 1].trim()) out.pop();
  return out;
}

interface Fn {
  name: string;
  tparams: string[]; // template parameter names (template <class CFG> -> ['CFG'])
  params: string[];
  bodyStart: number; // index of the first character after '{'
  body: string;
}

/** Function definitions of one stripped source: name, parameter names, body. */
export function functions(code: string): Fn[] {
  const fns: Fn[] = [];
  const re = /\b([A-Za-z_]\w*)\s*(?:<[^;{}()]*>)?\s*\(([^;{}]*)\)\s*(?:const\s*)?\{/g;
  for (let m; (m = re.exec(code));) {
    if (['if', 'for', 'while', 'switch', 'return', 'sizeof', 'namespace'].includes(m[1])) continue;
    const open = m.index + m[0].length - 1;
    const close = matching(code, open, '{', '}');
    if (close < 0) continue;
    const params = splitTop(m[2])
      .map((p) => /([A-Za-z_]\w*)\s*(?:\[[^\]]*\])*\s*$/.exec(p.replace(/=.*$/, '').trim())?.[1] ?? '')
      .filter((p) => p && p !== 'void');
    const head = /template\s*<([^<>]*)>[^;{}()]*$/.exec(code.slice(Math.max(0, m.index - 300), m.index));
    const tparams = head ? splitTop(head[1]).map((t) => /(\w+)\s*$/.exec(t.trim())?.[1] ?? '') : [];
    fns.push({ name: m[1], tparams, params, bodyStart: open + 1, body: code.slice(open + 1, close) });
    re.lastIndex = close;
  }
  return fns;
}

/** `const unsigned NAME = EXPR` definitions in a body (the last one wins). */
function localDefs(body: string): Map<string, string> {
  const defs = new Map<string, string>();
  for (const m of body.matchAll(/\bconst\s+(?:unsigned|int|long|unsigned\s+long)\s+([^;]+);/g))
    for (const d of splitTop(m[1])) {
      const dm = /^\s*([A-Za-z_]\w*)\s*=\s*([\s\S]+)$/.exec(d);
      if (dm) defs.set(dm[1], dm[2].trim());
    }
  return defs;
}

/** The values an integer expression may take (constants only: literals, X::Y, local consts, + - * /); undefined when it is not constant. */
type Bind = Record<string, string>; // template parameter -> config struct (or typedef) name

function constValues(
  expr: string,
  defs: Map<string, string>,
  cfg: ConfigValues,
  depth = 0,
  bind: Bind = {},
): number[] | undefined {
  if (depth > 6) return undefined;
  const e = expr.trim().replace(/^\((.*)\)$/, '$1');
  if (/^\d+u?$/i.test(e)) return [parseInt(e, 10)];
  const q = /^(\w+)::(\w+)$/.exec(e);
  if (q) {
    const v = cfg.qualified.get(bind[q[1]] ? `${bind[q[1]]}::${q[2]}` : e);
    if (v !== undefined) return [v];
    const all = cfg.byMember.get(q[2]);
    return all ? [...all] : undefined;
  }
  if (/^[A-Za-z_]\w*$/.test(e)) {
    const d = defs.get(e);
    return d === undefined ? undefined : constValues(d, defs, cfg, depth + 1, bind);
  }
  const bin = /^(.+?)\s*([*/+-])\s*([^*/+-]+)$/.exec(e);
  if (bin) {
    const a = constValues(bin[1], defs, cfg, depth + 1, bind);
    const b = constValues(bin[3], defs, cfg, depth + 1, bind);
    if (!a || !b) return undefined;
    const op = bin[2];
    const out = new Set<number>();
    for (const x of a)
      for (const y of b)
        out.add(
          op === '*' ? x * y : op === '/' ? Math.floor(x / Math.max(1, y)) : op === '+' ? x + y : x - y,
        );
    return [...out];
  }
  return undefined;
}

/** Substitutes local const definitions (which depend on run-time values) into an index, a few levels deep. */
function expand(expr: string, defs: Map<string, string>): string {
  let e = expr;
  for (let i = 0; i < 4; i++)
    e = e.replace(/\b[A-Za-z_]\w*\b(?!\s*::)/g, (id) => (defs.has(id) ? `(${defs.get(id)})` : id));
  return e;
}

const idsOf = (e: string): string[] =>
  (
    e
      .replace(/\b\w+(::\w+)+/g, ' ')
      .replace(/\.\s*\w+/g, ' ')
      .match(/\b[A-Za-z_]\w*\b/g) ?? []
  ).filter((id) => !/^(unsigned|int|const|true|false|sizeof)$/.test(id));

/** Does `e` use only the unrolled variable `u` as a single additive term (`E + u`, `u + E`, `u`, with E free of u)? */
function additiveIn(e: string, u: string): boolean {
  const terms = splitAdd(e.trim());
  const withU = terms.filter((t) => new RegExp(`\\b${u}\\b`).test(t));
  return withU.length === 1 && withU[0].trim() === u;
}

/** Top-level `+` terms of an expression (strips one layer of enclosing parentheses). */
function splitAdd(e: string): string[] {
  let s = e;
  while (/^\(.*\)$/.test(s) && matching(s, 0, '(', ')') === s.length - 1) s = s.slice(1, -1).trim();
  const out = splitAtDepth0(s, '+', '([<', ')]>');
  // nested parenthesised sums flatten into the same terms
  return out.flatMap((t) =>
    /^\s*\(.*\)\s*$/.test(t) && matching(t.trim(), 0, '(', ')') === t.trim().length - 1
      ? splitAdd(t.trim())
      : [t],
  );
}

/** The subscripts of an access whose name ends at `from` (`[a][b]` -> ['a', 'b']). */
function indices(text: string, from: number): string[] {
  const out: string[] = [];
  let i = from;
  for (;;) {
    while (text[i] === ' ' || text[i] === '\n') i++;
    if (text[i] !== '[') return out;
    const j = matching(text, i, '[', ']');
    if (j < 0) return out;
    out.push(text.slice(i + 1, j));
    i = j + 1;
  }
}

/** One way an array reaches a function: its partitions and its declared dimension sizes. */
interface Alt {
  parts: Partition[];
  sizes: number[];
  bind: Bind; // the callee's template binding this alternative comes with
}

interface Partition {
  kind: 'cyclic' | 'block' | 'complete';
  dim: number; // 0 = every dimension
  factors?: number[]; // possible values (undefined: not constant)
}

/** Loops of a body: header range, variable, bound, body range, label, pipelined or not. */
interface Loop {
  at: number;
  v: string;
  bound: string;
  open: number;
  close: number;
  label: string;
  pipelined: boolean;
}

function loops(body: string): Loop[] {
  const out: Loop[] = [];
  for (const m of body.matchAll(/\bfor\s*\(/g)) {
    const open = m.index! + m[0].length - 1;
    const close = matching(body, open, '(', ')');
    if (close < 0) continue;
    const parts = body.slice(open + 1, close).split(';');
    const brace = body.indexOf('{', close);
    if (brace < 0 || body.slice(close + 1, brace).trim() !== '') continue;
    const end = matching(body, brace, '{', '}');
    const v = /([A-Za-z_]\w*)\s*=/.exec(parts[0] ?? '')?.[1] ?? '';
    const bound = /<\s*(.+)$/.exec(parts[1] ?? '')?.[1]?.trim() ?? '';
    const before = body.slice(Math.max(0, m.index! - 80), m.index!);
    const label = /(\w+)\s*:\s*$/.exec(before)?.[1] ?? '';
    // pipelined: its own body (before any nested loop) states UBIMOE_PIPELINE / PIPELINE
    const inner = body.slice(brace + 1, end);
    const head = inner.slice(0, inner.search(/\bfor\s*\(/) >= 0 ? inner.search(/\bfor\s*\(/) : inner.length);
    const pipelined = /\bUBIMOE_PIPELINE\s*\(|#pragma\s+HLS\s+PIPELINE(?!\s+off)/i.test(head);
    out.push({ at: m.index!, v, bound, open: brace, close: end, label, pipelined });
  }
  return out;
}

/** The function name and loop label an index of a body belongs to ("fn/label"). */
function site(fn: Fn, ls: Loop[], index: number): string {
  const l = ls.filter((x) => x.open < index && index < x.close && x.label).pop();
  return `${fn.name}${l ? `/${l.label}` : ''}`;
}

export interface BankIssue extends LintIssue {
  site: string; // function/loop label
}

/** The four memory-port rules on one project's sources (stripped code; pragmas kept). */
export function lintBanks(sources: Array<{ file: string; code: string }>, cfg: ConfigValues): BankIssue[] {
  const issues: BankIssue[] = [];
  const all = sources.flatMap((s) => functions(s.code).map((fn) => ({ ...s, fn })));
  const add = (
    rule: BankRule,
    file: string,
    code: string,
    fn: Fn,
    index: number,
    message: string,
    ls: Loop[],
  ) =>
    issues.push({
      file,
      line: lineOf(code, fn.bodyStart + index),
      rule: rule as LintIssue['rule'],
      message,
      site: site(fn, ls, index),
    });

  // ROM tables: namespace-scope const arrays with an initialiser, and how each is replicated
  const tables = new Map<string, { replicated: boolean }>();
  for (const s of sources) {
    const fnRanges = functions(s.code).map((f) => [f.bodyStart, f.bodyStart + f.body.length]);
    for (const m of s.code.matchAll(/\bconst\s+[\w:<> ]+?\s(\w+)\s*\[[^\]]+\]\s*=\s*\{/g)) {
      if (fnRanges.some(([a, b]) => m.index! > a && m.index! < b)) continue;
      tables.set(m[1], { replicated: false });
    }
  }
  for (const s of sources)
    for (const m of s.code.matchAll(
      /#pragma\s+HLS\s+(BIND_STORAGE|ARRAY_PARTITION)\s+variable=(\w+)([^\n]*)/gi,
    ))
      if (tables.has(m[2]) && /type=rom_np|\bcomplete\b/i.test(m[3])) tables.get(m[2])!.replicated = true;
  // which functions read which tables (transitively through their callees)
  const reads = new Map<string, Set<string>>();
  for (const { fn } of all) {
    const set = reads.get(fn.name) ?? new Set<string>();
    for (const t of tables.keys()) if (new RegExp(`\\b${t}\\s*\\[`).test(fn.body)) set.add(t);
    reads.set(fn.name, set);
  }
  for (let changed = true; changed;) {
    changed = false;
    for (const { fn } of all)
      for (const c of fn.body.matchAll(/\b([A-Za-z_]\w*)\s*(?:<[^;{}()]*>)?\s*\(/g)) {
        const callee = reads.get(c[1]);
        const mine = reads.get(fn.name)!;
        if (callee && c[1] !== fn.name)
          for (const t of callee)
            if (!mine.has(t)) {
              mine.add(t);
              changed = true;
            }
      }
  }

  // the template bindings each function is reached with (top functions: none), then its arrays
  // and their partitions: declared in a function (pragmas at the declaration; none =
  // unpartitioned) and followed into the callees they are passed to (by argument position); a
  // callee reached with different arrays or bindings is checked once per alternative
  const fnByName = new Map(all.map((a) => [a.fn.name, a.fn]));
  const key = (b: Bind) => JSON.stringify(Object.entries(b).sort());
  const binds = new Map<string, Map<string, Bind>>();
  const arrays = new Map<string, Map<string, Alt[]>>(); // function -> array -> alternatives
  for (const { fn } of all) {
    binds.set(fn.name, new Map(fn.tparams.length ? [] : [[key({}), {}]]));
    arrays.set(fn.name, new Map());
  }
  const declaredIn = (fn: Fn, bind: Bind) => {
    const defs = localDefs(fn.body);
    const declared = new Map<string, Alt>();
    for (const m of fn.body.matchAll(
      /(?:^|[;{}])\s*(?:static\s+)?(?:const\s+)?(?:typename\s+)?([\w:]+)(?:<[^;{}()]*>)?\s+(\w+)((?:\s*\[[^\]]+\])+)\s*[=;]/g,
    )) {
      if (/^(else|return|case|do|goto)$/.test(m[1])) continue;
      const sizes = indices(m[3], 0).map((d) =>
        Math.max(...(constValues(d, defs, cfg, 0, bind) ?? [Infinity])),
      );
      declared.set(m[2], { parts: [], sizes, bind });
    }
    for (const m of fn.body.matchAll(/#pragma\s+HLS\s+(ARRAY_PARTITION|ARRAY_RESHAPE)\s+([^\n]*)/gi)) {
      const v = /variable=(\w+)/.exec(m[2])?.[1];
      if (!v || fn.params.includes(v)) continue;
      const kind = (/\b(cyclic|block|complete)\b/i.exec(m[2])?.[1]?.toLowerCase() ??
        'complete') as Partition['kind'];
      const dim = Number(/dim=(\d+)/.exec(m[2])?.[1] ?? '1');
      const f = /factor=(\w+)/.exec(m[2])?.[1];
      const alt = declared.get(v) ?? { parts: [], sizes: [], bind };
      alt.parts.push({ kind, dim, factors: f ? constValues(f, defs, cfg, 0, bind) : undefined });
      declared.set(v, alt);
    }
    return declared;
  };
  const calls = (fn: Fn) =>
    [...fn.body.matchAll(/\b([A-Za-z_]\w*)\s*(<[^;{}()]*>)?\s*\(/g)].flatMap((c) => {
      const callee = fnByName.get(c[1]);
      if (!callee || callee === fn) return [];
      const open = fn.body.indexOf('(', c.index! + c[0].length - 1);
      const close = matching(fn.body, open, '(', ')');
      if (close < 0) return [];
      const targs = c[2] ? splitTop(c[2].slice(1, -1)).map((t) => t.trim()) : [];
      return [{ callee, targs, args: splitTop(fn.body.slice(open + 1, close)).map((x) => x.trim()) }];
    });
  for (let round = 0; round < 6; round++)
    for (const { fn } of all)
      for (const b of [...binds.get(fn.name)!.values()]) {
        const mine = new Map(
          [...arrays.get(fn.name)!].map(([n, alts]) => [n, alts.filter((x) => key(x.bind) === key(b))]),
        );
        for (const [n, alt] of declaredIn(fn, b)) mine.set(n, [alt]);
        for (const { callee, targs, args } of calls(fn)) {
          const cb: Bind = {};
          callee.tparams.forEach((t, i) => {
            if (targs[i]) cb[t] = b[targs[i]] ?? targs[i];
          });
          binds.get(callee.name)!.set(key(cb), cb);
          args.forEach((arg, i) => {
            const param = callee.params[i];
            if (!param) return;
            const theirs = arrays.get(callee.name)!;
            const known = theirs.get(param) ?? [];
            for (const alt of mine.get(arg) ?? []) {
              const next = { ...alt, bind: cb };
              if (!known.some((k) => JSON.stringify(k) === JSON.stringify(next))) known.push(next);
            }
            theirs.set(param, known);
          });
        }
      }

  for (const { file, code, fn } of all) {
    const ls = loops(fn.body);
    const fnDefs = localDefs(fn.body);
    // rule 1: partition pragmas on function arguments
    for (const m of fn.body.matchAll(/#pragma\s+HLS\s+(ARRAY_PARTITION|ARRAY_RESHAPE)\s+([^\n]*)/gi)) {
      const v = /variable=(\w+)/.exec(m[2])?.[1];
      if (v && fn.params.includes(v))
        add(
          'arg-partition',
          file,
          code,
          fn,
          m.index!,
          `${m[1]} on function argument '${v}' (partition the array where it is declared)`,
          ls,
        );
    }
    const bindList = [...binds.get(fn.name)!.values()];
    for (const bind of bindList.length ? bindList : [{}]) {
      const alternatives = new Map(
        [...arrays.get(fn.name)!].map(([n, alts]) => [n, alts.filter((x) => key(x.bind) === key(bind))]),
      );
      for (const [n, alt] of declaredIn(fn, bind)) alternatives.set(n, [alt]);
      const values = (e: string, defs: Map<string, string>) => constValues(e, defs, cfg, 0, bind);
      const trip = (u: Loop, defs: Map<string, string>) => Math.max(...(values(u.bound, defs) ?? [3]));
      for (const loop of ls.filter((l) => l.pipelined)) {
        const body = fn.body.slice(loop.open, loop.close);
        const defs = new Map([...fnDefs, ...localDefs(body)]);
        const isConst = (id: string) => /^[A-Z][A-Z0-9_]*$/.test(id) || values(id, defs) !== undefined;
        // the loops nested in a pipelined loop are unrolled: their variables and trip counts
        const unrolled = ls.filter((l) => l.open > loop.open && l.close < loop.close);
        const runtime = (e: string) =>
          idsOf(e).filter((id) => !isConst(id) && !unrolled.some((u) => u.v === id));
        const name_ = loop.label || loop.v;
        // arrays declared in the pipelined body are registers (every index is constant once unrolled)
        const inBody = new Set(
          [...body.matchAll(/\b(\w+)\s*\[[^\]]+\]\s*(?:\[[^\]]+\]\s*)*;/g)].map((m) => m[1]),
        );
        for (const [name, alts] of alternatives)
          for (const { parts: ps, sizes } of alts)
            for (const a of body.matchAll(new RegExp(`(?<![\\w.])${name}\\s*\\[`, 'g'))) {
              const raw = indices(body, a.index! + name.length);
              const idx = raw.map((e) => expand(e, defs));
              const at = loop.open + a.index!;
              const around = unrolled.filter((u) => u.open < at && at < u.close);
              // rules 2 and 4 on the partitioned dimensions
              for (const p of ps)
                for (const d of p.dim === 0 ? idx.map((_, i) => i + 1) : [p.dim]) {
                  const e = idx[d - 1] ?? '';
                  const us = around.filter((u) => new RegExp(`\\b${u.v}\\b`).test(e));
                  const real = p.kind !== 'complete' && (p.factors ?? [2]).some((f) => f > 1);
                  if (real && us.some((u) => !additiveIn(e, u.v)))
                    add(
                      'bank-index',
                      file,
                      code,
                      fn,
                      at,
                      `'${name}' dim ${d} (partitioned ${p.kind}) indexed by '${raw[d - 1].trim()}' in pipelined loop '${name_}': not an unrolled variable plus a term free of it (the bank is not static)`,
                      ls,
                    );
                  else if (p.kind === 'cyclic' && p.factors)
                    for (const u of us)
                      if (trip(u, defs) > Math.min(...p.factors))
                        add(
                          'bank-index',
                          file,
                          code,
                          fn,
                          at,
                          `'${name}' dim ${d}: ${trip(u, defs)} lanes of '${u.v}' per cycle into ${Math.min(...p.factors)} banks in pipelined loop '${name_}'`,
                          ls,
                        );
                  if (p.kind === 'cyclic' && runtime(e).length > 0 && p.factors?.some((f) => !isPow2(f)))
                    add(
                      'pow2-factor',
                      file,
                      code,
                      fn,
                      at,
                      `'${name}' dim ${d}: cyclic factor ${p.factors.filter((f) => !isPow2(f)).join('/')} meets the run-time index '${raw[d - 1].trim()}' (not a power of two: divide/modulo bank logic)`,
                      ls,
                    );
                }
              // rule 2, unpartitioned dimensions: the unrolled variables that pick elements only
              // through dimensions without banks put that many accesses per cycle on one memory
              if (inBody.has(name)) continue;
              const banked = (d: number) =>
                ps.some(
                  (p) =>
                    (p.dim === 0 || p.dim === d) &&
                    (p.kind === 'complete' || (p.factors ?? [2]).some((f) => f > 1)),
                );
              const copies = around
                .filter((u) =>
                  idx.some((e, d) => new RegExp(`\\b${u.v}\\b`).test(e) && (sizes[d] ?? Infinity) > 2),
                )
                .filter((u) => !idx.some((e, d) => new RegExp(`\\b${u.v}\\b`).test(e) && banked(d + 1)))
                .reduce((n, u) => n * trip(u, defs), 1);
              if (copies > 2)
                add(
                  'bank-index',
                  file,
                  code,
                  fn,
                  at,
                  `'${name}': ${copies} of its elements per cycle through unpartitioned dimensions in pipelined loop '${name_}'`,
                  ls,
                );
            }
        // rule 3: ROM tables read by more than 2 units per cycle (through a call, or directly)
        const units = (at: number) =>
          unrolled.filter((u) => u.open < at && at < u.close).reduce((n, u) => n * trip(u, defs), 1);
        for (const c of body.matchAll(/\b([A-Za-z_]\w*)\s*(?:<[^;{}()]*>)?\s*\(/g)) {
          const read = [...(reads.get(c[1]) ?? [])].filter((t) => !tables.get(t)!.replicated);
          const n = units(loop.open + c.index!);
          if (read.length && n > 2)
            add(
              'rom-replication',
              file,
              code,
              fn,
              loop.open + c.index!,
              `ROM table ${read.join(', ')} read by ${n} units per cycle through '${c[1]}' in pipelined loop '${name_}' and not replicated (BIND_STORAGE type=rom_np, or one copy per unit)`,
              ls,
            );
        }
        for (const [t, info] of tables)
          for (const a of info.replicated ? [] : body.matchAll(new RegExp(`\\b${t}\\s*\\[`, 'g'))) {
            const n = units(loop.open + a.index!);
            if (n > 2)
              add(
                'rom-replication',
                file,
                code,
                fn,
                loop.open + a.index!,
                `ROM table ${t} read by ${n} units per cycle in pipelined loop '${name_}' and not replicated`,
                ls,
              );
          }
      }
    }
  }
  // one finding per place and message (several bindings may find the same)
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.file}:${i.line}:${i.rule}:${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
