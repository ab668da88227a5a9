/**
 * One C++ config struct per building-block instance (ARCHITECTURE.md, "How a kernel is
 * described"): numbers and types live in the struct, logic in the header that is templated on it.
 * The kernel modules build these; the generator renders them into config.h.
 */
import { cComment, cIdent, cInt } from './ident.js';

export interface CppConst {
  name: string;
  value: number | boolean;
  comment?: string;
}

export interface CppType {
  name: string;
  type: string; // a C++ type spelling from fixed.ts (ap_fixed<...>) or the name of a global typedef
  comment?: string;
}

export interface CppStruct {
  name: string;
  comment: string;
  base?: string; // a struct (declared before) whose members this one inherits
  consts: CppConst[];
  types: CppType[];
}

const TYPE_SPELLING =
  /^(ap_u?fixed<\d+,-?\d+(,AP_[A-Z_]+,AP_[A-Z_]+)?>|ap_u?int<\d+>|[A-Za-z_][A-Za-z0-9_]*)$/;

/** Checks a type spelling (no template injection: only the shapes fixed.ts produces). */
export function cType(t: string, what = 'type'): string {
  if (!TYPE_SPELLING.test(t))
    throw new Error(`${what}: '${t}' is not a type spelling the generator produces`);
  return t;
}

/** A global typedef is named with :: so a member of the same name does not change its meaning. */
const qualified = (type: string) => (/^[A-Za-z_]\w*$/.test(type) ? `::${type}` : type);

/** Renders one config struct (C++11: integral static const members, typedefs). */
export function renderStruct(s: CppStruct): string {
  const base = s.base ? ` : ${qualified(cIdent(s.base, `${s.name} base`))}` : '';
  const lines = [`// ${cComment(s.comment)}`, `struct ${cIdent(s.name, 'struct name')}${base} {`];
  for (const t of s.types)
    lines.push(
      `  typedef ${qualified(cType(t.type, `${s.name}.${t.name}`))} ${cIdent(t.name, `${s.name} type`)};${t.comment ? ` // ${cComment(t.comment)}` : ''}`,
    );
  for (const c of s.consts) {
    const name = cIdent(c.name, `${s.name} constant`);
    const rendered =
      typeof c.value === 'boolean'
        ? `static const bool ${name} = ${c.value ? 'true' : 'false'};`
        : c.value < 0
          ? `static const long long ${name} = ${cInt(c.value, `${s.name}.${c.name}`)};`
          : c.value > 0xffffffff
            ? `static const unsigned long long ${name} = ${cInt(c.value, `${s.name}.${c.name}`).replace(/LL$/, '')}ULL;`
            : `static const unsigned ${name} = ${cInt(c.value, `${s.name}.${c.name}`)}u;`;
    lines.push(`  ${rendered}${c.comment ? ` // ${cComment(c.comment)}` : ''}`);
  }
  lines.push('};');
  return lines.join('\n');
}

/** Shorthand builders. */
export const k = (name: string, value: number | boolean, comment?: string): CppConst => ({
  name,
  value,
  comment,
});
export const t = (name: string, type: string, comment?: string): CppType => ({ name, type, comment });
