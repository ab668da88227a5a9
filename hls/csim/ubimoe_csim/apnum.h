// ubimoe C-simulation types: the one number class behind ap_int, ap_uint, ap_fixed and ap_ufixed.
// apnum<W, I, S, Q, O, N, K> holds W bits with I integer bits (F = W - I fraction bits), signed if S,
// with quantisation mode Q and overflow mode O applied whenever a value is converted into it.
// K marks integer types (ap_int/ap_uint): they convert from fractional values toward zero, like C.
// Storage is one uint64 for W <= 64, an unsigned 128-bit integer up to 128 (also for signed types),
// words beyond (ap_uint only).
// The W-bit pattern is kept left-aligned in the native word (low `pad` bits zero): wrapping into W bits
// is then a single left shift, reading the value a single arithmetic/logical right shift, and
// `acc += x` of a wrapping accumulator a single add (see README.md, "Representation").
#ifndef UBIMOE_CSIM_APNUM_H
#define UBIMOE_CSIM_APNUM_H

#include <cmath>
#include <string>
#include <type_traits>

#include "base.h"
#include "saturation.h"
#include "wbits.h"

namespace ubimoe_csim {

template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N, bool K> struct apnum;
template <class Owner> struct range_ref;
template <class Owner> struct bit_ref;

template <int W, bool S> struct raw_sel {
  using type = std::conditional_t<
      (W <= 64), std::conditional_t<S, int64_t, uint64_t>,
      std::conditional_t<(W <= 128), std::conditional_t<S, i128, u128>, wbits<W>>>;
};

// Storage word of a native raw type: its unsigned counterpart (see apnum::V); wide types keep theirs.
template <class T, bool Wide> struct store_sel {
  using type = typename rt<T>::u;
};
template <class T> struct store_sel<T, true> {
  using type = T;
};

template <class T> struct is_apnum : std::false_type {};
template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N, bool K>
struct is_apnum<apnum<W, I, S, Q, O, N, K>> : std::true_type {};

template <class T> struct dependent_false : std::false_type {};
template <class T> struct is_wbits : std::false_type {};
template <int W> struct is_wbits<wbits<W>> : std::true_type {};

// Shift counts beyond any width behave alike; clamping keeps unsigned counts from turning negative.
template <class T> constexpr long long shift_count(T n) {
  if constexpr (std::is_unsigned<T>::value) return n > (1u << 20) ? (1ll << 20) : (long long)n;
  else return (long long)n;
}

// C integer types behave as ap_int/ap_uint of their own width (bool as ap_uint<1>).
template <class T> struct cint {
  static constexpr bool ok = false;
};
#define UBIMOE_CSIM_CINT(T, BITS, SIGNED)       \
  template <> struct cint<T> {                  \
    static constexpr bool ok = true;            \
    static constexpr int W = BITS;              \
    static constexpr bool S = SIGNED;           \
    using raw = std::conditional_t<S, int64_t, uint64_t>; \
  };
UBIMOE_CSIM_CINT(bool, 1, false)
UBIMOE_CSIM_CINT(char, 8, std::is_signed<char>::value)
UBIMOE_CSIM_CINT(signed char, 8, true)
UBIMOE_CSIM_CINT(unsigned char, 8, false)
UBIMOE_CSIM_CINT(short, 16, true)
UBIMOE_CSIM_CINT(unsigned short, 16, false)
UBIMOE_CSIM_CINT(int, 32, true)
UBIMOE_CSIM_CINT(unsigned int, 32, false)
UBIMOE_CSIM_CINT(long, int(8 * sizeof(long)), true)
UBIMOE_CSIM_CINT(unsigned long, int(8 * sizeof(long)), false)
UBIMOE_CSIM_CINT(long long, 64, true)
UBIMOE_CSIM_CINT(unsigned long long, 64, false)
#undef UBIMOE_CSIM_CINT

template <class T>
using cint_ap = apnum<cint<T>::W, cint<T>::W, cint<T>::S, AP_TRN, AP_WRAP, 0, true>;

// floor(v / 2^d) adjusted by quantisation mode Q, for 1 <= d < bits of T.
template <ap_q_mode Q, class T> inline T round_shift(T v, int d) {
  using U = typename rt<T>::u;
  const T q = T(v >> d);  // arithmetic shift: floor
  if constexpr (Q == AP_TRN) {
    return q;
  } else {
    const U rem = U(v) & ((U(1) << d) - 1);
    const U half = U(1) << (d - 1);
    const bool neg = rt<T>::sgn && v < T(0);
    bool inc;
    if constexpr (Q == AP_TRN_ZERO) inc = neg && rem != 0;
    else if constexpr (Q == AP_RND) inc = rem >= half;
    else if constexpr (Q == AP_RND_ZERO) inc = rem > half || (rem == half && neg);
    else if constexpr (Q == AP_RND_MIN_INF) inc = rem > half;
    else if constexpr (Q == AP_RND_INF) inc = rem > half || (rem == half && !neg);
    else inc = rem > half || (rem == half && (U(q) & 1u));  // AP_RND_CONV: ties to even
    return T(q + T(inc));
  }
}

// CRTP base giving integer types of at most 64 bits Vitis's implicit conversion to a C integer
// (so they index arrays, drive switch statements and loop bounds).
template <class D, bool Enable, bool S> struct native_conv {};
template <class D> struct native_conv<D, true, true> {
  operator long long() const { return (long long)static_cast<const D *>(this)->val(); }
};
template <class D> struct native_conv<D, true, false> {
  operator unsigned long long() const { return (unsigned long long)static_cast<const D *>(this)->val(); }
};

template <int W_, int I_, bool S_, ap_q_mode Q_, ap_o_mode O_, int N_, bool K_>
struct apnum : native_conv<apnum<W_, I_, S_, Q_, O_, N_, K_>, (K_ && W_ <= 64), S_> {
  static_assert(W_ >= 1, "ubimoe csim: ap types need a width of at least 1 bit");
  static_assert(K_ || W_ <= 128, "ubimoe csim: ap_fixed/ap_ufixed wider than 128 bits are not supported");
  static_assert(!(S_ && W_ > 128), "ubimoe csim: ap_int wider than 128 bits is not supported (use ap_uint as a bit container)");
  static_assert(I_ <= W_, "ubimoe csim: ap_fixed<W,I> with I > W is not supported");
  static_assert(I_ >= 0, "ubimoe csim: ap_fixed<W,I> with negative I is not supported");
  static_assert(O_ != AP_WRAP_SM, "ubimoe csim: AP_WRAP_SM is not supported");
  static_assert(N_ == 0, "ubimoe csim: saturation bits N != 0 are not supported");

