// ubimoe C-simulation types: storage of ap_uint<W> for W > 128 (AXI words used as bit containers).
// Only bit operations exist here; arithmetic on such widths is not provided (see README.md).
#ifndef UBIMOE_CSIM_WBITS_H
#define UBIMOE_CSIM_WBITS_H

#include "base.h"

namespace ubimoe_csim {

// W bits in little-endian 64-bit words; invariant: bits at positions >= W are zero.
template <int W> struct wbits {
  static constexpr int NW = (W + 63) / 64;
  static constexpr uint64_t top_mask = (W % 64) ? (~0ull >> (64 - W % 64)) : ~0ull;
  uint64_t w[NW];

  void fix() { w[NW - 1] &= top_mask; }
  static wbits zero() {
    wbits r;
    for (int i = 0; i < NW; ++i) r.w[i] = 0;
    return r;
  }
  // From a native raw value, sign- or zero-extended per its type, modulo 2^W.
  template <class T> static wbits from_native(T v) {
    wbits r;
    const uint64_t fill = (rt<T>::sgn && v < T(0)) ? ~0ull : 0ull;
    r.w[0] = uint64_t(v);
    int i = 1;
    if constexpr (rt<T>::bits > 64) {
      if (NW > 1) r.w[1] = uint64_t(typename rt<T>::u(v) >> 64);
      i = 2;
    }
    for (; i < NW; ++i) r.w[i] = fill;
    r.fix();
    return r;
  }
  // From another width: truncate or zero-extend.
  template <int W2> static wbits from_wide(const wbits<W2> &o) {
    wbits r;
    for (int i = 0; i < NW; ++i) r.w[i] = i < wbits<W2>::NW ? o.w[i] : 0;
    r.fix();
    return r;
  }
  // The low bits as a native type (truncating).
  template <class T> T low() const {
    if constexpr (rt<T>::bits > 64) {
      typename rt<T>::u x = w[0];
      if (NW > 1) x |= typename rt<T>::u(w[1]) << 64;
      return T(x);
    } else {
      return T(w[0]);
    }
  }
  // n (1..64) bits starting at bit lo; requires lo + n <= W.
  uint64_t get64(int lo, int n) const {
    const int i = lo >> 6, b = lo & 63;
    uint64_t x = w[i] >> b;
    if (b != 0 && i + 1 < NW) x |= w[i + 1] << (64 - b);
    return n >= 64 ? x : (x & ((1ull << n) - 1));
  }
  // Replace n (1..64) bits starting at lo with the low n bits of x; requires lo + n <= W.
  void set64(int lo, int n, uint64_t x) {
    const uint64_t m = n >= 64 ? ~0ull : ((1ull << n) - 1);
    x &= m;
    const int i = lo >> 6, b = lo & 63;
    w[i] = (w[i] & ~(m << b)) | (x << b);
    if (b != 0 && b + n > 64) w[i + 1] = (w[i + 1] & ~(m >> (64 - b))) | (x >> (64 - b));
  }
  bool bit(int i) const { return (w[i >> 6] >> (i & 63)) & 1u; }
  void set_bit(int i, bool v) {
    const uint64_t m = 1ull << (i & 63);
    w[i >> 6] = v ? (w[i >> 6] | m) : (w[i >> 6] & ~m);
  }
  wbits shl(int n) const {
    if (n <= 0) return n == 0 ? *this : shr(-n);
    if (n >= W) return zero();
    wbits r;
    const int ws = n >> 6, bs = n & 63;
    for (int i = NW - 1; i >= 0; --i) {
      const int s = i - ws;
      uint64_t v = s >= 0 ? (w[s] << bs) : 0;
      if (bs != 0 && s - 1 >= 0) v |= w[s - 1] >> (64 - bs);
      r.w[i] = v;
    }
    r.fix();
    return r;
  }
  wbits shr(int n) const {
    if (n <= 0) return n == 0 ? *this : shl(-n);
    if (n >= W) return zero();
    wbits r;
    const int ws = n >> 6, bs = n & 63;
    for (int i = 0; i < NW; ++i) {
      const int s = i + ws;
      uint64_t v = s < NW ? (w[s] >> bs) : 0;
      if (bs != 0 && s + 1 < NW) v |= w[s + 1] << (64 - bs);
      r.w[i] = v;
    }
    return r;
  }
  bool is_zero() const {
    uint64_t acc = 0;
    for (int i = 0; i < NW; ++i) acc |= w[i];
    return acc == 0;
  }
  friend bool operator==(const wbits &a, const wbits &b) {
    for (int i = 0; i < NW; ++i)
      if (a.w[i] != b.w[i]) return false;
    return true;
  }
  friend wbits operator&(const wbits &a, const wbits &b) {
    wbits r;
    for (int i = 0; i < NW; ++i) r.w[i] = a.w[i] & b.w[i];
    return r;
  }
  friend wbits operator|(const wbits &a, const wbits &b) {
    wbits r;
    for (int i = 0; i < NW; ++i) r.w[i] = a.w[i] | b.w[i];
    return r;
  }
  friend wbits operator^(const wbits &a, const wbits &b) {
    wbits r;
    for (int i = 0; i < NW; ++i) r.w[i] = a.w[i] ^ b.w[i];
    return r;
  }
  friend wbits operator~(const wbits &a) {
    wbits r;
    for (int i = 0; i < NW; ++i) r.w[i] = ~a.w[i];
    r.fix();
    return r;
  }
};

}  // namespace ubimoe_csim

#endif
