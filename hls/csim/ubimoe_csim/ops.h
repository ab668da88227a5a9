// ubimoe C-simulation types: binary operators with Vitis's full-precision result types.
//   a * b : W = Wa + Wb, I = Ia + Ib                       (signed if either is)
//   a + b, a - b : F = max(Fa, Fb), I = max(Ia', Ib') + 1  (Ia' = Ia + 1 when only b is signed; - is always signed)
//   a & | ^ b (integers) : W = max(Wa', Wb')
//   a / b : W = Wa + Fb + Sb, I = Ia + Fb + Sb (a's fraction bits; the quotient truncates toward zero)
//   a % b (integers only) : W = min(Wa, Wb + (Sa && !Sb))
// C integers take part as ap_int/ap_uint of their own width. Results use int64 when they fit 64 bits,
// __int128 otherwise (up to 128 bits; wider results are a compile-time error).
#ifndef UBIMOE_CSIM_OPS_H
#define UBIMOE_CSIM_OPS_H

#include "refs.h"

#define UBIMOE_AP_TP(n) int W##n, int I##n, bool S##n, ap_q_mode Q##n, ap_o_mode O##n, int N##n, bool K##n
#define UBIMOE_AP(n) apnum<W##n, I##n, S##n, Q##n, O##n, N##n, K##n>

