// ubimoe C-simulation types: x.range(hi, lo) and x[i] proxies (raw bits of any ap type).
#ifndef UBIMOE_CSIM_REFS_H
#define UBIMOE_CSIM_REFS_H

#include "apnum.h"

namespace ubimoe_csim {

// 64-bit chunk k of a value's pattern, extended beyond its width by its sign (integers) or zeros.
template <class A> inline uint64_t ext_chunk(const A &v, int k) {
  const int b = 64 * k;
  const bool neg = A::sign_flag && v.get_bits(A::width - 1, 1);
  if (b >= A::width) return neg ? ~0ull : 0ull;
  const int n = imin(64, A::width - b);
  uint64_t x = v.get_bits(b, n);
  if (n < 64 && neg) x |= ~0ull << n;
  return x;
}

// Bits hi..lo of an owner (hi >= lo, both inside the owner; checked by range()).
// Reading gives the bits zero-extended (an unsigned value); writing replaces them.
template <class Owner> struct range_ref {
  using owner_t = std::remove_const_t<Owner>;
  Owner &o;
  int hi, lo;

  range_ref(Owner &owner, int h, int l) : o(owner), hi(h), lo(l) {}
  range_ref(const range_ref &) = default;

  int length() const { return hi - lo + 1; }
  // Chunk k (bits lo+64k .. ) zero-extended past hi.
  uint64_t chunk(int k) const {
    const int b = lo + 64 * k;
    if (b > hi) return 0;
    return o.get_bits(b, imin(64, hi + 1 - b));
  }
  unsigned long long to_uint64() const { return chunk(0); }
  long long to_int64() const { return (long long)chunk(0); }
  int to_int() const { return int(chunk(0)); }
  unsigned to_uint() const { return unsigned(chunk(0)); }
  long to_long() const { return long(chunk(0)); }
  unsigned long to_ulong() const { return (unsigned long)chunk(0); }
  bool to_bool() const { return or_reduce(); }
  bool or_reduce() const {
    for (int k = 0; lo + 64 * k <= hi; ++k)
      if (chunk(k)) return true;
    return false;
  }
  // Implicit read as a C integer (low 64 bits of the range), as Vitis's range references allow.
  operator unsigned long long() const { return chunk(0); }

  template <class T, std::enable_if_t<cint<T>::ok, int> = 0> range_ref &operator=(T v) {
    const int64_t sv = int64_t(v);
    const uint64_t fill = (cint<T>::S && sv < 0) ? ~0ull : 0ull;
    return assign([&](int k) { return k == 0 ? uint64_t(v) : fill; });
  }
  template <int W2, int I2, bool S2, ap_q_mode Q2, ap_o_mode O2, int N2, bool K2>
  range_ref &operator=(const apnum<W2, I2, S2, Q2, O2, N2, K2> &v) {
    static_assert(K2, "ubimoe csim: assign an ap_fixed to a range through its raw bits: x.range(hi, lo) = f.range()");
    return assign([&](int k) { return ext_chunk(v, k); });
  }
  template <class O2> range_ref &operator=(const range_ref<O2> &r) {
    return assign([&](int k) { return r.chunk(k); });
  }
  range_ref &operator=(const range_ref &r) {
    return assign([&](int k) { return r.chunk(k); });
  }
  template <class O2> range_ref &operator=(const bit_ref<O2> &b) { return *this = (unsigned)bool(b); }

 private:
  template <class Chunks> range_ref &assign(Chunks src) {
    static_assert(!std::is_const<Owner>::value, "ubimoe csim: assignment to a range of a const value");
    const int len = length();
    for (int k = 0; 64 * k < len; ++k) o.put_bits(lo + 64 * k, imin(64, len - 64 * k), src(k));
    return *this;
  }
};

// Bit i of an owner (checked by operator[]).
template <class Owner> struct bit_ref {
  Owner &o;
  int i;

  bit_ref(Owner &owner, int index) : o(owner), i(index) {}
  bit_ref(const bit_ref &) = default;

  operator bool() const { return o.get_bits(i, 1) != 0; }
  bool to_bool() const { return bool(*this); }
  bool operator~() const { return !bool(*this); }
  bool operator!() const { return !bool(*this); }
  bit_ref &operator=(bool v) {
    o.put_bits(i, 1, v);
    return *this;
  }
  bit_ref &operator=(const bit_ref &b) { return *this = bool(b); }
  template <class O2> bit_ref &operator=(const bit_ref<O2> &b) { return *this = bool(b); }
};

// Value of a range converted into this type (as the unsigned integer the bits spell). Forced
// inline: it is the 64-bit slice read of every weight unpack (~8% of a csim image otherwise).
template <int W_, int I_, bool S_, ap_q_mode Q_, ap_o_mode O_, int N_, bool K_>
template <class Owner>
__attribute__((always_inline)) inline apnum<W_, I_, S_, Q_, O_, N_, K_>::apnum(const range_ref<Owner> &r) : V() {
  if (r.length() <= 64) {
    V = pack(convert<64, 0, false>(uint64_t(r.chunk(0))));
  } else {
    using owner_t = std::remove_const_t<Owner>;
    using T = apnum<owner_t::width, owner_t::width, false, AP_TRN, AP_WRAP, 0, true>;
    T t;
    for (int k = 0; 64 * k < r.length(); ++k) t.put_bits(64 * k, imin(64, r.length() - 64 * k), r.chunk(k));
    V = convert_from(t);
  }
}

}  // namespace ubimoe_csim

#endif