  static constexpr int width = W_;
  static constexpr int iwidth = I_;
  static constexpr int fwidth = W_ - I_;
  static constexpr bool sign_flag = S_;
  static constexpr bool is_int = K_;
  static constexpr bool wide = W_ > 128;
  static constexpr ap_q_mode qmode = Q_;
  static constexpr ap_o_mode omode = O_;
  // Integer types take the C rule (toward zero) when a fraction is dropped.
  static constexpr ap_q_mode eff_q = K_ ? AP_TRN_ZERO : Q_;
  using raw_t = typename raw_sel<W_, S_>::type;

  // Native types: the W-bit pattern in the top W bits of an UNSIGNED word (uint64_t/u128, also for
  // signed types), the low `pad` bits zero. Unsigned so that `acc += x` is one unsigned add with no
  // signed<->unsigned conversion in the loop-carried chain: GCC 12's loop vectoriser miscompiles
  // per-lane partial sums whose reduction chain contains such a conversion (docs/csim.md,
  // "Known hazard"). Wide types (W > 128): the pattern in the low W bits of the words, bits >= W zero.
  using store_t = typename store_sel<raw_t, wide>::type;
  store_t V;
  static constexpr int pad = wide ? 0 : int(8 * sizeof(raw_t)) - W_;

  // The value's integer pattern (value * 2^F), right-aligned and sign- or zero-extended
  // (the storage viewed as raw_t, then an arithmetic shift for signed types).
  raw_t val() const {
    if constexpr (wide) return V;
    else if constexpr (pad == 0) return raw_t(V);
    else return raw_t(raw_t(V) >> pad);
  }
  // Storage of an integer pattern; any bits above W are dropped, which is exactly AP_WRAP.
  static store_t pack(raw_t x) {
    if constexpr (wide) return x;
    else return store_t(store_t(x) << pad);
  }