namespace ubimoe_csim {

template <class A, class B> struct rtypes {
  static constexpr int F = imax(A::fwidth, B::fwidth);
  static constexpr int Ia = A::iwidth + ((B::sign_flag && !A::sign_flag) ? 1 : 0);
  static constexpr int Ib = B::iwidth + ((A::sign_flag && !B::sign_flag) ? 1 : 0);
  static constexpr bool S = A::sign_flag || B::sign_flag;
  static constexpr bool K = A::is_int && B::is_int;
  static constexpr int plus_i = imax(Ia, Ib) + 1;
  static constexpr int plus_w = plus_i + F;
  static constexpr bool any_wide = A::wide || B::wide;
  using plus = apnum<plus_i + F, plus_i, S, AP_TRN, AP_WRAP, 0, K>;
  using minus = apnum<plus_i + F, plus_i, true, AP_TRN, AP_WRAP, 0, K>;
  using mult = apnum<A::width + B::width, A::iwidth + B::iwidth, S, AP_TRN, AP_WRAP, 0, K>;
  // Bitwise results: a wide (> 128 bit) operand makes the result an ap_uint of the larger width.
  static constexpr int logic_w = any_wide ? imax(A::width, B::width) : imax(Ia, Ib);
  using logic = apnum<logic_w, logic_w, any_wide ? false : S, AP_TRN, AP_WRAP, 0, true>;
  // a / b keeps a's fraction bits: W = Wa + Fb + Sb, I = Ia + Fb + Sb.
  static constexpr int div_w = A::width + B::fwidth + (B::sign_flag ? 1 : 0);
  using div = apnum<div_w, A::iwidth + B::fwidth + (B::sign_flag ? 1 : 0), S, AP_TRN, AP_WRAP, 0, K>;
  static constexpr int mod_w = imin(A::width, B::width + ((A::sign_flag && !B::sign_flag) ? 1 : 0));
  using mod = apnum<mod_w, mod_w, A::sign_flag, AP_TRN, AP_WRAP, 0, true>;
};

// a's raw value in R's raw type, aligned to R's fraction bits (exact: R is wide enough by construction).
template <class R, class A> inline typename R::raw_t align_to(const A &a) {
  using T = typename R::raw_t;
  if constexpr (R::wide) {
    if constexpr (A::wide) return T::from_wide(a.V);
    else return T::from_native(a.val());
  } else {
    return shl_bits(T(a.val()), R::fwidth - A::fwidth);
  }
}

template <class A, class B> constexpr void check_arith() {
  static_assert(!A::wide && !B::wide, "ubimoe csim: arithmetic on ap_uint wider than 128 bits is not supported");
}

template <UBIMOE_AP_TP(1), UBIMOE_AP_TP(2)>
inline typename rtypes<UBIMOE_AP(1), UBIMOE_AP(2)>::plus operator+(const UBIMOE_AP(1) & a, const UBIMOE_AP(2) & b) {
  using R = typename rtypes<UBIMOE_AP(1), UBIMOE_AP(2)>::plus;
  check_arith<UBIMOE_AP(1), UBIMOE_AP(2)>();
  return R::from_value(align_to<R>(a) + align_to<R>(b));
}

template <UBIMOE_AP_TP(1), UBIMOE_AP_TP(2)>
inline typename rtypes<UBIMOE_AP(1), UBIMOE_AP(2)>::minus operator-(const UBIMOE_AP(1) & a, const UBIMOE_AP(2) & b) {
  using R = typename rtypes<UBIMOE_AP(1), UBIMOE_AP(2)>::minus;
  check_arith<UBIMOE_AP(1), UBIMOE_AP(2)>();
  return R::from_value(align_to<R>(a) - align_to<R>(b));
}

template <UBIMOE_AP_TP(1), UBIMOE_AP_TP(2)>
inline typename rtypes<UBIMOE_AP(1), UBIMOE_AP(2)>::mult operator*(const UBIMOE_AP(1) & a, const UBIMOE_AP(2) & b) {
  using R = typename rtypes<UBIMOE_AP(1), UBIMOE_AP(2)>::mult;
  using T = typename R::raw_t;
  check_arith<UBIMOE_AP(1), UBIMOE_AP(2)>();
  return R::from_value(T(T(a.val()) * T(b.val())));
}

// Division: (a * 2^Fb) / b truncated toward zero, as Vitis computes it; dividing by zero aborts.
template <UBIMOE_AP_TP(1), UBIMOE_AP_TP(2)>
inline typename rtypes<UBIMOE_AP(1), UBIMOE_AP(2)>::div operator/(const UBIMOE_AP(1) & a, const UBIMOE_AP(2) & b) {
  check_arith<UBIMOE_AP(1), UBIMOE_AP(2)>();
  constexpr int F2 = W2 - I2;
  static_assert(W1 + F2 + 1 <= 128 && W2 + 1 <= 128, "ubimoe csim: division needing more than 128 bits");
  using R = typename rtypes<UBIMOE_AP(1), UBIMOE_AP(2)>::div;
  using C = typename raw_sel<imax(W1 + F2, W2) + 1, true>::type;  // holds a * 2^Fb, b and the quotient
  if (b.is_zero()) fail("division by zero");
  return R::from_value(typename R::raw_t(shl_bits(C(a.val()), F2) / C(b.val())));
}

template <UBIMOE_AP_TP(1), UBIMOE_AP_TP(2)>
inline typename rtypes<UBIMOE_AP(1), UBIMOE_AP(2)>::mod operator%(const UBIMOE_AP(1) & a, const UBIMOE_AP(2) & b) {
  static_assert(K1 && K2, "ubimoe csim: % is provided for ap_int/ap_uint only");
  check_arith<UBIMOE_AP(1), UBIMOE_AP(2)>();
  using R = typename rtypes<UBIMOE_AP(1), UBIMOE_AP(2)>::mod;
  using C = typename raw_sel<imax(W1, W2) + 1, true>::type;
  if (b.is_zero()) fail("modulo by zero");
  return R::from_value(typename R::raw_t(C(a.val()) % C(b.val())));
}

#define UBIMOE_CSIM_LOGIC(OP)                                                                              \
  template <UBIMOE_AP_TP(1), UBIMOE_AP_TP(2)>                                                              \
  inline typename rtypes<UBIMOE_AP(1), UBIMOE_AP(2)>::logic operator OP(const UBIMOE_AP(1) & a,             \
                                                                        const UBIMOE_AP(2) & b) {           \
    static_assert(K1 && K2, "ubimoe csim: bitwise operators are provided for ap_int/ap_uint only");       \
    using R = typename rtypes<UBIMOE_AP(1), UBIMOE_AP(2)>::logic;                                          \
    return R::from_value(typename R::raw_t(align_to<R>(a) OP align_to<R>(b)));                         \
  }
UBIMOE_CSIM_LOGIC(&)
UBIMOE_CSIM_LOGIC(|)
UBIMOE_CSIM_LOGIC(^)
#undef UBIMOE_CSIM_LOGIC

// Comparisons are exact across widths, signedness and fraction bits.
// value * 2^s (0 <= s < 128) as a 256-bit pair (signed high half, unsigned low half), for comparing
// values whose common format needs more than 128 bits.
struct pair256 {
  i128 hi;
  u128 lo;
};
template <class A> inline pair256 widen_aligned(const A &a, int s) {
  using T = typename A::raw_t;
  const T v = a.val();
  pair256 p;
  if constexpr (!rt<T>::sgn && rt<T>::bits == 128) {  // may exceed i128: keep it unsigned
    p.lo = s == 0 ? v : (v << s);
    p.hi = s == 0 ? i128(0) : i128(v >> (128 - s));
  } else {
    const i128 w = i128(v);  // exact for int64_t, uint64_t and i128
    p.lo = s == 0 ? u128(w) : (u128(w) << s);
    p.hi = s == 0 ? i128(w < 0 ? -1 : 0) : i128(w >> (128 - s));
  }
  return p;
}
// -1, 0, 1 as a <, ==, > b.
template <class A, class B> inline int compare(const A &a, const B &b) {
  using RT = rtypes<A, B>;
  if constexpr (RT::plus_w <= 128) {
    using R = typename RT::plus;
    const auto x = align_to<R>(a), y = align_to<R>(b);
    return x < y ? -1 : (x > y ? 1 : 0);
  } else {
    static_assert(!A::wide && !B::wide, "ubimoe csim: ordering comparisons on values wider than 128 bits");
    const pair256 x = widen_aligned(a, RT::F - A::fwidth), y = widen_aligned(b, RT::F - B::fwidth);
    if (x.hi != y.hi) return x.hi < y.hi ? -1 : 1;
    return x.lo < y.lo ? -1 : (x.lo > y.lo ? 1 : 0);
  }
}
template <UBIMOE_AP_TP(1), UBIMOE_AP_TP(2)>
inline bool operator==(const UBIMOE_AP(1) & a, const UBIMOE_AP(2) & b) {
  if constexpr (W1 > 128 || W2 > 128) {
    using R = apnum<imax(W1, W2), imax(W1, W2), false, AP_TRN, AP_WRAP, 0, true>;
    static_assert(K1 && K2, "ubimoe csim: wide values compare with integers only");
    // Sign-extended patterns of the same width are equal iff the values are (wide values are unsigned).
    if ((S1 && a.get_bits(W1 - 1, 1)) != (S2 && b.get_bits(W2 - 1, 1))) return false;
    return align_to<R>(a) == align_to<R>(b);
  } else {
    return compare(a, b) == 0;
  }
}
template <UBIMOE_AP_TP(1), UBIMOE_AP_TP(2)>
inline bool operator!=(const UBIMOE_AP(1) & a, const UBIMOE_AP(2) & b) {
  return !(a == b);
}
#define UBIMOE_CSIM_REL(OP)                                                                        \
  template <UBIMOE_AP_TP(1), UBIMOE_AP_TP(2)>                                                      \
  inline bool operator OP(const UBIMOE_AP(1) & a, const UBIMOE_AP(2) & b) {                        \
    return compare(a, b) OP 0;                                                                     \
  }
UBIMOE_CSIM_REL(<)
UBIMOE_CSIM_REL(>)
UBIMOE_CSIM_REL(<=)
UBIMOE_CSIM_REL(>=)
#undef UBIMOE_CSIM_REL

// Mixed with C integers (as ap types of their width); with float/double only comparisons exist.
#define UBIMOE_CSIM_WITH_C(OP)                                                                          \
  template <UBIMOE_AP_TP(1), class T, std::enable_if_t<cint<T>::ok, int> = 0>                           \
  inline auto operator OP(const UBIMOE_AP(1) & a, T b) {                                                \
    return a OP cint_ap<T>(b);                                                                          \
  }                                                                                                     \
  template <UBIMOE_AP_TP(1), class T, std::enable_if_t<cint<T>::ok, int> = 0>                           \
  inline auto operator OP(T a, const UBIMOE_AP(1) & b) {                                                \
    return cint_ap<T>(a) OP b;                                                                          \
  }
#define UBIMOE_CSIM_NO_FLOAT(OP)                                                                        \
  template <UBIMOE_AP_TP(1), class T, std::enable_if_t<std::is_floating_point<T>::value, int> = 0>      \
  inline UBIMOE_AP(1) operator OP(const UBIMOE_AP(1) & a, T) {                                          \
    static_assert(dependent_false<T>::value,                                                            \
                  "ubimoe csim: no arithmetic between ap types and float/double; convert the constant " \
                  "to an ap type first, e.g. ap_fixed<16,4>(0.5)");                                     \
    return a;                                                                                           \
  }                                                                                                     \
  template <UBIMOE_AP_TP(1), class T, std::enable_if_t<std::is_floating_point<T>::value, int> = 0>      \
  inline UBIMOE_AP(1) operator OP(T, const UBIMOE_AP(1) & b) {                                          \
    static_assert(dependent_false<T>::value,                                                            \
                  "ubimoe csim: no arithmetic between ap types and float/double; convert the constant " \
                  "to an ap type first, e.g. ap_fixed<16,4>(0.5)");                                     \
    return b;                                                                                           \
  }
#define UBIMOE_CSIM_FLOAT_REL(OP)                                                                  \
  template <UBIMOE_AP_TP(1), class T, std::enable_if_t<std::is_floating_point<T>::value, int> = 0> \
  inline bool operator OP(const UBIMOE_AP(1) & a, T b) {                                           \
    return a.to_ldouble() OP(long double) b;                                                       \
  }                                                                                                \
  template <UBIMOE_AP_TP(1), class T, std::enable_if_t<std::is_floating_point<T>::value, int> = 0> \
  inline bool operator OP(T a, const UBIMOE_AP(1) & b) {                                           \
    return (long double)a OP b.to_ldouble();                                                       \
  }
UBIMOE_CSIM_WITH_C(+)
UBIMOE_CSIM_WITH_C(-)
UBIMOE_CSIM_WITH_C(*)
UBIMOE_CSIM_WITH_C(/)
UBIMOE_CSIM_WITH_C(%)
UBIMOE_CSIM_WITH_C(&)
UBIMOE_CSIM_WITH_C(|)
UBIMOE_CSIM_WITH_C(^)
UBIMOE_CSIM_WITH_C(==)
UBIMOE_CSIM_WITH_C(!=)
UBIMOE_CSIM_WITH_C(<)
UBIMOE_CSIM_WITH_C(>)
UBIMOE_CSIM_WITH_C(<=)
UBIMOE_CSIM_WITH_C(>=)
UBIMOE_CSIM_NO_FLOAT(+)
UBIMOE_CSIM_NO_FLOAT(-)
UBIMOE_CSIM_NO_FLOAT(*)
UBIMOE_CSIM_NO_FLOAT(/)
UBIMOE_CSIM_FLOAT_REL(==)
UBIMOE_CSIM_FLOAT_REL(!=)
UBIMOE_CSIM_FLOAT_REL(<)
UBIMOE_CSIM_FLOAT_REL(>)
UBIMOE_CSIM_FLOAT_REL(<=)
UBIMOE_CSIM_FLOAT_REL(>=)
#undef UBIMOE_CSIM_WITH_C
#undef UBIMOE_CSIM_NO_FLOAT
#undef UBIMOE_CSIM_FLOAT_REL

// a += b / a -= b into a wrapping type when b needs no rounding (Fb <= Fa): the left-aligned pattern
// makes this one add of b's aligned pattern, the same bits as a = a + b. The add is on the unsigned
// storage word itself, so the loop-carried chain of an accumulator is a plain unsigned add with no
// conversion in it (the form GCC's reduction vectoriser handles correctly; see apnum::V).
template <class A, class B> constexpr bool fast_accumulate() {
  return !A::wide && !B::wide && B::fwidth <= A::fwidth && A::omode == AP_WRAP;
}
template <class A, class B> inline typename A::store_t accumulate_term(const B &b) {
  using T = typename A::raw_t;
  using U = typename A::store_t;
  constexpr int s = A::fwidth - B::fwidth + A::pad;
  // both left-aligned in words of one size: b's pattern moved to a's alignment in ONE shift (its low
  // B::pad bits are zero, so shifting right by B::pad - s drops none: raw_b · 2^s, as below)
  if constexpr (sizeof(typename B::raw_t) == sizeof(T) && B::pad >= s)
    return U(typename B::raw_t(b.V) >> (B::pad - s));
  else return shl_bits(U(T(b.val())), s);
}
template <UBIMOE_AP_TP(1), UBIMOE_AP_TP(2)>
inline UBIMOE_AP(1) & operator+=(UBIMOE_AP(1) & a, const UBIMOE_AP(2) & b) {
  using A = UBIMOE_AP(1);
  if constexpr (fast_accumulate<A, UBIMOE_AP(2)>()) a.V += accumulate_term<A>(b);
  else a = A(a + b);
  return a;
}
template <UBIMOE_AP_TP(1), UBIMOE_AP_TP(2)>
inline UBIMOE_AP(1) & operator-=(UBIMOE_AP(1) & a, const UBIMOE_AP(2) & b) {
  using A = UBIMOE_AP(1);
  if constexpr (fast_accumulate<A, UBIMOE_AP(2)>()) a.V -= accumulate_term<A>(b);
  else a = A(a - b);
  return a;
}
template <UBIMOE_AP_TP(1), class T, std::enable_if_t<cint<T>::ok, int> = 0>
inline UBIMOE_AP(1) & operator+=(UBIMOE_AP(1) & a, T b) {
  return a += cint_ap<T>(b);
}
template <UBIMOE_AP_TP(1), class T, std::enable_if_t<cint<T>::ok, int> = 0>
inline UBIMOE_AP(1) & operator-=(UBIMOE_AP(1) & a, T b) {
  return a -= cint_ap<T>(b);
}

// Other compound assignments: full-precision result, then quantised/overflowed into the left type.
#define UBIMOE_CSIM_COMPOUND(OP)                                      \
  template <UBIMOE_AP_TP(1), class B>                                 \
  inline UBIMOE_AP(1) & operator OP##=(UBIMOE_AP(1) & a, const B & b) { \
    a = UBIMOE_AP(1)(a OP b);                                         \
    return a;                                                         \
  }
