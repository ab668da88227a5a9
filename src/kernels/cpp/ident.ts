import { UserError } from '../../util/errors.js';

const CPP_KEYWORDS = new Set(
  (
    'alignas alignof and and_eq asm auto bitand bitor bool break case catch char char16_t char32_t class compl ' +
    'const constexpr const_cast continue decltype default delete do double dynamic_cast else enum explicit export ' +
    'extern false float for friend goto if inline int long mutable namespace new noexcept not not_eq nullptr ' +
    'operator or or_eq private protected public register reinterpret_cast return short signed sizeof static ' +
    'static_assert static_cast struct switch template this thread_local throw true try typedef typeid typename ' +
    'union unsigned using virtual void volatile wchar_t while xor xor_eq'
  ).split(' '),
);

/**
 * Returns `name` if it is a valid C/C++ identifier that is not a keyword; otherwise a UserError.
 * Everything the templates render as a name goes through this, so a config string can never
 * inject code into a generated source.
 */
export function cIdent(name: unknown, what = 'name'): string {
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || CPP_KEYWORDS.has(name))
    throw new UserError(`${what}: ${JSON.stringify(name)} is not a valid C identifier`);
  return name;
}

/** Returns `n` if it is a safe non-negative integer (rendered as a C++ literal); otherwise throws. */
export function cUint(n: unknown, what = 'value'): string {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
    throw new Error(`${what}: ${String(n)} is not a non-negative integer literal`);
  return n > 0xffffffff ? `${n}ULL` : `${n}u`;
}

/** A signed integer literal (int64 range). */
export function cInt(n: unknown, what = 'value'): string {
  if (typeof n !== 'number' || !Number.isSafeInteger(n))
    throw new Error(`${what}: ${String(n)} is not an integer literal`);
  return n > 0x7fffffff || n < -0x80000000 ? `${n}LL` : `${n}`;
}

/** A string for a // comment: one line, printable ASCII only. */
export function cComment(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}