  // ---- construction ----
  apnum() : V() {}
  apnum(const apnum &) = default;
  apnum &operator=(const apnum &) = default;

  template <int W2, int I2, bool S2, ap_q_mode Q2, ap_o_mode O2, int N2, bool K2>
  apnum(const apnum<W2, I2, S2, Q2, O2, N2, K2> &o) : V(convert_from(o)) {}

  apnum(bool v) : V(pack(convert<1, 0, false>(uint64_t(v)))) {}
  apnum(char v) : V(pack(convert<8, 0, cint<char>::S>(typename cint<char>::raw(v)))) {}
  apnum(signed char v) : V(pack(convert<8, 0, true>(int64_t(v)))) {}
  apnum(unsigned char v) : V(pack(convert<8, 0, false>(uint64_t(v)))) {}
  apnum(short v) : V(pack(convert<16, 0, true>(int64_t(v)))) {}
  apnum(unsigned short v) : V(pack(convert<16, 0, false>(uint64_t(v)))) {}
  apnum(int v) : V(pack(convert<32, 0, true>(int64_t(v)))) {}
  apnum(unsigned int v) : V(pack(convert<32, 0, false>(uint64_t(v)))) {}
  apnum(long v) : V(pack(convert<cint<long>::W, 0, true>(int64_t(v)))) {}
  apnum(unsigned long v) : V(pack(convert<cint<unsigned long>::W, 0, false>(uint64_t(v)))) {}
  apnum(long long v) : V(pack(convert<64, 0, true>(int64_t(v)))) {}
  apnum(unsigned long long v) : V(pack(convert<64, 0, false>(uint64_t(v)))) {}
  apnum(double v) : V(pack(from_double(v))) {}
  apnum(float v) : V(pack(from_double(double(v)))) {}
  template <class Owner> apnum(const range_ref<Owner> &r);
  template <class Owner> apnum(const bit_ref<Owner> &b) : apnum(bool(b)) {}

  // Build from an integer pattern (value * 2^F), wrapping it into W bits.
  static apnum from_value(raw_t v) {
    apnum r;
    r.V = pack(v);
    return r;
  }

  // Storage converted from another ap type. When only the width changes (same fraction bits, no
  // overflow handling needed) this is one shift of the left-aligned pattern.
  template <int W2, int I2, bool S2, ap_q_mode Q2, ap_o_mode O2, int N2, bool K2>
  static store_t convert_from(const apnum<W2, I2, S2, Q2, O2, N2, K2> &o) {
    using Src = apnum<W2, I2, S2, Q2, O2, N2, K2>;
    if constexpr (!wide && !Src::wide && fwidth == Src::fwidth && sizeof(raw_t) == sizeof(typename Src::raw_t) &&
                  (O_ == AP_WRAP || (W_ >= W2 + ((S2 || !S_) ? 0 : 1) && (S_ || !S2) &&
                                     !(O_ == AP_SAT_SYM && S2 && W_ == W2)))) {
      if constexpr (W_ <= W2) {
        return store_t(o.V << (W2 - W_));  // W2 - W_ < bits: W_ >= 1
      } else {
        // Widening: move the pattern down with the source's own sign rule, then view it as ours.
        return store_t(typename Src::raw_t(typename Src::raw_t(o.V) >> (W_ - W2)));
      }
    } else if constexpr (Src::wide) {
      return pack(convert<W2, W2 - I2, S2>(o.V));
    } else {
      return pack(convert<W2, W2 - I2, S2>(o.val()));
    }
  }