UBIMOE_CSIM_COMPOUND(*)
UBIMOE_CSIM_COMPOUND(/)
UBIMOE_CSIM_COMPOUND(%)
UBIMOE_CSIM_COMPOUND(&)
UBIMOE_CSIM_COMPOUND(|)
UBIMOE_CSIM_COMPOUND(^)
#undef UBIMOE_CSIM_COMPOUND

// Concatenation: (hi, lo) or hi.concat(lo) gives an ap_uint of both widths (raw bits, also of fixed types).
template <UBIMOE_AP_TP(1), UBIMOE_AP_TP(2)>
inline apnum<W1 + W2, W1 + W2, false, AP_TRN, AP_WRAP, 0, true> concat(const UBIMOE_AP(1) & hi, const UBIMOE_AP(2) & lo) {
  apnum<W1 + W2, W1 + W2, false, AP_TRN, AP_WRAP, 0, true> r;
  for (int k = 0; 64 * k < W2; ++k) r.put_bits(64 * k, imin(64, W2 - 64 * k), lo.get_bits(64 * k, imin(64, W2 - 64 * k)));
  for (int k = 0; 64 * k < W1; ++k)
    r.put_bits(W2 + 64 * k, imin(64, W1 - 64 * k), hi.get_bits(64 * k, imin(64, W1 - 64 * k)));
  return r;
}
template <UBIMOE_AP_TP(1), UBIMOE_AP_TP(2)>
inline apnum<W1 + W2, W1 + W2, false, AP_TRN, AP_WRAP, 0, true> operator,(const UBIMOE_AP(1) & hi, const UBIMOE_AP(2) & lo) {
  return concat(hi, lo);
}

}  // namespace ubimoe_csim

#endif
