// ubimoe kernel library: fixed-point non-linear functions (exp, reciprocal, rsqrt, GELU).
// Range reduction + ROM tables (tables.h, computed by src/generate/tables.ts) + linear
// interpolation, in integer arithmetic only: C-simulation and RTL compute the same bits, and
// nothing calls hls::exp/std::exp. Every function takes raw fixed-point bits with the
// width/fraction given as template arguments (the generated config structs supply them).
//
// Each function is one hardware UNIT with its own ROM: `INLINE off` keeps it a module, and its
// table is a function-local static const copy bound to a dual-port ROM (rom_np, block RAM), so
// every call site an unrolled loop creates reads its own table (2 reads per call: the two
// entries of the interpolation) instead of all sharing one 2-port global array. The kernels build
// as many units as their configs say (GELU_UNITS, EXP_UNITS, ...; computed in TypeScript) and the
// cost model prices each unit with its table (nonlinearUnit, src/kernels/costModel.ts).
#ifndef UBIMOE_NONLINEAR_H
#define UBIMOE_NONLINEAR_H

#include "common.h"
#include "tables.h"

namespace ubimoe {

// Bits kept between two table entries for the interpolation weight.
static const int INTERP_BITS = 14;

// The interpolation weight of a remainder of RB bits, scaled to INTERP_BITS bits.
template <int RB>
inline ap_uint<INTERP_BITS> interp_weight(const ap_uint<RB> &rest) {
  if (RB >= INTERP_BITS) return ap_uint<INTERP_BITS>(rest >> (RB >= INTERP_BITS ? RB - INTERP_BITS : 0));
  return ap_uint<INTERP_BITS>(ap_uint<INTERP_BITS>(rest) << (RB < INTERP_BITS ? INTERP_BITS - RB : 0));
}

// Splits the fraction `f` (FB bits) into a table index (its top SEG bits) and an interpolation
// weight (the bits below, scaled to INTERP_BITS).
template <int FB, int SEG>
inline void split_fraction(const ap_uint<FB> &f, unsigned &index, ap_uint<INTERP_BITS> &weight) {
  index = (f >> (FB - SEG)).to_uint();
  weight = interp_weight<FB - SEG>(ap_uint<FB - SEG>(f));
}

// Linear interpolation between two unsigned table entries (Q24), a >= b or a <= b.
inline ap_uint<26> interp_u(unsigned a, unsigned b, const ap_uint<INTERP_BITS> &w) {
  const ap_int<27> diff = ap_int<27>(b) - ap_int<27>(a);
  const ap_int<42> step = diff * ap_int<INTERP_BITS + 1>(w);
  return ap_uint<26>(ap_int<27>(a) + ap_int<27>(step >> INTERP_BITS));
}

// e^z for z <= 0, z raw signed (ZW bits, ZF fractional). Returns e^z with TABLE_FRAC (24)
// fractional bits (1.0 = 1 << 24), 0 when it underflows. Range reduction: e^z = 2^-t,
// t = -z·log2(e) = n + f; 2^-f from EXP2_NEG_TABLE, then shifted right by n.
template <int ZW, int ZF>
ap_uint<25> exp_neg_q24(const ap_int<ZW> &z) {
#pragma HLS INLINE off
  static const unsigned table[EXP2_TABLE_SIZE] = UBIMOE_EXP2_NEG_TABLE;  // EXP2_TABLE_BITS-bit entries
#pragma HLS BIND_STORAGE variable=table type=rom_np impl=bram
  if (z >= 0) return ap_uint<25>(1) << TABLE_FRAC;
  const ap_uint<ZW> mag = ap_uint<ZW>(-z);
  const ap_uint<ZW + 25> t = mag * ap_uint<25>(LOG2E_Q24);  // ZF + 24 fractional bits
  const ap_uint<ZW + 25 - ZF> t24 = t >> ZF;                  // 24 fractional bits
  const ap_uint<ZW + 1 - ZF> n = t24 >> TABLE_FRAC;
  if (n > TABLE_FRAC) return 0;
  unsigned j;
  ap_uint<INTERP_BITS> w;
  split_fraction<TABLE_FRAC, EXP2_SEGMENT_BITS>(ap_uint<TABLE_FRAC>(t24), j, w);
  const ap_uint<26> m = interp_u(table[j], table[j + 1], w);
  return ap_uint<25>(m >> n.to_uint());
}

// 1/x for x > 0, x raw unsigned (XW bits, XF fractional), as a normalised pair:
// 1/x = mant · 2^exp2 with mant (24 fractional bits) in (0.5, 1].
template <int XW, int XF>
void recip_q24(const ap_uint<XW> &x, ap_uint<25> &mant, int &exp2) {
#pragma HLS INLINE off
  static const unsigned table[RECIP_TABLE_SIZE] = UBIMOE_RECIP_TABLE;  // RECIP_TABLE_BITS-bit entries
#pragma HLS BIND_STORAGE variable=table type=rom_np impl=bram
  const unsigned lz = count_leading_zeros<XW>(x);
  const ap_uint<XW> norm = x << lz;  // x = (norm / 2^(XW-1)) · 2^(XW-1-lz-XF), mantissa in [1, 2)
  unsigned j;
  ap_uint<INTERP_BITS> w;
  split_fraction<XW - 1, RECIP_SEGMENT_BITS>(ap_uint<XW - 1>(norm), j, w);
  mant = ap_uint<25>(interp_u(table[j], table[j + 1], w));
  exp2 = int(lz) + XF + 1 - XW;
}

// 1/sqrt(x) for x > 0, x raw unsigned (XW bits, XF fractional), as a normalised pair:
// rsqrt(x) = mant · 2^exp2 with mant (24 fractional bits) in [0.5, 1].
// x = m · 4^k with m in [1, 4): rsqrt(x) = rsqrt(m) · 2^-k, rsqrt(m) from RSQRT_TABLE.
template <int XW, int XF>
void rsqrt_q24(const ap_uint<XW> &x, ap_uint<25> &mant, int &exp2) {
#pragma HLS INLINE off
  static const unsigned table[RSQRT_TABLE_SIZE] = UBIMOE_RSQRT_TABLE;  // RSQRT_TABLE_BITS-bit entries
#pragma HLS BIND_STORAGE variable=table type=rom_np impl=bram
  const unsigned lz = count_leading_zeros<XW>(x);
  const ap_uint<XW> norm = x << lz;  // x = u · 2^p, u = norm / 2^(XW-1) in [1, 2)
  const int p = XW - 1 - int(lz) - XF;
  const bool odd = (p % 2) != 0;
  unsigned j;
  ap_uint<INTERP_BITS> w;
  if (!odd) {
    // m = u: segment (u - 1)·2^RSQRT_SEGMENT_BITS
    split_fraction<XW - 1, RSQRT_SEGMENT_BITS>(ap_uint<XW - 1>(norm), j, w);
  } else {
    // m = 2u in [2, 4): segment 2^RSQRT_SEGMENT_BITS + (u - 1)·2^(RSQRT_SEGMENT_BITS+1)
    split_fraction<XW - 1, RSQRT_SEGMENT_BITS + 1>(ap_uint<XW - 1>(norm), j, w);
    j += 1u << RSQRT_SEGMENT_BITS;
  }
  mant = ap_uint<25>(interp_u(table[j], table[j + 1], w));
  const int even_p = odd ? p - 1 : p;
  exp2 = -(even_p / 2);
}

// GELU(x) (exact erf form) for a fixed-point value of type T (XW bits, XF > GELU_STEP_BITS fractional):
// ROM on [-GELU_RANGE, GELU_RANGE] with linear interpolation; x above, 0 below.
template <class T, int XW, int XF>
T gelu(const T &x) {
#pragma HLS INLINE off
  static const int table[GELU_TABLE_SIZE] = UBIMOE_GELU_TABLE;  // GELU_TABLE_BITS-bit signed entries
#pragma HLS BIND_STORAGE variable=table type=rom_np impl=bram
  if (x >= T(GELU_RANGE)) return x;
  if (x < T(-GELU_RANGE)) return T(0);
  // x's raw pattern as the integer x · 2^XF (exact; a constant shift in hardware, and in C-simulation
  // one multiply instead of an out-of-line bit-range copy on every call)
  const ap_int<XW> raw = ap_int<XW>(x * ap_uint<XF + 1>(ap_uint<XF + 1>(1) << XF));
  // position (x + GELU_RANGE) in units of 2^-XF, in [0, 2·GELU_RANGE·2^XF)
  const ap_uint<XW + 1> pos = ap_uint<XW + 1>(ap_int<XW + 2>(raw) + (ap_int<XW + 2>(GELU_RANGE) << XF));
  // table steps are 1/GELU_STEPS_PER_UNIT = 2^-GELU_STEP_BITS apart: index = pos >> (XF - GELU_STEP_BITS)
  const unsigned j = (pos >> (XF - GELU_STEP_BITS)).to_uint();
  const ap_uint<INTERP_BITS> w = interp_weight<XF - GELU_STEP_BITS>(ap_uint<XF - GELU_STEP_BITS>(pos));
  const ap_int<33> a = table[j], b = table[j + 1];
  const ap_int<33> diff = b - a;
  const ap_int<33 + INTERP_BITS + 1> step = diff * ap_int<INTERP_BITS + 1>(w);
  const ap_int<34> g = a + ap_int<34>(step >> INTERP_BITS);  // TABLE_FRAC fractional bits
  ap_fixed<34, 34 - TABLE_FRAC> v;
  v.range(33, 0) = ap_uint<34>(g);
  return T(v);
}

}  // namespace ubimoe

#endif