  // ---- conversion of a raw value (W2 bits, F2 fraction bits, signed S2) into this type ----
  template <int W2, int F2, bool S2, class ST> static raw_t convert(const ST &v) {
    if constexpr (is_wbits<ST>::value) {
      static_assert(K_, "ubimoe csim: convert a wide ap_uint to ap_fixed through .range()");
      if constexpr (wide) return raw_t::from_wide(v);
      else return v.template low<raw_t>();
    } else if constexpr (wide) {
      if constexpr (F2 > 0) return raw_t::from_native(drop_fraction<F2>(v));
      else return raw_t::from_native(v);
    } else {
      constexpr int sh = fwidth - F2;
      if constexpr (sh >= 0) {
        return fit<W2, S2, sh>(v);
      } else {
        constexpr int d = -sh;
        if constexpr (d >= rt<ST>::bits) {
          static_assert(rt<ST>::bits == 64, "ubimoe csim: conversion dropping 128+ fraction bits");
          return convert<W2, F2, S2>(std::conditional_t<rt<ST>::sgn, i128, u128>(v));
        } else {
          const ST r = round_shift<eff_q>(v, d);
          constexpr int base = imax(W2 - d, 1);
          constexpr int W2r = (eff_q == AP_TRN || eff_q == AP_TRN_ZERO) ? base : base + 1;
          return fit<W2r, S2, 0>(r);
        }
      }
    }
  }

  // A saturated value, counted (saturation.h): the runner reports each format's count.
  static raw_t saturated(raw_t clamped) {
    note_saturation(W_, I_, S_);
    return clamped;
  }

  // Saturation values of this type, per overflow mode.
  static raw_t sat_hi() {
    using U = typename rt<raw_t>::u;
    if constexpr (O_ == AP_SAT_ZERO) return raw_t(0);
    else return raw_t(low_mask<U>(W_ - (S_ ? 1 : 0)));
  }
  static raw_t sat_lo() {
    using U = typename rt<raw_t>::u;
    if constexpr (!S_ || O_ == AP_SAT_ZERO) return raw_t(0);
    else if constexpr (O_ == AP_SAT_SYM) return raw_t(~low_mask<U>(W_ - 1)) + raw_t(1);
    else return raw_t(~low_mask<U>(W_ - 1));
  }

  // v * 2^SH (an exact integer whose source range fits W2 bits, signed S2) into W bits, with overflow
  // mode O. Returns the pattern as an integer (pack() drops bits above W).
  template <int W2, bool S2, int SH, class ST> static raw_t fit(ST v) {
    constexpr bool fits = S_ ? (W2 + SH + (S2 ? 0 : 1) <= W_) : (!S2 && W2 + SH <= W_);
    // AP_SAT_SYM keeps the range symmetric: a signed source landing on the most negative value
    // becomes -max (as Vitis does), so that case is checked even when everything else fits.
    constexpr bool sym_min = O_ == AP_SAT_SYM && S_ && S2 && W2 + SH >= W_;
    if constexpr (fits && !sym_min) {
      return shl_bits(raw_t(v), SH);
    } else if constexpr (O_ == AP_WRAP) {
      return shl_bits(raw_t(v), SH);
    } else {
      // Compare in the source's units: v * 2^SH <= max  <=>  v <= floor(max / 2^SH).
      bool over = false, under = false;
      constexpr u128 maxT = S_ ? ((u128(1) << (W_ - 1)) - 1) : low_mask<u128>(W_);
      constexpr u128 hiS = SH >= 128 ? u128(0) : (maxT >> SH);
      constexpr u128 srcMax = S2 ? ((u128(1) << (W2 - 1)) - 1) : low_mask<u128>(W2);
      if constexpr (hiS < srcMax) over = v > ST(hiS);
      if constexpr (S2) {
        if constexpr (!S_) {
          under = v < ST(0);
        } else {
          constexpr u128 m = SH >= 128 ? u128(0) : ((u128(1) << (W_ - 1)) >> SH);
          constexpr u128 srcMinMag = u128(1) << (W2 - 1);
          if constexpr (m < srcMinMag) under = v < ST(0) - ST(m);
        }
      }
      if (__builtin_expect(over, 0)) return saturated(sat_hi());
      if (__builtin_expect(under, 0)) return saturated(sat_lo());
      const raw_t r = shl_bits(raw_t(v), SH);
      if constexpr (sym_min) {
        if (__builtin_expect(r == raw_t(~low_mask<typename rt<raw_t>::u>(W_ - 1)), 0)) return saturated(sat_lo());
      }
      return r;
    }
  }

