// ubimoe's csim-only stand-in for Vitis's hls_math.h (used only when XILINX_HLS is unset).
// The kernels compute exp/GELU/rsqrt themselves in fixed point, so this is deliberately tiny: a few
// floating-point helpers for testbench code, never for the datapath (see README.md).
#ifndef UBIMOE_CSIM_HLS_MATH_H
#define UBIMOE_CSIM_HLS_MATH_H

#include <cmath>

#include "ap_fixed.h"

namespace hls {
inline float exp(float x) { return std::exp(x); }
inline double exp(double x) { return std::exp(x); }
inline float log(float x) { return std::log(x); }
inline double log(double x) { return std::log(x); }
inline float sqrt(float x) { return std::sqrt(x); }
inline double sqrt(double x) { return std::sqrt(x); }
inline float abs(float x) { return std::fabs(x); }
inline double abs(double x) { return std::fabs(x); }
// |x| of an ap type, in the same type (the most negative value wraps to itself, as in hardware).
template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N, bool K>
inline ubimoe_csim::apnum<W, I, S, Q, O, N, K> abs(const ubimoe_csim::apnum<W, I, S, Q, O, N, K> &x) {
  return (S && x < 0) ? ubimoe_csim::apnum<W, I, S, Q, O, N, K>(-x) : x;
}
}  // namespace hls

#endif
