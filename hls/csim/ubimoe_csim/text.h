// ubimoe C-simulation types: to_string() and stream output (debugging only; exact decimal values).
#ifndef UBIMOE_CSIM_TEXT_H
#define UBIMOE_CSIM_TEXT_H

#include <ostream>
#include <string>

#include "ops.h"

namespace ubimoe_csim {

inline std::string u128_decimal(u128 v) {
  char buf[48];
  int n = 0;
  do {
    buf[n++] = char('0' + int(v % 10));
    v /= 10;
  } while (v != 0);
  std::string s;
  while (n > 0) s += buf[--n];
  return s;
}

template <int W> inline std::string wide_decimal(wbits<W> v) {
  std::string digits;
  do {
    uint64_t rem = 0;
    for (int i = wbits<W>::NW - 1; i >= 0; --i) {
      const u128 cur = (u128(rem) << 64) | v.w[i];
      v.w[i] = uint64_t(cur / 10);
      rem = uint64_t(cur % 10);
    }
    digits += char('0' + int(rem));
  } while (!v.is_zero());
  return std::string(digits.rbegin(), digits.rend());
}

// Radix 10: exact decimal value ("-1.3125"). Radix 2: "0b" + the raw W-bit pattern, with a binary point
// before the F fraction bits of fixed types. Radix 16: "0x" + the raw pattern. `sign` is accepted for
// Vitis compatibility and ignored.
template <int W_, int I_, bool S_, ap_q_mode Q_, ap_o_mode O_, int N_, bool K_>
std::string apnum<W_, I_, S_, Q_, O_, N_, K_>::to_string(int radix, bool) const {
  constexpr int F = W_ - I_;
  if (radix == 2 || radix == 16) {
    std::string s = radix == 2 ? "0b" : "0x";
    if (radix == 2) {
      for (int i = W_ - 1; i >= 0; --i) {
        if (i == F - 1 && F > 0) s += '.';
        s += get_bits(i, 1) ? '1' : '0';
      }
    } else {
      for (int i = ((W_ + 3) / 4) - 1; i >= 0; --i) {
        const int n = imin(4, W_ - 4 * i);
        s += "0123456789abcdef"[get_bits(4 * i, n)];
      }
    }
    return s;
  }
  if (radix != 10) fail("to_string: radix must be 2, 10 or 16");
  if constexpr (wide) {
    return wide_decimal(V);
  } else {
    const raw_t v = val();
    const bool neg = S_ && v < raw_t(0);
    const u128 mag = neg ? u128(0) - u128(i128(v)) : u128(v);
    std::string s = neg ? "-" : "";
    if constexpr (F == 0) {
      return s + u128_decimal(mag);
    } else if constexpr (F > 124) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.40Lg", to_ldouble());
      return buf;
    } else {
      const u128 fmask = low_mask<u128>(F);
      s += u128_decimal(F >= 128 ? u128(0) : (mag >> F));
      u128 frac = mag & fmask;
      if (frac != 0) {
        s += '.';
        while (frac != 0) {
          frac *= 10;
          s += char('0' + int(frac >> F));
          frac &= fmask;
        }
      }
      return s;
    }
  }
}

template <int W_, int I_, bool S_, ap_q_mode Q_, ap_o_mode O_, int N_, bool K_>
std::ostream &operator<<(std::ostream &os, const apnum<W_, I_, S_, Q_, O_, N_, K_> &v) {
  return os << v.to_string(10);
}
template <class Owner> std::ostream &operator<<(std::ostream &os, const range_ref<Owner> &r) {
  return os << r.to_uint64();
}

}  // namespace ubimoe_csim

#endif