  // Native value with F2 fraction bits -> integer (for wide targets), rounding per eff_q.
  template <int F2, class ST> static ST drop_fraction(ST v) {
    if constexpr (F2 >= rt<ST>::bits) return ST(0);
    else return round_shift<eff_q>(v, F2);
  }

  // double -> this type, exactly (the double's value is quantised once, then overflow handled).
  static raw_t from_double(double d) {
    static_assert(!wide, "ubimoe csim: no conversion from floating point to ap_uint wider than 128 bits");
    if (d != d) fail("NaN converted to an ap_fixed/ap_int value");  // Vitis stops here too
    bool neg = d < 0, huge = false;
    u128 mag = 0, bits = 0;  // |value| in units of 2^-F, and its two's-complement pattern mod 2^128
    if (std::isinf(d)) {
      huge = true;
    } else if (d != 0) {
      int e = 0;
      const double m = std::frexp(d, &e);  // d = m * 2^e, 0.5 <= |m| < 1
      const int64_t mi = int64_t(std::ldexp(m, 53));
      const int sh = fwidth + e - 53;  // raw = mi * 2^sh
      if (sh >= 0) {
        const uint64_t am = neg ? uint64_t(0) - uint64_t(mi) : uint64_t(mi);
        bits = sh >= 128 ? u128(0) : (u128(am) << sh);
        if (neg) bits = u128(0) - bits;
        if (sh >= 76) huge = true;  // |value| >= 2^52 * 2^76
        else mag = u128(am) << sh;
      } else {
        const int dd = -sh;
        int64_t r;
        if (dd >= 63) r = neg ? (eff_q == AP_TRN ? -1 : 0) : 0;  // |value| < 2^-9 ulp
        else r = round_shift<eff_q>(mi, dd);
        neg = r < 0;
        mag = neg ? u128(uint64_t(0) - uint64_t(r)) : u128(uint64_t(r));
        bits = u128(i128(r));
      }
    }
    bool over = false, under = false;
    if (huge) {
      (neg ? under : over) = true;
    } else if (S_) {
      over = !neg && mag > ((u128(1) << (W_ - 1)) - 1);
      under = neg && (O_ == AP_SAT_SYM ? mag >= (u128(1) << (W_ - 1)) : mag > (u128(1) << (W_ - 1)));
    } else {
      under = neg && mag != 0;
      over = !neg && mag > low_mask<u128>(W_);
    }
    if constexpr (O_ != AP_WRAP) {
      if (over) return saturated(sat_hi());
      if (under) return saturated(sat_lo());
    }
    return raw_t(bits);
  }

