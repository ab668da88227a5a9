// ubimoe C-simulation types: shared basics (modes, raw storage traits, fatal errors).
// Part of the csim-only replacement for Vitis's ap_int.h / ap_fixed.h (see hls/csim/README.md).
#ifndef UBIMOE_CSIM_BASE_H
#define UBIMOE_CSIM_BASE_H

#include <cstdint>
#include <cstdio>
#include <cstdlib>

// Defined by every ubimoe csim header: code that uses csim-only extras tests it (Vitis lacks them).
#ifndef UBIMOE_CSIM_TYPES
#define UBIMOE_CSIM_TYPES 1
#endif

// Same enumerator names as Vitis (UG1399); the numeric values are not part of the contract.
enum ap_q_mode { AP_RND, AP_RND_ZERO, AP_RND_MIN_INF, AP_RND_INF, AP_RND_CONV, AP_TRN, AP_TRN_ZERO };
enum ap_o_mode { AP_SAT, AP_SAT_ZERO, AP_SAT_SYM, AP_WRAP, AP_WRAP_SM };

namespace ubimoe_csim {

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

// A csim-only fatal error: the message names what went wrong, then the process aborts
// (a silent default would hide a kernel bug).
[[noreturn]] inline void fail(const char *what, const char *detail = "") {
  std::fprintf(stderr, "ubimoe csim: %s%s\n", what, detail);
  std::fflush(stderr);
  std::abort();
}

constexpr int imax(int a, int b) { return a > b ? a : b; }
// 2^e as a floating-point constant (exact for the exponents used: |e| <= 128).
template <class FP> constexpr FP pow2(int e) {
  FP r = 1;
  for (; e > 0; --e) r *= 2;
  for (; e < 0; ++e) r /= 2;
  return r;
}
constexpr int imin(int a, int b) { return a < b ? a : b; }

// Traits of the native raw storage types (int64_t/uint64_t for W <= 64, 128-bit beyond).
// Hand-rolled because std::make_unsigned<__int128> is unavailable under strict -std=c++17.
template <class T> struct rt;
template <> struct rt<int64_t> {
  using u = uint64_t;
  using s = int64_t;
  static constexpr int bits = 64;
  static constexpr bool sgn = true;
};
template <> struct rt<uint64_t> {
  using u = uint64_t;
  using s = int64_t;
  static constexpr int bits = 64;
  static constexpr bool sgn = false;
};
template <> struct rt<i128> {
  using u = u128;
  using s = i128;
  static constexpr int bits = 128;
  static constexpr bool sgn = true;
};
template <> struct rt<u128> {
  using u = u128;
  using s = i128;
  static constexpr int bits = 128;
  static constexpr bool sgn = false;
};

// Low n bits set (0 <= n <= bits of T), usable in constant expressions.
template <class U> constexpr U low_mask(int n) {
  return n >= rt<U>::bits ? ~U(0) : ((U(1) << n) - 1);
}

// v << n computed on the unsigned pattern (no UB for negative v), converted to T; n >= bits gives 0.
template <class T> constexpr T shl_bits(T v, int n) {
  using U = typename rt<T>::u;
  return n >= rt<T>::bits ? T(0) : T(U(v) << n);
}

// Keep the low W bits of v and re-extend (sign for S, zero otherwise): the storage invariant.
template <int W, bool S, class T> constexpr T wrap_bits(T v) {
  constexpr int B = rt<T>::bits;
  using U = typename rt<T>::u;
  using SS = typename rt<T>::s;
  if constexpr (W >= B) {
    return v;
  } else if constexpr (S) {
    return T(SS(U(v) << (B - W)) >> (B - W));
  } else {
    return T(U(v) & low_mask<U>(W));
  }
}

}  // namespace ubimoe_csim

#endif