  // ---- raw bit access (n <= 64 bits at lo; caller checked the bounds) ----
  uint64_t get_bits(int lo, int n) const {
    if constexpr (wide) {
      return V.get64(lo, n);
    } else {
      using U = typename rt<raw_t>::u;
      return uint64_t((U(V) >> (lo + pad)) & low_mask<U>(n));
    }
  }
  void put_bits(int lo, int n, uint64_t x) {
    if constexpr (wide) {
      V.set64(lo, n, x);
    } else {
      using U = typename rt<raw_t>::u;
      if (n == W_) {  // the whole value (unpacking a weight): a plain store
        V = pack(raw_t(x));
        return;
      }
      const U m = low_mask<U>(n) << (lo + pad);
      V = store_t((U(V) & ~m) | ((U(x) << (lo + pad)) & m));
    }
  }
  static void check_range(int hi, int lo) {
    if (lo < 0 || hi < lo || hi >= W_) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "range(%d, %d) on a %d-bit value", hi, lo, W_);
      fail("bit range out of bounds: ", buf);
    }
  }
  static void check_bit(int i) {
    if (i < 0 || i >= W_) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "bit %d of a %d-bit value", i, W_);
      fail("bit index out of bounds: ", buf);
    }
  }

  // ---- bit selection (raw bits, also on fixed types) ----
  range_ref<apnum> range(int hi, int lo) {
    check_range(hi, lo);
    return range_ref<apnum>(*this, hi, lo);
  }
  range_ref<apnum> range() { return range_ref<apnum>(*this, W_ - 1, 0); }
  range_ref<apnum> operator()(int hi, int lo) { return range(hi, lo); }
  // Const ranges read through a copy-free view on a const object.
  range_ref<const apnum> range(int hi, int lo) const {
    check_range(hi, lo);
    return range_ref<const apnum>(*this, hi, lo);
  }
  range_ref<const apnum> range() const { return range_ref<const apnum>(*this, W_ - 1, 0); }
  range_ref<const apnum> operator()(int hi, int lo) const { return range(hi, lo); }

  bit_ref<apnum> operator[](int i) {
    check_bit(i);
    return bit_ref<apnum>(*this, i);
  }
  bool operator[](int i) const {
    check_bit(i);
    return get_bits(i, 1) != 0;
  }
  bit_ref<apnum> bit(int i) { return (*this)[i]; }
  bool bit(int i) const { return (*this)[i]; }
  bool get_bit(int i) const { return (*this)[i]; }
  bool test(int i) const { return (*this)[i]; }
  void set_bit(int i, bool v) {
    check_bit(i);
    put_bits(i, 1, v);
  }
  void set(int i) { set_bit(i, true); }
  void clear(int i) { set_bit(i, false); }
  void invert(int i) { set_bit(i, !get_bit(i)); }

  static constexpr int length() { return W_; }

  bool is_zero() const {
    if constexpr (wide) return V.is_zero();
    else return V == store_t(0);
  }
  bool iszero() const { return is_zero(); }
  bool or_reduce() const { return !is_zero(); }
  bool and_reduce() const {
    if constexpr (wide) return (~V).is_zero();
    else return V == store_t(~store_t(0) << pad);
  }
  bool xor_reduce() const {
    bool p = false;
    for (int i = 0; i < W_; i += 64) p ^= __builtin_parityll(get_bits(i, imin(64, W_ - i)));
    return p;
  }
  // Leading zeros of the W-bit pattern (W when zero); used for normalisation in rsqrt/recip.
  int countLeadingZeros() const {
    for (int top = W_; top > 0; top -= 64) {
      const int n = imin(64, top);
      const uint64_t chunk = get_bits(top - n, n);
      if (chunk != 0) return (W_ - top) + (__builtin_clzll(chunk) - (64 - n));
    }
    return W_;
  }

  // ---- conversion out ----
  double to_double() const {
    static_assert(!wide, "ubimoe csim: to_double() on ap_uint wider than 128 bits");
    constexpr double scale = pow2<double>(-fwidth);  // exact; multiplying by it is exact too
    return double(val()) * scale;
  }
  float to_float() const {
    static_assert(!wide, "ubimoe csim: to_float() on ap_uint wider than 128 bits");
    if constexpr (fwidth <= 126) {
      constexpr float scale = pow2<float>(-fwidth);  // a normal float: the product is exact
      return float(val()) * scale;
    } else {
      return std::ldexp(float(val()), -fwidth);
    }
  }
  long double to_ldouble() const {
    static_assert(!wide, "ubimoe csim: to_ldouble() on ap_uint wider than 128 bits");
    constexpr long double scale = pow2<long double>(-fwidth);
    return (long double)(val()) * scale;
  }
  // Integer part toward zero (C semantics), as the raw type; then truncated to the C type asked for.
  raw_t int_part() const {
    if constexpr (wide || fwidth == 0) {
      return val();
    } else if constexpr (fwidth >= rt<raw_t>::bits) {
      return raw_t(0);
    } else {
      return round_shift<AP_TRN_ZERO>(val(), fwidth);
    }
  }
  uint64_t low64() const {
    if constexpr (wide) return V.w[0];
    else return uint64_t(int_part());
  }
  int to_int() const { return int(low64()); }
  unsigned to_uint() const { return unsigned(low64()); }
  long to_long() const { return long(low64()); }
  unsigned long to_ulong() const { return (unsigned long)(low64()); }
  long long to_int64() const { return (long long)(low64()); }
  unsigned long long to_uint64() const { return (unsigned long long)(low64()); }
  bool to_bool() const { return !is_zero(); }
  explicit operator bool() const { return !is_zero(); }
  // Vitis converts implicitly; here only explicitly ((float)x, double(x)), so that floating point
  // never sneaks into datapath code unnoticed. Code that compiles here also compiles under Vitis.
  explicit operator double() const { return to_double(); }
  explicit operator float() const { return to_float(); }
  explicit operator long double() const { return to_ldouble(); }

  std::string to_string(int radix = 2, bool sign = S_) const;

  // ---- shifts keep the type (bits shifted out are lost); a negative count shifts the other way ----
  apnum shl_by(long long n) const {
    if (n < 0) return shr_by(-n);
    if constexpr (wide) {
      return from_value(V.shl(n >= W_ ? W_ : int(n)));
    } else {
      apnum r;
      r.V = n >= W_ ? store_t(0) : shl_bits(V, int(n));  // the pattern stays left-aligned
      return r;
    }
  }
  apnum shr_by(long long n) const {
    if (n < 0) return shl_by(-n);
    if constexpr (wide) {
      return from_value(V.shr(n >= W_ ? W_ : int(n)));
    } else {
      // Arithmetic for signed types, logical for unsigned.
      const int s = n >= W_ ? W_ - (S_ ? 1 : 0) : int(n);
      return from_value(s >= rt<raw_t>::bits ? raw_t(0) : raw_t(val() >> s));
    }
  }
  template <class T, std::enable_if_t<cint<T>::ok, int> = 0> apnum operator<<(T n) const {
    return shl_by(shift_count(n));
  }
  template <class T, std::enable_if_t<cint<T>::ok, int> = 0> apnum operator>>(T n) const {
    return shr_by(shift_count(n));
  }
  template <int W2, int I2, bool S2, ap_q_mode Q2, ap_o_mode O2, int N2, bool K2>
  apnum operator<<(const apnum<W2, I2, S2, Q2, O2, N2, K2> &n) const {
    static_assert(K2, "ubimoe csim: shift counts must be integers");
    return shl_by(n.to_int64());
  }
  template <int W2, int I2, bool S2, ap_q_mode Q2, ap_o_mode O2, int N2, bool K2>
  apnum operator>>(const apnum<W2, I2, S2, Q2, O2, N2, K2> &n) const {
    static_assert(K2, "ubimoe csim: shift counts must be integers");
    return shr_by(n.to_int64());
  }
  template <class Owner> apnum operator<<(const range_ref<Owner> &n) const { return shl_by(n.to_int64()); }
  template <class Owner> apnum operator>>(const range_ref<Owner> &n) const { return shr_by(n.to_int64()); }
  template <class T> apnum &operator<<=(const T &n) { return *this = *this << n; }
  template <class T> apnum &operator>>=(const T &n) { return *this = *this >> n; }

  // ---- unary ----
  apnum operator+() const { return *this; }
  apnum<W_ + 1, I_ + 1, true, AP_TRN, AP_WRAP, 0, K_> operator-() const {
    static_assert(!wide, "ubimoe csim: arithmetic on ap_uint wider than 128 bits is not supported");
    using R = apnum<W_ + 1, I_ + 1, true, AP_TRN, AP_WRAP, 0, K_>;
    using RU = typename rt<typename R::raw_t>::u;
    return R::from_value(typename R::raw_t(RU(0) - RU(typename R::raw_t(val()))));
  }
  apnum operator~() const {
    static_assert(K_, "ubimoe csim: ~ is provided on ap_int/ap_uint only");
    if constexpr (wide) return from_value(~V);
    else return from_value(raw_t(~val()));
  }
  bool operator!() const { return is_zero(); }

  apnum &operator++() { return *this = *this + apnum<2, 2, true, AP_TRN, AP_WRAP, 0, true>(1); }
  apnum &operator--() { return *this = *this - apnum<2, 2, true, AP_TRN, AP_WRAP, 0, true>(1); }
  apnum operator++(int) {
    const apnum old = *this;
    ++*this;
    return old;
  }
  apnum operator--(int) {
    const apnum old = *this;
    --*this;
    return old;
  }
};

}  // namespace ubimoe_csim

#endif
